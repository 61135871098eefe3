"""Render every mail template into docs/mails/: the text part (.txt, with its subject) and a
screenshot of the HTML part (.png, headless Chromium), from the same functions the server uses.

    .venv/bin/python scripts/render_mails.py
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.async_api import async_playwright  # noqa: E402

from server.ai.reply_templates import build_reply  # noqa: E402
from server.mail import compose  # noqa: E402
from server.models.business import Business  # noqa: E402
from server.models.lead import Lead  # noqa: E402
from server.workflow import customer_mail  # noqa: E402
from server.workflow.owner_alert import OwnerAlert, owner_alert_context  # noqa: E402
from shared.models.enums import EmailKind  # noqa: E402

OUT = ROOT / "docs" / "mails"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]

BUSINESS = Business(
    id=uuid.UUID(int=1),
    name="Sparkle & Shine Cleaning",
    brand_color="#0f766e",
    phone="+1 202 555 0100",
    contact_email="desk@sparkle-shine.example",
)
LEAD = Lead(
    id=uuid.UUID("8d3c2a6e-5b1f-4c7e-9a0d-2f4b6c8e1a3b"),
    business_id=BUSINESS.id,
    customer_name="Casey Morgan",
    customer_email="casey@example.net",
    customer_phone="+12025550147",
    service_needed="Deep clean",
    preferred_time="Weekday mornings",
    message="Hello, how much is a deep clean of a two-bedroom flat?\nWe move out on Friday.",
)
MESSAGE = LEAD.message or ""


def _customer(kind: EmailKind, service: str | None, content: str) -> tuple[str, str, dict]:  # type: ignore[type-arg]
    subject = customer_mail.subject_for(kind, BUSINESS, service)
    return subject, "customer", customer_mail.customer_context(BUSINESS, content)


def _alert(**changes: Any) -> tuple[str, str, dict]:  # type: ignore[type-arg]
    fields: dict[str, Any] = {
        "message_text": MESSAGE,
        "summary": "Asks the price of a deep clean before moving out (normal urgency).",
        "urgency": "normal",
        "reply": build_reply(
            kind="inquiry",
            language="en",
            customer_name=LEAD.customer_name,
            business_name=BUSINESS.name,
            service="Deep clean",
        ),
        "auto_sent": False,
        "acknowledged": True,
        "reasons": ["owner_approval_required", "risk_not_low", "blocked_topics"],
        "blocked_topics": ["price_commitment"],
        "details": {},
    } | changes
    return (
        f"New lead: {LEAD.customer_name}",
        "owner_alert",
        owner_alert_context(LEAD, BUSINESS, OwnerAlert(**fields)),
    )


def mails() -> dict[str, tuple[str, str, dict]]:  # type: ignore[type-arg]
    reply = build_reply(
        kind="inquiry",
        language="en",
        customer_name=LEAD.customer_name,
        business_name=BUSINESS.name,
        service="Deep clean",
    )
    return {
        "acknowledgement-with-service": _customer(
            EmailKind.ACKNOWLEDGEMENT,
            "Deep clean",
            customer_mail.acknowledgement_text(LEAD, BUSINESS, "Deep clean"),
        ),
        "acknowledgement-without-service": _customer(
            EmailKind.ACKNOWLEDGEMENT,
            None,
            customer_mail.acknowledgement_text(LEAD, BUSINESS, None),
        ),
        "ai-reply": _customer(EmailKind.AUTO_REPLY, "Deep clean", reply),
        "owner-reply-without-service": _customer(
            EmailKind.OWNER_REPLY,
            None,
            "Hi Casey,\n\nA deep clean of a two-bedroom flat is usually half a day. "
            "I can come round on Thursday to have a look.\n\nBest,\nSam",
        ),
        "follow-up": _customer(
            EmailKind.FOLLOW_UP,
            "Deep clean",
            customer_mail.follow_up_text(LEAD, BUSINESS, "Deep clean"),
        ),
        "owner-alert-held": _alert(),
        "owner-alert-held-reply-check": _alert(
            reasons=["reply_content_blocked"],
            blocked_topics=[],
            details={"reply_content_blocked": ['it gives a number ("80")']},
            reply="Hi Casey, a standard clean is 80.",
        ),
        "owner-alert-spam-suspected": _alert(
            reasons=["spam_suspected"], blocked_topics=[], acknowledged=False
        ),
        "owner-alert-auto-sent": _alert(auto_sent=True, reasons=[], blocked_topics=[]),
        "invite": (
            f"You're invited to {BUSINESS.name} on LeadFlow",
            "invite",
            {
                "header": BUSINESS.name,
                "brand_color": BUSINESS.brand_color,
                "full_name": "Olive Owner",
                "business_name": BUSINESS.name,
                "inviter": "Ada Admin",
                "link": "https://leadflow.example/invite/3q2-example-token",
                "days": 7,
            },
        ),
        "password-reset": (
            "Reset your LeadFlow password",
            "password_reset",
            {
                "header": "LeadFlow",
                "full_name": "Olive Owner",
                "link": "https://leadflow.example/reset/7hx-example-token",
                "minutes": 60,
            },
        ),
    }


async def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    rendered = {
        name: (subject, *compose.render(template, {**context, "subject": subject}))
        for name, (subject, template, context) in mails().items()
    }
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = await browser.new_page(viewport={"width": 640, "height": 400})
        for name, (subject, text, html) in rendered.items():
            (OUT / f"{name}.txt").write_text(f"Subject: {subject}\n\n{text}", encoding="utf-8")
            await page.set_content(html)
            await page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)
        await browser.close()
    print(f"{len(rendered)} mails rendered into {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    asyncio.run(main())
