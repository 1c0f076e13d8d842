"""How long the monthly check-in schedule and WhatsApp delivery take for N graduates.

``PYTHONPATH=. .venv/bin/python bench/reach.py [DATABASE_URL] [N]`` (default: the test
PostgreSQL database ``berdaya_reach``, 300 graduates). Everything happens in a transaction that
is rolled back; WhatsApp is a local stand-in (``tests/provider_server.py``).
"""

import datetime as dt
import sys
import time

from sqlalchemy.orm import Session

from api import create_app, jobs
from api.models import ClaimStatus, Cohort, GraduateClaim, Program, Role
from api.services import reach
from api.services.messaging import rules
from api.state import get_state
from tests import factories
from tests.conftest import TEST_SETTINGS
from tests.provider_server import provider_server

URL = (
    sys.argv[1]
    if len(sys.argv) > 1
    else "postgresql+psycopg://postgres@127.0.0.1:5432/berdaya_reach"
)
N = int(sys.argv[2]) if len(sys.argv) > 2 else 300
with provider_server() as server:
    server.default = (200, {"messages": [{"id": "wamid.{n}"}]})
    app = create_app(
        {
            **TEST_SETTINGS,
            "database_url": URL,
            "messaging_provider": "whatsapp",
            "whatsapp_api_url": server.url,
            "whatsapp_phone_number_id": "1",
            "whatsapp_access_token": "t",
            "whatsapp_app_secret": "s",
            "whatsapp_verify_token": "v",
        }
    )
    state = get_state(app)
    day = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    rules.now = lambda: dt.datetime(day.year, day.month, day.day, 3, tzinfo=dt.UTC)
    with state.engine.connect() as conn:
        tx = conn.begin()
        state.sessionmaker.configure(bind=conn, join_transaction_mode="create_savepoint")
        s = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
        factories.bind(s)
        prog = Program(name="P")
        s.add(prog)
        s.flush()
        cohort = Cohort(
            program_id=prog.id,
            name="C",
            year=2024,
            region_code="32.75",
            track="catering",
            graduated_on=dt.date(2024, 11, 30),
            facilitator_ids=[],
        )
        s.add(cohort)
        s.flush()
        for i in range(N):
            u = factories.UserFactory(role=Role.ALUMNA, phone=f"+62812{i:07d}", locale="id")
            factories.BusinessFactory(owner_id=u.id)
            s.add(GraduateClaim(user_id=u.id, cohort_id=cohort.id, status=ClaimStatus.VERIFIED))
        s.commit()
        with app.app_context():
            t = time.perf_counter()
            counts = reach.send_check_ins(s, state.tools.messenger)
            s.commit()
            ask = time.perf_counter() - t
            t = time.perf_counter()
            made = jobs.deliver_due(app)
            deliver = time.perf_counter() - t
        print(
            f"{N} graduates: asked {counts['asked']} in {ask:.2f}s; {made} WhatsApp deliveries to the local stand-in in {deliver:.2f}s ({made / deliver:.0f}/s, one worker)"
        )
        tx.rollback()
    state.engine.dispose()
