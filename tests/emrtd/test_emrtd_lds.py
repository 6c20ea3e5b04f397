"""LDS parsing: EF.COM, DG1, DG2, DG13 incl. odd inputs."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk_client.emrtd import lds, lds_build
from kiosk_client.emrtd.mrz import build_td1
from kiosk_client.emrtd.tlv import tlv

H = bytes.fromhex
JPEG = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF\x00" + b"x" * 50 + b"\xff\xd9"
JP2 = b"\x00\x00\x00\x0cjP  \r\n\x87\n" + b"y" * 40


def test_ef_com_appendix_d():
    com = H("60145F0104303130375F36063034303030305C026175")
    assert lds.parse_ef_com(com) == {"lds_version": "0107", "unicode_version": "040000",
                                     "data_groups": [1, 2]}
    assert lds.parse_ef_com(lds_build.build_ef_com([1, 2, 13, 14, 15]))["data_groups"] == [1, 2, 13, 14, 15]
    with pytest.raises(lds.LdsError):
        lds.parse_ef_com(H("6102AABB"))


def test_dg1_vietnam():
    mrz = build_td1("079123456", "900215", "M", "350215", "NGUYEN", "VAN AN", optional_data_1="079090123456")
    d = lds.parse_dg1(lds_build.build_dg1(mrz))
    assert d["document_number"] == "079123456" and d["issuing_state"] == "VNM"
    assert d["optional_data"] == "079090123456" and d["check_digits_ok"]
    assert (d["primary_identifier"], d["secondary_identifier"], d["sex"]) == ("NGUYEN", "VAN AN", "M")
    assert (d["date_of_birth"], d["date_of_expiry"], d["nationality"]) == ("900215", "350215", "VNM")
    for bad in (H("6103 5F1F00".replace(" ", "")), H("6100"), b"", H("610A5F1F07FFFFFFFFFFFFFF")):
        with pytest.raises(lds.LdsError):
            lds.parse_dg1(bad)


@pytest.mark.parametrize("img,fmt,j2k", [(JPEG, "JPEG", False), (JP2, "JPEG2000", True)])
def test_dg2(img, fmt, j2k):
    faces = lds.parse_dg2(lds_build.build_dg2(img, 300, 400, jpeg2000=j2k))
    assert len(faces) == 1
    f = faces[0]
    assert (f.data, f.format, f.width, f.height) == (img, fmt, 300, 400)
    assert f.mime_type in ("image/jpeg", "image/jp2")


def test_dg2_fallbacks():
    # 7F2E block with a bare JPEG and junk before it
    dg2 = tlv(0x75, tlv(0x7F61, tlv(0x02, b"\x01") + tlv(0x7F60, tlv(0xA1, b"") + tlv(0x5F2E, b"junk" + JPEG))))
    assert lds.parse_dg2(dg2)[0].data == JPEG
    with pytest.raises(lds.LdsError):
        lds.parse_dg2(tlv(0x75, tlv(0x7F61, tlv(0x02, b"\x00"))))
    with pytest.raises(lds.LdsError):
        lds.parse_dg2(tlv(0x75, tlv(0x7F61, tlv(0x7F60, tlv(0x5F2E, b"no image here")))))


FIELDS = {
    "id_number": "079090123456", "full_name": "Nguyễn Văn An", "date_of_birth": "15/02/1990",
    "sex": "Nam", "nationality": "Việt Nam", "ethnicity": "Kinh", "religion": "Không",
    "place_of_origin": "Phường 1, Quận 3, TP Hồ Chí Minh", "place_of_residence": "12 Lê Lợi, Huế",
    "identifying_marks": "Nốt ruồi cách 2cm trên mép trái", "date_of_issue": "01/07/2021",
    "date_of_expiry": "15/02/2030", "old_id_number": "025123456",
}


def test_dg13_full():
    d = lds.parse_dg13(lds_build.build_dg13(FIELDS, "Nguyễn Văn Bình", "Trần Thị Cúc", spouse="Lê Thị Dung"))
    for k, v in FIELDS.items():
        assert d[k] == v, k
    assert (d["father_name"], d["mother_name"], d["spouse"]) == ("Nguyễn Văn Bình", "Trần Thị Cúc", "Lê Thị Dung")
    assert d["warnings"] == [] and d["extra"] == {} and d["other"] is None


def test_dg13_reordered_missing_extra_and_wrapped():
    e = lds_build.dg13_entry
    body = (e(9, "Hà Nội") + e(1, "001202000001", printable=True) + e(42, "future field")
            + e(2, "Phạm Thị Hoa") + e(13, "Phạm Văn Cha", "Lê Thị Mẹ"))
    # wrapped in a versioned SEQUENCE { INTEGER 1, SEQUENCE OF entries }
    dg13 = tlv(0x6D, tlv(0x30, tlv(0x02, b"\x01") + tlv(0x30, body)))
    d = lds.parse_dg13(dg13)
    assert d["id_number"] == "001202000001" and d["full_name"] == "Phạm Thị Hoa"
    assert d["place_of_residence"] == "Hà Nội" and d["date_of_birth"] is None
    assert (d["father_name"], d["mother_name"]) == ("Phạm Văn Cha", "Lê Thị Mẹ")
    assert d["extra"] == {42: "future field"}


def test_dg13_odd_values():
    e = lds_build.dg13_entry
    body = (
        e(1, tlv(0x02, (123).to_bytes(2, "big")))  # integer instead of string
        + e(2, tlv(0x1E, "Đỗ Thị".encode("utf-16-be")))  # BMPString
        + e(3, "1990-02-15")  # wrong date format
        + e(4, tlv(0x0C, b"\xff\xfe"))  # bad UTF-8
        + e(5, tlv(0x05, b""))  # NULL
        + e(1, "duplicate")
        + tlv(0x30, tlv(0x0C, b"no number"))  # entry without a field number
        + e(13, "Only Father")
        + e(6, tlv(0x30, b"\x0c\x05ab"))  # malformed nested value
    )
    d = lds.parse_dg13(tlv(0x6D, tlv(0x31, body)))
    assert d["id_number"] == "123" and d["full_name"] == "Đỗ Thị"
    assert d["date_of_birth"] == "1990-02-15"
    assert d["father_name"] == "Only Father" and d["mother_name"] is None
    w = " | ".join(d["warnings"])
    for needle in ("12 digits", "dd/mm/yyyy", "duplicate", "undecodable", "unexpected value type", "malformed"):
        assert needle in w, needle


@pytest.mark.parametrize("raw", [b"", b"\x6d", H("6D05"), H("6D00"), H("3000"), b"\x00" * 10, H("6D0330010A"),
                                 H("6D 03 02 01 01".replace(" ", "")), "not bytes"])
def test_dg13_garbage_never_raises(raw):
    d = lds.parse_dg13(raw)
    assert isinstance(d["warnings"], list) and d["full_name"] is None


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_dg13_fuzz(raw):
    d = lds.parse_dg13(raw)
    assert "warnings" in d


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_dg13_fuzz_mutations(data):
    blob = bytearray(lds_build.build_dg13(FIELDS, "A", "B"))
    for _ in range(data.draw(st.integers(1, 6))):
        blob[data.draw(st.integers(0, len(blob) - 1))] = data.draw(st.integers(0, 255))
    lds.parse_dg13(bytes(blob))
