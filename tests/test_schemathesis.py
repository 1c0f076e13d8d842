"""Schemathesis against the whole API, as every kind of caller.

Stateless: every operation of the committed spec, with schema examples, the coverage phase
(boundary values, missing required parameters, methods the spec does not list) and fuzzing
(valid and invalid data), as each caller, with every check. Stateful: sequences that follow
the spec's links (create, then read, update, act on and delete what was made). The world is
the demo data plus one of everything, built once in a transaction that is rolled back at the
end; each case runs in a savepoint of its own, so each sees the same world.
"""

from __future__ import annotations

import io
import os
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# Hypothesis imports these on first use, inside a test; pytest rewrites a plugin's modules as
# they are imported (ast.parse), and CPython 3.11 keeps the AST builder's recursion depth per
# interpreter, not per thread: parsed while one of the app's threads parses too, an import
# failed with "SystemError: AST constructor recursion depth mismatch" (CI, 2026-12-06;
# python/cpython#106905). Imported here, they are parsed at collection, before any thread runs.
import hypothesis.strategies._internal.attrs
import hypothesis.strategies._internal.random
import hypothesis.strategies._internal.regex
import hypothesis.strategies._internal.types  # noqa: F401
import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import run_state_machine_as_test
from PIL import Image
from schemathesis.generation.meta import TestPhase

from api.state import get_state
from tests.schemathesis_world import CALLERS, World, build_world, providers_configured, sign

pytestmark = pytest.mark.slow  # every operation as every caller, and the stateful runs

# Fuzzed cases per operation and caller, on top of the schema's examples and the coverage
# phase; the stateful run's scenarios and steps per caller. The README quotes what a run of
# this file reports (it writes the counts to schemathesis-summary.txt under pytest's basetemp).
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "40"))
STATEFUL_SCENARIOS = int(os.environ.get("SCHEMATHESIS_STATEFUL_SCENARIOS", "25"))
STATEFUL_STEPS = int(os.environ.get("SCHEMATHESIS_STATEFUL_STEPS", "15"))
ONLY_CALLERS = [c for c in os.environ.get("SCHEMATHESIS_CALLERS", "").split(",") if c]

SPEC = Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"


def _sample_images() -> list[bytes]:
    """Photos to upload (``format: binary``): every format and pixel mode the API takes, tiny
    and extreme sizes, an EXIF orientation. Other bytes are a documented 415."""
    made = []
    shapes = [("RGB", (32, 24), "JPEG"), ("L", (1, 1), "JPEG"), ("CMYK", (8, 8), "JPEG")]
    shapes += [("RGBA", (16, 16), "PNG"), ("P", (5, 7), "PNG"), ("I;16", (4, 4), "PNG")]
    shapes += [("LA", (3, 3), "PNG"), ("RGB", (2400, 1), "PNG"), ("RGBA", (9, 9), "WEBP")]
    for mode, size, kind in shapes:
        buffer = io.BytesIO()
        Image.new(mode, size).save(buffer, format=kind)
        made.append(buffer.getvalue())
    rotated = Image.new("RGB", (6, 4))
    exif = rotated.getexif()
    exif[0x0112] = 6  # shown rotated 90 degrees
    buffer = io.BytesIO()
    rotated.save(buffer, format="JPEG", exif=exif.tobytes())
    made.append(buffer.getvalue())
    return made


schemathesis.openapi.format("binary", st.sampled_from(_sample_images()))
CONFIG = schemathesis.Config.from_dict(
    {
        "base-url": "http://localhost",
        "generation": {
            "max-examples": MAX_EXAMPLES,
            "deterministic": True,
            "database": "none",
            "no-shrink": True,
            # Each caller sends its own credentials only; requests without them, and with
            # invalid ones, are the ignored_auth check's probes and the anonymous caller's.
            "with-security-parameters": False,
        },
        # Sequences are for flows: valid data, so that what is made can be used; invalid data
        # is the stateless test's.
        "phases": {"stateful": {"max-steps": STATEFUL_STEPS, "generation": {"mode": "positive"}}},
        "checks": {
            # Every check is on. Schema-valid data may still break a rule the schema cannot
            # state (an unknown id in the body, a phone number that is not a mobile number, a
            # date in the past, a stale ETag): those are 422 and 412 in the contract.
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "3xx", "401", "403", "404", "409", "412", "422", "429"]
            },
            # An If-Match that is none of our ETags fails the precondition (412, RFC 9110).
            "negative_data_rejection": {
                "expected-statuses": [
                    *("400", "401", "403", "404", "405", "406", "409", "412", "413"),
                    *("415", "422", "428", "429"),
                ]
            },
            # A PATCH without its required If-Match is a 428 (RFC 6585), as documented.
            "missing_required_header": {
                "expected-statuses": ["400", "401", "403", "406", "415", "422", "428"]
            },
        },
    }
)


class SuiteApp:
    """The WSGI app the schema's cases are sent to: the suite's, once its fixture made it."""

    target: Flask | None = None

    def __call__(self, environ: Any, start_response: Any) -> Any:
        assert self.target is not None, "use the world fixture"
        sign(environ)
        return self.target(environ, start_response)


SUITE_APP = SuiteApp()
schema = schemathesis.openapi.from_path(SPEC, config=CONFIG)
schema.app = SUITE_APP

# (operation, caller, "fuzzed" or "covering") -> cases sent
cases: Counter[tuple[str, str, str]] = Counter()
steps: Counter[str] = Counter()
linked: Counter[str] = Counter()
outcomes: dict[str, Counter[str]] = defaultdict(Counter)


