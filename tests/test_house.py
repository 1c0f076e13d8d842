"""The suite's own shape: shared helpers live in helper modules, not in other test files (a
test file imported by another runs its fixtures twice and ties the two together)."""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def test_no_test_file_imports_another() -> None:
    importing = re.compile(r"^\s*(from\s+tests\.test_\w+\s+import|import\s+tests\.test_)", re.M)
    offenders = sorted(
        path.name for path in TESTS.glob("*.py") if importing.search(path.read_text())
    )
    assert offenders == [], "move what they share to tests/helpers.py or tests/worlds.py"


def test_json_bodies_take_true_and_false_only() -> None:
    """marshmallow's Boolean also loads 0, 1, "yes", "on"...; a JSON body's flag is `Flag`
    (query strings keep Boolean, where "true" is spelled out). Schemathesis found bodies that
    took 0 for false."""
    import importlib
    import inspect
    import pkgutil

    from marshmallow import fields

    import api.schemas
    from api.schemas.common import BaseSchema

    bodies = ("CreateSchema", "PatchSchema", "WriteSchema", "UpdateSchema")
    loose = []
    for module in pkgutil.iter_modules(api.schemas.__path__):
        found = importlib.import_module(f"api.schemas.{module.name}")
        for name, schema in inspect.getmembers(found, inspect.isclass):
            if not (issubclass(schema, BaseSchema) and name.endswith(bodies)):
                continue
            loose += [
                f"{name}.{field}"
                for field, kind in schema._declared_fields.items()
                if type(kind) is fields.Boolean and not kind.dump_only
            ]
    assert loose == []
