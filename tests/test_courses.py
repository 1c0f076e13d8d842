"""Courses: who may publish, the lifecycle, modules and their order, attachments judged by
content (PDF, images in the photo renditions, short audio), enrolment and progress, search,
and other people's ids."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from api import create_app
from api.db import utcnow
from api.documents import AUDIO_MAX_SECONDS, PDF_MAX_BYTES
from api.models import (
    CourseEnrolment,
    CourseLevel,
    Event,
    IdempotencyRecord,
    Membership,
    ModuleProgress,
    Organization,
    OrganizationKind,
    Role,
    Topic,
    User,
)
from api.services import auth as auth_service
from api.services import privacy
from api.services.authz import Actor
from api.services.training import courses
from api.state import get_state
from tests.conftest import TEST_SETTINGS, Auth
from tests.helpers import (
    assert_problem,
    error_fields,
    image_bytes,
    in_parallel,
    media_file,
    upload,
)
from tests.worlds import School

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def mp3_bytes(seconds: float) -> bytes:
    """A constant-bitrate MP3 of silence-like frames: MPEG-1 Layer III, 32 kbit/s, 32 kHz,
    mono (144-byte frames of 36 ms), so that a long one still fits the size limit."""
    frame = b"\xff\xfb\x18\xc4" + b"\x00" * 140
    return frame * max(1, round(seconds / 0.036))


@pytest.fixture
def school(auth: Auth) -> School:
    return School(auth)


# -- who may publish ---------------------------------------------------------------------------


def test_members_of_verified_universities_companies_and_offices_may_publish(
    client: FlaskClient, school: School
) -> None:
    made = school.course(client)
    assert made.status_code == 201, made.json
    body = made.json
    assert body["status"] == "draft" and body["modules"] == [] and body["enrolment_count"] == 0
    assert body["publisher"] == {
        "id": school.university.id,
        "name": school.university.name,
        "kind": "university",
    }
    assert body["allowed_actions"] == ["publish", "archive"] and body["my_progress"] is None
    by_company = school.course(client, school.partner_h, organization_id=school.company.id)
    assert by_company.status_code == 201
    by_office = school.course(client, school.admin_h, organization_id=school.office.id)
    assert by_office.status_code == 201


def test_no_course_without_a_verified_publisher_of_ones_own(
    client: FlaskClient, school: School
) -> None:
    unverified = school.course(client, school.newcomer_h, organization_id=school.unverified.id)
    assert_problem(unverified, 403, "not_a_verified_publisher")
    # Someone else's organisation, or an id that does not exist: the same answer.
    assert_problem(school.course(client, school.partner_h), 403, "not_a_verified_publisher")
    stranger = school.course(client, organization_id="org_01JD3XABCDEFGHJKMNPQRSTVWX")
    assert_problem(stranger, 403, "not_a_verified_publisher")
    assert_problem(school.course(client, school.alumna_h), 403, "role_not_allowed")
    assert_problem(school.course(client, school.buyer_h), 403, "role_not_allowed")
    assert_problem(school.course(client, {}), 401)


def test_bounded_and_typed_inputs(client: FlaskClient, school: School) -> None:
    bad = school.course(client, title="x" * 121, topic="cooking", level="expert", language="fr")
    assert error_fields(assert_problem(bad, 422)) >= {"title", "topic", "level", "language"}
    course = school.course(client).json
    long_body = {"title": "Modul", "body": "x" * 20001}
    too_long = client.post(
        f"/v1/courses/{course['id']}/modules", json=long_body, headers=school.mentor_h
    )
    assert "body" in error_fields(assert_problem(too_long, 422))


def test_creating_with_an_idempotency_key_makes_one_course(
    client: FlaskClient, school: School, db_session: Session
) -> None:
    headers = {**school.mentor_h, "Idempotency-Key": "kursus-1"}
    first = school.course(client, headers)
    again = school.course(client, headers)
    assert first.status_code == again.status_code == 201
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json["id"] == first.json["id"]


# -- lifecycle ---------------------------------------------------------------------------------


def test_draft_published_archived_and_who_sees_each(
    client: FlaskClient, school: School, db_session: Session
) -> None:
    course = school.course(client).json
    cid = course["id"]
    for headers in ({}, school.alumna_h, school.partner_h):
        assert_problem(client.get(f"/v1/courses/{cid}", headers=headers), 404)
    assert client.get(f"/v1/courses/{cid}", headers=school.mentor_h).status_code == 200
    assert client.get(f"/v1/courses/{cid}", headers=school.admin_h).status_code == 200
    assert cid not in [c["id"] for c in client.get("/v1/courses").json["items"]]
    empty = client.post(f"/v1/courses/{cid}/publish", headers=school.mentor_h)
    assert_problem(empty, 409, "course_has_no_modules")
    school.module(client, cid)
    assert_problem(client.post(f"/v1/courses/{cid}/publish", headers=school.partner_h), 404)
    published = client.post(f"/v1/courses/{cid}/publish", headers=school.mentor_h)
    assert published.status_code == 200 and published.json["status"] == "published"
    assert published.json["published_at"] is not None
    assert client.get(f"/v1/courses/{cid}").status_code == 200
    assert cid in [c["id"] for c in client.get("/v1/courses").json["items"]]
    again = client.post(f"/v1/courses/{cid}/publish", headers=school.mentor_h)
    assert_problem(again, 409, "invalid_transition")

    assert client.put(f"/v1/courses/{cid}/enrolment", headers=school.alumna_h).status_code == 200
    archived = client.post(f"/v1/courses/{cid}/archive", headers=school.mentor_h)
    assert archived.status_code == 200 and archived.json["status"] == "archived"
    assert_problem(client.get(f"/v1/courses/{cid}"), 404)
    assert_problem(client.get(f"/v1/courses/{cid}", headers=school.other_h), 404)
    kept = client.get(f"/v1/courses/{cid}", headers=school.alumna_h)
    assert kept.status_code == 200 and kept.json["my_progress"]["modules_total"] == 1
    assert cid not in [c["id"] for c in client.get("/v1/courses").json["items"]]
    drafts = client.get("/v1/courses?status=archived", headers=school.mentor_h).json["items"]
    assert [c["id"] for c in drafts] == [cid]
    assert client.get("/v1/courses?status=archived", headers=school.partner_h).json["items"] == []
    frozen = client.post(
        f"/v1/courses/{cid}/modules", json={"title": "Lagi"}, headers=school.mentor_h
    )
    assert_problem(frozen, 409, "course_archived")
    types = list(
        db_session.scalars(select(Event.type).where(Event.subject_id == cid).order_by(Event.seq))
    )
    assert "course.published" in types and types[-1] == "course.archived"
    published_event = db_session.scalar(
        select(Event).where(Event.subject_id == cid, Event.type == "course.published")
    )
    assert published_event is not None and published_event.public


def test_updates_need_the_current_etag(client: FlaskClient, school: School) -> None:
    course = school.course(client).json
    url = f"/v1/courses/{course['id']}"
    assert_problem(client.patch(url, json={"level": "advanced"}, headers=school.mentor_h), 428)
    stale = {**school.mentor_h, "If-Match": '"stale"'}
    assert_problem(client.patch(url, json={"level": "advanced"}, headers=stale), 412)
    read = client.get(url, headers=school.mentor_h)
    assert (
        client.get(
            url, headers={**school.mentor_h, "If-None-Match": read.headers["ETag"]}
        ).status_code
        == 304
    )
    fresh = {**school.mentor_h, "If-Match": read.headers["ETag"]}
    changed = client.patch(url, json={"level": "advanced", "title": "Buku kas"}, headers=fresh)
    assert changed.status_code == 200 and changed.json["level"] == "advanced"
    other = client.get(url, headers=school.partner_h)
    assert other.status_code == 404


# -- modules -----------------------------------------------------------------------------------


def test_modules_in_order_reordered_changed_and_deleted(
    client: FlaskClient, school: School
) -> None:
    cid = school.course(client).json["id"]
    first, second, third = (school.module(client, cid, f"Modul {i}") for i in (1, 2, 3))
    url = f"/v1/courses/{cid}/modules/order"
    missing = client.put(url, json={"module_ids": [first, second]}, headers=school.mentor_h)
    assert "module_ids" in error_fields(assert_problem(missing, 422))
    reordered = client.put(
        url, json={"module_ids": [third, first, second]}, headers=school.mentor_h
    )
    assert [m["id"] for m in reordered.json["modules"]] == [third, first, second]
    assert [m["position"] for m in reordered.json["modules"]] == [0, 1, 2]
    module_url = f"/v1/courses/{cid}/modules/{first}"
    read = client.get(module_url, headers=school.mentor_h)
    assert_problem(client.patch(module_url, json={"title": "Baru"}, headers=school.mentor_h), 428)
    changed = client.patch(
        module_url,
        json={"title": "Baru"},
        headers={**school.mentor_h, "If-Match": read.headers["ETag"]},
    )
    assert changed.status_code == 200 and changed.json["title"] == "Baru"
    assert client.delete(module_url, headers=school.mentor_h).status_code == 204
    left = client.get(f"/v1/courses/{cid}", headers=school.mentor_h).json["modules"]
    assert [(m["id"], m["position"]) for m in left] == [(third, 0), (second, 1)]


def test_other_peoples_courses_and_modules_are_out_of_reach(
    client: FlaskClient, school: School
) -> None:
    mine = school.published(client)
    theirs = school.course(client, school.partner_h, organization_id=school.company.id).json
    foreign_module = mine["module_ids"][0]
    # A module of one course under another course's id is not there.
    assert_problem(
        client.get(
            f"/v1/courses/{theirs['id']}/modules/{foreign_module}", headers=school.partner_h
        ),
        404,
    )
    assert_problem(
        client.delete(
            f"/v1/courses/{theirs['id']}/modules/{foreign_module}", headers=school.partner_h
        ),
        404,
    )
    # A published course is visible, but not editable, to a stranger.
    for call in (
        client.post(
            f"/v1/courses/{mine['id']}/modules", json={"title": "x"}, headers=school.partner_h
        ),
        client.delete(
            f"/v1/courses/{mine['id']}/modules/{foreign_module}", headers=school.partner_h
        ),
        client.post(f"/v1/courses/{mine['id']}/archive", headers=school.partner_h),
        upload(
            client,
            f"/v1/courses/{mine['id']}/modules/{foreign_module}/attachments",
            PDF,
            school.partner_h,
        ),
    ):
        assert_problem(call, 403)
    # The platform admin moderates any course.
    assert (
        client.post(f"/v1/courses/{mine['id']}/archive", headers=school.admin_h).status_code == 200
    )
    assert_problem(client.get("/v1/courses/crs_01JD3XABCDEFGHJKMNPQRSTVWX"), 404)


# -- attachments -------------------------------------------------------------------------------


def _attachments_url(course: dict[str, Any]) -> str:
    return f"/v1/courses/{course['id']}/modules/{course['module_ids'][0]}/attachments"


def test_a_pdf_an_image_and_short_audio_are_kept_with_their_sizes(
    client: FlaskClient, school: School
) -> None:
    course = school.published(client)
    url = _attachments_url(course)
    pdf = upload(client, url + "?title=Contoh+buku+kas", PDF, school.mentor_h, name="materi.pdf")
    assert pdf.status_code == 201, pdf.json
    assert pdf.json["title"] == "Contoh buku kas"
    assert pdf.json["kind"] == "pdf" and pdf.json["content_type"] == "application/pdf"
    assert pdf.json["size_bytes"] == len(PDF) and pdf.json["renditions"] is None
    assert media_file(client, pdf.json["url"]) == PDF

    # A JPEG sent under a PDF's name is judged by its content: an image, re-encoded.
    image = upload(client, url, image_bytes(), school.mentor_h, name="catatan.pdf")
    assert image.status_code == 201, image.json
    body = image.json
    assert body["kind"] == "image" and body["content_type"] == "image/webp"
    assert (body["width"], body["height"]) == (1600, 1200)
    assert set(body["renditions"]) == {"160", "480", "1080"}
    small = body["renditions"]["160"]
    assert small["size_bytes"] == len(media_file(client, small["url"])) > 0
    assert body["size_bytes"] == body["renditions"]["1080"]["size_bytes"]

    audio = upload(client, url, mp3_bytes(30), school.mentor_h, name="rekaman.mp3")
    assert audio.status_code == 201, audio.json
    assert audio.json["kind"] == "audio" and audio.json["content_type"] == "audio/mpeg"
    assert 25 <= audio.json["duration_seconds"] <= 35
    assert audio.json["size_bytes"] == len(mp3_bytes(30))

    shown = client.get(f"/v1/courses/{course['id']}").json["modules"][0]["attachments"]
    assert [a["kind"] for a in shown] == ["pdf", "image", "audio"]
    gone = client.delete(f"{url}/{pdf.json['id']}", headers=school.mentor_h)
    assert gone.status_code == 204
    left = client.get(f"/v1/courses/{course['id']}").json["modules"][0]["attachments"]
    assert [(a["kind"], a["position"]) for a in left] == [("image", 0), ("audio", 1)]


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"MZ\x90\x00 an executable, not a PDF", "materi.pdf"),
        (b"<html><script>alert(1)</script></html>", "gambar.png"),
        (b"ID3 but not really audio", "rekaman.mp3"),
        (b"", "kosong.pdf"),
    ],
)
def test_a_file_of_the_wrong_type_by_content_is_refused(
    client: FlaskClient, school: School, data: bytes, name: str
) -> None:
    course = school.published(client, modules=1)
    refused = upload(client, _attachments_url(course), data, school.mentor_h, name=name)
    assert refused.status_code in (415, 422)
    if refused.status_code == 415:
        assert_problem(refused, 415, "unsupported_attachment")


def test_files_too_big_or_too_long_are_refused(client: FlaskClient, school: School) -> None:
    course = school.published(client, modules=1)
    url = _attachments_url(course)
    big_pdf = PDF + b"0" * (PDF_MAX_BYTES + 1 - len(PDF))
    assert upload(client, url, big_pdf, school.mentor_h).status_code == 413
    long_audio = mp3_bytes(AUDIO_MAX_SECONDS + 60)
    assert_problem(upload(client, url, long_audio, school.mentor_h), 422, "audio_too_long")
    left = client.get(f"/v1/courses/{course['id']}").json["modules"][0]["attachments"]
    assert left == []


def test_a_module_holds_at_most_ten_attachments(client: FlaskClient, school: School) -> None:
    course = school.published(client, modules=1)
    url = _attachments_url(course)
    for _ in range(10):
        assert upload(client, url, PDF, school.mentor_h).status_code == 201
    assert_problem(upload(client, url, PDF, school.mentor_h), 409, "too_many_attachments")


# -- enrolment and progress --------------------------------------------------------------------


def test_enrolment_and_progress_are_idempotent_and_counted(
    client: FlaskClient, school: School, db_session: Session
) -> None:
    course = school.published(client)
    cid, (first, second) = course["id"], course["module_ids"]
    for _ in range(2):
        enrolled = client.put(f"/v1/courses/{cid}/enrolment", headers=school.alumna_h)
        assert enrolled.status_code == 200
    assert enrolled.json["enrolment_count"] == 1
    assert enrolled.json["my_progress"]["modules_done"] == 0
    assert enrolled.json["allowed_actions"] == ["mark_done"]
    for _ in range(2):
        done = client.put(f"/v1/courses/{cid}/modules/{first}/done", headers=school.alumna_h)
        assert done.status_code == 200
    progress = done.json["my_progress"]
    assert (progress["modules_done"], progress["modules_total"], progress["percent"]) == (1, 2, 50)
    assert progress["done_module_ids"] == [first] and progress["completed_at"] is None
    finished = client.put(f"/v1/courses/{cid}/modules/{second}/done", headers=school.alumna_h)
    assert finished.json["my_progress"]["percent"] == 100
    assert finished.json["my_progress"]["completed_at"] is not None
    undone = client.delete(f"/v1/courses/{cid}/modules/{second}/done", headers=school.alumna_h)
    assert undone.json["my_progress"]["modules_done"] == 1
    # The publisher sees the count, not her progress; the other alumna neither.
    assert client.get(f"/v1/courses/{cid}", headers=school.mentor_h).json["my_progress"] is None
    other = client.get(f"/v1/courses/{cid}", headers=school.other_h).json
    assert other["my_progress"] is None and other["enrolment_count"] == 1
    assert other["allowed_actions"] == ["enrol"]
    rows = db_session.scalars(select(CourseEnrolment).where(CourseEnrolment.course_id == cid))
    assert len(list(rows)) == 1
    mine = client.get("/v1/me/course-enrolments", headers=school.alumna_h).json["items"]
    assert [(c["id"], c["my_progress"]["modules_done"]) for c in mine] == [(cid, 1)]
    assert client.get("/v1/me/course-enrolments", headers=school.other_h).json["items"] == []
    completed = db_session.scalar(
        select(Event).where(Event.subject_id == cid, Event.type == "course_enrolment.completed")
    )
    assert completed is not None and completed.actor_id == school.alumna.id


def test_enrolment_refusals(client: FlaskClient, school: School) -> None:
    course = school.published(client)
    cid, first = course["id"], course["module_ids"][0]
    not_yet = client.put(f"/v1/courses/{cid}/modules/{first}/done", headers=school.alumna_h)
    assert_problem(not_yet, 409, "not_enrolled")
    assert_problem(client.put(f"/v1/courses/{cid}/enrolment", headers=school.buyer_h), 403)
    assert_problem(client.put(f"/v1/courses/{cid}/enrolment"), 401)
    draft = school.course(client).json
    assert_problem(client.put(f"/v1/courses/{draft['id']}/enrolment", headers=school.alumna_h), 404)
    other_course = school.published(client, modules=1)
    client.put(f"/v1/courses/{cid}/enrolment", headers=school.alumna_h)
    foreign = other_course["module_ids"][0]
    wrong = client.put(f"/v1/courses/{cid}/modules/{foreign}/done", headers=school.alumna_h)
    assert_problem(wrong, 404)


def test_her_enrolments_are_in_her_export_and_stay_pseudonymous_after_erasure(
    client: FlaskClient, school: School, db_session: Session
) -> None:
    course = school.published(client)
    cid, first = course["id"], course["module_ids"][0]
    client.put(f"/v1/courses/{cid}/enrolment", headers=school.alumna_h)
    client.put(f"/v1/courses/{cid}/modules/{first}/done", headers=school.alumna_h)
    export = client.get("/v1/me/export", headers=school.alumna_h).json
    [enrolment] = export["course_enrolments"]
    assert enrolment["course_id"] == cid and [d["module_id"] for d in enrolment["done"]] == [first]
    privacy.erase(db_session, actor=Actor(user=school.alumna), storage=_no_storage())
    kept = db_session.scalar(select(CourseEnrolment).where(CourseEnrolment.course_id == cid))
    assert kept is not None and kept.user_id == school.alumna.id
    assert db_session.scalar(select(ModuleProgress.module_id)) is not None


def _no_storage() -> Any:
    class Nothing:
        private: Any = None

        def delete(self, key: str) -> None:
            raise AssertionError(key)

    return Nothing()


# -- search ------------------------------------------------------------------------------------


def test_search_filters_pages_and_etags(client: FlaskClient, school: School) -> None:
    bookkeeping = school.published(client, modules=1)
    marketing = school.published(
        client,
        modules=1,
        title="Jualan lewat WhatsApp",
        topic="digital_marketing",
        level="intermediate",
        language="su",
    )
    school.course(client, title="Draf rahasia")  # a draft: never listed

    def ids(**query: Any) -> list[str]:
        answer = client.get("/v1/courses", query_string=query)
        assert answer.status_code == 200, answer.json
        return [c["id"] for c in answer.json["items"]]

    assert ids(q="WHATSAPP") == [marketing["id"]]
    assert ids(q="rahasia") == []
    assert ids(topic="bookkeeping") == [bookkeeping["id"]]
    assert ids(level="intermediate", language="su") == [marketing["id"]]
    assert set(ids(publisher=school.university.id)) == {bookkeeping["id"], marketing["id"]}
    assert ids(publisher=school.company.id) == []
    unknown = client.get("/v1/courses?publisher=org_01JD3XABCDEFGHJKMNPQRSTVWX")
    assert "publisher" in error_fields(assert_problem(unknown, 422))
    assert_problem(client.get("/v1/courses?topic=cooking"), 422)
    first = client.get("/v1/courses", query_string={"limit": 1, "sort": "title"})
    assert len(first.json["items"]) == 1 and first.json["next_cursor"]
    assert 'rel="next"' in first.headers["Link"]
    second = client.get(
        "/v1/courses",
        query_string={"limit": 1, "sort": "title", "cursor": first.json["next_cursor"]},
    )
    assert second.json["items"][0]["id"] != first.json["items"][0]["id"]
    etag = first.headers["ETag"]
    cached = client.get(
        "/v1/courses", query_string={"limit": 1, "sort": "title"}, headers={"If-None-Match": etag}
    )
    assert cached.status_code == 304
    item = client.get("/v1/courses", query_string={"q": "whatsapp"}).json["items"][0]
    assert item["module_count"] == 1 and "modules" not in item


# -- races (PostgreSQL, committed for real) ----------------------------------------------------


@pytest.fixture
def live_course(app: Flask, database_url: str) -> Iterator[tuple[Flask, str, str, dict[str, str]]]:
    """A committed published course with one module, and a committed alumna's headers."""
    live = create_app({**TEST_SETTINGS, "database_url": database_url, "db_pool_size": 10})
    state = get_state(live)
    tag = uuid.uuid4().hex[:8]
    with state.new_session() as session:
        mentor = User(
            name="Dosen", email=f"race-{tag}-m@example.id", role=Role.MENTOR, password_hash="x"
        )
        alumna = User(
            name="Ibu", email=f"race-{tag}-a@example.id", role=Role.ALUMNA, password_hash="x"
        )
        university = Organization(
            name=f"Universitas {tag}", kind=OrganizationKind.UNIVERSITY, verified_at=utcnow()
        )
        session.add_all([mentor, alumna, university])
        session.flush()
        session.add(Membership(organization_id=university.id, user_id=mentor.id, role="admin"))
        session.flush()
        actor = Actor(user=mentor)
        data = {"organization_id": university.id, "title": "Balapan", "topic": Topic.LICENSING}
        course = courses.create_course(
            session, actor=actor, data={**data, "level": CourseLevel.BEGINNER}
        )
        module = courses.add_module(session, actor=actor, course_id=course.id, data={"title": "1"})
        courses.act(session, actor=actor, course_id=course.id, action="publish")
        tokens = auth_service.open_session(session, security=state.security, user=alumna)
        ids = (course.id, module.id, university.id, mentor.id, alumna.id)
        session.commit()
    headers = {"Authorization": f"Bearer {tokens.access_token}"}
    yield live, ids[0], ids[1], headers
    with state.new_session() as session:
        session.execute(delete(Organization).where(Organization.id == ids[2]))
        session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.scope.in_(ids[3:])))
        session.execute(delete(Event).where(Event.subject_id == ids[0]))
        session.execute(delete(User).where(User.id.in_(ids[3:])))
        session.commit()
    state.engine.dispose()


