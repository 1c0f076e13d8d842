"""Problem titles and details in English and Indonesian, keyed by the stable error code."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from typing import Any

LANGUAGES = ("en", "id")
DEFAULT_LANGUAGE = "en"

# code -> language -> (title, detail). Details may use {placeholders} filled from params.
PROBLEMS: dict[str, dict[str, tuple[str, str]]] = {
    "bad_request": {
        "en": ("Bad request", "The request could not be understood."),
        "id": ("Permintaan tidak valid", "Permintaan tidak dapat dipahami."),
    },
    "malformed_json": {
        "en": ("Malformed JSON", "The request body is not valid JSON."),
        "id": ("JSON rusak", "Isi permintaan bukan JSON yang valid."),
    },
    "validation_failed": {
        "en": ("Validation failed", "Some fields are invalid; see errors."),
        "id": ("Validasi gagal", "Beberapa kolom tidak valid; lihat errors."),
    },
    "authentication_required": {
        "en": (
            "Authentication required",
            "Send a valid access token: Authorization: Bearer <token>.",
        ),
        "id": ("Perlu masuk", "Kirim token akses yang valid: Authorization: Bearer <token>."),
    },
    "invalid_token": {
        "en": ("Invalid token", "The access token is malformed, forged or revoked."),
        "id": ("Token tidak valid", "Token akses rusak, palsu, atau sudah dicabut."),
    },
    "token_expired": {
        "en": ("Token expired", "The access token has expired; refresh it."),
        "id": ("Token kedaluwarsa", "Token akses sudah kedaluwarsa; perbarui token."),
    },
    "invalid_credentials": {
        "en": ("Invalid credentials", "The account or password is wrong."),
        "id": ("Data masuk salah", "Akun atau kata sandi salah."),
    },
    "invalid_refresh_token": {
        "en": ("Invalid refresh token", "The refresh token is unknown, expired or revoked."),
        "id": (
            "Token penyegar tidak valid",
            "Token penyegar tidak dikenal, kedaluwarsa, atau dicabut.",
        ),
    },
    "refresh_token_reused": {
        "en": (
            "Refresh token reused",
            "This refresh token was already used; the session is revoked. Sign in again.",
        ),
        "id": (
            "Token penyegar dipakai ulang",
            "Token penyegar ini sudah dipakai; sesi dicabut. Silakan masuk lagi.",
        ),
    },
    "invalid_code": {
        "en": ("Invalid code", "The code is wrong or has expired; ask for a new one."),
        "id": ("Kode salah", "Kode salah atau sudah kedaluwarsa; minta kode baru."),
    },
    "code_send_limited": {
        "en": ("Too many codes", "Too many codes were asked for; try again later."),
        "id": ("Terlalu banyak kode", "Terlalu banyak permintaan kode; coba lagi nanti."),
    },
    "code_attempts_limited": {
        "en": ("Too many wrong codes", "Too many wrong codes were entered; try again later."),
        "id": ("Terlalu banyak kode salah", "Terlalu banyak kode salah; coba lagi nanti."),
    },
    "phone_not_verified": {
        "en": ("Phone not verified", "Verify your phone number by code first."),
        "id": ("Nomor belum diverifikasi", "Verifikasi nomor telepon Anda dengan kode dulu."),
    },
    "phone_unavailable": {
        "en": ("Phone number unavailable", "This number is verified for another account."),
        "id": ("Nomor tidak tersedia", "Nomor ini sudah diverifikasi untuk akun lain."),
    },
    "roster_entry_linked": {
        "en": ("Roster row linked", "Another account is linked to this roster row."),
        "id": ("Baris daftar sudah terhubung", "Akun lain sudah terhubung ke baris ini."),
    },
    "recovery_not_for_staff": {
        "en": (
            "Not for staff accounts",
            "Facilitator and admin accounts are recovered by an operator.",
        ),
        "id": ("Bukan untuk akun staf", "Akun fasilitator dan admin dipulihkan oleh operator."),
    },
    "login_locked": {
        "en": (
            "Too many failed sign-ins",
            "Too many failed sign-ins for this account; try again later.",
        ),
        "id": (
            "Terlalu banyak gagal masuk",
            "Terlalu banyak percobaan masuk gagal; coba lagi nanti.",
        ),
    },
    "forbidden": {
        "en": ("Forbidden", "You may not do this."),
        "id": ("Dilarang", "Anda tidak boleh melakukan ini."),
    },
    "invalid_api_key": {
        "en": (
            "Invalid API key",
            "The API key is unknown, revoked or expired, or its maker left the organisation.",
        ),
        "id": (
            "Kunci API tidak valid",
            "Kunci API tidak dikenal, sudah dicabut atau kedaluwarsa, atau pembuatnya sudah "
            "keluar dari organisasi.",
        ),
    },
    "ambiguous_credentials": {
        "en": (
            "Ambiguous credentials",
            "Send either an API key or a bearer token (with X-On-Behalf-Of), not both.",
        ),
        "id": (
            "Kredensial ganda",
            "Kirim kunci API atau token bearer (dengan X-On-Behalf-Of), jangan keduanya.",
        ),
    },
    "insufficient_scope": {
        "en": (
            "Insufficient scope",
            "This API key lacks the scope this operation needs: {scope}.",
        ),
        "id": (
            "Cakupan tidak cukup",
            "Kunci API ini tidak memiliki cakupan yang dibutuhkan: {scope}.",
        ),
    },
    "role_not_allowed": {
        "en": ("Role not allowed", "This action is for these roles: {roles}."),
        "id": ("Peran tidak diizinkan", "Tindakan ini hanya untuk peran: {roles}."),
    },
    "not_found": {
        "en": ("Not found", "The resource does not exist or you may not see it."),
        "id": ("Tidak ditemukan", "Sumber daya tidak ada atau Anda tidak boleh melihatnya."),
    },
    "method_not_allowed": {
        "en": ("Method not allowed", "This method is not allowed here; see the Allow header."),
        "id": ("Metode tidak diizinkan", "Metode ini tidak diizinkan di sini; lihat header Allow."),
    },
    "not_acceptable": {
        "en": ("Not acceptable", "This resource is available as application/json only."),
        "id": ("Tidak dapat diterima", "Sumber daya ini hanya tersedia sebagai application/json."),
    },
    "conflict": {
        "en": ("Conflict", "The request conflicts with the current state of the resource."),
        "id": ("Konflik", "Permintaan bertentangan dengan keadaan sumber daya saat ini."),
    },
    "already_exists": {
        "en": ("Already exists", "Another record already uses this {field}."),
        "id": ("Sudah ada", "Data lain sudah memakai {field} ini."),
    },
    "already_member": {
        "en": ("Already a member", "This user is already a member of the organisation."),
        "id": ("Sudah menjadi anggota", "Pengguna ini sudah menjadi anggota organisasi."),
    },
    "last_admin": {
        "en": ("Last administrator", "An organisation must keep at least one administrator."),
        "id": ("Admin terakhir", "Organisasi harus memiliki setidaknya satu admin."),
    },
    "organization_not_verified": {
        "en": (
            "Organisation not verified",
            "Members can be added once a platform admin has verified the organisation.",
        ),
        "id": (
            "Organisasi belum terverifikasi",
            "Anggota dapat ditambahkan setelah admin platform memverifikasi organisasi.",
        ),
    },
    "invalid_transition": {
        "en": (
            "Not allowed now",
            "Cannot {action} while the status is {status}; allowed now: {allowed}.",
        ),
        "id": (
            "Tidak dapat dilakukan sekarang",
            "Tidak bisa {action} saat status {status}; yang bisa sekarang: {allowed}.",
        ),
    },
    "no_whatsapp": {
        "en": ("No WhatsApp number", "This business has not given a WhatsApp number yet."),
        "id": ("Tidak ada nomor WhatsApp", "Usaha ini belum mencantumkan nomor WhatsApp."),
    },
    "contact_limited": {
        "en": ("Contact limit reached", "You have contacted many sellers today; try again later."),
        "id": (
            "Batas kontak tercapai",
            "Anda sudah menghubungi banyak penjual hari ini; coba lagi nanti.",
        ),
    },
    "unsupported_image": {
        "en": ("Not a supported image", "Send a JPEG, PNG or WebP photo (judged by its content)."),
        "id": ("Gambar tidak didukung", "Kirim foto JPEG, PNG, atau WebP (dinilai dari isinya)."),
    },
    "image_too_large": {
        "en": ("Image too large", "A photo may have at most {limit} bytes and 40 megapixels."),
        "id": ("Gambar terlalu besar", "Foto paling besar {limit} byte dan 40 megapiksel."),
    },
    "too_many_photos": {
        "en": ("Too many photos", "At most {limit} photos; delete one first."),
        "id": ("Terlalu banyak foto", "Paling banyak {limit} foto; hapus salah satu dulu."),
    },
    "out_of_stock": {
        "en": ("Out of stock", "{product} is out of stock."),
        "id": ("Stok habis", "{product} sedang habis."),
    },
    "insufficient_stock": {
        "en": ("Not enough stock", "Only {available} of {product} left."),
        "id": ("Stok tidak cukup", "{product} tinggal {available}."),
    },
    "not_your_action": {
        "en": ("Not yours to do", "This step ({action}) belongs to the other party."),
        "id": ("Bukan tindakan Anda", "Langkah ini ({action}) milik pihak lain."),
    },
    "already_paid": {
        "en": ("Already paid", "The payment of this order is already recorded."),
        "id": ("Sudah dibayar", "Pembayaran pesanan ini sudah dicatat."),
    },
    "order_not_completed": {
        "en": ("Order not completed", "You can review once the order is completed."),
        "id": ("Pesanan belum selesai", "Ulasan dapat diberikan setelah pesanan selesai."),
    },
    "already_reviewed": {
        "en": ("Already reviewed", "You already reviewed this product of this order."),
        "id": ("Sudah diulas", "Anda sudah mengulas produk ini dari pesanan ini."),
    },
    "already_replied": {
        "en": ("Already replied", "A review gets one reply."),
        "id": ("Sudah dibalas", "Setiap ulasan hanya dapat dibalas sekali."),
    },
    "already_reported": {
        "en": ("Already reported", "You already reported this review."),
        "id": ("Sudah dilaporkan", "Anda sudah melaporkan ulasan ini."),
    },
    "not_in_verified_university": {
        "en": (
            "Not a verified university's mentor",
            "Only mentors who belong to a verified university may do this.",
        ),
        "id": (
            "Bukan mentor universitas terverifikasi",
            "Hanya mentor dari universitas terverifikasi yang dapat melakukan ini.",
        ),
    },
    "too_many_open_requests": {
        "en": (
            "Too many open requests",
            "You have {limit} open requests; wait for one or cancel one.",
        ),
        "id": (
            "Terlalu banyak permintaan terbuka",
            "Anda punya {limit} permintaan terbuka; tunggu atau batalkan salah satu.",
        ),
    },
    "offer_full": {
        "en": ("Offer full", "This offer mentors {capacity} alumnae at once and has no room now."),
        "id": (
            "Penawaran penuh",
            "Penawaran ini membimbing {capacity} alumni sekaligus dan sedang penuh.",
        ),
    },
    "already_confirmed": {
        "en": ("Already confirmed", "You already confirmed this."),
        "id": ("Sudah dikonfirmasi", "Anda sudah mengonfirmasi ini."),
    },
    "mentoring_not_completed": {
        "en": ("Mentoring not completed", "Feedback comes once the mentoring is completed."),
        "id": ("Pendampingan belum selesai", "Ulasan diberikan setelah pendampingan selesai."),
    },
    "already_rated": {
        "en": ("Already rated", "You already rated this mentoring."),
        "id": ("Sudah dinilai", "Anda sudah menilai pendampingan ini."),
    },
    "mentoring_not_active": {
        "en": (
            "Mentoring not active",
            "Sessions are planned once the request is accepted (now: {status}).",
        ),
        "id": (
            "Pendampingan belum aktif",
            "Sesi dijadwalkan setelah permintaan diterima (sekarang: {status}).",
        ),
    },
    "session_not_scheduled": {
        "en": ("Session not planned", "Only a planned session can change (now: {status})."),
        "id": (
            "Sesi tidak terjadwal",
            "Hanya sesi terjadwal yang dapat diubah (sekarang: {status}).",
        ),
    },
    "session_in_future": {
        "en": ("Session not yet held", "A session is recorded after it starts."),
        "id": ("Sesi belum berlangsung", "Sesi dicatat setelah dimulai."),
    },
    "not_a_university": {
        "en": ("Not a university", "This report is for universities."),
        "id": ("Bukan universitas", "Laporan ini untuk universitas."),
    },
    "not_in_verified_csr": {
        "en": (
            "Not a verified CSR company's partner",
            "Only partners who belong to a verified CSR company may propose support.",
        ),
        "id": (
            "Bukan mitra perusahaan CSR terverifikasi",
            "Hanya mitra dari perusahaan CSR terverifikasi yang dapat mengajukan dukungan.",
        ),
    },
    "sponsorship_not_running": {
        "en": ("Sponsorship not running", "Not possible while the sponsorship is {status}."),
        "id": ("Sponsor tidak berjalan", "Tidak dapat dilakukan saat sponsor berstatus {status}."),
    },
    "milestone_already_met": {
        "en": ("Milestone already met", "This milestone is already marked met."),
        "id": ("Tonggak sudah tercapai", "Tonggak ini sudah ditandai tercapai."),
    },
    "disbursement_not_pending": {
        "en": ("Disbursement already answered", "It is {status} already."),
        "id": ("Penyaluran sudah dijawab", "Statusnya sudah {status}."),
    },
    "contact_not_consented": {
        "en": (
            "Contact not shared",
            "The owner has not agreed to share her WhatsApp number yet.",
        ),
        "id": (
            "Kontak tidak dibagikan",
            "Pemilik usaha belum menyetujui nomor WhatsApp-nya dibagikan.",
        ),
    },
    "consent_already_given": {
        "en": ("Consent already given", "You have already given this consent."),
        "id": ("Persetujuan sudah diberikan", "Anda sudah memberikan persetujuan ini."),
    },
    "erasure_blocked": {
        "en": (
            "Something is still under way",
            "Finish or cancel your open orders, sponsorships and mentoring first; they are "
            "listed here.",
        ),
        "id": (
            "Masih ada yang berjalan",
            "Selesaikan atau batalkan dulu pesanan, sponsor dan pendampingan yang masih "
            "berjalan; daftarnya ada di sini.",
        ),
    },
    "consent_already_granted": {
        "en": ("Consent already given", "This organisation can already see your figures."),
        "id": ("Izin sudah diberikan", "Organisasi ini sudah dapat melihat angka usaha Anda."),
    },
    "unsupported_evidence": {
        "en": ("Unsupported evidence file", "Send a photo (JPEG, PNG, WebP) or a PDF."),
        "id": ("Berkas bukti tidak didukung", "Kirim foto (JPEG, PNG, WebP) atau PDF."),
    },
    "program_exists": {
        "en": ("Program exists", "A program with this name exists."),
        "id": ("Program sudah ada", "Program dengan nama ini sudah ada."),
    },
    "out_of_scope": {
        "en": ("Outside your regions", "This is outside the regions you work in."),
        "id": ("Di luar wilayah Anda", "Ini di luar wilayah kerja Anda."),
    },
    "roster_invalid": {
        "en": (
            "Roster has invalid rows",
            "{count} rows are invalid; nothing was written (see invalid).",
        ),
        "id": (
            "Daftar berisi baris tidak valid",
            "{count} baris tidak valid; tidak ada yang disimpan (lihat invalid).",
        ),
    },
    "already_claimed": {
        "en": ("Already claimed", "You already claimed this cohort."),
        "id": ("Sudah diklaim", "Anda sudah mengklaim angkatan ini."),
    },
    "claim_decided": {
        "en": ("Claim already decided", "The claim is {status} already."),
        "id": ("Klaim sudah diputuskan", "Klaim ini sudah {status}."),
    },
    "not_your_business": {
        "en": ("Not your business", "Only the owner or her facilitator does this."),
        "id": ("Bukan usaha Anda", "Hanya pemilik atau fasilitatornya yang dapat melakukan ini."),
    },
    "not_a_verified_university": {
        "en": (
            "Not a verified university",
            "Only verified universities can hold a data-use agreement.",
        ),
        "id": (
            "Bukan universitas terverifikasi",
            "Hanya universitas terverifikasi yang dapat memiliki perjanjian penggunaan data.",
        ),
    },
    "no_data_use_agreement": {
        "en": (
            "No data-use agreement",
            "Research exports are for members of universities under a data-use agreement.",
        ),
        "id": (
            "Tidak ada perjanjian penggunaan data",
            "Ekspor riset hanya untuk anggota universitas dengan perjanjian penggunaan data.",
        ),
    },
    "no_assist_grant": {
        "en": (
            "No assistance granted",
            "She has not granted you to act for her (or it expired or was revoked).",
        ),
        "id": (
            "Tidak ada izin pendampingan",
            "Ia belum mengizinkan Anda bertindak atas namanya (atau izinnya berakhir/dicabut).",
        ),
    },
    "not_while_assisting": {
        "en": ("Not while assisting", "Only she can do this herself."),
        "id": ("Tidak saat mendampingi", "Hanya ia sendiri yang dapat melakukan ini."),
    },
    "account_suspended": {
        "en": ("Account suspended", "This account is suspended by the moderators."),
        "id": ("Akun ditangguhkan", "Akun ini ditangguhkan oleh moderator."),
    },
    "report_resolved": {
        "en": ("Report already resolved", "The report is {status} already."),
        "id": ("Laporan sudah diselesaikan", "Laporan ini sudah {status}."),
    },
    "already_verified": {
        "en": ("Already verified", "The organisation is already verified."),
        "id": ("Sudah terverifikasi", "Organisasi ini sudah terverifikasi."),
    },
    "precondition_required": {
        "en": ("Precondition required", "Send If-Match with the ETag you last read."),
        "id": ("Prasyarat diperlukan", "Kirim If-Match dengan ETag yang terakhir Anda baca."),
    },
    "precondition_failed": {
        "en": ("Precondition failed", "The resource changed since you read it; read it again."),
        "id": ("Prasyarat gagal", "Sumber daya berubah sejak Anda membacanya; baca ulang."),
    },
    "payload_too_large": {
        "en": ("Payload too large", "The request body is larger than {limit} bytes."),
        "id": ("Muatan terlalu besar", "Isi permintaan lebih besar dari {limit} byte."),
    },
    "unsupported_media_type": {
        "en": ("Unsupported media type", "Send the body as application/json."),
        "id": ("Jenis media tidak didukung", "Kirim isi permintaan sebagai application/json."),
    },
    "invalid_idempotency_key": {
        "en": (
            "Invalid Idempotency-Key",
            "Idempotency-Key must be 1 to 255 visible ASCII characters.",
        ),
        "id": ("Idempotency-Key tidak valid", "Idempotency-Key harus 1 sampai 255 karakter ASCII."),
    },
    "idempotency_key_reused": {
        "en": (
            "Idempotency-Key reused",
            "This Idempotency-Key was used with a different request; use a new key.",
        ),
        "id": (
            "Idempotency-Key dipakai ulang",
            "Idempotency-Key ini sudah dipakai untuk permintaan lain; gunakan kunci baru.",
        ),
    },
    "idempotency_key_in_progress": {
        "en": (
            "Request in progress",
            "A request with this Idempotency-Key is still being processed; retry shortly.",
        ),
        "id": (
            "Permintaan sedang diproses",
            "Permintaan dengan Idempotency-Key ini masih diproses; coba lagi sebentar lagi.",
        ),
    },
    "rate_limited": {
        "en": ("Too many requests", "Slow down; retry after the time in Retry-After."),
        "id": ("Terlalu banyak permintaan", "Pelan-pelan; coba lagi setelah waktu di Retry-After."),
    },
    "internal_error": {
        "en": ("Internal server error", "Something went wrong on our side; it has been logged."),
        "id": ("Kesalahan server", "Terjadi kesalahan di sisi kami; sudah dicatat."),
    },
    "service_unavailable": {
        "en": ("Service unavailable", "The service is temporarily unavailable; retry shortly."),
        "id": ("Layanan tidak tersedia", "Layanan sedang tidak tersedia; coba lagi sebentar lagi."),
    },
}

# marshmallow's and our own field messages, translated for Accept-Language: id.
FIELD_MESSAGES_ID: dict[str, str] = {
    "Wrong or expired code; ask for a new one.": "Kode salah atau kedaluwarsa; minta kode baru.",
    "Wrong or expired code.": "Kode salah atau kedaluwarsa.",
    "Six digits.": "Enam angka.",
    "Verify your phone number first.": "Verifikasi nomor telepon Anda dulu.",
    "Give the phone number to verify.": "Isi nomor telepon yang akan diverifikasi.",
    "Add an email address first.": "Tambahkan alamat email dulu.",
    "Not an alumna's account.": "Bukan akun alumna.",
    "Missing data for required field.": "Wajib diisi.",
    "Unknown field.": "Kolom tidak dikenal atau tidak boleh diisi.",
    "Field may not be null.": "Tidak boleh kosong (null).",
    "Not a valid string.": "Bukan teks yang valid.",
    "Not a valid integer.": "Bukan bilangan bulat yang valid.",
    "Not a valid boolean.": "Bukan boolean yang valid.",
    "Not a valid email address.": "Bukan alamat email yang valid.",
    "Not a valid URL.": "Bukan URL yang valid.",
    "Not a valid date.": "Bukan tanggal yang valid.",
    "Not a valid datetime.": "Bukan waktu yang valid.",
    "Invalid input type.": "Jenis masukan tidak valid.",
    "Invalid value.": "Nilai tidak valid.",
    "Not a valid phone number.": "Bukan nomor telepon yang valid.",
    "Not an Indonesian mobile number.": "Bukan nomor ponsel Indonesia.",
    "Give an email or a phone number.": "Isi email atau nomor telepon.",
    "Invalid cursor.": "Cursor tidak valid.",
    "Invalid JSON body.": "Isi JSON tidak valid.",
    "Not a file.": "Bukan berkas.",
    "Password must be at least 8 characters.": "Kata sandi minimal 8 karakter.",
    "Provide at least one field.": "Isi setidaknya satu kolom.",
}

_PATTERNS_ID: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^Must be one of: (.*)\.$"), r"Harus salah satu dari: \1."),
    (re.compile(r"^Length must be between (\d+) and (\d+)\.$"), r"Panjang harus antara \1 dan \2."),
    (re.compile(r"^Shorter than minimum length (\d+)\.$"), r"Lebih pendek dari minimum \1."),
    (re.compile(r"^Longer than maximum length (\d+)\.$"), r"Lebih panjang dari maksimum \1."),
    (
        re.compile(r"^Must be greater than or equal to (\S+) and less than or equal to (\S+)\.$"),
        r"Harus antara \1 dan \2.",
    ),
    (re.compile(r"^Must be greater than or equal to (\S+)\.$"), r"Harus paling sedikit \1."),
    (re.compile(r"^Must be less than or equal to (\S+)\.$"), r"Harus paling banyak \1."),
]


def problem_text(
    code: str, language: str, params: Mapping[str, Any] | None = None
) -> tuple[str, str]:
    """The (title, detail) of a problem code in the language, falling back to English."""
    entry = PROBLEMS.get(code) or PROBLEMS["bad_request"]
    title, detail = entry.get(language) or entry[DEFAULT_LANGUAGE]
    if params:
        with contextlib.suppress(KeyError, IndexError):
            detail = detail.format(**params)
    return title, detail


def translate_field_errors(errors: Any, language: str) -> Any:
    """Translate validation messages (nested dicts and lists) into the language."""
    if language != "id":
        return errors
    if isinstance(errors, dict):
        return {key: translate_field_errors(value, language) for key, value in errors.items()}
    if isinstance(errors, list):
        return [translate_field_errors(value, language) for value in errors]
    if isinstance(errors, str):
        if errors in FIELD_MESSAGES_ID:
            return FIELD_MESSAGES_ID[errors]
        for pattern, replacement in _PATTERNS_ID:
            if pattern.match(errors):
                return pattern.sub(replacement, errors)
    return errors
