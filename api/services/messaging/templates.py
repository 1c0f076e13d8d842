"""The text of every message to a person, in Indonesian and English, with the variables it takes.

Messages are short and plain: many recipients read with difficulty and have them read aloud.
"""

from __future__ import annotations

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
}

IDENTIFIERS = {
    "phone": {"id": "nomor", "en": "number"},
    "email": {"id": "email", "en": "email address"},
}


def render(template: str, locale: str, params: dict[str, Any]) -> str:
    """The text of ``template`` in ``locale`` (Indonesian when she has no other)."""
    texts = TEMPLATES[template]
    return texts.get(locale, texts["id"]).format(**params)
