import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk_client.emrtd.tlv import (
    Tlv,
    TlvError,
    decode,
    decode_header,
    decode_one,
    decode_single,
    encode_length,
    find_tag,
    tlv,
)


def test_encode_basic():
    assert tlv(0x5F01, b"0107") == bytes.fromhex("5F010430313037")
    assert encode_length(0x7F) == b"\x7f"
    assert encode_length(0x80) == b"\x81\x80"
    assert encode_length(0x1234) == b"\x82\x12\x34"
    assert tlv(0x60, [tlv(0x5F01, b"01"), tlv(0x5C, b"\x61\x75")]) == bytes.fromhex("60095F01023031 5C026175".replace(" ", ""))


def test_decode_efcom():
    raw = bytes.fromhex("60145F0104303130375F36063034303030305C026175")
    obj = decode_single(raw)
    assert obj.tag == 0x60 and obj.constructed
    assert obj.require(0x5F01).value == b"0107"
    assert obj.find(0x5C).value == b"\x61\x75"
    assert obj.find(0x99) is None
    assert find_tag(raw, 0x5F36).value == b"040000"
    assert decode_header(raw[:4]) == (0x60, 0x14, 2)
    assert decode_header(bytes.fromhex("7782012C")) == (0x77, 300, 4)


def test_long_lengths_roundtrip():
    big = b"x" * 70000
    enc = tlv(0x5F2E, big)
    assert enc[:5] == bytes.fromhex("5F2E830111")
    obj, end = decode_one(enc)
    assert obj.value == big and end == len(enc)


def test_strict_vs_tolerant():
    nonmin = bytes.fromhex("04810301 0203".replace(" ", ""))
    with pytest.raises(TlvError):
        decode(nonmin, strict=True)
    assert decode(nonmin, strict=False)[0].value == b"\x01\x02\x03"
    padded = bytes.fromhex("0401AA") + b"\x00\x00\xff"
    with pytest.raises(TlvError):
        decode(padded, strict=True)
    assert [o.value for o in decode(padded, strict=False)] == [b"\xaa"]
    indefinite = bytes.fromhex("3080040101040102 0000".replace(" ", ""))
    with pytest.raises(TlvError):
        decode(indefinite)
    obj = decode_single(indefinite, strict=False)
    assert [c.value for c in obj.children] == [b"\x01", b"\x02"]
    trailing = bytes.fromhex("0401AA0402")
    with pytest.raises(TlvError):
        decode_single(trailing)
    assert decode(trailing, strict=False) == [Tlv(4, b"\xaa", False)]


@pytest.mark.parametrize("bad", ["", "5F", "5F1F", "9F8080", "0481", "04820001", "0405AABB", "0485FFFFFFFFFF",
                                 "0480", "3080", "308004010100", "1F80808080800100"])
def test_malformed(bad):
    with pytest.raises(TlvError):
        decode_single(bytes.fromhex(bad), strict=False)
    with pytest.raises(TlvError):
        decode_single(bytes.fromhex(bad), strict=True)


def _exercise(data: bytes, strict: bool) -> None:
    try:
        for obj in decode(data, strict=strict):
            for sub in obj.walk():
                sub.encode()
    except TlvError:
        pass
    try:
        decode_header(data, 0, strict)
    except TlvError:
        pass
    try:
        find_tag(data, 0x5F1F, strict)
    except TlvError:
        pass


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=200), st.booleans())
def test_fuzz_random_bytes_only_tlverror(data, strict):
    _exercise(data, strict)


_tags = st.sampled_from([0x04, 0x30, 0x31, 0x60, 0x61, 0x5F1F, 0x7F61, 0x7F2E, 0x5C, 0x02, 0xA0])


@st.composite
def _tlv_bytes(draw, depth=0):
    tag = draw(_tags)
    if tag in (0x30, 0x31, 0x60, 0x61, 0x7F61, 0xA0) and depth < 3:
        kids = draw(st.lists(_tlv_bytes(depth + 1), max_size=3))
        return tlv(tag, b"".join(kids))
    return tlv(tag, draw(st.binary(max_size=40)))


@settings(max_examples=300, deadline=None)
@given(_tlv_bytes(), st.data())
def test_fuzz_mutated_valid(blob, data):
    assert decode_single(blob).encode() == blob
    mutated = bytearray(blob)
    for _ in range(data.draw(st.integers(0, 4))):
        if not mutated:
            break
        i = data.draw(st.integers(0, len(mutated) - 1))
        mutated[i] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(mutated)))
    _exercise(bytes(mutated[:cut]), data.draw(st.booleans()))
