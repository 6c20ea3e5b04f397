"""Time the check-in face comparison (dlib) and print its distances on real photographs.

    .venv/bin/python bench/bench_face.py [--repeat 7]

Needs the `face` extra (dlib-bin, face-recognition-models). The photographs are the public-domain
fixtures in tests/fixtures/faces/ (README.md there): Barack Obama (3 photos), Joe Biden, Eileen Collins.
The models load once; each timing is the median of --repeat calls of face.compare(chip, live): the chip
portrait at 240x320 (JPEG quality 75 or JPEG 2000 1:20, ~10-20 KB as on a card), the live photo a
camera frame (the person's photo placed off-centre, rotated 8 degrees, noise, JPEG quality 85).
Both images are decoded, searched and described on every call, as at a check-in.
"""
from __future__ import annotations

import argparse
import itertools
import statistics
import time
from pathlib import Path

import cv2
import numpy as np

from exam_server.checkin import face

FACES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "faces"
NAMES = ["obama_2012", "obama_2009", "obama_2010", "biden_2010", "collins"]


def image(name: str) -> np.ndarray:
    return cv2.imread(str(FACES / f"{name}.jpg"), cv2.IMREAD_COLOR)


def person(name: str) -> str:
    return name.split("_")[0]


def chip_portrait(name: str, fmt: str = "jpeg") -> bytes:
    small = cv2.resize(image(name), (240, 320), interpolation=cv2.INTER_AREA)
    params = [cv2.IMWRITE_JPEG2000_COMPRESSION_X1000, 50] if fmt == "jp2" else [cv2.IMWRITE_JPEG_QUALITY, 75]
    return cv2.imencode(".jp2" if fmt == "jp2" else ".jpg", small, params)[1].tobytes()


def camera_frame(name: str, width: int = 640, height: int = 480, head: float = 0.75) -> bytes:
    rng = np.random.default_rng(1)
    frame = np.empty((height, width, 3), np.uint8)
    frame[:] = np.linspace((170, 160, 150), (90, 85, 80), height).astype(np.uint8)[:, None, :]
    img = image(name)
    img = cv2.resize(img, None, fx=head * height / img.shape[0], fy=head * height / img.shape[0],
                     interpolation=cv2.INTER_AREA)
    x = (width - img.shape[1]) // 2 + width // 10
    frame[height - img.shape[0]:, x:x + img.shape[1]] = img
    frame = cv2.warpAffine(frame, cv2.getRotationMatrix2D((width / 2, height / 2), 8, 1.0), (width, height),
                           borderMode=cv2.BORDER_REFLECT)
    frame = np.clip(frame + rng.normal(0, 4, frame.shape), 0, 255).astype(np.uint8)
    return cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 85])[1].tobytes()


def median_seconds(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    start = time.perf_counter()
    models = face.load_models()
    if models is None:
        raise SystemExit(f"face comparison unavailable: {face.unavailable_reason()}")
    print(f"models loaded in {time.perf_counter() - start:.2f} s (dlib, face_recognition_models); "
          f"threshold {face.THRESHOLD}; cv2 {cv2.__version__}")

    print("\ndistances between the fixture photos (as stored, 300x400 or smaller):")
    print(f"{'photo':<12} {'photo':<12} {'pair':<9} {'distance':>8} {'match':>6}")
    for a, b in itertools.combinations(NAMES, 2):
        r = face.compare((FACES / f"{a}.jpg").read_bytes(), (FACES / f"{b}.jpg").read_bytes())
        pair = "same" if person(a) == person(b) else "other"
        print(f"{a:<12} {b:<12} {pair:<9} {r['distance']:>8.3f} {r['match']!s:>6}")

    print(f"\nface.compare(chip portrait 240x320, camera frame), median of {args.repeat}:")
    print(f"{'chip':<16} {'live frame':<22} {'pair':<6} {'distance':>8} {'match':>6} {'ms':>7}")
    cases = [("obama_2012", "jpeg", "obama_2009", 640, 480), ("obama_2012", "jpeg", "biden_2010", 640, 480),
             ("obama_2012", "jp2", "obama_2009", 640, 480), ("biden_2010", "jp2", "collins", 640, 480),
             ("obama_2012", "jpeg", "obama_2009", 1280, 720), ("obama_2012", "jpeg", "obama_2009", 1920, 1080)]
    for chip_name, fmt, live_name, w, h in cases:
        chip, live = chip_portrait(chip_name, fmt), camera_frame(live_name, w, h)
        r = face.compare(chip, live)
        seconds = median_seconds(lambda chip=chip, live=live: face.compare(chip, live), args.repeat)
        pair = "same" if person(chip_name) == person(live_name) else "other"
        print(f"{chip_name + ' ' + fmt:<16} {f'{live_name} {w}x{h}':<22} {pair:<6} {r['distance']:>8.3f} "
              f"{r['match']!s:>6} {seconds * 1000:>7.0f}")

    print(f"\nHOG detector alone (dlib upsample argument), median of {args.repeat}:")
    for w, h in ((240, 320), (640, 480), (1280, 720), (1920, 1080)):
        data = chip_portrait("obama_2012") if (w, h) == (240, 320) else camera_frame("obama_2009", w, h)
        rgb = face._rgb(data)
        row = []
        for up in (0, 1):
            n = len(models["detector"](rgb, up))
            seconds = median_seconds(lambda rgb=rgb, up=up: models["detector"](rgb, up), args.repeat)
            row.append(f"upsample {up}: {seconds * 1000:5.0f} ms ({n} face{'s' if n != 1 else ''})")
        used = "1" if max(w, h) <= face.UPSAMPLE_MAX_SIDE else "0, then 1 if none"
        print(f"{f'{w}x{h}':>10}  " + "   ".join(row) + f"   face.py uses {used}")


if __name__ == "__main__":
    main()
