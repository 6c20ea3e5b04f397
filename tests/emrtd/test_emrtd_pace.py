"""PACE ECDH generic mapping, ICAO 9303-11 Appendix G.1 (brainpoolP256r1, AES-128)."""
import hashlib

import pytest

from kiosk_client.emrtd import ec, pace
from kiosk_client.emrtd.apdu import CardError, CommandAPDU, ResponseAPDU
from kiosk_client.emrtd.mrz import mrz_info
from kiosk_client.emrtd.secinfo import parse_security_infos

H = bytes.fromhex

CARD_ACCESS = H("31143012060A04007F0007020204020202010202010D")
MRZ = mrz_info("T22000129", "640812", "101031")
K = H("7E2D2A41C74EA0B38CD36F863939BFA8E9032AAD")
K_PI = H("89DED1B26624EC1E634C1989302849DD")
NONCE_Z = H("95A3A016522EE98D01E76CB6B98B42C3")
NONCE_S = H("3F00C4D39D153F2B2A214A078D899B22")
SK_MAP_IFD = 0x7F4EF07B9EA82FD78AD689B38D0BC78CF21F249D953BC46F4C6E19259C010F99
PK_MAP_IFD = H("047ACF3EFC982EC45565A4B155129EFBC74650DCBFA6362D896FC70262E0C2CC5E"
               "544552DCB6725218799115B55C9BAA6D9F6BC3A9618E70C25AF71777A9C4922D")
SK_MAP_IC = 0x498FF49756F2DC1587840041839A85982BE7761D14715FB091EFA7BCE9058560
PK_MAP_IC = H("04824FBA91C9CBE26BEF53A0EBE7342A3BF178CEA9F45DE0B70AA601651FBA3F57"
              "30D8C879AAA9C9F73991E61B58F4D52EB87A0A0C709A49DC63719363CCD13C54")
H_POINT = H("0460332EF2450B5D247EF6D3868397D398852ED6E8CAF6FFEEF6BF85CA57057FD5"
            "0840CA7415BAF3E43BD414D35AA4608B93A2CAF3A4E3EA4E82C9C13D03EB7181")
G_HAT = H("048CED63C91426D4F0EB1435E7CB1D74A46723A0AF21C89634F65A9AE87A9265E2"
          "8C879506743F8611AC33645C5B985C80B5F09A0B83407C1B6A4D857AE76FE522")
SK_DH_IFD = 0xA73FB703AC1436A18E0CFA5ABB3F7BEC7A070E7A6788486BEE230C4A22762595
PK_DH_IFD = H("042DB7A64C0355044EC9DF190514C625CBA2CEA48754887122F3A5EF0D5EDD301C"
              "3556F3B3B186DF10B857B58F6A7EB80F20BA5DC7BE1D43D9BF850149FBB36462")
SK_DH_IC = 0x107CF58696EF6155053340FD633392BA81909DF7B9706F226F32086C7AFF974A
PK_DH_IC = H("049E880F842905B8B3181F7AF7CAA9F0EFB743847F44A306D2D28C1D9EC65DF6DB"
             "7764B22277A2EDDC3C265A9F018F9CB852E111B768B326904B59A0193776F094")
SHARED = H("28768D20701247DAE81804C9E780EDE582A9996DB4A315020B2733197DB84925")
KS_ENC = H("F5F0E35C0D7161EE6724EE513A0D9A7F")
KS_MAC = H("FE251C7858B356B24514B3BD5F4297D1")
T_IFD = H("C2B0BD78D94BA866")
T_IC = H("3ABB9674BCE93C08")

TRANSCRIPT = [
    ("0022C1A40F800A04007F00070202040202830101", "9000"),
    ("10860000027C0000", "7C1280" "10" + NONCE_Z.hex() + "9000"),
    ("10860000457C438141" + PK_MAP_IFD.hex() + "00", "7C438241" + PK_MAP_IC.hex() + "9000"),
    ("10860000457C438341" + PK_DH_IFD.hex() + "00", "7C438441" + PK_DH_IC.hex() + "9000"),
    ("008600000C7C0A8508" + T_IFD.hex() + "00", "7C0A8608" + T_IC.hex() + "9000"),
]


