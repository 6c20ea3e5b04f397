"""PACE v2 with ECDH generic mapping (ICAO 9303-11 sec. 4.4, Appendix G.1).

Terminal: PaceTerminal (step by step, deterministic when keys are supplied)
and perform_pace (drives it over a CommandAPDU -> ResponseAPDU callable).
Card: PaceChip, used by the card simulator.

Supported: id-PACE-ECDH-GM-{3DES, AES-CBC-CMAC-128/192/256} on the
standardized curves of ec.CURVES (ids 8..18; 12 = NIST P-256, 13 =
brainpoolP256r1).  DH and integrated/chip-authentication mapping are not.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from . import crypto
from .apdu import CommandAPDU, ResponseAPDU
from .ec import CURVES, Curve, EcError, Point
from .secinfo import ID_PACE, SecurityInfos, encode_oid, parse_security_infos
from .sm import SecureMessaging
from .tlv import TlvError, decode, decode_single, tlv

PWD_MRZ = 1  # password references of MSE:Set AT, 9303-11 sec. 4.4.4.1
PWD_CAN = 2

_CIPHERS = {1: ("3DES", 16), 2: ("AES", 16), 3: ("AES", 24), 4: ("AES", 32)}
_MAPPINGS = {1: ("DH", "GM"), 2: ("ECDH", "GM"), 3: ("DH", "IM"), 4: ("ECDH", "IM"), 6: ("ECDH", "CAM")}


class PaceError(Exception):
    """PACE failed: unsupported parameters, bad point, token mismatch."""


@dataclass(frozen=True)
class PaceAlgorithm:
    oid: str
    agreement: str  # "DH" | "ECDH"
    mapping: str  # "GM" | "IM" | "CAM"
    cipher: str  # "3DES" | "AES"
    key_length: int  # bytes

    @property
    def kdf_name(self) -> str:
        return "3DES" if self.cipher == "3DES" else f"AES{self.key_length * 8}"

    @property
    def supported(self) -> bool:
        return self.agreement == "ECDH" and self.mapping == "GM"


def pace_algorithm(oid: str) -> PaceAlgorithm | None:
    """Decode an id-PACE-* protocol OID (9303-11 sec. 9.2.1)."""
    if not oid.startswith(ID_PACE + "."):
        return None
    rest = oid[len(ID_PACE) + 1:].split(".")
    if len(rest) != 2 or not all(r.isdigit() for r in rest):
        return None
    m, c = int(rest[0]), int(rest[1])
    if m not in _MAPPINGS or c not in _CIPHERS:
        return None
    return PaceAlgorithm(oid, *_MAPPINGS[m], *_CIPHERS[c])


@dataclass(frozen=True)
class PaceInfo:
    algorithm: PaceAlgorithm
    version: int
    parameter_id: int | None


def pace_infos(card_access: bytes | SecurityInfos) -> list[PaceInfo]:
    """PACEInfos of EF.CardAccess (version 2 only, 9303-11 sec. 9.2.1)."""
    infos = card_access if isinstance(card_access, SecurityInfos) else parse_security_infos(card_access)
    out = []
    for si in infos.by_prefix(ID_PACE):
        alg = pace_algorithm(si.protocol)
        try:
            version = si.required_int()
            pid = si.optional_int()
        except TlvError:
            continue
        if alg is not None and version is not None:
            out.append(PaceInfo(alg, version, pid))
    return out


def choose_pace_info(infos: list[PaceInfo]) -> PaceInfo | None:
    """Prefer supported AES-128 on a known curve; None when nothing fits."""
    usable = [i for i in infos if i.version == 2 and i.algorithm.supported and i.parameter_id in CURVES]
    usable.sort(key=lambda i: (i.algorithm.cipher != "AES", i.algorithm.key_length != 16,
                               i.parameter_id not in (13, 12)))
    return usable[0] if usable else None


def password_key(password: str | bytes, algorithm: PaceAlgorithm, pwd_type: int = PWD_MRZ) -> bytes:
    """K_pi = KDF(f(pi), 3); f = SHA-1(MRZ information) for MRZ, the ASCII
    CAN otherwise (9303-11 sec. 4.4.3.1 and 9.7.3)."""
    pw = password.encode("ascii") if isinstance(password, str) else bytes(password)
    k = hashlib.sha1(pw).digest() if pwd_type == PWD_MRZ else pw
    return crypto.kdf(k, crypto.KDF_PI, algorithm.kdf_name)


def _cipher_decrypt(alg: PaceAlgorithm, key: bytes, data: bytes) -> bytes:
    if alg.cipher == "3DES":
        return crypto.des3_decrypt(key, data)
    return crypto.aes_cbc_decrypt(key, data)


def _cipher_encrypt(alg: PaceAlgorithm, key: bytes, data: bytes) -> bytes:
    if alg.cipher == "3DES":
        return crypto.des3_encrypt(key, data)
    return crypto.aes_cbc_encrypt(key, data)


def auth_token(alg: PaceAlgorithm, ks_mac: bytes, public_key: bytes) -> bytes:
    """T = MAC(KSmac, 7F49{06 OID, 86 point}) (9303-11 sec. 4.4.3.4 / 9.4.4)."""
    data = tlv(0x7F49, tlv(0x06, encode_oid(alg.oid)) + tlv(0x86, public_key))
    if alg.cipher == "3DES":
        return crypto.retail_mac(ks_mac, data)
    return crypto.aes_cmac(ks_mac, data, 8)


def map_generator(curve: Curve, nonce: bytes, sk_map: int, pk_map_other: Point) -> tuple[Point, Point]:
    """Generic mapping: H = sk_map * PK_map(other), G' = s*G + H (9303-11 sec. 4.4.3.3.1)."""
    h = curve.mul(sk_map, pk_map_other)
    if h is None:
        raise PaceError("mapping produced the point at infinity")
    g_hat = curve.add(curve.mul(int.from_bytes(nonce, "big"), curve.g), h)
    if g_hat is None:
        raise PaceError("mapped generator is the point at infinity")
    return h, g_hat


