"""Article images (generic-image detection), heat history (rising stories), next feed pages"""

import sqlalchemy as sa
from alembic import op

revision = "0004_images_heat_history"
down_revision = "0003"


def _image_key(url: str) -> str | None:
    # A frozen copy of storage.images.image_key for the backfill (migrations never import app
    # code): lower-cased scheme and host, no default port, fragment or trailing slash.
    scheme, separator, rest = url.strip().partition("://")
    scheme = scheme.lower()
    ports = {"http": ":80", "https": ":443"}
    if not separator or scheme not in ports:
        return None
    rest = rest.partition("#")[0]
    ends = [i for i in (rest.find("/"), rest.find("?")) if i >= 0]
    cut = min(ends) if ends else len(rest)
    host = rest[:cut].lower().removesuffix(ports[scheme])
    if not host:
        return None
    path, mark, query = rest[cut:].partition("?")
    return f"{scheme}://{host}{path.rstrip('/') or '/'}{mark}{query}"[:2048]


def upgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rising_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "article_images",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("url_key", sa.String(length=2048), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_article_images_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", "position", name=op.f("pk_article_images")),
    )
    op.create_index("ix_article_images_url_key", "article_images", ["url_key"], unique=False)
    op.create_table(
        "heat_samples",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heat", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_heat_samples_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_heat_samples")),
    )
    op.create_index(
        "ix_heat_samples_article_id_at", "heat_samples", ["article_id", "at"], unique=False
    )
    with op.batch_alter_table("feed_pages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_url", sa.Text(), nullable=True))
    # Pages fetched before this revision do not know their next page: forget their validators,
    # so the next pass reads every page in full once.
    op.execute("UPDATE feed_pages SET etag = NULL, last_modified = NULL")
    _backfill_images()


def _backfill_images() -> None:
    bind = op.get_bind()
    images = sa.table(
        "article_images",
        sa.column("article_id", sa.Integer),
        sa.column("position", sa.Integer),
        sa.column("url", sa.Text),
        sa.column("url_key", sa.String),
    )
    rows = bind.execute(sa.text("SELECT id, image_url FROM articles WHERE image_url IS NOT NULL"))
    batch: list[dict[str, object]] = []
    for article_id, url in rows:
        key = _image_key(url)
        if key is not None:
            batch.append({"article_id": article_id, "position": 0, "url": url, "url_key": key})
        if len(batch) >= 5000:
            bind.execute(images.insert(), batch)
            batch = []
    if batch:
        bind.execute(images.insert(), batch)


def downgrade() -> None:
    with op.batch_alter_table("feed_pages", schema=None) as batch_op:
        batch_op.drop_column("next_url")
    op.drop_index("ix_heat_samples_article_id_at", table_name="heat_samples")
    op.drop_table("heat_samples")
    op.drop_index("ix_article_images_url_key", table_name="article_images")
    op.drop_table("article_images")
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_column("rising_at")
