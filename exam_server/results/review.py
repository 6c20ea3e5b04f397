"""A result as the candidate saw it: for reviews, appeals and exports.

Options are stored with internal ids ("A".."D" in the bank's order) and shuffled per candidate;
the exam page labels them by their displayed position (A, B, C, D; statements a) to d); matching
sources 1., 2.; targets a., b.). A reviewer comparing a result with what the candidate remembers
must see those labels, never the internal ids. So each question of a result is rebuilt from the
candidate's paper (`exam_server.exams.papers`: the pinned version and the candidate's recorded
option orders, cached): the stem, the options in the candidate's order with the candidate's
letters, the candidate's answer and the key both in those letters, and the points.

Pure reading: nothing here writes. Staff views may show the key; a candidate's own view shows it
only when the results are released (the callers decide, this module builds both).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from exam_server.exams import adaptive, papers
from exam_server.exams import forms as paper_lib
from exam_server.results.models import Result

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
STATEMENT_LETTERS = "abcdefgh"


def _letter(i: int) -> str:
    return LETTERS[i] if i < len(LETTERS) else str(i + 1)


@dataclass(frozen=True)
class ShownChoice:
    """One option (or statement, source, target) as shown: its label and HTML; whether the
    candidate chose it and whether the key says so (None where that does not apply)."""

    label: str
    html: str
    chosen: Any = None          # single/multiple: bool; true/false: True/False/None (left blank)
    key: Any = None             # single/multiple: bool; true/false: the right value


@dataclass(frozen=True)
class ReviewQuestion:
    number: int
    item_type: str
    stem: str
    choices: tuple[ShownChoice, ...]
    targets: tuple[ShownChoice, ...] = ()
    answer: str = ""            # the candidate's answer in the candidate's letters ("" = none)
    key: str = ""               # the key in the candidate's letters
    answered: bool = False
    points: Decimal | None = None
    max_points: Decimal = Decimal(0)
    pending: bool = False
    dropped: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)


def _true_false(value: Any) -> str:
    return {True: "Đ", False: "S"}.get(value, "–")


def _number(value: Any) -> str:
    """A number as written in Vietnamese: decimal comma, no trailing zeros."""
    text = format(Decimal(str(value)).normalize(), "f")
    return text.replace(".", ",")


def _choices(view_body: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return list(view_body.get(name) or [])


def review_question(number: int, item_type: str, content: Any, view: dict[str, Any],
                    order: dict[str, list[str]], response: Any) -> ReviewQuestion:
    """One question as the candidate saw it. `content` holds the key; `view` the student view;
    `order` the candidate's option orders; `response` what was stored for scoring."""
    shown = paper_lib.reorder_view(view, order)
    body = shown.get("body") or {}
    key = content.key or {}
    stem = shown.get("stem", "")
    base = {"number": number, "item_type": item_type, "stem": stem}
    answered = response not in (None, "", [], {})
    if item_type in ("single_choice", "multiple_response"):
        options = _choices(body, "options")
        label = {o["id"]: _letter(i) for i, o in enumerate(options)}
        correct = key.get("correct")
        correct_ids = {correct} if isinstance(correct, str) else set(correct or [])
        chosen_ids = {response} if isinstance(response, str) else set(response or [])
        choices = tuple(ShownChoice(label[o["id"]], o["html"], o["id"] in chosen_ids, o["id"] in correct_ids)
                        for o in options)
        in_order = [label[o["id"]] for o in options]
        return ReviewQuestion(**base, choices=choices, answered=answered,
                              answer=", ".join(x for x in in_order if x in {label.get(i) for i in chosen_ids}),
                              key=", ".join(x for x in in_order if x in {label.get(i) for i in correct_ids}))
    if item_type == "true_false_cluster":
        statements = _choices(body, "statements")
        values = key.get("values") or {}
        given = response if isinstance(response, dict) else {}
        choices = tuple(ShownChoice(STATEMENT_LETTERS[i], s["html"], given.get(s["id"]), values.get(s["id"]))
                        for i, s in enumerate(statements))
        return ReviewQuestion(**base, choices=choices, answered=answered,
                              answer=" ".join(f"{c.label}) {_true_false(c.chosen)}" for c in choices),
                              key=" ".join(f"{c.label}) {_true_false(c.key)}" for c in choices))
    if item_type == "ordering":
        options = _choices(body, "choices")
        label = {o["id"]: _letter(i) for i, o in enumerate(options)}
        choices = tuple(ShownChoice(label[o["id"]], o["html"]) for o in options)
        given = response if isinstance(response, list) else []
        return ReviewQuestion(**base, choices=choices, answered=answered,
                              answer=", ".join(label.get(i, "?") for i in given),
                              key=", ".join(label.get(i, "?") for i in key.get("order") or []))
    if item_type == "matching":
        sources, targets = _choices(body, "sources"), _choices(body, "targets")
        source_label = {s["id"]: str(i + 1) for i, s in enumerate(sources)}
        target_label = {t["id"]: _letter(i).lower() for i, t in enumerate(targets)}
        pairs = key.get("pairs") or {}
        given = response if isinstance(response, dict) else {}
        return ReviewQuestion(
            **base, answered=answered,
            choices=tuple(ShownChoice(source_label[s["id"]], s["html"]) for s in sources),
            targets=tuple(ShownChoice(target_label[t["id"]], t["html"]) for t in targets),
            answer=" ".join(f"{source_label[s['id']]}-{target_label.get(given.get(s['id']), '–')}" for s in sources),
            key=" ".join(f"{source_label[s['id']]}-{target_label.get(pairs.get(s['id']), '?')}" for s in sources))
    if item_type == "numeric":
        tolerance = key.get("tolerance") or 0
        shown_key = _number(key["value"]) if "value" in key else ""
        if tolerance:
            shown_key += f" ± {_number(tolerance)}" + (" (tương đối)" if key.get("tolerance_mode") == "relative" else "")
        return ReviewQuestion(**base, choices=(), answered=answered,
                              answer=str(response).strip() if answered else "", key=shown_key)
    if item_type == "text_entry":
        return ReviewQuestion(**base, choices=(), answered=answered,
                              answer=str(response) if answered else "", key=" | ".join(key.get("accepted") or []))
    # extended_text (essays) and any type without a key to show: the text written.
    return ReviewQuestion(**base, choices=(), answered=answered,
                          answer=str(response) if answered and not isinstance(response, dict | list) else
                          ("" if not answered else repr(response)), key="")


