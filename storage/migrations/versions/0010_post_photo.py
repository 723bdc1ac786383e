"""The photo a sent post shows, for its edits"""

import sqlalchemy as sa
from alembic import op

revision = "0010_post_photo"
down_revision = "0009_app_language"


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("photo", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("photo")
