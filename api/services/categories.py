"""The product taxonomy."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db import READ_ONLY, read_rows
from api.errors import Conflict, NotFound, ValidationFailed
from api.models import Category
from api.pagination import Page, sort_options
from api.services import changes

SORTS = sort_options(Category, slug=["slug"], created_at=["created_at"])


def list_categories(
    session: Session,
    *,
    parent: str | None = None,
    top_level: bool | None = None,
    sort: str = "slug",
    limit: int,
    cursor: str | None = None,
    updated_since: dt.datetime | None = None,
) -> Page[Category]:
    """Categories, optionally only the children of one or only the top level."""
    stmt = select(Category)
    if parent:
        stmt = stmt.where(Category.parent_id == parent)
    if top_level is not None:
        column = Category.parent_id
        stmt = stmt.where(column.is_(None) if top_level else column.is_not(None))
    return changes.paginate_changes(
        session,
        stmt,
        model=Category,
        since=updated_since,
        sort=sort,
        options=SORTS,
        limit=limit,
        cursor=cursor,
    )


def get_category(session: Session, category_id: str) -> Category:
    category = session.get(Category, category_id)
    if category is None:
        raise NotFound()
    return category


_TAXONOMY = "categories.taxonomy"  # ``Session.info``'s key: the taxonomy, read once a session
_TAXONOMY_ROWS = select(Category.id, Category.slug, Category.parent_id)


def _taxonomy(session: Session) -> list[tuple[str, str, str | None]]:
    """Every category's id, slug and parent (a few dozen rows). A GET's session, which may not
    write (``api.db.READ_ONLY``), reads them once: a filter by category resolves its reference
    and takes its subcategories from one statement, and the next request reads them again.
    Any other session reads them each time, as it may have changed them."""
    rows: list[tuple[str, str, str | None]] | None = session.info.get(_TAXONOMY)
    if rows is None:
        rows = [(row.id, row.slug, row.parent_id) for row in read_rows(session, _TAXONOMY_ROWS)]
        if session.info.get(READ_ONLY):
            session.info[_TAXONOMY] = rows
    return rows


def resolve(session: Session, reference: str) -> str | None:
    """The id of the category with this id or slug, or None."""
    for category_id, slug, _parent in _taxonomy(session):
        if reference in (category_id, slug):
            return category_id
    return None


def require_category(session: Session, category_id: str, *, field: str = "category_id") -> Category:
    """The category, or a 422 naming the field."""
    category = session.get(Category, category_id)
    if category is None:
        raise ValidationFailed(errors={field: ["Unknown category."]})
    return category


def create_category(session: Session, *, data: Mapping[str, Any]) -> Category:
    """Add a category (platform admins; the route checks the role)."""
    if data.get("parent_id"):
        require_category(session, data["parent_id"], field="parent_id")
    if session.scalar(select(Category.id).where(Category.slug == data["slug"])):
        raise Conflict(
            "already_exists", params={"field": "slug"}, errors={"slug": ["Already used."]}
        )
    category = Category(**data)
    session.add(category)
    session.flush()
    return category


def with_descendants(session: Session, category_id: str) -> list[str]:
    """The category's id and those of every category below it."""
    children: dict[str | None, list[str]] = {}
    for child, _slug, parent in _taxonomy(session):
        children.setdefault(parent, []).append(child)
    found, stack = [], [category_id]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(children.get(current, []))
    return found
