"""Photos: judged by content, bombs refused, metadata (GPS) dropped, re-encoded as WebP.

Memory is bounded per upload and per process, because a small file can describe a huge image
(an all-black 6,320 x 6,320 PNG is 116 KB and 160 MB once decoded). Before anything is decoded,
what decoding will hold in memory is worked out from the header (``decode_cost``): JPEGs are
decoded at reduced size (the DCT scaling of ``draft``: never more than the largest size kept
needs), other formats at full size. An image whose decoding would cost more than
``DECODE_BUDGET`` is refused (413 ``image_too_many_pixels``), whatever its byte size. The image
is shrunk to the largest size kept straight after decoding (in place, so no second full-size
copy), and the smaller sizes come from that. One image is processed at a time per process
(``CONCURRENCY``), so threads of one worker do not add up; a caller who waits longer than
``WAIT_SECONDS`` gets a 503 with ``Retry-After``. ``tests/test_image_memory.py`` measures a
worker's peak under the worst cases.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import io
import threading
import warnings
from dataclasses import dataclass

from PIL import Image, ImageFile, UnidentifiedImageError
from PIL.JpegImagePlugin import get_sampling

from api.errors import DomainError, UnsupportedMediaType

SIZES = (160, 480, 1080)
MAX_BYTES = 5 * 1024 * 1024
# A request uploading one image: the image and the multipart envelope around it.
UPLOAD_LIMIT = MAX_BYTES + 64 * 1024
MAX_PIXELS = 40_000_000  # a 40-megapixel photo; beyond that it is a bomb, not a phone picture
FORMATS = {"JPEG", "PNG", "WEBP"}
# What processing one image may hold in memory at once. A worker's own memory (about 120 MiB
# after its first requests) plus this stays within the memory per worker of the benchmark,
# with a few MiB to spare. Any baseline JPEG up to 40 MP fits (decoded at reduced size); a PNG
# of about 3.6 MP (a phone's screenshot; 1.9 with transparency), a WebP of about 1.2 MP, a
# progressive JPEG of about 2.5 MP.
DECODE_BUDGET = 28 * 1024 * 1024
FIXED_BYTES = 10 * 1024 * 1024  # resizing's intermediate images, the encoder, the file itself
CONCURRENCY = 1  # images decoded at once in one process (threads of a worker wait their turn)
WAIT_SECONDS = 30
# Modes Pillow resizes as they are; others are converted at full size first.
_RESIZABLE = {"L", "LA", "RGB", "RGBA"}
# EXIF orientation -> the transposition that shows the photo upright (as ImageOps does).
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


# -- where the renditions are stored --------------------------------------------------------


def photo_key(photo_id: str, size: int) -> str:
    return image_key(f"photos/{photo_id}", size)


def image_key(prefix: str, size: int) -> str:
    return f"{prefix}/{size}.webp"


def jpeg_key(photo_id: str) -> str:
    """The JPEG rendition of a photo's largest size, made when a share page's preview is first
    fetched (link-preview scrapers do not all read WebP)."""
    return f"photos/{photo_id}/{SIZES[-1]}.jpg"


_work = threading.BoundedSemaphore(CONCURRENCY)
# glibc serves allocations from this size on by mmap, and gives them back when they are freed.
# Left to itself it raises the threshold after the first large free (up to 32 MiB), and each
# thread's arena then keeps the buffers of the images it processed: a worker with 4 threads
# kept 4 images' worth. Setting it turns that adjustment off.
MMAP_THRESHOLD = 1024 * 1024


def _return_large_buffers() -> None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc: its allocator has its own behaviour
        return
    mallopt(-3, MMAP_THRESHOLD)  # M_MMAP_THRESHOLD


_return_large_buffers()


class ImageTooLarge(DomainError):
    """Over 5 MB, or more pixels than any photo needs."""

    status = 413
    code = "image_too_large"


class ImageTooManyPixels(DomainError):
    """Decoding it would take more memory than one upload may use."""

    status = 413
    code = "image_too_many_pixels"


class ImageWorkBusy(DomainError):
    """Other photos are being processed; try again in a moment."""

    status = 503
    code = "image_work_busy"


@dataclass(frozen=True)
class ProcessedImage:
    """The original's size and one WebP per width in SIZES."""

    width: int
    height: int
    variants: dict[int, bytes]


def process(data: bytes, *, quick: bool = False) -> ProcessedImage:
    """Check and convert an upload; raise 415 for non-images, 413 for oversize or bombs.

    ``quick`` (generated demo pictures) encodes with WebP's method 1, five times faster for
    files about a third larger; uploads get method 4."""
    if len(data) > MAX_BYTES:
        raise ImageTooLarge(params={"limit": MAX_BYTES})
    if not _work.acquire(timeout=WAIT_SECONDS):
        raise ImageWorkBusy(headers={"Retry-After": "5"})
    try:
        return _process(data, quick=quick)
    finally:
        _work.release()


