"""Sync bookkeeping: the per-business version counter, tombstones and applied mutations."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.models.base import Base, BigIntPK, IdMixin, JSONType, UTCDateTime

if TYPE_CHECKING:
    from server.models.business import Business
    from server.models.user import User


class SyncCounter(Base):
    """The last version handed out for a business; its row lock orders that business's commits."""

    __tablename__ = "sync_counters"

    business_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)

    business: Mapped[Business] = relationship(lazy="raise")


class SyncTombstone(Base):
    """A deleted synced row, kept so a pulling client learns of the delete."""

    __tablename__ = "sync_tombstones"
    __table_args__ = (Index(None, "business_id", "version"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    business_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE"), nullable=False
    )
    entity: Mapped[str] = mapped_column(String(16), nullable=False)
    entity_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    version: Mapped[int] = mapped_column(BigInteger, nullable=False)
    deleted_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    business: Mapped[Business] = relationship(lazy="raise")


class AppliedMutation(IdMixin, Base):
    """A pushed mutation id, applied once ever; a retry gets the stored ``result`` back."""

    __tablename__ = "applied_mutations"
    __table_args__ = (UniqueConstraint("business_id", "mutation_id"),)

    business_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE"), nullable=False
    )
    device_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    mutation_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    type: Mapped[str] = mapped_column(String(32), nullable=False)
    result: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    business: Mapped[Business] = relationship(lazy="raise")
    user: Mapped[User | None] = relationship(lazy="raise")
