"""In-process backend: a SimulatedReader holding a kiosk_client.simulator VirtualCard."""

from __future__ import annotations

import time

from .base import CardReader, CardTransport
from .errors import CardRemoved, NoCard, ReaderError

READER_NAME = "Simulated CCCD Reader 00 00"


class SimulatedTransport(CardTransport):
    def __init__(self, reader: SimulatedReader, card) -> None:
        self._reader, self._card = reader, card
        self.atr = card.atr

    def transmit(self, apdu: bytes) -> bytes:
        if self._card is None:
            raise ReaderError("transport is closed")
        if self._reader.card is not self._card or self._card.removed:
            raise CardRemoved("the simulated card was taken off the reader")
        return self._card.transmit(bytes(apdu))  # raises CardRemoved itself for removed_mid_read

    def close(self) -> None:
        self._card = None


class SimulatedReader(CardReader):
    """One virtual reader; ``insert(card)`` / ``remove()`` play the cardholder."""

    def __init__(self, card=None, name: str = READER_NAME, poll_interval: float = 0.02) -> None:
        self.name = name
        self.card = card
        self.poll_interval = poll_interval
        self._transport: SimulatedTransport | None = None

    def insert(self, card) -> None:
        self.card = card
        card.insert()

    def remove(self) -> None:
        if self.card is not None:
            self.card.remove()
        self.card = None

    def list_readers(self) -> list[str]:
        return [self.name]

    def _present(self) -> bool:
        return self.card is not None and not self.card.removed

    def wait_for_card(self, timeout: float | None = None, reader: str | None = None) -> str:
        if reader is not None and reader not in self.name:
            raise ReaderError(f"no reader matching {reader!r}")
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._present():
            if deadline is not None and time.monotonic() >= deadline:
                raise NoCard(f"no card presented within {timeout:g} s")
            time.sleep(self.poll_interval)
        return self.name

    def connect(self, reader: str | None = None) -> SimulatedTransport:
        if reader is not None and reader not in self.name:
            raise ReaderError(f"no reader matching {reader!r}")
        if not self._present():
            raise NoCard("no card on the simulated reader")
        self.disconnect()
        self.card.power_on()  # connecting powers the card up: no session survives
        self._transport = SimulatedTransport(self, self.card)
        return self._transport
