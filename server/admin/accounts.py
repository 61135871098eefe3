"""Super-admin accounts (``leadflow-server create-admin``)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from server import audit
from server.auth import repository as repo
from server.auth.security import hash_password
from server.models.user import User
from shared.models.common import normalise_email
from shared.models.enums import UserRole


async def create_or_update_admin(
    session: AsyncSession, email: str, password: str, full_name: str | None
) -> tuple[User, bool]:
    address = normalise_email(email).lower()
    user = await repo.user_by_email(session, address)
    created = user is None
    if user is None:
        user = User(id=uuid.uuid4(), email=address, full_name=full_name or "", role="")
        session.add(user)
    user.role = UserRole.SUPER_ADMIN.value
    user.password_hash = hash_password(password)
    user.is_active = True
    if full_name:
        user.full_name = full_name
    await session.flush()
    audit.record(
        session,
        "admin.created" if created else "admin.updated",
        actor_label="cli",
        entity="user",
        entity_id=user.id,
    )
    return user, created
