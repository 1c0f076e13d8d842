"""Reaching her by message: WhatsApp and SMS against a local stand-in of each provider (the
request shapes of their published APIs checked), delivery with retries, status callbacks, the
signed webhooks, and the monthly check-in by reply from the schedule to the caseload."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, func, select, update
from sqlalchemy.orm import Session

from api import jobs
from api.dates import add_months, this_month
from api.db import utcnow
from api.models import (
    Channel,
    CheckIn,
    CheckInPrompt,
    ClaimStatus,
    Cohort,
    GraduateClaim,
    InboundMessage,
    Message,
    MessagingPreference,
    Role,
)
from api.services import reach
from api.services.messaging import delivery, inbound, rules
from api.services.reach import REMIND_DAYS
from api.state import get_state
from tests.conftest import Auth, app_with
from tests.helpers import assert_problem
from tests.provider_server import Provider, provider_server
from tests.worlds import Office

PHONE = "+6281287654301"
PNID = "1234567890"
APP_SECRET = "meta-app-secret"
SMS_TOKEN = "twilio-auth-token"
ANSWER = {"messaging_product": "whatsapp", "messages": [{"id": "wamid.{n}"}], "sid": "SM{n}"}


def settings(provider: Provider, which: str = "whatsapp", **extra: Any) -> dict[str, Any]:
    return {
        "messaging_provider": which,
        "whatsapp_api_url": provider.url,
        "whatsapp_phone_number_id": PNID,
        "whatsapp_access_token": "EAAG-token",
        "whatsapp_app_secret": APP_SECRET,
        "whatsapp_verify_token": "verify-me",
        "twilio_api_url": provider.url,
        "twilio_account_sid": "AC0123",
        "twilio_auth_token": SMS_TOKEN,
        "twilio_from": "+15005550006",
        "public_base_url": "https://api.berdaya.test",
        "messaging_retry_base_seconds": 1,
        **extra,
    }


@pytest.fixture
def daytime(monkeypatch: pytest.MonkeyPatch) -> dt.datetime:
    """10:00 WIB yesterday: outside quiet hours, and in the past for the workers' clock."""
    day = utcnow().date() - dt.timedelta(days=1)
    moment = dt.datetime(day.year, day.month, day.day, 3, 0, tzinfo=dt.UTC)
    monkeypatch.setattr(rules, "now", lambda: moment)
    return moment


@pytest.fixture
def world(client: FlaskClient, auth: Auth, db_session: Session, daytime: dt.datetime) -> Office:
    office = Office(client, auth, db_session)
    office.alumna.name, office.alumna.locale = "Sri Wahyuni", "id"
    office.business.name = "Warung Sri"
    db_session.add(
        GraduateClaim(
            user_id=office.alumna.id, cohort_id=office.cohort["id"], status=ClaimStatus.VERIFIED
        )
    )
    db_session.flush()
    return office


@pytest.fixture
def provider() -> Iterator[Provider]:
    with provider_server() as server:
        server.default = (200, ANSWER)
        yield server


def whatsapp_app(
    database_url: str, connection: Connection, provider: Provider, **extra: Any
) -> Any:
    return app_with(database_url, connection, **settings(provider, **extra))


def signed_post(client: FlaskClient, payload: Any, secret: str = APP_SECRET) -> Any:
    body = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return client.post(
        "/v1/messaging/whatsapp/webhook",
        data=body,
        headers={"X-Hub-Signature-256": signature, "Content-Type": "application/json"},
    )


def notification(*, messages: Any = (), statuses: Any = ()) -> dict[str, Any]:
    value: dict[str, Any] = {"messaging_product": "whatsapp", "metadata": {"phone_number_id": PNID}}
    if messages:
        value["messages"] = list(messages)
    if statuses:
        value["statuses"] = list(statuses)
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": value}]}],
    }


def button(payload: str, wamid: str, sender: str = PHONE) -> dict[str, Any]:
    return {
        "from": sender.removeprefix("+"),
        "id": wamid,
        "timestamp": "1733370000",
        "type": "button",
        "button": {"payload": payload, "text": payload},
    }


def status(wamid: str, name: str, code: int | None = None) -> dict[str, Any]:
    made: dict[str, Any] = {"id": wamid, "status": name, "timestamp": "1733370000"}
    made["recipient_id"] = PHONE.removeprefix("+")
    if code:
        made["errors"] = [{"code": code, "title": "Message undeliverable."}]
    return made


def messages(session: Session) -> list[Message]:
    session.expire_all()
    return list(session.scalars(select(Message).order_by(Message.created_at, Message.id)))


def ask(app: Flask, session: Session, now: dt.datetime | None = None) -> dict[str, int]:
    with app.app_context():
        counts = reach.send_check_ins(session, get_state(app).tools.messenger, now=now)
    session.commit()
    return counts


def check_template_request(request: Any, name: str, payloads: list[str]) -> dict[str, Any]:
    assert request.path == f"/v21.0/{PNID}/messages"
    assert request.headers["authorization"] == "Bearer EAAG-token"
    assert request.headers["content-type"] == "application/json"
    body = request.json()
    assert body["messaging_product"] == "whatsapp" and body["recipient_type"] == "individual"
    assert body["to"] == PHONE.removeprefix("+") and body["type"] == "template"
    template = body["template"]
    assert template["name"] == name and template["language"] == {"code": "id"}
    body_part, *buttons = template["components"]
    assert body_part["type"] == "body"
    assert all(p["type"] == "text" and p["text"] for p in body_part["parameters"])
    assert [
        (b["type"], b["sub_type"], b["index"], b["parameters"][0]["type"]) for b in buttons
    ] == [("button", "quick_reply", str(i), "payload") for i in range(len(payloads))]
    assert [b["parameters"][0]["payload"] for b in buttons] == payloads
    return body


