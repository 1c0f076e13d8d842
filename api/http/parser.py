"""The request parser: webargs' ``FlaskParser``, with too-deeply nested JSON treated as
malformed (400), and multipart bodies held to their schema like JSON ones."""

from __future__ import annotations

import json
from typing import Any

from marshmallow import ValidationError
from webargs.flaskparser import FlaskParser

NOT_A_FILE = "Not a file."
UNKNOWN_FIELD = "Unknown field."


class JSONParser(FlaskParser):
    """webargs' parser, with too-deeply nested JSON treated as malformed (400), not a crash,
    and multipart bodies held to their schema like JSON ones: a part the schema does not
    name is an unknown field (422), and so is text where a file belongs."""

    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "files": None}

    def _raw_load_json(self, req: Any) -> Any:
        try:
            return super()._raw_load_json(req)
        except RecursionError:
            raise json.JSONDecodeError("nested too deeply", "<request body>", 0) from None

    def load_files(self, req: Any, schema: Any) -> Any:
        if req.form:
            raise ValidationError(
                {
                    name: [NOT_A_FILE if name in schema.fields else UNKNOWN_FIELD]
                    for name in req.form
                }
            )
        return super().load_files(req, schema)
