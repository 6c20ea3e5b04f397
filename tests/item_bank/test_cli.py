"""`item-bank validate-qti`: per file, what would import and why not."""
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from item_bank.cli import main

SAMPLES = Path(__file__).parent / "qti_samples"
TAO = SAMPLES / "tao_package"


@pytest.fixture
def tao_zip(tmp_path):
    path = tmp_path / "tao.zip"
    with zipfile.ZipFile(path, "w") as out:
        for file in sorted(TAO.rglob("*")):
            if file.is_file():
                out.write(file, file.relative_to(TAO).as_posix())
        out.writestr("items/i-choice/images/do thi.png", b"\x89PNG\r\n\x1a\n" + bytes(20))
    return path


def test_text_report_lists_each_item_and_each_reason(tao_zip, capsys):
    assert main(["validate-qti", str(tao_zip), "--subject", "chemistry", "--grade", "10"]) == 1
    out = capsys.readouterr().out
    assert f"{tao_zip}:" in out
    assert "ok    items/i-choice/qti.xml: i-choice (single_choice, 1 image(s))" in out
    assert "ok    items/i-essay/qti.xml: i-essay (extended_text)" in out
    assert "error items/i-upload/qti.xml: unsupported interaction: uploadInteraction" in out
    assert "4 would import, 2 would not, 1 skipped (not items)" in out


def test_json_report(tao_zip, capsys):
    assert main(["validate-qti", str(tao_zip), "--json"]) == 1
    result = json.loads(capsys.readouterr().out)
    assert result["path"] == str(tao_zip) and result["error"] is None
    assert [i["identifier"] for i in result["items"]] == ["i-choice"]   # the only one with subject/grade
    reasons = {e["file"]: e["reason"] for e in result["errors"]}
    assert reasons["items/i-numeric/qti.xml"].startswith("no subject")
    assert result["skipped"] == 1


def test_all_good_exits_zero(capsys):
    assert main(["validate-qti", str(SAMPLES / "qti3_choice.xml"), "--subject", "math", "--grade", "12"]) == 0
    assert "1 would import, 0 would not" in capsys.readouterr().out


def test_several_paths_and_an_unreadable_package(tmp_path, capsys):
    bad = tmp_path / "bad.zip"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        out.writestr("../escape.xml", "<a/>")
    bad.write_bytes(buffer.getvalue())
    code = main(["validate-qti", str(SAMPLES / "qti3_order.xml"), str(bad), "--json", "--subject", "history",
                 "--grade", "9"])
    assert code == 2
    results = json.loads(capsys.readouterr().out)
    assert results[0]["items"][0]["type"] == "ordering"
    assert results[1]["error"].startswith("unsafe path in package")


def test_arguments_are_checked(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["validate-qti", "x.zip", "--subject", "astrology"])
    assert exit_info.value.code == 2
    with pytest.raises(SystemExit):
        main([])


def test_console_script_entry_point():
    result = subprocess.run([sys.executable, "-m", "item_bank.cli", "validate-qti", str(SAMPLES / "qti3_hotspot.xml"),
                             "--subject", "geography", "--grade", "8"], capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert "unsupported interaction: qti-hotspot-interaction" in result.stdout
