"""Delivery workers: who claimed a delivery, worker heartbeats, which worker holds which chat"""

import sqlalchemy as sa
from alembic import op

revision = "0007_worker_claims"
down_revision = "0007_outbox_alerts"


def upgrade() -> None:
    op.add_column("deliveries", sa.Column("claimed_by", sa.String(length=64), nullable=True))
    op.create_table(
        "delivery_workers",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("host", sa.Text(), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_workers")),
    )
    op.create_table(
        "chat_leases",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("worker_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("chat_id", name=op.f("pk_chat_leases")),
    )
    op.create_index(op.f("ix_chat_leases_worker_id"), "chat_leases", ["worker_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_chat_leases_worker_id"), table_name="chat_leases")
    op.drop_table("chat_leases")
    op.drop_table("delivery_workers")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("claimed_by")
