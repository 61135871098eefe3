"""Build the configured email provider (``LEADFLOW_EMAIL_PROVIDER``)."""

from __future__ import annotations

from server.config import Settings
from server.mail.base import EmailProvider


def build_email_provider(settings: Settings) -> EmailProvider:
    if settings.email_provider == "smtp":
        from server.mail.smtp import SmtpProvider

        return SmtpProvider(
            settings.smtp_host,
            settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value(),
            starttls=settings.smtp_starttls,
            timeout_s=settings.smtp_timeout_s,
        )
    if settings.email_provider == "resend":
        from server.mail.resend import ResendProvider

        return ResendProvider(settings.resend_api_key.get_secret_value(), settings.resend_base_url)
    from server.mail.outbox import OutboxProvider

    return OutboxProvider(settings.data_dir / "outbox")
