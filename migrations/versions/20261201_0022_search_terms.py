"""PostgreSQL: the words of every listed product, with the best field each is in, in a btree

Relevance needs, for each matching product, in which field each query word occurs. From the GIN
index alone PostgreSQL cannot tell: it finds the rows, then reads every matching row (about 5 µs
each, scattered over the table) to rank them. ``fts_product_terms`` holds one row per word of a
listed product with its best field (``weight``: 4 for the name, 2 for the tags, 1 for the
description), so a query word's matches and their weights are one range of one btree, read
without touching the table: a selective search ranks its thousand matches in well under a
millisecond or two (``api.catalogue.search``).

A trigger on ``products`` keeps it, in the writing transaction, from ``search_vector`` itself
(the same words the GIN index has), for listed products only; an update that changes neither
the words nor ``listed`` (stock, price, views), or of a product listed neither before nor after,
does not touch it; a TRUNCATE of products empties it. Any statement that writes it sends
``NOTIFY berdaya_catalogue, 's:*'``: the workers' kept search pages (made of these rows only)
are dropped at its commit. There is no foreign key (bulk loads need not check one per word).
Triggers do not fire under ``session_replication_role = replica`` (``pg_restore
--disable-triggers``): ``SELECT berdaya_product_terms_rebuild()`` rebuilds it, holding the
table exclusively until it commits (searches and writes to listed products wait; minutes at a
million products).

SQLite's FTS5 index already answers both questions: nothing is installed there.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-01 16:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The words of one product and their best weight, from its tsvector (positions carry A/B/C).
TERMS = """
  SELECT u.lexeme, {id}, max(CASE w WHEN 'A' THEN 4 WHEN 'B' THEN 2 ELSE 1 END)::smallint
  FROM unnest({vector}) AS u, unnest(coalesce(u.weights, '{{D}}'::text[])) AS w
  GROUP BY u.lexeme
"""

UP = [
    """
    CREATE TABLE fts_product_terms (
      term text COLLATE "C" NOT NULL,
      product_id varchar NOT NULL,
      weight smallint NOT NULL
    )
    """,
    # A product's words (the trigger's DELETE, a second word's weight): deduplicated by btree,
    # a tenth of the size (product_id, term) would take. The trigger keeps (term, product_id)
    # unique (one row per word of a product), so no constraint pays for checking it.
    "CREATE INDEX fts_product_terms_product ON fts_product_terms (product_id)",
    # A query word is a range of this index (its prefix); index-only, it never reads the table.
    "CREATE INDEX fts_product_terms_term ON fts_product_terms (term, weight, product_id)",
    f"""
    CREATE OR REPLACE FUNCTION berdaya_product_terms() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP <> 'INSERT' AND OLD.listed THEN  -- an unlisted product has no words here
        DELETE FROM fts_product_terms WHERE product_id = OLD.id;
      END IF;
      IF TG_OP <> 'DELETE' AND NEW.listed THEN
        INSERT INTO fts_product_terms (term, product_id, weight)
        {TERMS.format(id="NEW.id", vector="NEW.search_vector")};
      END IF;
      RETURN NULL;
    END
    $$
    """,  # noqa: S608 (a constant of this file)
    "CREATE TRIGGER products_terms_written AFTER INSERT OR DELETE ON products "
    "FOR EACH ROW EXECUTE FUNCTION berdaya_product_terms()",
    """
    CREATE OR REPLACE FUNCTION berdaya_product_terms_truncated() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      TRUNCATE fts_product_terms;
      RETURN NULL;
    END
    $$
    """,
    # Row triggers do not fire on TRUNCATE (of products, or cascading from businesses).
    "CREATE TRIGGER products_terms_truncated AFTER TRUNCATE ON products "
    "FOR EACH STATEMENT EXECUTE FUNCTION berdaya_product_terms_truncated()",
    "CREATE TRIGGER products_terms_updated AFTER UPDATE ON products FOR EACH ROW "
    "WHEN ((OLD.listed OR NEW.listed) AND (OLD.listed IS DISTINCT FROM NEW.listed "
    "OR OLD.search_vector IS DISTINCT FROM NEW.search_vector "
    "OR OLD.id IS DISTINCT FROM NEW.id)) "
    "EXECUTE FUNCTION berdaya_product_terms()",
    # Search pages kept by the workers (api.catalogue.cache) are made of these rows
    # only: any statement that writes them, whoever runs it, drops them all at its commit.
    """
    CREATE OR REPLACE FUNCTION berdaya_search_changed() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('berdaya_catalogue', 's:*');
      RETURN NULL;
    END
    $$
    """,
    "CREATE TRIGGER fts_product_terms_changed "
    "AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON fts_product_terms "
    "FOR EACH STATEMENT EXECUTE FUNCTION berdaya_search_changed()",
    f"""
    CREATE OR REPLACE FUNCTION berdaya_product_terms_rebuild() RETURNS bigint
    LANGUAGE plpgsql AS $$
    DECLARE
      written bigint;
    BEGIN
      TRUNCATE fts_product_terms;
      INSERT INTO fts_product_terms (term, product_id, weight)
      SELECT t.* FROM products AS p,
        LATERAL ({TERMS.format(id="p.id", vector="p.search_vector")}) AS t
      WHERE p.listed;
      GET DIAGNOSTICS written = ROW_COUNT;
      RETURN written;
    END
    $$
    """,  # noqa: S608 (a constant of this file)
    "SELECT berdaya_product_terms_rebuild()",
    "ANALYZE fts_product_terms",
]
DOWN = [
    "DROP TRIGGER IF EXISTS products_terms_updated ON products",
    "DROP TRIGGER IF EXISTS products_terms_written ON products",
    "DROP TRIGGER IF EXISTS products_terms_truncated ON products",
    "DROP FUNCTION IF EXISTS berdaya_product_terms_truncated()",
    "DROP FUNCTION IF EXISTS berdaya_product_terms_rebuild()",
    "DROP FUNCTION IF EXISTS berdaya_product_terms()",
    "DROP TABLE IF EXISTS fts_product_terms",
    "DROP FUNCTION IF EXISTS berdaya_search_changed()",
]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in UP:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in DOWN:
        op.execute(statement)