def test_the_whole_loop_by_whatsapp(
    world: Office, database_url: str, connection: Connection, db_session: Session, provider: Any
) -> None:
    with whatsapp_app(database_url, connection, provider) as app:
        hook = app.test_client()
        assert ask(app, db_session) == {"asked": 1, "reminded": 0, "unanswered": 0}
        assert ask(app, db_session) == {"asked": 0, "reminded": 0, "unanswered": 0}  # once
        assert jobs.deliver_due(app) == 1
        body = check_template_request(
            provider.requests[0],
            "berdaya_checkin_ask",
            ["checkin:yes", "checkin:no", "checkin:help"],
        )
        params = [p["text"] for p in body["template"]["components"][0]["parameters"]]
        assert params == ["Sri", "Warung Sri"]
        [asked] = messages(db_session)
        assert (asked.status, asked.provider_message_id) == ("sent", "wamid.1")
        assert (asked.provider, asked.channel, asked.business_id) == (
            "whatsapp",
            Channel.WHATSAPP,
            world.business.id,
        )

        # Status callbacks: recorded once, applied by the job, never moving a status back.
        for _ in range(2):
            answered = signed_post(hook, notification(statuses=[status("wamid.1", "delivered")]))
            assert answered.status_code == 200
        assert answered.json == {"recorded": 0}  # the replay is ignored
        signed_post(hook, notification(statuses=[status("wamid.1", "read")]))
        signed_post(hook, notification(statuses=[status("wamid.1", "sent")]))  # late
        jobs.deliver_due(app)
        assert messages(db_session)[0].status == "read"

        # "Ya": the revenue band is asked, as a template with five quick replies.
        assert signed_post(
            hook, notification(messages=[button("checkin:yes", "wamid.in1")])
        ).json == {"recorded": 1}
        jobs.deliver_due(app)
        jobs.deliver_due(app)
        check_template_request(
            provider.requests[1],
            "berdaya_checkin_band",
            ["band:none", "band:under_1m", "band:1m_5m", "band:5m_15m", "band:over_15m"],
        )
        # The band becomes the month's check-in, by the API's rules; thanks come as session text.
        signed_post(hook, notification(messages=[button("band:1m_5m", "wamid.in2")]))
        jobs.deliver_due(app)
        jobs.deliver_due(app)
        check_in = db_session.scalar(
            select(CheckIn).where(CheckIn.business_id == world.business.id)
        )
        assert check_in is not None
        assert (check_in.month, check_in.trading, check_in.revenue_band) == (
            this_month(),
            True,
            "1m_5m",
        )
        thanks = provider.requests[2].json()
        assert thanks["type"] == "text" and thanks["text"]["body"].startswith("Terima kasih")
        # A second answer that month updates the check-in.
        signed_post(hook, notification(messages=[button("band:5m_15m", "wamid.in3")]))
        jobs.deliver_due(app)
        db_session.expire_all()
        rows = db_session.scalars(
            select(CheckIn).where(CheckIn.business_id == world.business.id)
        ).all()
        assert [(r.trading, r.revenue_band) for r in rows] == [(True, "5m_15m")]
        prompt = db_session.scalar(select(CheckInPrompt))
        assert prompt is not None and (prompt.stage, prompt.check_in_id) == (
            "answered",
            check_in.id,
        )

        # She then taps "Butuh bantuan": her facilitator's caseload holds her, with her phone,
        # the check-in her replies made and the messages with their delivery statuses.
        signed_post(hook, notification(messages=[button("checkin:help", "wamid.in4")]))
        jobs.deliver_due(app)
        listed = hook.get("/v1/follow-up", headers=world.facilitator_h)
        assert listed.status_code == 200, listed.json
        item = next(i for i in listed.json["items"] if i["id"] == world.business.id)
        assert item["reason"] == "help" and item["owner"]["phone"] == PHONE
        assert item["last_check_in"]["revenue_band"] == "5m_15m"
        sent = [(m["template"], m["status"]) for m in item["messages"]]
        assert ("checkin.ask", "read") in sent and "checkin.help" in {t for t, _ in sent}


