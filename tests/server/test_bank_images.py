"""Author uploads are cleaned: decoded in full, upright, without metadata, at most 1600 px."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from exam_server.bank.images import MAX_SIDE_PX, clean_image
from exam_server.core.errors import ApiError


def encode(image: Image.Image, kind: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, kind, **options)
    return out.getvalue()


def phone_photo(width=3000, height=2000) -> bytes:
    """A JPEG as a phone writes it: sideways pixels, EXIF orientation 6, a GPS position."""
    image = Image.new("RGB", (width, height), (200, 30, 30))
    image.paste((30, 30, 200), (0, 0, width // 2, height))        # left half blue
    exif = Image.Exif()
    exif[0x0112] = 6                                              # rotate 90° clockwise to view
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(0x8825)[2] = (21.0, 1.0, 30.0)                   # GPSLatitude
    return encode(image, "JPEG", exif=exif, quality=90)


def test_a_clean_small_image_is_kept_byte_for_byte():
    png = encode(Image.new("RGB", (40, 30), (0, 128, 0)), "PNG")
    cleaned = clean_image(png)
    assert cleaned.data == png and not cleaned.changed and (cleaned.width, cleaned.height) == (40, 30)


def test_a_phone_photo_is_turned_upright_stripped_and_scaled_down():
    cleaned = clean_image(phone_photo())
    assert cleaned.changed and cleaned.extension == "jpg"
    image = Image.open(io.BytesIO(cleaned.data))
    assert image.size == (1067, 1600) and max(image.size) == MAX_SIDE_PX   # upright: portrait
    assert len(image.getexif()) == 0 and b"PhoneMaker" not in cleaned.data
    top_left = image.getpixel((10, 10))
    assert top_left[2] > 150 and top_left[0] < 100   # the blue half is on top after the turn
    again = clean_image(cleaned.data)
    assert again.data == cleaned.data and not again.changed               # idempotent


def test_png_text_chunks_are_dropped():
    from PIL import PngImagePlugin

    meta = PngImagePlugin.PngInfo()
    meta.add_text("Author", "Nguyễn Văn A, 0912345678")
    cleaned = clean_image(encode(Image.new("RGB", (20, 20)), "PNG", pnginfo=meta))
    assert cleaned.changed and b"0912345678" not in cleaned.data
    assert "Author" not in Image.open(io.BytesIO(cleaned.data)).info


@pytest.mark.parametrize("data, code, status", [
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "unreadable_image", 422),
    (phone_photo(400, 300)[:2000], "unreadable_image", 422),
    (encode(Image.new("1", (10_000, 5_000)), "PNG"), "image_too_large", 413),
])
def test_damaged_or_oversized_images_are_refused(data, code, status):
    with pytest.raises(ApiError) as info:
        clean_image(data)
    assert (info.value.code, info.value.status) == (code, status)


def test_animated_gifs_are_kept_or_refused_by_size():
    colours = ((255, 0, 0), (0, 255, 0), (0, 0, 255))
    frames = [Image.new("RGB", (50, 40), colour) for colour in colours]
    small = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    assert clean_image(small).data == small
    big = [Image.new("RGB", (2000, 100), colour) for colour in colours[:2]]
    with pytest.raises(ApiError) as info:
        clean_image(encode(big[0], "GIF", save_all=True, append_images=big[1:], duration=100))
    assert info.value.code == "image_too_large"


def test_the_upload_route_stores_the_cleaned_image(client, token_for, users):
    teacher = token_for("teacher1")
    response = client.post("/api/v1/media", data={"file": (io.BytesIO(phone_photo()), "IMG_0001.jpg")},
                           headers=teacher, content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    stored = client.get(response.get_json()["url"], headers=teacher).data
    assert Image.open(io.BytesIO(stored)).size == (1067, 1600) and b"PhoneMaker" not in stored
    broken = client.post("/api/v1/media", data={"file": (io.BytesIO(b"\xff\xd8\xff" + b"\x00" * 99), "x.jpg")},
                         headers=teacher, content_type="multipart/form-data")
    assert broken.status_code == 422 and broken.get_json()["error"] == "unreadable_image"
