"""Issue 11: self-approval through a colleague's re-save, the anonymous challenge endpoint, a PNG
cut after its pixel data."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from PIL import Image

from tests.server.factories import item_payload


def test_approval_refused_for_anyone_who_wrote_a_version_since_the_last_approval(client, token_for, users):
    author, colleague = token_for("teacher1"), token_for("teacher2")
    payload = item_payload()
    ident = client.post("/api/v1/items", json=payload, headers=author).get_json()["identifier"]
    assert client.post(f"/api/v1/items/{ident}/submit", headers=author).status_code == 200
    assert client.post(f"/api/v1/items/{ident}/withdraw", headers=author).status_code == 200
    resaved = client.put(f"/api/v1/items/{ident}", json=payload, headers=colleague)   # same content
    assert resaved.status_code == 200, resaved.get_json()
    assert client.post(f"/api/v1/items/{ident}/submit", headers=colleague).status_code == 200
    laundered = client.post(f"/api/v1/items/{ident}/approve", headers=author)
    assert laundered.status_code == 403 and laundered.get_json()["error"] == "own_item"
    # An admin who wrote nothing may approve; after that, the author may review the next version.
    assert client.post(f"/api/v1/items/{ident}/approve", headers=token_for("admin")).status_code == 200
    payload["title"] = payload["title"] + " (2)"
    assert client.put(f"/api/v1/items/{ident}", json=payload, headers=colleague).status_code == 200
    assert client.post(f"/api/v1/items/{ident}/submit", headers=colleague).status_code == 200
    assert client.post(f"/api/v1/items/{ident}/approve", headers=author).status_code == 200


@pytest.fixture
def kiosk(app, client, token_for, users):
    from tests.server.test_checkin import Setup

    return Setup(app, client, token_for, users)


def test_open_challenges_are_capped_per_kiosk_and_expired_ones_purged(app, kiosk):
    from sqlalchemy import func, select, update

    from exam_server.checkin.models import CheckinChallenge
    from exam_server.core.db import session, utcnow

    issued = [kiosk.challenge() for _ in range(12)]
    with app.app_context():
        rows = session.scalars(select(CheckinChallenge.challenge).where(
            CheckinChallenge.kiosk_id == kiosk.kiosk_id)).all()
    assert sorted(rows) == sorted(issued[-5:])              # CHECKIN_OPEN_CHALLENGES_MAX = 5, the newest kept
    second = kiosk.enrol("K02", __import__("cryptography.hazmat.primitives.asymmetric.ed25519", fromlist=["x"])
                         .Ed25519PrivateKey.generate())
    with app.app_context():
        session.execute(update(CheckinChallenge).values(expires_at=utcnow() - timedelta(seconds=1)))
        session.commit()
    kiosk.challenge(second)
    with app.app_context():
        assert session.scalar(select(func.count()).select_from(CheckinChallenge)) == 1


def test_the_challenge_endpoint_is_rate_limited_per_kiosk(app, kiosk):
    app.config["CHECKIN_CHALLENGE_LIMIT"] = "4 per minute"
    for _ in range(4):
        kiosk.challenge()
    limited = kiosk.client.post("/api/v1/checkin/challenge", json={"kiosk": kiosk.kiosk_id})
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    assert limited.get_json()["error"] == "too_many_requests"


def _png_cut_after_its_pixels() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1, 1), (255, 0, 0)).save(out, "PNG")
    whole = out.getvalue()
    return whole[:60]                                      # IEND gone, the IDAT's CRC cut short


def test_a_truncated_png_is_refused_as_media(client, token_for, users):
    from exam_server.bank.images import clean_image
    from exam_server.core.errors import ApiError

    data = _png_cut_after_its_pixels()
    assert len(data) == 60 and Image.open(io.BytesIO(data)).load() is not None   # Pillow alone decodes it
    with pytest.raises(ApiError) as info:
        clean_image(data)
    assert info.value.code == "unreadable_image"
    response = client.post("/api/v1/media", data={"file": (io.BytesIO(data), "cut.png")},
                           headers=token_for("teacher1"), content_type="multipart/form-data")
    assert response.status_code == 422 and response.get_json()["error"] == "unreadable_image"
