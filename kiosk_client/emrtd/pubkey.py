"""SubjectPublicKeyInfo loading shared by active and passive authentication.

eMRTD PKIs often encode EC keys with explicit domain parameters (9303-12
sec. 7.1.1 allows it), which `cryptography` only accepts for NIST curves; such
keys are mapped to the matching named curve here.
"""
from __future__ import annotations

from asn1crypto import keys as asn1keys
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec as cec

from .ec import CURVES

CRYPTO_CURVES = {"secp192r1": cec.SECP192R1, "secp224r1": cec.SECP224R1, "secp256r1": cec.SECP256R1,
                 "secp384r1": cec.SECP384R1, "secp521r1": cec.SECP521R1,
                 "brainpoolP256r1": cec.BrainpoolP256R1, "brainpoolP384r1": cec.BrainpoolP384R1,
                 "brainpoolP512r1": cec.BrainpoolP512R1}
_ERRORS = (ValueError, TypeError, KeyError, AttributeError, IndexError, OverflowError)


class PublicKeyError(ValueError):
    """Not a usable RSA or EC public key."""


def _explicit_ec_key(spki: asn1keys.PublicKeyInfo) -> cec.EllipticCurvePublicKey:
    params = spki["algorithm"]["parameters"].chosen
    if not isinstance(params, asn1keys.SpecifiedECDomain):
        raise PublicKeyError("unsupported EC parameters")
    p = params["field_id"]["parameters"].native
    a = int.from_bytes(params["curve"]["a"].native, "big")
    b = int.from_bytes(params["curve"]["b"].native, "big")
    n = params["order"].native
    for c in CURVES.values():
        if (c.p, c.a, c.b, c.n) == (p, a, b, n) and c.name in CRYPTO_CURVES:
            return cec.EllipticCurvePublicKey.from_encoded_point(CRYPTO_CURVES[c.name](), spki["public_key"].native)
    raise PublicKeyError("explicit EC parameters match no supported curve")


def load_spki(der: bytes):
    """DER SubjectPublicKeyInfo -> cryptography public key (RSA or EC)."""
    try:
        return serialization.load_der_public_key(der)
    except (ValueError, TypeError, NotImplementedError, UnsupportedAlgorithm):
        pass
    try:
        spki = asn1keys.PublicKeyInfo.load(der)
        if spki["algorithm"]["algorithm"].native != "ec":
            raise PublicKeyError("key is neither RSA nor EC")
        return _explicit_ec_key(spki)
    except PublicKeyError:
        raise
    except _ERRORS as exc:  # asn1crypto raises assorted types on garbage
        raise PublicKeyError(f"public key not parseable: {exc}") from None
