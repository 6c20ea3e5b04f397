"""A real camera through OpenCV's VideoCapture."""

from __future__ import annotations

import numpy as np

from .base import Camera, CameraError


class OpenCvCamera(Camera):
    def __init__(self, index: int = 0, width: int | None = None, height: int | None = None) -> None:
        import cv2

        self.index = index
        self._cap = cv2.VideoCapture(index)
        if not self._cap.isOpened():
            self._cap.release()
            self._cap = None
            raise CameraError(f"no camera at index {index} (is one connected, and not used by another program?)")
        if width:
            self._cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        if height:
            self._cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)

    def read(self) -> np.ndarray:
        if self._cap is None:
            raise CameraError("camera is closed")
        ok, frame = self._cap.read()
        if not ok or frame is None:
            raise CameraError(f"camera {self.index} delivered no frame")
        return frame

    def close(self) -> None:
        cap, self._cap = self._cap, None
        if cap is not None:
            cap.release()
