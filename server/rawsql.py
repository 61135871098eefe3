"""Prebuilt Core statements run straight on a DBAPI connection, for the hottest write.

SQLAlchemy's per-execution layer (the compiled-cache lookup, the execution context, parameter
construction, the result object) cost a form submit more CPU than SQLite spent running its eight
statements. ``Prepared`` compiles a statement once for a dialect, with SQLAlchemy itself, and
keeps what an execution needs: the SQL string, the positional order of its parameters with their
compile-time defaults, and SQLAlchemy's own bind and result processors for their types. Running it
is then one list comprehension and one ``cursor.execute``: values go in and come out exactly as
they do through SQLAlchemy (the same processors), so ORM reads see the same rows.

Only statements with plain bound parameters are supported (write an ``IN`` of constants as a
list of ``literal`` values, not an expanding parameter); anything else raises when the statement
is compiled, on its first use, not with wrong values.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, cast

import asyncpg
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.util import await_only

Processor = Callable[[Any], Any] | None
_REQUIRED = object()  # a parameter the statement holds no value for


class Prepared:
    """One statement compiled for one dialect, ready to run on a DBAPI cursor."""

    __slots__ = ("_binds", "_results", "returns_rows", "sql")

    def __init__(
        self, statement: ClauseElement, dialect: Dialect, column_keys: Sequence[str] | None = None
    ) -> None:
        compiled = cast(SQLCompiler, statement.compile(dialect=dialect, column_keys=column_keys))
        names = compiled.positiontup
        if names is None:
            raise ValueError("rawsql needs a dialect with positional parameters")
        self.sql: str = compiled.string
        if "POSTCOMPILE" in self.sql:
            raise ValueError("rawsql cannot run a statement with expanding parameters")
        # A column default computed in Python (``default=utcnow``) is filled in by SQLAlchemy's
        # execution context, which this skips: the caller must give such columns itself.
        missing = [*compiled.insert_prefetch, *compiled.update_prefetch]
        if missing:
            names_missing = ", ".join(sorted(c.key for c in missing))
            raise ValueError(f"rawsql needs values for the defaulted columns {names_missing}")
        defaults = {
            name: _REQUIRED if bind.required else bind.effective_value
            for name, bind in compiled.binds.items()
        }
        processors = cast(Mapping[str, Processor], compiled._bind_processors)
        # (name, processor, compile-time value) in the order of the SQL's placeholders.
        self._binds: tuple[tuple[str, Processor, Any], ...] = tuple(
            (name, processors.get(name), defaults.get(name)) for name in names
        )
        columns = compiled._result_columns
        self._results: tuple[Processor, ...] = tuple(
            column.type._cached_result_processor(dialect, None) for column in columns
        )
        self.returns_rows = bool(columns)

    def parameters(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        """The positional DBAPI parameters for ``values``; a parameter left out takes the value
        bound into the statement, and one without a value is an error (as in SQLAlchemy)."""
        out = []
        for name, process, default in self._binds:
            value = values.get(name, default)
            if value is _REQUIRED:
                raise KeyError(f"a value is required for the parameter {name!r}")
            out.append(value if process is None else process(value))  # None too: JSON 'null'
        return tuple(out)

    def row(self, raw: Sequence[Any]) -> tuple[Any, ...]:
        """A result row with SQLAlchemy's result processors applied."""
        return tuple(
            value if process is None or value is None else process(value)
            for process, value in zip(self._results, raw, strict=True)
        )


class Result:
    """What a statement answered: its rows (processed) and its row count."""

    __slots__ = ("rowcount", "rows")

    def __init__(self, rows: list[tuple[Any, ...]], rowcount: int) -> None:
        self.rows = rows
        self.rowcount = rowcount

    def first(self) -> tuple[Any, ...] | None:
        return self.rows[0] if self.rows else None

    def one(self) -> tuple[Any, ...]:
        if len(self.rows) != 1:
            raise LookupError(f"expected one row, got {len(self.rows)}")
        return self.rows[0]

    def scalar(self) -> Any:
        return self.rows[0][0] if self.rows else None


class RawConnection(ABC):
    """A connection running ``Prepared`` statements from synchronous code (an abstract base:
    ``DBAPIConnection`` and ``AsyncpgConnection`` run them).

    It offers the small part of SQLAlchemy's ``Connection`` that the intake's synchronous code
    uses (``execute`` with a statement and a dict or a list of dicts, ``dialect``, ``info``), so
    the same functions run on either. Statements are compiled on first use and kept in
    ``cache`` (one per dialect; the statements are module-level constants, kept alive by it).
    """

    def __init__(self, dialect: Dialect, cache: dict[Any, Prepared]) -> None:
        self.dialect = dialect
        self.info: dict[str, Any] = {}  # as ``Session.info``: versions moved, jobs queued
        self._cache = cache

    def prepared(self, statement: ClauseElement, keys: Iterable[str] = ()) -> Prepared:
        """``statement`` compiled (once) for these parameter names: as SQLAlchemy does, an
        INSERT or UPDATE takes the columns named by the parameters it is given."""
        column_keys = tuple(sorted(keys)) if getattr(statement, "is_dml", False) else None
        cache_key = (statement, column_keys)
        found = self._cache.get(cache_key)
        if found is None:
            found = self._cache[cache_key] = Prepared(statement, self.dialect, column_keys)
        return found

    @abstractmethod
    def execute(
        self,
        statement: ClauseElement,
        values: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
    ) -> Result:
        """Run ``statement`` with one set of values (or, where supported, a list of them)."""


