"""One delivery per channel: e-mail and SMS may go through different transports."""

from csu.delivery import Delivery, DeliveryFailed, Message


class ChannelRouter:
    def __init__(self, email: Delivery, sms: Delivery) -> None:
        self.email = email
        self.sms = sms

    def send(self, message: Message) -> str:
        if message.channel == "email":
            return self.email.send(message)
        if message.channel == "sms":
            return self.sms.send(message)
        raise DeliveryFailed(f"canal d'envoi inconnu : {message.channel}")
