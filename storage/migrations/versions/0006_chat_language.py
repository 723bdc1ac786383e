"""The language /language chose for a chat"""

import sqlalchemy as sa
from alembic import op

revision = "0006_chat_language"
down_revision = "0005_threads_settings_filters"


def upgrade() -> None:
    with op.batch_alter_table("chats") as batch:
        batch.add_column(sa.Column("language", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("chats") as batch:
        batch.drop_column("language")
