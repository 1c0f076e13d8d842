"""Files that are not photos (PDFs, short audio), judged by their content, never by the name
or the type the client claims. Images go through ``api.images`` (re-encoded as WebP).

A PDF is recognised by its header (``%PDF-``) and kept as it is; audio is parsed by mutagen,
which reads the container's headers (MP3, MP4/M4A, Ogg Vorbis and Opus) for the format and the
duration without decoding the sound.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from mutagen import File as MutagenFile
from mutagen import MutagenError

from api.errors import DomainError, UnsupportedMediaType

PDF_MAX_BYTES = 5 * 1024 * 1024
AUDIO_MAX_BYTES = 5 * 1024 * 1024
AUDIO_MAX_SECONDS = 15 * 60
# mutagen's class name -> the content type files of it are served with.
AUDIO_TYPES = {
    "MP3": "audio/mpeg",
    "MP4": "audio/mp4",
    "OggVorbis": "audio/ogg",
    "OggOpus": "audio/ogg",
}


class FileTooLarge(DomainError):
    """Over the size limit of its kind."""

    status = 413
    code = "file_too_large"


class AudioTooLong(DomainError):
    """Longer than a short recording a phone on prepaid data should fetch."""

    status = 422
    code = "audio_too_long"


@dataclass(frozen=True)
class Audio:
    content_type: str
    duration_seconds: int


def is_pdf(data: bytes) -> bool:
    return data.startswith(b"%PDF-")


def check_pdf(data: bytes) -> None:
    """A PDF within the limit, or 413."""
    if len(data) > PDF_MAX_BYTES:
        raise FileTooLarge(params={"limit": PDF_MAX_BYTES})


def probe_audio(data: bytes) -> Audio | None:
    """The audio's type and length, or None when the content is not audio of a kind we keep."""
    try:
        parsed = MutagenFile(io.BytesIO(data))
    except (MutagenError, ValueError, OSError, EOFError):
        return None
    if parsed is None or type(parsed).__name__ not in AUDIO_TYPES:
        return None
    length = getattr(parsed.info, "length", 0) or 0
    if length <= 0:
        return None
    return Audio(AUDIO_TYPES[type(parsed).__name__], max(1, round(length)))


def check_audio(data: bytes) -> Audio:
    """Short audio within the limits: 413 when too large, 422 when too long, 415 otherwise."""
    if len(data) > AUDIO_MAX_BYTES:
        raise FileTooLarge(params={"limit": AUDIO_MAX_BYTES})
    audio = probe_audio(data)
    if audio is None:
        raise UnsupportedMediaType("unsupported_attachment")
    if audio.duration_seconds > AUDIO_MAX_SECONDS:
        raise AudioTooLong(params={"limit": AUDIO_MAX_SECONDS})
    return audio
