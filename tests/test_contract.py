"""The shared HTTP contract: problem+json for the framework's own errors, limits, headers."""

from __future__ import annotations

from flask.testing import FlaskClient

from api import create_app
from tests.conftest import TEST_SETTINGS
from tests.helpers import assert_problem


def test_unknown_path_is_a_problem(client: FlaskClient) -> None:
    assert_problem(client.get("/v1/does-not-exist"), 404, "not_found")


def test_wrong_method_is_405_with_allow(client: FlaskClient) -> None:
    response = client.put("/v1/organizations")
    assert_problem(response, 405, "method_not_allowed")
    allowed = {m.strip() for m in response.headers["Allow"].split(",")}
    assert {"GET", "POST"} <= allowed


def test_a_wrong_method_with_a_form_body_is_still_405_not_415(client: FlaskClient) -> None:
    """Found by Schemathesis: a form PUT to Twilio's callback (which takes forms by POST) was
    refused for its media type before the routing said the method was wrong."""
    response = client.put("/v1/messaging/sms/webhook", data={"MessageSid": "SM1"})
    assert_problem(response, 405, "method_not_allowed")
    assert "POST" in response.headers["Allow"]
    assert_problem(client.post("/v1/nowhere", data={"a": "b"}), 404, "not_found")


def test_malformed_json_is_400(client: FlaskClient) -> None:
    response = client.post(
        "/v1/auth/register", data='{"name": "Siti",', content_type="application/json"
    )
    assert_problem(response, 400, "malformed_json")


def test_json_that_is_not_an_object_is_422(client: FlaskClient) -> None:
    response = client.post("/v1/auth/register", json=["a", "list"])
    assert_problem(response, 422, "validation_failed")


def test_body_in_another_format_is_415(client: FlaskClient) -> None:
    response = client.post(
        "/v1/auth/register", data="email=a@b.id", content_type="application/x-www-form-urlencoded"
    )
    assert_problem(response, 415, "unsupported_media_type")


def test_oversize_body_is_413(client: FlaskClient) -> None:
    limit = client.application.config["MAX_CONTENT_LENGTH"]
    body = '{"name": "' + "a" * limit + '"}'
    response = client.post("/v1/auth/register", data=body, content_type="application/json")
    problem = assert_problem(response, 413, "payload_too_large")
    assert str(limit) in problem["detail"]


def test_server_errors_show_no_internals(database_url: str) -> None:
    app = create_app({**TEST_SETTINGS, "database_url": database_url})

    def explode() -> None:
        raise RuntimeError("secret internals: password=hunter2 at /srv/berdaya/api/x.py")

    app.add_url_rule("/boom", view_func=explode)
    response = app.test_client().get("/boom")
    problem = assert_problem(response, 500, "internal_error")
    text = response.get_data(as_text=True)
    assert "hunter2" not in text and "Traceback" not in text and "RuntimeError" not in text
    assert problem["request_id"] == response.headers["X-Request-ID"]


def test_every_response_carries_a_request_id(client: FlaskClient) -> None:
    assert len(client.get("/health").headers["X-Request-ID"]) >= 8
    echoed = client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["X-Request-ID"] == "abc-123"


def test_api_responses_vary_on_auth_and_language(client: FlaskClient) -> None:
    response = client.get("/v1/organizations")
    assert {"Authorization", "Accept-Language"} <= set(response.vary)
    assert "no-cache" in response.headers["Cache-Control"]
