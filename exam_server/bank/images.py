"""Images that teachers upload into items: decoded in full (a file that only starts like an image
is refused), turned upright, stripped of metadata (phone photos carry GPS positions and camera
serial numbers in EXIF/XMP) and scaled down to what an exam screen shows.

An image that is already clean and small enough is kept byte for byte, so cleaning is idempotent:
a stored image uploaded again, or exported and imported, keeps its content hash.
"""
from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from exam_server.core.errors import ApiError

MAX_SIDE_PX = 1600            # the longest side shown on a 1080p kiosk screen, with room for zoom
MAX_PIXELS = 40_000_000       # refuse decompression bombs before decoding
JPEG_QUALITY = 88
_FORMATS = {"PNG": ("png", "image/png"), "JPEG": ("jpg", "image/jpeg"), "GIF": ("gif", "image/gif"),
            "WEBP": ("webp", "image/webp")}
# Ancillary data an image may keep: how to show it, not who took it where.
_HARMLESS_INFO = {"dpi", "gamma", "transparency", "srgb", "icc_profile", "aspect", "jfif", "jfif_version",
                  "jfif_unit", "jfif_density", "progressive", "progression", "adobe", "adobe_transform",
                  "duration", "loop", "background", "version", "extension", "interlace", "lossless",
                  "chromaticity", "dpc", "optimize"}


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    extension: str
    content_type: str
    width: int
    height: int
    changed: bool


def _refuse(message: str) -> ApiError:
    return ApiError("unreadable_image", message, 422, "file")


def clean_image(data: bytes, max_side_px: int = MAX_SIDE_PX) -> CleanImage:
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                kind = probe.format
                width, height = probe.size
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise ApiError("image_too_large", "The image has too many pixels.", 413, "file") from None
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise _refuse(f"The file is not a readable image ({exc}).") from None
    if kind not in _FORMATS:
        raise ApiError("unsupported_image", "Images must be PNG, JPEG, GIF or WebP.", 415, "file")
    if width * height > MAX_PIXELS:
        raise ApiError("image_too_large", f"The image is {width}x{height} pixels; at most "
                                          f"{MAX_PIXELS // 1_000_000} megapixels are accepted.", 413, "file")
    extension, content_type = _FORMATS[kind]
    try:
        # verify() walks every chunk to the end (CRCs, IEND): a PNG cut after its pixel data
        # decodes fine but is not a whole file. load() then decodes it all (truncated data fails).
        with Image.open(io.BytesIO(data)) as whole:
            whole.verify()
        image = Image.open(io.BytesIO(data))
        image.load()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise _refuse(f"The image is damaged or truncated ({exc}).") from None
    animated = getattr(image, "n_frames", 1) > 1
    rotated = image.getexif().get(0x0112, 1) not in (0, 1)   # EXIF Orientation
    private = bool(set(image.info) - _HARMLESS_INFO) or len(image.getexif()) > 0
    too_big = max(width, height) > max_side_px
    if not (rotated or private or too_big):
        return CleanImage(data, extension, content_type, width, height, changed=False)
    if animated:
        if too_big:
            raise ApiError("image_too_large", f"An animated image may be at most {max_side_px} pixels "
                                              f"wide and high; this one is {width}x{height}.", 413, "file")
        # Animated GIFs carry no camera metadata worth a lossy re-encode of every frame.
        return CleanImage(data, extension, content_type, width, height, changed=False)
    image = ImageOps.exif_transpose(image)
    if max(image.size) > max_side_px:
        image.thumbnail((max_side_px, max_side_px), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    if kind == "JPEG":
        image.convert("RGB").save(out, "JPEG", quality=JPEG_QUALITY, optimize=True,
                                  icc_profile=image.info.get("icc_profile"))
    elif kind == "WEBP":
        image.save(out, "WEBP", quality=JPEG_QUALITY, icc_profile=image.info.get("icc_profile"))
    elif kind == "GIF":
        image.save(out, "GIF", optimize=True)
    else:
        image.save(out, "PNG", optimize=True, icc_profile=image.info.get("icc_profile"))
    return CleanImage(out.getvalue(), extension, content_type, image.size[0], image.size[1], changed=True)