def test_no_reply_after_a_reminder_puts_her_on_the_caseload(
    world: Office, client: FlaskClient, db_session: Session, auth: Auth
) -> None:
    app = client.application
    now = utcnow()
    assert ask(app, db_session, now)["asked"] == 1
    assert ask(app, db_session, now + dt.timedelta(days=2))["reminded"] == 0
    assert ask(app, db_session, now + dt.timedelta(days=4))["reminded"] == 1
    assert ask(app, db_session, now + dt.timedelta(days=8))["unanswered"] == 1
    assert [m.template for m in messages(db_session)] == ["checkin.ask", "checkin.remind"]
    listed = client.get("/v1/follow-up", headers=world.facilitator_h)
    assert listed.status_code == 200, listed.json
    item = next(i for i in listed.json["items"] if i["id"] == world.business.id)
    assert item["check_in_prompt"]["stage"] == "unanswered"
    assert item["reason"] == "unanswered"
    assert [(m["template"], m["status"]) for m in item["messages"]] == [
        ("checkin.remind", "queued"),
        ("checkin.ask", "queued"),
    ]
    assert "body" not in item["messages"][0] and item["last_outreach"] is None

    # She records what she did; the month's report counts it, and the check-in that followed.
    path = f"/v1/follow-up/{world.business.id}/outreach"
    called = client.post(
        path,
        json={"outcome": "called", "note": "Sedang sakit", "next_on": "2026-12-20"},
        headers=world.facilitator_h,
    )
    assert called.status_code == 201, called.json
    assert (called.json["outcome"], called.json["facilitator_id"]) == (
        "called",
        world.facilitator.id,
    )
    assert_problem(client.post(path, json={"outcome": "emailed"}, headers=world.facilitator_h), 422)
    stranger = auth.as_role(Role.FACILITATOR)[1]
    assert_problem(client.post(path, json={"outcome": "called"}, headers=stranger), 404)
    assert_problem(client.post(path, json={"outcome": "called"}, headers=world.alumna_h), 403)
    item = next(
        i
        for i in client.get("/v1/follow-up", headers=world.facilitator_h).json["items"]
        if i["id"] == world.business.id
    )
    assert item["last_outreach"]["note"] == "Sedang sakit"
    client.post(
        f"/v1/businesses/{world.business.id}/check-ins",
        json={"trading": True, "revenue_band": "under_1m"},
        headers=world.alumna_h,
    )
    month = this_month().strftime("%Y-%m")
    report = client.get(f"/v1/follow-up/report?month={month}", headers=world.facilitator_h)
    assert report.status_code == 200, report.json
    assert report.json["outreach"] == 1 and report.json["by_outcome"]["called"] == 1
    assert report.json["businesses_reactivated"] == 1 and report.json["referrals"] == 0


def test_butuh_bantuan_puts_her_on_the_caseload_at_once(
    world: Office, client: FlaskClient, db_session: Session
) -> None:
    app = client.application
    ask(app, db_session)
    with app.app_context():
        outcome = reach.answer(
            db_session,
            get_state(app).tools.messenger,
            world.alumna.id,
            "checkin:help",
            channel=Channel.WHATSAPP,
        )
    assert outcome == "checkin_help"
    db_session.commit()
    items = client.get("/v1/follow-up", headers=world.facilitator_h).json["items"]
    item = next(i for i in items if i["id"] == world.business.id)
    assert item["reason"] == "help" and item["check_in_prompt"]["answer"] == "help"
    assert item["messages"][0]["template"] == "checkin.help"


def test_sms_numbered_answers_through_twilio(
    world: Office, database_url: str, connection: Connection, db_session: Session, provider: Any
) -> None:
    with whatsapp_app(database_url, connection, provider, messaging_provider="sms") as app:
        hook = app.test_client()
        ask(app, db_session)
        jobs.deliver_due(app)
        request = provider.requests[0]
        assert request.path == "/2010-04-01/Accounts/AC0123/Messages.json"
        assert (
            request.headers["authorization"]
            == "Basic " + base64.b64encode(f"AC0123:{SMS_TOKEN}".encode()).decode()
        )
        assert request.headers["content-type"] == "application/x-www-form-urlencoded"
        form = request.form()
        assert form["To"] == PHONE and form["From"] == "+15005550006"
        assert form["StatusCallback"] == "https://api.berdaya.test/v1/messaging/sms/webhook"
        assert form["Body"].endswith("Balas 1 = Ya, 2 = Tidak, 3 = Butuh bantuan")
        assert messages(db_session)[0].provider_message_id == "SM1"

        def sms(fields: dict[str, str], token: str = SMS_TOKEN) -> Any:
            url = "https://api.berdaya.test/v1/messaging/sms/webhook"
            signature = inbound.twilio_signature(token, url, fields)
            return hook.post(
                "/v1/messaging/sms/webhook",
                data=fields,
                headers={"X-Twilio-Signature": signature},
            )

        reply = {"MessageSid": "SMin1", "From": PHONE, "To": "+15005550006", "Body": "1"}
        assert_problem(sms(reply, token="wrong"), 401, "signature_invalid")
        assert sms(reply).status_code == 200
        assert sms({"MessageSid": "SM1", "MessageStatus": "delivered"}).status_code == 200
        jobs.deliver_due(app)
        jobs.deliver_due(app)
        band = provider.requests[1].form()["Body"]
        assert "Balas 1 = Belum ada, 2 = < Rp1 juta, 3 = Rp1-5 juta" in band
        sms({"MessageSid": "SMin2", "From": PHONE, "Body": "3"})
        jobs.deliver_due(app)
        check_in = db_session.scalar(
            select(CheckIn).where(CheckIn.business_id == world.business.id)
        )
        assert check_in is not None and check_in.revenue_band == "1m_5m"
        assert messages(db_session)[0].status == "delivered"


