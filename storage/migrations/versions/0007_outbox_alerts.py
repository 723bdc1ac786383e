"""Operator alerts in the outbox: deliveries without an article, keyed per admin chat"""

import sqlalchemy as sa
from alembic import op

revision = "0007_outbox_alerts"
down_revision = "0006_chat_language"


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.alter_column("article_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("alert_key", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("body", sa.Text(), nullable=True))
        batch.create_unique_constraint("uq_deliveries_chat_alert_key", ["chat_id", "alert_key"])


def downgrade() -> None:
    op.execute("DELETE FROM deliveries WHERE article_id IS NULL")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_constraint("uq_deliveries_chat_alert_key", type_="unique")
        batch.drop_column("body")
        batch.drop_column("alert_key")
        batch.alter_column("article_id", existing_type=sa.Integer(), nullable=False)
