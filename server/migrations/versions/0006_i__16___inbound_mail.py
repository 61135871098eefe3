"""Inbound mail (issue 16): arriving mails, reply attachments, channel health, the leads'
reply tokens and the messages' attachments and sender.

Only columns are added to ``leads`` and ``messages`` and the token's uniqueness is an index:
a constraint would make SQLite rebuild ``leads`` and drop the search triggers of 0003.

Revision ID: 0006_i16
Revises: 0005_i13
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_i16"
down_revision: str | None = "0005_i13"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbound_channels",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("last_poll_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_mail_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("backlog", sa.Integer(), nullable=False),
        sa.Column("processed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_inbound_channels")),
    )
    # One row per channel from the start, so recording a mail is always a plain UPDATE.
    op.execute(
        "INSERT INTO inbound_channels (name, backlog, processed)"
        " VALUES ('imap', 0, 0), ('webhook', 0, 0)"
    )
    op.create_table(
        "inbound_mails",
        sa.Column("dedupe_key", sa.String(length=330), nullable=False),
        sa.Column("message_id", sa.String(length=300), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("matched_by", sa.String(length=16), nullable=True),
        sa.Column("business_id", sa.Uuid(), nullable=True),
        sa.Column("lead_id", sa.Uuid(), nullable=True),
        sa.Column("thread_message_id", sa.Uuid(), nullable=True),
        sa.Column("from_address", sa.String(length=320), nullable=False),
        sa.Column("from_name", sa.String(length=200), nullable=False),
        sa.Column("recipients", sa.Text(), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("raw_path", sa.String(length=300), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["business_id"],
            ["businesses.id"],
            name=op.f("fk_inbound_mails_business_id_businesses"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_inbound_mails_lead_id_leads"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["thread_message_id"],
            ["messages.id"],
            name=op.f("fk_inbound_mails_thread_message_id_messages"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_mails")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_inbound_mails_dedupe_key")),
    )
    op.create_index(
        op.f("ix_inbound_mails_business_id_outcome_received_at"),
        "inbound_mails",
        ["business_id", "outcome", "received_at"],
    )
    op.create_index(
        op.f("ix_inbound_mails_outcome_received_at"), "inbound_mails", ["outcome", "received_at"]
    )
    op.create_table(
        "message_attachments",
        sa.Column("business_id", sa.Uuid(), nullable=False),
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("message_id", sa.Uuid(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=127), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["business_id"],
            ["businesses.id"],
            name=op.f("fk_message_attachments_business_id_businesses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_message_attachments_lead_id_leads"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_message_attachments_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_attachments")),
    )
    op.create_index(
        op.f("ix_message_attachments_lead_id"), "message_attachments", ["lead_id"]
    )
    op.create_index(
        op.f("ix_message_attachments_message_id"), "message_attachments", ["message_id"]
    )
    op.add_column("leads", sa.Column("reply_token", sa.String(length=40), nullable=True))
    op.create_index(op.f("ix_leads_reply_token"), "leads", ["reply_token"], unique=True)
    op.add_column(
        "messages", sa.Column("attachments", sa.JSON(), server_default="[]", nullable=False)
    )
    op.add_column("messages", sa.Column("sender", sa.String(length=320), nullable=True))
    op.add_column(
        "businesses",
        sa.Column("reply_alerts", sa.Boolean(), server_default=sa.true(), nullable=False),
    )


def downgrade() -> None:
    # Plain ``DROP COLUMN`` (SQLite 3.35+): a batch rebuild of ``leads`` would drop its triggers.
    op.drop_column("businesses", "reply_alerts")
    op.drop_column("messages", "sender")
    op.drop_column("messages", "attachments")
    op.drop_index(op.f("ix_leads_reply_token"), table_name="leads")
    op.drop_column("leads", "reply_token")
    op.drop_table("message_attachments")
    op.drop_table("inbound_mails")
    op.drop_table("inbound_channels")
