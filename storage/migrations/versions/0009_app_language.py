"""The app language a private chat's user last wrote to the bot in"""

import sqlalchemy as sa
from alembic import op

revision = "0009_app_language"
down_revision = "0008_pending_outbox_index"


def upgrade() -> None:
    with op.batch_alter_table("chats") as batch:
        batch.add_column(sa.Column("app_language", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("chats") as batch:
        batch.drop_column("app_language")
