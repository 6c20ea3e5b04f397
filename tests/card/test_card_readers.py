"""CardReader backends without pcscd: the simulated reader and pyscard error mapping."""

from __future__ import annotations

import pytest

from kiosk_client.card import (
    CardReader,
    CardRemoved,
    CardTransport,
    NoCard,
    PcscReader,
    ReaderError,
    SimulatedReader,
)
from kiosk_client.card import pcsc as pcsc_mod
from kiosk_client.simulator.card import VirtualCard
from kiosk_client.simulator.pki import make_test_pki
from kiosk_client.simulator.profile import DEFAULT_PROFILE, load_profile

SELECT_APP = bytes.fromhex("00A4040C07A0000002471001")


@pytest.fixture(scope="module")
def card_factory(tmp_path_factory):
    pki = make_test_pki(tmp_path_factory.mktemp("card-pki"))
    profile = load_profile(DEFAULT_PROFILE)
    return lambda **kw: VirtualCard(profile, pki, **kw)


def test_interfaces():
    assert issubclass(PcscReader, CardReader) and issubclass(SimulatedReader, CardReader)
    assert issubclass(CardRemoved, Exception) and issubclass(NoCard, Exception)


def test_simulated_reader_lifecycle(card_factory):
    reader = SimulatedReader()
    assert reader.list_readers() == ["Simulated CCCD Reader 00 00"]
    with pytest.raises(NoCard):
        reader.wait_for_card(timeout=0.05)
    with pytest.raises(NoCard):
        reader.connect()
    card = card_factory()
    reader.insert(card)
    assert reader.wait_for_card(timeout=1) == reader.name
    transport = reader.connect()
    assert isinstance(transport, CardTransport)
    assert transport.atr == card.atr
    assert transport.transmit(SELECT_APP) == b"\x90\x00"
    reader.remove()
    with pytest.raises(CardRemoved):
        transport.transmit(SELECT_APP)
    reader.disconnect()
    with pytest.raises(ReaderError):
        transport.transmit(SELECT_APP)
    with pytest.raises(ReaderError):
        reader.connect("Some other reader")


def test_simulated_reader_connect_resets_the_card(card_factory):
    reader = SimulatedReader(card_factory())
    t = reader.connect()
    t.transmit(SELECT_APP)
    assert reader.card.app_selected
    reader.connect()
    assert not reader.card.app_selected


def test_simulated_reader_removed_mid_read_fault(card_factory):
    from kiosk_client.emrtd.reader import EmrtdReader

    card = card_factory(fault="removed_mid_read:1")
    reader = SimulatedReader(card)
    emrtd = EmrtdReader(reader.connect())
    emrtd.authenticate(mrz_information=card.profile.mrz_info)
    with pytest.raises(CardRemoved):
        emrtd.read_file("DG2")
    with pytest.raises(NoCard):
        reader.wait_for_card(timeout=0.05)


# ---------------------------------------------------------------- pyscard mapping, faked

class FakeConnection:
    def __init__(self, outcome) -> None:
        self.outcome = outcome
        self.closed = False

    def getATR(self):
        return [0x3B, 0x80, 0x80, 0x01, 0x01]

    def transmit(self, apdu):
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome

    def disconnect(self):
        self.closed = True

    def release(self):
        pass


def _exc(hresult):
    from smartcard.Exceptions import CardConnectionException

    return CardConnectionException("failed", hresult=hresult)


def test_pcsc_transport_maps_results():
    from smartcard import scard

    ok = pcsc_mod.PcscTransport(FakeConnection(([0x61, 0x00], 0x90, 0x00)), "r")
    assert ok.atr == bytes([0x3B, 0x80, 0x80, 0x01, 0x01])
    assert ok.transmit(b"\x00\xb0\x00\x00\x02") == b"\x61\x00\x90\x00"

    gone = pcsc_mod.PcscTransport(FakeConnection(_exc(scard.SCARD_W_REMOVED_CARD)), "r")
    with pytest.raises(CardRemoved):
        gone.transmit(SELECT_APP)

    # vpcd style: "success" without data; only the status query then says the card is gone.
    conn = FakeConnection(_exc(0))
    t = pcsc_mod.PcscTransport(conn, "r")

    def removed():
        raise _exc(scard.SCARD_W_REMOVED_CARD)

    conn.getATR = removed
    with pytest.raises(CardRemoved):
        t.transmit(SELECT_APP)

    broken = pcsc_mod.PcscTransport(FakeConnection(_exc(scard.SCARD_E_NOT_TRANSACTED)), "r")
    broken._card_gone = lambda timeout=0: False
    with pytest.raises(ReaderError):
        broken.transmit(SELECT_APP)
    broken.close()
    with pytest.raises(ReaderError):
        broken.transmit(SELECT_APP)


def test_pcsc_reader_without_service(monkeypatch):
    from smartcard.Exceptions import ListReadersException

    def no_service():
        raise ListReadersException(0x8010001D)  # SCARD_E_NO_SERVICE

    monkeypatch.setattr(pcsc_mod, "_pyscard_readers", no_service)
    with pytest.raises(ReaderError):
        PcscReader().list_readers()
    monkeypatch.setattr(pcsc_mod, "_pyscard_readers", list)
    assert PcscReader().list_readers() == []
    with pytest.raises(ReaderError):
        PcscReader().connect()
    with pytest.raises(NoCard):
        PcscReader().wait_for_card(timeout=0.05)


def test_pcsc_reader_connect_skips_empty_readers(monkeypatch):
    from smartcard.Exceptions import NoCardException

    class FakeReader:
        def __init__(self, name, conn):
            self.name, self.conn = name, conn

        def __str__(self):
            return self.name

        def createConnection(self):
            return self.conn

    class Empty(FakeConnection):
        def connect(self):
            raise NoCardException("no card", hresult=0x8010000C)

    class Full(FakeConnection):
        def connect(self):
            pass

    monkeypatch.setattr(pcsc_mod, "_pyscard_readers",
                        lambda: [FakeReader("Reader A 00 00", Empty(None)),
                                 FakeReader("Reader B 00 00", Full(([], 0x90, 0x00)))])
    reader = PcscReader()
    t = reader.connect()
    assert t.reader == "Reader B 00 00"
    with pytest.raises(NoCard):
        reader.connect("Reader A")
    reader.disconnect()