def test_retries_with_backoff_while_the_provider_is_down(
    world: Office, database_url: str, connection: Connection, db_session: Session, provider: Any
) -> None:
    provider.answers = [(503, {"error": {"code": 2}}), (500, {})]
    with whatsapp_app(database_url, connection, provider) as app:
        ask(app, db_session)
        [message] = messages(db_session)
        assert (
            delivery.deliver(get_state(app).sessionmaker, get_state(app).settings, message.id)
            == "retry"
        )
        first = messages(db_session)[0]
        assert first.status == "queued" and first.attempt_count == 1
        assert first.next_attempt_at is not None and first.next_attempt_at > utcnow()
        assert jobs.deliver_due(app) == 0  # not due yet
        for expected in ("retry", "sent"):
            db_session.execute(update(Message).values(next_attempt_at=utcnow()))
            db_session.commit()
            assert jobs.run_one(app, message.id) == expected
        done = messages(db_session)[0]
        assert (done.status, done.attempt_count, done.provider_message_id) == ("sent", 3, "wamid.3")

    # A refusal (4xx) is final; a provider nobody answers at is retried.
    with provider_server() as refusing:
        refusing.default = (400, {"error": {"code": 100, "message": "Invalid parameter"}})
        with whatsapp_app(database_url, connection, refusing) as app:
            db_session.execute(update(Message).values(status="read"))
            message = get_state(app).tools.messenger.send(
                db_session,
                template="checkin.thanks",
                channel=Channel.WHATSAPP,
                recipient=PHONE,
                locale="id",
                user_id=world.alumna.id,
            )
            db_session.commit()
            assert jobs.run_one(app, message.id) == "failed"
            assert "error 100" in (messages(db_session)[-1].last_error or "")
    with whatsapp_app(
        database_url, connection, provider, whatsapp_api_url="http://127.0.0.1:9"
    ) as app:
        message = get_state(app).tools.messenger.send(
            db_session,
            template="checkin.thanks",
            channel=Channel.WHATSAPP,
            recipient=PHONE,
            locale="id",
            user_id=world.alumna.id,
        )
        db_session.commit()
        assert jobs.run_one(app, message.id) == "retry"


def test_a_number_without_whatsapp_gets_the_question_by_sms(
    world: Office, database_url: str, connection: Connection, db_session: Session, provider: Any
) -> None:
    with whatsapp_app(database_url, connection, provider) as app:
        hook = app.test_client()
        ask(app, db_session)
        jobs.deliver_due(app)
        signed_post(hook, notification(statuses=[status("wamid.1", "failed", code=131026)]))
        jobs.deliver_due(app)
        jobs.deliver_due(app)
        first, fallback = messages(db_session)
        assert first.status == "failed" and (fallback.channel, fallback.provider) == (
            Channel.SMS,
            "sms",
        )
        assert fallback.status == "sent"
        assert provider.requests[1].path.endswith("/Messages.json")
        assert "Balas 1 = Ya" in provider.requests[1].form()["Body"]
        marked = db_session.scalar(select(MessagingPreference))
        assert marked is not None and marked.unreachable_at is not None
        # Next month's question goes by SMS straight away.
        assert reach.channel_for(db_session, world.alumna) == Channel.SMS


def test_berhenti_opts_out_of_the_channel_at_once(
    world: Office, database_url: str, connection: Connection, db_session: Session, provider: Any
) -> None:
    with whatsapp_app(database_url, connection, provider) as app:
        hook = app.test_client()
        signed_post(
            hook,
            notification(
                messages=[{**button("x", "wamid.s"), "type": "text", "text": {"body": "BERHENTI"}}]
            ),
        )
        jobs.deliver_due(app)
        chosen = db_session.scalar(select(MessagingPreference))
        assert chosen is not None and chosen.channel == Channel.WHATSAPP
        assert chosen.opted_out_at is not None
        message = get_state(app).tools.messenger.send(
            db_session,
            template="checkin.thanks",
            channel=Channel.WHATSAPP,
            recipient=PHONE,
            locale="id",
            user_id=world.alumna.id,
        )
        db_session.commit()
        assert (message.status, message.last_error) == ("suppressed", "opted out of the channel")
        assert jobs.deliver_due(app) == 0 and provider.requests == []
        # The monthly question takes the other channel.
        assert reach.channel_for(db_session, world.alumna) == Channel.SMS


