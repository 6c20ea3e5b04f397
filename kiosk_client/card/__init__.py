"""Card readers for the kiosk: PC/SC (pyscard) and an in-process simulator backend."""

from .base import CardReader, CardTransport
from .errors import CardLayerError, CardRemoved, NoCard, ReaderError

__all__ = [
    "CardLayerError",
    "CardReader",
    "CardRemoved",
    "CardTransport",
    "NoCard",
    "PcscReader",
    "ReaderError",
    "SimulatedReader",
]


def __getattr__(name: str):
    # Lazy, so importing the errors does not import pyscard.
    if name == "PcscReader":
        from .pcsc import PcscReader

        return PcscReader
    if name == "SimulatedReader":
        from .simulated import SimulatedReader

        return SimulatedReader
    raise AttributeError(name)
