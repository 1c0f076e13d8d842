"""Settings read from the environment, validated once when the app is created."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

DEFAULT_SECRET_KEY = "berdaya-development-secret-do-not-use-in-production"
ENVIRONMENTS = ("development", "testing", "production")
MESSAGING_PROVIDERS = ("outbox", "whatsapp", "sms")


class ConfigError(RuntimeError):
    """The configuration cannot be used; the message says which variable and why."""


@dataclass(frozen=True)
class Settings:
    """Every setting Berdaya reads; README.md lists the environment variable of each."""

    env: str = "production"
    secret_key: str = DEFAULT_SECRET_KEY
    database_url: str = "sqlite:///var/berdaya.sqlite3"
    # A streaming replica for anonymous public reads (api.replica); empty: all on the primary.
    database_replica_url: str = ""
    # A replica further behind than this (seconds) is skipped until it catches up.
    replica_max_lag_seconds: int = 2
    access_token_ttl_seconds: int = 900
    refresh_token_ttl_days: int = 30
    max_body_bytes: int = 1024 * 1024
    idempotency_ttl_hours: int = 7 * 24
    login_max_failures: int = 5
    login_failure_window_minutes: int = 15
    contact_daily_limit: int = 20
    media_root: str = "var/media"
    media_url: str = "/media/"
    # Files only the API serves (disbursement evidence); default: <MEDIA_ROOT>-private.
    private_root: str = ""
    public_base_url: str = ""
    rate_limit_storage_url: str = "memory://"
    rate_limit_default: str = "600 per minute"
    # Per address (per route: registration, sign-in, refresh each count apart): a class of 40
    # registering and signing in on one school Wi-Fi or carrier CGNAT fits, with typos to spare.
    # Guessing one account's password is stopped by the lockout (LOGIN_MAX_FAILURES), not this.
    rate_limit_login: str = "120 per minute; 600 per hour"
    rate_limit_contact: str = "30 per minute"
    rate_limit_api_key: str = "1200 per minute"
    # Program statistics (/v1/stats/...): heavier than a page, and public.
    rate_limit_stats: str = "60 per minute"
    # How long an anonymous statistics answer is kept and may be kept by browsers and proxies
    # (figures move with monthly check-ins); 0: computed for every request.
    stats_cache_seconds: int = 300
    # 1: accept memory:// limits in production with several workers (each counts on its own).
    rate_limit_memory_per_worker: int = 0
    # How long any Redis client waits to connect and for each answer (no retries).
    redis_timeout_ms: int = 500
    # The general budget (RATE_LIMIT_DEFAULT, RATE_LIMIT_API_KEY) on Redis: each process decides
    # from what it knows and sends what it served in one batch every this many milliseconds
    # (0: one round trip a request, exact). Sign-in, contact and statistics limits stay exact.
    rate_limit_sync_ms: int = 20
    cors_origins: str = ""
    event_retention_days: int = 90
    # How often each process adds the product views it counted to the database.
    view_flush_seconds: int = 10
    # Who delivers webhooks: "thread" (a thread of each app process; the embedded default),
    # "rq" (jobs on Redis for `flask webhooks-worker` processes), "none" (another process does).
    jobs_backend: str = "thread"
    jobs_redis_url: str = ""
    jobs_queue: str = "berdaya-webhooks"
    webhook_sweep_seconds: int = 10
    webhook_timeout_seconds: int = 10
    webhook_retry_hours: int = 24
    webhook_retry_base_seconds: int = 30
    webhook_disable_after_hours: int = 72
    # Networks a webhook may reach although they are private (a receiver on the same host in
    # development, say: "127.0.0.1/32"); plain http is allowed to these only.
    webhook_allow_networks: str = ""
    # A CA bundle for the receivers' certificates (default: the system's).
    webhook_ca_file: str = ""
    storage_backend: str = "local"
    s3_bucket: str = ""
    s3_endpoint_url: str = ""
    s3_region: str = ""
    s3_public_url: str = ""
    s3_private_bucket: str = ""
    db_pool_size: int = 5
    # Public product and business documents each worker keeps encoded (PostgreSQL only; 0: off).
    catalogue_cache_size: int = 5000
    db_max_overflow: int = 10
    db_pool_timeout_seconds: int = 5
    trusted_proxy_hops: int = 0
    log_level: str = "INFO"
    # Who delivers messages to people: "outbox" (embedded; stored, listed at /v1/dev/outbox),
    # "whatsapp" (WhatsApp Business Cloud API; SMS by Twilio for numbers without WhatsApp when
    # TWILIO_* are set) or "sms" (Twilio's Messages API only). See docs/reach.md.
    messaging_provider: str = "outbox"
    whatsapp_api_url: str = "https://graph.facebook.com"
    whatsapp_api_version: str = "v21.0"
    whatsapp_phone_number_id: str = ""
    whatsapp_access_token: str = ""
    # Signs the status and reply callbacks (X-Hub-Signature-256) and the GET handshake's token.
    whatsapp_app_secret: str = ""
    whatsapp_verify_token: str = ""
    twilio_api_url: str = "https://api.twilio.com"
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    # The sender: a number (+62...) or a Messaging Service SID (MG...).
    twilio_from: str = ""
    messaging_timeout_seconds: int = 10
    messaging_retry_base_seconds: int = 30
    messaging_retry_hours: int = 24
    # Messages to one recipient per day (WIB) beyond which the rest are suppressed (codes apart).
    messaging_daily_cap: int = 5
    # "cheapest" exists for the test suite only: hashing at full cost would make it slow.
    password_hash_profile: str = "owasp"
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_development(self) -> bool:
        return self.env in ("development", "testing")


# Settings no environment variable sets: overrides for the test suite only.
NOT_FROM_ENVIRONMENT = frozenset(("extra", "password_hash_profile"))
# Environment variable -> settings field: the field's name in capitals, but for BERDAYA_ENV.
# Only these are read.
ENV_VARS: dict[str, str] = {
    ("BERDAYA_ENV" if f.name == "env" else f.name.upper()): f.name
    for f in fields(Settings)
    if f.name not in NOT_FROM_ENVIRONMENT
}


# Variables whose empty value means something: RATE_LIMIT_DEFAULT= turns rate limits off.
EMPTY_MEANS_OFF = frozenset(("RATE_LIMIT_DEFAULT",))


def load_settings(
    environ: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None
) -> Settings:
    """Build settings from the environment, then apply explicit overrides, then validate."""
    environ = os.environ if environ is None else environ
    types = {f.name: f.type for f in fields(Settings)}
    values: dict[str, Any] = {}
    for var, name in ENV_VARS.items():
        raw = environ.get(var)
        if raw is None or (raw == "" and var not in EMPTY_MEANS_OFF):
            continue
        values[name] = _parse(var, raw, types[name])
    settings = replace(Settings(), **values)
    known = {f.name for f in fields(Settings)}
    extra = {k: v for k, v in (overrides or {}).items() if k not in known}
    settings = replace(settings, **{k: v for k, v in (overrides or {}).items() if k in known})
    if extra:
        settings = replace(settings, extra={**settings.extra, **extra})
    settings = replace(
        settings,
        database_url=normalize_database_url(settings.database_url),
        database_replica_url=normalize_database_url(settings.database_replica_url),
    )
    if (
        settings.env == "development"
        and not settings.webhook_allow_networks
        and "WEBHOOK_ALLOW_NETWORKS" not in environ
    ):
        # A partner developer's receiver on her own machine (never outside development).
        settings = replace(settings, webhook_allow_networks="127.0.0.0/8,::1/128")
    validate(settings)
    return settings


def _parse(var: str, raw: str, type_name: object) -> Any:
    if type_name in ("int", int):
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"{var} must be a whole number, got {raw!r}") from None
    return raw


def normalize_database_url(url: str) -> str:
    """Accept the common postgres:// spellings and use the psycopg 3 driver for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def validate(settings: Settings) -> None:
    """Refuse settings that would be unsafe or cannot work."""
    if settings.env not in ENVIRONMENTS:
        raise ConfigError(f"BERDAYA_ENV must be one of {', '.join(ENVIRONMENTS)}")
    if settings.messaging_provider not in MESSAGING_PROVIDERS:
        raise ConfigError(f"MESSAGING_PROVIDER must be one of {', '.join(MESSAGING_PROVIDERS)}")
    needs = {
        "whatsapp": (
            "whatsapp_phone_number_id",
            "whatsapp_access_token",
            "whatsapp_app_secret",
            "whatsapp_verify_token",
        ),
        "sms": ("twilio_account_sid", "twilio_auth_token", "twilio_from"),
    }.get(settings.messaging_provider, ())
    for name in needs:
        if not getattr(settings, name):
            raise ConfigError(
                f"MESSAGING_PROVIDER={settings.messaging_provider} needs {name.upper()}"
            )
    if not settings.is_development:
        if settings.secret_key == DEFAULT_SECRET_KEY:
            raise ConfigError(
                "SECRET_KEY is the built-in development key; set a secret of 32+ random characters"
                " (python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        if len(settings.secret_key) < 32:
            raise ConfigError("SECRET_KEY must be at least 32 characters outside development")
        if not settings.public_base_url:
            raise ConfigError(
                "PUBLIC_BASE_URL is required outside development: the address the public"
                " reaches the app at, such as https://berdaya.id (share pages link to it,"
                " never to the request's Host header)"
            )
    if not settings.database_url.startswith(("sqlite:", "postgresql+psycopg:")):
        raise ConfigError("DATABASE_URL must be an sqlite:/// or postgresql:// URL")
    if settings.database_replica_url and not (
        settings.database_replica_url.startswith("postgresql+psycopg:")
        and settings.database_url.startswith("postgresql+psycopg:")
    ):
        raise ConfigError("DATABASE_REPLICA_URL needs PostgreSQL, as DATABASE_URL (postgresql://)")
    if settings.replica_max_lag_seconds <= 0:
        raise ConfigError("REPLICA_MAX_LAG_SECONDS must be positive")
    for name in (
        "access_token_ttl_seconds",
        "refresh_token_ttl_days",
        "max_body_bytes",
        "view_flush_seconds",
    ):
        if getattr(settings, name) <= 0:
            raise ConfigError(f"{name.upper()} must be positive")
    if not 0 <= settings.catalogue_cache_size <= 1_000_000:
        raise ConfigError("CATALOGUE_CACHE_SIZE must be between 0 (off) and 1000000")
    if settings.idempotency_ttl_hours < 7 * 24:
        raise ConfigError("IDEMPOTENCY_TTL_HOURS must be at least 168 (7 days)")
    if settings.password_hash_profile not in ("owasp", "rfc9106_low_memory", "cheapest"):
        raise ConfigError("password_hash_profile must be owasp, rfc9106_low_memory or cheapest")
    if settings.password_hash_profile == "cheapest" and settings.env != "testing":
        raise ConfigError("the cheapest password hash profile is only allowed in testing")
    validate_storage(settings)
    validate_limits(settings)
    validate_integration(settings)
    if not 1 <= settings.redis_timeout_ms <= 30_000:
        raise ConfigError("REDIS_TIMEOUT_MS must be between 1 and 30000")
    if settings.rate_limit_memory_per_worker not in (0, 1):
        raise ConfigError("RATE_LIMIT_MEMORY_PER_WORKER must be 0 or 1")
    if not 0 <= settings.rate_limit_sync_ms <= 1000:
        raise ConfigError("RATE_LIMIT_SYNC_MS must be between 0 and 1000")


def validate_integration(settings: Settings) -> None:
    import ipaddress

    if settings.event_retention_days < 90:
        raise ConfigError("EVENT_RETENTION_DAYS must be at least 90 (apps catch up from it)")
    if settings.jobs_backend not in ("thread", "rq", "none"):
        raise ConfigError("JOBS_BACKEND must be thread, rq or none")
    if settings.jobs_backend == "rq" and not settings.jobs_redis_url.startswith(
        ("redis://", "rediss://")
    ):
        raise ConfigError("JOBS_BACKEND=rq needs JOBS_REDIS_URL, a redis:// URL")
    for name in (
        "webhook_timeout_seconds",
        "webhook_retry_hours",
        "webhook_retry_base_seconds",
        "webhook_disable_after_hours",
        "webhook_sweep_seconds",
    ):
        if getattr(settings, name) <= 0:
            raise ConfigError(f"{name.upper()} must be positive")
    for network in filter(None, (n.strip() for n in settings.webhook_allow_networks.split(","))):
        try:
            ipaddress.ip_network(network)
        except ValueError:
            raise ConfigError(
                f"WEBHOOK_ALLOW_NETWORKS: {network!r} is not a network such as 127.0.0.1/32"
            ) from None


def validate_limits(settings: Settings) -> None:
    if not settings.rate_limit_storage_url.startswith(("memory://", "redis://", "rediss://")):
        raise ConfigError("RATE_LIMIT_STORAGE_URL must be memory:// or a redis:// URL")
    from limits import parse_many

    for name in (
        "rate_limit_default",
        "rate_limit_login",
        "rate_limit_contact",
        "rate_limit_api_key",
        "rate_limit_stats",
    ):
        value = getattr(settings, name)
        try:
            if value:
                parse_many(value)
        except ValueError:
            raise ConfigError(
                f"{name.upper()} is not a rate limit such as '60 per minute'"
            ) from None
    for origin in filter(None, (o.strip() for o in settings.cors_origins.split(","))):
        if not origin.startswith(("https://", "http://")) or origin.count("/") != 2:
            raise ConfigError(
                f"CORS_ORIGINS: {origin!r} is not an origin like https://app.example.id"
            )


def validate_workers(settings: Settings, workers: int) -> None:
    """Refuse in-memory rate limits in production with several worker processes: each would
    count on its own (two workers let twice the limit through), unless the operator said so
    (``RATE_LIMIT_MEMORY_PER_WORKER=1``). gunicorn.conf.py calls this before starting them."""
    if (
        settings.env == "production"
        and workers > 1
        and settings.rate_limit_default
        and settings.rate_limit_storage_url.startswith("memory://")
        and not settings.rate_limit_memory_per_worker
    ):
        raise ConfigError(
            f"RATE_LIMIT_STORAGE_URL is memory:// with {workers} workers: each would count"
            " rate limits on its own. Use a redis:// URL, or set RATE_LIMIT_MEMORY_PER_WORKER=1"
            " to accept per-worker limits"
        )


def validate_storage(settings: Settings) -> None:
    if settings.public_base_url and not settings.public_base_url.startswith(
        ("https://", "http://")
    ):
        raise ConfigError("PUBLIC_BASE_URL must be an http(s) address, such as https://berdaya.id")
    if settings.storage_backend not in ("local", "s3"):
        raise ConfigError("STORAGE_BACKEND must be local or s3")
    if settings.storage_backend == "local" and settings.private_root:
        media = Path(settings.media_root).resolve()
        private = Path(settings.private_root).resolve()
        if private == media or media in private.parents or private in media.parents:
            raise ConfigError("PRIVATE_ROOT must be outside MEDIA_ROOT (the public serves it)")
    if settings.storage_backend == "s3":
        if not settings.s3_bucket:
            raise ConfigError("STORAGE_BACKEND=s3 needs S3_BUCKET")
        if not settings.s3_public_url.startswith(("https://", "http://")):
            raise ConfigError(
                "STORAGE_BACKEND=s3 needs S3_PUBLIC_URL, the http(s) address clients fetch"
                " photos from (the bucket's public URL or a CDN in front of it)"
            )
        if not settings.s3_private_bucket or settings.s3_private_bucket == settings.s3_bucket:
            raise ConfigError(
                "STORAGE_BACKEND=s3 needs S3_PRIVATE_BUCKET, a bucket other than S3_BUCKET that"
                " the public cannot read (disbursement evidence goes there)"
            )
        try:
            import boto3  # noqa: F401
        except ImportError:
            raise ConfigError("STORAGE_BACKEND=s3 needs boto3: pip install 'berdaya[s3]'") from None
