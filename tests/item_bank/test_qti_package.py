"""Content packages: manifests from other tools, per-item errors, zip safety, sources."""
import html
import io
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_qti_roundtrip import HAND_WRITTEN, IMAGES

from item_bank.qti import PackageLimits, QtiError, read_package, write_package

SAMPLES = Path(__file__).parent / "qti_samples"
TAO = SAMPLES / "tao_package"
DEFAULTS = {"subject": "chemistry", "grade": 10}
PNG = next(iter(IMAGES.values()))


def zip_bytes(files: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as out:
        for name, data in files.items():
            out.writestr(name, data)
    return buffer.getvalue()


def tao_files(prefix: str = "") -> dict[str, bytes]:
    files = {prefix + p.relative_to(TAO).as_posix(): p.read_bytes() for p in sorted(TAO.rglob("*")) if p.is_file()}
    files[prefix + "items/i-choice/images/do thi.png"] = PNG
    return files


def test_tao_qti21_package_imports_what_it_can_and_says_why_not():
    report = read_package(zip_bytes(tao_files()), DEFAULTS)
    assert [i.item.identifier for i in report.items] == ["i-choice", "i-numeric", "i-assoc", "i-essay"]
    assert next(i.file for i in report.items) == "items/i-choice/qti.xml"
    assert report.errors == [
        {"file": "items/i-upload/qti.xml", "reason": "unsupported interaction: uploadInteraction"},
        {"file": "items/i-missing/qti.xml", "reason": "file listed in the manifest is missing from the package"},
    ]
    assert report.skipped == 1   # the test; the stylesheet's webcontent resource is not counted


def test_lom_metadata_of_a_qti21_manifest():
    report = read_package(zip_bytes(tao_files()), DEFAULTS)
    choice = report.items[0].item.metadata
    assert (choice.subject, choice.grade) == ("math", 11)          # "Toán", "Lớp 11" in LOM
    assert (choice.difficulty, choice.tags, choice.author) == (0.3, ["cực trị"], "Trần Thị Bình")
    numeric = report.items[1].item.metadata
    assert (numeric.subject, numeric.grade) == ("chemistry", 10)   # caller's defaults


def test_items_without_subject_are_errors_when_no_default_is_given():
    report = read_package(zip_bytes(tao_files()))
    assert [i.item.identifier for i in report.items] == ["i-choice"]   # its LOM has subject and grade
    reasons = {e["file"]: e["reason"] for e in report.errors}
    assert reasons["items/i-numeric/qti.xml"].startswith("no subject")


def test_package_zipped_with_its_folder():
    report = read_package(zip_bytes(tao_files("export-2025/")), DEFAULTS)
    assert len(report.items) == 4
    assert report.items[0].file == "export-2025/items/i-choice/qti.xml"


def test_package_directory(tmp_path):
    root = tmp_path / "pkg"
    shutil.copytree(TAO, root)
    (root / "items/i-choice/images").mkdir(exist_ok=True)
    (root / "items/i-choice/images/do thi.png").write_bytes(PNG)
    report = read_package(root, DEFAULTS)
    assert len(report.items) == 4 and len(report.errors) == 2
    assert list(report.items[0].media.values()) == [PNG]


def test_directory_cannot_be_left_through_a_symlink(tmp_path):
    secret = tmp_path / "secret.png"
    secret.write_bytes(PNG)
    root = tmp_path / "pkg"
    shutil.copytree(TAO, root)
    (root / "items/i-choice/images").mkdir(exist_ok=True)
    (root / "items/i-choice/images/do thi.png").symlink_to(secret)
    report = read_package(root, DEFAULTS)
    reasons = {e["file"]: e["reason"] for e in report.errors}
    assert "missing from the package" in reasons["items/i-choice/qti.xml"]


def test_zip_without_manifest_imports_every_item_file():
    files = {"a/q1.xml": (SAMPLES / "qti3_choice.xml").read_bytes(),
             "a/q2.xml": (SAMPLES / "qti21_moodle_multichoice.xml").read_bytes(),
             "a/q3.xml": (SAMPLES / "qti3_hotspot.xml").read_bytes(),
             "a/test.xml": (TAO / "tests/test.xml").read_bytes(),
             "a/broken.xml": b"<qti-assessment-item>\n<oops></qti-assessment-item>",
             "a/readme.txt": b"hello"}
    report = read_package(zip_bytes(files), DEFAULTS)
    assert [i.file for i in report.items] == ["a/q1.xml", "a/q2.xml"]
    assert report.errors[0] == {"file": "a/q3.xml", "reason": "unsupported interaction: qti-hotspot-interaction"}
    assert report.errors[1]["file"] == "a/broken.xml"
    assert report.errors[1]["reason"].startswith("malformed XML at line 2, column")
    assert report.skipped == 1


def test_bare_item_file_and_bare_item_bytes(tmp_path):
    path = tmp_path / "cau1.xml"
    shutil.copy(SAMPLES / "qti3_choice.xml", path)
    report = read_package(path, DEFAULTS)
    assert report.items[0].item.identifier == "q3-choice-cuc-dai" and report.items[0].file == "cau1.xml"
    report = read_package((SAMPLES / "qti3_order.xml").read_bytes(), DEFAULTS)
    assert report.items[0].item.content.type == "ordering"
    report = read_package((SAMPLES / "qti3_hotspot.xml").read_bytes(), DEFAULTS)
    assert report.errors == [{"file": "item.xml", "reason": "unsupported interaction: qti-hotspot-interaction"}]


def test_missing_path():
    with pytest.raises(QtiError, match="no such file"):
        read_package("/nonexistent/package.zip")


def test_duplicate_identifiers_in_a_package():
    data = (SAMPLES / "qti3_choice.xml").read_bytes()
    report = read_package(zip_bytes({"a.xml": data, "b.xml": data}), DEFAULTS)
    assert len(report.items) == 1
    assert report.errors == [{"file": "b.xml", "reason": "identifier 'q3-choice-cuc-dai' already used by a.xml"}]


def test_our_export_reads_back_with_its_media():
    report = read_package(write_package(HAND_WRITTEN[:1], IMAGES.__getitem__))
    assert report.items[0].media == {n: d for n, d in IMAGES.items() if n in HAND_WRITTEN[0].content.stem}


# --- zip safety ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["/etc/cron.d/evil.xml", "../evil.xml", "items/../../evil.xml",
                                  "C:/evil.xml", "items\\..\\evil.xml"])
