"""PC/SC backend (pyscard): real contactless readers and vsmartcard's "Virtual PCD" reader."""

from __future__ import annotations

import time

from .base import CardReader, CardTransport
from .errors import CardRemoved, NoCard, ReaderError

try:  # pyscard is in the 'kiosk' extra; import errors surface as ReaderError on use.
    from smartcard import scard
    from smartcard.Exceptions import CardConnectionException, NoCardException, SmartcardException
    from smartcard.pcsc.PCSCExceptions import BaseSCardException
    from smartcard.System import readers as _pyscard_readers
except ImportError as _exc:  # pragma: no cover - depends on the installation
    scard = None
    _IMPORT_ERROR: ImportError | None = _exc
else:
    _IMPORT_ERROR = None

# hresults that mean "the card is gone" rather than "the reader/service broke".
_GONE = {"SCARD_W_REMOVED_CARD", "SCARD_E_NO_SMARTCARD", "SCARD_W_RESET_CARD", "SCARD_W_UNPOWERED_CARD"}


def _require_pyscard() -> None:
    if _IMPORT_ERROR is not None:
        raise ReaderError(f"pyscard is not installed: {_IMPORT_ERROR}")


def _is_gone(hresult: int) -> bool:
    # hresults come signed or unsigned depending on the platform: compare as 32-bit values.
    gone = {getattr(scard, name) & 0xFFFFFFFF for name in _GONE if hasattr(scard, name)}
    return (hresult & 0xFFFFFFFF) in gone


def _release(conn) -> None:
    # Release the connection's PC/SC context now: pyscard would do it in __del__, possibly
    # after pcscd is gone, and raise there.
    try:
        conn.release()
    except (SmartcardException, AttributeError):
        pass


class PcscTransport(CardTransport):
    def __init__(self, connection, reader: str) -> None:
        self._conn = connection
        self.reader = reader
        try:
            self.atr = bytes(connection.getATR())
        except SmartcardException as exc:
            raise ReaderError(f"cannot read the ATR: {exc}") from exc

    def transmit(self, apdu: bytes) -> bytes:
        if self._conn is None:
            raise ReaderError("transport is closed")
        try:
            data, sw1, sw2 = self._conn.transmit(list(bytes(apdu)))
        except CardConnectionException as exc:
            if _is_gone(getattr(exc, "hresult", -1)) or self._card_gone():
                raise CardRemoved(str(exc)) from exc
            raise ReaderError(str(exc)) from exc
        except SmartcardException as exc:
            raise ReaderError(str(exc)) from exc
        return bytes(data) + bytes((sw1, sw2))

    def _card_gone(self, timeout: float = 1.5) -> bool:
        """After a failed transmit: did the card leave? Some drivers (vpcd) answer a card that
        vanished mid-APDU with "success" and no data; pcscd notices the removal only at its
        next poll, so ask the handle's status for a little while."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._conn.getATR()
            except SmartcardException as exc:
                return _is_gone(getattr(exc, "hresult", -1))
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.disconnect()
        except SmartcardException:
            pass  # the card may already be gone; nothing to release then
        _release(conn)


class PcscReader(CardReader):
    def __init__(self, reader_filter: str | None = None, poll_interval: float = 0.1) -> None:
        """``reader_filter``: only readers whose name contains this text (e.g. 'Virtual PCD')."""
        self.reader_filter = reader_filter
        self.poll_interval = poll_interval
        self._transport: PcscTransport | None = None

    def _readers(self):
        _require_pyscard()
        try:
            found = _pyscard_readers()
        except (SmartcardException, BaseSCardException) as exc:
            # BaseSCardException (e.g. EstablishContextException: pcscd not running or still
            # starting) is not a SmartcardException in pyscard.
            raise ReaderError(f"PC/SC service unavailable: {exc}") from exc
        if self.reader_filter:
            found = [r for r in found if self.reader_filter in str(r)]
        return found

    def list_readers(self) -> list[str]:
        return [str(r) for r in self._readers()]

    def _card_present(self, names: list[str]) -> str | None:
        hresult, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if hresult != scard.SCARD_S_SUCCESS:
            raise ReaderError(f"PC/SC service unavailable: {scard.SCardGetErrorMessage(hresult)}")
        try:
            states = [(n, scard.SCARD_STATE_UNAWARE) for n in names]
            hresult, new_states = scard.SCardGetStatusChange(ctx, 0, states)
            if hresult != scard.SCARD_S_SUCCESS:
                return None
            for name, state, _atr in new_states:
                if state & scard.SCARD_STATE_PRESENT and not state & scard.SCARD_STATE_MUTE:
                    return name
            return None
        finally:
            scard.SCardReleaseContext(ctx)

    def wait_for_card(self, timeout: float | None = None, reader: str | None = None) -> str:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            names = [n for n in self.list_readers() if reader is None or reader in n]
            if names:
                name = self._card_present(names)
                if name is not None:
                    return name
            if deadline is not None and time.monotonic() >= deadline:
                raise NoCard(f"no card presented within {timeout:g} s")
            time.sleep(self.poll_interval)

    def connect(self, reader: str | None = None) -> PcscTransport:
        candidates = [r for r in self._readers() if reader is None or reader in str(r)]
        if not candidates:
            raise ReaderError(f"no PC/SC reader{' matching ' + repr(reader) if reader else ''}")
        last: Exception | None = None
        for r in candidates:
            conn = r.createConnection()  # holds its own PC/SC context: release it on failure
            try:
                conn.connect()
            except NoCardException as exc:
                _release(conn)
                last = exc
                continue
            except CardConnectionException as exc:
                _release(conn)
                if _is_gone(getattr(exc, "hresult", -1)):
                    last = exc
                    continue
                raise ReaderError(f"{r}: {exc}") from exc
            self.disconnect()
            self._transport = PcscTransport(conn, str(r))
            return self._transport
        raise NoCard(f"no card on {', '.join(str(r) for r in candidates)}: {last}")