class DBAPIConnection(RawConnection):
    """On a synchronous DBAPI connection (sqlite3), one thread at a time."""

    def __init__(self, dbapi_connection: Any, dialect: Dialect, cache: dict[Any, Prepared]):
        super().__init__(dialect, cache)
        self.dbapi_connection = dbapi_connection
        self._cursor = dbapi_connection.cursor()

    def execute(
        self,
        statement: ClauseElement,
        values: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
    ) -> Result:
        cursor = self._cursor
        if isinstance(values, Sequence):
            prepared = self.prepared(statement, values[0] if values else ())
            many = [prepared.parameters(v) for v in values]
            with self._translated(prepared.sql, many):
                cursor.executemany(prepared.sql, many)
            return Result([], cursor.rowcount)
        values = values or {}
        prepared = self.prepared(statement, values)
        parameters = prepared.parameters(values)
        with self._translated(prepared.sql, parameters):
            cursor.execute(prepared.sql, parameters)
            rows = [prepared.row(r) for r in cursor.fetchall()] if prepared.returns_rows else []
        return Result(rows, cursor.rowcount)

    def exec_driver_sql(self, sql: str) -> None:
        with self._translated(sql, ()):
            self._cursor.execute(sql)

    @contextmanager
    def _translated(self, sql: str, parameters: Any) -> Iterator[None]:
        """The driver's errors as SQLAlchemy's (``OperationalError``, ``IntegrityError``…), as
        SQLAlchemy raises them: the app's handlers answer 503 or 409, not 500."""
        base = self.dialect.loaded_dbapi.Error
        try:
            yield
        except base as error:
            raise sa_exc.DBAPIError.instance(sql, parameters, error, base) from error

    def close(self) -> None:
        self._cursor.close()


class AsyncpgConnection(RawConnection):
    """On an asyncpg connection, from synchronous code run by ``greenlet_spawn``: each statement
    awaits the driver on the event loop (``await_only``), as SQLAlchemy's own adapter does, but
    without its execution layer. The connection must come from SQLAlchemy's asyncpg pool,
    whose codecs (JSON as text) the bind processors expect. Outside a transaction, each
    statement commits by itself."""

    def __init__(self, driver: Any, dialect: Dialect, cache: dict[Any, Prepared]) -> None:
        super().__init__(dialect, cache)
        self.driver = driver

    def execute(
        self,
        statement: ClauseElement,
        values: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
    ) -> Result:
        if isinstance(values, Sequence):
            raise TypeError("AsyncpgConnection runs one set of parameters at a time")
        values = values or {}
        prepared = self.prepared(statement, values)
        parameters = prepared.parameters(values)
        try:
            if prepared.returns_rows:
                rows = await_only(self.driver.fetch(prepared.sql, *parameters))
                return Result([prepared.row(tuple(r)) for r in rows], len(rows))
            status: str = await_only(self.driver.execute(prepared.sql, *parameters))
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as error:
            lost = not isinstance(error, asyncpg.PostgresError) or self.driver.is_closed()
            raise _postgres_error(prepared.sql, parameters, error, lost=lost) from error
        count = status.rsplit(" ", 1)[-1]  # "INSERT 0 1", "UPDATE 3"
        return Result([], int(count) if count.isdigit() else -1)


# SQLSTATE classes of a database that is down or refusing work: connection exceptions,
# insufficient resources, operator intervention (a shutdown), transaction rollback (deadlock).
_UNAVAILABLE_CLASSES = ("08", "53", "57", "40")


def _postgres_error(
    sql: str, parameters: Any, error: Exception, *, lost: bool
) -> sa_exc.DBAPIError:
    """An asyncpg error as SQLAlchemy would raise it: a constraint is an ``IntegrityError``
    (409), a lost connection or a database refusing work an ``OperationalError`` (503; a lost
    connection is marked invalidated, so the caller drops it from the pool)."""
    if lost:
        return sa_exc.OperationalError(sql, parameters, error, connection_invalidated=True)
    if isinstance(error, asyncpg.IntegrityConstraintViolationError):
        return sa_exc.IntegrityError(sql, parameters, error)
    if str(getattr(error, "sqlstate", "") or "")[:2] in _UNAVAILABLE_CLASSES:
        return sa_exc.OperationalError(sql, parameters, error)
    return sa_exc.DBAPIError(sql, parameters, error)