@pytest.mark.postgres
def test_parallel_enrolments_and_marks_make_one_row_each(
    live_course: tuple[Flask, str, str, dict[str, str]],
) -> None:
    live, course_id, module_id, headers = live_course

    def put(path: str) -> Any:
        def call(_: int) -> int:
            return live.test_client().put(path, headers=headers).status_code

        return call

    assert in_parallel(4, put(f"/v1/courses/{course_id}/enrolment")) == [200] * 4
    assert in_parallel(4, put(f"/v1/courses/{course_id}/modules/{module_id}/done")) == [200] * 4
    with get_state(live).new_session() as session:
        enrolments = session.scalar(
            select(func.count())
            .select_from(CourseEnrolment)
            .where(CourseEnrolment.course_id == course_id)
        )
        marks = session.scalar(
            select(func.count())
            .select_from(ModuleProgress)
            .where(ModuleProgress.module_id == module_id)
        )
        completed = session.scalar(
            select(func.count())
            .select_from(Event)
            .where(Event.subject_id == course_id, Event.type == "course_enrolment.completed")
        )
    assert (enrolments, marks, completed) == (1, 1, 1)


def test_a_draft_archived_unpublished_stays_off_the_public_feed(
    client: FlaskClient, school: School, db_session: Session
) -> None:
    """Its title was never public: archiving it must not announce it to everyone."""
    cid = school.course(client, title="Rencana rahasia kampus").json["id"]
    archived = client.post(f"/v1/courses/{cid}/archive", headers=school.mentor_h)
    assert archived.status_code == 200 and archived.json["status"] == "archived"
    found = list(db_session.scalars(select(Event).where(Event.subject_id == cid)))
    assert found and not any(e.public for e in found)
