"""gunicorn's settings for Berdaya, read by ``gunicorn wsgi:app`` started in this directory
(``make run``; production: README "Production"). Workers, threads and the address come from
the command line or ``WEB_CONCURRENCY``; what is set here is the same everywhere."""

import gc
from typing import Any

from api.serving import LIMITS, answer_in_problems

# The workers share the master's memory until they write to it, and the garbage collector
# writes to every object it examines. So the master builds the app without collecting (no
# holes left in its pages), freezes what it holds before each fork (``gc.freeze``: the
# collector of a worker never examines those objects, so it neither copies their pages nor
# spends time on them), and each worker collects its own objects as usual. This is the
# procedure the ``gc.freeze`` documentation gives for a process that forks without exec;
# bench/README.md has what it saves.
gc.disable()

limit_request_line = LIMITS["limit_request_line"]
limit_request_fields = LIMITS["limit_request_fields"]
limit_request_field_size = LIMITS["limit_request_field_size"]

answer_in_problems()

# Workers are forks of the app the master built once: a worker started later (after a crash,
# ``max_requests``, or a SIGHUP) answers within milliseconds instead of importing and building
# the app again (~2.4 s of CPU; 20 s and more on a loaded machine). What cannot cross a fork is
# made again in each worker: database pools (``api.db``: emptied in the child), threads (the
# view counter, the catalogue's listener, the replica check and the webhook thread start in the
# process that first needs them), locks held at the fork (``api.catalogue.cache``); Redis
# clients reconnect by themselves. New code needs a restart of the master, not a SIGHUP.
preload_app = True


def when_ready(server: Any) -> None:
    """The master keeps no database connection of its own once the app is built, and
    collects its own garbage again (what it held then is frozen at each fork)."""
    from api.db import release_connections

    release_connections()
    gc.enable()


def on_reload(server: Any) -> None:
    """A SIGHUP reads this file again (which turns the collector off) and keeps the app built:
    the master collects again before it forks the new workers."""
    gc.enable()


def pre_fork(server: Any, worker: Any) -> None:
    gc.freeze()


def post_fork(server: Any, worker: Any) -> None:
    gc.enable()


def on_starting(server: Any) -> None:
    """Refuse settings that cannot work with this many workers (before any is started)."""
    from api.config import load_settings, validate_workers

    validate_workers(load_settings(), server.cfg.workers)
