import pytest

from kiosk_client.emrtd.apdu import ApduError, CardError, CommandAPDU, ResponseAPDU


@pytest.mark.parametrize(
    "hexstr,expect",
    [
        ("00A4020C02011E", CommandAPDU(0, 0xA4, 2, 0x0C, bytes.fromhex("011E"))),
        ("00B0000004", CommandAPDU(0, 0xB0, 0, 0, le=4)),
        ("00B0000000", CommandAPDU(0, 0xB0, 0, 0, le=256)),
        ("0084000008", CommandAPDU(0, 0x84, 0, 0, le=8)),
        ("00A4040C07A0000002471001", CommandAPDU(0, 0xA4, 4, 0x0C, bytes.fromhex("A0000002471001"))),
        ("0088000008" + "11" * 8 + "00", CommandAPDU(0, 0x88, 0, 0, b"\x11" * 8, le=256)),
        ("00B0000000FFFF", CommandAPDU(0, 0xB0, 0, 0, le=0xFFFF, extended=True)),
        ("00B00000000000", CommandAPDU(0, 0xB0, 0, 0, le=65536, extended=True)),
        ("80CA0000", CommandAPDU(0x80, 0xCA, 0, 0)),
    ],
)
def test_roundtrip(hexstr, expect):
    raw = bytes.fromhex(hexstr)
    got = CommandAPDU.decode(raw)
    assert (got.cla, got.ins, got.p1, got.p2, got.data, got.le) == (
        expect.cla, expect.ins, expect.p1, expect.p2, expect.data, expect.le)
    assert got.encode() == raw
    assert expect.encode() == raw


def test_extended_case4():
    c = CommandAPDU(0, 0xDA, 0, 0, b"\xAB" * 300, le=65536)
    raw = c.encode()
    assert raw[4:7] == b"\x00\x01\x2c" and raw[-2:] == b"\x00\x00"
    d = CommandAPDU.decode(raw)
    assert d.data == c.data and d.le == 65536 and d.is_extended


def test_le_zero_means_max():
    assert CommandAPDU(0, 0xB0, 0, 0, le=0).le == 256
    assert CommandAPDU(0, 0xB0, 0, 0, le=0, extended=True).le == 65536


@pytest.mark.parametrize("bad", ["", "00A4", "00A4020C05011E", "00B000000000010102", "00B000000000"])
def test_decode_rejects(bad):
    with pytest.raises(ApduError):
        CommandAPDU.decode(bytes.fromhex(bad))


def test_response():
    r = ResponseAPDU.decode(bytes.fromhex("60145F019000"))
    assert r.data == bytes.fromhex("60145F01") and r.sw == 0x9000 and r.ok
    assert r.encode().hex().upper() == "60145F019000"
    e = ResponseAPDU.decode(b"\x6a\x82")
    assert not e.ok
    with pytest.raises(CardError) as ei:
        e.check("select")
    assert ei.value.sw == 0x6A82
    with pytest.raises(ApduError):
        ResponseAPDU.decode(b"\x90")
    assert ResponseAPDU.from_sw(0x6982).encode() == b"\x69\x82"
