"""Uploaded files, kept where every app process can read them.

Files live under `UPLOAD_DIR` (a directory all processes share: a local disk for one machine, NFS
or similar for several). A stored file is named by a random key; the database keeps the key, never
a path built from user input, so a crafted file name cannot reach outside the directory.

Features validate content themselves (a sponsor logo is re-encoded as an image, a poster must be a
real PDF); this module only limits size, stores, reads and deletes.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from typing import IO

from flask import current_app, send_file
from werkzeug.exceptions import NotFound

_KEY = re.compile(r"^[a-z0-9_-]+(/[a-z0-9_-]+)*/[A-Za-z0-9_-]{20,}\.[a-z0-9]{1,5}$")


class UploadTooLarge(ValueError):
    """The file is bigger than the feature allows."""

    def __init__(self, limit_bytes: int):
        super().__init__(f"larger than {limit_bytes} bytes")
        self.limit_bytes = limit_bytes


def read_limited(stream: IO[bytes], limit_bytes: int) -> bytes:
    """The stream's bytes, refusing anything over the limit without reading it all."""
    data = stream.read(limit_bytes + 1)
    if len(data) > limit_bytes:
        raise UploadTooLarge(limit_bytes)
    return data


def _root() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


def _path(key: str) -> Path:
    if not _KEY.match(key):
        raise NotFound()
    return _root() / key


def save(folder: str, data: bytes, extension: str) -> str:
    """Store the bytes under a new random key in `folder` ("sponsors/logos") and return the key.

    Written to a temporary name first and renamed, so a reader never sees half a file."""
    key = f"{folder}/{secrets.token_urlsafe(24)}.{extension}"
    path = _path(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    partial.write_bytes(data)
    os.replace(partial, path)
    return key


def read(key: str) -> bytes:
    path = _path(key)
    if not path.is_file():
        raise NotFound()
    return path.read_bytes()


def delete(key: str | None) -> None:
    if key:
        _path(key).unlink(missing_ok=True)


def send(key: str, *, mimetype: str, download_name: str, as_attachment: bool = False):
    """A response with the stored file; 404 if it is gone."""
    path = _path(key)
    if not path.is_file():
        raise NotFound()
    response = send_file(
        path, mimetype=mimetype, download_name=download_name, as_attachment=as_attachment
    )
    # Uploaded content is never rendered as anything but its declared type.
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
