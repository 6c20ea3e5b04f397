"""In-process transport: the terminal code calls the simulated card directly (fast unit tests)."""

from __future__ import annotations

from .card import VirtualCard


class InProcessTransport:
    """``transmit(bytes) -> bytes`` straight into a VirtualCard, plus a log of the exchange.

    A removed card raises kiosk_client.card.errors.CardRemoved, as a real reader adapter does.
    """

    def __init__(self, card: VirtualCard, log: bool = False) -> None:
        self.card = card
        self.log: list[tuple[bytes, bytes]] | None = [] if log else None

    @property
    def atr(self) -> bytes:
        return self.card.atr

    def transmit(self, apdu: bytes) -> bytes:
        response = self.card.transmit(bytes(apdu))
        if self.log is not None:
            self.log.append((bytes(apdu), response))
        return response

    def reset(self) -> bytes:
        self.card.reset()
        return self.card.atr

    def close(self) -> None:
        self.card.power_off()
