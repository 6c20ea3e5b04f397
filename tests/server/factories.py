"""Valid item payloads of every type, for API tests."""
from __future__ import annotations

import copy
import itertools

_counter = itertools.count(1)

CONTENT = {
    "single_choice": {"stem": "<p>Đạo hàm của \\(x^2\\) là</p>",
                      "body": {"options": [{"id": k, "html": f"<p>{v}</p>"} for k, v in
                                           zip("ABCD", ["\\(2x\\)", "\\(x\\)", "\\(2\\)", "\\(x^2\\)"])],
                               "shuffle": True},
                      "key": {"correct": "A"}},
    "multiple_response": {"stem": "<p>Chọn các số nguyên tố</p>",
                          "body": {"options": [{"id": k, "html": f"<p>{v}</p>"} for k, v in
                                               zip("ABCD", ["2", "3", "4", "9"])], "shuffle": True},
                          "key": {"correct": ["A", "B"], "scoring": "all_or_nothing"}},
    "true_false_cluster": {"stem": "<p>Cho hàm số \\(y = x^3 - 3x\\).</p>",
                           "body": {"statements": [{"id": k, "html": f"<p>Mệnh đề {k}</p>"} for k in "abcd"]},
                           "key": {"values": {"a": True, "b": False, "c": True, "d": False}}},
    "numeric": {"stem": "<p>Tính \\(\\int_0^1 x\\,dx\\)</p>", "body": {},
                "key": {"value": 0.5, "tolerance": 0, "tolerance_mode": "absolute"}},
    "text_entry": {"stem": "<p>Thủ đô của Việt Nam là</p>", "body": {},
                   "key": {"accepted": ["Hà Nội"], "match": "fold"}},
    "extended_text": {"stem": "<p>Trình bày định luật Ôm.</p>", "body": {},
                      "key": {"rubric": [{"criterion": "Phát biểu đúng", "max_points": 1.0, "description": ""}]}},
    "matching": {"stem": "<p>Ghép đại lượng với đơn vị</p>",
                 "body": {"sources": [{"id": "s1", "html": "<p>Lực</p>"}, {"id": "s2", "html": "<p>Công</p>"}],
                          "targets": [{"id": "t1", "html": "<p>N</p>"}, {"id": "t2", "html": "<p>J</p>"}],
                          "shuffle": True},
                 "key": {"pairs": {"s1": "t1", "s2": "t2"}}},
    "ordering": {"stem": "<p>Sắp xếp tăng dần</p>",
                 "body": {"choices": [{"id": c, "html": f"<p>{n}</p>"} for c, n in zip("xyz", [1, 2, 3])],
                          "shuffle": True},
                 "key": {"order": ["x", "y", "z"]}},
}
ITEM_TYPES = tuple(CONTENT)


def item_payload(item_type: str = "single_choice", **metadata) -> dict:
    content = copy.deepcopy(CONTENT[item_type])
    content["type"] = item_type
    return {
        "identifier": f"test-item-{next(_counter)}",
        "title": f"Đạo hàm {item_type}",
        "metadata": {"subject": "math", "grade": 12, "topic": "Đạo hàm", "cognitive_level": "hieu",
                     "difficulty": 0.4, "tags": ["thpt-2025"], "language": "vi", **metadata},
        "content": content,
    }
