"""Camera interface: ``read()`` returns one frame as a numpy array (BGR or grayscale)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Self

import numpy as np


class CameraError(RuntimeError):
    """No camera, camera busy, or it stopped delivering frames."""


class Camera(ABC):
    @abstractmethod
    def read(self) -> np.ndarray:
        """The next frame (H x W x 3 uint8 BGR, or H x W grayscale). CameraError if none."""

    def close(self) -> None:
        """Release the device (idempotent)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
