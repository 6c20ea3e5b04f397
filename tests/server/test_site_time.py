"""Times are shown in the site's time zone (EXAM_TIME_ZONE, default Asia/Ho_Chi_Minh), 24-hour,
dd/mm/yyyy; the database keeps UTC (issue 10)."""
from __future__ import annotations

import pytest

from tests.server.test_exams import make_exam        # opens 2096-06-11 07:30 +07:00 = 00:30 UTC


def test_the_default_zone_is_vietnam(login, client, token_for):
    exam = make_exam(client, token_for("admin"))
    page = login("admin").get(f"/admin/exams/{exam['id']}").get_data(as_text=True)
    assert '<time datetime="2096-06-11T00:30:00Z" title="giờ Việt Nam">11/06/2096 07:30</time>' in page
    assert "11/06/2096 11:30" in page                     # closes 11:30 +07:00
    assert ">UTC<" not in page


class TestAnotherZone:
    @pytest.fixture
    def test_config(self, test_config):
        return {**test_config, "TIME_ZONE": "Asia/Tokyo"}

    def test_another_zone_is_a_setting(self, login, client, token_for):
        exam = make_exam(client, token_for("admin"))
        page = login("admin").get(f"/admin/exams/{exam['id']}").get_data(as_text=True)
        assert '<time datetime="2096-06-11T00:30:00Z" title="Asia/Tokyo">11/06/2096 09:30</time>' in page


def test_an_unknown_zone_stops_the_server(monkeypatch):
    from exam_server.core.config import ConfigError, load_config

    monkeypatch.setenv("EXAM_TIME_ZONE", "Mars/Olympus")
    with pytest.raises(ConfigError, match="EXAM_TIME_ZONE"):
        load_config({"SECRET_KEY": "x"})
    monkeypatch.setenv("EXAM_TIME_ZONE", "Asia/Bangkok")
    assert load_config({"SECRET_KEY": "x"})["TIME_ZONE"] == "Asia/Bangkok"


def test_no_page_shows_utc_the_proctor_list_and_the_bank_in_the_site_zone(app, login, client, token_for, users):
    """The proctor's list of exams (it said "UTC") and the bank's dates (they were UTC without
    saying so): an item saved at 20:15 UTC on 31/12 was saved on 01/01 at 03:15 in Vietnam."""
    from datetime import UTC, datetime

    from sqlalchemy import update

    from exam_server.bank.models import ItemVersion
    from exam_server.core.db import session
    from tests.server.test_exams import add_room
    from tests.server.test_pages import item_json

    exam = make_exam(client, token_for("admin"))
    add_room(client, token_for("admin"), exam["id"], name="P01", proctor_ids=[users["proctor1"]])
    proctors = login("proctor1").get("/proctor").get_data(as_text=True)
    assert '<time datetime="2096-06-11T00:30:00Z" title="giờ Việt Nam">11/06/2096 07:30</time>' in proctors
    assert "UTC" not in proctors

    created = client.post("/api/v1/items", json=item_json("single_choice", "Giờ lưu"), headers=token_for("teacher1"))
    identifier = created.get_json()["identifier"]
    with app.app_context():
        session.execute(update(ItemVersion).values(created_at=datetime(2026, 12, 31, 20, 15, tzinfo=UTC)))
        session.commit()
    teacher = login("teacher1")
    view = teacher.get(f"/bank/items/{identifier}").get_data(as_text=True)
    assert '<time datetime="2026-12-31T20:15:00Z" title="giờ Việt Nam">01/01/2027 03:15</time>' in view
    listing = teacher.get("/bank/items").get_data(as_text=True)
    assert '<time datetime="2026-12-31T20:15:00Z" title="giờ Việt Nam">01/01/2027</time>' in listing
