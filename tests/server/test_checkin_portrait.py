"""JPEG 2000 chip portraits are stored for the proctor as JPEG (browsers do not show JPEG 2000)."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from exam_server.checkin.portrait import for_display

FACE = Path(__file__).resolve().parents[1] / "fixtures" / "faces" / "obama_2012.jpg"


def face() -> Image.Image:
    with Image.open(FACE) as image:
        image.load()
        return image.copy()


def encoded(kind: str, **options) -> bytes:
    out = io.BytesIO()
    face().save(out, kind, **options)
    return out.getvalue()


@pytest.mark.parametrize("mime", ["image/jp2", "application/octet-stream"])
def test_a_jpeg2000_portrait_becomes_a_jpeg_of_the_same_size(mime):
    jp2 = encoded("JPEG2000", quality_mode="rates", quality_layers=[20])
    data, shown = for_display(jp2, mime)
    assert shown == "image/jpeg" and data.startswith(b"\xff\xd8\xff")
    assert Image.open(io.BytesIO(data)).size == face().size


def test_a_bare_codestream_too_and_jpeg_is_kept():
    assert for_display(encoded("JPEG2000", no_jp2=True), "image/jp2")[1] == "image/jpeg"
    jpeg = FACE.read_bytes()
    assert for_display(jpeg, "image/jpeg") == (jpeg, "image/jpeg")


def test_a_damaged_portrait_is_kept_as_it_came():
    broken = b"\x00\x00\x00\x0cjP  \r\n\x87\n" + b"\x00" * 40
    assert for_display(broken, "image/jp2") == (broken, "image/jp2")
