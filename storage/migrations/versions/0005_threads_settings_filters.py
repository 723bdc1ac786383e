"""Forum threads as subscribers, per-subscriber settings, keyword filters (issue 13)"""

import sqlalchemy as sa
from alembic import op

revision = "0005_threads_settings_filters"
down_revision = "0004_images_heat_history"


def upgrade() -> None:
    # The subscriber becomes (chat, thread): `thread_id` (0: the chat itself) joins the keys of
    # subscriptions and of the outbox (a post per (article, chat, thread), an edit per revision
    # of the channel's thread 0), and chat_settings holds what /settings, /heat, /filter,
    # /digest, /timezone and /stop's pause choose, per (chat, thread). A chat's own /heat moves
    # there from chats.min_heat (left in place, no longer read).
    with op.batch_alter_table("subscriptions") as batch_op:
        batch_op.add_column(
            sa.Column("thread_id", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch_op.drop_constraint("pk_subscriptions", type_="primary")
        batch_op.create_primary_key("pk_subscriptions", ["chat_id", "thread_id", "topic_id"])

    with op.batch_alter_table("deliveries") as batch_op:
        batch_op.add_column(
            sa.Column("thread_id", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch_op.drop_constraint("uq_deliveries_article_chat_revision", type_="unique")
        batch_op.create_unique_constraint(
            "uq_deliveries_article_chat_thread_revision",
            ["article_id", "chat_id", "thread_id", "revision"],
        )

    op.create_table(
        "chat_settings",
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("thread_id", sa.BigInteger(), nullable=False),
        sa.Column("silent", sa.Boolean(), nullable=False),
        sa.Column("compact", sa.Boolean(), nullable=False),
        sa.Column("link_preview", sa.Boolean(), nullable=False),
        sa.Column("min_heat", sa.Integer(), nullable=True),
        sa.Column("filters", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(length=8), nullable=False),
        sa.Column("digest_minute", sa.Integer(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("paused_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("inactive_reason", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["chat_id"],
            ["chats.id"],
            name=op.f("fk_chat_settings_chat_id_chats"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("chat_id", "thread_id", name=op.f("pk_chat_settings")),
    )
    # The chats' own /heat thresholds become their settings rows.
    op.execute(
        "INSERT INTO chat_settings (chat_id, thread_id, silent, compact, link_preview, min_heat,"
        " filters, digest, digest_minute, timezone, active, updated_at)"
        " SELECT id, 0, false, false, true, min_heat, '', 'off', 0, 'UTC', true, updated_at"
        " FROM chats WHERE min_heat IS NOT NULL"
    )
    with op.batch_alter_table("chats") as batch_op:
        batch_op.drop_column("min_heat")


def downgrade() -> None:
    with op.batch_alter_table("chats") as batch_op:
        batch_op.add_column(sa.Column("min_heat", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE chats SET min_heat = (SELECT s.min_heat FROM chat_settings s"
        " WHERE s.chat_id = chats.id AND s.thread_id = 0)"
    )
    op.drop_table("chat_settings")
    op.execute("DELETE FROM deliveries WHERE thread_id <> 0")
    with op.batch_alter_table("deliveries") as batch_op:
        batch_op.drop_constraint("uq_deliveries_article_chat_thread_revision", type_="unique")
        batch_op.create_unique_constraint(
            "uq_deliveries_article_chat_revision", ["article_id", "chat_id", "revision"]
        )
        batch_op.drop_column("thread_id")
    op.execute("DELETE FROM subscriptions WHERE thread_id <> 0")
    with op.batch_alter_table("subscriptions") as batch_op:
        batch_op.drop_constraint("pk_subscriptions", type_="primary")
        batch_op.create_primary_key("pk_subscriptions", ["chat_id", "topic_id"])
        batch_op.drop_column("thread_id")
