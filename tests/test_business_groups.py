"""Business groups: members and roles, invitations she accepts or declines, the ketua's
powers, the officers' edits of the group's business, equipment, other people's ids, what
erasing a member does, and the women of a group counted once in the sponsor's impact."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from api.db import utcnow
from api.models import (
    Business,
    BusinessStatus,
    GroupMember,
    Role,
    Sponsorship,
    SponsorshipStatus,
    SupportKind,
    User,
)
from tests.conftest import Auth
from tests.factories import BusinessFactory, OrganizationFactory, member_of
from tests.helpers import assert_problem, error_fields

TODAY = utcnow().date()
VILLAGE = "32.75.11.1004"


class Kub:
    """Five women of Mustikasari: Ibu Ani (ketua) starts a group and invites four."""

    def __init__(self, auth: Auth, db_session: Session, client: FlaskClient) -> None:
        self.db, self.client = db_session, client
        self.women = [auth.as_role(Role.ALUMNA, name=f"Ibu {n}") for n in "ABCDE"]
        self.ketua, self.ketua_h = self.women[0]
        self.stranger, self.stranger_h = auth.as_role(Role.ALUMNA)
        self.buyer, self.buyer_h = auth.as_role(Role.BUYER)
        made = client.post(
            "/v1/business-groups",
            json={"name": "KUB Melati", "kind": "kub", "village_code": VILLAGE},
            headers=self.ketua_h,
        )
        assert made.status_code == 201, made.json
        self.group = made.json
        self.gid = made.json["id"]

    def url(self, tail: str = "") -> str:
        return f"/v1/business-groups/{self.gid}{tail}"

    def invite(
        self, who: User, role: str = "anggota", headers: dict[str, str] | None = None
    ) -> Any:
        return self.client.post(
            self.url("/members"),
            json={"user_id": who.id, "role": role},
            headers=headers or self.ketua_h,
        )

    def join(self, index: int, role: str = "anggota") -> str:
        user, headers = self.women[index]
        invited = self.invite(user, role)
        assert invited.status_code == 201, invited.json
        mid = invited.json["id"]
        accepted = self.client.post(self.url(f"/members/{mid}/accept"), headers=headers)
        assert accepted.status_code == 200, accepted.json
        return str(mid)

    def everyone(self) -> dict[str, str]:
        roles = ["ketua", "sekretaris", "bendahara", "anggota", "anggota"]
        return {self.women[i][0].id: self.join(i, roles[i]) for i in range(1, 5)}


@pytest.fixture
def kub(auth: Auth, db_session: Session, client: FlaskClient) -> Kub:
    return Kub(auth, db_session, client)


def test_she_starts_a_group_and_is_its_ketua(kub: Kub) -> None:
    assert kub.group["my_role"] == "ketua" and kub.group["members_count"] == 1
    assert kub.group["village"] == {"code": VILLAGE, "name": "Mustikasari"}
    assert "invite" in kub.group["allowed_actions"]
    assert_problem(
        kub.client.post(
            "/v1/business-groups",
            json={"name": "KUB", "kind": "kub", "village_code": VILLAGE},
            headers=kub.buyer_h,
        ),
        403,
    )
    bad = kub.client.post(
        "/v1/business-groups",
        json={"name": "KUB X", "kind": "arisan", "village_code": "32.75"},
        headers=kub.ketua_h,
    )
    assert {"kind"} <= error_fields(assert_problem(bad, 422))


def test_an_invitation_is_hers_to_accept_or_decline(kub: Kub) -> None:
    woman, headers = kub.women[1]
    mid = kub.invite(woman, "sekretaris").json["id"]
    notes = kub.client.get("/v1/me/notifications", headers=headers).json["items"]
    assert [n["type"] for n in notes] == ["business_group_member.invited"]
    seen = kub.client.get(kub.url(), headers=headers).json
    assert seen["my_status"] == "invited" and seen["allowed_actions"] == ["accept", "decline"]
    # Nobody else answers for her, not even the ketua.
    assert_problem(kub.client.post(kub.url(f"/members/{mid}/accept"), headers=kub.ketua_h), 403)
    assert_problem(kub.client.post(kub.url(f"/members/{mid}/accept"), headers=kub.stranger_h), 404)
    declined = kub.client.post(kub.url(f"/members/{mid}/decline"), headers=headers)
    assert declined.json["status"] == "declined"
    # Declined, the group is no longer hers to see (nor to answer).
    assert_problem(kub.client.post(kub.url(f"/members/{mid}/accept"), headers=headers), 404)
    assert_problem(kub.client.get(kub.url(), headers=headers), 404)
    # Not invited again for 7 days (each invitation would notify her); then the same row.
    assert_problem(kub.invite(woman, "sekretaris"), 409, "invitation_cooldown")
    member = kub.db.get(GroupMember, mid)
    assert member is not None and member.ended_at is not None
    member.ended_at -= dt.timedelta(days=7, minutes=1)
    kub.db.flush()
    again = kub.invite(woman, "sekretaris")
    assert again.status_code == 201 and again.json["id"] == mid
    joined = kub.client.post(kub.url(f"/members/{mid}/accept"), headers=headers)
    assert joined.json["status"] == "active" and joined.json["role"] == "sekretaris"


def test_an_invitee_s_name_is_not_shown_until_she_accepts(kub: Kub) -> None:
    """Invited by phone, she is a masked number to the group, no name nor account id, until
    she accepts; a withdrawn invitation is not repeated for 7 days."""
    woman, headers = kub.women[1]
    woman.phone = "+6282112345504"
    kub.db.flush()
    invited = kub.client.post(
        kub.url("/members"),
        json={"phone": "0821-1234-5504", "role": "anggota"},
        headers=kub.ketua_h,
    )
    assert invited.status_code == 201, invited.json
    assert invited.json["user"] is None and invited.json["phone"] == "0821****5504"
    assert woman.id not in str(invited.json) and "Ibu B" not in str(invited.json)
    listed = kub.client.get(kub.url("/members?limit=100"), headers=kub.ketua_h).json["items"]
    assert woman.id not in str(listed) and "Ibu B" not in str(listed)
    mid = invited.json["id"]
    withdrawn = kub.client.delete(kub.url(f"/members/{mid}"), headers=kub.ketua_h)
    assert withdrawn.status_code == 200, withdrawn.json
    assert withdrawn.json["user"] is None
    again = kub.client.post(
        kub.url("/members"),
        json={"phone": "082112345504", "role": "anggota"},
        headers=kub.ketua_h,
    )
    assert_problem(again, 409, "invitation_cooldown")
    feed = kub.client.get("/v1/events", headers=kub.ketua_h)
    assert feed.status_code == 200, feed.json
    assert woman.id not in str(feed.json)  # nor in the events of her invitation
    member = kub.db.get(GroupMember, mid)
    assert member is not None and member.ended_at is not None
    member.ended_at -= dt.timedelta(days=8)
    kub.db.flush()
    mid = kub.invite(woman).json["id"]
    accepted = kub.client.post(kub.url(f"/members/{mid}/accept"), headers=headers)
    assert accepted.json["user"] == {"id": woman.id, "name": "Ibu B"}
    assert accepted.json["phone"] is None


def test_only_the_ketua_invites_removes_and_hands_out_roles(kub: Kub) -> None:
    members = kub.everyone()
    sekretaris_h, anggota = kub.women[2][1], kub.women[4][0]
    assert_problem(kub.invite(kub.stranger, headers=sekretaris_h), 403)
    assert_problem(kub.invite(kub.stranger, "ketua"), 422)
    assert_problem(kub.invite(kub.women[1][0]), 409, "already_in_group")
    mid = members[anggota.id]
    assert_problem(kub.client.delete(kub.url(f"/members/{mid}"), headers=sekretaris_h), 403)
    promote = kub.client.post(
        kub.url(f"/members/{mid}/role"), json={"role": "bendahara"}, headers=sekretaris_h
    )
    assert_problem(promote, 403)
    removed = kub.client.delete(kub.url(f"/members/{mid}"), headers=kub.ketua_h)
    assert removed.status_code == 200 and removed.json["status"] == "removed"
    # The ketua leaves only after handing over; then she is anggota and may leave.
    own = kub.client.get(kub.url("/members?limit=100"), headers=kub.ketua_h).json["items"]
    ketua_mid = next(m["id"] for m in own if m["user"]["id"] == kub.ketua.id)
    assert_problem(
        kub.client.delete(kub.url(f"/members/{ketua_mid}"), headers=kub.ketua_h),
        409,
        "ketua_must_hand_over",
    )
    handed = kub.client.post(
        kub.url(f"/members/{members[kub.women[1][0].id]}/role"),
        json={"role": "ketua"},
        headers=kub.ketua_h,
    )
    assert handed.json["role"] == "ketua"
    left = kub.client.delete(kub.url(f"/members/{ketua_mid}"), headers=kub.ketua_h)
    assert left.json["status"] == "left"
    assert kub.client.get(kub.url(), headers=kub.women[1][1]).json["my_role"] == "ketua"


def test_other_peoples_ids(kub: Kub, auth: Auth) -> None:
    kub.everyone()
    other = kub.client.post(
        "/v1/business-groups",
        json={"name": "Kelompok Mawar", "kind": "kelompok_usaha", "village_code": VILLAGE},
        headers=kub.stranger_h,
    ).json["id"]
    other_members = kub.client.get(
        f"/v1/business-groups/{other}/members", headers=kub.stranger_h
    ).json["items"]
    # A member id of another group, through this group's path, is not found.
    foreign = other_members[0]["id"]
    assert_problem(kub.client.delete(kub.url(f"/members/{foreign}"), headers=kub.ketua_h), 404)
    assert_problem(kub.client.get(f"/v1/business-groups/{other}", headers=kub.ketua_h), 404)
    assert_problem(kub.client.get(kub.url("/members"), headers=kub.buyer_h), 404)
    # Someone else's business cannot be put into the group; nor a non-alumna invited.
    business = BusinessFactory(owner_id=kub.stranger.id)
    taken = kub.client.post(
        kub.url("/businesses"), json={"business_id": business.id}, headers=kub.ketua_h
    )
    assert "business_id" in error_fields(assert_problem(taken, 422))
    assert "user_id" in error_fields(assert_problem(kub.invite(kub.buyer), 422))
    listed = kub.client.get("/v1/business-groups", headers=kub.ketua_h).json["items"]
    assert [g["id"] for g in listed] == [kub.gid]


def test_officers_edit_the_groups_business_members_do_not(kub: Kub, db_session: Session) -> None:
    members = kub.everyone()
    business = BusinessFactory(owner_id=kub.ketua.id, name="Keripik Melati")
    added = kub.client.post(
        kub.url("/businesses"), json={"business_id": business.id}, headers=kub.ketua_h
    )
    assert added.status_code == 200 and added.json["business_ids"] == [business.id]
    url = f"/v1/businesses/{business.id}"
    for index, expected in ((0, 200), (1, 200), (2, 200), (3, 403), (4, 403)):
        headers = kub.women[index][1]
        etag = kub.client.get(url, headers=headers).headers["ETag"]
        changed = kub.client.patch(
            url,
            json={"description": f"Keripik {index}"},
            headers={**headers, "If-Match": etag},
        )
        assert changed.status_code == expected, (index, changed.json)
    # The bendahara records a sale of the group's business (its sales are the group's).
    sale = kub.client.post(
        f"{url}/sales",
        json={"sold_on": TODAY.isoformat(), "amount_idr": 150_000, "channel": "market_stall"},
        headers=kub.women[2][1],  # the bendahara
    )
    assert sale.status_code == 201, sale.json
    # A removed officer loses the right at once.
    kub.client.delete(kub.url(f"/members/{members[kub.women[2][0].id]}"), headers=kub.ketua_h)
    etag = kub.client.get(url, headers=kub.women[2][1]).headers["ETag"]
    gone = kub.client.patch(
        url, json={"description": "x"}, headers={**kub.women[2][1], "If-Match": etag}
    )
    assert_problem(gone, 403)


def test_equipment_is_recorded_by_officers_and_read_by_members(kub: Kub) -> None:
    kub.everyone()
    body = {
        "name": "Mesin jahit",
        "quantity": 2,
        "value_idr": 5_000_000,
        "received_on": TODAY.isoformat(),
        "source": "CSR PT Sinar",
    }
    made = kub.client.post(kub.url("/equipment"), json=body, headers=kub.women[2][1])
    assert made.status_code == 201, made.json
    assert_problem(kub.client.post(kub.url("/equipment"), json=body, headers=kub.women[4][1]), 403)
    future = {**body, "received_on": (TODAY + dt.timedelta(days=3)).isoformat()}
    assert_problem(kub.client.post(kub.url("/equipment"), json=future, headers=kub.ketua_h), 422)
    huge = {**body, "quantity": 10**9}
    assert_problem(kub.client.post(kub.url("/equipment"), json=huge, headers=kub.ketua_h), 422)
    items = kub.client.get(kub.url("/equipment"), headers=kub.women[4][1]).json["items"]
    assert [i["name"] for i in items] == ["Mesin jahit"]
    assert_problem(kub.client.get(kub.url("/equipment"), headers=kub.stranger_h), 404)


def test_erasing_the_ketua_leaves_the_group_and_its_business(kub: Kub, db_session: Session) -> None:
    members = kub.everyone()
    business = BusinessFactory(owner_id=kub.ketua.id, name="Keripik Melati")
    kub.client.post(kub.url("/businesses"), json={"business_id": business.id}, headers=kub.ketua_h)
    etag = kub.client.get("/v1/me", headers=kub.ketua_h).headers["ETag"]
    erased = kub.client.delete("/v1/me", headers={**kub.ketua_h, "If-Match": etag})
    assert erased.status_code == 204, erased.get_json()
    db_session.expire_all()
    kept = db_session.get(Business, business.id)
    assert kept is not None and kept.name == "Keripik Melati" and kept.group_id == kub.gid
    new_ketua = kub.women[1][0].id  # the longest-standing officer
    assert kept.owner_id == new_ketua
    roles = {
        m.user_id: (m.role.value, m.status.value)
        for m in db_session.query(GroupMember).filter(GroupMember.group_id == kub.gid)
    }
    assert roles[kub.ketua.id] == ("anggota", "left")
    assert roles[new_ketua] == ("ketua", "active")
    assert members  # the four others are still members
    assert kub.client.get(kub.url(), headers=kub.women[1][1]).json["members_count"] == 4


def test_a_removed_member_keeps_the_business_she_brought(kub: Kub, db_session: Session) -> None:
    """Removed by the ketua (or leaving), her own business leaves the group with her, its
    sponsorship with it: the ketua does not take it by removing her."""
    members = kub.everyone()
    woman, headers = kub.women[1]  # sekretaris: an officer, she brings her business in
    business = BusinessFactory(owner_id=woman.id, name="Jahit Bu B")
    company = OrganizationFactory(name="PT Sponsor", verified_at=utcnow())
    sponsorship = Sponsorship(
        organization_id=company.id,
        business_id=business.id,
        kind=SupportKind.CASH,
        value_idr=1_000_000,
        status=SponsorshipStatus.ACTIVE,
    )
    db_session.add(sponsorship)
    db_session.flush()
    added = kub.client.post(
        kub.url("/businesses"), json={"business_id": business.id}, headers=headers
    )
    assert added.status_code == 200, added.json
    assert business.id in kub.client.get(kub.url(), headers=kub.ketua_h).json["business_ids"]
    removed = kub.client.delete(kub.url(f"/members/{members[woman.id]}"), headers=kub.ketua_h)
    assert removed.status_code == 200, removed.json
    db_session.expire_all()
    kept = db_session.get(Business, business.id)
    assert kept is not None and kept.owner_id == woman.id and kept.group_id is None
    assert db_session.get(Sponsorship, sponsorship.id).business_id == business.id  # type: ignore[union-attr]
    assert business.id not in kub.client.get(kub.url(), headers=kub.ketua_h).json["business_ids"]
    assert kub.client.get(f"/v1/businesses/{business.id}", headers=headers).status_code == 200


def test_export_lists_her_memberships(kub: Kub) -> None:
    kub.join(1)
    copy = kub.client.get("/v1/me/export", headers=kub.women[1][1]).json
    assert [(m["group_id"], m["status"]) for m in copy["group_memberships"]] == [
        (kub.gid, "active")
    ]


# -- sponsoring a group: women counted once -----------------------------------------------------


def test_a_group_need_and_sponsorship_count_each_woman_once(
    kub: Kub, auth: Auth, db_session: Session
) -> None:
    kub.everyone()
    company = OrganizationFactory(name="PT Sinar", verified_at=utcnow())
    partner, partner_h = auth.as_role(Role.PARTNER)
    member_of(company, partner)
    # One woman of the group also has her own business, sponsored too.
    own = BusinessFactory(owner_id=kub.women[4][0].id, status=BusinessStatus.ACTIVE)
    need = kub.client.post(
        kub.url("/needs"),
        json={"kind": "equipment", "title": "Oven bersama", "target_value_idr": 4_000_000},
        headers=kub.women[2][1],  # the bendahara
    )
    assert need.status_code == 201, need.json
    assert need.json["target"] == {"type": "group", "id": kub.gid} and need.json["business"] is None
    anggota_need = kub.client.post(
        kub.url("/needs"),
        json={"kind": "equipment", "title": "Oven", "target_value_idr": 1_000_000},
        headers=kub.women[4][1],
    )
    assert_problem(anggota_need, 403)
    listed = kub.client.get("/v1/needs?target_type=group&sort=-created_at", headers=partner_h).json[
        "items"
    ]
    assert [n["id"] for n in listed] == [need.json["id"]]
    proposals = [
        {"target_type": "group", "target_id": kub.gid, "need_id": need.json["id"]},
        {"business_id": own.id},
    ]
    for extra, decider in zip(proposals, (kub.ketua_h, kub.women[4][1]), strict=True):
        body = {"kind": "in_kind", "value_idr": 4_000_000, **extra}
        made = kub.client.post("/v1/sponsorships", json=body, headers=partner_h)
        assert made.status_code == 201, made.json
        sid = made.json["id"]
        # An anggota of the group sees the group's sponsorship but does not decide.
        if extra.get("target_type"):
            assert made.json["target"] == {"type": "group", "id": kub.gid}
            seen = kub.client.get(f"/v1/sponsorships/{sid}", headers=kub.women[4][1])
            assert seen.status_code == 200 and seen.json["allowed_actions"] == []
            assert_problem(
                kub.client.post(f"/v1/sponsorships/{sid}/accept", headers=kub.women[4][1]), 403
            )
            assert_problem(kub.client.get(f"/v1/sponsorships/{sid}", headers=kub.stranger_h), 404)
        for path, headers in (("accept", decider), ("start", partner_h)):
            moved = kub.client.post(f"/v1/sponsorships/{sid}/{path}", json={}, headers=headers)
            assert moved.status_code == 200, moved.json
        paid = kub.client.post(
            f"/v1/sponsorships/{sid}/disbursements",
            json={
                "disbursed_on": TODAY.isoformat(),
                "value_idr": 4_000_000,
                "description": "Transfer",
            },
            headers=partner_h,
        )
        assert paid.status_code == 201, paid.json
        confirmed = kub.client.post(
            f"/v1/sponsorships/{sid}/disbursements/{paid.json['id']}/confirm", headers=decider
        )
        assert confirmed.status_code == 200, confirmed.json
    report = kub.client.get(
        f"/v1/organizations/{company.id}/impact?year={TODAY.year}", headers=partner_h
    ).json
    assert report["women_reached"] == 5  # five women, one of them reached twice
    assert report["businesses_reached"] == 1
    assert report["targets_reached"] == {
        "business": 1,
        "group": 1,
        "cohort": 0,
        "training_event": 0,
    }
    assert report["value_disbursed_idr"] == 8_000_000
    need_now = kub.client.get(f"/v1/needs/{need.json['id']}", headers=partner_h).json
    assert need_now["status"] == "met"


def test_business_only_sponsorship_api_is_unchanged(kub: Kub, auth: Auth) -> None:
    company = OrganizationFactory(name="PT Sinar", verified_at=utcnow())
    partner, partner_h = auth.as_role(Role.PARTNER)
    member_of(company, partner)
    own = BusinessFactory(owner_id=kub.ketua.id, status=BusinessStatus.ACTIVE)
    made = kub.client.post(
        "/v1/sponsorships",
        json={"business_id": own.id, "kind": "cash", "value_idr": 1_000_000},
        headers=partner_h,
    )
    assert made.status_code == 201
    assert made.json["business"]["id"] == own.id
    assert made.json["target"] == {"type": "business", "id": own.id}
    both = kub.client.post(
        "/v1/sponsorships",
        json={
            "business_id": own.id,
            "target_type": "group",
            "target_id": kub.gid,
            "kind": "cash",
            "value_idr": 1,
        },
        headers=partner_h,
    )
    assert_problem(both, 422)
    neither = kub.client.post(
        "/v1/sponsorships", json={"kind": "cash", "value_idr": 1}, headers=partner_h
    )
    assert "target_id" in error_fields(assert_problem(neither, 422))
    unknown = kub.client.post(
        "/v1/sponsorships",
        json={"target_type": "cohort", "target_id": "coh_x", "kind": "cash", "value_idr": 1},
        headers=partner_h,
    )
    assert "target_id" in error_fields(assert_problem(unknown, 422))