def test_unsafe_member_names_refuse_the_package(name):
    data = zip_bytes({"imsmanifest.xml": (TAO / "imsmanifest.xml").read_bytes(), name: b"<a/>"})
    with pytest.raises(QtiError, match="unsafe path"):
        read_package(data, DEFAULTS)


def test_unsafe_href_in_the_manifest_is_an_item_error():
    manifest = (TAO / "imsmanifest.xml").read_bytes().replace(b'href="items/i-numeric/qti.xml"',
                                                               b'href="../../etc/passwd"')
    files = tao_files() | {"imsmanifest.xml": manifest}
    report = read_package(zip_bytes(files), DEFAULTS)
    assert {"file": "../../etc/passwd", "reason": "unsafe path in package: '../../etc/passwd'"} in report.errors


def test_too_many_members():
    files = {f"f{i}.txt": b"x" for i in range(11)}
    with pytest.raises(QtiError, match="11 members"):
        read_package(zip_bytes(files), limits=PackageLimits(max_members=10))
    assert read_package(zip_bytes(files), limits=PackageLimits(max_members=11)).items == []


def test_total_uncompressed_size_limit():
    files = {"a.bin": b"\x01" * 3000, "b.bin": b"\x02" * 3000}
    with pytest.raises(QtiError, match="unpacks to 6000 bytes"):
        read_package(zip_bytes(files), limits=PackageLimits(max_total_bytes=5000))


def test_default_limit_is_200_megabytes():
    assert PackageLimits().max_total_bytes == 200 * 1024 * 1024


def test_zip_bomb_ratio_is_refused():
    bomb = zip_bytes({"imsmanifest.xml": b"<manifest/>", "bomb.xml": b"\x00" * (4 * 1024 * 1024)})
    assert len(bomb) < 20_000
    with pytest.raises(QtiError, match="possible zip bomb"):
        read_package(bomb)


def test_not_a_zip_and_corrupt_zip():
    good = zip_bytes({"imsmanifest.xml": (TAO / "imsmanifest.xml").read_bytes()})
    with pytest.raises(QtiError, match="not a readable zip"):
        read_package(good[:40] + b"\x00" * 10)
    corrupt = bytearray(zip_bytes({"q.xml": (SAMPLES / "qti3_choice.xml").read_bytes()}, zipfile.ZIP_STORED))
    corrupt[60] ^= 0xFF     # inside the stored member's data: the CRC check catches it
    report = read_package(bytes(corrupt), DEFAULTS)
    assert report.items == []
    assert "cannot be read" in report.errors[0]["reason"] or "malformed XML" in report.errors[0]["reason"]


def test_manifest_that_is_not_a_manifest():
    with pytest.raises(QtiError, match="not manifest"):
        read_package(zip_bytes({"imsmanifest.xml": b"<html/>"}))
    with pytest.raises(QtiError, match="unsafe XML"):
        read_package(zip_bytes({"imsmanifest.xml": b'<!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]><m>&x;</m>'}))


ATTRIBUTE_OR_TEXT = re.compile(r'(?<=[\w-]=")[^"]*(?=")|(?<=>)[^<]+(?=<)')
EXPORT = write_package(HAND_WRITTEN, IMAGES.__getitem__)


@settings(deadline=None, max_examples=40, database=None, derandomize=True)
@given(st.integers(0, 100_000), st.text(st.characters(blacklist_categories=("Cs",)), max_size=10)
       | st.sampled_from(["", "../../x", "/abs", "items", "imsqti_item_xmlv2p1", "x-no-such", "99"]))
def test_mutated_manifests_give_a_report_or_a_package_error(pick, value):
    files = {n: zipfile.ZipFile(io.BytesIO(EXPORT)).read(n) for n in zipfile.ZipFile(io.BytesIO(EXPORT)).namelist()}
    manifest = files["imsmanifest.xml"].decode()
    spots = list(ATTRIBUTE_OR_TEXT.finditer(manifest))
    spot = spots[pick % len(spots)]
    files["imsmanifest.xml"] = (manifest[:spot.start()] + html.escape(value) + manifest[spot.end():]).encode()
    try:
        report = read_package(zip_bytes(files))
    except QtiError as exc:
        assert exc.reason
        return
    assert len(report.items) + len(report.errors) + report.skipped >= len(HAND_WRITTEN) - 1
    assert not any(e["reason"].startswith("cannot be read (") for e in report.errors)


def test_directory_of_loose_items_with_a_package_inside_is_scanned():
    report = read_package(SAMPLES, DEFAULTS)
    files = {i.file for i in report.items}
    assert {"qti3_choice.xml", "qti21_moodle_multichoice.xml", "tao_package/items/i-numeric/qti.xml"} <= files
    reasons = {e["file"]: e["reason"] for e in report.errors}
    assert reasons["qti3_hotspot.xml"] == "unsupported interaction: qti-hotspot-interaction"
    assert report.skipped == 2   # the manifest and the test, which are XML but not items
