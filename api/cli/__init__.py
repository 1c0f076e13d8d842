"""Operator commands: ``flask --app wsgi <command>`` (see README.md)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from api import migrate
from api.state import get_state


def register(app: Flask) -> None:
    for command in (
        db_upgrade,
        db_downgrade,
        load_regions,
        demo_data,
        create_admin,
        openapi_export,
        housekeeping,
        import_roster,
        webhooks_worker,
    ):
        app.cli.add_command(command)


@click.command("db-upgrade")
@with_appcontext
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply the database migrations."""
    url = get_state(current_app).settings.database_url
    click.echo(f"migrating {_safe_url(url)} to {revision}")
    migrate.upgrade(url, revision)
    click.echo("database is up to date")


@click.command("db-downgrade")
@with_appcontext
@click.option("--revision", required=True, help="Target revision, or 'base' for an empty database.")
def db_downgrade(revision: str) -> None:
    """Undo migrations down to a revision."""
    url = get_state(current_app).settings.database_url
    click.echo(f"downgrading {_safe_url(url)} to {revision}")
    migrate.downgrade(url, revision)
    click.echo("done")


@click.command("load-regions")
@with_appcontext
@click.option(
    "--file",
    "path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="A code,name CSV (default: data/regions.csv).",
)
def load_regions(path: Path | None) -> None:
    """Load or refresh the Indonesian regions (91,599 rows; seconds; safe to repeat)."""
    from api.services import regions

    state = get_state(current_app)
    with state.engine.begin() as connection:
        regions.load_regions(connection, path=path or regions.REGIONS_CSV, echo=click.echo)


@click.command("demo-data")
@with_appcontext
@click.option("--force", is_flag=True, help="Allow it outside development.")
def demo_data(force: bool) -> None:
    """Load realistic demo data (skipped when already there)."""
    from api.cli.demo import load_demo

    state = get_state(current_app)
    if not state.settings.is_development and not force:
        raise click.ClickException("demo data is for development; pass --force to load it anyway")
    with state.new_session() as session:
        load_demo(session, security=state.security, storage=state.storage, echo=click.echo)
        session.commit()


@click.command("create-admin")
@with_appcontext
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--phone", default=None)
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input (scripts)."
)
@click.option(
    "--role",
    type=click.Choice(["admin", "facilitator"]),
    default="admin",
    help="An admin, or a facilitator of cohorts.",
)
@click.option(
    "--region",
    "regions",
    multiple=True,
    help="A region code the account works in (repeat for several); an admin without any "
    "works everywhere.",
)
def create_admin(
    email: str,
    name: str,
    phone: str | None,
    password_stdin: bool,
    role: str,
    regions: tuple[str, ...],
) -> None:
    """Create an admin or a facilitator (staff cannot register through the API)."""
    from marshmallow import ValidationError

    from api.schemas.accounts import RegisterSchema
    from api.services import accounts

    password = (
        sys.stdin.readline().rstrip("\n")
        if password_stdin
        else click.prompt("Password", hide_input=True, confirmation_prompt=True)
    )
    fields = {"email": email, "name": name, "password": password, "role": "buyer"}
    if phone:
        fields["phone"] = phone
    try:
        data = RegisterSchema().load(fields)
    except ValidationError as error:
        raise click.ClickException(f"invalid input: {error.messages}") from None
    from api.models import Region, Role, StaffRegion

    state = get_state(current_app)
    with state.new_session() as session:
        for code in regions:
            if session.get(Region, code) is None:
                raise click.ClickException(f"unknown region code {code!r} (load-regions first?)")
        if role == "admin":
            user = accounts.create_admin(
                session,
                security=state.security,
                name=data["name"],
                email=data["email"],
                phone=data.get("phone"),
                password=data["password"],
            )
        else:
            user = accounts.register(
                session,
                security=state.security,
                name=data["name"],
                role=Role.FACILITATOR,
                password=data["password"],
                email=data["email"],
                phone=data.get("phone"),
            )
        session.add_all(StaffRegion(user_id=user.id, region_code=code) for code in regions)
        session.commit()
        where = ", ".join(regions) or "everywhere"
        click.echo(f"{role} created: {user.id} <{user.email}>, works in {where}")


