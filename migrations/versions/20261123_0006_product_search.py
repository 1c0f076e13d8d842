"""product search: PostgreSQL full-text (unaccented, weighted) and SQLite FTS5

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 12:00:00

Kept out of the models on purpose (migrations/env.py ignores the ``fts_`` objects and the
``search_vector`` column), because the two backends index text in different ways behind one
contract: words of the name, tags and description, accents folded, prefixes matching.

SQLite note: FTS5 here is an external-content table synchronised by triggers on ``products``.
A later migration that rebuilds ``products`` in batch mode must recreate the triggers and run
``INSERT INTO fts_products(fts_products) VALUES ('rebuild')``.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POSTGRES_UP = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    # unaccent() is only STABLE; pinning the dictionary makes this wrapper safe to mark
    # IMMUTABLE, which a generated column requires.
    """
    CREATE OR REPLACE FUNCTION berdaya_search_vector(name text, tags text, description text)
    RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
      SELECT setweight(to_tsvector('simple', public.unaccent('public.unaccent'::regdictionary,
                                                               coalesce(name, ''))), 'A')
          || setweight(to_tsvector('simple', public.unaccent('public.unaccent'::regdictionary,
                                                               coalesce(tags, ''))), 'B')
          || setweight(to_tsvector('simple', public.unaccent('public.unaccent'::regdictionary,
                                                               coalesce(description, ''))), 'C')
    $$
    """,
    """
    CREATE OR REPLACE FUNCTION berdaya_unaccent(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
      SELECT public.unaccent('public.unaccent'::regdictionary, $1)
    $$
    """,
    """
    ALTER TABLE products ADD COLUMN search_vector tsvector
      GENERATED ALWAYS AS (berdaya_search_vector(name, tags::text, description)) STORED
    """,
    "CREATE INDEX fts_products_search_vector ON products USING gin (search_vector)",
]
POSTGRES_DOWN = [
    "DROP INDEX IF EXISTS fts_products_search_vector",
    "ALTER TABLE products DROP COLUMN IF EXISTS search_vector",
    "DROP FUNCTION IF EXISTS berdaya_search_vector(text, text, text)",
    "DROP FUNCTION IF EXISTS berdaya_unaccent(text)",
]
SQLITE_UP = [
    """
    CREATE VIRTUAL TABLE fts_products USING fts5(
      name, tags, description,
      content='products', content_rowid='rowid',
      tokenize='unicode61 remove_diacritics 2'
    )
    """,
    """
    CREATE TRIGGER fts_products_after_insert AFTER INSERT ON products BEGIN
      INSERT INTO fts_products(rowid, name, tags, description)
      VALUES (new.rowid, new.name, new.tags, new.description);
    END
    """,
    """
    CREATE TRIGGER fts_products_after_delete AFTER DELETE ON products BEGIN
      INSERT INTO fts_products(fts_products, rowid, name, tags, description)
      VALUES ('delete', old.rowid, old.name, old.tags, old.description);
    END
    """,
    """
    CREATE TRIGGER fts_products_after_update AFTER UPDATE ON products BEGIN
      INSERT INTO fts_products(fts_products, rowid, name, tags, description)
      VALUES ('delete', old.rowid, old.name, old.tags, old.description);
      INSERT INTO fts_products(rowid, name, tags, description)
      VALUES (new.rowid, new.name, new.tags, new.description);
    END
    """,
    "INSERT INTO fts_products(fts_products) VALUES ('rebuild')",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS fts_products_after_insert",
    "DROP TRIGGER IF EXISTS fts_products_after_delete",
    "DROP TRIGGER IF EXISTS fts_products_after_update",
    "DROP TABLE IF EXISTS fts_products",
]


def _run(statements: list[str]) -> None:
    for statement in statements:
        op.execute(statement)


def upgrade() -> None:
    _run(POSTGRES_UP if op.get_context().dialect.name == "postgresql" else SQLITE_UP)


def downgrade() -> None:
    _run(POSTGRES_DOWN if op.get_context().dialect.name == "postgresql" else SQLITE_DOWN)
