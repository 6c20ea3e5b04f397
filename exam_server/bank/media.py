"""Images in items, stored in the database by content hash (so a write is part of the same
transaction as the item that uses it, and identical files are stored once)."""
from __future__ import annotations

import hashlib

from exam_server.bank.models import MediaFile
from exam_server.core.db import session
from exam_server.core.errors import ApiError

# Magic numbers decide the type, never the file name or the browser's claim. No SVG: it can
# carry scripts.
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "png", "image/png"),
    (b"\xff\xd8\xff", "jpg", "image/jpeg"),
    (b"GIF87a", "gif", "image/gif"),
    (b"GIF89a", "gif", "image/gif"),
)


def sniff_image(data: bytes) -> tuple[str, str]:
    for magic, extension, content_type in _SIGNATURES:
        if data.startswith(magic):
            return extension, content_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp", "image/webp"
    raise ApiError("unsupported_image", "Images must be PNG, JPEG, GIF or WebP.", 415, "file")


def store_media(data: bytes, max_bytes: int, clean: bool = False) -> MediaFile:
    """Store an image once by its content hash. ``clean``: an upload from an author, decoded in
    full, stripped of metadata and scaled down (bank.images); an import keeps its bytes, because
    its items already name the image by the hash of those bytes."""
    if not data:
        raise ApiError("empty_file", "The file is empty.", 422, "file")
    if len(data) > max_bytes:
        raise ApiError("image_too_large", f"An image may be at most {max_bytes // 1024} KB.", 413, "file")
    extension, content_type = sniff_image(data)
    if clean:
        from exam_server.bank.images import clean_image

        cleaned = clean_image(data)
        data, extension, content_type = cleaned.data, cleaned.extension, cleaned.content_type
    sha = hashlib.sha256(data).hexdigest()
    existing = session.get(MediaFile, sha)
    if existing is not None:
        return existing
    media = MediaFile(sha256=sha, extension=extension, content_type=content_type, size_bytes=len(data),
                      data=data)
    session.add(media)
    session.flush()
    return media


def media_url(media: MediaFile) -> str:
    return f"/media/{media.sha256}.{media.extension}"


def load_media(name: str) -> MediaFile | None:
    sha = name.split(".", 1)[0]
    if len(sha) != 64:
        return None
    return session.get(MediaFile, sha)
