"""BER-TLV as used by ICAO 9303 (Part 10 sec. 4 / ISO 7816-4 sec. 5.2 / X.690).

Tags are ints made of the raw tag bytes, big-endian (0x7F61, 0x5F1F, 0x61).

Two modes:
* strict (default): DER-like -- minimal length encoding, definite lengths only,
  no filler bytes, no trailing data after the last object.
* tolerant (``strict=False``): accepts non-minimal lengths, indefinite lengths
  on constructed objects, and 00/FF filler bytes between objects (7816-4 allows
  them), and ignores garbage after the last complete object of a file read.

Every malformed input raises TlvError (a ValueError); never IndexError.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

MAX_DEPTH = 32  # nesting limit for indefinite-length scanning / deep searches


class TlvError(ValueError):
    """Malformed BER-TLV data."""


# ---------------------------------------------------------------- encoding

def encode_tag(tag: int) -> bytes:
    if tag < 0:
        raise TlvError("negative tag")
    if tag == 0:
        return b"\x00"
    return tag.to_bytes((tag.bit_length() + 7) // 8, "big")


def encode_length(n: int) -> bytes:
    if n < 0:
        raise TlvError("negative length")
    if n < 0x80:
        return bytes((n,))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    if len(body) > 4:
        raise TlvError("length too large")
    return bytes((0x80 | len(body),)) + body


def tlv(tag: int, value: bytes | Iterable[bytes] = b"") -> bytes:
    """Encode one TLV; `value` may be bytes or an iterable of encoded children."""
    if not isinstance(value, (bytes, bytearray, memoryview)):
        value = b"".join(value)
    value = bytes(value)
    return encode_tag(tag) + encode_length(len(value)) + value


# ---------------------------------------------------------------- decoding

def tag_is_constructed(tag: int) -> bool:
    first = encode_tag(tag)[0]
    return bool(first & 0x20)


def decode_tag(data: bytes, offset: int = 0, strict: bool = True) -> tuple[int, int]:
    """Return (tag, offset after the tag)."""
    n = len(data)
    if offset >= n:
        raise TlvError("missing tag")
    first = data[offset]
    tag = first
    offset += 1
    if first & 0x1F != 0x1F:
        return tag, offset
    count = 0
    while True:
        if offset >= n:
            raise TlvError("truncated multi-byte tag")
        b = data[offset]
        offset += 1
        if count == 0 and b == 0x80 and strict:
            raise TlvError("non-minimal tag encoding")
        tag = (tag << 8) | b
        count += 1
        if count > 3:
            raise TlvError("tag longer than 4 bytes")
        if not b & 0x80:
            return tag, offset


def decode_length(data: bytes, offset: int = 0, strict: bool = True) -> tuple[int | None, int]:
    """Return (length or None for indefinite, offset after the length field)."""
    n = len(data)
    if offset >= n:
        raise TlvError("missing length")
    first = data[offset]
    offset += 1
    if first < 0x80:
        return first, offset
    if first == 0x80:
        if strict:
            raise TlvError("indefinite length not allowed in strict mode")
        return None, offset
    count = first & 0x7F
    if count > 4:
        raise TlvError(f"length field of {count} bytes is not supported")
    if offset + count > n:
        raise TlvError("truncated length field")
    length = int.from_bytes(data[offset:offset + count], "big")
    if strict and (length < 0x80 or data[offset] == 0):
        raise TlvError("non-minimal length encoding")
    return length, offset + count


def decode_header(data: bytes, offset: int = 0, strict: bool = False) -> tuple[int, int | None, int]:
    """Return (tag, length, header size).  Used to learn a file's total size
    from its first bytes (9303-10 sec. 3.5: every EF is one TLV)."""
    tag, pos = decode_tag(data, offset, strict)
    length, pos = decode_length(data, pos, strict)
    return tag, length, pos - offset


@dataclass(frozen=True)
class Tlv:
    tag: int
    value: bytes
    strict: bool = True  # mode the children are parsed with

    @property
    def constructed(self) -> bool:
        return tag_is_constructed(self.tag)

    @property
    def children(self) -> list[Tlv]:
        """Parsed value as a list of TLVs (raises TlvError if it is not one)."""
        return decode(self.value, strict=self.strict)

    def find(self, tag: int) -> Tlv | None:
        """First direct child with `tag`, or None."""
        for c in self.children:
            if c.tag == tag:
                return c
        return None

    def find_all(self, tag: int) -> list[Tlv]:
        return [c for c in self.children if c.tag == tag]

    def require(self, tag: int) -> Tlv:
        c = self.find(tag)
        if c is None:
            raise TlvError(f"tag {tag:X} missing inside {self.tag:X}")
        return c

    def walk(self, _depth: int = 0) -> Iterator[Tlv]:
        """Depth-first over this object and every constructed descendant that parses."""
        yield self
        if self.constructed and _depth < MAX_DEPTH:
            try:
                kids = self.children
            except TlvError:
                return
            for c in kids:
                yield from c.walk(_depth + 1)

    def encode(self) -> bytes:
        return tlv(self.tag, self.value)

    def __bytes__(self) -> bytes:
        return self.encode()


def _indefinite_end(data: bytes, start: int, strict: bool, depth: int) -> tuple[int, int]:
    """Scan children from `start` until end-of-contents; return (value end, after EOC)."""
    if depth > MAX_DEPTH:
        raise TlvError("nesting too deep")
    pos = start
    n = len(data)
    while True:
        if pos + 2 <= n and data[pos] == 0 and data[pos + 1] == 0:
            return pos, pos + 2
        if pos >= n:
            raise TlvError("missing end-of-contents for indefinite length")
        _, end = _decode_at(data, pos, strict, depth + 1)
        pos = end


def _decode_at(data: bytes, offset: int, strict: bool, depth: int = 0) -> tuple[Tlv, int]:
    tag, pos = decode_tag(data, offset, strict)
    length, pos = decode_length(data, pos, strict)
    if length is None:
        if not tag_is_constructed(tag):
            raise TlvError("indefinite length on a primitive tag")
        vend, end = _indefinite_end(data, pos, strict, depth)
        return Tlv(tag, bytes(data[pos:vend]), strict), end
    end = pos + length
    if end > len(data):
        raise TlvError(f"value of tag {tag:X} truncated: need {length} bytes, have {len(data) - pos}")
    return Tlv(tag, bytes(data[pos:end]), strict), end


def decode_one(data: bytes, offset: int = 0, strict: bool = True) -> tuple[Tlv, int]:
    """Decode the TLV at `offset`; return it and the offset just after it."""
    try:
        data = bytes(data)
    except (TypeError, ValueError) as exc:
        raise TlvError(f"not bytes: {exc}") from None
    if offset < 0:
        raise TlvError("negative offset")
    return _decode_at(data, offset, strict)


def decode(data: bytes, strict: bool = True) -> list[Tlv]:
    """Decode a sequence of TLVs filling `data`."""
    try:
        data = bytes(data)
    except (TypeError, ValueError) as exc:
        raise TlvError(f"not bytes: {exc}") from None
    out: list[Tlv] = []
    pos, n = 0, len(data)
    while pos < n:
        if not strict and data[pos] in (0x00, 0xFF):
            pos += 1  # filler between objects, 7816-4 sec. 5.2
            continue
        try:
            obj, pos = _decode_at(data, pos, strict)
        except TlvError:
            if strict or not out:
                raise
            break  # tolerant: keep what parsed, drop trailing garbage
        out.append(obj)
    return out


def decode_single(data: bytes, strict: bool = True) -> Tlv:
    """Exactly one TLV (strict) or the first TLV (tolerant)."""
    if strict:
        obj, end = decode_one(data, 0, True)
        if end != len(data):
            raise TlvError(f"{len(data) - end} trailing bytes after TLV")
        return obj
    items = decode(data, strict=False)
    if not items:
        raise TlvError("no TLV found")
    return items[0]


def find_tag(data: bytes | Tlv, tag: int, strict: bool = False) -> Tlv | None:
    """Depth-first search for the first object with `tag`."""
    roots = [data] if isinstance(data, Tlv) else decode(data, strict=strict)
    for root in roots:
        for obj in root.walk():
            if obj.tag == tag:
                return obj
    return None