def _process(data: bytes, *, quick: bool) -> ProcessedImage:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in FORMATS:
                    raise UnsupportedMediaType("unsupported_image")
                if probe.width * probe.height > MAX_PIXELS:
                    raise ImageTooLarge(params={"limit": MAX_BYTES})
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                return _convert(image, quick=quick)
        except (Image.DecompressionBombWarning, Image.DecompressionBombError):
            raise ImageTooLarge(params={"limit": MAX_BYTES}) from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise UnsupportedMediaType("unsupported_image") from None


def _convert(image: ImageFile.ImageFile, *, quick: bool) -> ProcessedImage:
    width, height = image.size
    largest = max(SIZES)
    if image.format == "JPEG":
        # Decode at the smallest DCT scale that still covers the largest size kept.
        box = _fit((width, height), largest)
        image.draft(image.mode, box)
    cost = decode_cost(image, (width, height))
    if cost > DECODE_BUDGET:
        raise ImageTooManyPixels(
            params={"pixels": width * height, "cost": cost, "limit": DECODE_BUDGET}
        )
    image.load()
    orientation = image.getexif().get(0x0112)  # after load: a PNG's may follow its pixels
    working: Image.Image = image
    if working.mode not in _RESIZABLE:
        working = working.convert("RGBA" if _has_alpha(working) else "RGB")
        image.close()  # the decoded original goes before anything else is made
    working.thumbnail((largest, largest), Image.Resampling.LANCZOS)  # in place
    mode = "RGBA" if _has_alpha(working) else "RGB"
    clean = working.convert(mode)  # a new image: no EXIF, no GPS, no ICC comments
    clean.info = {}
    if orientation in _UPRIGHT:
        clean = clean.transpose(_UPRIGHT[orientation])  # upright, as the phone showed it
        if orientation >= 5:
            width, height = height, width
    variants = {}
    for size in sorted(SIZES, reverse=True):
        if size != largest:
            clean.thumbnail((size, size), Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        clean.save(buffer, format="WEBP", quality=80, method=1 if quick else 4)
        variants[size] = buffer.getvalue()
    return ProcessedImage(width=width, height=height, variants=dict(sorted(variants.items())))


def decode_cost(image: Image.Image, original: tuple[int, int]) -> int:
    """Bytes processing ``image`` holds at its peak (``image.size`` is the size it decodes at,
    ``original`` the size in its header): a model fitted, slightly above, to what Pillow 12
    was measured to use (README, Security)."""
    pixels = image.width * image.height
    if image.format == "WEBP":
        # Pillow decodes WebP through libwebp's animation decoder: its canvases, the frame it
        # returns and the image it is copied into.
        per_pixel = 15
    else:
        per_pixel = 1 if image.mode in ("1", "L", "P") else 4  # Pillow's storage per pixel
        per_pixel += 1  # the decoder's buffers
        if image.format == "JPEG":
            per_pixel += 1
        if image.mode not in _RESIZABLE:
            per_pixel += 4  # converted at full size before it can be resized
        if image.mode in ("RGBA", "LA"):
            per_pixel += 4  # resized with premultiplied alpha: a full-size copy
    cost = pixels * per_pixel + FIXED_BYTES
    if image.format == "JPEG" and image.info.get("progressive"):
        # libjpeg keeps every coefficient of a progressive JPEG (2 bytes per component per
        # pixel of the original; chroma subsampled 4:2:0 has half a pixel's worth of both).
        components = {0: 3.0, 1: 2.0, 2: 1.5}.get(get_sampling(image), len(image.getbands()))
        cost += int(original[0] * original[1] * 2 * components)
    return cost


def _fit(size: tuple[int, int], box: int) -> tuple[int, int]:
    width, height = size
    scale = min(1.0, box / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )


def jpeg(webp: bytes, quality: int = 85) -> bytes:
    """A JPEG of one of our own WebP renditions, for readers that do not take WebP (link-preview
    scrapers): transparency is laid on white, and nothing but the pixels is kept."""
    with Image.open(io.BytesIO(webp)) as opened:
        opened.load()
        image = opened.convert("RGBA")
    flat = Image.new("RGB", image.size, (255, 255, 255))
    flat.paste(image, mask=image.getchannel("A"))
    buffer = io.BytesIO()
    flat.save(buffer, format="JPEG", quality=quality, optimize=True, progressive=True)
    return buffer.getvalue()
