"""Through the REAL PC/SC stack: pyscard -> pcscd -> vpcd driver -> TCP -> virtual card."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

import pytest
from simterm import SELECT_APP, read, select_ef

from kiosk_client.card.errors import CardRemoved, NoCard
from kiosk_client.card.pcsc import PcscReader
from kiosk_client.emrtd import lds
from kiosk_client.emrtd.active_auth import verify_active_auth
from kiosk_client.emrtd.apdu import ResponseAPDU
from kiosk_client.emrtd.passive_auth import verify_passive_auth
from kiosk_client.emrtd.reader import EmrtdReader
from kiosk_client.simulator import pcscd as pcscd_mod
from kiosk_client.simulator.card import ATR

pytestmark = pytest.mark.pcsc


def test_pyscard_sees_the_card_gets_the_atr_and_selects_the_applet(vpcd_card):
    from smartcard.System import readers

    reader = next(r for r in readers() if str(r) == vpcd_card.reader)
    conn = reader.createConnection()
    conn.connect()
    try:
        assert bytes(conn.getATR()) == ATR
        data, sw1, sw2 = conn.transmit(list(SELECT_APP.encode()))
        assert (data, sw1, sw2) == ([], 0x90, 0x00)
        data, sw1, sw2 = conn.transmit(list(read(0, 4).encode()))
        assert (sw1, sw2) == (0x69, 0x86)
    finally:
        conn.disconnect()
        conn.release()


def _read_dg1(vpcd_card, profile, **auth):
    with PcscReader(vpcd_card.reader).connect() as transport:
        reader = EmrtdReader(transport)
        protocol = reader.authenticate(**auth)
        dg1 = reader.read_file("DG1")
    return protocol, dg1


def test_read_dg1_with_pace_mrz(vpcd_card, profile):
    protocol, dg1 = _read_dg1(vpcd_card, profile, mrz_information=profile.mrz_info)
    assert protocol == "PACE"
    assert lds.parse_dg1(dg1)["document_number"] == profile.document_number


def test_read_dg1_with_pace_can(vpcd_card, profile):
    protocol, dg1 = _read_dg1(vpcd_card, profile, can=profile.can)
    assert protocol == "PACE" and dg1 == vpcd_card.card.files.dgs[1]


def test_read_dg1_with_bac(vpcd_controller, profile):
    vpcd_controller.start(access="bac")
    protocol, dg1 = _read_dg1(vpcd_controller, profile, mrz_information=profile.mrz_info)
    assert protocol == "BAC" and dg1 == vpcd_controller.card.files.dgs[1]


def test_full_read_with_passive_and_active_auth(vpcd_controller, pki, profile):
    card = vpcd_controller.start(photo_bytes=20_000)
    with PcscReader(vpcd_controller.reader).connect() as transport:
        reader = EmrtdReader(transport)
        reader.authenticate(mrz_information=profile.mrz_info)
        files = {n: reader.read_file(f"DG{n}") for n in (1, 2, 13, 14, 15)}
        sod = reader.read_file("EF.SOD")
        challenge = os.urandom(8)
        signature = reader.internal_authenticate(challenge)
    assert files == card.files.dgs
    assert len(files[2]) > 18_000
    assert verify_passive_auth(sod, files, pki.trust_dir)["ok"]
    assert verify_active_auth(files[15], challenge, signature, files[14])
    assert lds.parse_dg13(files[13])["full_name"] == "Nguyễn Văn An"


def test_wait_for_card_and_no_card(vpcd_controller):
    pcsc = PcscReader("Virtual PCD")
    assert vpcd_controller.reader in pcsc.list_readers()
    vpcd_controller.stop()
    with pytest.raises(NoCard):
        pcsc.wait_for_card(timeout=0.3, reader=vpcd_controller.reader)
    with pytest.raises(NoCard):
        pcsc.connect(vpcd_controller.reader)
    vpcd_controller.start()
    assert pcsc.wait_for_card(timeout=10, reader=vpcd_controller.reader) == vpcd_controller.reader


def test_card_removed_mid_read_over_pcscd(vpcd_controller, profile):
    vpcd_controller.start(fault="removed_mid_read:2")
    with PcscReader(vpcd_controller.reader).connect() as transport:
        reader = EmrtdReader(transport)
        reader.authenticate(mrz_information=profile.mrz_info)
        with pytest.raises(CardRemoved):
            reader.read_file("DG2")
    pcscd_mod.wait_card_state(vpcd_controller.reader, present=False)


def test_pulling_the_card_mid_session(vpcd_controller, profile):
    vpcd_controller.start()
    transport = PcscReader(vpcd_controller.reader).connect()
    try:
        assert transport.transmit(SELECT_APP.encode()) == b"\x90\x00"
        vpcd_controller.remove()
        with pytest.raises(CardRemoved):
            transport.transmit(select_ef(0x0101).encode())
    finally:
        transport.close()


def test_apdu_round_trip_is_fast(vpcd_card, record_property):
    """vpcd sends length and payload separately: without TCP_NODELAY/QUICKACK every APDU
    would stall ~40 ms on a delayed ACK. Measure the plain round trip through pcscd."""
    with PcscReader(vpcd_card.reader).connect() as transport:
        samples = []
        for _ in range(60):
            start = time.perf_counter()
            ResponseAPDU.decode(transport.transmit(SELECT_APP.encode())).check()
            samples.append(time.perf_counter() - start)
    median_ms = statistics.median(samples) * 1000
    record_property("vpcd_select_median_ms", round(median_ms, 3))
    assert median_ms < 20, f"median APDU round trip {median_ms:.1f} ms: delayed-ACK stall?"


def test_slow_card_over_pcscd(vpcd_controller):
    vpcd_controller.start(latency_ms=30)
    with PcscReader(vpcd_controller.reader).connect() as transport:
        start = time.perf_counter()
        for _ in range(3):
            transport.transmit(SELECT_APP.encode())
    assert time.perf_counter() - start >= 0.09


def test_simulate_card_cli_process(vpcd_controller, pki, profile):
    """The standalone command, as a person would start it, serves the same reader."""
    vpcd_controller.stop()  # free the slot: the CLI process takes it
    cmd = [sys.executable, "-m", "kiosk_client.simulator.cli", "simulate-card", "--pki", str(pki.dir),
           "--port", str(vpcd_controller.port), "--access", "both"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        first = proc.stdout.readline()
        assert profile.id_number in first, first
        pcscd_mod.wait_card_state(vpcd_controller.reader, present=True, timeout=15)
        protocol, dg1 = _read_dg1(vpcd_controller, profile, can=profile.can)
        assert protocol == "PACE" and lds.parse_dg1(dg1)["optional_data"] == profile.id_number
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        finally:
            proc.stdout.close()
    assert proc.returncode == 0
    pcscd_mod.wait_card_state(vpcd_controller.reader, present=False)
