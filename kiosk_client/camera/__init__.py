"""Kiosk camera: frames as numpy arrays (OpenCV or simulated) and QR decoding with pyzbar."""

from .base import Camera, CameraError
from .qr_decode import decode_qr

__all__ = ["Camera", "CameraError", "OpenCvCamera", "SimulatedCamera", "decode_qr", "make_qr_image"]


def __getattr__(name: str):
    # Lazy: OpenCV is only imported when a camera backend is used.
    if name == "OpenCvCamera":
        from .opencv import OpenCvCamera

        return OpenCvCamera
    if name in ("SimulatedCamera", "make_qr_image"):
        from . import simulated

        return getattr(simulated, name)
    raise AttributeError(name)
