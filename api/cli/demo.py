"""Demo data: realistic Indonesian accounts and organisations, made through the services.

Alumnae of Sekoper Cinta cohorts in Kota Bekasi (Kelurahan Mustikasari among them), buyers,
a CSR company with its partners, a university with its mentors, and a DP3A admin. Every demo
account signs in with DEMO_PASSWORD. Later parts of the API extend this module.
"""

from __future__ import annotations

import datetime as dt
import io
import random
from collections.abc import Callable
from typing import Any

from PIL import Image, ImageDraw
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.cli import demo_courses
from api.cli.demo_groups import load_groups
from api.cli.demo_training import load_training
from api.dates import add_months
from api.db import utcnow
from api.models import (
    Attendance,
    Business,
    Category,
    CheckIn,
    ClaimStatus,
    Cohort,
    ConsentPurpose,
    DeliveryMethod,
    GraduateClaim,
    MemberRole,
    MentoringFormat,
    NeedKind,
    OfferKind,
    Order,
    Organization,
    OrganizationKind,
    PaymentMethod,
    Product,
    ProductStatus,
    Program,
    Region,
    RegionLevel,
    Role,
    RosterEntry,
    StaffRegion,
    SupportKind,
    Topic,
    User,
)
from api.schemas.accounts import RegisterSchema
from api.schemas.businesses import BusinessCreateSchema
from api.schemas.products import ProductCreateSchema
from api.security import Security
from api.services import (
    accounts,
    businesses,
    consents,
    mentoring,
    orders,
    organizations,
    photos,
    products,
    reviews,
    sponsorship,
)
from api.services.authz import Actor
from api.storage import Storage

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


class _OneHash(Security):
    """The app's Security, hashing the one demo password once: every demo account shares it
    (and says so), so one argon2 hash at full cost serves them all."""

    def __init__(self, inner: Security) -> None:
        self.__dict__.update(inner.__dict__)
        self._hashes: dict[str, str] = {}

    def hash_password(self, password: str) -> str:
        if password not in self._hashes:
            self._hashes[password] = super().hash_password(password)
        return self._hashes[password]


def load_demo(
    session: Session,
    *,
    security: Security,
    storage: Storage | None = None,
    echo: Callable[[str], Any] = print,
) -> None:
    """Create the demo data once; a second run reports it is there and changes nothing."""
    if session.scalar(select(User.id).where(User.email == ADMIN_EMAIL)):
        echo("demo data already loaded; nothing to do")
        return
    echo("loading demo data")
    security = _OneHash(security)
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
    made: dict[OrganizationKind, Organization] = {}
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
        made[organization.kind] = organization
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
    alumnae = [u for u in users.values() if u.role == Role.ALUMNA]
    business_count, product_count = _load_catalogue(session, security, storage, alumnae, echo)
    if business_count:
        _load_commerce(session, users, echo)
        _load_mentoring(session, users, echo)
        picture = demo_photo("Buku kas harian", 3)
        demo_courses.load_courses(session, users, made, storage, picture, echo)
        _load_sponsorship(session, users, echo)
        load_groups(session, users, echo)
        _load_program(session, security, echo)
        load_training(session, users, storage, echo)
    echo(
        f"demo data loaded: {len(users) + business_count - len(alumnae)} accounts, "
        f"{len(ORGANIZATIONS)} organisations, {business_count} businesses, "
        f"{product_count} products; every demo account's password is {DEMO_PASSWORD!r} "
        f"(admin: {ADMIN_EMAIL})"
    )