@pytest.fixture(scope="module")
def world(
    app: Flask, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    state = get_state(app)
    started = time.monotonic()
    SUITE_APP.target = app
    with state.engine.connect() as connection, providers_configured(app):
        transaction = connection.begin()
        state.sessionmaker.configure(bind=connection, join_transaction_mode="create_savepoint")
        try:
            yield build_world(app, connection)
        finally:
            state.sessionmaker.configure(
                bind=state.engine, join_transaction_mode="conservative_savepoint"
            )
            transaction.rollback()
    _report(request, tmp_path_factory.getbasetemp(), time.monotonic() - started)


SELECTED = [c for c in CALLERS if not ONLY_CALLERS or c in ONLY_CALLERS]


@pytest.fixture
def callers(world: World) -> dict[str, dict[str, str]]:
    """Every caller's credentials (fresh tokens for each operation: they last 15 minutes)."""
    return {name: world.headers(name) for name in SELECTED}


@pytest.fixture(params=SELECTED)
def caller(request: pytest.FixtureRequest, world: World) -> tuple[str, dict[str, str]]:
    name: str = request.param
    return name, world.headers(name)


# Answers that come before anything else an operation does, the same whatever the case:
# a caller refused this way a few times gets no more of that operation's cases.
REFUSALS = {"authentication_required", "role_not_allowed", "insufficient_scope"}
REFUSED_ENOUGH = 3
refused: Counter[tuple[str, str]] = Counter()
turn: Counter[str] = Counter()


@schema.parametrize()
@settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture], derandomize=True, database=None
)
def test_stateless(case: Any, world: World, callers: dict[str, dict[str, str]]) -> None:
    """A fuzzed case is sent as every caller; a schema example or coverage case (boundary
    values, missing parameters, unlisted methods: the same validation for every caller the
    operation admits) as the next caller in turn that the operation does not refuse. Each
    request runs in a savepoint of its own."""
    world.aim(case)
    label = case.operation.label
    names = [name for name in callers if refused[label, name] < REFUSED_ENOUGH]
    fuzzed = case.meta is None or case.meta.phase.name == TestPhase.FUZZING
    if not fuzzed:
        start = turn[label] % len(names)
        turn[label] += 1
        names = names[start:] + names[:start]
    kind = "fuzzed" if fuzzed else "covering"
    for name in names:
        cases[label, name, kind] += 1
        with world.fresh():
            try:
                response = case.call_and_validate(headers=callers[name])
            except Exception as error:
                error.add_note(f"Caller: {name}")
                raise
        if response.status_code in (401, 403) and _code(response) in REFUSALS:
            refused[label, name] += 1
        elif not fuzzed:
            break


def _code(response: Any) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("code") if isinstance(body, dict) else None


def test_stateful(world: World, caller: tuple[str, dict[str, str]]) -> None:
    name, headers = caller

    class Workflow(schema.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            world.save()

        def teardown(self) -> None:
            world.undo()

        def step(self, input: Any) -> Any:
            steps[name] += 1
            if input.transition is not None and input.is_applied:
                linked[name] += 1
            world.aim(input.case, keep=input.applied_parameters)
            return super().step(input)

        def after_call(self, response: Any, case: Any) -> None:
            super().after_call(response, case)
            outcomes[name][f"{case.operation.label} {response.status_code}"] += 1

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": headers}

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            case.validate_response(
                response, headers=headers, transport_kwargs=kwargs, recorder=self.recorder
            )

    run_state_machine_as_test(
        Workflow,
        settings=settings(
            max_examples=STATEFUL_SCENARIOS,
            stateful_step_count=STATEFUL_STEPS,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )


def _report(request: pytest.FixtureRequest, folder: Path, seconds: float) -> None:
    """Write how many cases ran per operation and caller, and say so on the terminal."""
    lines = [f"schemathesis: {seconds:.0f} s"]
    if cases:
        operations = {label for label, _, _ in cases}
        covering = Counter[str]()
        for (label, _, kind), n in cases.items():
            if kind == "covering":
                covering[label] += n
        pairs = [(label, name) for label in operations for name in SELECTED]
        admitted = [cases[(*pair, "fuzzed")] for pair in pairs if refused[pair] < REFUSED_ENOUGH]
        lines += [
            f"stateless: {len(operations)} operations, {sum(cases.values())} requests",
            f"  schema examples and coverage cases per operation: {_spread(covering.values())}",
            f"  fuzzed cases per operation and caller it admits: {_spread(admitted)}",
            f"  operation-caller pairs refused outright: {len(pairs) - len(admitted)}",
        ]
    if steps:
        lines.append(
            f"stateful: {sum(steps.values())} steps, {sum(linked.values())} of them following "
            f"a link; per caller: {dict(steps)}"
        )
    detail = [f"{label} as {name}, {kind}: {n}" for (label, name, kind), n in sorted(cases.items())]
    detail += [
        f"stateful {caller} {outcome}: {n}"
        for caller, counts in sorted(outcomes.items())
        for outcome, n in sorted(counts.items())
    ]
    path = Path(os.environ.get("SCHEMATHESIS_SUMMARY", folder / "schemathesis-summary.txt"))
    path.write_text("\n".join(lines + detail) + "\n", encoding="utf-8")
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line("")
            for line in [*lines, f"details: {path}"]:
                reporter.write_line(line)


def _spread(values: Any) -> str:
    values = sorted(values)
    if not values:
        return "none"
    return f"min {values[0]}, median {statistics.median(values):.0f}, max {values[-1]}"
