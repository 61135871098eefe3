"""SMTP delivery: a real SMTP conversation per message (aiosmtplib)."""

from __future__ import annotations

from email.message import EmailMessage

import aiosmtplib

from server.mail.base import DeliveryError


class SmtpProvider:
    name = "smtp"

    def __init__(
        self,
        host: str,
        port: int,
        *,
        username: str = "",
        password: str = "",
        starttls: bool = False,
        timeout_s: float = 20.0,
    ) -> None:
        self.host = host
        self.port = port
        self.username = username or None
        self.password = password or None
        self.starttls = starttls
        self.timeout_s = timeout_s

    async def send(self, message: EmailMessage) -> str:
        try:
            await aiosmtplib.send(
                message,
                hostname=self.host,
                port=self.port,
                username=self.username,
                password=self.password,
                start_tls=self.starttls,
                use_tls=False,
                timeout=self.timeout_s,
            )
        except aiosmtplib.SMTPRecipientsRefused as error:
            # A 4xx refusal (greylisting, a full mailbox, a rate limit) is worth a retry.
            refused = error.recipients
            reason = "; ".join(f"SMTP {r.code} for {r.recipient}: {r.message}" for r in refused)
            raise DeliveryError(
                f"recipient refused: {reason}", permanent=all(r.code >= 500 for r in refused)
            ) from error
        except aiosmtplib.SMTPResponseException as error:
            permanent = 500 <= error.code < 600  # 4xx is temporary (RFC 5321 §4.2.1)
            raise DeliveryError(
                f"SMTP {error.code}: {error.message}", permanent=permanent
            ) from error
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            raise DeliveryError(f"SMTP unavailable: {error}") from error
        return str(message["Message-ID"])
