"""Where photo files live: one interface, local disk by default.

App servers stay stateless when the storage is shared (object storage); the embedded
default keeps files under ``MEDIA_ROOT`` and the app serves them at ``/media/``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol


class Storage(Protocol):
    """Put, read and delete immutable files by key; say where clients fetch them."""

    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def delete(self, key: str) -> None: ...

    def url(self, key: str) -> str: ...


class LocalStorage:
    """Files under a directory, served by the app at ``base_url``."""

    def __init__(self, root: Path, base_url: str = "/media/") -> None:
        self.root = root
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"

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

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def url(self, key: str) -> str:
        return self.base_url + key
