"""A drawn, face-like test portrait (no real person) and JPEG sizing for DG2.

Real CCCD portraits are roughly 15-25 KB; ``jpeg_near_size`` lets tests exercise the long,
many-chunk DG2 read without shipping a big file.
"""

from __future__ import annotations

import cv2
import numpy as np


def draw_face(width: int = 240, height: int = 320, seed: int = 7) -> np.ndarray:
    """A passport-like portrait: light background, head, eyes, brows, nose, mouth, shoulders."""
    rng = np.random.default_rng(seed)
    img = np.full((height, width, 3), (235, 230, 225), np.uint8)
    cx, cy = width // 2, int(height * 0.42)
    fw, fh = int(width * 0.30), int(height * 0.30)
    skin = (150, 185, 225)  # BGR
    cv2.ellipse(img, (cx, height + int(height * 0.05)), (int(width * 0.48), int(height * 0.28)),
                0, 0, 360, (90, 60, 40), -1)  # shoulders / shirt
    cv2.rectangle(img, (cx - fw // 3, cy + fh - 10), (cx + fw // 3, cy + fh + int(height * 0.12)), skin, -1)
    cv2.ellipse(img, (cx, cy), (fw, fh), 0, 0, 360, skin, -1)  # head
    cv2.ellipse(img, (cx, cy - fh // 3), (fw + 4, fh - fh // 4), 0, 180, 360, (30, 30, 35), -1)  # hair
    ex, ey = fw // 2, cy - fh // 10
    for sx in (-1, 1):
        cv2.ellipse(img, (cx + sx * ex, ey), (fw // 5, fh // 10), 0, 0, 360, (250, 250, 250), -1)
        cv2.circle(img, (cx + sx * ex, ey), max(2, fh // 14), (60, 40, 30), -1)
        cv2.line(img, (cx + sx * (ex - fw // 5), ey - fh // 5), (cx + sx * (ex + fw // 5), ey - fh // 4),
                 (40, 40, 45), max(2, height // 100))
    cv2.line(img, (cx, ey + 5), (cx - fw // 10, cy + fh // 3), (120, 150, 190), 2)
    cv2.ellipse(img, (cx, cy + fh // 2), (fw // 3, fh // 10), 0, 0, 180, (90, 90, 170), 3)
    noise = rng.normal(0, 3, img.shape)  # a little sensor noise, as in a photographed portrait
    return np.clip(img.astype(np.float32) + noise, 0, 255).astype(np.uint8)


def encode_jpeg(img: np.ndarray, quality: int = 85) -> bytes:
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return buf.tobytes()


def decode_jpeg(data: bytes) -> np.ndarray:
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if img is None:
        raise ValueError("not a decodable JPEG")
    return img


def jpeg_near_size(source_jpeg: bytes, target_bytes: int) -> bytes:
    """Re-encode a portrait so it is about ``target_bytes`` long (within ~15%).

    Quality alone cannot grow a tiny smooth image enough, so it also upscales and adds
    fine noise (texture costs bytes), then searches the quality for the closest size.
    """
    img = decode_jpeg(source_jpeg)
    h, w = img.shape[:2]
    if w < 400:
        scale = 480 / w
        img = cv2.resize(img, (int(w * scale), int(h * scale)), interpolation=cv2.INTER_CUBIC)
    best = encode_jpeg(img, 50)
    for sigma in (0, 4, 8, 14):
        work = img
        if sigma:
            rng = np.random.default_rng(sigma)
            work = np.clip(img.astype(np.float32) + rng.normal(0, sigma, img.shape), 0, 255).astype(np.uint8)
        lo, hi = 5, 95
        while lo <= hi:
            q = (lo + hi) // 2
            data = encode_jpeg(work, q)
            if abs(len(data) - target_bytes) < abs(len(best) - target_bytes):
                best = data
            if len(data) < target_bytes:
                lo = q + 1
            else:
                hi = q - 1
        if abs(len(best) - target_bytes) <= target_bytes * 0.15:
            return best
    return best


def draw_portrait(width: int = 240, height: int = 320, seed: int = 11) -> np.ndarray:
    """A drawn portrait (no real person) that a face detector takes for a face, unlike ``draw_face``:
    a shaded head (darker towards its edge), eye sockets, irises, brows, a nose with its shadow,
    lips, hair, softened as a lens would. dlib's HOG detector and its descriptor network find it
    (tests/kiosk/test_demo_portrait.py), so the demo's face comparison has a face to compare. Drawn
    at 300x400 (the strokes' sizes are in pixels), then scaled to ``width`` x ``height``."""
    final_size, (width, height) = (width, height), (300, 400)
    img = np.full((height, width, 3), (225, 222, 218), np.float32)
    cx, cy = width // 2, int(height * 0.45)
    fw, fh = int(width * 0.27), int(height * 0.27)
    skin = np.array((140, 170, 205), np.float32)  # BGR
    cv2.ellipse(img, (cx, height + 20), (int(width * 0.5), int(height * 0.25)), 0, 0, 360, (70, 50, 40), -1)
    cv2.rectangle(img, (cx - fw // 3, cy + fh - 20), (cx + fw // 3, cy + fh + 60), skin.tolist(), -1)
    for step in range(20, 0, -1):  # the head, lit from the front: darker towards its outline
        f = step / 20
        cv2.ellipse(img, (cx, cy), (int(fw * f) + 1, int(fh * f) + 1), 0, 0, 360,
                    (skin * (0.75 + 0.25 * (1 - f))).tolist(), -1)
    hair = (25, 25, 30)
    cv2.ellipse(img, (cx, cy - fh // 2), (fw + 6, fh // 2 + 10), 0, 180, 360, hair, -1)
    cv2.rectangle(img, (cx - fw - 6, cy - fh // 2), (cx + fw + 6, cy - fh // 2 + 12), hair, -1)
    ex, ey = int(fw * 0.42), cy - fh // 8
    for sx in (-1, 1):
        x = cx + sx * ex
        cv2.ellipse(img, (x, ey), (int(fw * 0.28), int(fh * 0.13)), 0, 0, 360, (skin * 0.7).tolist(), -1)
        cv2.ellipse(img, (x, ey), (int(fw * 0.2), int(fh * 0.07)), 0, 0, 360, (245, 245, 245), -1)
        cv2.circle(img, (x, ey), int(fh * 0.06), (50, 35, 25), -1)
        cv2.circle(img, (x, ey), int(fh * 0.025), (5, 5, 5), -1)
        cv2.ellipse(img, (x, ey - int(fh * 0.17)), (int(fw * 0.25), int(fh * 0.05)), 0, 190, 350, hair, 5)
    cv2.line(img, (cx - 4, ey + 10), (cx - 10, cy + fh // 4), (skin * 0.7).tolist(), 4)
    cv2.ellipse(img, (cx, cy + fh // 4 + 4), (int(fw * 0.18), int(fh * 0.06)), 0, 0, 180, (skin * 0.6).tolist(), -1)
    mouth_y = cy + int(fh * 0.52)
    cv2.ellipse(img, (cx, mouth_y), (int(fw * 0.32), int(fh * 0.09)), 0, 0, 180, (80, 80, 150), -1)
    cv2.line(img, (cx - int(fw * 0.32), mouth_y), (cx + int(fw * 0.32), mouth_y), (60, 50, 110), 3)
    img = cv2.GaussianBlur(img, (5, 5), 0)
    img += np.random.default_rng(seed).normal(0, 3, img.shape)
    img = np.clip(img, 0, 255).astype(np.uint8)
    return img if final_size == (width, height) else cv2.resize(img, final_size, interpolation=cv2.INTER_AREA)


def camera_frame(portrait: np.ndarray, width: int = 640, height: int = 480, seed: int = 5) -> np.ndarray:
    """The same person as the kiosk's camera sees them a moment later: smaller in a wider frame (a
    wall behind), off-centre, the head tilted a degree, dimmer light, other sensor noise. (A
    tilt of 4 degrees or more already loses the drawn face to dlib's frontal detector.)"""
    rng = np.random.default_rng(seed)
    frame = np.empty((height, width, 3), np.float32)
    frame[:] = np.linspace(150, 110, width, dtype=np.float32)[None, :, None]   # a wall, lit from the left
    ph, pw = portrait.shape[:2]
    tilted = cv2.warpAffine(portrait, cv2.getRotationMatrix2D((pw / 2, ph / 2), 1, 1.0), (pw, ph),
                            borderMode=cv2.BORDER_REPLICATE)
    scale = 0.75 * height / ph
    shown = cv2.resize(tilted, (int(pw * scale), int(ph * scale)), interpolation=cv2.INTER_AREA)
    top, left = (height - shown.shape[0]) // 2 + 20, (width - shown.shape[1]) // 2 + 40
    frame[top:top + shown.shape[0], left:left + shown.shape[1]] = shown
    frame = frame * 0.9 + 12 + rng.normal(0, 4, frame.shape)
    return np.clip(frame, 0, 255).astype(np.uint8)
