"""Which database errors mean "the database is away" (a server restart, a dropped connection):
errors to wait out, not to give up on. Classified here, next to the engine, so the layers above
never need to know the driver's exception types."""

from __future__ import annotations

from sqlalchemy.exc import InterfaceError, OperationalError

# OSError: a socket error (refused, reset) that reaches the caller without a SQLAlchemy wrapper.
DB_UNAVAILABLE: tuple[type[Exception], ...] = (OperationalError, InterfaceError, OSError)


def is_database_unavailable(exc: BaseException | None) -> bool:
    return isinstance(exc, DB_UNAVAILABLE)
