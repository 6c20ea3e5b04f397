"""pcscd helpers that decide between run, skip and fail (no pcscd needed)."""

from __future__ import annotations

import pytest

from kiosk_client.simulator import pcscd as pcscd_mod


def test_reader_names_follow_the_vpcd_port():
    assert pcscd_mod.reader_name_for_port(35963) == "Virtual PCD 00 00"
    assert pcscd_mod.reader_name_for_port(35964) == "Virtual PCD 00 01"


def test_missing_vpcd_is_reported(monkeypatch):
    monkeypatch.setattr(pcscd_mod, "vpcd_installed", lambda: False)
    with pytest.raises(pcscd_mod.PcscUnavailable, match="vsmartcard-vpcd"):
        pcscd_mod.PcscdService().ensure()


def test_non_root_cannot_start_pcscd(monkeypatch, tmp_path):
    monkeypatch.setattr(pcscd_mod, "vpcd_installed", lambda: True)
    monkeypatch.setattr(pcscd_mod, "pcscd_serving", lambda: False)
    monkeypatch.setattr(pcscd_mod.os, "geteuid", lambda: 1000)
    monkeypatch.setattr(pcscd_mod.shutil, "which", lambda name: "/usr/sbin/pcscd")
    service = pcscd_mod.PcscdService(log_path=tmp_path / "pcscd.log")
    with pytest.raises(pcscd_mod.PcscUnavailable, match="only root"):
        service.ensure()
    assert service.proc is None and service._users is None  # cleaned up


def test_port_lock_is_exclusive(monkeypatch, tmp_path):
    monkeypatch.setattr(pcscd_mod.tempfile, "gettempdir", lambda: str(tmp_path))
    first, second = pcscd_mod.PortLock(40000), pcscd_mod.PortLock(40000)
    assert first.acquire(timeout=1)
    assert not second.acquire(timeout=0.2)
    first.release()
    assert second.acquire(timeout=1)
    second.release()