def _session(alg: PaceAlgorithm, shared_x: bytes) -> tuple[bytes, bytes]:
    return crypto.kdf(shared_x, crypto.KDF_ENC, alg.kdf_name), crypto.kdf(shared_x, crypto.KDF_MAC, alg.kdf_name)


def _random_scalar(curve: Curve) -> int:
    return secrets.randbelow(curve.n - 1) + 1


def _dyn(data: bytes, tag: int) -> bytes:
    """Value of `tag` inside a 7C dynamic authentication data object."""
    try:
        outer = decode_single(data, strict=False)
        if outer.tag != 0x7C:
            raise PaceError(f"expected dynamic authentication data 7C, got {outer.tag:X}")
        for o in decode(outer.value, strict=False):
            if o.tag == tag:
                return o.value
    except TlvError as exc:
        raise PaceError(f"malformed General Authenticate data: {exc}") from None
    raise PaceError(f"tag {tag:X} missing in General Authenticate data")


def _decode_point(curve: Curve, raw: bytes) -> Point:
    try:
        return curve.decode(raw)
    except EcError as exc:
        raise PaceError(f"invalid public key: {exc}") from None


class PaceTerminal:
    """Terminal (PCD) side. Intermediate values are kept as attributes."""

    def __init__(self, info: PaceInfo, password: str | bytes, pwd_type: int = PWD_MRZ,
                 sk_map: int | None = None, sk_dh: int | None = None) -> None:
        if not info.algorithm.supported:
            raise PaceError(f"unsupported PACE algorithm {info.algorithm.oid}")
        if info.parameter_id not in CURVES:
            raise PaceError(f"unsupported PACE domain parameters {info.parameter_id}")
        self.info, self.alg, self.curve = info, info.algorithm, CURVES[info.parameter_id]
        self.pwd_type = pwd_type
        self.k_pi = password_key(password, self.alg, pwd_type)
        self.sk_map = sk_map or _random_scalar(self.curve)
        self.sk_dh = sk_dh or _random_scalar(self.curve)

    def mse_set_at(self, include_parameter_id: bool = False) -> CommandAPDU:
        data = tlv(0x80, encode_oid(self.alg.oid)) + tlv(0x83, bytes((self.pwd_type,)))
        if include_parameter_id:
            data += tlv(0x84, bytes((self.info.parameter_id,)))
        return CommandAPDU(0x00, 0x22, 0xC1, 0xA4, data)

    @staticmethod
    def _ga(data: bytes, last: bool = False) -> CommandAPDU:
        # Command chaining (CLA 10) on all but the last step, 9303-11 sec. 4.4.4.2.
        return CommandAPDU(0x00 if last else 0x10, 0x86, 0x00, 0x00, tlv(0x7C, data), le=256)

    def step1_command(self) -> CommandAPDU:
        return self._ga(b"")

    def step2_command(self, step1_response: bytes) -> CommandAPDU:
        self.encrypted_nonce = _dyn(step1_response, 0x80)
        try:
            self.nonce = _cipher_decrypt(self.alg, self.k_pi, self.encrypted_nonce)
        except crypto.CryptoError as exc:
            raise PaceError(f"bad encrypted nonce: {exc}") from None
        self.pk_map = self.curve.encode(self.curve.mul(self.sk_map, self.curve.g))
        return self._ga(tlv(0x81, self.pk_map))

    def step3_command(self, step2_response: bytes) -> CommandAPDU:
        self.pk_map_ic = _dyn(step2_response, 0x82)
        if self.pk_map_ic == self.pk_map:
            raise PaceError("chip mapping key equals the terminal's")
        self.h, self.g_hat = map_generator(self.curve, self.nonce, self.sk_map,
                                           _decode_point(self.curve, self.pk_map_ic))
        self.pk_dh = self.curve.encode(self.curve.mul(self.sk_dh, self.g_hat))
        return self._ga(tlv(0x83, self.pk_dh))

    def step4_command(self, step3_response: bytes) -> CommandAPDU:
        self.pk_dh_ic = _dyn(step3_response, 0x84)
        if self.pk_dh_ic == self.pk_dh:  # 9303-11 sec. 4.4.3.3: keys must differ
            raise PaceError("chip ephemeral key equals the terminal's")
        shared = self.curve.mul(self.sk_dh, _decode_point(self.curve, self.pk_dh_ic))
        if shared is None:
            raise PaceError("shared secret is the point at infinity")
        self.shared_secret = self.curve.fe_bytes(shared[0])
        self.ks_enc, self.ks_mac = _session(self.alg, self.shared_secret)
        self.t_pcd = auth_token(self.alg, self.ks_mac, self.pk_dh_ic)
        return self._ga(tlv(0x85, self.t_pcd), last=True)

    def finish(self, step4_response: bytes) -> SecureMessaging:
        t_ic = _dyn(step4_response, 0x86)
        if not hmac.compare_digest(t_ic, auth_token(self.alg, self.ks_mac, self.pk_dh)):
            raise PaceError("chip authentication token mismatch (wrong password?)")
        self.t_ic = t_ic
        return SecureMessaging(self.ks_enc, self.ks_mac, 0, self.alg.cipher)


