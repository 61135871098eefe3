"""The provider interface every mail service implements."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Protocol


class DeliveryError(Exception):
    """Delivery failed. ``permanent`` failures are not retried (a rejected address, bad config)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class EmailProvider(Protocol):
    name: str

    async def send(self, message: EmailMessage) -> str:
        """Deliver one message; return the provider's id for it, or raise ``DeliveryError``."""
        ...
