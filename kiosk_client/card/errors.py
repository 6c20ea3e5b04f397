"""Errors of the card layer, independent of the reader backend (pyscard, simulator)."""


class CardLayerError(Exception):
    """Base class of every error raised by kiosk_client.card."""


class ReaderError(CardLayerError):
    """The reader or the PC/SC service failed (no service, reader unplugged, protocol error)."""


class NoCard(CardLayerError):
    """No card on the reader (yet), or waiting for one timed out."""


class CardRemoved(CardLayerError):
    """The card left the reader field during a session; the session is lost."""
