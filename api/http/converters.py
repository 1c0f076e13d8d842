"""URL converters of the API's routes, with the schema the OpenAPI document gives them."""

from __future__ import annotations

import re
from typing import Any

from werkzeug.routing import BaseConverter, Map

ID_MAX = 60


class IdConverter(BaseConverter):
    """An id of one type, ``<id(pho):photo_id>``: its prefix, an underscore and the rest
    (``pho_01J...``). Where a sibling route has a fixed segment (``photos/order``), the id
    cannot be mistaken for it."""

    def __init__(self, map: Map, prefix: str) -> None:
        super().__init__(map)
        self.prefix = prefix
        self.regex = rf"{re.escape(prefix)}_[^/]{{1,{ID_MAX}}}"


def id_schema(converter: IdConverter) -> dict[str, Any]:
    return {
        "type": "string",
        "pattern": rf"^{re.escape(converter.prefix)}_[^/]{{1,{ID_MAX}}}$",
        "maxLength": len(converter.prefix) + 1 + ID_MAX,
    }
