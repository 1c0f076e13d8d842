"""PostgreSQL: a change only a business's own document shows is announced as ``bd:<id>``

Migration 0021's trigger announced every change to a business as ``b:<id>``, which evicts the
business's document and every one of its products' from every worker. Most writes to a business
change nothing its products show: an order notes its seller's activity (``last_activity_at``,
``updated_at``), and so does a check-in; a business's licences and its own photos are not in its
products' documents either. Under real traffic the most-read products are the most ordered, so
each order evicted the best sellers' whole catalogues (bench/README.md, tenth session).

Now an UPDATE of a business that changes only columns its products' documents do not show
(``BUSINESS_ONLY``, as ``api.catalogue.cache.BUSINESS_ONLY_COLUMNS``) sends ``bd:<id>``; so do a
business's licences and its own photos. Anything else is announced as before.

Between ``db-upgrade`` and the restart that follows it, the previous release's workers do not
know ``bd:`` and ignore it: a business's own document (its activity, description, hours,
licences, photos) may be served as it was until they restart, with empty caches
(docs/operations.md, "Upgrading"). Its products' documents are announced as before.

Revision ID: 0043
Revises: 0042
Create Date: 2026-12-07 16:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0043"
down_revision: str | None = "0042"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BUSINESS_ONLY = (
    "last_activity_at",
    "updated_at",
    "version",  # every ORM update of the row adds one (optimistic locking); no document shows it
    "description",
    "channels",
    "opening_hours",
    "founded_on",
    "rating_count",
    "rating_sum",
)
_COLUMNS = ", ".join(f"'{name}'" for name in BUSINESS_ONLY)

# As 0021's, but a business's update that changes only BUSINESS_ONLY columns (its rows compared
# without them, once per row) and a business's licences and own photos announce ``bd:``.
FUNCTION = f"""
CREATE OR REPLACE FUNCTION berdaya_catalogue_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  changed record;
  business text := 'b:';
BEGIN
  IF TG_LEVEL = 'STATEMENT' THEN  -- TRUNCATE
    PERFORM pg_notify('berdaya_catalogue', '*');
    RETURN NULL;
  END IF;
  IF TG_TABLE_NAME = 'businesses' AND TG_OP = 'UPDATE'
      AND to_jsonb(OLD) - ARRAY[{_COLUMNS}] = to_jsonb(NEW) - ARRAY[{_COLUMNS}] THEN
    business := 'bd:';
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
      PERFORM pg_notify('berdaya_catalogue', business || changed.id);
    ELSIF TG_TABLE_NAME = 'business_licences' THEN
      PERFORM pg_notify('berdaya_catalogue', 'bd:' || changed.business_id);
    ELSIF TG_TABLE_NAME = 'photos' THEN
      IF changed.product_id IS NOT NULL THEN
        PERFORM pg_notify('berdaya_catalogue', 'p:' || changed.product_id);
      ELSE
        PERFORM pg_notify('berdaya_catalogue', 'bd:' || changed.business_id);
      END IF;
    ELSE
      PERFORM pg_notify('berdaya_catalogue', '*');
    END IF;
  END LOOP;
  RETURN NULL;
END
$$
"""

# Migration 0021's, as it was.
PREVIOUS = """
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


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(PREVIOUS)
