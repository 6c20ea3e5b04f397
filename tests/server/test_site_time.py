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
