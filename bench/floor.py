"""The framework floor: a bare Flask endpoint answering fixed JSON the size of a product."""

from __future__ import annotations

import json
import os

from flask import Flask, Response

app = Flask(__name__)
SIZE = int(os.environ.get("FLOOR_BYTES", "1500"))
BODY = json.dumps({"id": "prd_floor", "padding": "x" * max(SIZE - 40, 0)})


@app.get("/floor")
def floor() -> Response:
    return Response(BODY, mimetype="application/json")