# What graduates make, by category slug: (product name, description, price_idr, unit, tags).
CATALOGUE: dict[str, list[tuple[str, str, int, str, list[str]]]] = {
    "traditional-cakes": [
        (
            "Kue Lapis Legit",
            "Lapis legit mentega wisman, 18 lapis, tahan 7 hari.",
            185_000,
            "loyang",
            ["kue basah", "lebaran"],
        ),
        (
            "Nagasari Pisang",
            "Tepung beras, santan dan pisang raja, dibungkus daun pisang.",
            3_000,
            "pcs",
            ["kue basah", "jajan pasar"],
        ),
        (
            "Klepon Gula Merah",
            "Isi gula aren cair, taburan kelapa parut segar.",
            15_000,
            "mika",
            ["jajan pasar"],
        ),
        (
            "Bolu Kukus Pandan",
            "Mekar, lembut, tanpa pengawet; cocok untuk arisan.",
            25_000,
            "kotak",
            ["arisan"],
        ),
        ("Dadar Gulung Unti", "Kulit pandan isi kelapa gula merah.", 3_500, "pcs", ["jajan pasar"]),
        ("Lemper Ayam", "Ketan gurih isi ayam suwir bumbu kuning.", 4_000, "pcs", ["kue basah"]),
    ],
    "chips-crackers": [
        (
            "Keripik Singkong Balado",
            "Singkong Bekasi, bumbu balado pedas manis.",
            15_000,
            "bungkus",
            ["oleh-oleh", "pedas"],
        ),
        (
            "Rengginang Terasi",
            "Ketan pilihan, digoreng renyah, kemasan 250 g.",
            20_000,
            "bungkus",
            ["oleh-oleh"],
        ),
        (
            "Keripik Pisang Cokelat",
            "Pisang kepok, lapisan cokelat.",
            18_000,
            "bungkus",
            ["camilan"],
        ),
        ("Opak Singkong", "Opak bakar khas Sunda, tanpa MSG.", 12_000, "bungkus", ["camilan"]),
    ],
    "catering": [
        (
            "Nasi Kotak Ayam Bakar",
            "Nasi, ayam bakar, lalapan, sambal, buah; minimal 20 kotak.",
            30_000,
            "kotak",
            ["hajatan", "kantor"],
        ),
        (
            "Tumpeng Mini",
            "Nasi kuning dengan tujuh lauk untuk syukuran kecil.",
            250_000,
            "tumpeng",
            ["syukuran"],
        ),
        (
            "Nasi Liwet Sunda",
            "Liwet, ikan asin, tahu tempe, lalapan dan sambal.",
            35_000,
            "porsi",
            ["sunda"],
        ),
        (
            "Snack Box Rapat",
            "Tiga kue dan air mineral, diantar pagi hari.",
            12_500,
            "kotak",
            ["kantor"],
        ),
    ],
    "beverages": [
        ("Es Cincau Hijau", "Cincau daun asli, santan dan gula aren.", 8_000, "gelas", ["segar"]),
        ("Wedang Jahe Sereh", "Jahe merah dan sereh, botol 500 ml.", 15_000, "botol", ["herbal"]),
        (
            "Jamu Kunyit Asam",
            "Diracik sendiri setiap pagi, botol 330 ml.",
            10_000,
            "botol",
            ["jamu", "herbal"],
        ),
    ],
    "frozen-food": [
        (
            "Risoles Ragout Beku",
            "Isi ragout ayam sayur, 10 buah per kemasan.",
            35_000,
            "pak",
            ["frozen"],
        ),
        (
            "Dimsum Ayam Udang",
            "Siomay ayam udang, 20 buah, tinggal kukus.",
            45_000,
            "pak",
            ["frozen"],
        ),
        (
            "Nugget Sayur",
            "Nugget ayam dengan wortel dan brokoli, 500 g.",
            40_000,
            "pak",
            ["frozen", "anak"],
        ),
    ],
    "sewing-tailoring": [
        (
            "Jahit Seragam Sekolah",
            "Kemeja dan rok/celana sesuai ukuran, selesai 5 hari.",
            120_000,
            "stel",
            ["seragam"],
        ),
        ("Permak Celana", "Potong, kecilkan, ganti resleting.", 20_000, "potong", ["permak"]),
        (
            "Jahit Kebaya",
            "Kebaya modern atau kutubaru, bahan dari pelanggan.",
            250_000,
            "potong",
            ["kebaya", "wisuda"],
        ),
        ("Masker Kain 3 Lapis", "Katun, bisa dicuci, isi 5.", 25_000, "pak", ["masker"]),
    ],
    "hijab-fashion": [
        (
            "Hijab Segi Empat Voal",
            "Voal premium, tepi jahit rapi, banyak warna.",
            45_000,
            "pcs",
            ["hijab"],
        ),
        (
            "Gamis Katun Rayon",
            "Adem, busui friendly, ukuran M-XXL.",
            150_000,
            "pcs",
            ["busana muslim"],
        ),
        ("Mukena Bordir", "Mukena katun dengan bordir tangan.", 175_000, "set", ["busana muslim"]),
    ],
    "crafts": [
        (
            "Tas Anyaman Eceng Gondok",
            "Dianyam tangan, ukuran 30x25 cm.",
            95_000,
            "pcs",
            ["anyaman", "oleh-oleh"],
        ),
        (
            "Keset Kain Perca",
            "Dari sisa kain konveksi, tebal dan menyerap.",
            25_000,
            "pcs",
            ["daur ulang"],
        ),
        ("Bros Flanel", "Bros bunga flanel buatan tangan.", 10_000, "pcs", ["aksesoris"]),
    ],
    "beauty": [
        (
            "Sabun Herbal Sereh",
            "Sabun padat minyak kelapa dan sereh, 100 g.",
            20_000,
            "batang",
            ["herbal"],
        ),
        ("Lulur Tradisional", "Lulur beras dan kunyit, 200 g.", 30_000, "pot", ["herbal"]),
    ],
    "household-goods": [
        ("Sarung Bantal Katun", "Sepasang, motif batik, 40x60 cm.", 40_000, "pasang", ["rumah"]),
        ("Celemek Dapur", "Kanvas tebal dengan saku depan.", 35_000, "pcs", ["dapur"]),
    ],
}
BUSINESS_NAMES = ["Dapur {n}", "Kue {n}", "Berkah {n}", "Sumber Rezeki {n}", "Karya {n}"]
FIRST_NAMES = [
    "Ai",
    "Ani",
    "Cucu",
    "Dedeh",
    "Eti",
    "Heni",
    "Iis",
    "Imas",
    "Lilis",
    "Neneng",
    "Nining",
    "Ratna",
    "Rini",
    "Tati",
    "Titin",
    "Wati",
    "Yati",
    "Yeni",
    "Nurul",
    "Fitri",
    "Sari",
    "Lina",
]
LAST_NAMES = ["Suryani", "Rohaeti", "Komalasari", "Nurhayati", "Kusmiati", "Sulastri", "Herlina"]
BUSINESSES = 30


