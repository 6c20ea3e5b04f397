"""One valid example content per item type: for tests, demo data and editor templates.

`example(name)` returns a fresh deep copy each time, so callers may modify it freely.
"""
from __future__ import annotations

import copy

from item_bank.model import ItemContent

IMAGE = "/media/" + "ab" * 32 + ".png"

_EXAMPLES = {
    "single_choice": ItemContent(
        type="single_choice",
        stem=r"<p>Giá trị của \(\frac{1}{2} + \frac{1}{4}\) bằng</p>",
        body={"options": [
            {"id": "A", "html": r"\(\frac{3}{4}\)"},
            {"id": "B", "html": r"\(\frac{2}{6}\)"},
            {"id": "C", "html": r"\(\frac{1}{8}\)"},
            {"id": "D", "html": "Cả ba đáp án trên đều sai", "fixed": True},
        ], "shuffle": True},
        key={"correct": "A"},
    ),
    "multiple_response": ItemContent(
        type="multiple_response",
        stem="<p>Những số nào sau đây là số nguyên tố?</p>",
        body={"options": [{"id": "A", "html": "2"}, {"id": "B", "html": "4"},
                          {"id": "C", "html": "7"}, {"id": "D", "html": "9"}]},
        key={"correct": ["A", "C"], "scoring": "partial"},
    ),
    "true_false_cluster": ItemContent(
        type="true_false_cluster",
        stem=r"<p>Cho hàm số \(f(x) = x^2 - 4x + 3\).</p>",
        body={"statements": [
            {"id": "a", "html": r"\(f(1) = 0\)"},
            {"id": "b", "html": "Hàm số đồng biến trên \\(\\mathbb{R}\\)."},
            {"id": "c", "html": r"Đồ thị có đỉnh \(I(2; -1)\)."},
            {"id": "d", "html": r"\(f(x) > 0\) với mọi \(x \in (1; 3)\)."},
        ]},
        key={"values": {"a": True, "b": False, "c": True, "d": False}},
    ),
    "numeric": ItemContent(
        type="numeric",
        stem=r"<p>Tính \(\int_0^1 2x\,dx + 0{,}25\).</p>",
        body={"unit": "", "max_chars": 4},
        key={"value": 1.25, "tolerance": 0, "tolerance_mode": "absolute"},
    ),
    "text_entry": ItemContent(
        type="text_entry",
        stem="<p>Thủ đô của Việt Nam là thành phố nào?</p>",
        body={"expected_length": 20},
        key={"accepted": ["Hà Nội"], "match": "fold"},
    ),
    "extended_text": ItemContent(
        type="extended_text",
        stem="<p>Phân tích hình tượng người lính trong bài thơ <em>Tây Tiến</em>.</p>",
        body={"expected_words": 600},
        key={"rubric": [
            {"criterion": "Bố cục", "max_points": 0.5, "description": "Đủ mở bài, thân bài, kết bài"},
            {"criterion": "Nội dung", "max_points": 4, "description": "Phân tích đúng, sâu sắc"},
        ]},
    ),
    "matching": ItemContent(
        type="matching",
        stem="<p>Nối mỗi chất với công thức hoá học của nó.</p>",
        body={"sources": [{"id": "s1", "html": "Nước"}, {"id": "s2", "html": "Muối ăn"}],
              "targets": [{"id": "t1", "html": "NaCl"}, {"id": "t2", "html": r"\(H_2O\)"},
                          {"id": "t3", "html": f'<img src="{IMAGE}" alt="CO2">'}]},
        key={"pairs": {"s1": "t2", "s2": "t1"}},
    ),
    "ordering": ItemContent(
        type="ordering",
        stem="<p>Sắp xếp các sự kiện theo thứ tự thời gian.</p>",
        body={"choices": [{"id": "c", "html": "Cách mạng tháng Tám"},
                          {"id": "a", "html": "Chiến thắng Điện Biên Phủ"},
                          {"id": "b", "html": "Giải phóng miền Nam"}]},
        key={"order": ["c", "a", "b"], "scoring": "partial"},
    ),
}

# A response that scores 1 on each auto-scored example.
RIGHT_RESPONSES = {
    "single_choice": "A",
    "multiple_response": ["A", "C"],
    "true_false_cluster": {"a": True, "b": False, "c": True, "d": False},
    "numeric": "1,25",
    "text_entry": "ha noi",
    "matching": {"s1": "t2", "s2": "t1"},
    "ordering": ["c", "a", "b"],
}


def example(name: str) -> ItemContent:
    return copy.deepcopy(_EXAMPLES[name])


def names() -> list[str]:
    return list(_EXAMPLES)
