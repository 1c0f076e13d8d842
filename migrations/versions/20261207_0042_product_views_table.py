"""Product views counted in a narrow table of their own, not in the product's row

Views are added in batches (``api.catalogue.counters``): under a national catalogue's traffic a
flush adds to thousands of products. On ``products.view_count`` each addition rewrote a wide row
and, with no room left on its page, an entry in each of the product's eight indexes (one of
them GIN): 0.85 s of PostgreSQL's CPU for 5,000 products at a million products, against 0.06 s
as an upsert into a narrow table (bench/README.md). The table keeps half of each page free
(``fillfactor``) so that an addition is an update in place (HOT), touching no index.

The products' catalogue trigger no longer needs to tell a view from a change: every update of
a product's row is one now.

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

_NOTIFY = "EXECUTE FUNCTION berdaya_catalogue_changed()"


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
    op.execute(
        "INSERT INTO product_views (product_id, views)"
        " SELECT id, view_count FROM products WHERE view_count > 0"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER products_catalogue_updated ON products")
        op.execute(
            "CREATE TRIGGER products_catalogue_updated AFTER UPDATE ON products"
            f" FOR EACH ROW {_NOTIFY}"
        )
    # Plain ALTERs, not batch mode: rebuilding products on SQLite would drop the FTS triggers.
    op.drop_column("products", "view_count")  # SQLite 3.35+ drops columns in place


def downgrade() -> None:
    op.add_column(
        "products", sa.Column("view_count", sa.BigInteger(), server_default="0", nullable=False)
    )
    if op.get_bind().dialect.name == "postgresql":  # first: views copied back are no change
        op.execute("DROP TRIGGER products_catalogue_updated ON products")
        op.execute(
            "CREATE TRIGGER products_catalogue_updated AFTER UPDATE ON products FOR EACH ROW"
            " WHEN (OLD.view_count IS NOT DISTINCT FROM NEW.view_count"
            f" OR OLD.updated_at IS DISTINCT FROM NEW.updated_at) {_NOTIFY}"
        )
    op.execute(
        "UPDATE products SET view_count = (SELECT views FROM product_views"
        " WHERE product_views.product_id = products.id)"
        " WHERE id IN (SELECT product_id FROM product_views)"
    )
    op.drop_table("product_views")
