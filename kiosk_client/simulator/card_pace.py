"""Card side of PACE v2, ECDH generic mapping, AES-128 (ICAO 9303-11 sec. 4.4).

MSE:Set AT chooses the password (MRZ or CAN); four GENERAL AUTHENTICATE steps follow:
encrypted nonce, mapping, key agreement, mutual authentication tokens.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from kiosk_client.emrtd import crypto
from kiosk_client.emrtd.sm import SecureMessaging
from kiosk_client.emrtd.tlv import TlvError, decode, decode_single, tlv

from .ecc import CURVES_BY_PARAM_ID, Curve
from .lds_files import OID_PACE_ECDH_GM_AES_128, _oid

PASSWORD_MRZ, PASSWORD_CAN = 1, 2


class PaceError(Exception):
    """Carries the status word the card answers with."""

    def __init__(self, sw: int, why: str) -> None:
        super().__init__(f"{why} ({sw:04X})")
        self.sw = sw


def password_key(password_ref: int, mrz_info: str, can: str) -> bytes:
    """K_pi = KDF_pi(pi): pi is SHA-1(MRZ info) or the CAN's ASCII digits."""
    if password_ref == PASSWORD_MRZ:
        pi = hashlib.sha1(mrz_info.encode("ascii")).digest()
    else:
        pi = can.encode("ascii")
    return crypto.kdf(pi, crypto.KDF_PI, "AES128")


def _oid_value() -> bytes:
    return _oid(OID_PACE_ECDH_GM_AES_128)[2:]


def auth_token(ks_mac: bytes, curve: Curve, point) -> bytes:
    """T = CMAC(KSmac, 7F49{06 OID, 86 point})[:8] (9303-11 sec. 4.4.3.4)."""
    data = tlv(0x7F49, [tlv(0x06, _oid_value()), tlv(0x86, curve.encode(point))])
    return crypto.aes_cmac(ks_mac, data, 8)


class PaceCard:
    def __init__(self, parameter_id: int, mrz_info: str, can: str) -> None:
        self.curve = CURVES_BY_PARAM_ID[parameter_id]
        self.mrz_info, self.can = mrz_info, can
        self.reset()

    def reset(self) -> None:
        self.step = 0  # 0: no MSE yet, 1..4: next GA step expected
        self.password_ref = None
        self.nonce = self.g_mapped = self.sk_map = self.sk_eph = self.pk_eph = None

    def mse_set_at(self, data: bytes) -> None:
        try:
            dos = {o.tag: o.value for o in decode(data)}
        except TlvError:
            raise PaceError(0x6A80, "malformed MSE:Set AT") from None
        if dos.get(0x80) != _oid_value():
            self.reset()
            raise PaceError(0x6A80, "unsupported PACE protocol OID")
        ref = dos.get(0x83)
        if ref not in (bytes((PASSWORD_MRZ,)), bytes((PASSWORD_CAN,))):
            self.reset()
            raise PaceError(0x6A88, "password reference not supported")
        if 0x84 in dos and int.from_bytes(dos[0x84], "big") not in CURVES_BY_PARAM_ID:
            self.reset()
            raise PaceError(0x6A80, "unsupported domain parameters")
        self.reset()
        self.password_ref = ref[0]
        self.step = 1

    def general_authenticate(self, data: bytes) -> tuple[bytes, SecureMessaging | None]:
        """One GA step: the response data, and the secure messaging once PACE succeeded."""
        if self.step == 0:
            raise PaceError(0x6985, "GENERAL AUTHENTICATE without MSE:Set AT")
        try:
            outer = decode_single(data)
            if outer.tag != 0x7C:
                raise TlvError("not a dynamic authentication data object")
            dos = {o.tag: o.value for o in outer.children}
        except TlvError:
            self.reset()
            raise PaceError(0x6A80, "malformed GENERAL AUTHENTICATE data") from None
        step = self.step
        try:
            if step == 1:
                return self._nonce(), None
            if step == 2:
                return self._map(dos[0x81]), None
            if step == 3:
                return self._agree(dos[0x83]), None
            return self._mutual_auth(dos[0x85])
        except KeyError:
            self.reset()
            raise PaceError(0x6A80, f"data object missing in GA step {step}") from None
        except ValueError as exc:  # bad point
            self.reset()
            raise PaceError(0x6A80, str(exc)) from None

    def _nonce(self) -> bytes:
        self.nonce = secrets.token_bytes(16)
        k_pi = password_key(self.password_ref, self.mrz_info, self.can)
        z = crypto.aes_cbc_encrypt(k_pi, self.nonce)
        self.step = 2
        return tlv(0x7C, tlv(0x80, z))

    def _map(self, pk_map_pcd: bytes) -> bytes:
        c = self.curve
        pcd = c.decode(pk_map_pcd)
        self.sk_map = secrets.randbelow(c.n - 1) + 1
        pk_map_picc = c.mul(self.sk_map, c.g)
        h = c.mul(self.sk_map, pcd)
        s = int.from_bytes(self.nonce, "big")
        self.g_mapped = c.add(c.mul(s, c.g), h)
        if self.g_mapped is None:
            raise ValueError("mapped generator is the point at infinity")
        self.step = 3
        return tlv(0x7C, tlv(0x82, c.encode(pk_map_picc)))

    def _agree(self, pk_pcd: bytes) -> bytes:
        c = self.curve
        self.pk_pcd = c.decode(pk_pcd)
        self.sk_eph = secrets.randbelow(c.n - 1) + 1
        self.pk_eph = c.mul(self.sk_eph, self.g_mapped)
        if self.pk_eph == self.pk_pcd:
            raise ValueError("terminal reused the card's ephemeral key")
        shared = c.mul(self.sk_eph, self.pk_pcd)
        if shared is None:
            raise ValueError("shared secret is the point at infinity")
        k = shared[0].to_bytes(c.size, "big")
        self.ks_enc = crypto.kdf(k, crypto.KDF_ENC, "AES128")
        self.ks_mac = crypto.kdf(k, crypto.KDF_MAC, "AES128")
        self.step = 4
        return tlv(0x7C, tlv(0x84, c.encode(self.pk_eph)))

    def _mutual_auth(self, t_pcd: bytes) -> tuple[bytes, SecureMessaging]:
        expected = auth_token(self.ks_mac, self.curve, self.pk_eph)
        ks_enc, ks_mac, pk_pcd = self.ks_enc, self.ks_mac, self.pk_pcd
        self.reset()
        if not hmac.compare_digest(expected, t_pcd):
            raise PaceError(0x6300, "terminal authentication token does not verify")
        t_picc = auth_token(ks_mac, self.curve, pk_pcd)
        return tlv(0x7C, tlv(0x86, t_picc)), SecureMessaging(ks_enc, ks_mac, 0, "AES")
