"""Stories (one channel post per piece of news) and edits in the outbox"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.create_table(
        "stories",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("lead_article_id", sa.Integer(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_article_id"],
            ["articles.id"],
            name=op.f("fk_stories_lead_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stories")),
        sa.UniqueConstraint("lead_article_id", name=op.f("uq_stories_lead_article_id")),
    )
    with op.batch_alter_table("stories", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stories_opened_at"), ["opened_at"], unique=False)

    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("story_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_articles_story_id"), ["story_id"], unique=False)

    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=8), server_default="post", nullable=False)
        )
        batch_op.add_column(sa.Column("revision", sa.Integer(), server_default="0", nullable=False))
        batch_op.drop_constraint("uq_deliveries_article_chat", type_="unique")
        batch_op.create_unique_constraint(
            "uq_deliveries_article_chat_revision", ["article_id", "chat_id", "revision"]
        )


def downgrade() -> None:
    # Edits are dropped: without the revision column the outbox holds one row per article
    # and chat again.
    op.execute("DELETE FROM deliveries WHERE kind <> 'post'")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_constraint("uq_deliveries_article_chat_revision", type_="unique")
        batch_op.create_unique_constraint("uq_deliveries_article_chat", ["article_id", "chat_id"])
        batch_op.drop_column("revision")
        batch_op.drop_column("kind")
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_articles_story_id"))
        batch_op.drop_column("story_id")
    with op.batch_alter_table("stories", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stories_opened_at"))
    op.drop_table("stories")
