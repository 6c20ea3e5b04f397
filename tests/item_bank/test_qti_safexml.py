"""Untrusted XML: entity attacks, size and depth limits, malformed documents."""
import pytest

from item_bank.qti import QtiError, XmlLimits
from item_bank.qti.safexml import parse

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
]>
<lolz>&lol9;</lolz>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE item [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<qti-assessment-item xmlns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0">&xxe;</qti-assessment-item>"""

EXTERNAL_PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE item [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;]>
<item/>"""


def test_parses_a_plain_document():
    root = parse('<a xmlns="urn:x"><b>Đúng &amp; sai</b></a>')
    assert root.tag == "{urn:x}a"
    assert root[0].text == "Đúng & sai"


def test_billion_laughs_is_refused():
    with pytest.raises(QtiError, match="unsafe XML"):
        parse(BILLION_LAUGHS)


def test_external_entity_is_refused_and_not_read():
    with pytest.raises(QtiError, match="unsafe XML") as caught:
        parse(EXTERNAL_ENTITY)
    assert "root:" not in caught.value.reason


def test_external_parameter_entity_is_refused():
    with pytest.raises(QtiError, match="unsafe XML"):
        parse(EXTERNAL_PARAMETER_ENTITY)


def test_a_doctype_without_entities_is_tolerated():
    root = parse(b'<?xml version="1.0"?>\n<!DOCTYPE item SYSTEM "item.dtd">\n<item>x</item>')
    assert root.text == "x"


def test_oversize_document_is_refused():
    big = b"<a>" + b"x" * 2000 + b"</a>"
    with pytest.raises(QtiError, match="too large"):
        parse(big, XmlLimits(max_bytes=1000))
    assert parse(big, XmlLimits(max_bytes=5000)).tag == "a"


def test_default_limit_is_five_megabytes():
    assert XmlLimits().max_bytes == 5 * 1024 * 1024
    with pytest.raises(QtiError, match="too large"):
        parse(b"<a>" + b" " * (5 * 1024 * 1024) + b"</a>")


def test_deep_nesting_is_refused():
    deep = "<a>" * 300 + "</a>" * 300
    with pytest.raises(QtiError, match="nested deeper than 200"):
        parse(deep)
    assert parse("<a>" * 50 + "</a>" * 50, XmlLimits(max_depth=50)).tag == "a"


def test_malformed_xml_reports_line_and_column():
    with pytest.raises(QtiError) as caught:
        parse(b"<a>\n  <b>\n</a>")
    assert caught.value.reason.startswith("malformed XML at line 3, column")
    assert "mismatched tag" in caught.value.reason


def test_empty_and_garbage_documents_are_malformed():
    for data in (b"", b"not xml at all", b"<a>unclosed"):
        with pytest.raises(QtiError, match="malformed XML at line"):
            parse(data)


def test_unknown_encoding_is_an_error():
    with pytest.raises(QtiError, match="unreadable XML|malformed XML"):
        parse(b'<?xml version="1.0" encoding="x-no-such"?><a/>')
