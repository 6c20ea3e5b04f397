"""Chip portraits as a browser can show them. Many chips store the DG2 face as JPEG 2000, which
browsers do not display: the proctor's copy is re-encoded as JPEG. The chip's own bytes were
verified (passive authentication hashes DG2) before this copy is made, and are not stored."""
from __future__ import annotations

import io
import logging

log = logging.getLogger(__name__)
JPEG2000_MIME = ("image/jp2", "image/jpx", "image/j2k")
_JP2_BOX = b"\x00\x00\x00\x0cjP  \r\n\x87\n"
_J2K_CODESTREAM = b"\xff\x4f\xff\x51"


def is_jpeg2000(data: bytes, mime: str) -> bool:
    return mime in JPEG2000_MIME or data.startswith((_JP2_BOX, _J2K_CODESTREAM))


def for_display(data: bytes, mime: str) -> tuple[bytes, str]:
    """(bytes, mime type) to store for the proctor page; a portrait that cannot be converted is
    kept as it came (the page then says it cannot show it)."""
    if not is_jpeg2000(data, mime):
        return data, mime
    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as image:
            out = io.BytesIO()
            image.convert("RGB").save(out, "JPEG", quality=90)
        return out.getvalue(), "image/jpeg"
    except Exception:  # a display copy: the check-in itself does not depend on it
        log.warning("could not convert a JPEG 2000 chip portrait for display", exc_info=True)
        return data, mime
