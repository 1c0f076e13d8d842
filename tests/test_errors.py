"""One shape for errors: every field error is a path to a list of messages (nested objects and
list items by a dotted path), the roster's rows the same; and with `Accept-Language: id` every
field message the API writes is in Indonesian."""

from __future__ import annotations

import ast
import io
from pathlib import Path

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from api.i18n import translate_field_errors
from tests.conftest import Auth
from tests.helpers import assert_problem
from tests.worlds import Office, new_business

API = Path(__file__).resolve().parents[1] / "api"
NOT_FIELD_MESSAGES = {
    "interrupted: the worker stopped",  # a webhook delivery's own error
    "m",  # segno's QR error-correction level (certificate_pdf.py), not a message
}


def _messages() -> dict[str, str]:
    """Every field message written in api/ (ValidationError, error=, errors={...: [...]},
    errors[...] = [...]), f-strings with a sample value in each placeholder."""
    found: dict[str, str] = {}

    def text(node: ast.expr) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.JoinedStr):
            return "".join(
                part.value if isinstance(part, ast.Constant) else "5" for part in node.values
            )
        return None

    for path in API.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            candidates: list[ast.expr] = []
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name == "ValidationError" and node.args:
                    candidates.append(node.args[0])
                for keyword in node.keywords:
                    if keyword.arg == "error":
                        candidates.append(keyword.value)
                    if keyword.arg == "errors" and isinstance(keyword.value, ast.Dict):
                        candidates += [
                            e
                            for v in keyword.value.values
                            if isinstance(v, ast.List)
                            for e in v.elts
                        ]
            if (
                isinstance(node, ast.Assign)
                and isinstance(node.targets[0], ast.Subscript)
                and getattr(node.targets[0].value, "id", "") == "errors"
                and isinstance(node.value, ast.List)
            ):
                candidates += node.value.elts
            for candidate in candidates:
                message = text(candidate)
                if message and message not in NOT_FIELD_MESSAGES:
                    found[message] = path.name
    return found


def test_every_field_message_of_the_api_has_an_indonesian_text() -> None:
    messages = _messages()
    assert len(messages) > 50  # the scan finds them
    untranslated = sorted(m for m in messages if translate_field_errors(m, "id") == m)
    assert untranslated == []


def test_field_errors_are_paths_to_lists_of_messages_in_the_callers_language(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    office = Office(client, auth, db_session)
    body = new_business(
        db_session,
        opening_hours=[{"day": "mon", "opens": "07:00", "closes": "15:00"}, {"day": "someday"}],
        licences=[{"kind": "pirt", "number": "12345", "issued_on": "2199-01-01"}],
    )
    refused = assert_problem(client.post("/v1/businesses", json=body, headers=office.alumna_h), 422)
    assert refused["errors"] == {
        "opening_hours.1.day": ["Must be one of: mon, tue, wed, thu, fri, sat, sun."],
        "opening_hours.1.opens": ["Missing data for required field."],
        "opening_hours.1.closes": ["Missing data for required field."],
        "licences.0.issued_on": ["Cannot be in the future."],
    }
    indonesian = {**office.alumna_h, "Accept-Language": "id"}
    refused = assert_problem(client.post("/v1/businesses", json=body, headers=indonesian), 422)
    assert refused["errors"]["licences.0.issued_on"] == ["Tidak boleh di masa depan."]
    assert refused["errors"]["opening_hours.1.opens"] == ["Wajib diisi."]
    region = assert_problem(
        client.get("/v1/businesses?region=Bekasi", headers={"Accept-Language": "id"}), 422
    )
    assert region["errors"] == {"region": ["Bukan kode wilayah."]}

    # The roster's rows: the same shape, the same language.
    csv = "name,phone,village_code\n,0812,32.75\n"
    url = f"/v1/cohorts/{office.cohort['id']}/roster"
    for headers, expected in (
        (office.admin_h, ["Not an Indonesian phone number."]),
        ({**office.admin_h, "Accept-Language": "id"}, ["Bukan nomor telepon Indonesia."]),
    ):
        for dry_run in ("true", "false"):
            answer = client.post(
                f"{url}?dry_run={dry_run}",
                data={"file": (io.BytesIO(csv.encode()), "roster.csv")},
                headers=headers,
                content_type="multipart/form-data",
            )
            (row,) = answer.json["invalid"]
            assert set(row["errors"]) == {"name", "phone", "village_code"}
            assert row["errors"]["phone"] == expected
