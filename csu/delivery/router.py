"""One delivery per channel: e-mail and SMS may go through different transports."""

from collections.abc import Iterable

from csu.delivery import Delivery, DeliveryFailed, KeepsCopies, Message


class ChannelRouter:
    def __init__(
        self,
        email: Delivery,
        sms: Delivery,
        leftovers: KeepsCopies | None = None,
        post: Delivery | None = None,
    ) -> None:
        """``leftovers``: a transport no channel uses now whose copies are still erased
        (the outbox folder once SMTP and an SMS gateway are configured); ``post``: where
        letters go (the print folder), None: letters are refused."""
        self.email = email
        self.sms = sms
        self.leftovers = leftovers
        self.post = post

    def send(self, message: Message) -> str:
        if message.channel == "email":
            return self.email.send(message)
        if message.channel == "sms":
            return self.sms.send(message)
        if message.channel == "post":
            if self.post is None:
                raise DeliveryFailed("aucun dossier d'impression configuré pour les courriers")
            return self.post.send(message)
        raise DeliveryFailed(f"canal d'envoi inconnu : {message.channel}")

    def erase(self, references: Iterable[str] = (), *, dry_run: bool = False) -> int:
        wanted = list(references)
        return sum(keeper.erase(wanted, dry_run=dry_run) for keeper in self._keepers())

    def _keepers(self) -> list[KeepsCopies]:
        """The transports that keep copies, each once (both channels may share one)."""
        found: list[KeepsCopies] = []
        for transport in (self.email, self.sms, self.leftovers, self.post):
            if isinstance(transport, KeepsCopies) and all(transport is not k for k in found):
                found.append(transport)
        return found
