"""``products.view_count`` goes: what was left in it is added to ``product_views``

Migration 0042 moved product views to ``product_views`` and kept the column for one release:
the workers of the release before it added to the column until their restart
(docs/operations.md, "Upgrading"). This release's code and the previous one's never read or
write it, so what it still holds is what those workers added; it is added to ``product_views``
here, and the column is dropped. 0042 landed a release before this one; upgrading across both
at once needs the workers stopped (docs/operations.md, "Upgrading").

On PostgreSQL the products' update trigger said nothing for an update that changed only the
view count (its WHEN, migration 0021); with the column gone it announces every update, as
every other table's does.

Revision ID: 0044
Revises: 0043
Create Date: 2026-12-07 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0044"
down_revision: str | None = "0043"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TRIGGER = (
    "CREATE TRIGGER products_catalogue_updated AFTER UPDATE ON products FOR EACH ROW{when}"
    " EXECUTE FUNCTION berdaya_catalogue_changed()"
)
WHEN = (
    " WHEN (OLD.view_count IS NOT DISTINCT FROM NEW.view_count"
    " OR OLD.updated_at IS DISTINCT FROM NEW.updated_at)"
)


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    # Copied first, with no lock but a read's: a scan of the whole table.
    op.execute(
        "INSERT INTO product_views (product_id, views)"
        " SELECT id, view_count FROM products WHERE view_count > 0"
        " ON CONFLICT (product_id) DO UPDATE SET views = product_views.views + excluded.views"
    )
    if postgresql:
        # Dropping the trigger and the column changes the catalogue only (no rewrite), but
        # holds the table's ACCESS EXCLUSIVE lock until the commit; queued behind a long query
        # it would hold every read of products behind it, so it gives up after 5 s instead
        # (run db-upgrade again).
        op.execute("SET LOCAL lock_timeout = '5s'")
        op.execute("DROP TRIGGER IF EXISTS products_catalogue_updated ON products")
    op.drop_column("products", "view_count")  # SQLite 3.35+ drops columns in place
    if postgresql:
        op.execute(TRIGGER.format(when=""))
        op.execute("SET LOCAL lock_timeout = 0")


def downgrade() -> None:
    # The column comes back empty: the counts stay in product_views, where 0043's code reads them.
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.execute("DROP TRIGGER IF EXISTS products_catalogue_updated ON products")
    op.add_column(
        "products", sa.Column("view_count", sa.BigInteger(), server_default="0", nullable=False)
    )
    if postgresql:
        op.execute(TRIGGER.format(when=WHEN))
