"""The vpcd wire protocol of the bridge, against a fake vpcd (no pcscd needed)."""

from __future__ import annotations

import socket

import pytest
from simterm import SELECT_APP, read, select_ef

from kiosk_client.simulator.vpcd import VpcdBridge


class FakeVpcd:
    """Plays pcscd's vpcd driver: listens, and talks the 2-byte-length framing."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(10)
        self.port = self.server.getsockname()[1]
        self.conn: socket.socket | None = None

    def accept(self) -> None:
        if self.conn is not None:
            self.conn.close()
        self.conn, _ = self.server.accept()
        self.conn.settimeout(10)

    def send(self, payload: bytes, split: bool = True) -> None:
        header = len(payload).to_bytes(2, "big")
        if split:  # like vpcd: length and payload in two writes
            self.conn.sendall(header)
            self.conn.sendall(payload)
        else:
            self.conn.sendall(header + payload)

    def recv(self) -> bytes:
        header = self._exact(2)
        return self._exact(int.from_bytes(header, "big"))

    def _exact(self, n: int) -> bytes:
        buf = b""
        while len(buf) < n:
            chunk = self.conn.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("closed")
            buf += chunk
        return buf

    def exchange(self, apdu: bytes) -> bytes:
        self.send(apdu)
        return self.recv()

    def close(self) -> None:
        if self.conn:
            self.conn.close()
        self.server.close()


@pytest.fixture
def fake_vpcd():
    v = FakeVpcd()
    yield v
    v.close()


@pytest.fixture
def bridge_to(fake_vpcd):
    bridges = []

    def start(card) -> VpcdBridge:
        b = VpcdBridge(card, port=fake_vpcd.port, retry_interval=0.05).start()
        bridges.append(b)
        fake_vpcd.accept()
        return b

    yield start
    for b in bridges:
        b.stop()


def test_control_codes_and_apdus(fake_vpcd, bridge_to, make_card):
    card = make_card()
    bridge = bridge_to(card)
    fake_vpcd.send(b"\x01")  # power on: no answer expected
    fake_vpcd.send(b"\x04")  # get ATR
    assert fake_vpcd.recv() == card.atr
    assert fake_vpcd.exchange(SELECT_APP.encode()) == b"\x90\x00"
    assert fake_vpcd.exchange(select_ef(0x0101).encode()) == b"\x90\x00"
    assert fake_vpcd.exchange(read(0, 4).encode()) == b"\x69\x82"
    fake_vpcd.send(b"\x02")  # reset: no answer, and the selection is gone
    fake_vpcd.send(b"\x00")  # power off
    fake_vpcd.send(b"\x01")
    assert fake_vpcd.exchange(read(0, 4).encode()) == b"\x69\x86"
    assert bridge.apdus == 4
    nodelay = bridge._sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    assert nodelay


def test_reconnects_when_pcscd_restarts(fake_vpcd, bridge_to, make_card):
    bridge = bridge_to(make_card())
    assert fake_vpcd.exchange(SELECT_APP.encode()) == b"\x90\x00"
    fake_vpcd.conn.close()  # pcscd went away
    fake_vpcd.accept()  # ... and is back: the card connects again by itself
    fake_vpcd.send(b"\x04")
    assert fake_vpcd.recv() == bridge.card.atr
    assert bridge.connections == 2


def test_removed_mid_read_closes_the_socket(fake_vpcd, bridge_to, make_card):
    bridge = bridge_to(make_card(fault="removed_mid_read:0"))
    term_sm = _bac_over(fake_vpcd, bridge.card)
    cmd = term_sm.protect_command(select_ef(0x0101)).encode()
    term_sm.unprotect_response(fake_vpcd.exchange(cmd)).check()
    fake_vpcd.send(term_sm.protect_command(read(0, 4)).encode())
    with pytest.raises((ConnectionError, OSError)):
        fake_vpcd.recv()  # the card is gone: no answer, connection closed
    fake_vpcd.server.settimeout(0.5)
    with pytest.raises(TimeoutError):
        fake_vpcd.server.accept()  # and it stays away until put back
    bridge.card.insert()
    fake_vpcd.server.settimeout(10)
    fake_vpcd.accept()
    fake_vpcd.send(b"\x04")
    assert fake_vpcd.recv() == bridge.card.atr


def test_bridge_stop_is_prompt(fake_vpcd, make_card):
    bridge = VpcdBridge(make_card(), port=fake_vpcd.port).start()
    fake_vpcd.accept()
    bridge.stop(timeout=5)
    assert bridge._thread is None


def test_waits_for_vpcd_to_appear(make_card):
    # Nothing listens yet: the bridge keeps retrying instead of failing.
    probe = socket.create_server(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    bridge = VpcdBridge(make_card(), port=port, retry_interval=0.05).start()
    try:
        server = socket.create_server(("127.0.0.1", port))
        server.settimeout(10)
        conn, _ = server.accept()
        conn.close()
        server.close()
    finally:
        bridge.stop()


def _bac_over(fake_vpcd, card):
    from kiosk_client.emrtd import bac
    from kiosk_client.emrtd.apdu import ResponseAPDU

    fake_vpcd.exchange(SELECT_APP.encode())
    return bac.perform_bac(lambda c: ResponseAPDU.decode(fake_vpcd.exchange(c.encode())), card.profile.mrz_info)
