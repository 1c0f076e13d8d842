"""gunicorn's settings for Berdaya, read by ``gunicorn wsgi:app`` started in this directory
(``make run``; production: README "Production"). Workers, threads and the address come from
the command line or ``WEB_CONCURRENCY``; what is set here is the same everywhere."""

from typing import Any

from api.serving import LIMITS, answer_in_problems

limit_request_line = LIMITS["limit_request_line"]
limit_request_fields = LIMITS["limit_request_fields"]
limit_request_field_size = LIMITS["limit_request_field_size"]

answer_in_problems()


def on_starting(server: Any) -> None:
    """Refuse settings that cannot work with this many workers (before any is started)."""
    from api.config import load_settings, validate_workers

    validate_workers(load_settings(), server.cfg.workers)
