"""The delivery the settings ask for: a transport per channel, the outbox folder by default.

A transport that is chosen but incomplete stops the start with a French message naming
the ``CSU_`` variable to set, rather than failing on the first code an agent sends.
"""

from datetime import timedelta

from csu.config import ConfigError, Settings
from csu.delivery import Delivery
from csu.delivery.folder import FolderDelivery
from csu.delivery.router import ChannelRouter
from csu.delivery.sms_http import SmsHttpDelivery, gateway_host
from csu.delivery.smtp import SmtpDelivery, sender_refusal
from csu.domain.errors import InvalidValue
from csu.domain.urls import request_url


def build_delivery(settings: Settings) -> Delivery:
    if settings.delivery_timeout_seconds <= 0:
        raise ConfigError(
            "CSU_DELIVERY_TIMEOUT_SECONDS : un nombre de secondes positif est attendu."
        )
    folder = outbox_folder(settings)
    email: Delivery = smtp_delivery(settings) if settings.email_transport == "smtp" else folder
    sms: Delivery = sms_http_delivery(settings) if settings.sms_transport == "http" else folder
    # The folder's old files are swept even once both channels have real transports.
    return ChannelRouter(email=email, sms=sms, leftovers=folder, post=print_folder(settings))


PRINT_RETENTION = timedelta(days=7)
"""How long a letter waits in the print folder before it is erased (it holds a key in
clear): the cell's policy, long enough for a weekend between printing rounds."""


def print_folder(settings: Settings) -> FolderDelivery:
    """Where letters to voters' homes go as PDF files, to be printed and posted
    (``impression`` beside the outbox; 0700, each file 0600, as the outbox)."""
    return FolderDelivery(settings.data_dir / "impression", retention=PRINT_RETENTION)


def outbox_folder(settings: Settings) -> FolderDelivery:
    """The local outbox, with the retention of its files (also what ``csu purge`` erases,
    whichever transports are chosen now: files may remain from before)."""
    hours = settings.outbox_folder_retention_hours
    try:
        retention = timedelta(hours=hours)
    except (OverflowError, ValueError):  # infinite, too large, NaN
        retention = timedelta(0)
    if not retention > timedelta(0):
        raise ConfigError(
            "CSU_OUTBOX_FOLDER_RETENTION_HOURS : un nombre d'heures positif est attendu."
        )
    return FolderDelivery(settings.outbox_dir, retention=retention)


def smtp_delivery(settings: Settings) -> SmtpDelivery:
    host = settings.smtp_host.strip()
    if not host:
        raise ConfigError(
            "CSU_EMAIL_TRANSPORT=smtp : définissez CSU_SMTP_HOST (le serveur de courriel)."
        )
    if not 0 < settings.smtp_port < 65536:
        raise ConfigError("CSU_SMTP_PORT : un numéro de port entre 1 et 65535 est attendu.")
    username = settings.smtp_username.strip()
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
    if username and not password:
        raise ConfigError("CSU_SMTP_USERNAME est défini : définissez aussi CSU_SMTP_PASSWORD.")
    if password and not username:
        raise ConfigError("CSU_SMTP_PASSWORD est défini : définissez aussi CSU_SMTP_USERNAME.")
    sender = settings.smtp_from.strip()
    local, at, domain = sender.rpartition("@")
    if not (local and at and domain) or any(c.isspace() or c in "<>" for c in sender):
        raise ConfigError(
            f"CSU_SMTP_FROM : « {sender} » n'est pas une adresse d'expéditeur "
            "(nom@domaine attendu)."
        )
    refused = sender_refusal(sender)
    if refused is not None:  # the default, csu-electeurs@localhost, among others
        raise ConfigError(
            f"CSU_SMTP_FROM : « {sender} » ne peut pas envoyer de courriel aux électeurs ("
            f"{refused}) : définissez CSU_SMTP_FROM avec l'adresse d'expéditeur de la "
            "cellule, d'un domaine que le relais a le droit d'utiliser "
            "(ex. csu-electeurs@elections.exemple.fr)."
        )
    return SmtpDelivery(
        host,
        settings.smtp_port,
        security=settings.smtp_security,
        username=username or None,
        password=password or None,
        sender_address=sender,
        timeout=settings.delivery_timeout_seconds,
    )


def sms_http_delivery(settings: Settings) -> SmsHttpDelivery:
    url = settings.sms_url.strip()
    if not url:
        raise ConfigError(
            "CSU_SMS_TRANSPORT=http : définissez CSU_SMS_URL (l'adresse de la passerelle SMS)."
        )
    if gateway_host(url) is None:
        raise ConfigError(
            "CSU_SMS_URL : une adresse http:// ou https:// avec un nom d'hôte est attendue."
        )
    try:  # a space or a control character failed each SMS, later, in English
        request_url(url, "CSU_SMS_URL")
    except InvalidValue as refused:
        raise ConfigError(f"{refused}.") from None
    token = settings.sms_token.get_secret_value().strip() if settings.sms_token else ""
    if not token:
        raise ConfigError(
            "CSU_SMS_TRANSPORT=http : définissez CSU_SMS_TOKEN (le jeton de la passerelle SMS)."
        )
    return SmsHttpDelivery(
        url,
        token,
        sender=settings.sms_sender.strip() or None,
        timeout=settings.delivery_timeout_seconds,
    )
