"""Who runs webhook deliveries, message deliveries and inbound messages: one piece of code each
(``webhooks.deliver``, ``messaging.delivery.deliver``, ``messaging.inbound.process``), three
ways to run them (a job's kind is its id's prefix: ``whd_``, ``msg_``, ``inb_``).

- ``thread`` (the embedded default): a thread in each app process wakes when deliveries are
  made and every WEBHOOK_SWEEP_SECONDS, and delivers what is due. No Redis, no other process.
- ``rq`` (production): each delivery is a job on Redis for ``flask webhooks-worker`` processes
  (RQ); capacity grows with workers. Every worker also sweeps: it queues retries that have come
  due and deliveries whose worker died (their lease ran out), once each (a Redis marker).
- ``none``: this process makes deliveries but leaves them to others (tests, or web servers
  beside workers that sweep).

Deliveries are rows claimed by a conditional update, so running two of anything is safe.
"""

from __future__ import annotations

import logging
import threading
from typing import Protocol

from flask import Flask, current_app

from api.dependencies import Outage, add_check, redis_options
from api.services import webhooks
from api.services.messaging import delivery, inbound
from api.state import get_state

log = logging.getLogger(__name__)


class Dispatcher(Protocol):
    def wake(self, delivery_ids: list[str]) -> None: ...

    def sweep(self) -> int: ...


class NoDispatcher:
    def wake(self, delivery_ids: list[str]) -> None:
        pass

    def sweep(self) -> int:
        return 0


def run_one(app: Flask, job_id: str) -> str:
    """One job by its id's kind: a webhook delivery, a message, or an inbound message."""
    state = get_state(app)
    if job_id.startswith("msg_"):
        return delivery.deliver(state.sessionmaker, state.settings, job_id)
    if job_id.startswith("inb_"):
        return inbound.process(state.sessionmaker, state.settings, state.tools.messenger, job_id)
    return webhooks.deliver(state.sessionmaker, state.settings, job_id)


def due_jobs(app: Flask, *, limit: int = 200) -> list[str]:
    state = get_state(app)
    return [
        *inbound.pending(state.sessionmaker, limit=limit),
        *delivery.due(state.sessionmaker, limit=limit),
        *webhooks.due(state.sessionmaker, limit=limit),
    ]


def deliver_due(app: Flask) -> int:
    """Run every job that is due, here and now; how many attempts were made."""
    made = 0
    for job_id in due_jobs(app):
        if run_one(app, job_id) != "skipped":
            made += 1
    return made


