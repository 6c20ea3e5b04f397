"""Bridge from the simulated card to the real pcscd through vsmartcard's vpcd driver.

pcscd loads vpcd (/etc/reader.conf.d/vpcd: CHANNELID 0x8C7B = port 35963), which LISTENS on
that port; the virtual card is the TCP client. Every message is a 2-byte big-endian length
followed by the payload. 1-byte payloads are control codes: 00 power off, 01 power on,
02 reset (no answer) and 04 get ATR (answer: the ATR). Anything longer is an APDU, answered
with response data + SW. Closing the socket is how a card leaves the reader.
"""

from __future__ import annotations

import logging
import socket
import threading

from kiosk_client.card.errors import CardRemoved

from .card import VirtualCard

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 35963

CTRL_POWER_OFF, CTRL_POWER_ON, CTRL_RESET, CTRL_ATR = 0x00, 0x01, 0x02, 0x04

log = logging.getLogger(__name__)


class _Closed(Exception):
    """vpcd closed the connection (pcscd stopped or restarted)."""


def _quickack(sock: socket.socket) -> None:
    # Linux clears TCP_QUICKACK after use; vpcd sends length and payload in two writes, so
    # with delayed ACKs (and Nagle on its side) every APDU would wait ~40 ms. Re-arm it
    # after every recv.
    if hasattr(socket, "TCP_QUICKACK"):
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        except OSError:
            pass


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        _quickack(sock)
        if not chunk:
            raise _Closed()
        buf += chunk
    return bytes(buf)


def _send(sock: socket.socket, payload: bytes) -> None:
    # One write for length and payload, so no segment waits for the peer's ACK.
    sock.sendall(len(payload).to_bytes(2, "big") + payload)


class VpcdBridge:
    """Connects a VirtualCard to vpcd and answers its requests until stopped.

    Reconnects (the card is "re-inserted", i.e. reset) whenever pcscd restarts. When the card
    is removed (fault removed_mid_read or ``remove()``) the socket is closed and the bridge
    stays away until ``card.insert()`` is called.
    """

    def __init__(
        self,
        card: VirtualCard,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        retry_interval: float = 0.25,
    ) -> None:
        self.card = card
        self.host, self.port = host, port
        self.retry_interval = retry_interval
        self._stop = threading.Event()
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self.connected = threading.Event()
        self.apdus = 0
        self.connections = 0

    # ------------------------------------------------------------ lifecycle
    def start(self) -> VpcdBridge:
        self._thread = threading.Thread(target=self.serve_forever, name="vpcd-card", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._close()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def remove(self) -> None:
        """Take the card off the reader (pcscd sees the card gone)."""
        self.card.remove()
        self._close()

    def _close(self) -> None:
        sock, self._sock = self._sock, None
        self.connected.clear()
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    # ------------------------------------------------------------ main loop
    def serve_forever(self) -> None:
        while not self._stop.is_set():
            if self.card.removed:
                self._stop.wait(self.retry_interval)
                continue
            try:
                sock = socket.create_connection((self.host, self.port), timeout=2.0)
            except OSError as exc:
                log.debug("vpcd not reachable on %s:%s: %s", self.host, self.port, exc)
                self._stop.wait(self.retry_interval)
                continue
            sock.settimeout(None)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            _quickack(sock)
            self._sock = sock
            self.connections += 1
            self.card.power_on()  # a new connection is a fresh insertion
            self.connected.set()
            log.info("virtual card connected to vpcd %s:%s", self.host, self.port)
            try:
                self._serve(sock)
            except (_Closed, OSError) as exc:
                if not self._stop.is_set():
                    log.info("vpcd connection ended (%s); reconnecting", str(exc) or "closed by vpcd")
            except CardRemoved:
                log.info("card removed: closing the vpcd connection")
            finally:
                self._close()
            if not self._stop.is_set():
                self._stop.wait(self.retry_interval)

    def _serve(self, sock: socket.socket) -> None:
        while not self._stop.is_set():
            length = int.from_bytes(_recv_exact(sock, 2), "big")
            payload = _recv_exact(sock, length)
            if length == 1:
                code = payload[0]
                if code == CTRL_ATR:
                    _send(sock, self.card.atr)
                elif code in (CTRL_POWER_ON, CTRL_RESET, CTRL_POWER_OFF):
                    self.card.power_on()
                else:
                    log.warning("unknown vpcd control code %02X", code)
                continue
            self.apdus += 1
            response = self.card.transmit(payload)  # CardRemoved propagates: socket closes
            _send(sock, response)
