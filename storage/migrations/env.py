"""Alembic environment: runs with the URL handed over by storage.database.upgrade_to_head (or by
`alembic -x url=...` for developers generating a new revision)."""

from typing import Any

from alembic import context
from sqlalchemy import create_engine, pool

from storage.database import sync_url
from storage.tables import Base

config = context.config
url = config.attributes.get("sqlalchemy_url") or sync_url(
    context.get_x_argument(as_dictionary=True)["url"]
)
connectable = config.attributes.get("connection")


def run(connection: Any) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,  # SQLite can only ALTER by copying the table
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if connectable is not None:
    run(connectable)
else:
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        run(connection)
    engine.dispose()