def _info():
    infos = pace.pace_infos(CARD_ACCESS)
    assert len(infos) == 1
    return infos[0]


def test_card_access_parsing():
    info = _info()
    assert info.algorithm.oid == "0.4.0.127.0.7.2.2.4.2.2"
    assert (info.algorithm.agreement, info.algorithm.mapping, info.algorithm.cipher) == ("ECDH", "GM", "AES")
    assert info.version == 2 and info.parameter_id == 13
    assert pace.choose_pace_info([info]) is info
    assert parse_security_infos(CARD_ACCESS).warnings == []


def test_password_key():
    assert hashlib.sha1(MRZ.encode()).digest() == K
    assert pace.password_key(MRZ, _info().algorithm) == K_PI


def test_curve_arithmetic_matches_example():
    c = ec.BRAINPOOL_P256R1
    assert c.encode(c.mul(SK_MAP_IFD, c.g)) == PK_MAP_IFD
    assert c.encode(c.mul(SK_MAP_IC, c.g)) == PK_MAP_IC
    h, g_hat = pace.map_generator(c, NONCE_S, SK_MAP_IFD, c.decode(PK_MAP_IC))
    assert c.encode(h) == H_POINT and c.encode(g_hat) == G_HAT
    # both sides compute the same mapping point
    assert pace.map_generator(c, NONCE_S, SK_MAP_IC, c.decode(PK_MAP_IFD))[1] == g_hat
    assert c.encode(c.mul(SK_DH_IFD, g_hat)) == PK_DH_IFD
    assert c.encode(c.mul(SK_DH_IC, g_hat)) == PK_DH_IC
    assert c.fe_bytes(c.mul(SK_DH_IFD, c.decode(PK_DH_IC))[0]) == SHARED


def test_auth_tokens():
    alg = _info().algorithm
    assert pace.auth_token(alg, KS_MAC, PK_DH_IC) == T_IFD
    assert pace.auth_token(alg, KS_MAC, PK_DH_IFD) == T_IC


def _scripted(transcript, sent):
    steps = iter(transcript)

    def send(cmd: CommandAPDU) -> ResponseAPDU:
        expect, resp = next(steps)
        sent.append(cmd.encode().hex().upper())
        assert cmd.encode() == H(expect)
        return ResponseAPDU.decode(H(resp))

    return send


def test_terminal_reproduces_appendix_g1_transcript():
    sent = []
    term_info = _info()
    term = pace.PaceTerminal(term_info, MRZ, pace.PWD_MRZ, SK_MAP_IFD, SK_DH_IFD)
    send = _scripted(TRANSCRIPT, sent)
    send(term.mse_set_at()).check()
    r = send(term.step1_command())
    r = send(term.step2_command(r.data))
    assert term.nonce == NONCE_S and term.encrypted_nonce == NONCE_Z
    r = send(term.step3_command(r.data))
    assert term.curve.encode(term.h) == H_POINT and term.curve.encode(term.g_hat) == G_HAT
    r = send(term.step4_command(r.data))
    assert term.shared_secret == SHARED
    assert (term.ks_enc, term.ks_mac, term.t_pcd) == (KS_ENC, KS_MAC, T_IFD)
    sm = term.finish(r.data)
    assert term.t_ic == T_IC
    assert (sm.ks_enc, sm.ks_mac, sm.ssc, sm.cipher) == (KS_ENC, KS_MAC, 0, "AES")
    assert len(sent) == 5


def test_perform_pace_and_parameter_id_option():
    sent = []
    transcript = [("0022C1A412800A04007F0007020204020283010184010D", "9000")] + TRANSCRIPT[1:]
    sm = pace.perform_pace(_scripted(transcript, sent), _info(), MRZ, include_parameter_id=True,
                           sk_map=SK_MAP_IFD, sk_dh=SK_DH_IFD)
    assert sm.ks_enc == KS_ENC
    # First protected command after PACE: SELECT eMRTD application with SSC=1 (AES SM).
    # Cross-check vector from an independent implementation (not printed in 9303 itself).
    prot = sm.protect_command(CommandAPDU(0, 0xA4, 4, 0x0C, H("A0000002471001")))
    assert prot.encode() == H("0CA4040C1D871101752F676B09FAC86A87D632749A49C7CC8E08C18BA1FCE707BD9F00")
    assert sm.unprotect_response(H("990290008E08BEA7B381C494A0799000")).ok


