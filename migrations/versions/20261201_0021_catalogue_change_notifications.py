"""PostgreSQL: every change to what a public catalogue document shows is announced (NOTIFY)

The workers' caches of encoded public documents (``api.catalogue.cache``) listen on
``berdaya_catalogue``; these triggers send, inside the writing transaction (so it is delivered
at commit, and never for a rollback), which document changed: ``p:<product id>``,
``b:<business id>`` (the business and its products, which show its name and place) or ``*``
(a category or region: everything). Whoever writes (the app, the CLI, a migration, psql) is
heard, TRUNCATE too (``*``); a row moved (a photo to another product) names where it was as
well. A product's view count is not shown: an update that changes it and keeps ``updated_at``
(the view counter's, ``api.catalogue.counters``) says nothing, and costs nothing (the trigger's WHEN); so
a hand-written UPDATE that changes the view count and a shown column in one statement while
keeping ``updated_at`` would not be heard. Triggers do not fire under
``session_replication_role = replica`` (``pg_restore --disable-triggers``): restart the app
servers after such a restore.

SQLite has no notifications: there the cache is off and nothing is installed.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-01 12:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("products", "businesses", "photos", "business_licences", "categories", "regions")

FUNCTION = """
CREATE OR REPLACE FUNCTION berdaya_catalogue_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  changed record;
BEGIN
  IF TG_LEVEL = 'STATEMENT' THEN  -- TRUNCATE
    PERFORM pg_notify('berdaya_catalogue', '*');
    RETURN NULL;
  END IF;
  -- The new row, and the old one (a photo or licence moved elsewhere leaves where it was).
  FOR i IN 1..2 LOOP
    IF i = 1 THEN
      CONTINUE WHEN TG_OP = 'DELETE';
      changed := NEW;
    ELSE
      CONTINUE WHEN TG_OP = 'INSERT';
      changed := OLD;
    END IF;
    IF TG_TABLE_NAME = 'products' THEN
      PERFORM pg_notify('berdaya_catalogue', 'p:' || changed.id);
    ELSIF TG_TABLE_NAME = 'businesses' THEN
      PERFORM pg_notify('berdaya_catalogue', 'b:' || changed.id);
    ELSIF TG_TABLE_NAME = 'business_licences' THEN
      PERFORM pg_notify('berdaya_catalogue', 'b:' || changed.business_id);
    ELSIF TG_TABLE_NAME = 'photos' THEN
      IF changed.product_id IS NOT NULL THEN
        PERFORM pg_notify('berdaya_catalogue', 'p:' || changed.product_id);
      ELSE
        PERFORM pg_notify('berdaya_catalogue', 'b:' || changed.business_id);
      END IF;
    ELSE
      PERFORM pg_notify('berdaya_catalogue', '*');
    END IF;
  END LOOP;
  RETURN NULL;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(FUNCTION)
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_catalogue_changed"
            f" AFTER INSERT OR DELETE{'' if table == 'products' else ' OR UPDATE'} ON {table}"
            " FOR EACH ROW EXECUTE FUNCTION berdaya_catalogue_changed()"
        )
    op.execute(
        "CREATE TRIGGER products_catalogue_updated AFTER UPDATE ON products FOR EACH ROW"
        " WHEN (OLD.view_count IS NOT DISTINCT FROM NEW.view_count"
        " OR OLD.updated_at IS DISTINCT FROM NEW.updated_at)"
        " EXECUTE FUNCTION berdaya_catalogue_changed()"
    )
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_catalogue_truncated AFTER TRUNCATE ON {table}"
            " FOR EACH STATEMENT EXECUTE FUNCTION berdaya_catalogue_changed()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS products_catalogue_updated ON products")
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_catalogue_changed ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_catalogue_truncated ON {table}")
    op.execute("DROP FUNCTION IF EXISTS berdaya_catalogue_changed()")
