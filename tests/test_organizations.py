"""Organisations: who creates, verifies, edits them, and manages their members."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.models import MemberRole, Membership, OrganizationKind, Role
from tests.conftest import Auth
from tests.factories import OrganizationFactory, UserFactory, member_of
from tests.helpers import assert_problem

ORGS = "/v1/organizations"


def test_partner_creates_an_unverified_csr_company_and_administers_it(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    partner, headers = auth.as_role(Role.PARTNER)
    response = client.post(
        ORGS,
        json={
            "name": "PT Maju Bersama",
            "kind": "csr_company",
            "website": "https://maju.example.id",
        },
        headers=headers,
    )
    assert response.status_code == 201, response.json
    body = response.json
    assert body["id"].startswith("org_") and body["verified"] is False
    assert body["verified_at"] is None and response.headers["ETag"]
    membership = db_session.get(Membership, (body["id"], partner.id))
    assert membership is not None and membership.role == MemberRole.ADMIN


def test_roles_that_may_not_create_organisations(client: FlaskClient, auth: Auth) -> None:
    body = {"name": "Koperasi", "kind": "csr_company"}
    assert_problem(client.post(ORGS, json=body), 401)
    for role in (Role.ALUMNA, Role.BUYER):
        _, headers = auth.as_role(role)
        assert_problem(client.post(ORGS, json=body, headers=headers), 403, "role_not_allowed")
    _, mentor = auth.as_role(Role.MENTOR)
    refused = client.post(ORGS, json=body, headers=mentor)
    assert "kind" in assert_problem(refused, 422)["errors"]
    ok = client.post(ORGS, json={**body, "kind": "university"}, headers=mentor)
    assert ok.status_code == 201


def test_bad_organisation_input(client: FlaskClient, auth: Auth) -> None:
    _, headers = auth.as_role(Role.PARTNER)
    for body, field in (
        ({"name": "PT X", "kind": "bank"}, "kind"),
        ({"name": "P", "kind": "csr_company"}, "name"),
        ({"name": "PT X", "kind": "csr_company", "website": "javascript:alert(1)"}, "website"),
        ({"name": "PT X", "kind": "csr_company", "verified": True}, "verified"),
        ({"name": "PT X", "kind": "csr_company", "description": "d" * 2001}, "description"),
    ):
        problem = assert_problem(client.post(ORGS, json=body, headers=headers), 422)
        assert field in problem["errors"]


def test_only_platform_admins_verify(client: FlaskClient, auth: Auth, db_session: Session) -> None:
    organization = OrganizationFactory()
    url = f"{ORGS}/{organization.id}/verify"
    _, partner = auth.as_role(Role.PARTNER)
    assert_problem(client.post(url, headers=partner), 403)
    admin, headers = auth.as_role(Role.ADMIN)
    response = client.post(url, headers=headers)
    assert response.status_code == 200 and response.json["verified"] is True
    db_session.refresh(organization)
    assert organization.verified_by_id == admin.id and organization.verified_at is not None
    assert_problem(client.post(url, headers=headers), 409, "already_verified")
    assert_problem(client.post(f"{ORGS}/org_nope/verify", headers=headers), 404)


def test_org_admins_edit_with_if_match_others_may_not(client: FlaskClient, auth: Auth) -> None:
    organization = OrganizationFactory(name="PT Lama")
    owner, owner_headers = auth.as_role(Role.PARTNER)
    member_of(organization, owner, MemberRole.ADMIN)
    url = f"{ORGS}/{organization.id}"
    etag = client.get(url).headers["ETag"]
    _, stranger = auth.as_role(Role.PARTNER)
    assert_problem(
        client.patch(url, json={"name": "PT Baru"}, headers={**stranger, "If-Match": etag}), 403
    )
    plain_member, member_headers = auth.as_role(Role.PARTNER)
    member_of(organization, plain_member)
    assert_problem(
        client.patch(url, json={"name": "PT Baru"}, headers={**member_headers, "If-Match": etag}),
        403,
    )
    refused = client.patch(
        url, json={"kind": "university"}, headers={**owner_headers, "If-Match": etag}
    )
    assert "kind" in assert_problem(refused, 422)["errors"]
    ok = client.patch(url, json={"name": "PT Baru"}, headers={**owner_headers, "If-Match": etag})
    assert ok.status_code == 200 and ok.json["name"] == "PT Baru"
    _, admin = auth.as_role(Role.ADMIN)
    fresh = client.get(url).headers["ETag"]
    by_admin = client.patch(url, json={"description": "x"}, headers={**admin, "If-Match": fresh})
    assert by_admin.status_code == 200


def test_list_filters(client: FlaskClient) -> None:
    OrganizationFactory(name="Universitas Satu", kind=OrganizationKind.UNIVERSITY)
    verified = OrganizationFactory(name="PT Terverifikasi")
    verified.verified_at = verified.created_at
    OrganizationFactory(name="PT Belum")
    names = lambda query: [o["name"] for o in client.get(f"{ORGS}?{query}").json["items"]]  # noqa: E731
    assert names("kind=university") == ["Universitas Satu"]
    assert names("verified=true") == ["PT Terverifikasi"]
    assert "PT Terverifikasi" not in names("verified=false")
    assert names("q=belum") == ["PT Belum"]
    assert names("q=%25") == []  # LIKE wildcards are literal
    assert_problem(client.get(f"{ORGS}?kind=bank"), 422)


def test_members_are_visible_to_members_and_admins_only(client: FlaskClient, auth: Auth) -> None:
    organization = OrganizationFactory()
    owner, owner_headers = auth.as_role(Role.PARTNER, name="Andi")
    member_of(organization, owner, MemberRole.ADMIN)
    url = f"{ORGS}/{organization.id}/members"
    listed = client.get(url, headers=owner_headers)
    assert listed.status_code == 200
    assert [(m["user_id"], m["name"], m["role"]) for m in listed.json["items"]] == [
        (owner.id, "Andi", "admin")
    ]
    _, stranger = auth.as_role(Role.PARTNER)
    assert_problem(client.get(url, headers=stranger), 403)
    _, admin = auth.as_role(Role.ADMIN)
    assert client.get(url, headers=admin).status_code == 200
    assert_problem(client.get(url), 401)
    assert_problem(client.get(f"{ORGS}/org_missing/members", headers=admin), 404)


def test_unverified_organisations_add_nobody_and_strangers_learn_nothing(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    organization = OrganizationFactory()
    owner, headers = auth.as_role(Role.PARTNER)
    member_of(organization, owner, MemberRole.ADMIN)
    UserFactory(role=Role.PARTNER, email="partner@example.id")
    UserFactory(role=Role.ALUMNA, email="alumna@example.id")
    url = f"{ORGS}/{organization.id}/members"
    refused = client.post(url, json={"email": "partner@example.id"}, headers=headers)
    assert_problem(refused, 409, "organization_not_verified")
    organization.verified_at = organization.created_at
    db_session.flush()
    answers = []
    for email in ("alumna@example.id", "nobody@example.id"):
        problem = assert_problem(client.post(url, json={"email": email}, headers=headers), 422)
        answers.append(problem["errors"])
    assert answers[0] == answers[1]


def test_adding_and_removing_members(client: FlaskClient, auth: Auth, db_session: Session) -> None:
    organization = OrganizationFactory()
    organization.verified_at = organization.created_at
    owner, owner_headers = auth.as_role(Role.PARTNER)
    member_of(organization, owner, MemberRole.ADMIN)
    colleague = UserFactory(role=Role.PARTNER, email="rekan@example.id", phone="+6281811112222")
    alumna = UserFactory(role=Role.ALUMNA, email="alumna@example.id")
    url = f"{ORGS}/{organization.id}/members"
    added = client.post(url, json={"phone": "0818-1111-2222"}, headers=owner_headers)
    assert added.status_code == 201 and added.json["user_id"] == colleague.id
    assert added.json["role"] == "member"
    assert_problem(
        client.post(url, json={"email": "rekan@example.id"}, headers=owner_headers),
        409,
        "already_member",
    )
    wrong_role = client.post(url, json={"email": "alumna@example.id"}, headers=owner_headers)
    assert "email" in assert_problem(wrong_role, 422)["errors"]
    unknown = client.post(url, json={"email": "nobody@example.id"}, headers=owner_headers)
    assert "email" in assert_problem(unknown, 422)["errors"]
    colleague_headers = auth.headers(colleague)
    stranger = UserFactory(role=Role.PARTNER, email="luar@example.id")
    assert_problem(client.post(url, json={"email": stranger.email}, headers=colleague_headers), 403)
    # The last admin cannot leave; a member can.
    assert_problem(client.delete(f"{url}/{owner.id}", headers=owner_headers), 409, "last_admin")
    assert client.delete(f"{url}/{colleague.id}", headers=colleague_headers).status_code == 204
    assert_problem(client.delete(f"{url}/{colleague.id}", headers=owner_headers), 404)
    members = db_session.scalars(
        select(Membership.user_id).where(Membership.organization_id == organization.id)
    )
    assert list(members) == [owner.id]
    assert alumna.id is not None


def test_organisation_ids_are_opaque_and_unknown_ones_404(client: FlaskClient) -> None:
    organization = OrganizationFactory()
    assert organization.id.startswith("org_") and len(organization.id) == 30
    assert client.get(f"{ORGS}/{organization.id}").status_code == 200
    assert_problem(client.get(f"{ORGS}/org_01JD3XK5Q9V7W2M8N4P6R0S1T2"), 404)
    assert_problem(client.get(f"{ORGS}/1"), 404)


def test_a_member_lists_her_organisations_with_her_role(client: FlaskClient, auth: Auth) -> None:
    user, headers = auth.as_role(Role.PARTNER)
    first, second = OrganizationFactory(), OrganizationFactory()
    member_of(first, user, MemberRole.ADMIN)
    member_of(second, user)
    OrganizationFactory()  # not hers
    listed = client.get("/v1/me/organizations", headers=headers)
    assert listed.status_code == 200
    assert [(m["organization"]["id"], m["role"]) for m in listed.json["items"]] == [
        (first.id, "admin"),
        (second.id, "member"),
    ]
    assert client.get("/v1/me/organizations").status_code == 401


def test_the_readme_partner_walk_through_reads_her_organisation_id(
    client: FlaskClient, auth: Auth
) -> None:
    """The README's first-hour snippet pipes /v1/me/organizations into `python3 -c ...`: that
    program, as written there, prints the organisation's id (items are memberships)."""
    import json
    import re
    import subprocess
    import sys
    from pathlib import Path

    readme = Path(__file__).resolve().parents[1] / "README.md"
    snippet = re.search(
        r"ORG=\$\(curl -s localhost:5000/v1/me/organizations[^\n]*\n\s*\| python3 -c '([^']*)'",
        readme.read_text(),
    )
    assert snippet is not None, "the README's partner walk-through lost its ORG= line"
    user, headers = auth.as_role(Role.PARTNER)
    organization = OrganizationFactory()
    member_of(organization, user, MemberRole.ADMIN)
    listed = client.get("/v1/me/organizations", headers=headers)
    printed = subprocess.run(
        [sys.executable, "-c", snippet.group(1)],
        input=json.dumps(listed.json),
        capture_output=True,
        text=True,
        check=True,
    )
    assert printed.stdout.strip() == organization.id
