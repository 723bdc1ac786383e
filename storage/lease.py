"""One running bot per database: a lease taken at start and held for the life of the process.

Two bots on one database would both poll, both publish and post everything twice. The lease is
a lock that dies with its holder, so a crashed bot never blocks its own restart:

- PostgreSQL: a session advisory lock on a connection opened for this purpose only. The server
  drops the lock the moment that connection ends (process killed, container gone).
- SQLite: an exclusive `flock` on `<database file>.lock`. The kernel drops it when the process
  exits, however it exits.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from sqlalchemy.engine import URL

from storage.database import async_url, sqlite_path

if TYPE_CHECKING:  # imported where used: a SQLite bot never loads psycopg and libpq (8 MB RSS)
    import psycopg

log = logging.getLogger(__name__)

# pg_try_advisory_lock takes one bigint; this one spells "feedbot". Advisory locks are scoped to
# the database, which is exactly "one instance per database".
ADVISORY_LOCK_KEY = int.from_bytes(b"feedbot", "big")


class LeaseError(Exception):
    """The lease cannot be taken; the message names the database, never a password."""


class LeaseHeldError(LeaseError):
    """Another live instance holds the lease."""


class DatabaseUnreachableError(LeaseError):
    """The database did not answer, so whether another instance runs is unknown."""


class Lease(Protocol):
    @property
    def where(self) -> str: ...

    def check(self) -> bool:
        """Is the lease still ours? False only when another instance holds it now."""
        ...

    def release(self) -> None: ...


def describe(url: str) -> str:
    """The database for messages and logs: the URL without its password."""
    parsed = async_url(url)
    path = sqlite_path(url)
    if path is not None:
        return str(path)
    plain: URL = parsed._replace(drivername=parsed.get_backend_name(), password=None)
    return plain.render_as_string(hide_password=True)


def take_lease(url: str) -> Lease:
    """Take the lease on the database behind `url`, or raise LeaseHeldError."""
    if async_url(url).get_backend_name() == "postgresql":
        return PostgresLease(url)
    path = sqlite_path(url)
    if path is None:  # an in-memory database is private to its process anyway
        return _NoLease(describe(url))
    return FileLease(path.with_name(path.name + ".lock"), where=str(path))


def _held_message(where: str, holder: str = "") -> str:
    return (
        f"another feedbot instance{holder} is running on {where} and holds its lease; "
        "stop it first (two instances would post everything twice)"
    )


class _NoLease:
    def __init__(self, where: str) -> None:
        self.where = where

    def check(self) -> bool:
        return True

    def release(self) -> None:
        pass


class FileLease:
    """An exclusive flock on a file beside the SQLite database."""

    def __init__(self, lock_path: Path, *, where: str) -> None:
        self.where = where
        self.lock_path = lock_path
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode("ascii", "replace").strip()
            os.close(fd)
            raise LeaseHeldError(
                _held_message(where, f" (pid {holder})" if holder.isdigit() else "")
            ) from None
        except BaseException:
            os.close(fd)
            raise
        # The pid only helps a human find the holder; the lock itself is what counts.
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd: int | None = fd

    def check(self) -> bool:
        return self._fd is not None  # a flock cannot be taken away from a live process

    def release(self) -> None:
        if self._fd is not None:
            # Left in place: unlinking a lock file races with the next instance opening it.
            os.close(self._fd)
            self._fd = None


class PostgresLease:
    """A session advisory lock on a dedicated connection kept open for the process's life."""

    def __init__(self, url: str, *, connect_timeout: int = 10) -> None:
        import psycopg

        self.where = describe(url)
        self._conninfo = (
            async_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        )
        self._connect_timeout = connect_timeout
        try:
            self._conn: psycopg.Connection[tuple[object, ...]] | None = self._lock()
        except psycopg.OperationalError as exc:
            raise DatabaseUnreachableError(
                f"cannot reach {self.where} to take its lease: {_first_line(exc)}"
            ) from None

    def _lock(self) -> psycopg.Connection[tuple[object, ...]]:
        import psycopg

        conn = psycopg.connect(
            self._conninfo,
            autocommit=True,
            connect_timeout=self._connect_timeout,
            application_name="feedbot lease",
            # A silently vanished server (no FIN) still ends the session within about a minute.
            keepalives=1,
            keepalives_idle=30,
            keepalives_interval=10,
            keepalives_count=3,
        )
        try:
            row = conn.execute("SELECT pg_try_advisory_lock(%s)", (ADVISORY_LOCK_KEY,)).fetchone()
        except BaseException:
            conn.close()
            raise
        if not row or row[0] is not True:
            conn.close()
            raise LeaseHeldError(_held_message(self.where))
        return conn

    @property
    def backend_pid(self) -> int | None:
        """The server process holding the lock (tests end it to simulate a dropped session)."""
        return None if self._conn is None else self._conn.info.backend_pid

    def check(self) -> bool:
        """Blocking (a round trip): call it from a thread. When the session is gone (server
        restart, network), the lock went with it: take it again, unless another instance got
        it meanwhile. While the server cannot be reached there is no answer yet: True."""
        import psycopg

        if self._conn is not None:
            try:
                self._conn.execute("SELECT 1")
                return True
            except psycopg.Error as exc:
                log.warning(
                    "lost the database session holding the lease on %s (%s); taking it again",
                    self.where,
                    _first_line(exc),
                )
                with contextlib.suppress(psycopg.Error):
                    self._conn.close()
                self._conn = None
        try:
            self._conn = self._lock()
        except LeaseHeldError:
            log.error("another feedbot instance took the lease on %s meanwhile", self.where)
            return False
        except psycopg.Error as exc:
            log.warning(
                "cannot reach %s to take the lease again (%s)", self.where, _first_line(exc)
            )
            return True
        log.info("lease on %s taken again", self.where)
        return True

    def release(self) -> None:
        import psycopg

        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                self._conn.close()  # ending the session releases the lock
            self._conn = None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
