"""The `item-bank` psychometrics commands: the shapes other tools rely on."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from item_bank.cli import main

DATA = Path(__file__).parent.parent / "fixtures" / "psychometrics"


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_calibrate_json_shape(capsys):
    code, out, _ = run(capsys, "calibrate", "--model", "3pl", str(DATA / "lsat7.csv"), "--json")
    data = json.loads(out)
    assert code == 0 and data["model"] == "3pl" and data["n"] == 1000
    assert isinstance(data["loglik"], float)
    assert {"id", "a", "b", "c", "se_a", "se_b"} <= set(data["items"][0])
    code, out, _ = run(capsys, "calibrate", "--model", "gpcm", str(DATA / "science.csv"), "--json")
    item = json.loads(out)["items"][0]
    assert len(item["thresholds"]) == 3 and item["scores"] == [1, 2, 3, 4] and "c" not in item


def test_score_ability_reads_calibrate_output(capsys, tmp_path):
    code, out, _ = run(capsys, "calibrate", "--model", "2pl", str(DATA / "lsat7.csv"), "--json")
    params = tmp_path / "params.json"
    params.write_text(out)
    responses = tmp_path / "r.csv"
    responses.write_text("item1,item2,item3,item4,item5\n0,0,0,0,0\n1,1,1,1,1\n1,0,1,,0\n,,,,\n")
    code, out, _ = run(capsys, "score-ability", str(params), str(responses))
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and [r["mle_status"] for r in rows] == ["-inf", "+inf", "ok", "no_items"]
    assert rows[0]["mle"] == "-inf" and rows[1]["mle"] == "inf" and float(rows[0]["eap"]) < float(rows[2]["eap"])


def test_analyze_and_simulate_cat(capsys, tmp_path):
    code, out, _ = run(capsys, "analyze", str(DATA / "lsat7.csv"), "--json")
    data = json.loads(out)
    assert code == 0 and data["n"] == 1000 and data["forms"][0]["alpha"] is not None
    assert data["items"][0]["p"] == pytest.approx(828 / 1000)
    code, out, _ = run(capsys, "calibrate", "--model", "2pl", str(DATA / "lsat7.csv"), "--json")
    (tmp_path / "p.json").write_text(out)
    code, out, _ = run(capsys, "simulate-cat", str(tmp_path / "p.json"), "--n", "30", "--max-items", "4", "--min-items", "2",
                       "--json")
    report = json.loads(out)
    assert code == 0 and report["max_length"] == 4 and {"bias", "rmse", "max_exposure"} <= set(report)


@pytest.mark.parametrize(("content", "message"), [
    ("a,b\n1,x\n", "row 2, item b"),
    ("a,b\n1,0,1\n", "row 2 has 3 cells"),
    ("a,weight\n1,-2\n", "weight must be a positive number"),
    ("", "empty"),
])
def test_bad_input_is_refused_with_a_reason(capsys, tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    code, _, err = run(capsys, "calibrate", "--model", "2pl", str(path))
    assert code == 2 and message in err


def test_dichotomous_model_refuses_polytomous_scores(capsys):
    code, _, err = run(capsys, "calibrate", "--model", "2pl", str(DATA / "science.csv"))
    assert code == 2 and "use grm or gpcm" in err
