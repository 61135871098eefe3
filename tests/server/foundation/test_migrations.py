"""Alembic is the only way the schema is made: the migrated schema equals the models, both ways."""

from __future__ import annotations

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine

from server.migrate import downgrade, head_revision, include_object, upgrade
from server.models import Base


async def _schema_differences(url: str) -> list[object]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:

            def diff(sync_conn):  # type: ignore[no-untyped-def]
                context = MigrationContext.configure(
                    sync_conn, opts={"compare_type": True, "include_object": include_object}
                )
                return compare_metadata(context, Base.metadata)

            return await conn.run_sync(diff)
    finally:
        await engine.dispose()


async def _tables(url: str) -> set[str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


async def test_migrated_schema_matches_the_models_and_downgrades_to_empty(db_url):
    # db_url is migrated to head (a copy of the template); start again from nothing.
    await asyncio.to_thread(downgrade, db_url, "base")
    assert await _tables(db_url) <= {"alembic_version"}
    await asyncio.to_thread(upgrade, db_url)
    assert await _schema_differences(db_url) == []
    tables = await _tables(db_url)
    assert set(Base.metadata.tables) <= tables
    await asyncio.to_thread(downgrade, db_url, "base")
    assert await _tables(db_url) <= {"alembic_version"}
    await asyncio.to_thread(upgrade, db_url)


def test_there_is_one_head():
    assert head_revision() is not None
