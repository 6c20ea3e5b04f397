"""Images of imported items: read from the package, stored by content hash.

The bank serves images only as /media/<sha256>.<ext> (see item_bank.richtext.IMAGE_SRC), so an
item's <img src="images/x.png"> is resolved relative to the item file, its bytes are read and
hashed, and the src is rewritten. Images that are not in the package (http:, absolute paths,
paths leaving the package) are refused rather than hot-linked: an exam must not depend on, or
report to, another server.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import posixpath
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from urllib.parse import unquote, urlsplit

from item_bank.qti.safexml import QtiError

ReadFile = Callable[[str], bytes]   # package path -> bytes; KeyError if absent

# Extension -> (media type, magic bytes check). The allowed set is item_bank.richtext's.
_KINDS: dict[str, tuple[str, Callable[[bytes], bool]]] = {
    "png": ("image/png", lambda b: b.startswith(b"\x89PNG\r\n\x1a\n")),
    "jpg": ("image/jpeg", lambda b: b.startswith(b"\xff\xd8\xff")),
    "jpeg": ("image/jpeg", lambda b: b.startswith(b"\xff\xd8\xff")),
    "gif": ("image/gif", lambda b: b[:6] in (b"GIF87a", b"GIF89a")),
    "webp": ("image/webp", lambda b: b[:4] == b"RIFF" and b[8:12] == b"WEBP"),
}
_BY_TYPE = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}
_DATA_URI = re.compile(r"^data:(?P<type>[\w.+-]+/[\w.+-]+)(?:;[^,]*)?;base64,(?P<data>.*)$", re.DOTALL | re.IGNORECASE)


def media_name(data: bytes, ext: str) -> str:
    return f"{hashlib.sha256(data).hexdigest()}.{ext}"


def _check(data: bytes, ext: str, shown: str) -> None:
    if ext not in _KINDS:
        raise QtiError(f"unsupported image type {shown!r} (allowed: png, jpg, jpeg, gif, webp)")
    media_type, looks_right = _KINDS[ext]
    if not looks_right(data):
        raise QtiError(f"image {shown!r} is not a valid {media_type} file")


def _load(src: str, base_dir: str, read_file: ReadFile | None) -> tuple[bytes, str]:
    data_uri = _DATA_URI.match(src.strip())
    if data_uri:
        ext = _BY_TYPE.get(data_uri.group("type").lower())
        if ext is None:
            raise QtiError(f"unsupported embedded image type {data_uri.group('type')!r}")
        try:
            data = base64.b64decode(re.sub(r"\s+", "", data_uri.group("data")), validate=True)
        except (binascii.Error, ValueError):
            raise QtiError("embedded image is not valid base64") from None
        _check(data, ext, "embedded image")
        return data, ext
    try:
        parts = urlsplit(src)
    except ValueError:
        raise QtiError(f"image source {src!r} is not a valid URL") from None
    if parts.scheme or parts.netloc or src.startswith("/"):
        raise QtiError(f"image {src!r} is not inside the package")
    path = posixpath.normpath(posixpath.join(base_dir, unquote(parts.path)))
    if path == ".." or path.startswith(("../", "/")):
        raise QtiError(f"image {src!r} points outside the package")
    if read_file is None:
        raise QtiError(f"image {src!r} cannot be read without its package")
    try:
        data = read_file(path)
    except KeyError:
        raise QtiError(f"image {path!r} is missing from the package") from None
    ext = posixpath.splitext(path)[1].lstrip(".").lower()
    _check(data, ext, path)
    return data, ext


def import_images(root: ET.Element, base_dir: str, read_file: ReadFile | None) -> dict[str, bytes]:
    """Rewrite every image of a normalised item tree to /media/<sha>.<ext>; return name -> bytes."""
    media: dict[str, bytes] = {}
    for element in root.iter():
        if element.tag == "object" and element.get("type", "").startswith("image/"):
            # QTI 2.x tools often embed images as <object data=... type="image/png">.
            alt = "".join(element.itertext()).strip()
            for child in list(element):
                element.remove(child)
            element.attrib = {"src": element.get("data", ""), "alt": alt}
            element.tag, element.text = "img", None
        if element.tag != "img":
            continue
        data, ext = _load(element.get("src", ""), base_dir, read_file)
        name = media_name(data, ext)
        media[name] = data
        element.set("src", f"/media/{name}")
    return media
