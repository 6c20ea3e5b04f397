"""Helpers for the eMRTD tests: a throw-away PKI and a minimal in-memory card.

The real card simulator lives in kiosk_client/simulator; this fake only
implements what reader.py needs, with the library's own card-side helpers.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from kiosk_client.emrtd import bac, chip_auth, pace
from kiosk_client.emrtd.active_auth import sign_active_auth
from kiosk_client.emrtd.apdu import CommandAPDU, ResponseAPDU
from kiosk_client.emrtd.sm import SecureMessaging, SMError
from kiosk_client.emrtd.tlv import TlvError, decode_single, tlv

NOW = dt.datetime.now(dt.UTC)


def name(cn: str, country: str = "VN") -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, country),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Test Ministry"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_cert(subject_key, subject: x509.Name, issuer_key, issuer: x509.Name, *, ca: bool,
              not_before=None, not_after=None, key_usage: str | None = None, pss: bool = False) -> bytes:
    from cryptography.hazmat.primitives.asymmetric import padding

    nb = not_before or NOW - dt.timedelta(days=30)
    na = not_after or NOW + dt.timedelta(days=3650)
    ku = key_usage or ("cert" if ca else "sig")
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
         .public_key(subject_key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(nb).not_valid_after(na)
         .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None), critical=True)
         .add_extension(x509.KeyUsage(digital_signature=ku == "sig", content_commitment=False,
                                      key_encipherment=False, data_encipherment=False, key_agreement=False,
                                      key_cert_sign=ku == "cert", crl_sign=ku == "cert", encipher_only=False,
                                      decipher_only=False), critical=True)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(subject_key.public_key()), critical=False)
         .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
                        critical=False))
    if pss and isinstance(issuer_key, rsa.RSAPrivateKey):
        cert = b.sign(issuer_key, hashes.SHA256(),
                      rsa_padding=padding.PSS(padding.MGF1(hashes.SHA256()), padding.PSS.DIGEST_LENGTH))
    else:
        cert = b.sign(issuer_key, hashes.SHA256())
    return cert.public_bytes(serialization.Encoding.DER)


@dataclass
class Pki:
    csca_key: object
    csca_der: bytes
    ds_key: object
    ds_der: bytes
    ec_csca_key: object
    ec_csca_der: bytes
    ec_ds_key: object
    ec_ds_der: bytes


def make_pki() -> Pki:
    csca_key = rsa.generate_private_key(65537, 2048)
    csca_der = make_cert(csca_key, name("CSCA VN"), csca_key, name("CSCA VN"), ca=True)
    ds_key = rsa.generate_private_key(65537, 2048)
    ds_der = make_cert(ds_key, name("DS 1"), csca_key, name("CSCA VN"), ca=False, pss=True)
    ec_csca_key = ec.generate_private_key(ec.BrainpoolP256R1())
    ec_csca_der = make_cert(ec_csca_key, name("CSCA VN EC"), ec_csca_key, name("CSCA VN EC"), ca=True)
    ec_ds_key = ec.generate_private_key(ec.SECP256R1())
    ec_ds_der = make_cert(ec_ds_key, name("DS EC"), ec_csca_key, name("CSCA VN EC"), ca=False)
    return Pki(csca_key, csca_der, ds_key, ds_der, ec_csca_key, ec_csca_der, ec_ds_key, ec_ds_der)


# ------------------------------------------------------------------ fake card

AID = bytes.fromhex("A0000002471001")


class FakeCard:
    """Just enough of an eMRTD for reader tests (CardTransport)."""

    def __init__(self, files: dict[int, bytes], mrz_information: str, *, card_access: bytes | None = None,
                 pace_password: str | None = None, aa_key=None, aa_hash: str = "sha256",
                 atr_info: bytes | None = None, short_read_sw: int = 0x9000, break_pace: bool = False,
                 ca_key=None, ca_oid: str | None = None) -> None:
        self.files = files
        self.mrz = mrz_information
        self.card_access = card_access
        self.pace_password = pace_password or mrz_information
        self.aa_key, self.aa_hash = aa_key, aa_hash
        self.atr_info = atr_info
        self.short_read_sw = short_read_sw
        self.break_pace = break_pace
        self.sm: SecureMessaging | None = None
        self.applet = False
        self.selected: bytes | None = None
        self.rnd_ic: bytes | None = None
        self.pace_chip: pace.PaceChip | None = None
        self.log: list[CommandAPDU] = []  # plain (unwrapped) commands
        self.ca_key, self.ca_oid = ca_key, ca_oid
        self._ca_pending = False
        self._next_sm: SecureMessaging | None = None

    def transmit(self, raw: bytes) -> bytes:
        cmd = CommandAPDU.decode(raw)
        if self.sm is not None:
            if cmd.cla & 0x0C != 0x0C:
                self.sm = None
                return b"\x69\x88"
            try:
                plain = self.sm.unprotect_command(cmd)
            except SMError:
                self.sm = None
                return b"\x69\x88"
            self.log.append(plain)
            resp = self.handle(plain)
            if self.sm is None:  # session closed while handling
                return resp.encode()
            out = self.sm.protect_response(resp, odd_ins=bool(plain.ins & 1)).encode()
            if self._next_sm is not None:  # Chip Authentication: new keys from the next command on
                self.sm, self._next_sm = self._next_sm, None
            return out
        self.log.append(cmd)
        return self.handle(cmd).encode()

    def _sw(self, sw: int) -> ResponseAPDU:
        return ResponseAPDU.from_sw(sw)

    def handle(self, c: CommandAPDU) -> ResponseAPDU:
        if c.ins == 0xA4:
            return self._select(c)
        if c.ins in (0xB0, 0xB1):
            return self._read(c)
        if c.ins == 0x84:
            self.rnd_ic = os.urandom(8)
            return ResponseAPDU(self.rnd_ic)
        if c.ins == 0x82:
            kenc, kmac = bac.bac_keys(self.mrz)
            try:
                data, self._pending_sm = bac.bac_card_response(kenc, kmac, self.rnd_ic or b"", c.data)
            except bac.BacError:
                return self._sw(0x6300)
            self.sm = self._pending_sm
            return ResponseAPDU(data)
        if c.ins == 0x22 and c.p1 == 0x41 and self.ca_key is not None and self.sm is not None:
            obj = decode_single(c.data, strict=False)  # 91 (KAT) or 80 (AT) comes first
            if c.p2 == 0xA6:  # MSE:Set KAT, 3DES
                self._next_sm = chip_auth.chip_auth_card_session(self.ca_key, obj.value, self.ca_oid)
            else:  # MSE:Set AT, then General Authenticate
                self._ca_pending = True
            return self._sw(0x9000)
        if c.ins == 0x86 and self._ca_pending:
            self._ca_pending = False
            pk = decode_single(decode_single(c.data).value).value
            self._next_sm = chip_auth.chip_auth_card_session(self.ca_key, pk, self.ca_oid)
            return ResponseAPDU(b"\x7c\x00")
        if c.ins == 0x22:
            if self.card_access is None:
                return self._sw(0x6A80)
            info = pace.choose_pace_info(pace.pace_infos(self.card_access))
            pwd_type = c.data[c.data.index(0x83) + 2]
            self.pace_chip = pace.PaceChip(info, self.pace_password, pwd_type)
            return self._sw(0x9000)
        if c.ins == 0x86:
            if self.pace_chip is None or self.break_pace:
                return self._sw(0x6985)
            try:
                data = self.pace_chip.general_authenticate(c.data)
            except (pace.PaceError, TlvError):
                self.pace_chip = None
                return self._sw(0x6300)
            if self.pace_chip.sm is not None:
                self.sm = self.pace_chip.sm
                self.applet = False
            return ResponseAPDU(data)
        if c.ins == 0x88:
            if self.aa_key is None:
                return self._sw(0x6D00)
            return ResponseAPDU(sign_active_auth(self.aa_key, c.data, self.aa_hash))
        return self._sw(0x6D00)

    def _select(self, c: CommandAPDU) -> ResponseAPDU:
        if c.p1 == 0x04:
            if c.data != AID:
                return self._sw(0x6A82)
            self.applet, self.selected = True, None
            return self._sw(0x9000)
        if c.p1 == 0x00:
            self.applet, self.selected = False, None
            return self._sw(0x9000)
        fid = int.from_bytes(c.data, "big")
        if fid == 0x011C and self.card_access is not None:
            self.selected = self.card_access
            return self._sw(0x9000)
        if not self.applet or fid not in self.files:
            return self._sw(0x6A82)
        if self.sm is None:
            return self._sw(0x6982)
        self.selected = self.files[fid]
        return self._sw(0x9000)

    def _read(self, c: CommandAPDU) -> ResponseAPDU:
        if c.ins == 0xB0 and c.p1 & 0x80:
            sfi = c.p1 & 0x1F
            data = {0x1C: self.card_access, 0x01: self.atr_info}.get(sfi)
            if data is None:
                return self._sw(0x6A82)
            offset = c.p2
        elif c.ins == 0xB0:
            data, offset = self.selected, (c.p1 << 8) | c.p2
        else:
            do54 = decode_single(c.data)
            data, offset = self.selected, int.from_bytes(do54.value, "big")
        if data is None:
            return self._sw(0x6986)
        if offset >= len(data):
            return self._sw(0x6B00)
        chunk = data[offset:offset + c.le]
        sw = self.short_read_sw if len(chunk) < c.le else 0x9000
        if c.ins == 0xB1:
            chunk = tlv(0x53, chunk)
        return ResponseAPDU.from_sw(sw, chunk)


def sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()
