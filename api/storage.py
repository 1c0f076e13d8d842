"""Where photo files live: one interface, local disk by default.

App servers stay stateless when the storage is shared (object storage); the embedded
default keeps files under ``MEDIA_ROOT`` and the app serves them at ``/media/``.

Every storage has a ``private`` side for files only the API may hand out (disbursement
evidence): a directory outside the media root, or a bucket of its own on S3. Nothing serves
it to the public; private files have no URL and are read back through an authorised endpoint.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from api.config import Settings

IMMUTABLE = "public, max-age=31536000, immutable"
# Keys of private files, which the media path refuses even if an old one is still under the
# media root (before issue 20, evidence was stored there).
PRIVATE_PREFIXES = ("evidence/",)
PRIVATE = "private, no-store"


class NoPublicUrl(RuntimeError):
    """A private file was asked for its public address: it has none."""


class FileMissing(LookupError):
    """No file at this key."""


class Storage(Protocol):
    """Put, read and delete immutable files by key; say where clients fetch them."""

    @property
    def private(self) -> Storage:
        """Where files go that only the API serves, to callers it has authorised."""
        ...

    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def get(self, key: str) -> bytes:
        """The file at ``key``; ``FileMissing`` if there is none."""
        ...

    def delete(self, key: str) -> None: ...

    def url(self, key: str) -> str: ...


class LocalStorage:
    """Files under a directory, served by the app at ``base_url``; private ones under another
    directory (by default ``<root>-private``, beside the media root, never inside it)."""

    def __init__(
        self, root: Path, base_url: str | None = "/media/", private_root: Path | None = None
    ) -> None:
        self.root = root
        self.base_url = None if base_url is None else base_url.rstrip("/") + "/"
        self._private = (
            self
            if base_url is None
            else LocalStorage(private_root or root.with_name(root.name + "-private"), None)
        )

    @property
    def private(self) -> LocalStorage:
        return self._private

    def path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError(f"key escapes the media root: {key!r}")
        return path

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(path.suffix + ".tmp")
        temporary.write_bytes(data)
        temporary.replace(path)  # readers never see half a file

    def get(self, key: str) -> bytes:
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError:
            raise FileMissing(key) from None

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def url(self, key: str) -> str:
        if self.base_url is None:
            raise NoPublicUrl(key)
        return self.base_url + key


class S3Storage:
    """Objects in an S3-compatible bucket (AWS S3, MinIO, Cloudflare R2, Ceph RGW...).

    Credentials come the usual boto3 way (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, a
    profile or an instance role). Clients fetch the files straight from ``public_url`` (the
    bucket's public address or a CDN in front of it), so no app server holds or serves them.
    Private files go to ``private_bucket``, which must not be readable by the public; they
    have no URL.
    """

    def __init__(
        self,
        bucket: str,
        public_url: str | None,
        endpoint_url: str | None = None,
        region: str | None = None,
        client: Any = None,
        private_bucket: str | None = None,
    ) -> None:
        if client is None:
            import boto3  # optional dependency: pip install 'berdaya[s3]'
            from botocore.config import Config

            client = boto3.client(
                "s3",
                endpoint_url=endpoint_url or None,
                region_name=region or None,
                config=Config(
                    retries={"max_attempts": 3, "mode": "standard"},
                    connect_timeout=5,
                    read_timeout=30,
                ),
            )
        self.client = client
        self.bucket = bucket
        self.public_url = None if public_url is None else public_url.rstrip("/") + "/"
        self._private = (
            self if public_url is None else S3Storage(private_bucket or bucket, None, client=client)
        )
        if self._private is not self and self._private.bucket == bucket:
            raise ValueError("private files need a bucket of their own")

    @property
    def private(self) -> S3Storage:
        return self._private

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.client.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=data,
            ContentType=content_type,
            CacheControl=PRIVATE if self.public_url is None else IMMUTABLE,
        )

    def get(self, key: str) -> bytes:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key)
        except Exception as error:  # botocore's ClientError: its code says which
            code = getattr(error, "response", {}).get("Error", {}).get("Code")
            if code in ("NoSuchKey", "404"):
                raise FileMissing(key) from error
            raise
        body: bytes = response["Body"].read()
        return body

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=key)

    def url(self, key: str) -> str:
        if self.public_url is None:
            raise NoPublicUrl(key)
        return self.public_url + key


def make_storage(settings: Settings) -> Storage:
    """The storage the settings ask for (validated in ``api.config``)."""
    if settings.storage_backend == "s3":
        return S3Storage(
            bucket=settings.s3_bucket,
            public_url=settings.s3_public_url,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            private_bucket=settings.s3_private_bucket,
        )
    return LocalStorage(
        Path(settings.media_root).resolve(),
        settings.media_url,
        private_root=private_root(settings),
    )


def private_root(settings: Settings) -> Path:
    """``PRIVATE_ROOT``, or ``<MEDIA_ROOT>-private`` beside the media root."""
    if settings.private_root:
        return Path(settings.private_root).resolve()
    media = Path(settings.media_root).resolve()
    return media.with_name(media.name + "-private")
