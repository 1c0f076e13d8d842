"""The text of every message to a person, in Indonesian and English, with the variables it takes.

Messages are short and plain: many recipients read with difficulty and have them read aloud.
"""

from __future__ import annotations

import string
from typing import Any

# template -> language -> text; {placeholders} are filled from the message's params.
TEMPLATES: dict[str, dict[str, str]] = {
    "code.register": {
        "id": "Kode Berdaya Anda: {code}. Untuk membuat akun. Berlaku {minutes} menit. "
        "Jangan berikan kode ini kepada siapa pun.",
        "en": "Your Berdaya code: {code}. To create your account. Valid for {minutes} minutes. "
        "Do not give this code to anyone.",
    },
    "code.verify_phone": {
        "id": "Kode Berdaya Anda: {code}. Untuk memastikan nomor ini milik Anda. "
        "Berlaku {minutes} menit. Jangan berikan kode ini kepada siapa pun.",
        "en": "Your Berdaya code: {code}. To confirm this number is yours. "
        "Valid for {minutes} minutes. Do not give this code to anyone.",
    },
    "code.verify_email": {
        "id": "Kode Berdaya Anda: {code}. Untuk memastikan email ini milik Anda. "
        "Berlaku {minutes} menit. Jangan berikan kode ini kepada siapa pun.",
        "en": "Your Berdaya code: {code}. To confirm this email address is yours. "
        "Valid for {minutes} minutes. Do not give this code to anyone.",
    },
    "code.password_reset": {
        "id": "Kode Berdaya Anda: {code}. Untuk membuat kata sandi baru. "
        "Berlaku {minutes} menit. Jangan berikan kode ini kepada siapa pun.",
        "en": "Your Berdaya code: {code}. To set a new password. "
        "Valid for {minutes} minutes. Do not give this code to anyone.",
    },
    "code.sign_in": {
        "id": "Kode Berdaya Anda: {code}. Untuk masuk. Berlaku {minutes} menit. "
        "Jangan berikan kode ini kepada siapa pun.",
        "en": "Your Berdaya code: {code}. To sign in. Valid for {minutes} minutes. "
        "Do not give this code to anyone.",
    },
    "account.exists": {
        "id": "Ada yang mencoba mendaftar di Berdaya dengan {identifier} ini, tetapi Anda "
        "sudah punya akun. Silakan masuk, atau buat kata sandi baru jika lupa. "
        "Jika bukan Anda, abaikan pesan ini.",
        "en": "Someone tried to register on Berdaya with this {identifier}, but you already "
        "have an account. Sign in, or set a new password if you forgot it. "
        "If it was not you, ignore this message.",
    },
    "password.changed": {
        "id": "Kata sandi Berdaya Anda telah diganti dan semua perangkat telah dikeluarkan. "
        "Jika bukan Anda, hubungi fasilitator Anda.",
        "en": "Your Berdaya password was changed and every device was signed out. "
        "If it was not you, contact your facilitator.",
    },
    "recovery.started": {
        "id": "Fasilitator {facilitator} memulai pemulihan akun Berdaya Anda. "
        "Jika Anda tidak bersamanya, hubungi kantor program.",
        "en": "Facilitator {facilitator} started recovering your Berdaya account. "
        "If you are not with her, contact the programme office.",
    },
    "checkin.ask": {
        "id": "Halo {name}, ini Berdaya. Masih jualan bulan ini ({business})?",
        "en": "Hello {name}, this is Berdaya. Still selling this month ({business})?",
    },
    "checkin.remind": {
        "id": "Halo {name}, kami belum dapat jawaban Anda. Masih jualan bulan ini ({business})?",
        "en": "Hello {name}, we have not heard from you yet. Still selling this month "
        "({business})?",
    },
    "checkin.band": {
        "id": "Terima kasih! Kira-kira berapa omzet {business} bulan ini?",
        "en": "Thank you! Roughly how much did {business} sell this month?",
    },
    "checkin.thanks": {
        "id": "Terima kasih, jawaban Anda sudah dicatat.",
        "en": "Thank you, your answer is recorded.",
    },
    "checkin.help": {
        "id": "Terima kasih. Fasilitator Anda akan segera menghubungi Anda.",
        "en": "Thank you. Your facilitator will contact you soon.",
    },
    "event.notice": {
        "id": "Berdaya: {text}",
        "en": "Berdaya: {text}",
    },
    "messaging.stopped": {
        "id": "Anda tidak akan menerima pesan Berdaya lagi di sini. Ubah pilihan ini di "
        "aplikasi Berdaya kapan saja.",
        "en": "You will get no more Berdaya messages here. Change this in the Berdaya app "
        "any time.",
    },
}

