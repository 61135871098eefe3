"""Full-text search over leads: FTS5 on SQLite, a GIN expression index on PostgreSQL.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = "customer_name, customer_email, customer_phone, service_needed, message"
PG_DOCUMENT = (
    "to_tsvector('simple', coalesce(customer_name, '') || ' ' || coalesce(customer_email, '') "
    "|| ' ' || coalesce(customer_phone, '') || ' ' || coalesce(service_needed, '') || ' ' "
    "|| coalesce(message, ''))"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE INDEX ix_leads_search ON leads USING gin ({PG_DOCUMENT})")
        return
    new = ", ".join(f"new.{c.strip()}" for c in COLUMNS.split(","))
    old = ", ".join(f"old.{c.strip()}" for c in COLUMNS.split(","))
    op.execute(
        f"CREATE VIRTUAL TABLE leads_fts USING fts5({COLUMNS}, content='leads', "
        "content_rowid='rowid', tokenize='unicode61 remove_diacritics 2')"
    )
    op.execute(
        f"CREATE TRIGGER leads_fts_insert AFTER INSERT ON leads BEGIN "
        f"INSERT INTO leads_fts(rowid, {COLUMNS}) VALUES (new.rowid, {new}); END"
    )
    op.execute(
        f"CREATE TRIGGER leads_fts_delete AFTER DELETE ON leads BEGIN "
        f"INSERT INTO leads_fts(leads_fts, rowid, {COLUMNS}) VALUES ('delete', old.rowid, {old}); END"
    )
    op.execute(
        f"CREATE TRIGGER leads_fts_update AFTER UPDATE OF {COLUMNS} ON leads BEGIN "
        f"INSERT INTO leads_fts(leads_fts, rowid, {COLUMNS}) VALUES ('delete', old.rowid, {old}); "
        f"INSERT INTO leads_fts(rowid, {COLUMNS}) VALUES (new.rowid, {new}); END"
    )
    op.execute("INSERT INTO leads_fts(leads_fts) VALUES ('rebuild')")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_leads_search")
        return
    for trigger in ("leads_fts_insert", "leads_fts_delete", "leads_fts_update"):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS leads_fts")
