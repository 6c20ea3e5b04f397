"""Reader-independent card access: what the kiosk's eMRTD reader code talks to.

A ``CardReader`` finds readers and cards and opens a ``CardTransport`` whose only job is
``transmit(command APDU bytes) -> response bytes incl. SW1 SW2``. Backends: PcscReader
(pyscard, real readers and the vpcd virtual reader) and SimulatedReader (in process).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Self


class CardTransport(ABC):
    """An open connection to one card."""

    atr: bytes = b""

    @abstractmethod
    def transmit(self, apdu: bytes) -> bytes:
        """Send one command APDU, return response data + SW1 SW2.

        Raises CardRemoved when the card left, ReaderError on reader/service failures.
        """

    @abstractmethod
    def close(self) -> None:
        """Release the card (idempotent)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class CardReader(ABC):
    """A source of cards: lists readers, waits for a card, connects to it."""

    @abstractmethod
    def list_readers(self) -> list[str]:
        """Names of the readers attached now (may be empty). ReaderError if the service is down."""

    @abstractmethod
    def wait_for_card(self, timeout: float | None = None, reader: str | None = None) -> str:
        """Block until a card is present; return its reader's name. NoCard on timeout.

        ``reader`` narrows the search to readers whose name contains that text.
        """

    @abstractmethod
    def connect(self, reader: str | None = None) -> CardTransport:
        """Open the card in ``reader`` (or the first reader holding a card). NoCard if none."""

    def disconnect(self) -> None:
        """Close the transport opened last by ``connect`` (idempotent)."""
        transport = getattr(self, "_transport", None)
        if transport is not None:
            self._transport = None
            transport.close()
