"""Frames from an image file or an in-memory image (tests, demos); QR test images via segno."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .base import Camera, CameraError


def make_qr_image(text: str, scale: int = 6, border: int = 4, error: str = "m") -> np.ndarray:
    """A grayscale uint8 image (0 black, 255 white) of ``text`` as a QR code, UTF-8 encoded.

    Uses ``segno`` (pure Python) for the symbol; no PIL needed.
    """
    import segno

    qr = segno.make_qr(text, error=error, encoding="utf-8")
    matrix = np.array([list(row) for row in qr.matrix], dtype=np.uint8)  # 1 = dark module
    img = np.where(matrix == 1, 0, 255).astype(np.uint8)
    img = np.pad(img, border, constant_values=255)
    return np.kron(img, np.ones((scale, scale), dtype=np.uint8)).astype(np.uint8)


class SimulatedCamera(Camera):
    """Returns the same frame (or cycles through frames) on every ``read()``."""

    def __init__(self, source: str | Path | np.ndarray | list[np.ndarray]) -> None:
        if isinstance(source, (str, Path)):
            import cv2

            frame = cv2.imread(str(source), cv2.IMREAD_COLOR)
            if frame is None:
                raise CameraError(f"cannot read image file {source}")
            self._frames = [frame]
        elif isinstance(source, np.ndarray):
            self._frames = [source]
        else:
            self._frames = list(source)
        if not self._frames:
            raise CameraError("no frames")
        self._i = 0
        self._closed = False

    def read(self) -> np.ndarray:
        if self._closed:
            raise CameraError("camera is closed")
        frame = self._frames[self._i % len(self._frames)]
        self._i += 1
        return frame.copy()

    def close(self) -> None:
        self._closed = True
