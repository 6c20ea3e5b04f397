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
