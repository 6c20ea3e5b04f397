"""The demo card's portrait and the kiosk camera's frame of it (kiosk_client/simulator/face.py):
the real face models (dlib) find the drawn face in both and call them the same person, so the
demo's check-in shows a face comparison; a real photograph of someone else is not a match. (The
simulator's older drawn face, the tests' default profile, is no face: test_checkin_face.py.) Without
dlib this is skipped, except under CI (CI=true), where the face extra is installed."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from exam_server.checkin import face
from kiosk_client.simulator.face import camera_frame, draw_portrait, encode_jpeg

FACES = Path(__file__).resolve().parents[1] / "fixtures" / "faces"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="module")
def models():
    loaded = face.load_models()
    if loaded is None and not IN_CI:
        pytest.skip("dlib or face_recognition_models is not installed (the face extra)")
    assert loaded is not None
    return loaded


def test_the_demo_portrait_matches_the_camera_frame_of_it(models):
    portrait = draw_portrait()
    assert portrait.shape[:2] == (320, 240)                   # about a CCCD chip portrait
    frame = camera_frame(portrait)
    assert frame.shape[:2] == (480, 640)
    result = face.compare(encode_jpeg(portrait, 90), encode_jpeg(frame, 90))
    assert result["status"] == "compared" and result["match"] is True, result
    assert result["distance"] < 0.3                            # well inside the 0.6 threshold


def test_someone_else_is_not_a_match(models):
    result = face.compare(encode_jpeg(draw_portrait(), 90), (FACES / "obama_2012.jpg").read_bytes())
    assert result["status"] == "compared" and result["match"] is False, result


def test_the_demo_writes_both_images_once(tmp_path):
    from exam_server.demo.checkin import _portraits

    portrait, live = _portraits(tmp_path)
    assert portrait.read_bytes().startswith(b"\xff\xd8\xff") and live.read_bytes().startswith(b"\xff\xd8\xff")
    written = portrait.stat().st_mtime_ns
    assert _portraits(tmp_path) == (portrait, live) and portrait.stat().st_mtime_ns == written
