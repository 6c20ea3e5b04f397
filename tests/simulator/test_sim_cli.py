"""The make-test-pki and simulate-card subcommands (the pcscd run is in test_sim_pcsc)."""

from __future__ import annotations

import argparse

import pytest

from kiosk_client.simulator import cli


def _parser():
    parser = argparse.ArgumentParser(prog="exam-kiosk")
    cli.add_subcommands(parser.add_subparsers(dest="command", required=True))
    return parser


def test_subcommands_mount_and_parse():
    args = _parser().parse_args(["simulate-card", "--profile", "p.json", "--pki", "pki", "--access", "bac",
                                 "--fault", "slow:50", "--latency-ms", "5", "--port", "35964"])
    assert args.func is cli.cmd_simulate_card
    assert (args.profile, args.pki, args.access, args.fault, args.latency_ms, args.port) == (
        "p.json", "pki", "bac", "slow:50", 5.0, 35964)
    assert _parser().parse_args(["make-test-pki", "d"]).func is cli.cmd_make_test_pki
    with pytest.raises(SystemExit):
        _parser().parse_args(["simulate-card", "--pki", "x", "--access", "nfc"])


def test_make_test_pki_command(tmp_path, capsys):
    assert cli.main(["make-test-pki", str(tmp_path / "pki")]) == 0
    names = {p.name for p in (tmp_path / "pki").iterdir()}
    assert {"csca.pem", "ds.pem", "ds.key.pem", "unknown_csca.pem", "expired_ds.pem", "trust"} <= names
    assert "test PKI written" in capsys.readouterr().out


def test_simulate_card_reports_bad_input(tmp_path, capsys):
    assert cli.main(["simulate-card", "--pki", str(tmp_path)]) == 2
    assert "make-test-pki" in capsys.readouterr().err