def test_chip_side_reproduces_appendix_g1():
    chip = pace.PaceChip(_info(), MRZ, nonce=NONCE_S, sk_map=SK_MAP_IC, sk_dh=SK_DH_IC)
    assert chip.general_authenticate(H("7C00")) == H(TRANSCRIPT[1][1][:-4])
    assert chip.general_authenticate(H("7C438141") + PK_MAP_IFD) == H(TRANSCRIPT[2][1][:-4])
    assert chip.general_authenticate(H("7C438341") + PK_DH_IFD) == H(TRANSCRIPT[3][1][:-4])
    assert chip.general_authenticate(H("7C0A8508") + T_IFD) == H(TRANSCRIPT[4][1][:-4])
    assert chip.sm.ks_enc == KS_ENC


@pytest.mark.parametrize("oid,pid", [("0.4.0.127.0.7.2.2.4.2.2", 12), ("0.4.0.127.0.7.2.2.4.2.1", 13),
                                     ("0.4.0.127.0.7.2.2.4.2.4", 13), ("0.4.0.127.0.7.2.2.4.2.3", 15)])
@pytest.mark.parametrize("pwd_type,password", [(pace.PWD_MRZ, MRZ), (pace.PWD_CAN, "123456")])
def test_roundtrip_terminal_chip(oid, pid, pwd_type, password):
    info = pace.PaceInfo(pace.pace_algorithm(oid), 2, pid)
    chip = pace.PaceChip(info, password, pwd_type)

    def send(cmd: CommandAPDU) -> ResponseAPDU:
        if cmd.ins == 0x22:
            return ResponseAPDU()
        try:
            return ResponseAPDU(chip.general_authenticate(cmd.data))
        except pace.PaceError:
            return ResponseAPDU.from_sw(0x6300)

    sm = pace.perform_pace(send, info, password, pwd_type)
    assert sm.ks_enc == chip.sm.ks_enc and sm.cipher == info.algorithm.cipher
    cmd = sm.protect_command(CommandAPDU(0, 0xB0, 0, 0, le=4))
    assert chip.sm.unprotect_command(cmd).le == 4


def test_wrong_password_fails():
    info = _info()
    chip = pace.PaceChip(info, MRZ)

    def send(cmd):
        if cmd.ins == 0x22:
            return ResponseAPDU()
        try:
            return ResponseAPDU(chip.general_authenticate(cmd.data))
        except pace.PaceError:
            return ResponseAPDU.from_sw(0x6300)

    with pytest.raises(CardError) as ei:
        pace.perform_pace(send, info, mrz_info("T22000129", "640812", "101030"))
    assert ei.value.sw == 0x6300


def test_rejects_invalid_points_and_bad_data():
    info = _info()
    term = pace.PaceTerminal(info, MRZ, sk_map=SK_MAP_IFD, sk_dh=SK_DH_IFD)
    term.step2_command(H("7C128010") + NONCE_Z)
    bad = bytearray(PK_MAP_IC)
    bad[-1] ^= 1
    with pytest.raises(pace.PaceError):
        term.step3_command(H("7C438241") + bytes(bad))
    with pytest.raises(pace.PaceError):
        term.step3_command(H("7C438241") + PK_MAP_IFD)  # reflected key
    with pytest.raises(pace.PaceError):
        pace.PaceTerminal(info, MRZ).step2_command(H("7C02"))
    with pytest.raises(pace.PaceError):
        pace.PaceTerminal(info, MRZ).step2_command(H("6F00"))
    assert pace.pace_algorithm("0.4.0.127.0.7.2.2.4.9.9") is None
    assert pace.pace_infos(H("3100")) == []
    assert pace.pace_infos(b"\xff\x00garbage") == []
    unsupported = pace.PaceInfo(pace.pace_algorithm("0.4.0.127.0.7.2.2.4.1.2"), 2, 0)
    assert pace.choose_pace_info([unsupported]) is None
