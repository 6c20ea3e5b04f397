"""exam-kiosk read-card through the REAL PC/SC stack: pyscard -> pcscd -> vpcd -> virtual card."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from kiosk_helpers import qr_text

from kiosk_client.cli import main

pytestmark = pytest.mark.pcsc

EXAM_KIOSK = Path(sys.executable).with_name("exam-kiosk")


def _run(vcard, capsys, *extra, key=None):
    argv = ["read-card", *(key or ["--qr", qr_text(vcard.profile)]), "--trust", str(vcard.pki.trust_dir),
            "--reader", vcard.reader, "--json", *extra]
    rc = main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return rc, (json.loads(out) if rc == 0 else None), err


@pytest.mark.parametrize("access, protocol", [("bac", "BAC"), ("pace", "PACE"), ("both", "PACE")])
def test_read_card_json(vcard, capsys, access, protocol):
    vcard.start(access=access)
    rc, r, err = _run(vcard, capsys, "--challenge", "0011223344556677")
    assert rc == 0, err
    assert r["access"] == protocol
    assert r["full_name"] == "Nguyễn Văn An"
    assert r["dg13"]["place_of_residence"] == vcard.profile.place_of_residence
    assert r["dg13"]["mother_name"] == "Trần Thị Cúc"
    assert r["id_number"] == "001096012345" and r["document_number"] == "096012345"
    assert r["date_of_birth"] == "1996-03-15" and r["date_of_expiry"] == "2036-03-15"
    assert r["passive_auth"]["ok"] is True and r["active_auth"]["ok"] is True
    assert r["challenge"] == "0011223344556677"
    assert r["apdus"] == sum(s["apdus"] for s in r["steps"]) > 10
    assert {"name", "apdus", "seconds"} == set(r["steps"][0])
    assert r["seconds"] > 0


def test_other_profile_with_grace_rule(vcard, capsys, mai_profile):
    # Issued at 23 (within 2 years of 25): the card runs to the 40th birthday; BAC finds it first.
    vcard.start(profile=mai_profile, access="bac")
    rc, r, err = _run(vcard, capsys, key=["--qr", qr_text(mai_profile)])
    assert rc == 0, err
    assert r["full_name"] == "Trần Thị Ngọc Mai" and r["keys_tried"] == 1 and r["access"] == "BAC"


def test_other_keys(vcard, capsys):
    vcard.start()
    p = vcard.profile
    for key, protocol in ((["--can", p.can], "PACE"), (["--mrz", "".join(p.mrz_lines)], "PACE"),
                          (["--document-number", p.document_number, "--birth", "960315",
                            "--expiry", "360315"], "PACE")):
        rc, r, err = _run(vcard, capsys, key=key)
        assert rc == 0, err
        assert r["access"] == protocol and r["passive_auth"]["ok"]


def test_photo(vcard, capsys, tmp_path):
    vcard.start(photo_bytes=20_000)
    out = tmp_path / "face.jpg"
    rc, r, err = _run(vcard, capsys, "--photo", str(out))
    assert rc == 0, err
    assert out.read_bytes().startswith(b"\xff\xd8\xff") and out.stat().st_size > 15_000
    assert r["photo"] == str(out) and r["passive_auth"]["dg_results"]["2"] is True
    assert any(s["name"] == "read DG2" for s in r["steps"])


def test_subprocess(vcard):
    vcard.start()
    proc = subprocess.run(
        [str(EXAM_KIOSK), "read-card", "--qr", qr_text(vcard.profile), "--trust", str(vcard.pki.trust_dir),
         "--reader", vcard.reader, "--json"],
        check=False, capture_output=True, timeout=60, env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    assert proc.returncode == 0, proc.stderr.decode()
    r = json.loads(proc.stdout.decode("utf-8"))
    assert "Nguyễn Văn An" in proc.stdout.decode("utf-8")  # not \u-escaped
    assert r["full_name"] == "Nguyễn Văn An" and r["passive_auth"]["ok"] and r["active_auth"]["ok"]


def test_wrong_key(vcard, capsys):
    vcard.start(fault="wrong_key")
    rc, _, err = _run(vcard, capsys)
    assert rc == 1
    assert "wrong key after 5 candidates" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("fault, expected", [
    ("altered_dg", "DG13"),
    ("unknown_csca", "CSCA"),
    ("expired_ds", "Document Signer certificate not valid"),
])
def test_passive_auth_failures(vcard, capsys, fault, expected):
    vcard.start(fault=fault)
    rc, r, err = _run(vcard, capsys)
    assert rc == 0, err
    assert r["passive_auth"]["ok"] is False and expected in r["passive_auth"]["failure"]


def test_cloned(vcard, capsys):
    vcard.start(fault="cloned")
    rc, r, err = _run(vcard, capsys)
    assert rc == 0, err
    assert r["passive_auth"]["ok"] is True and r["active_auth"]["ok"] is False


def test_removed_mid_read(vcard, capsys):
    vcard.start(fault="removed_mid_read")
    rc, _, err = _run(vcard, capsys)
    assert rc == 1
    assert "card removed" in err and len(err.strip().splitlines()) == 1


def test_slow(vcard, capsys):
    vcard.start(fault="slow:60")
    rc, r, err = _run(vcard, capsys)
    assert rc == 0, err
    assert r["passive_auth"]["ok"] and r["active_auth"]["ok"]
    assert r["seconds"] > r["apdus"] * 0.05


def test_malformed_tlv(vcard, capsys):
    vcard.start(fault="malformed_tlv")
    rc, r, err = _run(vcard, capsys)
    if rc == 0:
        assert r["passive_auth"]["ok"] is False and "DG13" in r["passive_auth"]["failure"]
        assert r["full_name"]  # from DG1 when DG13 could not be read
    else:
        assert rc == 1 and "DG13" in err and len(err.strip().splitlines()) == 1


def test_no_card(vcard, capsys):
    vcard.stop()
    rc, _, err = _run(vcard, capsys)
    assert rc == 1 and "no card" in err
