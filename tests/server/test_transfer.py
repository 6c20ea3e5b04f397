"""Import and export through the API: QTI packages and spreadsheets."""
from __future__ import annotations

import io
import zipfile

from tests.server.factories import ITEM_TYPES, item_payload
from tests.server.job_follow import follow

CSV_HEADER = "Loại câu hỏi,Nội dung,Phương án A,Phương án B,Phương án C,Phương án D,Đáp án,Môn,Lớp,Mức độ\n"


def _upload(client, url, headers, data: bytes, filename: str):
    """An import, a background job, followed to its end."""
    return follow(client, client.post(url, data={"file": (io.BytesIO(data), filename)}, headers=headers,
                                      content_type="multipart/form-data"), headers)


def test_qti_export_import_round_trip_through_the_api(client, token_for):
    teacher = token_for("teacher1")
    sent = {}
    for item_type in ITEM_TYPES:
        payload = item_payload(item_type)
        client.post("/api/v1/items", json=payload, headers=teacher)
        sent[payload["identifier"]] = payload
    exported = client.get("/api/v1/export/qti", headers=teacher)
    assert exported.status_code == 200 and exported.mimetype == "application/zip"
    assert "imsmanifest.xml" in zipfile.ZipFile(io.BytesIO(exported.data)).namelist()
    # The same package again: every item is recognised as unchanged.
    again = _upload(client, "/api/v1/import/qti", teacher, exported.data, "bank.zip").get_json()
    assert again["imported"] == 0 and again["skipped"] == len(ITEM_TYPES) and again["errors"] == []
    for identifier, payload in sent.items():
        stored = client.get(f"/api/v1/items/{identifier}", headers=teacher).get_json()
        assert stored["version"] == 1
        stored_key = stored["item"]["content"]["key"]
        # Validation fills defaults (e.g. scoring mode); everything sent is kept as sent.
        assert {k: stored_key[k] for k in payload["content"]["key"]} == payload["content"]["key"]


def test_qti_import_reports_bad_items_and_keeps_the_good(client, token_for):
    teacher = token_for("teacher1")
    client.post("/api/v1/items", json=item_payload(), headers=teacher)
    good = client.get("/api/v1/export/qti", headers=teacher).data
    with zipfile.ZipFile(io.BytesIO(good)) as source:
        files = {name: source.read(name) for name in source.namelist()}
    item_file = next(n for n in files if n.endswith(".xml") and n != "imsmanifest.xml")
    # Rename the good item, and add a broken one beside it.
    files[item_file] = files[item_file].replace(b"test-item-", b"renamed-item-")
    files[item_file.replace(".xml", "-broken.xml")] = b"<qti-assessment-item><nope>"
    manifest = files["imsmanifest.xml"].decode()
    broken_name = item_file.replace(".xml", "-broken.xml")
    files["imsmanifest.xml"] = manifest.replace(
        "</resources>", f'<resource identifier="broken" type="imsqti_item_xmlv3p0" href="{broken_name}">'
        f'<file href="{broken_name}"/></resource></resources>').encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for name, data in files.items():
            target.writestr(name, data)
    report = _upload(client, "/api/v1/import/qti", teacher, buffer.getvalue(), "mixed.zip").get_json()
    assert report["imported"] == 1
    assert len(report["errors"]) == 1 and report["errors"][0]["file"].endswith("-broken.xml")


def test_spreadsheet_is_all_or_nothing(client, token_for):
    teacher = token_for("teacher1")
    good_row = "Trắc nghiệm,Đạo hàm của \\(x^2\\)?,\\(2x\\),\\(x\\),\\(2\\),\\(1\\),A,Toán,12,Thông hiểu\n"
    bad_row = "Trắc nghiệm,Câu lỗi,1,2,3,4,E,Toán,12,Thông hiểu\n"
    response = _upload(client, "/api/v1/import/spreadsheet", teacher,
                       (CSV_HEADER + good_row + bad_row).encode(), "items.csv")
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert [e["row"] for e in errors] == [3]
    assert client.get("/api/v1/items", headers=teacher).get_json()["total"] == 0
    ok = _upload(client, "/api/v1/import/spreadsheet", teacher, (CSV_HEADER + good_row).encode(), "items.csv")
    assert ok.status_code == 200 and ok.get_json()["imported"] == 1
    assert client.get("/api/v1/items?q=dao ham", headers=teacher).get_json()["total"] == 1


def test_not_a_spreadsheet_is_refused(client, token_for):
    response = _upload(client, "/api/v1/import/spreadsheet", token_for("teacher1"), b"\x00\x01garbage", "x.xlsx")
    assert response.status_code == 422 and response.get_json()["error"] == "bad_spreadsheet"