def _load_catalogue(
    session: Session,
    security: Security,
    storage: Storage | None,
    alumnae: list[User],
    echo: Callable[[str], Any],
) -> tuple[int, int]:
    """About 30 businesses and 200 products across Kota Bekasi's villages."""
    villages = session.scalars(
        select(Region.code)
        .where(Region.level == RegionLevel.VILLAGE, Region.code.startswith("32.75."))
        .order_by(Region.code)
    ).all()
    if not villages:
        echo("  no regions loaded (run load-regions first); skipping demo businesses")
        return 0, 0
    mustikasari = "32.75.11.1004"
    villages = [mustikasari, *[v for v in villages if v != mustikasari]]
    category_ids = dict(session.execute(select(Category.slug, Category.id)).all())
    owners = _more_alumnae(session, security, alumnae, BUSINESSES)
    rng = random.Random(2023)  # the same demo every time
    product_total = 0
    for i, owner in enumerate(owners):
        slug = list(CATALOGUE)[i % len(CATALOGUE)]
        actor = Actor(user=owner)
        business = _business(
            session, actor, i, category_ids[slug], villages[(i * 37) % len(villages)]
        )
        _photo(session, actor, storage, business.name, i, business_id=business.id)
        for j in range(6 + i % 3):
            product = _product(
                session, actor, business.id, category_ids[slug], CATALOGUE[slug], j, rng
            )
            _photo(session, actor, storage, product.name, i * 10 + j, product_id=product.id)
            product_total += 1
        echo(f"  [{i + 1}/{BUSINESSES}] {business.name} ({slug}, {business.village_code})")
    return len(owners), product_total


