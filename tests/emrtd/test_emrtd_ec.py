"""Own EC arithmetic cross-checked against `cryptography` on every supported curve."""
import secrets

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec as cec

from kiosk_client.emrtd import ec
from kiosk_client.emrtd.pubkey import CRYPTO_CURVES


@pytest.mark.parametrize("pid", sorted(ec.CURVES))
def test_group_laws(pid):
    c = ec.CURVES[pid]
    assert c.on_curve(c.g)
    assert c.mul(c.n, c.g) is None
    assert c.mul(c.n - 1, c.g) == c.neg(c.g)
    assert c.mul(2, c.g) == c.add(c.g, c.g) == c.double(c.g)
    assert c.add(c.g, c.neg(c.g)) is None and c.add(None, c.g) == c.g
    a, b = secrets.randbelow(c.n), secrets.randbelow(c.n)
    assert c.add(c.mul(a, c.g), c.mul(b, c.g)) == c.mul(a + b, c.g)
    assert c.decode(c.encode(c.mul(a or 1, c.g))) == c.mul(a or 1, c.g)


@pytest.mark.parametrize("name", sorted(CRYPTO_CURVES))
def test_matches_cryptography(name):
    c = ec.curve_by_name(name)
    for _ in range(3):
        k = secrets.randbelow(c.n - 1) + 1
        pub = cec.derive_private_key(k, CRYPTO_CURVES[name]()).public_key()
        assert c.encode(c.mul(k, c.g)) == pub.public_bytes(serialization.Encoding.X962,
                                                           serialization.PublicFormat.UncompressedPoint)


def test_decode_rejects():
    c = ec.NIST_P256
    good = c.encode(c.g)
    for bad in (b"", good[:-1], b"\x02" + good[1:], good[:-1] + bytes([good[-1] ^ 1]), b"\x04" + b"\xff" * 64):
        with pytest.raises(ec.EcError):
            c.decode(bad)
    with pytest.raises(ec.EcError):
        c.encode(None)
    with pytest.raises(ec.EcError):
        ec.curve_by_name("curve25519")
    assert ec.curve_by_name("P-256") is ec.NIST_P256
