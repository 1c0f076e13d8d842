"""The request parser: webargs' ``FlaskParser``, with too-deeply nested JSON treated as
malformed (400), and multipart bodies held to their schema like JSON ones."""

from __future__ import annotations

import json
from typing import Any

from flask import current_app
from marshmallow import ValidationError
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import MultiDict

from api.http.representation import FIELDS, VIEW, takes_view

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

    def load_querystring(self, req: Any, schema: Any) -> Any:
        """The query without ``fields`` (every GET takes it) and, on a list with a compact
        view, ``view``: ``Blueprint.response`` reads them (``api.http.representation``)."""
        ours = (
            (FIELDS, VIEW)
            if takes_view(current_app.view_functions.get(req.endpoint))
            else (FIELDS,)
        )
        if not any(name in req.args for name in ours):
            return super().load_querystring(req, schema)
        args = MultiDict((k, v) for k, v in req.args.items(multi=True) if k not in ours)
        return self._makeproxy(args, schema)

    def load_files(self, req: Any, schema: Any) -> Any:
        if req.form:
            raise ValidationError(
                {
                    name: [NOT_A_FILE if name in schema.fields else UNKNOWN_FIELD]
                    for name in req.form
                }
            )
        return super().load_files(req, schema)