def review(result: Result) -> list[ReviewQuestion]:
    """Every question of a result in the candidate's order, as the candidate saw it."""
    paper = papers.paper(result.candidate_id)
    by_number = {item.question_number: item for item in result.items}
    out = []
    for q in paper.questions:
        item = by_number.get(q.number)
        response = item.response if item is not None else None
        built = review_question(q.number, q.question.item_type, q.question.content, q.question.view,
                                q.option_order, response)
        if item is not None:
            built = _with_points(built, item)
        out.append(built)
    return out


def adaptive_section(result: Result) -> bool:
    """Whether the result's θ is that of an adaptive section of a fixed-form exam (fixed questions
    open the candidate's paper) rather than of a wholly adaptive exam: the pages label it so."""
    return result.theta is not None and adaptive.fixed_count(papers.paper(result.candidate_id)) > 0


def _with_points(built: ReviewQuestion, item: Any) -> ReviewQuestion:
    from dataclasses import replace

    return replace(built, points=item.points, max_points=item.max_points, pending=item.fraction is None,
                   dropped=item.dropped)


def review_json(questions: list[ReviewQuestion], *, with_key: bool) -> list[dict[str, Any]]:
    """The JSON shape of the review (results API): labels and HTML, never an internal id."""
    out = []
    for q in questions:
        row = {"number": q.number, "type": q.item_type, "stem": q.stem,
               "choices": [{"label": c.label, "html": c.html, "chosen": c.chosen} | ({"key": c.key} if with_key else {})
                           for c in q.choices],
               "answer": q.answer, "answered": q.answered,
               "points": None if q.points is None else str(q.points), "max_points": str(q.max_points),
               "pending": q.pending, "dropped": q.dropped}
        if q.targets:
            row["targets"] = [{"label": t.label, "html": t.html} for t in q.targets]
        if with_key:
            row["key"] = q.key
        out.append(row)
    return out
