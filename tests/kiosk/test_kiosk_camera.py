"""Camera backends and QR decoding of frames (pyzbar)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from kiosk_client.camera import Camera, CameraError, OpenCvCamera, SimulatedCamera, decode_qr, make_qr_image

TEXT = ("001096012345|012345678|Nguyễn Văn An|15031996|Nam|"
        "Số 12 Ngõ 34 Phố Hàng Bài, Phường Hàng Bài, Hoàn Kiếm, Hà Nội|10062021")


def test_vietnamese_qr_round_trip():
    frame = SimulatedCamera(make_qr_image(TEXT)).read()
    assert decode_qr(frame) == TEXT


def test_colour_frame_on_a_background():
    qr = make_qr_image(TEXT, scale=4)
    frame = np.full((900, 1200, 3), (40, 120, 200), np.uint8)  # BGR "desk"
    y, x = 150, 300
    frame[y:y + qr.shape[0], x:x + qr.shape[1]] = qr[:, :, None]
    assert decode_qr(frame) == TEXT


def test_blurred_low_contrast_frame():
    qr = make_qr_image(TEXT, scale=4)
    blurred = cv2.GaussianBlur(qr, (0, 0), 1.6)
    low = (blurred.astype(np.float32) * 0.22 + 95).astype(np.uint8)  # dark grey on light grey
    noise = np.random.default_rng(7).normal(0, 4, low.shape)
    frame = np.clip(low + noise, 0, 255).astype(np.uint8)
    assert frame.max() - frame.min() < 90
    assert decode_qr(frame) == TEXT


def test_small_qr_needs_upscaling():
    qr = make_qr_image(TEXT, scale=4)
    small = cv2.resize(qr, None, fx=0.55, fy=0.55, interpolation=cv2.INTER_AREA)
    assert decode_qr(small) == TEXT


def test_frame_without_qr_returns_none():
    rng = np.random.default_rng(1)
    assert decode_qr(np.full((480, 640, 3), 255, np.uint8)) is None
    assert decode_qr(rng.integers(0, 255, (480, 640), dtype=np.uint8)) is None
    assert decode_qr(np.zeros((0, 0), np.uint8)) is None


def test_simulated_camera_from_file(tmp_path):
    path = tmp_path / "qr.png"
    assert cv2.imwrite(str(path), make_qr_image(TEXT))
    with SimulatedCamera(path) as cam:
        assert isinstance(cam, Camera)
        frame = cam.read()
        assert frame.ndim == 3 and decode_qr(frame) == TEXT
    with pytest.raises(CameraError):
        cam.read()
    with pytest.raises(CameraError, match="cannot read"):
        SimulatedCamera(tmp_path / "missing.png")


def test_simulated_camera_cycles_frames():
    a, b = np.zeros((2, 2), np.uint8), np.ones((2, 2), np.uint8)
    cam = SimulatedCamera([a, b])
    assert [int(cam.read()[0, 0]) for _ in range(3)] == [0, 1, 0]


def test_opencv_camera_missing_device_is_a_clear_error():
    with pytest.raises(CameraError, match="no camera at index 97"):
        OpenCvCamera(97)


def test_byte_fallbacks():
    from kiosk_client.camera.qr_decode import _text

    assert _text("Hà Nội".encode()) == "Hà Nội"
    assert _text("Hà Nam".encode("cp1258")) == "Hà Nam"
    # zbar's Shift-JIS/Latin-1 guess re-encoded to UTF-8 is undone
    mangled = "Hà Nội".encode().decode("latin-1").encode("utf-8")
    assert _text(mangled) == "Hà Nội"
