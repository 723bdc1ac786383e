"""The outbox's status index covers unsent rows only: pending rows by due time, sending rows

The index of every row by (status, next_attempt_at) moved each row twice as it was claimed
and sent, and kept every sent row of the archive; these two cover only the rows still owed.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_pending_outbox_index"
down_revision = "0007_worker_claims"

PENDING = sa.text("status = 'pending'")
SENDING = sa.text("status = 'sending'")


def upgrade() -> None:
    op.drop_index("ix_deliveries_status_next_attempt_at", table_name="deliveries")
    op.create_index(
        "ix_deliveries_pending",
        "deliveries",
        ["next_attempt_at", "id"],
        sqlite_where=PENDING,
        postgresql_where=PENDING,
    )
    op.create_index(
        "ix_deliveries_sending",
        "deliveries",
        ["claimed_by"],
        sqlite_where=SENDING,
        postgresql_where=SENDING,
    )


def downgrade() -> None:
    op.drop_index("ix_deliveries_sending", table_name="deliveries")
    op.drop_index("ix_deliveries_pending", table_name="deliveries")
    op.create_index(
        "ix_deliveries_status_next_attempt_at", "deliveries", ["status", "next_attempt_at"]
    )
