"""The framework floor: a bare Flask endpoint answering fixed JSON the size of a product.

With ``FLOOR_COMPRESS=1`` (``bench/run.py --accept-encoding``) it compresses as the app does
(``api.http.compression.install``), and its padding is words that compress about as a
product's document does, not one letter repeated."""

from __future__ import annotations

import json
import os
import random

from flask import Flask, Response

app = Flask(__name__)
SIZE = int(os.environ.get("FLOOR_BYTES", "1500"))
COMPRESS = os.environ.get("FLOOR_COMPRESS") == "1"
if COMPRESS:
    from api.http import compression

    compression.install(app)  # the app's own settings and hooks
    _rng = random.Random(1)
    _words = " ".join(
        "".join(_rng.choice("bdgklmnprstw") + _rng.choice("aiueo") for _ in range(3))
        for _ in range(SIZE // 5)
    )
    PADDING = _words[: max(SIZE - 40, 0)]
else:
    PADDING = "x" * max(SIZE - 40, 0)
BODY = json.dumps({"id": "prd_floor", "padding": PADDING})


@app.get("/floor")
def floor() -> Response:
    return Response(BODY, mimetype="application/json")