def _more_alumnae(
    session: Session, security: Security, alumnae: list[User], count: int
) -> list[User]:
    """The demo alumnae, plus generated ones until there are ``count``."""
    owners = list(alumnae)
    while len(owners) < count:
        n = len(owners)
        data = RegisterSchema().load(
            {
                "name": f"{FIRST_NAMES[n % len(FIRST_NAMES)]} {LAST_NAMES[n % len(LAST_NAMES)]}",
                "password": DEMO_PASSWORD,
                "role": "alumna",
                "phone": f"0813{10000000 + n * 7919:08d}",
            }
        )
        owners.append(
            accounts.register(session, security=security, **{**data, "role": Role.ALUMNA})
        )
    return owners[:count]


def _business(session: Session, actor: Actor, i: int, category_id: str, village: str) -> Any:
    owner = actor.require_user()
    first_name = owner.name.split()[0]
    data = BusinessCreateSchema().load(
        {
            "name": BUSINESS_NAMES[i % len(BUSINESS_NAMES)].format(n=f"Bu {first_name}"),
            "description": "Usaha rumahan lulusan Sekoper Cinta di Kota Bekasi.",
            "category_id": category_id,
            "village_code": village,
            "address": f"Jl. Melati No. {i + 1}, RT 0{i % 9 + 1}/RW 0{i % 5 + 1}",
            "whatsapp": owner.phone or f"+62813{20000000 + i:08d}",
            "channels": {"instagram": f"https://www.instagram.com/usaha.{first_name.lower()}{i}"},
            "opening_hours": [
                {"day": day, "opens": "08:00", "closes": "17:00"}
                for day in ("mon", "tue", "wed", "thu", "fri", "sat")
            ],
            "licences": [{"kind": "pirt", "number": f"2063275{i:06d}-28"}] if i % 3 == 0 else [],
        }
    )
    business = businesses.create_business(session, actor=actor, data=data)
    business.verified_graduate = i % 4 != 3
    if consents.active_consent(session, owner.id, ConsentPurpose.CONTACT_REVEAL) is None:
        consents.give_consent(session, actor=actor, purpose=ConsentPurpose.CONTACT_REVEAL)
    if i % 10 != 9:  # a few stay drafts
        businesses.change_status(session, actor=actor, business_id=business.id, action="activate")
    return business


def _product(
    session: Session,
    actor: Actor,
    business_id: str,
    category_id: str,
    templates: list[tuple[str, str, int, str, list[str]]],
    j: int,
    rng: random.Random,
) -> Any:
    name, description, price, unit, tags = templates[j % len(templates)]
    round_ = j // len(templates)
    pre_order = price > 100_000
    data = ProductCreateSchema().load(
        {
            "name": name + (f" (paket {round_ + 1})" if round_ else ""),
            "description": description,
            "category_id": category_id,
            "price_idr": price * (1 + round_),
            "unit": unit,
            "availability": "pre_order" if pre_order else "in_stock",
            "stock": None if pre_order else rng.randint(0, 40),
            "lead_days": 2 if pre_order else None,
            "tags": tags,
        }
    )
    product = products.create_product(session, actor=actor, business_id=business_id, data=data)
    if j % 7 != 6:  # a few stay drafts
        products.change_status(session, actor=actor, product_id=product.id, action="publish")
    return product


def _photo(
    session: Session, actor: Actor, storage: Storage | None, title: str, seed: int, **owner: str
) -> None:
    """One generated photo of a business or product (skipped without a storage)."""
    if storage is not None:
        photos.add_photo(
            session,
            actor=actor,
            storage=storage,
            data=demo_photo(title, seed),
            quick=True,
            **owner,
        )


PALETTE = [(214, 93, 14), (41, 121, 255), (46, 160, 67), (175, 82, 222), (230, 159, 0)]


