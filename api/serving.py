"""How gunicorn serves the app (``gunicorn.conf.py`` at the repository's root uses this).

Request-line and header limits are set deliberately (``LIMITS``), and what gunicorn answers by
itself, before the app sees a request (a request line or headers over those limits, a
malformed request), is a problem+json like every other error, not gunicorn's HTML page.
Workers that would each count rate limits in memory are refused in production
(``config.validate_workers``).
"""

from __future__ import annotations

import json
from typing import Any

# gunicorn's own limits, chosen rather than inherited: the longest request line the API needs
# (a search with every filter and a cursor) is well under 2 KB; clients send about 15
# headers, a proxy adds a few; the largest header is a bearer token (under 1 KB).
LIMITS = {
    "limit_request_line": 4094,  # bytes of "GET /v1/...?... HTTP/1.1"; longer: 414
    "limit_request_fields": 64,  # headers; more: 431
    "limit_request_field_size": 8190,  # bytes of one header line; longer: 431
}

# What gunicorn answers with, as problem codes (api.i18n has their text).
FRONT_CODES = {
    400: "bad_request",
    403: "forbidden",
    414: "uri_too_long",
    417: "bad_request",
    431: "header_fields_too_large",
    500: "internal_error",
    501: "bad_request",
}


def problem_bytes(status: int, reason: str) -> bytes:
    """The whole HTTP response gunicorn sends for a request it refused by itself."""
    from api.i18n import DEFAULT_LANGUAGE, problem_text

    code = FRONT_CODES.get(status, "bad_request")
    params = {
        "line": LIMITS["limit_request_line"],
        "fields": LIMITS["limit_request_fields"],
        "size": LIMITS["limit_request_field_size"],
    }
    title, detail = problem_text(code, DEFAULT_LANGUAGE, params)
    body = json.dumps(
        {
            "type": f"urn:berdaya:problem:{code}",
            "title": title,
            "status": status,
            "detail": detail,
            "code": code,
        }
    ).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/problem+json\r\n"
        f"Content-Language: {DEFAULT_LANGUAGE}\r\n"
        "X-Content-Type-Options: nosniff\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("latin-1") + body


def answer_in_problems() -> None:
    """Make gunicorn's own error answers problem+json (it has no setting for their shape:
    its workers call ``gunicorn.util.write_error``, replaced here in the master before it
    forks them)."""
    from gunicorn import util  # type: ignore[import-untyped]

    def write_error(sock: Any, status_int: int, reason: str, mesg: str) -> None:
        util.write_nonblock(sock, problem_bytes(int(status_int), str(reason)))

    util.write_error = write_error
