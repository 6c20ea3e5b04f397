"""QR decoding of camera frames with pyzbar (zbar), with a few preprocessing fallbacks."""

from __future__ import annotations

import numpy as np

_ENCODINGS = ("utf-8", "cp1258", "shift_jis", "latin-1")  # latin-1 never fails: last resort


def _text(data: bytes) -> str:
    """zbar hands back bytes; CCCD QRs are UTF-8. When zbar guessed another encoding (Latin-1,
    Shift-JIS) it re-encodes to UTF-8, which gives mojibake: undo that first (it only
    succeeds when the result is valid multi-byte UTF-8), then try the likely encodings."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None:
        for guessed in ("latin-1", "shift_jis"):
            try:
                undone = text.encode(guessed).decode("utf-8")
            except (UnicodeDecodeError, UnicodeEncodeError):
                continue
            if undone != text:
                return undone
        return text
    for enc in _ENCODINGS[1:]:
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")  # pragma: no cover - latin-1 decodes everything


def _gray(frame: np.ndarray) -> np.ndarray:
    import cv2

    if frame.ndim == 3:
        code = cv2.COLOR_BGRA2GRAY if frame.shape[2] == 4 else cv2.COLOR_BGR2GRAY
        frame = cv2.cvtColor(frame, code)
    if frame.dtype != np.uint8:
        frame = cv2.normalize(frame, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    return frame


def _variants(gray: np.ndarray):
    import cv2

    yield gray
    yield cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[1]
    stretched = cv2.normalize(gray, None, 0, 255, cv2.NORM_MINMAX)
    yield cv2.threshold(cv2.GaussianBlur(stretched, (3, 3), 0), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[1]
    if max(gray.shape) < 1600:
        big = cv2.resize(gray, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
        yield big
        yield cv2.threshold(big, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[1]
    yield cv2.adaptiveThreshold(stretched, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, 31, 5)


def decode_qr(frame: np.ndarray) -> str | None:
    """Text of the first QR code found in ``frame``, or None."""
    from pyzbar import pyzbar

    if frame is None or not isinstance(frame, np.ndarray) or frame.size == 0:
        return None
    for img in _variants(_gray(frame)):
        found = pyzbar.decode(np.ascontiguousarray(img), symbols=[pyzbar.ZBarSymbol.QRCODE])
        if found:
            return _text(found[0].data)
    return None
