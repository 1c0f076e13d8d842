"""Mass assignment: no request body may set what the server decides (ids, owners, statuses,
verification, roles, counters, timestamps). Every request body of the spec is checked: such a
field is either absent from its schema (and then refused, 422, naming it) or one of the few
listed here with the reason it is the caller's to give."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from marshmallow import Schema, ValidationError

import api.resources  # noqa: F401  (imports every schema)

SPEC = json.loads((Path(__file__).resolve().parent.parent / "openapi" / "openapi.json").read_text())

FORBIDDEN = {
    "id": "x",
    "owner_id": "usr_x",
    "user_id": "usr_x",
    "buyer_id": "usr_x",
    "author_id": "usr_x",
    "created_by_id": "usr_x",
    "organization_id": "org_x",
    "status": "active",
    "verified": True,
    "verified_at": "2026-01-01T00:00:00Z",
    "verified_graduate": True,
    "role": "admin",
    "version": 1,
    "rating_count": 1,
    "rating_sum": 5,
    "view_count": 1,
    "total_idr": 1,
    "subtotal_idr": 1,
    "progress": 1,
    "confirmed_idr": 1,
    "hidden": False,
    "hidden_at": None,
    "suspended_at": None,
    "created_at": "2026-01-01T00:00:00Z",
    "updated_at": "2026-01-01T00:00:00Z",
    "secret": "x",
    "secret_hash": "x",
    "password_hash": "x",
    "last_used_at": "2026-01-01T00:00:00Z",
}

# (schema, field): why the caller may give it.
ALLOWED = {
    ("RegisterSchema", "role"): "she chooses alumna or buyer; staff roles are refused",
    ("WebhookCreateSchema", "organization_id"): "which of her organisations; checked as admin",
    ("CourseCreateSchema", "organization_id"): "which of her verified organisations publishes",
    ("TrainingEventCreateSchema", "organization_id"): "which of her verified organisations runs "
    "it; checked to be hers and verified",
    ("ConsentCreateSchema", "organization_id"): "whom she consents to; checked to exist",
    ("MemberCreateSchema", "role"): "an organisation's admin sets a member's role there",
    ("RecoveryCreateSchema", "user_id"): "whose account: checked to be a graduate of hers",
    ("RosterLinkSchema", "user_id"): "the alumna she met; the cohort must be hers",
    ("InvitationCreateSchema", "user_id"): "whom the ketua invites; she accepts or declines",
    ("InvitationCreateSchema", "role"): "the ketua gives the woman invited her role",
    ("RoleChangeSchema", "role"): "the ketua hands roles out in her group",
}

# What a messaging provider posts (WhatsApp, the SMS gateway): documented so that the callbacks
# can be fuzzed, never loaded onto a row. The provider decides every field; its signature over
# the raw body, not this schema, decides what is trusted (api/services/messaging/inbound.py).
PROVIDER_BODIES = {"TwilioCallbackSchema", "WhatsAppNotificationSchema"}


def _schemas() -> dict[str, type[Schema]]:
    found: dict[str, type[Schema]] = {}
    stack: list[type[Schema]] = [Schema]
    while stack:
        cls = stack.pop()
        found[cls.__name__.removesuffix("Schema")] = cls
        stack.extend(cls.__subclasses__())
    return found


def _bodies() -> list[tuple[str, str]]:
    names: set[tuple[str, str]] = set()
    for path, item in SPEC["paths"].items():
        for method, op in item.items():
            if method not in ("post", "put", "patch", "delete"):
                continue
            content = op.get("requestBody", {}).get("content", {})
            for media in content.values():
                ref = media.get("schema", {}).get("$ref")
                if ref:
                    names.add((f"{method.upper()} {path}", ref.rsplit("/", 1)[1]))
    return sorted(names)


BODIES = _bodies()


def test_every_request_body_is_checked() -> None:
    known = _schemas()
    assert BODIES and all(name in known for _, name in BODIES), [
        n for _, n in BODIES if n not in known
    ]
    # Every exception listed is still needed (a stale one would hide nothing but mislead).
    bodies = {known[name].__name__ for _, name in BODIES}
    for schema_name, field in ALLOWED:
        assert schema_name in bodies, schema_name
        assert field in known[schema_name.removesuffix("Schema")]().fields, (schema_name, field)


@pytest.mark.parametrize(("operation", "name"), BODIES)
def test_server_decided_fields_are_refused(operation: str, name: str) -> None:
    schema_class = _schemas()[name]
    if schema_class.__name__ in PROVIDER_BODIES:
        pytest.skip("a provider's signed payload, never assigned to a row")
    schema = schema_class()
    loadable = {f.data_key or n for n, f in schema.fields.items() if not f.dump_only}
    for field, value in FORBIDDEN.items():
        if field in loadable:
            assert (schema_class.__name__, field) in ALLOWED, (
                f"{operation}: {schema_class.__name__} lets the caller set {field!r}"
            )
            continue
        with pytest.raises(ValidationError) as refused:
            schema.load({field: value})
        assert field in _flat_keys(refused.value.messages), (operation, field)


def _flat_keys(messages: Any) -> set[str]:
    keys: set[str] = set()
    if isinstance(messages, dict):
        for key, value in messages.items():
            keys.add(str(key))
            keys |= _flat_keys(value)
    return keys
