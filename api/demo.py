"""Demo data: realistic Indonesian accounts and organisations, made through the services.

Alumnae of Sekoper Cinta cohorts in Kota Bekasi (Kelurahan Mustikasari among them), buyers,
a CSR company with its partners, a university with its mentors, and a DP3A admin. Every demo
account signs in with DEMO_PASSWORD. Later parts of the API extend this module.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.models import MemberRole, OrganizationKind, Role, User
from api.schemas.accounts import RegisterSchema
from api.security import Security
from api.services import accounts, organizations
from api.services.authz import Actor

DEMO_PASSWORD = "berdaya-demo"
ADMIN_EMAIL = "admin@dp3a.bekasikota.test"

# (name, email, phone, role) — Sundanese, Betawi and Javanese names, as in Kota Bekasi.
PEOPLE: list[tuple[str, str | None, str | None, Role]] = [
    ("Siti Aminah", "siti.aminah@example.id", "0812-8765-4301", Role.ALUMNA),
    ("Euis Kurniasih", None, "0813-1122-3302", Role.ALUMNA),
    ("Nur Hasanah", "nur.hasanah@example.id", "0857-7788-9903", Role.ALUMNA),
    ("Rina Marlina", None, "0821-3344-5504", Role.ALUMNA),
    ("Yuyun Yuningsih", "yuyun.y@example.id", "0878-2233-4405", Role.ALUMNA),
    ("Ade Rohayati", None, "0896-5566-7706", Role.ALUMNA),
    ("Sri Wahyuni", "sri.wahyuni@example.id", "0812-9900-1107", Role.ALUMNA),
    ("Dedeh Jubaedah", None, "0838-4455-6608", Role.ALUMNA),
    ("Rudi Hartono", "rudi.hartono@example.id", "0811-2345-6709", Role.BUYER),
    ("Maya Sari", "maya.sari@example.id", None, Role.BUYER),
    ("Dr. Lestari Wulandari", "lestari@univ-mustika.example.id", "0815-1020-3010", Role.MENTOR),
    ("Bayu Pratama, M.M.", "bayu@univ-mustika.example.id", None, Role.MENTOR),
    ("Andi Setiawan", "andi.setiawan@sinarpangan.example.co.id", "0817-3040-5011", Role.PARTNER),
    ("Fitri Handayani", "fitri@sinarpangan.example.co.id", None, Role.PARTNER),
]

ORGANIZATIONS: list[dict[str, Any]] = [
    {
        "name": "PT Sinar Pangan Nusantara",
        "kind": OrganizationKind.CSR_COMPANY,
        "description": "Program CSR: modal usaha dan peralatan untuk UMKM perempuan di Jawa Barat.",
        "website": "https://sinarpangan.example.co.id",
        "members": ["andi.setiawan@sinarpangan.example.co.id", "fitri@sinarpangan.example.co.id"],
    },
    {
        "name": "Universitas Mustika Bangsa",
        "kind": OrganizationKind.UNIVERSITY,
        "description": "Pengabdian masyarakat: pendampingan kewirausahaan dan pemasaran digital.",
        "website": "https://univ-mustika.example.id",
        "members": ["lestari@univ-mustika.example.id", "bayu@univ-mustika.example.id"],
    },
    {
        "name": "DP3A Kota Bekasi",
        "kind": OrganizationKind.GOVERNMENT_OFFICE,
        "description": "Dinas Pemberdayaan Perempuan dan Perlindungan Anak Kota Bekasi.",
        "website": None,
        "members": [ADMIN_EMAIL],
    },
]


def load_demo(session: Session, *, security: Security, echo: Callable[[str], Any] = print) -> None:
    """Create the demo data once; a second run reports it is there and changes nothing."""
    if session.scalar(select(User.id).where(User.email == ADMIN_EMAIL)):
        echo("demo data already loaded; nothing to do")
        return
    echo("loading demo data")
    admin = accounts.create_admin(
        session,
        security=security,
        name="Admin DP3A Kota Bekasi",
        email=ADMIN_EMAIL,
        phone=None,
        password=DEMO_PASSWORD,
    )
    users = {ADMIN_EMAIL: admin}
    schema = RegisterSchema()
    for i, (name, email, phone, role) in enumerate(PEOPLE, start=1):
        fields = {"name": name, "password": DEMO_PASSWORD, "role": role.value}
        fields.update({k: v for k, v in (("email", email), ("phone", phone)) if v})
        data = schema.load(fields)
        user = accounts.register(session, security=security, **{**data, "role": role})
        users[user.email or user.phone or user.id] = user
        echo(f"  [{i}/{len(PEOPLE)}] {role.value:<8} {name}")
    admin_actor = Actor(user=admin)
    for spec in ORGANIZATIONS:
        member_emails = spec["members"]
        org_data = {k: v for k, v in spec.items() if k != "members"}
        first = users[member_emails[0]]
        organization = organizations.create_organization(
            session, actor=Actor(user=first), data=org_data
        )
        organizations.verify_organization(
            session, actor=admin_actor, organization_id=organization.id
        )
        for email in member_emails[1:]:
            organizations.add_member(
                session,
                actor=Actor(user=first),
                organization_id=organization.id,
                email=email,
                phone=None,
                role=MemberRole.MEMBER,
            )
        echo(f"  organisation {organization.name} (verified, {len(member_emails)} members)")
    session.flush()
    echo(
        f"demo data loaded: {len(PEOPLE) + 1} accounts, {len(ORGANIZATIONS)} organisations; "
        f"every demo account's password is {DEMO_PASSWORD!r} (admin: {ADMIN_EMAIL})"
    )