def test_quiet_hours_hold_messages_but_not_codes_and_the_daily_cap(
    world: Office, client: FlaskClient, db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    wib = rules.WIB
    late = dt.datetime(2026, 12, 4, 22, 30, tzinfo=wib)
    monkeypatch.setattr(rules, "now", lambda: late.astimezone(dt.UTC))
    assert rules.send_at(late, secret=False) == dt.datetime(2026, 12, 5, 7, 0, tzinfo=wib)
    assert rules.send_at(late, secret=True) == late
    early = dt.datetime(2026, 12, 5, 6, 59, tzinfo=wib)
    assert rules.send_at(early, secret=False) == dt.datetime(2026, 12, 5, 7, 0, tzinfo=wib)
    noon = dt.datetime(2026, 12, 5, 12, 0, tzinfo=wib)
    assert rules.send_at(noon, secret=False) == noon

    with (
        provider_server() as provider,
        whatsapp_app(
            client.application.config["BERDAYA_DATABASE_URL"]
            if False
            else get_state(client.application).settings.database_url,
            db_session.connection(),
            provider,
        ) as app,
    ):
        messenger = get_state(app).tools.messenger
        sent = [
            messenger.send(
                db_session,
                template="checkin.thanks",
                channel=Channel.WHATSAPP,
                recipient=PHONE,
                locale="id",
                user_id=world.alumna.id,
            )
            for _ in range(6)
        ]
        held = sent[0].next_attempt_at
        assert held is not None and held.astimezone(wib) == dt.datetime(
            2026, 12, 5, 7, 0, tzinfo=wib
        )
        assert [m.status for m in sent] == ["queued"] * 5 + ["suppressed"]
        assert sent[-1].last_error == "daily cap reached"


def test_the_webhooks_refuse_or_ignore_bad_input_and_create_nothing(
    world: Office,
    database_url: str,
    connection: Connection,
    db_session: Session,
    provider: Any,
    client: FlaskClient,
) -> None:
    # Not configured (the outbox): the endpoints do not exist.
    assert_problem(client.get("/v1/messaging/whatsapp/webhook"), 404)
    with whatsapp_app(database_url, connection, provider) as app:
        hook = app.test_client()
        handshake = "/v1/messaging/whatsapp/webhook?hub.mode=subscribe&hub.challenge=1158201444"
        ok = hook.get(handshake + "&hub.verify_token=verify-me")
        assert ok.status_code == 200 and ok.get_data(as_text=True) == "1158201444"
        assert_problem(
            hook.get(handshake + "&hub.verify_token=guess"), 403, "verify_token_mismatch"
        )

        good = notification(messages=[button("checkin:yes", "wamid.x")])
        assert_problem(signed_post(hook, good, secret="not-the-secret"), 401, "signature_invalid")
        unsigned = hook.post("/v1/messaging/whatsapp/webhook", json=good)
        assert_problem(unsigned, 401, "signature_invalid")
        body = b"{not json"
        signature = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
        malformed = hook.post(
            "/v1/messaging/whatsapp/webhook",
            data=body,
            headers={"X-Hub-Signature-256": signature, "Content-Type": "application/json"},
        )
        assert_problem(malformed, 422, "notification_malformed")
        assert_problem(signed_post(hook, {"object": "page", "entry": []}), 422)
        # Signed, but from a number nobody has, about a message we never sent, or half-formed.
        stranger = notification(
            messages=[button("checkin:yes", "wamid.y", sender="+6289999999999")]
        )
        assert signed_post(hook, stranger).json == {"recorded": 0}
        assert signed_post(hook, notification(statuses=[status("wamid.nope", "read")])).json == {
            "recorded": 0
        }
        odd = notification(messages=[{"type": "text"}, "x", 5], statuses=[{"id": 3}])
        assert signed_post(hook, odd).json == {"recorded": 0}
        assert signed_post(hook, {"object": "whatsapp_business_account", "entry": "x"}).json == {
            "recorded": 0
        }
        # Found by Schemathesis on PostgreSQL (which cannot store NUL): refused on both.
        nul = notification(messages=[button("checkin:yes", "wamid.\u0000", sender=PHONE)])
        assert_problem(signed_post(hook, nul), 422, "notification_malformed")
        db_session.expire_all()
        assert db_session.scalar(select(func.count()).select_from(InboundMessage)) == 0
        assert db_session.scalar(select(func.count()).select_from(Message)) == 0


def test_housekeeping_asks_the_monthly_question_once(
    world: Office, client: FlaskClient, db_session: Session
) -> None:
    runner = client.application.test_cli_runner()
    first = runner.invoke(args=["housekeeping"], catch_exceptions=False)
    assert "monthly check-in by message: 1 asked, 0 reminded, 0 unanswered" in first.output
    again = runner.invoke(args=["housekeeping"], catch_exceptions=False)
    assert "monthly check-in by message: 0 asked" in again.output
    listed = client.get(f"/v1/dev/outbox?recipient=%2B{PHONE[1:]}").json["items"]
    assert [m["template"] for m in listed] == ["checkin.ask"]
    assert listed[0]["body"] == "Halo Sri, ini Berdaya. Masih jualan bulan ini (Warung Sri)?"


def test_a_provider_without_its_credentials_refuses_to_start() -> None:
    from api.config import ConfigError, load_settings

    base = {"BERDAYA_ENV": "development", "MESSAGING_PROVIDER": "whatsapp"}
    with pytest.raises(ConfigError, match="WHATSAPP_PHONE_NUMBER_ID"):
        load_settings(base)
    with pytest.raises(ConfigError, match="TWILIO_ACCOUNT_SID"):
        load_settings({**base, "MESSAGING_PROVIDER": "sms"})
    with pytest.raises(ConfigError, match="MESSAGING_PROVIDER"):
        load_settings({**base, "MESSAGING_PROVIDER": "pigeon"})


def test_she_opts_in_to_the_events_she_chooses_and_they_reach_her(
    world: Office, client: FlaskClient, db_session: Session, auth: Auth
) -> None:
    from tests.factories import ProductFactory

    mine = client.get("/v1/me/messaging-preferences", headers=world.alumna_h)
    assert mine.status_code == 200
    assert mine.json["notice_version"] == "2026-12" and "BERHENTI" in mine.json["notice"]
    assert [(p["channel"], p["opted_in_at"]) for p in mine.json["items"]] == [
        ("whatsapp", None),
        ("sms", None),
    ]
    chosen = client.put(
        "/v1/me/messaging-preferences/whatsapp",
        json={"opted_in": True, "events": ["order.new"]},
        headers=world.alumna_h,
    )
    assert chosen.status_code == 200, chosen.json
    assert chosen.json["notice_version"] == "2026-12" and chosen.json["events"] == ["order.new"]
    assert_problem(
        client.put(
            "/v1/me/messaging-preferences/whatsapp",
            json={"opted_in": True, "events": ["gossip"]},
            headers=world.alumna_h,
        ),
        422,
    )
    assert_problem(
        client.put(
            "/v1/me/messaging-preferences/email", json={"opted_in": True}, headers=world.alumna_h
        ),
        404,
    )

    # A new order to her business: the message says what her notification says.
    cake = ProductFactory(business=world.business, price_idr=25_000, stock=5)
    buyer_h = auth.as_role(Role.BUYER, phone="+6281311112222")[1]
    ordered = client.post(
        "/v1/orders",
        json={
            "business_id": world.business.id,
            "items": [{"product_id": cake.id, "quantity": 1}],
            "delivery_method": "pickup",
        },
        headers=buyer_h,
    )
    assert ordered.status_code == 201, ordered.json
    [notice] = [m for m in messages(db_session) if m.template == "event.notice"]
    assert (notice.recipient, notice.channel) == (PHONE, Channel.WHATSAPP)
    assert (
        notice.body
        == "Berdaya: Pembeli mengirim pesanan baru ke usaha Anda. Terima atau tolak pesanannya."
    )

    # She did not tick the monthly check-in: it is not asked.
    assert ask(client.application, db_session)["asked"] == 0
    client.put(
        "/v1/me/messaging-preferences/whatsapp",
        json={"opted_in": True, "events": ["order.new", "check_in.monthly"]},
        headers=world.alumna_h,
    )
    assert ask(client.application, db_session)["asked"] == 1
    # Opting out stops the event messages too.
    client.put(
        "/v1/me/messaging-preferences/whatsapp", json={"opted_in": False}, headers=world.alumna_h
    )
    client.post(
        "/v1/orders",
        json={
            "business_id": world.business.id,
            "items": [{"product_id": cake.id, "quantity": 1}],
            "delivery_method": "pickup",
        },
        headers=buyer_h,
    )
    assert len([m for m in messages(db_session) if m.template == "event.notice"]) == 1


def test_a_suspended_account_is_not_reminded_and_her_answer_changes_nothing(
    world: Office, client: FlaskClient, db_session: Session
) -> None:
    from api.models import CheckIn

    app = client.application
    assert ask(app, db_session)["asked"] == 1  # asked before the suspension
    world.alumna.suspended_at = utcnow()
    db_session.commit()
    later = utcnow() + dt.timedelta(days=REMIND_DAYS + 1)
    assert ask(app, db_session, now=later)["reminded"] == 0
    sent = db_session.scalar(select(func.count()).select_from(Message))
    with app.app_context():
        replies = []
        for n, text in enumerate(("tidak", "butuh bantuan")):
            reply = InboundMessage(
                provider="whatsapp",
                provider_id=f"wamid.suspended.{n}",
                kind="reply",
                user_id=world.alumna.id,
                channel=Channel.WHATSAPP,
                text=text,
            )
            db_session.add(reply)
            db_session.commit()
            replies.append(reply.id)
        state = get_state(app)
        outcomes = [
            inbound.process(state.sessionmaker, state.settings, state.tools.messenger, i)
            for i in replies
        ]
    assert outcomes == ["suspended", "suspended"]
    db_session.expire_all()
    stored = db_session.scalars(
        select(InboundMessage.outcome).where(InboundMessage.id.in_(replies))
    )
    assert list(stored) == ["suspended", "suspended"]
    assert db_session.scalar(select(func.count()).select_from(CheckIn)) == 0
    assert db_session.scalar(select(func.count()).select_from(Message)) == sent  # no reply
    prompt = db_session.scalars(select(CheckInPrompt)).one()
    assert (prompt.stage, prompt.answer, prompt.answered_at) == ("asked", None, None)


def test_butuh_bantuan_turns_into_a_mentoring_request_or_a_need_in_one_call(
    world: Office, client: FlaskClient, db_session: Session, auth: Auth
) -> None:
    from api.models import AuditEntry, MentoringRequest, SupportNeed

    app = client.application
    path = f"/v1/follow-up/{world.business.id}/referrals"
    request = {
        "kind": "mentoring_request",
        "mentoring_request": {
            "topic": "bookkeeping",
            "need": "Ingin belajar mencatat keuangan warung.",
            "preferred_format": "in_person",
        },
        "note": "Minta bantuan lewat WhatsApp",
    }
    # She has not asked, and gave no grant: her facilitator may not act for her.
    assert_problem(client.post(path, json=request, headers=world.facilitator_h), 403)
    ask(app, db_session)
    with app.app_context():
        reach.answer(
            db_session,
            get_state(app).tools.messenger,
            world.alumna.id,
            "checkin:help",
            channel=Channel.WHATSAPP,
        )
    db_session.commit()
    made = client.post(path, json=request, headers=world.facilitator_h)
    assert made.status_code == 201, made.json
    assert made.json["outreach"]["outcome"] == "referred"
    assert made.json["support_need_id"] is None
    mentoring = db_session.get(MentoringRequest, made.json["mentoring_request_id"])
    assert mentoring is not None
    assert (mentoring.alumna_id, mentoring.business_id) == (world.alumna.id, world.business.id)
    audit = db_session.scalars(
        select(AuditEntry).where(AuditEntry.subject_id == mentoring.id)
    ).all()
    assert audit, "an assisted action is audited"

    need = client.post(
        path,
        json={
            "kind": "support_need",
            "support_need": {
                "kind": "equipment",
                "title": "Kompor gas",
                "target_value_idr": 750000,
            },
        },
        headers=world.facilitator_h,
    )
    assert need.status_code == 201, need.json
    assert db_session.get(SupportNeed, need.json["support_need_id"]) is not None
    assert_problem(
        client.post(path, json={"kind": "support_need"}, headers=world.facilitator_h), 422
    )
    stranger = auth.as_role(Role.FACILITATOR)[1]
    assert_problem(client.post(path, json=request, headers=stranger), 404)
    assert_problem(client.post(path, json=request, headers=world.admin_h), 403)

    # Her ask does not lift a suspension: no one acts for a suspended account.
    world.alumna.suspended_at = utcnow()
    db_session.flush()
    before = db_session.scalar(select(func.count()).select_from(MentoringRequest))
    refused = client.post(path, json=request, headers=world.facilitator_h)
    assert_problem(refused, 403, "her_account_suspended")
    assert db_session.scalar(select(func.count()).select_from(MentoringRequest)) == before


# -- the job engine for real: committed rows, the embedded thread and RQ workers -------------


@pytest.fixture
def committed_database(tmp_path: Any) -> Iterator[str]:
    """A migrated database of its own (PostgreSQL when the suite runs on it): the workers
    read what was committed, outside the test's transaction."""
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from api.config import normalize_database_url
    from api.migrate import upgrade
    from tests.conftest import TEST_DATABASE_URL

    if not (TEST_DATABASE_URL and TEST_DATABASE_URL.startswith("postgres")):
        url = f"sqlite:///{tmp_path / 'reach.sqlite3'}"
        upgrade(url)
        yield url
        return
    base = make_url(normalize_database_url(TEST_DATABASE_URL))
    name = f"berdaya_reach_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = base.set(database=name).render_as_string(hide_password=False)
        upgrade(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _seed_and_send(app: Flask) -> str:
    from api.models import User

    state = get_state(app)
    with app.app_context(), state.new_session() as session:
        user = User(
            name="Sri Wahyuni",
            phone=PHONE,
            role=Role.ALUMNA,
            password_hash="x",
            locale="id",
        )
        session.add(user)
        session.flush()
        message = state.tools.messenger.send(
            session,
            template="checkin.thanks",
            channel=Channel.WHATSAPP,
            recipient=PHONE,
            locale="id",
            user_id=user.id,
        )
        session.commit()  # the dispatcher is woken after the commit
        return message.id


def _wait_for_status(app: Flask, message_id: str, status: str) -> None:
    import time

    deadline = time.monotonic() + 30  # a loaded machine (2 cores, shared)
    while time.monotonic() < deadline:
        with get_state(app).new_session() as session:
            found = session.get(Message, message_id)
            if found is not None and found.status == status:
                return
        time.sleep(0.1)
    raise AssertionError(f"{message_id} never became {status}")


def test_the_embedded_thread_delivers_and_works_on_callbacks(
    committed_database: str, provider: Provider, daytime: dt.datetime
) -> None:
    from api import create_app
    from tests.conftest import TEST_SETTINGS

    app = create_app(
        {
            **TEST_SETTINGS,
            "database_url": committed_database,
            "jobs_backend": "thread",
            **settings(provider),
        }
    )
    try:
        message_id = _seed_and_send(app)
        _wait_for_status(app, message_id, "sent")
        assert provider.requests[0].json()["type"] == "text"  # thanks: inside the window
        answered = signed_post(
            app.test_client(), notification(statuses=[status("wamid.1", "read")])
        )
        assert answered.json == {"recorded": 1}
        _wait_for_status(app, message_id, "read")
        dispatcher = jobs.dispatcher_of(app)
        assert isinstance(dispatcher, jobs.ThreadDispatcher)
        jobs.stop(app)
        assert dispatcher._thread is not None and not dispatcher._thread.is_alive()
        dispatcher.start()  # stopped for good: a later request does not start it again
        assert not dispatcher._thread.is_alive()
    finally:
        jobs.stop(app)  # its database is dropped next: no thread left polling it
        get_state(app).engine.dispose()


@pytest.mark.redis
def test_rq_workers_deliver_messages(
    committed_database: str, provider: Provider, daytime: dt.datetime
) -> None:
    import redis

    from api import create_app
    from tests.conftest import TEST_SETTINGS
    from tests.helpers import REDIS_URL

    redis.Redis.from_url(REDIS_URL).flushdb()
    app = create_app(
        {
            **TEST_SETTINGS,
            "database_url": committed_database,
            "jobs_backend": "rq",
            "jobs_redis_url": REDIS_URL,
            **settings(provider),
        }
    )
    try:
        message_id = _seed_and_send(app)
        assert provider.requests == []  # queued on Redis, not sent by the web process
        jobs.run_worker(app, burst=True)
        _wait_for_status(app, message_id, "sent")
        assert provider.requests[0].json()["to"] == PHONE.removeprefix("+")
    finally:
        get_state(app).engine.dispose()


def test_tidak_typed_is_a_check_in_not_trading_and_old_questions_are_closed(
    world: Office, client: FlaskClient, db_session: Session
) -> None:
    from api.dates import add_months

    app = client.application
    ask(app, db_session)
    with app.app_context():
        inbound_row = InboundMessage(
            provider="whatsapp",
            provider_id="wamid.t",
            kind="reply",
            user_id=world.alumna.id,
            channel=Channel.WHATSAPP,
            text="tidak",
        )
        db_session.add(inbound_row)
        db_session.commit()
        state = get_state(app)
        assert (
            inbound.process(
                state.sessionmaker, state.settings, state.tools.messenger, inbound_row.id
            )
            == "checkin_no"
        )
        assert (
            inbound.process(
                state.sessionmaker, state.settings, state.tools.messenger, inbound_row.id
            )
            == "skipped"
        )
    db_session.expire_all()
    check_in = db_session.scalar(select(CheckIn).where(CheckIn.business_id == world.business.id))
    assert check_in is not None and (check_in.trading, check_in.revenue_band) == (False, None)

    # A question of three months ago is closed: a late tap changes nothing.
    prompt = db_session.scalar(select(CheckInPrompt))
    assert prompt is not None
    prompt.month = add_months(this_month(), -3)
    db_session.commit()
    with app.app_context():
        late = reach.answer(
            db_session,
            get_state(app).tools.messenger,
            world.alumna.id,
            "band:over_15m",
            channel=Channel.WHATSAPP,
        )
    assert late == "no_question"


def test_a_reply_counts_for_survival_and_the_median_band(
    world: Office, client: FlaskClient, db_session: Session
) -> None:
    """Item 6: a check-in made of her replies counts in the statistics like any other."""
    app = client.application
    cohort = db_session.get(Cohort, world.cohort["id"])
    assert cohort is not None
    cohort.graduated_on = add_months(utcnow().date(), -3)  # three months ago: survival_3m is due
    db_session.flush()

    def figures() -> dict[str, Any]:
        url = f"/v1/stats/cohort?program={world.program['id']}"
        [row] = client.get(url, headers=world.admin_h).json["items"]
        assert row["suppressed"] is False and row["businesses_started"] == 1
        return row

    before = figures()
    assert (before["survival_3m"], before["median_revenue_band"]) == (0.0, None)
    ask(app, db_session)
    with app.app_context():
        for reply in ("checkin:yes", "band:1m_5m"):
            reach.answer(
                db_session,
                get_state(app).tools.messenger,
                world.alumna.id,
                reply,
                channel=Channel.WHATSAPP,
            )
    db_session.commit()
    after = figures()
    assert after["survival_3m"] == 1.0
    assert after["median_revenue_band"] == "1m_5m"
    assert after["median_monthly_revenue_idr"] is None  # she gave a band, no amount


def test_a_new_lead_tells_the_seller_once_per_buyer_product_and_day(
    world: Office, client: FlaskClient, db_session: Session, auth: Auth
) -> None:
    from api.models import Event, Lead, Notification
    from tests.factories import ProductFactory

    client.put(
        "/v1/me/messaging-preferences/whatsapp",
        json={"opted_in": True, "events": ["lead.new"]},
        headers=world.alumna_h,
    )
    cake = ProductFactory(business=world.business, name="Kue Lapis", price_idr=25_000)
    bread = ProductFactory(business=world.business, name="Roti Sobek", price_idr=15_000)
    buyer, buyer_h = auth.as_role(Role.BUYER, name="Rudi Hartono", phone="+6281311112222")
    url = f"/v1/businesses/{world.business.id}/contact"
    for about in (cake.id, cake.id, bread.id, None):  # the same product twice in a day
        body = {"product_id": about} if about else {}
        assert client.post(url, json=body, headers=buyer_h).status_code == 200
    other_h = auth.as_role(Role.BUYER)[1]
    assert client.post(url, json={"product_id": cake.id}, headers=other_h).status_code == 200
    assert db_session.scalar(select(func.count(Lead.id))) == 5  # every lead is listed for her

    db_session.expire_all()
    made = db_session.scalars(
        select(Event).where(Event.type == "lead.created").order_by(Event.seq)
    ).all()
    assert [(e.data["product_id"], e.data["about"]) for e in made] == [
        (cake.id, "Kue Lapis"),
        (bread.id, "Roti Sobek"),
        (None, "Warung Sri"),
        (cake.id, "Kue Lapis"),
    ]
    assert made[0].actor_id == buyer.id
    notified = db_session.scalars(
        select(Notification.event_seq).where(Notification.user_id == world.alumna.id)
    ).all()
    assert set(notified) >= {e.seq for e in made}
    sent = [m for m in messages(db_session) if m.template == "event.notice"]
    assert [(m.recipient, m.channel) for m in sent] == [(PHONE, Channel.WHATSAPP)] * 4
    assert sent[0].body == (
        "Berdaya: Seseorang meminta nomor WhatsApp Anda soal Kue Lapis; tunggu pesannya."
    )
    assert all("Rudi" not in m.body and "1311112222" not in m.body for m in sent)
    # Her feed holds the event; the buyer's holds it too (she did it), a stranger's not.
    mine = client.get("/v1/events", query_string={"types": "lead.*"}, headers=world.alumna_h)
    assert mine.status_code == 200, mine.json
    assert len(mine.json["items"]) == 4
    stranger = client.get(
        "/v1/events", query_string={"types": "lead.*"}, headers=auth.as_role(Role.BUYER)[1]
    )
    assert stranger.json["items"] == []

    # A share page's visitor (not signed in) is a buyer too: one message per product and day.
    share = f"/s/{world.business.slug}/contact"
    for _ in range(2):
        assert client.post(share, data={}).status_code == 303
    assert len([m for m in messages(db_session) if m.template == "event.notice"]) == 4 + 1
