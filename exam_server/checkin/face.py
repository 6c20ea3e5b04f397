"""Face comparison of the chip portrait and the live photo (optional: needs dlib and
face_recognition_models, the `face` extra). Never raises: the result says what happened.

    compare(chip_jpeg, live_jpeg) -> {"status": "compared" | "no_face_chip" | "no_face_live" |
                                      "no_photo" | "unavailable" | "error",
                                      "distance": float | None, "score": float | None,
                                      "match": bool | None, "threshold": 0.6, "detail": text}

`distance` is the Euclidean distance of dlib's 128-d descriptors (same person usually < 0.6);
`score` = max(0, 1 - distance), for display. A low score is advice for the proctor, never an
automatic refusal.

Images are decoded by OpenCV: JPEG, and JPEG 2000 (a JP2 file or a bare codestream), the two formats
a chip's ISO/IEC 19794-5 record may hold. dlib's HOG detector finds faces down to about 80 px; one
upsampling halves that (a small chip portrait, 240x320 or less, is still found) but costs four
times the work, so an image whose longer side is over UPSAMPLE_MAX_SIDE (a 1080p camera frame) is
first searched without it and upsampled only when nothing was found. Validated on real photographs
in tests/server/test_face_real.py (tests/fixtures/faces/); bench/bench_face.py times it.
"""
from __future__ import annotations

import importlib.util
import logging
import threading
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
THRESHOLD = 0.6
UPSAMPLE_MAX_SIDE = 1000  # longer side (px) up to which the detector always upsamples once
_lock = threading.Lock()
_models: dict[str, Any] = {}


def _models_dir() -> Path | None:
    # Located without importing face_recognition_models: its __init__ imports pkg_resources
    # (deprecated; a warning at import).
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "models"


def load_models() -> dict[str, Any] | None:
    """The detector, 5-point shape predictor and recognition network, loaded once; None if missing."""
    with _lock:
        if "detector" in _models:
            return _models
        if _models.get("missing"):
            return None
        try:
            import dlib
        except ImportError:
            _models["missing"] = "dlib is not installed"
            return None
        folder = _models_dir()
        predictor = folder / "shape_predictor_5_face_landmarks.dat" if folder else None
        network = folder / "dlib_face_recognition_resnet_model_v1.dat" if folder else None
        if predictor is None or not predictor.exists() or not network.exists():
            _models["missing"] = "face_recognition_models is not installed"
            return None
        _models.update(detector=dlib.get_frontal_face_detector(),
                       predictor=dlib.shape_predictor(str(predictor)),
                       network=dlib.face_recognition_model_v1(str(network)))
        return _models


def unavailable_reason() -> str | None:
    return None if load_models() is not None else _models.get("missing", "unavailable")


def _rgb(image_bytes: bytes):
    import cv2
    import numpy as np

    frame = cv2.imdecode(np.frombuffer(image_bytes, np.uint8), cv2.IMREAD_COLOR)
    if frame is None:
        return None
    return np.ascontiguousarray(frame[:, :, ::-1])


def detect(models: dict[str, Any], rgb) -> list:
    """Face rectangles in an RGB array: with one upsampling, except that a large image is searched
    at its own size first (a face in a 1080p frame is big enough; 4x faster)."""
    tries = (1,) if max(rgb.shape[:2]) <= UPSAMPLE_MAX_SIDE else (0, 1)
    for upsample in tries:
        faces = list(models["detector"](rgb, upsample))
        if faces:
            return faces
    return []


def descriptor(models: dict[str, Any], image_bytes: bytes):
    """The 128-d descriptor of the largest face in the image, or None when no face is found."""
    import numpy as np

    rgb = _rgb(image_bytes)
    if rgb is None:
        return None
    faces = detect(models, rgb)
    if not faces:
        return None
    face = max(faces, key=lambda r: r.width() * r.height())
    shape = models["predictor"](rgb, face)
    return np.array(models["network"].compute_face_descriptor(rgb, shape))


def compare(chip_photo: bytes | None, live_photo: bytes | None) -> dict[str, Any]:
    result: dict[str, Any] = {"status": "no_photo", "distance": None, "score": None, "match": None,
                              "threshold": THRESHOLD, "detail": ""}
    if not chip_photo or not live_photo:
        result["detail"] = "no chip portrait" if not chip_photo else "no live photo"
        return result
    try:
        models = load_models()
        if models is None:
            result.update(status="unavailable", detail=unavailable_reason())
            return result
        import numpy as np

        chip = descriptor(models, chip_photo)
        if chip is None:
            result.update(status="no_face_chip", detail="no face found in the chip portrait")
            return result
        live = descriptor(models, live_photo)
        if live is None:
            result.update(status="no_face_live", detail="no face found in the live photo")
            return result
        distance = float(np.linalg.norm(chip - live))
    except Exception as exc:
        log.exception("face comparison failed")
        result.update(status="error", detail=f"{type(exc).__name__}: {exc}")
        return result
    result.update(status="compared", distance=round(distance, 4), score=round(max(0.0, 1.0 - distance), 4),
                  match=distance < THRESHOLD, detail="")
    return result
