"""Demo courses: the university's bookkeeping course (published, three modules, a PDF and a
picture on the first; an alumna enrolled with one module done) and a CSR draft."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.orm import Session

from api.models import CourseLevel, Organization, OrganizationKind, Topic, User
from api.services.authz import Actor
from api.services.training import courses
from api.storage import Storage

MODULES = (
    (
        "Buku kas harian",
        "Catat setiap uang masuk dan keluar pada hari itu juga: tanggal, keterangan, jumlah. "
        "Pisahkan uang usaha dari uang belanja rumah tangga.",
    ),
    (
        "Menghitung harga pokok produksi",
        "Jumlahkan bahan, kemasan, gas dan listrik, lalu bagi dengan jumlah produk yang jadi.",
    ),
    (
        "Menetapkan harga jual",
        "Harga jual = harga pokok + keuntungan yang wajar; bandingkan dengan harga pasar.",
    ),
)


def demo_pdf(title: str, lines: Sequence[str]) -> bytes:
    """A one-page PDF with a title and a few lines of text, written by hand (no library)."""
    text = [f"BT /F1 18 Tf 50 780 Td ({title}) Tj ET"]
    text += [f"BT /F1 11 Tf 50 {750 - 18 * i} Td ({line}) Tj ET" for i, line in enumerate(lines)]
    stream = "\n".join(text).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
    ]
    body, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, content in enumerate(objects, start=1):
        offsets.append(len(body))
        body += b"%d 0 obj\n%s\nendobj\n" % (number, content)
    xref = len(body)
    body += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    body += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    body += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(body)


def load_courses(
    session: Session,
    users: dict[str, User],
    organisations: dict[OrganizationKind, Organization],
    storage: Storage | None,
    picture: bytes,
    echo: Callable[[str], Any],
) -> None:
    """The courses; attachments only with a storage (the tests' worlds have none)."""
    mentor = Actor(user=users["lestari@univ-mustika.example.id"])
    course = courses.create_course(
        session,
        actor=mentor,
        data={
            "organization_id": organisations[OrganizationKind.UNIVERSITY].id,
            "title": "Pembukuan sederhana untuk usaha rumahan",
            "summary": "Tiga modul singkat: buku kas, harga pokok, dan harga jual.",
            "topic": Topic.BOOKKEEPING,
            "level": CourseLevel.BEGINNER,
            "language": "id",
        },
    )
    modules = [
        courses.add_module(
            session, actor=mentor, course_id=course.id, data={"title": title, "body": body}
        )
        for title, body in MODULES
    ]
    if storage is not None:
        pdf = demo_pdf("Buku kas harian", ["Tanggal | Keterangan | Masuk | Keluar | Saldo"])
        for data, title in ((pdf, "Contoh buku kas (PDF)"), (picture, "Contoh halaman buku kas")):
            courses.add_attachment(
                session,
                actor=mentor,
                storage=storage,
                course_id=course.id,
                module_id=modules[0].id,
                data=data,
                title=title,
            )
    courses.act(session, actor=mentor, course_id=course.id, action="publish")
    siti = Actor(user=users["siti.aminah@example.id"])
    courses.enrol(session, actor=siti, course_id=course.id)
    courses.mark_module(session, actor=siti, course_id=course.id, module_id=modules[0].id)
    partner = Actor(user=users["andi.setiawan@sinarpangan.example.co.id"])
    courses.create_course(
        session,
        actor=partner,
        data={
            "organization_id": organisations[OrganizationKind.CSR_COMPANY].id,
            "title": "Pemasaran lewat WhatsApp Business",
            "summary": "Katalog, pesan otomatis, dan status untuk promosi.",
            "topic": Topic.DIGITAL_MARKETING,
            "level": CourseLevel.BEGINNER,
            "language": "id",
        },
    )
    echo("  courses: 1 published (3 modules, an alumna enrolled), 1 draft")