def demo_photo(title: str, seed: int) -> bytes:
    """A simple generated picture (no downloads): a coloured card with the name on it."""
    colour = PALETTE[seed % len(PALETTE)]
    lighter = (min(255, colour[0] + 60), min(255, colour[1] + 60), min(255, colour[2] + 60))
    image = Image.new("RGB", (800, 600), colour)
    draw = ImageDraw.Draw(image)
    draw.ellipse((250, 100, 550, 400), fill=lighter)
    draw.text((40, 480), title, fill=(255, 255, 255), font_size=40)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def _load_commerce(session: Session, users: dict[str, User], echo: Callable[[str], Any]) -> None:
    """A few orders of Rudi's from Siti's shop: one completed and reviewed, one waiting."""
    buyer, seller = users["rudi.hartono@example.id"], users["siti.aminah@example.id"]
    shop = session.scalars(select(Business).where(Business.owner_id == seller.id)).first()
    if shop is None:
        return
    items = session.scalars(
        select(Product).where(
            Product.business_id == shop.id, Product.status == ProductStatus.PUBLISHED
        )
    ).all()[:2]
    if not items:
        return
    buying, selling = Actor(user=buyer), Actor(user=seller)

    def place(quantity: int) -> Order:
        data = {
            "business_id": shop.id,
            "items": [{"product_id": p.id, "quantity": max(quantity, p.min_order)} for p in items],
            "delivery_method": DeliveryMethod.LOCAL_DELIVERY,
            "delivery_address": "Jl. Mustika Jaya Raya No. 8, Bekasi",
        }
        return orders.place_order(session, actor=buying, data=data)

    done = place(1)
    for action, actor in (("accept", selling), ("ship", selling), ("complete", buying)):
        orders.act(session, actor=actor, order_id=done.id, action=action)
    orders.record_payment(
        session, actor=selling, order_id=done.id, method=PaymentMethod.QRIS, paid_at=None
    )
    reviews.create_review(
        session,
        actor=buying,
        order_id=done.id,
        data={"product_id": items[0].id, "rating": 5, "text": "Enak dan datang tepat waktu."},
    )
    place(2)
    echo("  orders: one completed and reviewed, one waiting for the seller")


def _load_mentoring(session: Session, users: dict[str, User], echo: Callable[[str], Any]) -> None:
    """Offers of the university's two mentors and requests in several states."""
    lestari = users["lestari@univ-mustika.example.id"]
    bayu = users["bayu@univ-mustika.example.id"]
    today = utcnow().date()
    period = {"starts_on": today, "ends_on": today + dt.timedelta(days=180), "language": "id"}
    books = mentoring.create_offer(
        session,
        actor=Actor(user=lestari),
        data={
            "title": "Pembukuan sederhana dan harga pokok",
            "description": "Buku kas harian, memisahkan uang usaha, menghitung HPP.",
            "topics": [Topic.BOOKKEEPING, Topic.PRICING_COSTING],
            "format": MentoringFormat.BOTH,
            "kind": OfferKind.ONE_TO_ONE,
            "capacity": 5,
            "region_codes": ["32.75"],
            **period,
        },
    )
    mentoring.create_offer(
        session,
        actor=Actor(user=bayu),
        data={
            "title": "Workshop foto produk dengan ponsel",
            "description": "Cahaya alami, latar, dan unggah ke marketplace.",
            "topics": [Topic.PRODUCT_PHOTOGRAPHY, Topic.DIGITAL_MARKETING],
            "format": MentoringFormat.ONLINE,
            "kind": OfferKind.GROUP,
            "group_size": 15,
            "capacity": 30,
            "region_codes": [],
            **period,
        },
    )
    alumnae = [u for u in users.values() if u.role == Role.ALUMNA][:4]
    states = ["open", "accepted", "in_progress", "completed"]
    for alumna, state in zip(alumnae, states, strict=False):
        business = session.scalars(select(Business).where(Business.owner_id == alumna.id)).first()
        request = mentoring.create_request(
            session,
            actor=Actor(user=alumna),
            data={
                "topic": Topic.BOOKKEEPING,
                "need": "Saya ingin mencatat pemasukan dan pengeluaran dengan rapi.",
                "business_id": business.id if business else None,
                "preferred_format": MentoringFormat.ONLINE,
                "preferred_times": "Sore hari",
            },
        )
        if state == "open":
            continue
        mentor = Actor(user=lestari)
        mentoring.act(
            session, actor=mentor, request_id=request.id, action="accept", offer_id=books.id
        )
        held = state in ("in_progress", "completed")
        meeting = mentoring.add_session(
            session,
            actor=mentor,
            request_id=request.id,
            data={
                "starts_at": utcnow() + dt.timedelta(days=-3 if held else 3),
                "duration_minutes": 90,
                "mode": MentoringFormat.ONLINE,
                "link": "https://meet.example.id/pembukuan",
                "agenda": "Buku kas harian",
            },
        )
        if held:
            mentoring.record_session(
                session,
                actor=mentor,
                request_id=request.id,
                session_id=meeting.id,
                data={"attendance": Attendance.ATTENDED, "notes": "Buku kas dibuat."},
            )
        if state == "completed":
            mentoring.act(session, actor=mentor, request_id=request.id, action="confirm")
            alumna_actor = Actor(user=alumna)
            mentoring.act(session, actor=alumna_actor, request_id=request.id, action="confirm")
            mentoring.rate(
                session, actor=alumna_actor, request_id=request.id, rating=5, text="Sangat jelas."
            )
    echo("  mentoring: 2 offers, 4 requests (open, accepted, in progress, completed)")