class ThreadDispatcher:
    """A daemon thread of the app process, started with the first request."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.interval = get_state(app).settings.webhook_sweep_seconds
        self._wakeup = threading.Event()
        self._stopped = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        with self._lock:
            if self._stopped.is_set():
                return
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="berdaya-webhooks", daemon=True
                )
                self._thread.start()

    def wake(self, delivery_ids: list[str]) -> None:
        self.start()
        self._wakeup.set()

    def sweep(self) -> int:
        return deliver_due(self.app)

    def stop(self, timeout: float = 10.0) -> None:
        """End the thread (an app whose database goes away for good: an embedding, a test),
        after the round it may be in; it is not started again."""
        self._stopped.set()
        self._wakeup.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _run(self) -> None:
        while True:
            self._wakeup.wait(self.interval)
            self._wakeup.clear()
            if self._stopped.is_set():
                return
            try:
                with self.app.app_context():
                    deliver_due(self.app)
            except Exception:  # the loop must outlive a database that is briefly away
                log.exception("webhook deliveries failed; trying again shortly")


class RQDispatcher:
    """Jobs on Redis for ``flask webhooks-worker``."""

    def __init__(self, app: Flask) -> None:
        from redis import Redis
        from rq import Queue

        self.app = app
        settings = get_state(app).settings
        self.redis = Redis.from_url(settings.jobs_redis_url, **redis_options(settings))
        self.queue = Queue(settings.jobs_queue, connection=self.redis)
        self.outage = Outage("webhook jobs Redis")
        self.job_timeout = settings.webhook_timeout_seconds + 30
        self.marker_seconds = int(webhooks.lease(settings).total_seconds())

    def wake(self, delivery_ids: list[str]) -> None:
        """Queue the deliveries; while Redis is away (``Outage``), leave them to the sweep:
        the rows are safe, and the request does not wait."""
        if not self.outage.available():
            return
        try:
            for delivery_id in delivery_ids:
                self._enqueue(delivery_id)
        except Exception as error:
            self.outage.failed(error)
        else:
            self.outage.succeeded()

    def _enqueue(self, delivery_id: str) -> None:
        self.queue.enqueue(
            run_job,
            delivery_id,
            job_timeout=self.job_timeout,
            result_ttl=0,
            failure_ttl=24 * 3600,
        )

    def sweep(self) -> int:
        """Queue what is due and not queued lately (a marker per delivery and attempt)."""
        queued = 0
        for delivery_id in due_jobs(self.app, limit=1000):
            marker = f"berdaya:webhooks:queued:{delivery_id}"
            if self.redis.set(marker, 1, nx=True, ex=self.marker_seconds):
                self._enqueue(delivery_id)
                queued += 1
        return queued


def run_job(job_id: str) -> str:
    """The RQ job: one attempt (the worker runs inside the app's context)."""
    return run_one(current_app._get_current_object(), job_id)  # type: ignore[attr-defined]


deliver_job = run_job  # jobs queued before messages joined the engine


def make_dispatcher(app: Flask) -> Dispatcher:
    backend = get_state(app).settings.jobs_backend
    if backend == "rq":
        return RQDispatcher(app)
    if backend == "thread":
        return ThreadDispatcher(app)
    return NoDispatcher()


def init(app: Flask) -> None:
    """Give the app its dispatcher; the webhooks service wakes it after each commit."""
    dispatcher = make_dispatcher(app)
    app.extensions["berdaya_jobs"] = dispatcher
    if isinstance(dispatcher, RQDispatcher):
        add_check(app, "jobs", dispatcher.redis.ping)

    def wake(delivery_ids: list[str]) -> None:
        from flask import has_app_context

        if has_app_context():
            current_app.extensions["berdaya_jobs"].wake(delivery_ids)

    webhooks.on_new_deliveries(wake)
    delivery.on_new_messages(wake)
    inbound.on_new_inbound(wake)
    if isinstance(dispatcher, ThreadDispatcher):
        # Started by the first request, in the process that serves (not before a fork).
        app.before_request(dispatcher.start)


def dispatcher_of(app: Flask) -> Dispatcher:
    dispatcher: Dispatcher = app.extensions["berdaya_jobs"]
    return dispatcher


def stop(app: Flask) -> None:
    """Stop the app's embedded delivery thread, if it has one (nothing else runs here)."""
    dispatcher = dispatcher_of(app)
    if isinstance(dispatcher, ThreadDispatcher):
        dispatcher.stop()


def run_worker(app: Flask, *, burst: bool = False) -> None:
    """An RQ worker for webhook jobs, with a sweeper thread beside it."""
    from rq import SimpleWorker

    dispatcher = dispatcher_of(app)
    if not isinstance(dispatcher, RQDispatcher):
        raise RuntimeError("flask webhooks-worker needs JOBS_BACKEND=rq and JOBS_REDIS_URL")
    interval = get_state(app).settings.webhook_sweep_seconds
    stop = threading.Event()

    def sweeper() -> None:
        while not stop.wait(interval):
            try:
                with app.app_context():
                    count = dispatcher.sweep()
                if count:
                    log.info("queued %d due webhook deliveries", count)
            except Exception:
                log.exception("webhook sweep failed; trying again shortly")

    with app.app_context():
        dispatcher.sweep()
        thread = threading.Thread(target=sweeper, name="berdaya-webhook-sweeper", daemon=True)
        thread.start()
        try:
            SimpleWorker([dispatcher.queue], connection=dispatcher.redis).work(burst=burst)
        finally:
            stop.set()