# Quick-reply buttons of a template: (payload, label per language). WhatsApp shows them as
# buttons (the approved template's quick replies, or interactive buttons inside the 24-hour
# window); SMS lists them numbered ("Balas 1/2/3"), and a reply "2" means the second.
BUTTONS: dict[str, list[tuple[str, dict[str, str]]]] = {
    "checkin.ask": [
        ("checkin:yes", {"id": "Ya", "en": "Yes"}),
        ("checkin:no", {"id": "Tidak", "en": "No"}),
        ("checkin:help", {"id": "Butuh bantuan", "en": "Need help"}),
    ],
    "checkin.band": [
        ("band:none", {"id": "Belum ada", "en": "Nothing yet"}),
        ("band:under_1m", {"id": "< Rp1 juta", "en": "< Rp1 million"}),
        ("band:1m_5m", {"id": "Rp1-5 juta", "en": "Rp1-5 million"}),
        ("band:5m_15m", {"id": "Rp5-15 juta", "en": "Rp5-15 million"}),
        ("band:over_15m", {"id": "> Rp15 juta", "en": "> Rp15 million"}),
    ],
}
BUTTONS["checkin.remind"] = BUTTONS["checkin.ask"]

# The approved WhatsApp template of each (its body takes the variables in the order they
# appear in the text); others go as session text inside the 24-hour window only.
WHATSAPP_TEMPLATES: dict[str, str] = {
    "checkin.ask": "berdaya_checkin_ask",
    "checkin.remind": "berdaya_checkin_remind",
    "checkin.band": "berdaya_checkin_band",
    "event.notice": "berdaya_notice",
    "code.register": "berdaya_code",
    "code.verify_phone": "berdaya_code",
    "code.password_reset": "berdaya_code",
    "code.sign_in": "berdaya_code",
}

IDENTIFIERS = {
    "phone": {"id": "nomor", "en": "number"},
    "email": {"id": "email", "en": "email address"},
}


def render(template: str, locale: str, params: dict[str, Any]) -> str:
    """The text of ``template`` in ``locale`` (Indonesian when she has no other)."""
    texts = TEMPLATES[template]
    return texts.get(locale, texts["id"]).format(**params)


def variables(template: str) -> list[str]:
    """The variables a template takes, in the order of its Indonesian text."""
    names = [f for _, f, _, _ in string.Formatter().parse(TEMPLATES[template]["id"]) if f]
    return list(dict.fromkeys(names))


def buttons(template: str, locale: str) -> list[tuple[str, str]]:
    """(payload, label) of each quick reply, in her language."""
    return [(p, labels.get(locale, labels["id"])) for p, labels in BUTTONS.get(template, [])]


def render_sms(template: str, locale: str, params: dict[str, Any]) -> str:
    """The text with its answers numbered, for a phone without buttons."""
    text = render(template, locale, params)
    choices = buttons(template, locale)
    if not choices:
        return text
    reply = "Balas" if locale != "en" else "Reply"
    listed = ", ".join(f"{i} = {label}" for i, (_, label) in enumerate(choices, 1))
    return f"{text} {reply} {listed}"