def _load_sponsorship(session: Session, users: dict[str, User], echo: Callable[[str], Any]) -> None:
    """Open needs of four alumnae; the CSR company's sponsorships in several states."""
    andi = Actor(user=users["andi.setiawan@sinarpangan.example.co.id"])
    alumnae = [u for u in users.values() if u.role == Role.ALUMNA][:4]
    wants = [
        (NeedKind.EQUIPMENT, "Mesin jahit portable", 2_500_000),
        (NeedKind.CERTIFICATION, "Biaya sertifikasi halal", 1_200_000),
        (NeedKind.CAPITAL, "Modal bahan baku lebaran", 5_000_000),
        (NeedKind.MARKETING, "Kemasan dan label baru", 1_500_000),
    ]
    needs = []
    for alumna, (kind, title, value) in zip(alumnae, wants, strict=False):
        business = session.scalars(select(Business).where(Business.owner_id == alumna.id)).first()
        if business is None:
            continue
        needs.append(
            (
                alumna,
                sponsorship.create_need(
                    session,
                    actor=Actor(user=alumna),
                    business_id=business.id,
                    data={
                        "kind": kind,
                        "title": title,
                        "target_value_idr": value,
                        "deadline": utcnow().date() + dt.timedelta(days=45),
                    },
                ),
            )
        )
    states = ["proposed", "accepted", "active", "completed"]
    for (alumna, need), state in zip(needs, states, strict=False):
        proposal = sponsorship.propose(
            session,
            actor=andi,
            data={
                "business_id": need.business_id,
                "need_id": need.id,
                "kind": SupportKind.IN_KIND
                if need.kind == NeedKind.EQUIPMENT
                else SupportKind.CASH,
                "value_idr": need.target_value_idr,
                "terms": "Dukungan CSR PT Sinar Pangan Nusantara.",
                "milestones": [{"title": "Bantuan diterima"}],
            },
        )
        if state == "proposed":
            continue
        owner = Actor(user=alumna)
        sponsorship.act(session, actor=owner, sponsorship_id=proposal.id, action="accept")
        if state == "accepted":
            continue
        paid = sponsorship.record_disbursement(
            session,
            actor=andi,
            sponsorship_id=proposal.id,
            data={
                "disbursed_on": utcnow().date(),
                "value_idr": need.target_value_idr
                if state == "completed"
                else need.target_value_idr // 2,
                "description": "Transfer tahap 1",
            },
        )
        sponsorship.confirm_disbursement(
            session, actor=owner, sponsorship_id=proposal.id, disbursement_id=paid.id
        )
        if state == "completed":
            sponsorship.act(session, actor=andi, sponsorship_id=proposal.id, action="complete")
            # She lets the company see her figures: its funded-businesses list shows her.
            assert need.business_id is not None  # a need of her business, not a group's
            sponsorship.grant_consent(
                session,
                actor=owner,
                business_id=need.business_id,
                organization_id=proposal.organization_id,
            )
    echo(f"  sponsorship: {len(needs)} needs, sponsorships proposed, accepted, active, completed")


