"""Each other word of a search looked up in the product's own words, not in the word's range

A search of two words whose rarer one has at most RANK_CANDIDATES matches ranks each of them
by looking the other word up per product (``api.catalogue.search._ranked_by_terms``). With only
(term, weight, product_id) and (product_id) indexes, PostgreSQL walked the other word's whole
range for every product: "babupibe lanupume" (124 and thousands of matches) took 316 ms at a
million products, the p99 of the whole vocabulary's searches. With (product_id, term), each
lookup reads the product's few words: 3.8 ms. The (product_id) index it replaces was used only
to delete a product's words, which the new one serves as well.

Revision ID: 0041
Revises: 0040
Create Date: 2026-12-06 05:45:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0041"
down_revision: str | None = "0040"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite searches with FTS5 (fts_products), not this table
    op.execute(
        "CREATE INDEX fts_product_terms_product_term ON fts_product_terms (product_id, term)"
        " INCLUDE (weight)"
    )
    op.execute("DROP INDEX fts_product_terms_product")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE INDEX fts_product_terms_product ON fts_product_terms (product_id)")
    op.execute("DROP INDEX fts_product_terms_product_term")
