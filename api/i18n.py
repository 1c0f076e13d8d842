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
    "signature_invalid": {
        "en": ("Signature invalid", "The request's signature does not match its body."),
        "id": ("Tanda tangan tidak sah", "Tanda tangan permintaan tidak cocok dengan isinya."),
    },
    "verify_token_mismatch": {
        "en": ("Verification refused", "The verify token or mode is not the one configured."),
        "id": ("Verifikasi ditolak", "Token verifikasi atau mode tidak sesuai pengaturan."),
    },
    "notification_malformed": {
        "en": ("Notification malformed", "The body is not a notification this endpoint reads."),
        "id": ("Notifikasi tidak sah", "Isi permintaan bukan notifikasi yang dibaca di sini."),
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
    "image_too_many_pixels": {
        "en": (
            "Image has too many pixels",
            "This image would take too much memory to process ({pixels} pixels); send it as a "
            "JPEG, or smaller (about 3.5 megapixels in PNG, 1 in WebP).",
        ),
        "id": (
            "Piksel gambar terlalu banyak",
            "Gambar ini butuh terlalu banyak memori untuk diproses ({pixels} piksel); kirim "
            "sebagai JPEG, atau lebih kecil (sekitar 3,5 megapiksel untuk PNG, 1 untuk WebP).",
        ),
    },
    "image_work_busy": {
        "en": ("Busy with other photos", "Other photos are being processed; try again shortly."),
        "id": ("Sedang memproses foto lain", "Foto lain sedang diproses; coba lagi sebentar."),
    },
    "too_many_photos": {
        "en": ("Too many photos", "At most {limit} photos; delete one first."),
        "id": ("Terlalu banyak foto", "Paling banyak {limit} foto; hapus salah satu dulu."),
    },
    "file_too_large": {
        "en": ("File too large", "A file of this kind may have at most {limit} bytes."),
        "id": ("Berkas terlalu besar", "Berkas jenis ini paling besar {limit} byte."),
    },
    "audio_too_long": {
        "en": ("Audio too long", "A recording may last at most {limit} seconds."),
        "id": ("Rekaman terlalu panjang", "Rekaman paling lama {limit} detik."),
    },
    "unsupported_attachment": {
        "en": (
            "Unsupported attachment",
            "Send a PDF, a photo (JPEG, PNG, WebP) or audio (MP3, M4A, Ogg), judged by content.",
        ),
        "id": (
            "Lampiran tidak didukung",
            "Kirim PDF, foto (JPEG, PNG, WebP) atau audio (MP3, M4A, Ogg), dinilai dari isinya.",
        ),
    },
    "not_a_verified_publisher": {
        "en": (
            "Not a verified publisher",
            "Only members of a verified university, CSR company or government office may "
            "publish courses.",
        ),
        "id": (
            "Bukan penerbit terverifikasi",
            "Hanya anggota universitas, perusahaan CSR atau instansi pemerintah terverifikasi "
            "yang boleh menerbitkan kursus.",
        ),
    },
    "course_has_no_modules": {
        "en": ("Course has no modules", "Add at least one module before publishing."),
        "id": ("Kursus belum punya modul", "Tambahkan paling sedikit satu modul sebelum terbit."),
    },
    "course_not_open": {
        "en": ("Course not open", "Only a published course takes enrolments and progress."),
        "id": ("Kursus tidak terbuka", "Hanya kursus yang terbit menerima peserta dan kemajuan."),
    },
    "course_archived": {
        "en": ("Course archived", "An archived course can no longer be changed."),
        "id": ("Kursus diarsipkan", "Kursus yang diarsipkan tidak dapat diubah lagi."),
    },
    "too_many_modules": {
        "en": ("Too many modules", "A course has at most {limit} modules."),
        "id": ("Terlalu banyak modul", "Satu kursus paling banyak {limit} modul."),
    },
    "too_many_attachments": {
        "en": ("Too many attachments", "A module has at most {limit} attachments."),
        "id": ("Terlalu banyak lampiran", "Satu modul paling banyak {limit} lampiran."),
    },
    "not_enrolled": {
        "en": ("Not enrolled", "Enrol in the course first."),
        "id": ("Belum terdaftar", "Daftar ke kursus ini dulu."),
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
    "offer_not_group": {
        "en": ("Not a group offer", "Workshops are planned under a group offer."),
        "id": ("Bukan tawaran kelompok", "Lokakarya dijadwalkan di bawah tawaran kelompok."),
    },
    "offer_closed": {
        "en": ("Offer closed", "A closed offer takes no new workshops."),
        "id": ("Tawaran ditutup", "Tawaran yang ditutup tidak menerima lokakarya baru."),
    },
    "not_your_offer": {
        "en": ("Not your offer", "Only the offer's mentor plans its workshops."),
        "id": ("Bukan tawaran Anda", "Hanya mentor tawaran ini yang menjadwalkan lokakaryanya."),
    },
    "not_your_session": {
        "en": ("Not your session", "Only the workshop's mentor records who came."),
        "id": ("Bukan sesi Anda", "Hanya mentor lokakarya ini yang mencatat kehadiran."),
    },
    "session_full": {
        "en": ("Session full", "Every seat is taken ({capacity})."),
        "id": ("Sesi penuh", "Semua kursi sudah terisi ({capacity})."),
    },
    "already_registered": {
        "en": ("Already registered", "You already have a seat (or a place on the waitlist)."),
        "id": ("Sudah terdaftar", "Anda sudah mendapat kursi (atau tempat di daftar tunggu)."),
    },
    "invitation_only": {
        "en": ("By invitation", "This workshop is for the women invited."),
        "id": ("Khusus undangan", "Lokakarya ini untuk peserta yang diundang."),
    },
    "not_registered": {
        "en": ("Not registered", "You hold no seat in this workshop."),
        "id": ("Belum terdaftar", "Anda tidak memegang kursi di lokakarya ini."),
    },
    "already_in_group": {
        "en": ("Already in the group", "She is a member or invited already (now: {status})."),
        "id": ("Sudah di kelompok", "Ia sudah anggota atau sudah diundang (sekarang: {status})."),
    },
    "group_full": {
        "en": ("Group full", "A group has at most {limit} members and invitations."),
        "id": ("Kelompok penuh", "Satu kelompok paling banyak {limit} anggota dan undangan."),
    },
    "not_your_invitation": {
        "en": ("Not your invitation", "Only the woman invited answers an invitation."),
        "id": ("Bukan undangan Anda", "Hanya yang diundang yang menjawab undangan."),
    },
    "not_invited": {
        "en": ("No open invitation", "There is no invitation to answer (now: {status})."),
        "id": ("Tidak ada undangan", "Tidak ada undangan untuk dijawab (sekarang: {status})."),
    },
    "not_member": {
        "en": ("Not a member", "She is not a member of the group now (now: {status})."),
        "id": ("Bukan anggota", "Ia bukan anggota kelompok saat ini (sekarang: {status})."),
    },
    "ketua_must_hand_over": {
        "en": ("Hand the ketua role over first", "Give the ketua role to another member first."),
        "id": ("Serahkan peran ketua dulu", "Berikan peran ketua kepada anggota lain dulu."),
    },
    "business_in_another_group": {
        "en": ("In another group", "This business belongs to another group."),
        "id": ("Milik kelompok lain", "Usaha ini milik kelompok lain."),
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
    "invitation_cooldown": {
        "en": (
            "Invited too recently",
            "She declined or the invitation was withdrawn; the group may invite her again "
            "from {until}.",
        ),
        "id": (
            "Baru saja diundang",
            "Ia menolak atau undangannya ditarik; kelompok dapat mengundangnya lagi mulai {until}.",
        ),
    },
    "self_sponsorship": {
        "en": (
            "Sponsoring oneself",
            "A sponsorship's sponsor may not be its recipient: the organisation running the "
            "target, or one whose member decides for it. Nobody acts on both sides of one "
            "sponsorship.",
        ),
        "id": (
            "Mensponsori diri sendiri",
            "Sponsor tidak boleh sekaligus penerima: organisasi penyelenggara sasaran, atau "
            "organisasi yang anggotanya memutuskan untuk sasaran itu. Tidak ada yang boleh "
            "bertindak di kedua sisi satu sponsor.",
        ),
    },
    "need_closed": {
        "en": (
            "Need closed",
            "The need of this sponsorship is closed, or its training event cancelled: it can "
            "no longer be accepted or started.",
        ),
        "id": (
            "Kebutuhan ditutup",
            "Kebutuhan sponsor ini sudah ditutup, atau acara pelatihannya dibatalkan: sponsor "
            "ini tidak dapat lagi diterima atau dimulai.",
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
    "her_account_suspended": {
        "en": (
            "Her account is suspended",
            "The moderators suspended this account: no one acts for it or recovers it until"
            " they lift the suspension.",
        ),
        "id": (
            "Akunnya ditangguhkan",
            "Moderator menangguhkan akun ini: tidak ada yang dapat bertindak atas namanya atau"
            " memulihkannya sampai penangguhan dicabut.",
        ),
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
    "batch_item_refused": {
        "en": (
            "Batch refused",
            "Item {index} was refused, so nothing was changed; see each item's status.",
        ),
        "id": (
            "Batch ditolak",
            "Item {index} ditolak, jadi tidak ada yang diubah; lihat status setiap item.",
        ),
    },
    "not_applied": {
        "en": (
            "Not applied",
            "Another item of this batch was refused, so this one was not applied.",
        ),
        "id": (
            "Tidak diterapkan",
            "Item lain dalam batch ini ditolak, jadi item ini tidak diterapkan.",
        ),
    },
    "uri_too_long": {
        "en": ("URI too long", "The request line is longer than {line} bytes."),
        "id": ("URI terlalu panjang", "Baris permintaan lebih panjang dari {line} byte."),
    },
    "header_fields_too_large": {
        "en": (
            "Request header fields too large",
            "Send at most {fields} headers of at most {size} bytes each.",
        ),
        "id": (
            "Kolom header terlalu besar",
            "Kirim paling banyak {fields} header, masing-masing paling banyak {size} byte.",
        ),
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
    # -- training events ---------------------------------------------------------------------
    "not_in_verified_organization": {
        "en": (
            "Not in a verified organisation",
            "Only members of a verified university, CSR company or government office, or "
            "programme staff, may organise training.",
        ),
        "id": (
            "Bukan anggota organisasi terverifikasi",
            "Hanya anggota universitas, perusahaan CSR atau kantor pemerintah terverifikasi, "
            "atau staf program, yang dapat menyelenggarakan pelatihan.",
        ),
    },
    "registration_closed": {
        "en": ("Registration closed", "Registration for this event is not open now."),
        "id": ("Pendaftaran ditutup", "Pendaftaran pelatihan ini sedang tidak dibuka."),
    },
    "event_not_scheduled": {
        "en": ("Event not scheduled", "This event is {status}."),
        "id": ("Pelatihan tidak terjadwal", "Pelatihan ini sudah {status}."),
    },
    "event_not_started": {
        "en": ("Event not started", "Attendance and completion come once the event has started."),
        "id": (
            "Pelatihan belum dimulai",
            "Kehadiran dan penyelesaian dicatat setelah pelatihan dimulai.",
        ),
    },
    "event_started": {
        "en": ("Event started", "An event that has started keeps its times."),
        "id": ("Pelatihan sudah dimulai", "Waktu pelatihan yang sudah dimulai tidak dapat diubah."),
    },
    "attendance_closed": {
        "en": ("Attendance closed", "Attendance is recorded until 7 days after the event ends."),
        "id": (
            "Pencatatan kehadiran ditutup",
            "Kehadiran dicatat paling lambat 7 hari setelah pelatihan berakhir.",
        ),
    },
    "certificate_revoked": {
        "en": ("Certificate revoked", "This certificate was revoked: it has no PDF."),
        "id": ("Sertifikat dicabut", "Sertifikat ini sudah dicabut: tidak ada PDF-nya."),
    },
    "capacity_below_registrations": {
        "en": ("Capacity too small", "{confirmed} alumnae already hold a seat."),
        "id": ("Kapasitas terlalu kecil", "{confirmed} alumni sudah mendapat kursi."),
    },
}

# marshmallow's and our own field messages, translated for Accept-Language: id.
FIELD_MESSAGES_ID: dict[str, str] = {
    "Give user_id or phone.": "Isi user_id atau phone.",
    "Must be after registration_opens_at.": "Harus sesudah registration_opens_at.",
    "Must be after starts_at.": "Harus sesudah starts_at.",
    "Must not be after ends_at.": "Tidak boleh sesudah ends_at.",
    "No alumna found.": "Alumni tidak ditemukan.",
    "No published course with this id.": "Tidak ada kursus terbit dengan id ini.",
    "Not a scheduled training event.": "Bukan pelatihan yang terjadwal.",
    "Not a facilitator or mentor.": "Bukan fasilitator atau mentor.",
    "Required for an online event.": "Wajib untuk pelatihan daring.",
    "Required where the event meets in person.": "Wajib untuk pelatihan tatap muka.",
    "Give `phone` or `user_id`.": "Isi `phone` atau `user_id`.",
    "Give business_id or a target, not both.": "Isi business_id atau target, jangan keduanya.",
    "Give business_id, or target_type and target_id.": (
        "Isi business_id, atau target_type dan target_id."
    ),
    "Hand the ketua role over to an active member.": (
        "Serahkan peran ketua kepada anggota yang aktif."
    ),
    "No alumna has this account.": "Tidak ada alumni dengan akun ini.",
    "Not a business group.": "Bukan kelompok usaha.",
    "Not a business of yours.": "Bukan usaha Anda.",
    "Not a cohort.": "Bukan angkatan.",
    "Not a phone number.": "Bukan nomor telepon.",
    "Not a sponsorship of this group.": "Bukan sponsor kelompok ini.",
    "Not a topic of this offer.": "Bukan topik tawaran ini.",
    "Not an open need of this target.": "Bukan kebutuhan terbuka dari sasaran ini.",
    "Wrong or expired code; ask for a new one.": "Kode salah atau kedaluwarsa; minta kode baru.",
    "Wrong or expired code.": "Kode salah atau kedaluwarsa.",
    "Six digits.": "Enam angka.",
    "Verify your phone number first.": "Verifikasi nomor telepon Anda dulu.",
    "Give the phone number to verify.": "Isi nomor telepon yang akan diverifikasi.",
    "Add an email address first.": "Tambahkan alamat email dulu.",
    "Not an alumna's account.": "Bukan akun alumna.",
    "She has not claimed this cohort: she says she graduated from it first.": (
        "Ia belum mengklaim angkatan ini: ia sendiri yang menyatakan lulus darinya lebih dulu."
    ),
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
    "Provide price_idr, stock or availability.": "Isi price_idr, stock atau availability.",
    "The same product as an earlier item.": "Produk yang sama dengan item sebelumnya.",
    "The same woman as an earlier entry.": "Perempuan yang sama dengan entri sebelumnya.",
    "Must not exceed the event's length in hours.": (
        "Tidak boleh melebihi lama pelatihan dalam jam."
    ),
    "Changes are by filters: leave out q.": "Perubahan menurut filter: jangan isi q.",
    "Not a valid number.": "Bukan angka yang valid.",
    "Not a valid list.": "Bukan daftar yang valid.",
    "Not a valid mapping type.": "Bukan objek yang valid.",
    "Not a valid time.": "Bukan jam yang valid.",
    "Text must not contain NUL characters.": "Teks tidak boleh berisi karakter NUL.",
    # Our own field messages (tests/test_errors.py checks that each one is here).
    "A comma-separated list of up to 30 types such as product.published or product.*": (
        "Daftar hingga 30 jenis dipisah koma, misalnya product.published atau product.*"
    ),
    "A pickup order has no delivery fee.": "Pesanan ambil sendiri tidak punya ongkos kirim.",
    "A sale cannot be in the future.": "Penjualan tidak boleh di masa depan.",
    "Admins are created by an operator.": "Akun admin dibuat oleh operator.",
    "Already used by another account.": "Sudah dipakai akun lain.",
    "Already used.": "Sudah dipakai.",
    "At most 5 MB.": "Paling besar 5 MB.",
    "Before the order was placed.": "Sebelum pesanan dibuat.",
    "Cannot be in the future.": "Tidak boleh di masa depan.",
    "Give a target or a list of items.": "Isi target atau daftar barang.",
    "Give either an email or a phone number, not both.": (
        "Isi email atau nomor telepon, jangan keduanya."
    ),
    "Give either an email or a phone number.": "Isi email atau nomor telepon.",
    "Give revenue_idr or revenue_band.": "Isi revenue_idr atau revenue_band.",
    "List each product once, with its quantity.": "Sebut setiap produk sekali, dengan jumlahnya.",
    "List every photo exactly once.": "Sebut setiap foto tepat satu kali.",
    "List every module exactly once.": "Sebut setiap modul tepat satu kali.",
    "Lower-case words joined by hyphens.": "Kata huruf kecil yang digabung tanda hubung.",
    "Lower-case words, 1-30 characters.": "Kata huruf kecil, 1-30 karakter.",
    "Must be after issued_on.": "Harus setelah issued_on.",
    "Must be after opens.": "Harus setelah opens.",
    "Must be in the future.": "Harus di masa depan.",
    "Must not be after `to`.": "Tidak boleh setelah `to`.",
    "Must not be before `from`.": "Tidak boleh sebelum `from`.",
    "Must not be before starts_on.": "Tidak boleh sebelum starts_on.",
    "Must not be below price_min.": "Tidak boleh di bawah price_min.",
    "Must not be in the future.": "Tidak boleh di masa depan.",
    "Must not be in the past.": "Tidak boleh di masa lalu.",
    "Name the offer you take this on under.": "Sebutkan penawaran yang Anda pakai untuk ini.",
    "Not UTF-8 text.": "Bukan teks UTF-8.",
    "Not a facilitator.": "Bukan fasilitator.",
    "Not a month (YYYY-MM).": "Bukan bulan (YYYY-MM).",
    "Not a month in the future.": "Bukan bulan di masa depan.",
    "Not a product of this business.": "Bukan produk usaha ini.",
    "Not a product of this order.": "Bukan produk pesanan ini.",
    "Not a region code.": "Bukan kode wilayah.",
    "Unknown region code.": "Kode wilayah tidak dikenal.",
    "Not a village code.": "Bukan kode desa/kelurahan.",
    "Not an Indonesian phone number.": "Bukan nomor telepon Indonesia.",
    "Not an active business.": "Bukan usaha yang aktif.",
    "Not an active offer.": "Bukan penawaran yang aktif.",
    "Not an open need of this business.": "Bukan kebutuhan terbuka usaha ini.",
    "Not one of your businesses.": "Bukan usaha Anda.",
    "Describe the request.": "Jelaskan permintaannya.",
    "Describe the need.": "Jelaskan kebutuhannya.",
    "Only whatsapp and sms.": "Hanya whatsapp dan sms.",
    "Add and verify a phone number first.": "Tambahkan dan verifikasi nomor telepon dulu.",
    "Not one of your offers.": "Bukan penawaran Anda.",
    "Only for a group offer.": "Hanya untuk penawaran kelompok.",
    "Only the owner herself can give or withdraw it.": (
        "Hanya pemilik sendiri yang bisa memberikan atau menariknya."
    ),
    "Required for a group offer.": "Wajib untuk penawaran kelompok.",
    "Required for an in-person session.": "Wajib untuk sesi tatap muka.",
    "Required for an online session.": "Wajib untuk sesi daring.",
    "Required for local delivery and shipping.": "Wajib untuk antar lokal dan pengiriman.",
    "Required when availability is in_stock.": "Wajib bila availability in_stock.",
    "Required when availability is pre_order.": "Wajib bila availability pre_order.",
    "Required, at most 100 characters.": "Wajib diisi, paling banyak 100 karakter.",
    "Required: your account has no phone.": "Wajib: akun Anda tidak punya nomor telepon.",
    "Say why you cancel.": "Sebutkan alasan pembatalan.",
    "Tell the buyer why you cancel.": "Beri tahu pembeli alasan pembatalan.",
    "The header must name: name, phone, village_code.": (
        "Baris judul harus berisi: name, phone, village_code."
    ),
    "The offer does not cover this topic.": "Penawaran ini tidak mencakup topik ini.",
    "The offer is closed.": "Penawaran ini sudah ditutup.",
    "This is your own business.": "Ini usaha Anda sendiri.",
    "Unknown category.": "Kategori tidak dikenal.",
    "Unknown organisation.": "Organisasi tidak dikenal.",
    "Unknown business.": "Usaha tidak dikenal.",
    "Unknown program.": "Program tidak dikenal.",
    "Unknown cohort.": "Angkatan tidak dikenal.",
    "Use HH:MM, 24-hour.": "Gunakan HH:MM, format 24 jam.",
    "Wrong password.": "Kata sandi salah.",
    "You cannot order from your own business.": "Anda tidak bisa memesan dari usaha sendiri.",
    "You cannot report yourself.": "Anda tidak bisa melaporkan diri sendiri.",
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
    (re.compile(r"^Must be a link to (.*)\.$"), r"Harus tautan ke \1."),
    (re.compile(r"^Not facilitators: (.*)$"), r"Bukan fasilitator: \1"),
    (re.compile(r"^Not alumnae: (.*)$"), r"Bukan alumni: \1"),
    (re.compile(r"^A (\w+) order is not (\w+)\.$"), r"Pesanan \1 tidak bisa \2."),
    (
        re.compile(r"^A (\w+) cannot create a (\w+) organisation\.$"),
        r"Akun \1 tidak bisa membuat organisasi \2.",
    ),
    (re.compile(r"^At most (\d+) months at once\.$"), r"Paling banyak \1 bulan sekaligus."),
    (
        re.compile(r"^At most the event's capacity \((\d+)\)\.$"),
        r"Paling banyak kapasitas pelatihan (\1).",
    ),
    (re.compile(r"^At most (\d+) rows at once\.$"), r"Paling banyak \1 baris sekaligus."),
    (re.compile(r"^At most (\d+) characters\.$"), r"Paling banyak \1 karakter."),
    (re.compile(r"^Unknown field: (.*)\.$"), r"Kolom tidak dikenal: \1."),
    (re.compile(r"^Name 1 to (\d+) fields\.$"), r"Sebutkan 1 sampai \1 kolom."),
    (
        re.compile(r"^More than the (\d+) rupiah left of this sponsorship\.$"),
        r"Lebih dari sisa \1 rupiah sponsor ini.",
    ),
    (re.compile(r"^Must be a (\w+) code\.$"), r"Harus kode \1."),
    (
        re.compile(r"^No (\w+) account with this (\w+) can be added\.$"),
        r"Tidak ada akun \1 dengan \2 ini yang bisa ditambahkan.",
    ),
    (
        re.compile(r"^The year must be between (\d+) and (\d+)\.$"),
        r"Tahun harus antara \1 dan \2.",
    ),
    (re.compile(r"^Not a valid (\w+)\.$"), r"Bukan \1 yang valid."),
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


# -- notifications: a title and a sentence for every event a person is notified of -------------

# What the event is about: subject type -> language -> name.
NOTIFICATION_SUBJECTS: dict[str, dict[str, str]] = {
    "order": {"en": "Order", "id": "Pesanan"},
    "lead": {"en": "Contact request", "id": "Permintaan kontak"},
    "review": {"en": "Review", "id": "Ulasan"},
    "sponsorship": {"en": "Sponsorship", "id": "Sponsor"},
    "mentoring_request": {"en": "Mentoring request", "id": "Permintaan pendampingan"},
    "mentoring_offer": {"en": "Mentoring offer", "id": "Tawaran pendampingan"},
    "mentoring_session": {"en": "Mentoring session", "id": "Sesi pendampingan"},
    "group_session": {"en": "Group mentoring", "id": "Pendampingan kelompok"},
    "business_group": {"en": "Business group", "id": "Kelompok usaha"},
    "business_group_member": {"en": "Business group", "id": "Kelompok usaha"},
    "graduate_claim": {"en": "Graduate claim", "id": "Klaim lulusan"},
    "check_in": {"en": "Monthly check-in", "id": "Laporan bulanan"},
    "assist_grant": {"en": "Permission to assist", "id": "Izin pendampingan"},
    "webhook": {"en": "Webhook", "id": "Webhook"},
    "training_event": {"en": "Training", "id": "Pelatihan"},
    "training_registration": {"en": "Training registration", "id": "Pendaftaran pelatihan"},
    "training_certificate": {"en": "Training certificate", "id": "Sertifikat pelatihan"},
}

# What happened: the last part of the event type -> language -> a past participle.
NOTIFICATION_ACTIONS: dict[str, dict[str, str]] = {
    "requested": {"en": "requested", "id": "diajukan"},
    "accepted": {"en": "accepted", "id": "diterima"},
    "declined": {"en": "declined", "id": "ditolak"},
    "ready": {"en": "ready for pickup", "id": "siap diambil"},
    "shipped": {"en": "shipped", "id": "dikirim"},
    "completed": {"en": "completed", "id": "selesai"},
    "cancelled": {"en": "cancelled", "id": "dibatalkan"},
    "paid": {"en": "paid", "id": "dibayar"},
    "proposed": {"en": "proposed", "id": "diusulkan"},
    "withdrawn": {"en": "withdrawn", "id": "ditarik"},
    "active": {"en": "started", "id": "dimulai"},
    "milestone_met": {"en": "milestone met", "id": "target tercapai"},
    "disbursement_recorded": {"en": "disbursement recorded", "id": "pencairan dicatat"},
    "disbursement_confirmed": {"en": "disbursement confirmed", "id": "pencairan dikonfirmasi"},
    "disbursement_disputed": {"en": "disbursement disputed", "id": "pencairan dipersoalkan"},
    "opened": {"en": "received", "id": "masuk"},
    "confirmed": {"en": "confirmed", "id": "dikonfirmasi"},
    "expired": {"en": "expired", "id": "kedaluwarsa"},
    "rated": {"en": "rated", "id": "dinilai"},
    "scheduled": {"en": "scheduled", "id": "dijadwalkan"},
    "rescheduled": {"en": "rescheduled", "id": "dijadwalkan ulang"},
    "reminder": {"en": "tomorrow", "id": "besok"},
    "held": {"en": "held", "id": "terlaksana"},
    "invited": {"en": "invitation", "id": "undangan"},
    "joined": {"en": "joined", "id": "bergabung"},
    "left": {"en": "left", "id": "keluar"},
    "removed": {"en": "removed", "id": "dikeluarkan"},
    "role_changed": {"en": "role changed", "id": "peran diubah"},
    "registered": {"en": "registration", "id": "pendaftaran"},
    "business_added": {"en": "business added", "id": "usaha ditambahkan"},
    "equipment_recorded": {"en": "equipment recorded", "id": "peralatan dicatat"},
    "created": {"en": "new", "id": "baru"},
    "replied": {"en": "answered", "id": "dibalas"},
    "hidden": {"en": "hidden", "id": "disembunyikan"},
    "shown": {"en": "shown again", "id": "ditampilkan lagi"},
    "made": {"en": "to check", "id": "perlu diperiksa"},
    "verified": {"en": "verified", "id": "diverifikasi"},
    "rejected": {"en": "rejected", "id": "ditolak"},
    "recorded": {"en": "recorded for you", "id": "dicatat untuk Anda"},
    "updated": {"en": "updated for you", "id": "diperbarui untuk Anda"},
    "granted": {"en": "given to you", "id": "diberikan kepada Anda"},
    "revoked": {"en": "withdrawn", "id": "dicabut"},
    "disabled": {"en": "disabled", "id": "dinonaktifkan"},
    "published": {"en": "published", "id": "diterbitkan"},
    "waitlisted": {"en": "waitlisted", "id": "masuk daftar tunggu"},
    "promoted": {"en": "seat given", "id": "mendapat kursi"},
    "issued": {"en": "issued", "id": "diterbitkan"},
    "attended": {"en": "attendance recorded", "id": "kehadiran dicatat"},
}

# Sentences for the events people meet most; others get "<subject>: <action>." Placeholders
# are filled from the event's data, and a sentence whose data is missing falls back too.
NOTIFICATION_TEXTS: dict[str, dict[str, str]] = {
    "business_group_member.invited": {
        "en": "You are invited to join the group {group} as {role}. Open Berdaya to accept "
        "or decline.",
        "id": "Anda diundang bergabung dengan kelompok {group} sebagai {role}. Buka Berdaya "
        "untuk menerima atau menolak.",
    },
    "group_session.invited": {
        "en": "You are invited to the workshop {title} on {starts_at}. Open Berdaya to take "
        "your seat or decline.",
        "id": "Anda diundang ke lokakarya {title} pada {starts_at}. Buka Berdaya untuk "
        "mendaftar atau menolak.",
    },
    "group_session.cancelled": {
        "en": "The workshop {title} was cancelled: {reason}",
        "id": "Lokakarya {title} dibatalkan: {reason}",
    },
    "order.requested": {
        "en": "A buyer sent a new order to your business. Accept or decline it.",
        "id": "Pembeli mengirim pesanan baru ke usaha Anda. Terima atau tolak pesanannya.",
    },
    "mentoring_session.reminder": {
        "en": "Reminder: your mentoring session is on {starts_at_wib}.",
        "id": "Pengingat: sesi pendampingan Anda pada {starts_at_wib}.",
    },
    "lead.created": {
        "en": "Someone asked for your WhatsApp number about {about}; expect a message.",
        "id": "Seseorang meminta nomor WhatsApp Anda soal {about}; tunggu pesannya.",
    },
    "order.accepted": {
        "en": "The seller accepted your order.",
        "id": "Penjual menerima pesanan Anda.",
    },
    "order.declined": {
        "en": "The seller declined the order: {reason}",
        "id": "Penjual menolak pesanan: {reason}",
    },
    "order.cancelled": {
        "en": "The order was cancelled: {reason}",
        "id": "Pesanan dibatalkan: {reason}",
    },
    "order.ready": {
        "en": "The order is ready for pickup.",
        "id": "Pesanan siap diambil.",
    },
    "order.shipped": {"en": "The order is on its way.", "id": "Pesanan sedang dikirim."},
    "order.completed": {"en": "The order is completed.", "id": "Pesanan sudah selesai."},
    "order.paid": {
        "en": "The seller recorded the payment ({method}).",
        "id": "Penjual mencatat pembayaran ({method}).",
    },
    "review.created": {
        "en": "A buyer reviewed one of your products: {rating} of 5 stars.",
        "id": "Pembeli mengulas salah satu produk Anda: {rating} dari 5 bintang.",
    },
    "review.replied": {
        "en": "The seller answered your review.",
        "id": "Penjual membalas ulasan Anda.",
    },
    "review.hidden": {
        "en": "A moderator hid your review: {reason}",
        "id": "Moderator menyembunyikan ulasan Anda: {reason}",
    },
    "graduate_claim.made": {
        "en": "An alumna says she graduated from your cohort; verify or reject her claim.",
        "id": "Seorang alumni menyatakan lulus dari angkatan Anda; verifikasi atau tolak.",
    },
    "graduate_claim.verified": {
        "en": "Your graduation is verified.",
        "id": "Kelulusan Anda sudah diverifikasi.",
    },
    "graduate_claim.rejected": {
        "en": "Your graduate claim was rejected: {reason}",
        "id": "Klaim lulusan Anda ditolak: {reason}",
    },
    "mentoring_request.opened": {
        "en": "An alumna asks for your mentoring.",
        "id": "Seorang alumni meminta pendampingan Anda.",
    },
    "sponsorship.proposed": {
        "en": "A partner proposes to sponsor your business.",
        "id": "Mitra mengusulkan sponsor untuk usaha Anda.",
    },
    "training_registration.confirmed": {
        "en": "You have a seat at the training {title}, {starts_on}.",
        "id": "Anda mendapat kursi di pelatihan {title}, {starts_on}.",
    },
    "training_registration.waitlisted": {
        "en": "The training {title} is full; you are number {position} on the waitlist.",
        "id": "Pelatihan {title} penuh; Anda nomor {position} di daftar tunggu.",
    },
    "training_registration.promoted": {
        "en": "A seat freed up: you now have a seat at the training {title}, {starts_on}.",
        "id": "Ada kursi kosong: Anda sekarang mendapat kursi di pelatihan {title}, {starts_on}.",
    },
    "training_event.cancelled": {
        "en": "The training {title} is cancelled: {reason}",
        "id": "Pelatihan {title} dibatalkan: {reason}",
    },
    "training_certificate.issued": {
        "en": "Your certificate for {title} ({hours} hours) is ready. Code: {code}.",
        "id": "Sertifikat Anda untuk {title} ({hours} jam) sudah terbit. Kode: {code}.",
    },
}


def notification_text(type: str, data: Mapping[str, Any] | None, language: str) -> tuple[str, str]:
    """The (title, text) of a notification of an event ``type`` in the language (English when
    the language is not one of ours)."""
    language = language if language in LANGUAGES else DEFAULT_LANGUAGE
    subject, _, action = type.partition(".")
    subject_name = NOTIFICATION_SUBJECTS.get(subject, {}).get(language) or (
        subject.replace("_", " ").capitalize()
    )
    action_name = NOTIFICATION_ACTIONS.get(action, {}).get(language) or action.replace("_", " ")
    title = f"{subject_name} {action_name}"
    text = f"{subject_name}: {action_name}."
    template = NOTIFICATION_TEXTS.get(type, {}).get(language)
    if template:
        values = {k: v for k, v in (data or {}).items() if v not in (None, "")}
        with contextlib.suppress(KeyError, IndexError, ValueError):
            text = template.format(**values)
    return title, text


# The words of share pages (``api/templates/share``), read by people: Indonesian unless the
# browser asks for English.
SHARE_TEXT: dict[str, dict[str, str]] = {
    "id": {
        "html_lang": "id",
        "og_locale": "id_ID",
        "tagline": "usaha alumni Sekoper Cinta",
        "footer": "Berdaya menghubungkan Anda langsung dengan penjual. "
        "Pembayaran dilakukan langsung kepada penjual.",
        "verified": "Alumni Sekoper Cinta terverifikasi",
        "reviews": "ulasan",
        "chat": "Chat di WhatsApp",
        "order": "Pesan lewat WhatsApp",
        "no_contact": "Penjual belum membuka kontak WhatsApp di Berdaya.",
        "products": "Produk",
        "in_stock": "Tersedia",
        "out_of_stock": "Stok habis",
        "pre_order": "Pre-order, {days} hari",
        "minimum": "minimal",
        "from": "Dari",
        "not_found_title": "Tidak ditemukan",
        "not_found": "Halaman ini tidak ada, atau usaha/produknya sedang tidak aktif.",
        "limited_title": "Terlalu sering",
        "limited": "Anda sudah menghubungi banyak penjual hari ini; coba lagi besok.",
        "error_title": "Terjadi kesalahan",
        "error": "Coba lagi nanti.",
    },
    "en": {
        "html_lang": "en",
        "og_locale": "en_US",
        "tagline": "businesses of Sekoper Cinta graduates",
        "footer": "Berdaya puts you in touch with the seller directly. "
        "You pay the seller directly.",
        "verified": "Verified Sekoper Cinta graduate",
        "reviews": "reviews",
        "chat": "Chat on WhatsApp",
        "order": "Order on WhatsApp",
        "no_contact": "The seller has not opened WhatsApp contact on Berdaya yet.",
        "products": "Products",
        "in_stock": "In stock",
        "out_of_stock": "Out of stock",
        "pre_order": "Pre-order, {days} days",
        "minimum": "minimum",
        "from": "From",
        "not_found_title": "Not found",
        "not_found": "This page does not exist, or the business or product is not active.",
        "limited_title": "Too many",
        "limited": "You have contacted many sellers today; try again tomorrow.",
        "error_title": "Something went wrong",
        "error": "Try again later.",
    },
}