@click.command("import-roster")
@with_appcontext
@click.argument("cohort_id")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--commit", is_flag=True, help="Write the rows (default: a dry run).")
def import_roster(cohort_id: str, path: Path, commit: bool) -> None:
    """Import a cohort's roster from CSV (name, phone, village_code), as a national admin."""
    from api.errors import DomainError
    from api.services import program
    from api.services.authz import Actor

    state = get_state(current_app)
    with state.new_session() as session:
        try:
            report = program.import_roster(
                session,
                actor=Actor(user=None, regions=None),
                cohort_id=cohort_id,
                data=path.read_bytes(),
                dry_run=not commit,
                progress=lambda rows: click.echo(f"  {rows:,} rows read"),
                as_operator=True,
            )
        except DomainError as error:
            extra = getattr(error, "extra", {}) or {}
            for problem in extra.get("invalid", []):
                click.echo(f"  line {problem['line']}: {problem['errors']}")
            raise click.ClickException(f"{error.code}: nothing written") from None
        session.commit()
    for problem in report.invalid:
        click.echo(f"  invalid, line {problem['line']}: {problem['errors']}")
    for duplicate in report.duplicates:
        click.echo(f"  duplicate, line {duplicate['line']}: {duplicate['phone'] or 'no phone'}")
    for flagged in report.flagged:
        click.echo(f"  flagged, line {flagged['line']}: {flagged['flag']}")
    verb = "written" if commit else "would be written (dry run; --commit to write)"
    click.echo(
        f"{report.rows:,} rows: {report.valid:,} new {verb}, {len(report.invalid):,} invalid, "
        f"{len(report.duplicates):,} duplicates, {len(report.flagged):,} flagged"
    )


@click.command("openapi-export")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def openapi_export(path: Path) -> None:
    """Write the OpenAPI document (commit it; a test fails when it drifts)."""
    from api.openapi import write_spec

    changed = write_spec(current_app, path)
    click.echo(f"{path}: {'updated' if changed else 'unchanged'}")


@click.command("webhooks-worker")
@with_appcontext
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def webhooks_worker(burst: bool) -> None:
    """Deliver webhooks from the Redis queue (JOBS_BACKEND=rq); run as many as you need.

    Each worker also queues retries that have come due and deliveries whose worker died.
    """
    from api import jobs

    jobs.run_worker(current_app._get_current_object(), burst=burst)  # type: ignore[attr-defined]


@click.command("housekeeping")
@with_appcontext
def housekeeping() -> None:
    """Run the periodic tasks (every hour, from cron or a scheduler); safe to run any time.

    Completes orders whose buyers did not confirm within 7 days, expires mentoring requests
    nobody accepted within 30 days, completes mentorings the mentor confirmed 14 days ago,
    reminds both parties of each mentoring session a day before it,
    deletes expired idempotency keys, old failed sign-ins, spent one-time codes and messages
    past the event retention, asks each active graduate's business the monthly check-in by
    message (reminds, and puts the unanswered on the caseload), rebuilds the statistics'
    per-business facts (catching writes made outside the app). Each task commits on its own.
    """
    import datetime as dt

    from sqlalchemy import delete

    from api.db import utcnow
    from api.http import idempotency
    from api.models import LoginFailure
    from api.services import changes, codes, events, mentoring, messaging, orders

    state = get_state(current_app)
    with state.new_session() as session:
        completed = orders.complete_due(session)
        session.commit()
    click.echo(f"{completed} order(s) completed automatically")
    with state.new_session() as session:
        expired = mentoring.expire_due(session)
        finished = mentoring.complete_due(session)
        session.commit()
    click.echo(
        f"{expired} mentoring request(s) expired, {finished} mentoring(s) completed automatically"
    )
    with state.new_session() as session:
        reminded = mentoring.remind_due(session)
        session.commit()
    click.echo(f"{reminded} mentoring session reminder(s) sent (a day before)")
    with state.new_session() as session:
        retention = dt.timedelta(days=state.settings.event_retention_days)
        pruned = events.prune(session, older_than=utcnow() - retention)
        changes.prune(session, older_than=utcnow() - retention)
        messages = messaging.prune(session, older_than=utcnow() - retention)
        dead_codes = codes.prune(session)
        session.commit()
    click.echo(f"{pruned} event(s) older than {state.settings.event_retention_days} days deleted")
    click.echo(f"{messages} message(s) of that age and {dead_codes} spent one-time code(s) deleted")
    with state.new_session() as session:
        keys = idempotency.prune(session)
        cutoff = utcnow() - dt.timedelta(days=1)
        failures = session.execute(delete(LoginFailure).where(LoginFailure.created_at < cutoff))
        session.commit()
    removed = getattr(failures, "rowcount", 0)
    click.echo(f"pruned {keys} idempotency keys and {removed} failed sign-ins")
    from api.services import reach

    with state.new_session() as session:
        asked = reach.send_check_ins(session, state.tools.messenger)
        old_replies = reach.prune_inbound(session, older_than=utcnow() - retention)
        session.commit()
    click.echo(
        f"monthly check-in by message: {asked['asked']} asked, {asked['reminded']} reminded, "
        f"{asked['unanswered']} unanswered (now on the caseload); "
        f"{old_replies} old inbound message(s) deleted"
    )
    from api.services import stats_facts

    done = stats_facts.rebuild(state.new_session, echo=click.echo)
    click.echo(f"statistics' members and facts rebuilt for {done:,} businesses")
    from api import jobs

    swept = jobs.dispatcher_of(current_app).sweep()
    click.echo(f"{swept} due webhook deliveries sent or queued")


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
