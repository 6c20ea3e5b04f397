"""Differential item functioning on the server (analysis/dif.py) and the item-analysis page's DIF
and score-distribution sections: the roster's gender column, the minimum group size, the page and
its exports."""
from __future__ import annotations

import csv
import io
from html import unescape

import numpy as np
import openpyxl
import pytest

from tests.server.test_analysis_pages import analysed  # noqa: F401  (fixture)
from tests.server.test_results import exam  # noqa: F401  (fixtures)


def simulated(n_per_group=300, n_items=10, shift=1.0, seed=11):
    """2PL responses of two groups of equal ability; item 0 is `shift` logits harder for the focal
    group (uniform DIF): MH D-DIF about -2.35 x shift on the delta scale, ETS class C for 1 logit."""
    rng = np.random.default_rng(seed)
    n = 2 * n_per_group
    theta = rng.normal(size=n)
    b = np.linspace(-1.5, 1.5, n_items)
    focal = np.arange(n) >= n_per_group
    shifted = np.where(focal[:, None] & (np.arange(n_items) == 0)[None, :], shift, 0.0)
    p = 1 / (1 + np.exp(-(theta[:, None] - b[None, :] - shifted)))
    right = (rng.random((n, n_items)) < p).astype(float)
    ids = list(range(1, n + 1))
    groups = {"gender": {c: ("female" if f else "male") for c, f in zip(ids, focal)},
              "school_group": {c: ("urban" if i % 10 else "remote") for i, c in enumerate(ids)}}
    return ids, right, groups


def test_mantel_haenszel_finds_the_shifted_item_and_skips_small_groups():
    from exam_server.analysis.dif import exam_dif

    ids, right, groups = simulated()
    versions = list(range(100, 110))
    found = {d["key"]: d for d in exam_dif(ids, versions, right, right, ["101"] * len(ids), groups, 100)}
    gender = found["gender"]
    assert not gender["skipped"] and (gender["n_reference"], gender["n_focal"]) == (300, 300)
    first = gender["items"][100]
    assert first["category"] == "C" and first["statistic"] < -1.5 and first["favours"] == "reference"
    assert all(gender["items"][v]["category"] == "A" for v in versions[1:])
    # 540 urban, 60 remote: under the minimum of 100 -> skipped with both counts; no suburban at all
    remote = found["urban_remote"]
    assert remote["skipped"] and (remote["n_reference"], remote["n_focal"]) == (540, 60) and not remote["items"]
    assert found["urban_suburban"]["skipped"] and found["urban_suburban"]["n_focal"] == 0
    # with a smaller minimum the remote comparison is computed
    lower = {d["key"]: d for d in exam_dif(ids, versions, right, right, ["101"] * len(ids), groups, 50)}
    assert not lower["urban_remote"]["skipped"] and len(lower["urban_remote"]["items"]) == 10


@pytest.mark.parametrize(("written", "stored"), [("Nam", "male"), ("Nữ", "female"), ("nữ", "female"),
                                                   ("", None)])
def test_roster_gender_column(written, stored):
    from exam_server.exams.roster import parse_roster

    text = ("Số báo danh,Họ và tên,Ngày sinh,Số CCCD,Giới tính\n"
            f"010001,Nguyễn Văn An,05/03/2008,001208000001,{written}\n")
    report = parse_roster(text.encode("utf-8"), "r.csv")
    assert report.ok and report.rows[0].gender == stored


def test_roster_gender_refuses_other_words():
    from exam_server.exams.roster import parse_roster

    text = "Số báo danh,Họ và tên,Ngày sinh,Số CCCD,Giới tính\n010001,An,05/03/2008,001208000001,khác\n"
    report = parse_roster(text.encode("utf-8"), "r.csv")
    assert not report.ok and report.errors[0]["field"] == "gender"


def test_page_and_exports_show_dif_and_the_score_distribution(app, login, analysed):  # noqa: F811
    from sqlalchemy import select

    from exam_server.core.db import session
    from exam_server.exams.models import Candidate

    client = login("teacher1")
    url = f"/results/exams/{analysed['id']}/item-analysis"
    html = unescape(client.get(f"{url}?lang=en").get_data(as_text=True))
    # three candidates, no gender recorded: every comparison is skipped, with its counts
    assert 'data-dif-skipped="gender"' in html and "0 and 0 candidates, at least 100" in html
    assert 'id="score-distribution"' in html and html.count("<meter") == 10      # one form, ten bands
    with app.app_context():
        for n, candidate in enumerate(session.scalars(select(Candidate).where(Candidate.exam_id == analysed["id"])
                                                      .order_by(Candidate.id))):
            candidate.gender = "female" if n == 2 else "male"
        session.commit()
    app.config["DIF_MIN_GROUP"] = 1
    try:
        html = unescape(client.get(f"{url}?lang=en").get_data(as_text=True))
        assert 'id="dif-table"' in html and "Male (reference) / Female (focal)" in html
        assert 'data-dif="gender"' in html and 'data-dif-skipped="urban_remote"' in html
        vi = unescape(client.get(url).get_data(as_text=True))
        assert "Nam (nhóm tham chiếu) / Nữ (nhóm trọng tâm)" in vi
        rows = list(csv.DictReader(io.StringIO(client.get(f"{url}.csv").get_data(as_text=True).lstrip("\ufeff"))))
        assert {"dif_gender", "dif_urban_suburban", "dif_urban_remote"} <= set(rows[0])
        assert rows[0]["dif_urban_remote"] == "n/a" and rows[0]["dif_gender"] != "n/a"
        book = openpyxl.load_workbook(io.BytesIO(client.get(f"{url}.xlsx").data))
        sheet = book["dif"]
        assert sheet["A1"].value == "comparison" and sheet.max_row > 2
        assert {row[0].value for row in sheet.iter_rows(min_row=2)} == {"gender", "urban_suburban", "urban_remote"}
    finally:
        app.config["DIF_MIN_GROUP"] = 100


def test_school_groups_come_from_the_organisation_tree(app, db):
    """The roster's school, by code or name, placed in the tree: its school group; unknown: ""."""
    from exam_server.indicators.groups import candidate_school_groups
    from tests.server.indicator_factories import bare_exam, load_units

    with app.app_context():
        load_units()
        exam_id, ids = bare_exam([("S1", "12A"), ("THPT Vùng Cao", ""), ("S3", ""), ("Trường lạ", "")])
        assert candidate_school_groups(exam_id) == dict(zip(ids, ["urban", "remote", "suburban", ""]))
