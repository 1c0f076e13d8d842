"""Product views counted in a narrow table of their own, not in the product's row

Views are added in batches (``api.catalogue.counters``): under a national catalogue's traffic a
flush adds to thousands of products. On ``products.view_count`` each addition rewrote a wide row
and, with no room left on its page, an entry in each of the product's eight indexes (one of
them GIN): 0.17 ms of PostgreSQL's CPU a product, against 0.02 ms as an upsert into a narrow
table (bench/README.md). The table keeps half of each page free (``fillfactor``) so that an
addition is an update in place (HOT), touching no index.

The counts are moved, not copied: each product's count is added to its row here and zeroed
there, under the product's row lock, so a flush of a worker still running the previous release
(it adds to ``products.view_count`` until it is restarted) is neither lost nor counted twice.
``products.view_count`` stays until the next release: the previous release's workers read and
write it until the restart that follows ``db-upgrade`` (docs/operations.md, "Upgrading"); the
next release's migration moves what they added meanwhile the same way and drops the column.

Revision ID: 0042
Revises: 0041
Create Date: 2026-12-07 13:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0042"
down_revision: str | None = "0041"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "product_views",
        sa.Column("product_id", sa.String(length=32), nullable=False),
        sa.Column("views", sa.BigInteger(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_product_views_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("product_id", name=op.f("pk_product_views")),
        postgresql_with={"fillfactor": 50},
    )
    move_counts()


def move_counts() -> None:
    """Add each product's ``products.view_count`` to its ``product_views`` row, and zero it
    there. The next release's migration does the same before it drops the column."""
    if op.get_bind().dialect.name == "postgresql":
        # Each viewed row locked, then read again (READ COMMITTED re-reads a row a concurrent
        # transaction changed before it is locked), added and zeroed in one statement.
        op.execute(
            """
            WITH viewed AS (
                SELECT id, view_count AS views FROM products WHERE view_count > 0 FOR UPDATE
            ), zeroed AS (
                UPDATE products SET view_count = 0 FROM viewed WHERE products.id = viewed.id
            )
            INSERT INTO product_views (product_id, views) SELECT id, views FROM viewed
            ON CONFLICT (product_id) DO UPDATE SET views = product_views.views + excluded.views
            """
        )
        return
    # SQLite: one writer at a time, and the migration holds the database's write lock.
    op.execute(
        "INSERT INTO product_views (product_id, views)"
        " SELECT id, view_count FROM products WHERE view_count > 0"
        " ON CONFLICT (product_id) DO UPDATE SET views = product_views.views + excluded.views"
    )
    op.execute("UPDATE products SET view_count = 0 WHERE view_count > 0")


def downgrade() -> None:
    # The counts go back to the products' rows; the catalogue trigger does not fire (only the
    # view count changes).
    op.execute(
        "UPDATE products SET view_count = view_count + (SELECT views FROM product_views"
        " WHERE product_views.product_id = products.id)"
        " WHERE id IN (SELECT product_id FROM product_views)"
    )
    op.drop_table("product_views")
