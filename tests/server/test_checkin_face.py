"""Face comparison (optional dlib): unavailable, no photo, no face found, the distance maths and the
detector's upsampling rule, with stand-in models; the real models run on the simulator's drawn
portrait, in which dlib's detector finds no face (recorded as no_face_chip). Real photographs:
test_face_real.py. Without dlib the real-model test is skipped, except under CI (CI=true)."""
from __future__ import annotations

import os

import numpy as np
import pytest

from exam_server.checkin import face
from kiosk_client.simulator.profile import PROFILES_DIR

PORTRAIT = (PROFILES_DIR / "face.jpg").read_bytes()
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def test_missing_libraries_are_unavailable_never_a_crash(monkeypatch):
    monkeypatch.setattr(face, "_models", {"missing": "dlib is not installed"})
    result = face.compare(PORTRAIT, PORTRAIT)
    assert result["status"] == "unavailable" and result["score"] is None
    assert result["detail"] == "dlib is not installed"


def test_missing_model_files_are_unavailable(monkeypatch):
    monkeypatch.setattr(face, "_models", {})
    monkeypatch.setattr(face, "_models_dir", lambda: None)
    assert face.compare(PORTRAIT, PORTRAIT)["status"] == "unavailable"


def test_no_photo():
    assert face.compare(None, PORTRAIT)["status"] == "no_photo"
    assert face.compare(PORTRAIT, None)["detail"] == "no live photo"


def test_distance_and_score_from_descriptors(monkeypatch):
    monkeypatch.setattr(face, "load_models", lambda: {"stand-in": True})
    same = {b"chip": np.zeros(128), b"live": np.full(128, 0.02)}          # distance 0.226
    monkeypatch.setattr(face, "descriptor", lambda models, data: same[data])
    result = face.compare(b"chip", b"live")
    assert result["status"] == "compared" and result["match"] is True
    assert result["distance"] == pytest.approx(0.2263, abs=1e-4) and result["score"] == pytest.approx(0.7737, abs=1e-4)
    other = {b"chip": np.zeros(128), b"live": np.full(128, 0.1)}          # distance 1.13
    monkeypatch.setattr(face, "descriptor", lambda models, data: other[data])
    result = face.compare(b"chip", b"live")
    assert result["match"] is False and result["score"] == 0.0
    monkeypatch.setattr(face, "descriptor", lambda models, data: None if data == b"live" else np.zeros(128))
    assert face.compare(b"chip", b"live")["status"] == "no_face_live"


def test_an_exception_is_recorded_not_raised(monkeypatch):
    def boom():
        raise RuntimeError("model file corrupt")

    monkeypatch.setattr(face, "load_models", boom)
    result = face.compare(PORTRAIT, PORTRAIT)
    assert result["status"] == "error" and "model file corrupt" in result["detail"]


@pytest.mark.parametrize(("shape", "found", "expected"), [
    ((320, 240, 3), [], [1]),                       # a chip portrait: one upsampling, nothing else
    ((480, 640, 3), ["face"], [1]),
    ((720, 1280, 3), ["face"], [0]),                # a large frame: its own size is enough...
    ((1080, 1920, 3), [], [0, 1]),                  # ...unless nothing was found there
])
def test_detector_upsamples_small_images_and_large_ones_only_when_needed(shape, found, expected):
    calls = []

    def detector(rgb, upsample):
        calls.append(upsample)
        return found if upsample == expected[-1] else []

    assert face.detect({"detector": detector}, np.zeros(shape, np.uint8)) == found
    assert calls == expected


def test_real_models_on_the_simulator_portrait():
    if face.load_models() is None:
        reason = f"face comparison unavailable: {face.unavailable_reason()}"
        if IN_CI:
            pytest.fail(f"{reason}: CI installs the face extra and must run this test")
        pytest.skip(reason)
    models = face.load_models()
    # The drawn test portrait is not a face to dlib's HOG detector: a detection failure, recorded.
    assert face.descriptor(models, PORTRAIT) is None
    assert face.compare(PORTRAIT, PORTRAIT)["status"] == "no_face_chip"
    assert face.descriptor(models, b"not an image") is None
    blank = np.full((200, 200, 3), 255, np.uint8)
    import cv2

    _ok, buf = cv2.imencode(".jpg", blank)
    assert face.compare(PORTRAIT, buf.tobytes())["status"] == "no_face_chip"
