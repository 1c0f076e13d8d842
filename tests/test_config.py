"""Settings from the environment; unsafe production settings are refused."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from api import create_app
from api.config import DEFAULT_SECRET_KEY, ConfigError, load_settings

ROOT = Path(__file__).resolve().parent.parent
PUBLIC = {"PUBLIC_BASE_URL": "https://berdaya.example.id"}


def test_production_refuses_the_default_secret() -> None:
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_settings({"BERDAYA_ENV": "production"})
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({"env": "production", "database_url": "sqlite://"})
    with pytest.raises(ConfigError, match="32"):
        load_settings({"BERDAYA_ENV": "production", "SECRET_KEY": "short"})
    settings = load_settings({"BERDAYA_ENV": "production", "SECRET_KEY": "s" * 48, **PUBLIC})
    assert settings.secret_key == "s" * 48 and not settings.is_development


def test_production_requires_the_public_address() -> None:
    """Share pages would otherwise build their links from the caller's Host header."""
    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL"):
        load_settings({"BERDAYA_ENV": "production", "SECRET_KEY": "s" * 48})
    assert load_settings({"BERDAYA_ENV": "development"}).public_base_url == ""


def test_the_default_environment_is_production() -> None:
    with pytest.raises(ConfigError):
        load_settings({})
    assert load_settings({"BERDAYA_ENV": "development"}).secret_key == DEFAULT_SECRET_KEY


def test_environment_variables_are_read_and_checked() -> None:
    settings = load_settings(
        {
            "BERDAYA_ENV": "development",
            "DATABASE_URL": "postgres://u:p@db:5432/berdaya",
            "ACCESS_TOKEN_TTL_SECONDS": "300",
            "MAX_BODY_BYTES": "2048",
        }
    )
    assert settings.database_url == "postgresql+psycopg://u:p@db:5432/berdaya"
    assert settings.access_token_ttl_seconds == 300 and settings.max_body_bytes == 2048
    with pytest.raises(ConfigError, match="ACCESS_TOKEN_TTL_SECONDS"):
        load_settings({"BERDAYA_ENV": "development", "ACCESS_TOKEN_TTL_SECONDS": "soon"})
    with pytest.raises(ConfigError, match="BERDAYA_ENV"):
        load_settings({"BERDAYA_ENV": "staging"})
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        load_settings({"BERDAYA_ENV": "development", "DATABASE_URL": "mysql://x"})
    with pytest.raises(ConfigError, match="IDEMPOTENCY_TTL_HOURS"):
        load_settings({"BERDAYA_ENV": "development", "IDEMPOTENCY_TTL_HOURS": "24"})
    with pytest.raises(ConfigError, match="cheapest"):
        load_settings({"BERDAYA_ENV": "development"}, {"password_hash_profile": "cheapest"})


def test_importing_creates_nothing(tmp_path: Path) -> None:
    """No app, engine, file or connection comes into being at import time."""
    target = tmp_path / "should-not-exist" / "db.sqlite3"
    code = (
        "import api, api.models, api.resources, api.services.policies, api.schemas.accounts\n"
        "import api.http.blueprint, api.cli, api.cli.demo\n"
        "assert not hasattr(api, 'app')\n"
    )
    env = {"DATABASE_URL": f"sqlite:///{target}", "BERDAYA_ENV": "production", "PATH": ""}
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, env=env, timeout=60)
    assert not target.parent.exists()


def test_webhooks_may_reach_this_machine_in_development_only() -> None:
    from api.config import load_settings

    assert load_settings({"BERDAYA_ENV": "development"}).webhook_allow_networks.startswith(
        "127.0.0.0/8"
    )
    production = {"BERDAYA_ENV": "production", "SECRET_KEY": "k" * 40, **PUBLIC}
    assert load_settings(production).webhook_allow_networks == ""
    explicit = {"BERDAYA_ENV": "development", "WEBHOOK_ALLOW_NETWORKS": ""}
    assert load_settings(explicit).webhook_allow_networks == ""
    for bad in (
        {"WEBHOOK_ALLOW_NETWORKS": "localhost"},
        {"JOBS_BACKEND": "rq"},
        {"EVENT_RETENTION_DAYS": "30"},
        {"JOBS_BACKEND": "celery"},
    ):
        with pytest.raises(ConfigError):
            load_settings({"BERDAYA_ENV": "development", **bad})


def test_the_readme_documents_every_setting() -> None:
    from pathlib import Path

    from api.config import ENV_VARS

    root = Path(__file__).resolve().parent.parent
    readme = "\n".join(p.read_text() for p in [root / "README.md", *root.glob("docs/*.md")])
    assert [v for v in ENV_VARS if f"`{v}`" not in readme] == []


def test_an_empty_rate_limit_turns_limits_off_as_the_readme_says() -> None:
    assert (
        load_settings({"BERDAYA_ENV": "development", "RATE_LIMIT_DEFAULT": ""}).rate_limit_default
        == ""
    )
    assert load_settings({"BERDAYA_ENV": "development"}).rate_limit_default == "600 per minute"
    # Other empty variables keep their defaults.
    assert load_settings({"BERDAYA_ENV": "development", "DATABASE_URL": ""}).database_url
