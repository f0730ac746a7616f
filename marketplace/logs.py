"""Keep customers' personal data out of the log when the database refuses a statement."""

from __future__ import annotations

import logging
import traceback

import sqlalchemy as sa

_STATEMENT_CHARS = 1000


def _database_error(exc: BaseException | None) -> sa.exc.StatementError | None:
    """Return the SQLAlchemy statement error in exc's chain, if any."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, sa.exc.StatementError):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


def describe_database_error(error: sa.exc.StatementError) -> str:
    """Describe a database error by kind, SQL state, constraint and statement, never by values."""
    orig = error.orig
    diag = getattr(orig, "diag", None)
    parts = [type(error).__name__]
    if orig is not None:
        parts.append(f"({type(orig).__module__}.{type(orig).__name__})")
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "sqlite_errorname", None)
    if sqlstate:
        parts.append(f"state={sqlstate}")
    constraint = getattr(diag, "constraint_name", None)
    if constraint:
        parts.append(f"constraint={constraint}")
    statement = " ".join((error.statement or "").split())[:_STATEMENT_CHARS]
    return " ".join(parts) + (f"\n[SQL: {statement}]" if statement else "")


class DatabaseErrorFilter(logging.Filter):
    """Replace a database error's message (it quotes the values) by a description without them.

    The driver's own text quotes rejected values ("Key (email)=(…) already exists", "invalid
    input syntax …: "…""), and so would bound parameters without hide_parameters: the log keeps
    the traceback's frames, the kind of error, its SQL state, constraint and statement.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        exc_info = record.exc_info
        error = _database_error(exc_info[1]) if exc_info and exc_info[1] else None
        if error is None:
            return True
        frames = "".join(traceback.format_tb(exc_info[2]))
        record.msg = (
            f"{record.getMessage()}\nTraceback (most recent call last):\n{frames}"
            f"{describe_database_error(error)}"
        )
        record.args = None
        record.exc_info = None
        record.exc_text = None
        return True


def install(logger: logging.Logger) -> None:
    """Filter the app's logger (Flask logs unhandled exceptions through it)."""
    if not any(isinstance(f, DatabaseErrorFilter) for f in logger.filters):
        logger.addFilter(DatabaseErrorFilter())
