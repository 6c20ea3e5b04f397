"""exam-kiosk CLI without a card: help, usage errors, the run placeholder, simulator subcommands."""

from __future__ import annotations

import pytest

from kiosk_client.cli import main


def test_help_lists_subcommands(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for name in ("read-card", "run", "make-test-pki", "simulate-card"):
        assert name in out
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    run_help = capsys.readouterr().out
    for option in ("--server", "--kiosk-id", "--key", "--make-key", "--once"):
        assert option in run_help


def test_run_without_a_key_says_how_to_make_one(capsys):
    assert main(["run", "--server", "http://127.0.0.1:5000", "--kiosk-id", "K1"]) == 2
    # Vietnamese by default (the kiosk's catalogue), English with --lang en, before or after `run`.
    assert capsys.readouterr().err.strip() == ("exam-kiosk run: cần --key FILE (khóa bí mật của máy điểm danh; "
                                               "tạo bằng --make-key)")
    english = "exam-kiosk run: give --key FILE (the kiosk's private key; create one with --make-key)"
    for argv in (["--lang", "en", "run"], ["run", "--lang", "en"]):
        assert main([*argv, "--server", "http://127.0.0.1:5000", "--kiosk-id", "K1"]) == 2
        assert capsys.readouterr().err.strip() == english


@pytest.mark.parametrize("argv, message", [
    (["--qr", "garbage"], "--qr: CCCD QR has 7 fields"),
    (["--can", "12ab56"], "--can must be digits"),
    ([], "give --qr, --mrz, --can"),
    (["--document-number", "096012345", "--birth", "960315"], "give --qr"),
    (["--can", "012345", "--challenge", "0011"], "8 bytes"),
    (["--can", "012345", "--challenge", "zz"], "non-hexadecimal"),
])
def test_read_card_usage_errors(capsys, tmp_path, argv, message):
    assert main(["read-card", "--trust", str(tmp_path), *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_make_test_pki_is_mounted(tmp_path, capsys):
    assert main(["make-test-pki", str(tmp_path / "pki")]) == 0
    assert (tmp_path / "pki").is_dir() and "test PKI written" in capsys.readouterr().out
