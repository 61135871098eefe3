"""``leadflow-server demo``: a super-admin, one active business with its owner, a form and a few
leads (analysed by the worker once the server runs). Running it again reuses what exists."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from server.admin.accounts import create_or_update_admin
from server.auth import repository as auth_repo
from server.auth.security import hash_password
from server.businesses.service import create_business, form_url
from server.config import Settings
from server.context import build_context
from server.intake.service import submit
from server.models.business import Business
from server.models.user import User
from shared.models.business import BusinessCreate, OwnerIn
from shared.models.enums import BusinessStatus
from shared.models.leads import SubmissionIn

ADMIN = ("admin@demo.leadflow.test", "demo-admin-password")
OWNER = ("owner@demo.leadflow.test", "demo-owner-password")
BUSINESS_NAME = "Sparkle & Shine Cleaning"
LEADS = [
    (
        "Maya Chen",
        "maya.chen@example.com",
        "+1 207 555 0142",
        "Deep clean",
        "Saturday morning",
        "Hi! We're moving out at the end of the month and need a deep clean "
        "of a two-bedroom flat. Could someone get in touch?",
    ),
    (
        "Tom Becker",
        "tom.becker@example.net",
        None,
        "Regular cleaning",
        None,
        "How much do you charge for a weekly clean of a 3-bedroom house?",
    ),
    (
        "Priya Patel",
        "priya@example.org",
        "+44 20 7946 0958",
        "Office cleaning",
        "Weekdays",
        "We run a small office (8 desks) and are looking for an evening cleaning service. "
        "No rush, we'd like to start next month.",
    ),
    (
        "Jordan Lee",
        None,
        "+1 312 555 0199",
        "Carpet cleaning",
        None,
        "Red wine on a cream carpet, help! Please call me back.",
    ),
]


async def prepare_demo(settings: Settings) -> list[str]:
    ctx = build_context(settings)
    created = ""  # the new form's slug, when this run created the business
    try:
        async with ctx.db.session() as session:
            admin, _ = await create_or_update_admin(session, ADMIN[0], ADMIN[1], "Demo Admin")
            business = (
                await session.execute(select(Business).where(Business.name == BUSINESS_NAME))
            ).scalar_one_or_none()
            if business is None:
                business, form = await create_business(
                    session,
                    ctx,
                    admin,
                    BusinessCreate(
                        name=BUSINESS_NAME,
                        industry="cleaning",
                        phone="+1 207 555 0100",
                        contact_email="desk@sparkle.example",
                        address="12 Harbour Road, Portland",
                        brand_color="#0f766e",
                        smart_auto_reply=True,
                        owner_approval_required=False,
                        services=[
                            "Regular cleaning",
                            "Deep clean",
                            "Office cleaning",
                            "Carpet cleaning",
                            "Move-out cleaning",
                        ],
                        owner=OwnerIn(email=OWNER[0], full_name="Olivia Owner"),
                    ),
                )
                business.status = BusinessStatus.ACTIVE.value
                owner = await auth_repo.user_by_email(session, OWNER[0])
                assert isinstance(owner, User)
                owner.password_hash = hash_password(OWNER[1])
                await session.flush()
                created = form.slug
            from server.businesses.repository import form_of

            found = await form_of(session, business.id)
            slug = found.slug if found else business.slug
        # The sample leads come in as customers' submissions do, once the business exists.
        for name, email, phone, service, when, message in LEADS if created else ():
            await submit(
                ctx.db,
                settings,
                created,
                SubmissionIn(
                    customer_name=name,
                    customer_email=email,
                    customer_phone=phone,
                    service_needed=service,
                    preferred_time=when,
                    message=message,
                    submission_id=uuid.uuid4(),
                ),
                client_ip="demo",
            )
    finally:
        await ctx.db.dispose()
    return [
        "LeadFlow demo is ready.",
        f"  Super-admin: {ADMIN[0]} / {ADMIN[1]}",
        f"  Owner:       {OWNER[0]} / {OWNER[1]}",
        f"  Public form: {form_url(settings, slug)}",
        f"  API docs:    {settings.public_url}/docs",
        f"  Data dir:    {settings.data_dir}",
        "  Desktop app: run `leadflow` and sign in with the owner or admin login above.",
    ]
