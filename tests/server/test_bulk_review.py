"""Bulk review: many submitted items approved or sent back with one comment, by the rules of one by
one review; each refused item reported with its reason, the rest done, in one transaction."""
from __future__ import annotations

import pytest

from tests.server.factories import item_payload

URL = "/api/v1/review/bulk"


def _submitted(client, headers, n: int, submit: bool = True) -> str:
    payload = item_payload("single_choice")
    payload["identifier"] = f"bulk-{n}"
    made = client.post("/api/v1/items", json=payload, headers=headers)
    assert made.status_code == 201, made.get_json()
    if submit:
        assert client.post(f"/api/v1/items/bulk-{n}/submit", headers=headers).status_code == 200
    return f"bulk-{n}"


def _status(client, headers, identifier) -> str:
    return client.get(f"/api/v1/items/{identifier}", headers=headers).get_json()["status"]


def test_bulk_approve_does_the_allowed_and_reports_the_rest(client, token_for):
    author, reviewer = token_for("teacher1"), token_for("teacher2")
    theirs = [_submitted(client, author, n) for n in range(3)]
    draft = _submitted(client, author, 3, submit=False)
    own = _submitted(client, reviewer, 4)
    answer = client.post(URL, json={"action": "approve", "comment": "Đạt yêu cầu",
                                    "identifiers": theirs + [draft, own, "no-such-item", theirs[0]]},
                         headers=reviewer)
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert [d["identifier"] for d in body["done"]] == theirs          # the repeat is done once
    assert all(d["status"] == "approved" for d in body["done"])
    refused = {r["identifier"]: r["error"] for r in body["refused"]}
    assert refused == {draft: "illegal_transition", own: "own_item", "no-such-item": "not_found"}
    assert all(r["message"] for r in body["refused"])
    for identifier in theirs:
        assert _status(client, author, identifier) == "approved"
        events = client.get(f"/api/v1/items/{identifier}/events", headers=author).get_json()["events"]
        assert events[-1]["action"] == "approve" and events[-1]["comment"] == "Đạt yêu cầu"
    assert _status(client, author, draft) == "draft" and _status(client, author, own) == "in_review"
    # The refused items left no trace in their audit trail.
    assert [e["action"] for e in client.get(f"/api/v1/items/{own}/events", headers=author).get_json()["events"]] \
        == ["create", "submit"]


def test_bulk_request_changes_needs_one_comment(client, token_for):
    author, reviewer = token_for("teacher1"), token_for("teacher2")
    items = [_submitted(client, author, n) for n in range(2)]
    refused = client.post(URL, json={"action": "request_changes", "identifiers": items, "comment": "  "},
                          headers=reviewer)
    assert refused.status_code == 422 and refused.get_json()["error"] == "comment_required"
    assert all(_status(client, author, i) == "in_review" for i in items)
    sent_back = client.post(URL, json={"action": "request_changes", "identifiers": items,
                                       "comment": "Thiếu hình minh họa"}, headers=reviewer).get_json()
    assert [d["status"] for d in sent_back["done"]] == ["draft", "draft"] and sent_back["refused"] == []


@pytest.mark.parametrize("body, field", [
    ({"action": "retire", "identifiers": ["a"]}, "action"),
    ({"action": "approve", "identifiers": []}, "identifiers"),
    ({"action": "approve", "identifiers": "a,b"}, "identifiers"),
    ({"action": "approve", "identifiers": ["a"] * 501}, "identifiers"),
    ({"action": "approve", "identifiers": ["a"], "comment": 5}, "comment"),
])
def test_bad_bulk_requests_are_refused_whole(client, token_for, body, field):
    answer = client.post(URL, json=body, headers=token_for("teacher2"))
    assert answer.status_code == 422 and answer.get_json()["field"] == field


def test_only_reviewers_review_in_bulk(client, token_for):
    for role in ("proctor1", "student1"):
        assert client.post(URL, json={"action": "approve", "identifiers": ["x"]},
                           headers=token_for(role)).status_code == 403