FACILITATOR_EMAIL = "fasilitator@dp3a.bekasikota.test"


def _load_program(session: Session, security: Security, echo: Callable[[str], Any]) -> None:
    """Sekoper Cinta's Kota Bekasi cohorts of 2022-2024 with a facilitator, rosters, verified and
    pending graduates, and a year of monthly check-ins in which some businesses go quiet."""
    facilitator = accounts.register(
        session,
        security=security,
        name="Ibu Ratna (fasilitator Kota Bekasi)",
        role=Role.FACILITATOR,
        password=DEMO_PASSWORD,
        email=FACILITATOR_EMAIL,
    )
    session.add(StaffRegion(user_id=facilitator.id, region_code="32.75"))
    sekoper = Program(
        name="Sekoper Cinta",
        description="Sekolah Perempuan Capai Impian dan Cita-cita, Provinsi Jawa Barat.",
        organizer="DP3AKB Provinsi Jawa Barat",
    )
    session.add(sekoper)
    session.flush()
    cohorts = []
    for year, track in ((2022, "katering"), (2023, "jahit"), (2024, "kriya")):
        cohort = Cohort(
            program_id=sekoper.id,
            name=f"Sekoper Cinta Kota Bekasi {year}",
            year=year,
            region_code="32.75",
            track=track,
            graduated_on=dt.date(year, 12, 15),
            facilitator_ids=[facilitator.id],
        )
        session.add(cohort)
        cohorts.append(cohort)
    session.flush()
    owners = session.scalars(select(User).where(User.role == Role.ALUMNA).order_by(User.created_at))
    rng = random.Random(2024)
    today = utcnow().date().replace(day=1)
    verified = pending = 0
    for i, alumna in enumerate(owners):
        cohort = cohorts[i % len(cohorts)]
        business = session.scalars(select(Business).where(Business.owner_id == alumna.id)).first()
        village = business.village_code if business else "32.75.11.1004"
        if alumna.phone:
            session.add(
                RosterEntry(
                    cohort_id=cohort.id, name=alumna.name, phone=alumna.phone, village_code=village
                )
            )
        status = ClaimStatus.PENDING if i % 7 == 6 else ClaimStatus.VERIFIED
        session.add(
            GraduateClaim(
                user_id=alumna.id,
                cohort_id=cohort.id,
                status=status,
                decided_by_id=facilitator.id if status == ClaimStatus.VERIFIED else None,
                decided_at=utcnow() if status == ClaimStatus.VERIFIED else None,
            )
        )
        if status == ClaimStatus.VERIFIED:
            verified += 1
        else:
            pending += 1
        if business is None:
            continue
        business.verified_graduate = status == ClaimStatus.VERIFIED
        graduated = cohort.graduated_on or today
        business.created_at = dt.datetime.combine(
            graduated + dt.timedelta(days=20 + i), dt.time(9), dt.UTC
        )
        # Most trade every month since graduation; some stopped: one in seven within five
        # months, every fifth nine months ago (dormant), the next three months ago (at risk).
        stop = today
        if i % 7 == 3:
            stop = add_months(graduated.replace(day=1), 6)
        elif i % 5 == 0:
            stop = add_months(today, -9)
        elif i % 5 == 1:
            stop = add_months(today, -3)
        month = add_months(graduated.replace(day=1), 1)
        last = None
        while month < stop:
            session.add(
                CheckIn(
                    business_id=business.id,
                    month=month,
                    trading=True,
                    revenue_idr=rng.randrange(800_000, 9_000_000, 50_000),
                    orders=rng.randrange(5, 80),
                    workers=rng.randrange(1, 4),
                    channels=["whatsapp", "instagram"][: rng.randrange(1, 3)],
                    recorded_by_id=alumna.id,
                )
            )
            last = month
            month = add_months(month, 1)
        if stop < today and last is not None:
            business.last_activity_at = dt.datetime.combine(add_months(last, 1), dt.time(), dt.UTC)
    session.flush()
    echo(
        f"  program: Sekoper Cinta, 3 cohorts, {verified} verified and {pending} pending "
        "graduates, monthly check-ins since graduation (some businesses quiet for months)"
    )
