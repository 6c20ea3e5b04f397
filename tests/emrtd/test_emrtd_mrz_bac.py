"""MRZ check digits / TD1 parsing and BAC, ICAO 9303-11 Appendix D.2-D.4."""
import pytest

from kiosk_client.emrtd import bac, mrz
from kiosk_client.emrtd.apdu import CommandAPDU, ResponseAPDU

H = bytes.fromhex

SPECIMEN = "I<UTOD231458907<<<<<<<<<<<<<<<\n7408122F1204159UTO<<<<<<<<<<<6\nERIKSSON<<ANNA<MARIA<<<<<<<<<<"
LONG = "I<UTOD23145890<7349<<<<<<<<<<<3407127M9507122UTO<<<<<<<<<<<2STEVENSON<<PETER<JOHN<<<<<<<<<"


@pytest.mark.parametrize("data,cd", [("L898902C<", "3"), ("690806", "1"), ("940623", "6"),
                                     ("D23145890", "7"), ("D23145890734", "9"), ("520727", "3"),
                                     ("<<<<<", "0"), ("AB2134", "5")])
def test_check_digit(data, cd):
    assert mrz.check_digit(data) == cd


def test_check_digit_rejects_lowercase():
    with pytest.raises(mrz.MrzError):
        mrz.check_digit("abc")


def test_parse_td1_specimen():
    m = mrz.parse_td1(SPECIMEN)
    assert m.valid
    assert (m.document_code, m.issuing_state, m.document_number) == ("I", "UTO", "D23145890")
    assert (m.date_of_birth, m.sex, m.date_of_expiry, m.nationality) == ("740812", "F", "120415", "UTO")
    assert (m.primary_identifier, m.secondary_identifier) == ("ERIKSSON", "ANNA MARIA")
    assert m.mrz_info() == "D23145890774081221204159"


def test_parse_td1_long_document_number():
    m = mrz.parse_td1(LONG)
    assert m.valid and m.document_number == "D23145890734"
    assert m.mrz_info() == "D23145890734934071279507122"


def test_parse_td1_bad_check_digit_and_length():
    bad = SPECIMEN.replace("7408122F", "7408123F")
    m = mrz.parse_td1(bad)
    assert not m.checks["date_of_birth"] and not m.valid
    with pytest.raises(mrz.MrzError):
        mrz.parse_td1(SPECIMEN[:-1])
    with pytest.raises(mrz.MrzError):
        mrz.parse_td1(SPECIMEN.lower())


def test_build_td1_roundtrip_vietnam():
    text = mrz.build_td1("079123456", "900215", "M", "350215", "NGUYEN", "VAN AN",
                         optional_data_1="079090123456")
    m = mrz.parse_td1(text)
    assert m.valid and m.issuing_state == "VNM" and m.document_number == "079123456"
    assert m.optional_data_1 == "079090123456" and m.secondary_identifier == "VAN AN"
    long = mrz.parse_td1(mrz.build_td1("AB1234567890", "900215", "F", "350215", "LE", "THI"))
    assert long.valid and long.document_number == "AB1234567890"


def test_mrz_info_short_and_long():
    assert mrz.mrz_info("L898902C", "690806", "940623") == "L898902C<369080619406236"
    assert mrz.mrz_info("D23145890734", "340712", "950712") == "D23145890734934071279507122"
    with pytest.raises(mrz.MrzError):
        mrz.mrz_info("L898902C", "6908", "940623")


# --------------------------------------------------------------- BAC, Appendix D
MRZ_INFO = "L898902C<369080619406236"
RND_IC = H("4608F91988702212")
RND_IFD = H("781723860C06C226")
K_IFD = H("0B795240CB7049B01C19B33E32804F0B")
K_IC = H("0B4F80323EB3191CB04970CB4052790B")
CMD = H("72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F25F1448EEA8AD90A7")
RESP = H("46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F2F2D235D074D7449")


def test_bac_appendix_d_keys():
    assert bac.key_seed(MRZ_INFO) == H("239AB9CB282DAF66231DC5A4DF6BFBAE")
    assert bac.bac_keys(MRZ_INFO) == (H("AB94FDECF2674FDFB9B391F85D7F76F2"),
                                      H("7962D9ECE03D1ACD4C76089DCE131543"))


def test_bac_appendix_d_mutual_auth():
    t = bac.BacTerminal(MRZ_INFO, RND_IC, RND_IFD, K_IFD)
    assert t.command_data() == CMD
    sm = t.finish(RESP)
    assert sm.ks_enc == H("979EC13B1CBFE9DCD01AB0FED307EAE5")
    assert sm.ks_mac == H("F1CB1F1FB5ADF208806B89DC579DC1F8")
    assert sm.ssc_bytes == H("887022120C06C226")
    # and the D.4 SELECT EF.COM that follows
    assert sm.protect_command(CommandAPDU.decode(H("00A4020C02011E"))).encode() == H(
        "0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800")


def test_bac_appendix_d_card_side():
    kenc, kmac = bac.bac_keys(MRZ_INFO)
    resp, card_sm = bac.bac_card_response(kenc, kmac, RND_IC, CMD, K_IC)
    assert resp == RESP
    assert card_sm.ssc_bytes == H("887022120C06C226")
    assert card_sm.ks_enc == H("979EC13B1CBFE9DCD01AB0FED307EAE5")


def test_bac_rejects_wrong_mrz_and_tampering():
    t = bac.BacTerminal("L898902C<369080619406237", RND_IC, RND_IFD, K_IFD)
    with pytest.raises(bac.BacError):
        t.finish(RESP)
    t = bac.BacTerminal(MRZ_INFO, RND_IC, RND_IFD, K_IFD)
    with pytest.raises(bac.BacError):
        t.finish(RESP[:-1])
    kenc, kmac = bac.bac_keys(MRZ_INFO)
    with pytest.raises(bac.BacError):
        bac.bac_card_response(kenc, kmac, H("0000000000000000"), CMD)


def test_perform_bac_against_card_helper():
    kenc, kmac = bac.bac_keys(MRZ_INFO)
    state = {}

    def send(cmd: CommandAPDU) -> ResponseAPDU:
        if cmd.ins == 0x84:
            state["rnd"] = RND_IC
            return ResponseAPDU(RND_IC)
        assert cmd.ins == 0x82 and cmd.le == 40
        data, state["sm"] = bac.bac_card_response(kenc, kmac, state["rnd"], cmd.data)
        return ResponseAPDU(data)

    sm = bac.perform_bac(send, MRZ_INFO)
    assert sm.ks_enc == state["sm"].ks_enc and sm.ssc == state["sm"].ssc


def test_vn_document_number():
    assert mrz.vn_document_number("079090123456") == "090123456"
    with pytest.raises(mrz.MrzError):
        mrz.vn_document_number("12345")
