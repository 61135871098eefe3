"""Lead search per business: the FTS5 table also indexes ``business_id`` (SQLite), and phone
fragments use a trigram index (PostgreSQL).

On SQLite a search's total was counted by looking up every FTS match in ``leads`` to check its
business (31 ms for a common word at 50,000 leads); with the business id as an FTS column the
count is answered by the FTS index alone. On PostgreSQL ``phone_normalized LIKE '%…%'`` read
every lead of the business; ``pg_trgm`` makes it an index scan. The extension is left in place
on downgrade (other schemas of the database may use it).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXT_COLUMNS = "customer_name, customer_email, customer_phone, service_needed, message"


def _create_fts(columns: str) -> None:
    names = [c.strip() for c in columns.split(",")]
    listed = ", ".join(names)
    new = ", ".join(f"new.{c}" for c in names)
    old = ", ".join(f"old.{c}" for c in names)
    op.execute(
        f"CREATE VIRTUAL TABLE leads_fts USING fts5({listed}, content='leads', "
        "content_rowid='rowid', tokenize='unicode61 remove_diacritics 2')"
    )
    op.execute(
        f"CREATE TRIGGER leads_fts_insert AFTER INSERT ON leads BEGIN "
        f"INSERT INTO leads_fts(rowid, {listed}) VALUES (new.rowid, {new}); END"
    )
    op.execute(
        f"CREATE TRIGGER leads_fts_delete AFTER DELETE ON leads BEGIN "
        f"INSERT INTO leads_fts(leads_fts, rowid, {listed}) VALUES ('delete', old.rowid, {old}); END"
    )
    op.execute(
        f"CREATE TRIGGER leads_fts_update AFTER UPDATE OF {listed} ON leads BEGIN "
        f"INSERT INTO leads_fts(leads_fts, rowid, {listed}) VALUES ('delete', old.rowid, {old}); "
        f"INSERT INTO leads_fts(rowid, {listed}) VALUES (new.rowid, {new}); END"
    )
    op.execute("INSERT INTO leads_fts(leads_fts) VALUES ('rebuild')")


def _drop_fts() -> None:
    for trigger in ("leads_fts_insert", "leads_fts_delete", "leads_fts_update"):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS leads_fts")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(
            "CREATE INDEX ix_leads_search_phone ON leads USING gin (phone_normalized gin_trgm_ops)"
        )
        return
    _drop_fts()
    _create_fts(f"{TEXT_COLUMNS}, business_id")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_leads_search_phone")
        return
    _drop_fts()
    _create_fts(TEXT_COLUMNS)
