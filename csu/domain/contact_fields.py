"""A voter's contact fields on the roll, as a supervisor reveals or sets them aside: their
French names, and what the cell sends through each (the channel of its messages and the
one-time code factor it carries).

The roll's mobile and professional address receive codes and links; the professional
number only identifies a caller. A contact no longer the voter's (a mobile reassigned,
an address of a former post) is set aside by a supervisor (``csu.services.voter_contacts``):
what was on its way to it is stopped.
"""

from dataclasses import dataclass

CONTACT_FIELDS: tuple[str, ...] = ("email_pro", "phone_pro", "phone_mobile")
"""The voter's contact fields that a supervisor may reveal or set aside."""

CONTACT_FIELD_LABELS: dict[str, str] = {
    "email_pro": "courriel professionnel",
    "phone_pro": "téléphone professionnel",
    "phone_mobile": "téléphone portable",
}


@dataclass(frozen=True, slots=True)
class Route:
    """What goes to a contact field: messages on ``channel``, one-time codes of
    ``factor``."""

    channel: str
    factor: str


ROUTES: dict[str, Route] = {
    "phone_mobile": Route(channel="sms", factor="otp_mobile"),
    "email_pro": Route(channel="email", factor="otp_email"),
}
"""The fields the cell sends to; the professional number receives nothing."""
