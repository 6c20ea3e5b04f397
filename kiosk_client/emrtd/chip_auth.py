"""Chip Authentication with ECDH (ICAO 9303-11 sec. 6.2), keys from DG14.

Terminal: choose_chip_auth(dg14) + chip_auth_commands(option) give the APDUs
and the new SecureMessaging to install after the last response (SSC = 0).
Card: chip_auth_card_session() for the simulator.  DH keys are not supported.
"""
from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from . import crypto
from .apdu import CommandAPDU
from .pubkey import PublicKeyError, load_spki
from .secinfo import ID_CA, ID_PK, SecurityInfos, encode_oid, parse_security_infos
from .sm import SecureMessaging
from .tlv import TlvError, tlv

ID_PK_ECDH = ID_PK + ".2"
ID_CA_ECDH = ID_CA + ".2"
_CIPHERS = {1: ("3DES", 16), 2: ("AES", 16), 3: ("AES", 24), 4: ("AES", 32)}


class ChipAuthError(Exception):
    """DG14 offers no usable Chip Authentication key, or the protocol failed."""


@dataclass
class ChipAuthOption:
    oid: str  # id-CA-ECDH-* (3DES when DG14 has only the public key info)
    cipher: str
    key_length: int
    key_id: int | None
    public_key: ec.EllipticCurvePublicKey

    @property
    def kdf_name(self) -> str:
        return "3DES" if self.cipher == "3DES" else f"AES{self.key_length * 8}"


def chip_auth_options(dg14: bytes | SecurityInfos) -> list[ChipAuthOption]:
    infos = dg14 if isinstance(dg14, SecurityInfos) else parse_security_infos(dg14)
    keys: dict[int | None, ec.EllipticCurvePublicKey] = {}
    for si in infos.by_prefix(ID_PK_ECDH):
        try:
            key = load_spki(si.required.encode()) if si.required is not None else None
            kid = si.optional_int()
        except (PublicKeyError, TlvError):
            continue
        if isinstance(key, ec.EllipticCurvePublicKey):
            keys[kid] = key
    out = []
    for si in infos.by_prefix(ID_CA_ECDH):
        try:
            suffix = int(si.protocol.rsplit(".", 1)[1])
            kid = si.optional_int()
        except (ValueError, TlvError):
            continue
        key = keys.get(kid) or (next(iter(keys.values())) if kid is None and len(keys) == 1 else None)
        if suffix in _CIPHERS and key is not None:
            out.append(ChipAuthOption(si.protocol, *_CIPHERS[suffix], kid, key))
    if not out and len(keys) == 1:  # only the key: 3DES is implied (9303-11 sec. 9.2.5)
        kid, key = next(iter(keys.items()))
        out.append(ChipAuthOption(ID_CA_ECDH + ".1", "3DES", 16, kid, key))
    out.sort(key=lambda o: (o.cipher != "AES", o.key_length != 16))
    return out


def _session(option_cipher: str, kdf_name: str, shared: bytes) -> SecureMessaging:
    return SecureMessaging(crypto.kdf(shared, crypto.KDF_ENC, kdf_name), crypto.kdf(shared, crypto.KDF_MAC, kdf_name),
                           0, option_cipher)


def chip_auth_commands(option: ChipAuthOption, ephemeral: ec.EllipticCurvePrivateKey | None = None
                       ) -> tuple[list[CommandAPDU], SecureMessaging]:
    """Commands to send under the current SM, and the session that replaces it
    once the last one succeeded (9303-11 sec. 6.2.4)."""
    eph = ephemeral or ec.generate_private_key(option.public_key.curve)
    pk = eph.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    shared = eph.exchange(ec.ECDH(), option.public_key)
    kid = tlv(0x84, option.key_id.to_bytes(max(1, (option.key_id.bit_length() + 7) // 8), "big")) \
        if option.key_id is not None else b""
    if option.cipher == "3DES":  # MSE:Set KAT
        cmds = [CommandAPDU(0x00, 0x22, 0x41, 0xA6, tlv(0x91, pk) + kid)]
    else:  # MSE:Set AT + General Authenticate
        cmds = [CommandAPDU(0x00, 0x22, 0x41, 0xA4, tlv(0x80, encode_oid(option.oid)) + kid),
                CommandAPDU(0x00, 0x86, 0x00, 0x00, tlv(0x7C, tlv(0x80, pk)), le=256)]
    return cmds, _session(option.cipher, option.kdf_name, shared)


def chip_auth_card_session(private_key: ec.EllipticCurvePrivateKey, terminal_public: bytes, oid: str
                           ) -> SecureMessaging:
    """Card side: the session keys after MSE:Set KAT / General Authenticate."""
    suffix = int(oid.rsplit(".", 1)[1])
    if not oid.startswith(ID_CA_ECDH + ".") or suffix not in _CIPHERS:
        raise ChipAuthError(f"unsupported Chip Authentication OID {oid}")
    cipher, klen = _CIPHERS[suffix]
    try:
        peer = ec.EllipticCurvePublicKey.from_encoded_point(private_key.curve, terminal_public)
    except ValueError as exc:
        raise ChipAuthError(f"invalid terminal key: {exc}") from None
    shared = private_key.exchange(ec.ECDH(), peer)
    return _session(cipher, "3DES" if cipher == "3DES" else f"AES{klen * 8}", shared)


def chip_auth_security_infos(public_key: ec.EllipticCurvePublicKey, cipher_suffix: int = 2,
                             key_id: int | None = None) -> bytes:
    """ChipAuthenticationInfo + ChipAuthenticationPublicKeyInfo entries for DG14 (builder)."""
    spki = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    kid = tlv(0x02, key_id.to_bytes(1, "big")) if key_id is not None else b""
    ca_info = tlv(0x30, tlv(0x06, encode_oid(f"{ID_CA_ECDH}.{cipher_suffix}")) + tlv(0x02, b"\x01") + kid)
    pk_info = tlv(0x30, tlv(0x06, encode_oid(ID_PK_ECDH)) + spki + kid)
    return ca_info + pk_info
