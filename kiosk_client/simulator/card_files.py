"""Assembles the file system of a simulated CCCD from a profile, a test PKI and the options."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from kiosk_client.emrtd.sod import build_sod

from . import face, lds_files
from .faults import Fault
from .pki import TestPKI, open_test_pki
from .profile import Profile

# File identifiers (9303-10 table 33). EF.CardAccess sits in the MF, the others in the eMRTD app.
FID_CARD_ACCESS = 0x011C
FID_COM = 0x011E
FID_SOD = 0x011D
DG_FIDS = {1: 0x0101, 2: 0x0102, 13: 0x010D, 14: 0x010E, 15: 0x010F}
PACE_CURVES = {"brainpoolP256r1": 13, "P-256": 12}


@dataclass
class CardFiles:
    mf: dict[int, bytes]  # FID -> file content, selectable without the application
    app: dict[int, bytes]  # FID -> file content inside the eMRTD application
    dgs: dict[int, bytes]  # data group number -> content as served
    signed_dgs: dict[int, bytes]  # data group number -> content the SOD hashes were made over
    aa_key: object  # private key the card signs INTERNAL AUTHENTICATE with
    dg15_key: object  # private key whose public half is in DG15
    extra: dict = field(default_factory=dict)


def portrait(profile: Profile, target_bytes: int | None) -> tuple[bytes, int, int]:
    jpeg = Path(profile.photo).read_bytes()
    if target_bytes:
        jpeg = face.jpeg_near_size(jpeg, target_bytes)
    h, w = face.decode_jpeg(jpeg).shape[:2]
    return jpeg, w, h


def _alter(dg: int, profile: Profile, content: bytes) -> bytes:
    """Content of a data group changed after signing, still well-formed."""
    if dg == 13:
        return lds_files.dg13(profile.with_changes(full_name="Nguyễn Văn Giả", place_of_residence="Không rõ"))
    if dg == 1:
        return lds_files.dg1(profile.with_changes(full_name="Nguyen Van Gia"))
    # Flip the last byte: inside the value of any of these files.
    return content[:-1] + bytes((content[-1] ^ 0x01,))


def build_files(
    profile: Profile,
    pki: TestPKI | Path | str,
    *,
    access: str = "both",
    pace_curve: str = "brainpoolP256r1",
    aa_kind: str = "ec256",
    photo_bytes: int | None = None,
    fault: Fault | None = None,
) -> CardFiles:
    if not isinstance(pki, TestPKI):
        pki = open_test_pki(pki)
    if access not in ("bac", "pace", "both"):
        raise ValueError(f"access must be bac, pace or both, not {access!r}")
    if pace_curve not in PACE_CURVES:
        raise ValueError(f"PACE curve must be one of {', '.join(PACE_CURVES)}")
    pace_id = PACE_CURVES[pace_curve] if access in ("pace", "both") else None
    fname = fault.name if fault else None

    dg15_key = pki.aa_key(aa_kind)
    aa_key = pki.aa_key(aa_kind, clone=True) if fname == "cloned" else dg15_key
    jpeg, w, h = portrait(profile, photo_bytes)
    dgs = {
        1: lds_files.dg1(profile),
        2: lds_files.dg2(jpeg, w, h),
        13: lds_files.dg13(profile),
        14: lds_files.dg14(dg15_key.public_key(), pace_id),
        15: lds_files.dg15(dg15_key.public_key()),
    }
    if fname == "malformed_tlv":
        # Hashed as served: the reader must trip over the TLV, not over the hash.
        dgs[fault.arg] = lds_files.break_tlv_length(dgs[fault.arg])
    signed = dict(dgs)
    signer = {"unknown_csca": "unknown_ds", "expired_ds": "expired_ds"}.get(fname, "ds")
    cert, key = pki.signer(signer)
    ef_sod = build_sod(signed, key, cert.public_bytes(serialization.Encoding.DER), "sha256")
    if fname == "altered_dg":
        dgs[fault.arg] = _alter(fault.arg, profile, dgs[fault.arg])

    app = {DG_FIDS[n]: content for n, content in dgs.items()}
    app[FID_COM] = lds_files.ef_com(list(dgs))
    app[FID_SOD] = ef_sod
    mf = {}
    if pace_id is not None:
        mf[FID_CARD_ACCESS] = lds_files.card_access(pace_id)
    return CardFiles(mf=mf, app=app, dgs=dgs, signed_dgs=signed, aa_key=aa_key, dg15_key=dg15_key,
                     extra={"pace_parameter_id": pace_id, "jpeg": jpeg})