def perform_pace(send: Callable[[CommandAPDU], ResponseAPDU], info: PaceInfo, password: str | bytes,
                 pwd_type: int = PWD_MRZ, *, include_parameter_id: bool = False,
                 sk_map: int | None = None, sk_dh: int | None = None) -> SecureMessaging:
    """Run MSE:Set AT and the four General Authenticate steps; return SM with SSC 0."""
    term = PaceTerminal(info, password, pwd_type, sk_map, sk_dh)
    send(term.mse_set_at(include_parameter_id)).check("MSE:Set AT (PACE)")
    r = send(term.step1_command()).check("GA encrypted nonce")
    r = send(term.step2_command(r.data)).check("GA map nonce")
    r = send(term.step3_command(r.data)).check("GA key agreement")
    r = send(term.step4_command(r.data)).check("GA mutual authentication")
    return term.finish(r.data)


class PaceChip:
    """Card (PICC) side of PACE-ECDH-GM for the simulator.

    Call in order: encrypted_nonce(), map_nonce(pk), key_agreement(pk),
    mutual_authentication(token) -> (token_ic, SecureMessaging); or feed each
    General Authenticate command data to general_authenticate().
    """

    def __init__(self, info: PaceInfo, password: str | bytes, pwd_type: int = PWD_MRZ, *,
                 nonce: bytes | None = None, sk_map: int | None = None, sk_dh: int | None = None) -> None:
        if not info.algorithm.supported or info.parameter_id not in CURVES:
            raise PaceError("unsupported PACE parameters")
        self.alg, self.curve = info.algorithm, CURVES[info.parameter_id]
        self.k_pi = password_key(password, self.alg, pwd_type)
        # 128-bit nonce for every cipher (two 3DES blocks), as in the Appendix G examples.
        self.nonce = nonce or secrets.token_bytes(16)
        self.sk_map = sk_map or _random_scalar(self.curve)
        self.sk_dh = sk_dh or _random_scalar(self.curve)
        self.sm: SecureMessaging | None = None
        self._step = 0

    def _expect(self, step: int) -> None:
        if self._step != step:
            raise PaceError(f"General Authenticate step {step + 1} out of order")
        self._step += 1

    def encrypted_nonce(self) -> bytes:
        self._expect(0)
        return _cipher_encrypt(self.alg, self.k_pi, self.nonce)

    def map_nonce(self, pk_map_pcd: bytes) -> bytes:
        self._expect(1)
        self.pk_map = self.curve.encode(self.curve.mul(self.sk_map, self.curve.g))
        if pk_map_pcd == self.pk_map:
            raise PaceError("terminal mapping key equals the chip's")
        _, self.g_hat = map_generator(self.curve, self.nonce, self.sk_map, _decode_point(self.curve, pk_map_pcd))
        return self.pk_map

    def key_agreement(self, pk_dh_pcd: bytes) -> bytes:
        self._expect(2)
        self.pk_dh = self.curve.encode(self.curve.mul(self.sk_dh, self.g_hat))
        if pk_dh_pcd == self.pk_dh:
            raise PaceError("terminal ephemeral key equals the chip's")
        self.pk_dh_pcd = pk_dh_pcd
        shared = self.curve.mul(self.sk_dh, _decode_point(self.curve, pk_dh_pcd))
        if shared is None:
            raise PaceError("shared secret is the point at infinity")
        self.ks_enc, self.ks_mac = _session(self.alg, self.curve.fe_bytes(shared[0]))
        return self.pk_dh

    def mutual_authentication(self, t_pcd: bytes) -> tuple[bytes, SecureMessaging]:
        self._expect(3)
        if not hmac.compare_digest(t_pcd, auth_token(self.alg, self.ks_mac, self.pk_dh)):
            raise PaceError("terminal authentication token mismatch")
        self.sm = SecureMessaging(self.ks_enc, self.ks_mac, 0, self.alg.cipher)
        return auth_token(self.alg, self.ks_mac, self.pk_dh_pcd), self.sm

    def general_authenticate(self, command_data: bytes) -> bytes:
        """Map one GA command data field (7C...) to the response data field."""
        if self._step == 0:
            if command_data[:1] != b"\x7c":  # step 1 carries an empty 7C
                raise PaceError("expected dynamic authentication data 7C")
            return tlv(0x7C, tlv(0x80, self.encrypted_nonce()))
        if self._step == 1:
            return tlv(0x7C, tlv(0x82, self.map_nonce(_dyn(command_data, 0x81))))
        if self._step == 2:
            return tlv(0x7C, tlv(0x84, self.key_agreement(_dyn(command_data, 0x83))))
        token, _ = self.mutual_authentication(_dyn(command_data, 0x85))
        return tlv(0x7C, tlv(0x86, token))
