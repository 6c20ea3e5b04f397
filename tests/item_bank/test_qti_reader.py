"""Reading QTI 3.0 and 2.1 items written by other tools (hand-written samples in qti_samples/)."""
import base64
import hashlib
import html
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from item_bank.model import CognitiveLevel
from item_bank.qti import QtiError, read_item, read_package
from item_bank.qti.meta import FoundMetadata

SAMPLES = Path(__file__).parent / "qti_samples"
DEFAULTS = {"subject": "math", "grade": 12}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(13)


def read(name, defaults=DEFAULTS, **kwargs):
    return read_item((SAMPLES / name).read_bytes(), file=name, defaults=defaults, **kwargs).item


def item_xml(body, declarations="", processing="", root_attrs=""):
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<qti-assessment-item xmlns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0" identifier="x1" title="T" {root_attrs}>
  {declarations}
  <qti-outcome-declaration identifier="SCORE" cardinality="single" base-type="float"/>
  <qti-item-body>{body}</qti-item-body>
  {processing}
</qti-assessment-item>""".encode()


CHOICE_DECL = """<qti-response-declaration identifier="RESPONSE" cardinality="single" base-type="identifier">
  <qti-correct-response><qti-value>A</qti-value></qti-correct-response></qti-response-declaration>"""


def choice_body(stem, options='<qti-simple-choice identifier="A">a</qti-simple-choice>'
                              '<qti-simple-choice identifier="B">b</qti-simple-choice>'):
    return f'{stem}<qti-choice-interaction response-identifier="RESPONSE" max-choices="1">{options}' \
           "</qti-choice-interaction>"


# --- QTI 3.0 ------------------------------------------------------------------------------------

def test_qti3_single_choice_drops_feedback_and_keeps_latex():
    item = read("qti3_choice.xml")
    assert item.identifier == "q3-choice-cuc-dai"
    assert item.title == "Cực đại của hàm bậc ba"
    assert item.content.type == "single_choice"
    assert item.content.stem == r"<p>Cho hàm số \(y = x^3 - 3x + 1\). Hàm số đạt cực đại tại điểm nào?</p>"
    assert item.content.body["shuffle"] is True
    assert [o["id"] for o in item.content.body["options"]] == ["A", "B", "C", "D"]
    assert item.content.body["options"][1]["html"] == r"\(x = -1\)"      # feedback inline dropped
    assert item.content.body["options"][3]["fixed"] is True
    assert item.content.key == {"correct": "B"}
    assert item.metadata.language == "vi"


def test_qti3_multiple_response_with_map_response_is_partial():
    item = read("qti3_multiple_map.xml")
    assert item.content.type == "multiple_response"
    assert item.content.stem == "Những số nào là số nguyên tố?"      # from the prompt
    assert item.content.key == {"correct": ["p2", "p3"], "scoring": "partial"}
    assert item.content.body["options"][2]["html"] == "4 &amp; 6 &lt; 7"
    assert item.metadata.language == "vi"                              # from xml:lang="vi-VN"


def test_qti3_inline_text_entry_becomes_text_entry_with_a_blank():
    item = read("qti3_text_entry_inline.xml")
    assert item.content.type == "text_entry"
    assert item.content.stem == "<p>Thủ đô của Việt Nam là _____.</p>"
    assert item.content.key == {"accepted": ["Hà Nội", "Thành phố Hà Nội"], "match": "normalised"}
    assert item.content.body == {"expected_length": 15}


def test_qti3_float_text_entry_is_numeric_with_tolerance_from_equal():
    item = read("qti3_numeric_tolerance.xml")
    assert item.content.type == "numeric"
    assert item.content.key == {"value": 9.8, "tolerance": 0.05, "tolerance_mode": "absolute"}
    assert item.content.body["max_chars"] == 4
    assert "qti-" not in item.content.stem


def test_qti3_extended_text_takes_the_scorer_rubric():
    item = read("qti3_extended_rubric.xml")
    assert item.content.type == "extended_text"
    assert "rubric" not in item.content.stem and "Bài viết đủ" not in item.content.stem
    rubric = item.content.key["rubric"]
    assert len(rubric) == 1
    assert rubric[0]["max_points"] == 4
    assert rubric[0]["description"] == "Bài viết đủ ba phần; lập luận chặt chẽ; dẫn chứng phù hợp."
    assert item.content.body == {"expected_words": 200}


def test_qti3_order():
    item = read("qti3_order.xml")
    assert item.content.type == "ordering"
    assert item.content.key == {"order": ["e1945", "e1954", "e1975"], "scoring": "all_or_nothing"}
    assert item.content.body["shuffle"] is True


def test_qti3_match_is_matching_with_partial_scoring():
    item = read("qti3_match.xml")
    assert item.content.type == "matching"
    assert item.content.key == {"pairs": {"w1": "a2", "w2": "a1"}, "scoring": "partial"}
    assert [t["id"] for t in item.content.body["targets"]] == ["a1", "a2", "a3"]
    assert item.content.body["sources"][0]["html"] == "<em>Truyện Kiều</em>"


def test_qti3_four_by_true_false_match_is_a_true_false_cluster():
    item = read("qti3_tf_match.xml")
    assert item.content.type == "true_false_cluster"
    assert [s["id"] for s in item.content.body["statements"]] == ["a", "b", "c", "d"]
    assert item.content.key == {"values": {"a": True, "b": False, "c": False, "d": True}}


def test_true_false_targets_with_three_statements_stay_matching():
    xml = (SAMPLES / "qti3_tf_match.xml").read_text(encoding="utf-8")
    start = xml.index('<qti-simple-associable-choice identifier="d"')
    xml = xml[:start] + xml[xml.index("</qti-simple-associable-choice>", start) + 31:]
    xml = xml.replace("<qti-value>d T</qti-value>", "")
    item = read_item(xml.encode(), defaults=DEFAULTS).item
    assert item.content.type == "matching"
    assert item.content.key["pairs"] == {"a": "T", "b": "F", "c": "F"}


def test_our_marker_decides_between_matching_and_true_false_cluster():
    data = (SAMPLES / "qti3_tf_match.xml").read_bytes()
    as_matching = read_item(data, defaults=DEFAULTS, found=FoundMetadata(item_type="matching")).item
    assert as_matching.content.type == "matching"
    marked = FoundMetadata(item_type="true_false_cluster")
    wrong = (SAMPLES / "qti3_match.xml").read_bytes()
    with pytest.raises(QtiError, match="targets are not T and F"):
        read_item(wrong, defaults=DEFAULTS, found=marked)


@pytest.mark.parametrize("interaction", [
    "qti-hotspot-interaction", "qti-graphic-order-interaction", "qti-upload-interaction",
    "qti-drawing-interaction", "qti-gap-match-interaction", "qti-inline-choice-interaction",
    "qti-slider-interaction", "qti-portable-custom-interaction"])
def test_unsupported_interactions_are_named(interaction):
    body = f'<p>x</p><qti-{interaction[4:]} response-identifier="RESPONSE"/>'
    with pytest.raises(QtiError) as caught:
        read_item(item_xml(body, CHOICE_DECL), defaults=DEFAULTS)
    assert caught.value.reason == f"unsupported interaction: {interaction}"


def test_hotspot_sample_is_unsupported():
    with pytest.raises(QtiError, match="^unsupported interaction: qti-hotspot-interaction$"):
        read("qti3_hotspot.xml")


def test_two_interactions_are_refused():
    body = choice_body("<p>x</p>") + choice_body("")
    with pytest.raises(QtiError, match="composite"):
        read_item(item_xml(body, CHOICE_DECL), defaults=DEFAULTS)


def test_missing_subject_or_grade_without_default_is_an_error():
    data = (SAMPLES / "qti3_choice.xml").read_bytes()
    with pytest.raises(QtiError, match="no subject"):
        read_item(data)
    with pytest.raises(QtiError, match="no grade"):
        read_item(data, defaults={"subject": "math"})
    with pytest.raises(QtiError, match="unknown subject"):
        read_item(data, defaults={"subject": "astrology", "grade": 10})


def test_metadata_from_found_wins_over_defaults():
    found = FoundMetadata(fields={"subject": "physics", "grade": "11", "cognitive_level": "van_dung",
                                  "difficulty": "0.75", "tags": ["cơ học"], "topic": "Động lực học"})
    item = read("qti3_choice.xml", defaults={"subject": "math", "grade": 12, "author": "GV"}, found=found)
    meta = item.metadata
    assert (meta.subject, meta.grade, meta.cognitive_level) == ("physics", 11, CognitiveLevel.VAN_DUNG)
    assert (meta.difficulty, meta.tags, meta.topic, meta.author) == (0.75, ["cơ học"], "Động lực học", "GV")


def test_invalid_item_is_an_error_with_the_field():
    body = choice_body("<p>x</p>", '<qti-simple-choice identifier="A">a</qti-simple-choice>')
    with pytest.raises(QtiError, match=r"invalid item \(body.options\)"):
        read_item(item_xml(body, CHOICE_DECL), defaults=DEFAULTS)


def test_unsafe_html_in_an_item_is_an_error_not_a_silent_import():
    body = choice_body('<p onclick="steal()">x</p>')
    with pytest.raises(QtiError, match="invalid item.*Event handler"):
        read_item(item_xml(body, CHOICE_DECL), defaults=DEFAULTS)


def test_not_an_item():
    with pytest.raises(QtiError, match="not a QTI 3.0 or 2.1 assessment item"):
        read_item(b'<assessmentTest xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1"/>')
    with pytest.raises(QtiError, match="without namespace"):
        read_item(b"<qti-assessment-item/>")


# --- images -------------------------------------------------------------------------------------

def test_images_are_read_from_the_package_hashed_and_rewritten():
    body = choice_body('<p><img src="../img/f%C3%ACg.png" alt="hình"/></p>')
    files = {"items/img/fìg.png": PNG} | {"img/fìg.png": PNG}
    imported = read_item(item_xml(body, CHOICE_DECL), file="items/q/item.xml", read_file=files.__getitem__,
                         defaults=DEFAULTS)
    name = hashlib.sha256(PNG).hexdigest() + ".png"
    assert imported.media == {name: PNG}
    assert imported.item.content.stem == f'<p><img src="/media/{name}" alt="hình"></p>'
    assert imported.file == "items/q/item.xml"


def test_object_images_of_qti2_tools_become_img():
    body = choice_body('<p><object type="image/png" data="a.png">Sơ đồ</object></p>')
    imported = read_item(item_xml(body, CHOICE_DECL), read_file={"a.png": PNG}.__getitem__, defaults=DEFAULTS)
    assert '<img src="/media/' in imported.item.content.stem
    assert 'alt="Sơ đồ"' in imported.item.content.stem


def test_embedded_data_uri_images_are_stored():
    uri = "data:image/png;base64," + base64.b64encode(PNG).decode()
    imported = read_item(item_xml(choice_body(f'<p><img src="{uri}"/></p>'), CHOICE_DECL), defaults=DEFAULTS)
    assert list(imported.media.values()) == [PNG]


@pytest.mark.parametrize(("src", "reason"), [
    ("http://tracker.example/x.png", "not inside the package"),
    ("/etc/passwd", "not inside the package"),
    ("../../secret.png", "points outside the package"),
    ("missing.png", "missing from the package"),
    ("doc.svg", "unsupported image type"),
    ("fake.png", "is not a valid image/png file"),
])
def test_bad_image_references_are_errors(src, reason):
    files = {"fake.png": b"<html>not an image</html>", "doc.svg": b"<svg/>"}
    with pytest.raises(QtiError, match=reason):
        read_item(item_xml(choice_body(f'<p><img src="{src}"/></p>'), CHOICE_DECL), file="item.xml",
                  read_file=files.__getitem__, defaults=DEFAULTS)


# --- QTI 2.1 ------------------------------------------------------------------------------------

def test_qti21_moodle_style_multiple_choice():
    item = read("qti21_moodle_multichoice.xml", defaults={"subject": "chemistry", "grade": 10, "language": "en"})
    assert item.identifier == "moodle_q_1042"
    assert item.content.type == "multiple_response"
    assert item.content.key == {"correct": ["i1042_a1", "i1042_a3"], "scoring": "partial"}
    assert [o["html"] for o in item.content.body["options"]] == ["<p>Na</p>", "<p>Mg</p>", "<p>K</p>", "<p>Al</p>"]
    assert "Which of the following are alkali metals?" in item.content.stem
    assert item.metadata.language == "en"


def test_qti21_tao_choice_with_image_prompt_and_cdata():
    path = "items/i-choice/qti.xml"
    data = (SAMPLES / "tao_package" / path).read_bytes()
    imported = read_item(data, file=path, read_file={"items/i-choice/images/do thi.png": PNG}.__getitem__,
                         defaults=DEFAULTS)
    item = imported.item
    assert item.content.type == "single_choice"
    assert item.content.key == {"correct": "choice_2"}
    assert item.content.body["options"][3] == {"id": "choice_4", "html": "Không tồn tại", "fixed": True}
    assert "Điểm cực đại của đồ thị hàm số là" in item.content.stem
    assert r"\(y = x^3 - 3x\)" in item.content.stem
    assert len(imported.media) == 1 and "/media/" in item.content.stem
    assert "stylesheet" not in item.content.stem


def test_qti21_equal_rounded_gives_a_tolerance():
    data = (SAMPLES / "tao_package/items/i-numeric/qti.xml").read_bytes()
    item = read_item(data, defaults=DEFAULTS).item
    assert item.content.type == "numeric"
    assert item.content.key["value"] == 2.45
    assert item.content.key["tolerance"] == pytest.approx(0.005)


def test_qti21_associate_becomes_matching():
    data = (SAMPLES / "tao_package/items/i-assoc/qti.xml").read_bytes()
    item = read_item(data, defaults=DEFAULTS).item
    assert item.content.type == "matching"
    assert item.content.key == {"pairs": {"water": "H2O", "salt": "NaCl"}, "scoring": "partial"}
    assert [t["id"] for t in item.content.body["targets"]] == ["H2O", "NaCl", "CO2"]


def test_qti21_extended_text_rubric_block():
    data = (SAMPLES / "tao_package/items/i-essay/qti.xml").read_bytes()
    item = read_item(data, defaults=DEFAULTS).item
    assert item.content.type == "extended_text"
    assert item.content.key["rubric"][0]["max_points"] == 4
    assert "0,5 điểm" in item.content.key["rubric"][0]["description"]
    assert item.content.stem == "<p>Phân tích hình tượng người lái đò sông Đà.</p>"
    assert item.content.body == {"expected_words": 500}


def test_qti21_upload_is_unsupported_with_its_qti21_name():
    data = (SAMPLES / "tao_package/items/i-upload/qti.xml").read_bytes()
    with pytest.raises(QtiError, match="^unsupported interaction: uploadInteraction$"):
        read_item(data, defaults=DEFAULTS)


def test_qti21_case_sensitive_string_is_exact_and_mapping_only_answers_count():
    xml = b"""<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="te" title="t">
      <responseDeclaration identifier="RESPONSE" cardinality="single" baseType="string">
        <mapping defaultValue="0">
          <mapEntry mapKey="NaCl" mappedValue="1" caseSensitive="true"/>
          <mapEntry mapKey="nacl" mappedValue="0"/>
        </mapping>
      </responseDeclaration>
      <itemBody><p>C\xc3\xb4ng th\xe1\xbb\xa9c mu\xe1\xbb\x91i \xc4\x83n?</p>
        <p><textEntryInteraction responseIdentifier="RESPONSE"/></p></itemBody>
      <responseProcessing template="http://www.imsglobal.org/question/qti_v2p1/rptemplates/map_response"/>
    </assessmentItem>"""
    item = read_item(xml, defaults=DEFAULTS).item
    assert item.content.key == {"accepted": ["NaCl"], "match": "exact"}
    assert item.content.stem == "<p>Công thức muối ăn?</p>"


# --- robustness ---------------------------------------------------------------------------------

ALL_SAMPLES = sorted(SAMPLES.rglob("*.xml"))
ATTRIBUTE = re.compile(r'(?<=[\w-]=")[^"]*(?=")')
TEXT = re.compile(r"(?<=>)[^<]+(?=<)")


@settings(deadline=None, max_examples=150, database=None, derandomize=True)
@given(st.sampled_from(ALL_SAMPLES), st.sampled_from([ATTRIBUTE, TEXT]), st.integers(0, 10_000),
       st.text(st.characters(blacklist_categories=("Cs",)), max_size=12) | st.sampled_from(
           ["", "0", "-1", "1e999", "NaN", "²", "99999999999999999999", "T", "F", "a T", "true", "../x.png"]))
def test_mutated_documents_give_an_item_or_a_reason_never_a_crash(path, where, pick, value):
    data = path.read_text(encoding="utf-8")
    spots = list(where.finditer(data))
    spot = spots[pick % len(spots)]
    mutated = data[:spot.start()] + html.escape(value) + data[spot.end():]
    report = read_package(mutated.encode(), DEFAULTS)
    assert len(report.items) + len(report.errors) == 1 or report.skipped
    for error in report.errors:
        assert error["reason"] and not error["reason"].startswith("cannot be read (")


def test_candidate_rubric_is_part_of_the_stem_scorer_rubric_is_not():
    body = ('<qti-rubric-block view="candidate"><qti-content-body><p>Đọc kĩ đề.</p></qti-content-body>'
            '</qti-rubric-block><qti-rubric-block view="scorer"><qti-content-body><p>Đáp án: A</p>'
            "</qti-content-body></qti-rubric-block>" + choice_body("<p>Câu hỏi</p>"))
    item = read_item(item_xml(body, CHOICE_DECL), defaults=DEFAULTS).item
    assert item.content.stem == "<div><div><p>Đọc kĩ đề.</p></div></div><p>Câu hỏi</p>"


def test_mathml_is_refused_rather_than_garbled():
    body = choice_body('<p>Tính <math xmlns="http://www.w3.org/1998/Math/MathML"><msup><mi>x</mi><mn>2</mn>'
                       "</msup></math></p>")
    with pytest.raises(QtiError, match="MathML formulas are not supported"):
        read_item(item_xml(body, CHOICE_DECL), defaults=DEFAULTS)
