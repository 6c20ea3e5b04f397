"""Results: scoring attempts, essay marking, corrections. Services flush, never commit.

Public surface for live delivery: `score_attempt(attempt)` (at submit and at the deadline).
Every score is a new `Result` version (append-only); the highest version is the current one.
Pure scoring rules live in `exam_server.results.scoring` (documented there).

Essays: each essay response (attempt + question) is marked against its rubric by one teacher
(round 1); when the exam's `EssayPolicy` asks for a second scorer, a second teacher marks it
blind (round 2). Two scores within the policy's threshold (in the question's points) settle on
their mean; a larger gap needs a third, resolution score (round 3), which is final. A teacher
never marks the same response twice. Once every essay of an attempt is settled its result
becomes final.
"""
from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, insert, select

from exam_server.accounts.models import User
from exam_server.bank.models import ItemVersion
from exam_server.core import signals
from exam_server.core.db import session, utcnow
from exam_server.core.errors import ApiError, Conflict, NotFound
from exam_server.exams import papers
from exam_server.exams.models import Candidate, Exam, ExamForm, ExamFormItem
from exam_server.live.models import Attempt
from exam_server.results import scoring
from exam_server.results.models import Correction, EssayPolicy, EssayScore, Result, ResultItem
from item_bank import types as item_types
from item_bank.model import ItemContent, ItemValidationError

CORRECTION_KINDS = ("drop", "accept_keys")
MAX_REASON_CHARS = 2000
MAX_COMMENT_CHARS = 5000
MAX_ACCEPTED_KEYS = 20
CRITERION_STEP = Decimal("0.01")


def _bad(field: str, message: str, code: str = "bad_value") -> ApiError:
    return ApiError(code, message, 422, field)


# --- inputs of scoring ----------------------------------------------------------------------

def paper_questions(candidate: Candidate) -> list[scoring.Question]:
    return _questions(papers.paper(candidate.id))


def _questions(paper: papers.Paper) -> list[scoring.Question]:
    return [scoring.Question(number=q.number, item_version_id=q.question.item_version_id, content=q.question.content,
                             points=scoring.to_decimal(q.question.points))
            for q in paper.questions]


def exam_corrections(exam_id: int) -> scoring.Corrections:
    dropped: set[int] = set()
    keys: dict[int, list[dict[str, Any]]] = {}
    for row in session.scalars(select(Correction).where(Correction.exam_id == exam_id).order_by(Correction.id)):
        if row.kind == "drop":
            dropped.add(row.item_version_id)
        elif row.kind == "accept_keys":
            keys.setdefault(row.item_version_id, []).extend(row.data.get("keys", []))
    return scoring.Corrections(dropped=frozenset(dropped), accepted_keys={k: tuple(v) for k, v in keys.items()})


def essay_policy(exam_id: int) -> EssayPolicy:
    policy = session.get(EssayPolicy, exam_id)
    if policy is None:
        return EssayPolicy(exam_id=exam_id, second_scorer_required=False,
                           resolution_threshold_points=Decimal("0.5"))
    return policy


# --- essays ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class EssayState:
    scores: tuple[EssayScore, ...]
    fraction: Decimal | None      # settled fraction of the question's points, or None
    next_round: int | None        # the round a teacher should mark next, None when settled

    def scored_by(self, user_id: int) -> bool:
        return any(s.scorer_id == user_id for s in self.scores)


def _fraction_of(score: EssayScore) -> Decimal:
    return scoring.quantize_fraction(score.total / score.rubric_max) if score.rubric_max else Decimal(0)


def essay_state(scores: Iterable[EssayScore], policy: EssayPolicy, points: Decimal) -> EssayState:
    by_round = {s.round: s for s in scores}
    scores = tuple(sorted(by_round.values(), key=lambda s: s.round))
    if 3 in by_round:
        return EssayState(scores, _fraction_of(by_round[3]), None)
    if 1 not in by_round:
        return EssayState(scores, None, 1)
    first = _fraction_of(by_round[1])
    if 2 not in by_round:
        if policy.second_scorer_required:
            return EssayState(scores, None, 2)
        return EssayState(scores, first, None)
    second = _fraction_of(by_round[2])
    gap = abs(first - second) * points
    if gap > Decimal(policy.resolution_threshold_points):
        return EssayState(scores, None, 3)
    return EssayState(scores, scoring.quantize_fraction((first + second) / 2), None)


def _essay_scores(attempt_id: int) -> dict[int, list[EssayScore]]:
    found: dict[int, list[EssayScore]] = {}
    for row in session.scalars(select(EssayScore).where(EssayScore.attempt_id == attempt_id)):
        found.setdefault(row.question_number, []).append(row)
    return found


def attempt_essay_scores(attempt_id: int) -> list[EssayScore]:
    return list(session.scalars(select(EssayScore).where(EssayScore.attempt_id == attempt_id)
                                .order_by(EssayScore.question_number, EssayScore.round)))


def _manual_fractions(attempt: Attempt, questions: list[scoring.Question],
                      scores: dict[int, list[EssayScore]] | None = None) -> dict[int, Decimal]:
    if scores is None:
        scores = _essay_scores(attempt.id)
    if not scores:
        return {}
    policy = essay_policy(attempt.exam_id)
    fractions = {}
    for q in questions:
        if q.number in scores:
            state = essay_state(scores[q.number], policy, q.points)
            if state.fraction is not None:
                fractions[q.number] = state.fraction
    return fractions


# --- results --------------------------------------------------------------------------------

def latest_result(attempt_id: int) -> Result | None:
    return session.scalar(select(Result).where(Result.attempt_id == attempt_id)
                          .order_by(Result.version.desc()).limit(1))


def _store_many(scored: list[tuple[Attempt, scoring.PaperScore, str]]) -> list[Result]:
    """Append a result version per attempt: a fixed number of statements for the whole batch."""
    if not scored:
        return []
    ids = [attempt.id for attempt, _paper, _reason in scored]
    previous = dict(session.execute(select(Result.attempt_id, func.max(Result.version))
                                    .where(Result.attempt_id.in_(ids)).group_by(Result.attempt_id)).all())
    now = utcnow()
    results = [Result(attempt_id=attempt.id, candidate_id=attempt.candidate_id, exam_id=attempt.exam_id,
                      version=(previous.get(attempt.id) or 0) + 1, status=paper.status, raw_points=paper.raw_points,
                      max_points=paper.max_points, score=paper.score, pending_essays=paper.pending,
                      theta=paper.theta, theta_se=paper.theta_se, reason=reason[:64], computed_at=now)
               for attempt, paper, reason in scored]
    session.add_all(results)
    session.flush()
    # One executemany without RETURNING (the items' ids are never read here): a fixed number of
    # statements whatever the paper's length.
    session.execute(insert(ResultItem), [
        {"result_id": result.id, "question_number": q.number, "item_version_id": q.item_version_id,
         "response": q.response, "max_points": q.max_points, "fraction": q.fraction, "points": q.points,
         "needs_manual": q.needs_manual, "dropped": q.dropped, "invalid": q.invalid}
        for result, (_attempt, paper, _reason) in zip(results, scored) for q in paper.questions])
    session.flush()
    for result in results:
        session.expire(result, ["items"])
        signals.result_stored.send(result.exam_id, result_id=result.id, attempt_id=result.attempt_id,
                                   candidate_id=result.candidate_id, version=result.version, status=result.status,
                                   score=result.score, raw_points=result.raw_points, max_points=result.max_points,
                                   reason=result.reason, at=result.computed_at)
    return results


def _store(attempt: Attempt, paper: scoring.PaperScore, reason: str) -> Result:
    return _store_many([(attempt, paper, reason)])[0]


def _score(attempt: Attempt, answers: dict[int, Any], reason: str) -> Result:
    exam = session.get(Exam, attempt.exam_id)
    delivered = papers.paper(attempt.candidate_id)
    questions = _questions(delivered)
    paper = scoring.score_paper(questions, answers, exam.score_rounding.value, exam_corrections(exam.id),
                                _manual_fractions(attempt, questions))
    return _store(attempt, _adaptive(delivered, paper, exam.score_rounding.value), reason)


def _adaptive(delivered: papers.Paper, paper: scoring.PaperScore, rounding: str) -> scoring.PaperScore:
    """An adaptive paper's result: θ and its SE from the section's questions answered, and the 0-10
    score from the fixed questions' points and the expected score on the pool (exams/adaptive.py);
    a fixed paper's as it is."""
    if delivered.adaptive is None:
        return paper
    from dataclasses import replace

    from exam_server.exams import adaptive

    fractions = {q.number: (None if q.response is None or q.fraction is None else float(q.fraction))
                 for q in paper.questions}
    fixed = paper.questions[:adaptive.fixed_count(delivered)]     # an adaptive section's fixed part
    theta, se, on_ten = adaptive.result(delivered, fractions, (
        float(sum((q.points for q in fixed if q.points is not None), scoring.ZERO)),
        float(sum((q.max_points for q in fixed), scoring.ZERO))))
    return replace(paper, theta=theta, theta_se=se,
                   score=scoring.round_score(scoring.to_decimal(round(on_ten, 6)), rounding))


def score_attempt(attempt: Attempt, answers: dict[int, Any] | None = None) -> Result:
    """Score an attempt from its latest answers (the live feature's) and append a result version.
    Flushes, the caller commits."""
    if answers is None:
        return score_attempts([attempt])[0]
    return _score(attempt, {int(k): v for k, v in answers.items()}, "submit")


def score_attempts(attempts: list[Attempt]) -> list[Result]:
    """Score attempts at submit or at the deadline from their latest answers: a fixed number of
    statements for the whole batch (the sweeper closes a room's attempts together)."""
    from exam_server.live.services import latest_answers_many  # the live feature's answers

    if not attempts:
        return []
    ids = [attempt.id for attempt in attempts]
    answers = latest_answers_many(ids)
    paper_of = papers.papers(attempt.candidate_id for attempt in attempts)
    essays: dict[int, dict[int, list[EssayScore]]] = {}
    for row in session.scalars(select(EssayScore).where(EssayScore.attempt_id.in_(ids))):
        essays.setdefault(row.attempt_id, {}).setdefault(row.question_number, []).append(row)
    by_exam: dict[int, tuple[Exam, scoring.Corrections]] = {}
    scored = []
    for attempt in attempts:
        if attempt.exam_id not in by_exam:
            by_exam[attempt.exam_id] = (session.get(Exam, attempt.exam_id), exam_corrections(attempt.exam_id))
        exam, corrections = by_exam[attempt.exam_id]
        questions = _questions(paper_of[attempt.candidate_id])
        paper = scoring.score_paper(questions, answers.get(attempt.id, {}), exam.score_rounding.value, corrections,
                                    _manual_fractions(attempt, questions, essays.get(attempt.id, {})))
        scored.append((attempt, _adaptive(paper_of[attempt.candidate_id], paper, exam.score_rounding.value), "submit"))
    return _store_many(scored)


def rescore(attempt: Attempt, reason: str) -> Result:
    """A new version from the responses of the current result (what was scored stays what is
    rescored), or from the live answers if the attempt was never scored."""
    current = latest_result(attempt.id)
    if current is None:
        return score_attempt(attempt)
    answers = {item.question_number: item.response for item in current.items}
    return _score(attempt, answers, reason)


def _current_results_query(exam_id: int):
    newest = (select(Result.attempt_id, func.max(Result.version).label("version"))
              .where(Result.exam_id == exam_id).group_by(Result.attempt_id).subquery())
    return select(Result).join(newest, (Result.attempt_id == newest.c.attempt_id)
                               & (Result.version == newest.c.version))


def current_results(exam_id: int) -> list[Result]:
    return list(session.scalars(_current_results_query(exam_id).order_by(Result.candidate_id)))


def candidate_results(exam: Exam, candidate: Candidate) -> list[Result]:
    """Every version of the candidate's result, newest first."""
    return list(session.scalars(select(Result).where(Result.exam_id == exam.id,
                                                     Result.candidate_id == candidate.id)
                                .order_by(Result.version.desc())))


# --- essay queue and scores -------------------------------------------------------------------

def anonymous_code(attempt_id: int, question_number: int, secret_key: str) -> str:
    digest = hmac.new(secret_key.encode(), f"essay:{attempt_id}:{question_number}".encode(), hashlib.sha256)
    return "BL-" + digest.hexdigest()[:8].upper()


def _rubric(item_version_id: int) -> list[dict[str, Any]]:
    version = session.get(ItemVersion, item_version_id)
    return list((version.answer_key or {}).get("rubric", [])) if version else []


def essay_queue(exam: Exam, user: User, secret_key: str) -> list[dict[str, Any]]:
    """Essays of the exam awaiting a mark this user may give: no names, no other scores."""
    policy = essay_policy(exam.id)
    queue = []
    items = session.execute(
        select(ResultItem, Result).join(Result, ResultItem.result_id == Result.id)
        .where(Result.id.in_(select(_current_results_query(exam.id).subquery().c.id)),
               ResultItem.needs_manual.is_(True), ResultItem.dropped.is_(False))
        .order_by(Result.attempt_id, ResultItem.question_number))
    scores_cache: dict[int, dict[int, list[EssayScore]]] = {}
    for item, result in items:
        scores = scores_cache.setdefault(result.attempt_id, _essay_scores(result.attempt_id))
        state = essay_state(scores.get(item.question_number, []), policy, item.max_points)
        if state.next_round is None or state.scored_by(user.id):
            continue
        version = session.get(ItemVersion, item.item_version_id)
        queue.append({"result_item_id": item.id,
                      "code": anonymous_code(result.attempt_id, item.question_number, secret_key),
                      "round": state.next_round, "stem": version.stem, "response": item.response,
                      "points": str(item.max_points), "rubric": _rubric(item.item_version_id)})
    return queue


def _plain(value: Any) -> str:
    """A stored number as people write it: "1.5", "4", "10" (no trailing zeros, no exponent)."""
    return format(scoring.to_decimal(value).normalize(), "f")


def marked_essays(exam: Exam, user: User, secret_key: str) -> list[dict[str, Any]]:
    """The essays of the exam this user has marked, with their mark (criteria, total, comment):
    blind like the queue (the anonymous code, never a name or a candidate number)."""
    rows = session.execute(
        select(EssayScore, ResultItem).join(Attempt, Attempt.id == EssayScore.attempt_id)
        .join(ResultItem, ResultItem.id == EssayScore.result_item_id)
        .where(Attempt.exam_id == exam.id, EssayScore.scorer_id == user.id)
        .order_by(EssayScore.at, EssayScore.id))
    marked = []
    for score, item in rows:
        rubric = _rubric(score.item_version_id)
        marked.append({"code": anonymous_code(score.attempt_id, score.question_number, secret_key),
                       "round": score.round, "points": _plain(item.max_points), "response": item.response,
                       "criteria": [{"criterion": c.get("criterion", ""), "max_points": c.get("max_points"),
                                     "given": _plain(given)} for c, given in zip(rubric, score.criteria, strict=False)],
                       "total": _plain(score.total), "rubric_max": _plain(score.rubric_max),
                       "comment": score.comment, "at": score.at})
    return marked


def _criterion(value: Any, field: str, maximum: Decimal) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _bad(field, "Each criterion's points must be a number.")
    if isinstance(value, float) and not math.isfinite(value):
        raise _bad(field, "Each criterion's points must be a finite number.")
    try:
        points = scoring.to_decimal(value.strip() if isinstance(value, str) else value)
    except (InvalidOperation, ValueError):
        raise _bad(field, "Each criterion's points must be a number.") from None
    if not points.is_finite():
        raise _bad(field, "Each criterion's points must be a finite number.")
    if not Decimal(0) <= points <= maximum:
        raise _bad(field, f"Points must be between 0 and {maximum} for this criterion.", "out_of_range")
    if points != points.quantize(CRITERION_STEP):
        raise _bad(field, "Points are given to at most two decimal places.")
    return points


def submit_essay_score(user: User, data: dict[str, Any]) -> tuple[EssayScore, EssayState, Result | None]:
    item_id = data.get("result_item_id")
    if isinstance(item_id, bool) or not isinstance(item_id, int):
        raise _bad("result_item_id", "result_item_id must be the id of an essay from the queue.")
    item = session.get(ResultItem, item_id)
    if item is None:
        raise NotFound(f"No result item {item_id}.", "result_item_id")
    if not item.needs_manual or item.dropped:
        raise Conflict("not_an_essay", "This response is not marked by teachers.", "result_item_id")
    result = item.result
    rubric = _rubric(item.item_version_id)
    criteria = data.get("criteria")
    if not isinstance(criteria, list) or len(criteria) != len(rubric):
        raise _bad("criteria", f"criteria must list the points of each of the {len(rubric)} rubric criteria.")
    points = [_criterion(v, f"criteria.{i}", scoring.to_decimal(c["max_points"]))
              for i, (v, c) in enumerate(zip(criteria, rubric, strict=True))]
    comment = data.get("comment", "")
    if comment is None:
        comment = ""
    if not isinstance(comment, str) or len(comment) > MAX_COMMENT_CHARS:
        raise _bad("comment", f"comment must be text of at most {MAX_COMMENT_CHARS} characters.")
    policy = essay_policy(result.exam_id)
    existing = session.scalars(select(EssayScore).where(EssayScore.attempt_id == result.attempt_id,
                                                         EssayScore.question_number == item.question_number))
    state = essay_state(list(existing), policy, item.max_points)
    if state.scored_by(user.id):
        raise Conflict("already_scored", "You have already marked this response; another teacher must.",
                       "result_item_id")
    if state.next_round is None:
        raise Conflict("already_settled", "This response's mark is already settled.", "result_item_id")
    row = EssayScore(attempt_id=result.attempt_id, question_number=item.question_number,
                     item_version_id=item.item_version_id, result_item_id=item.id, scorer_id=user.id,
                     round=state.next_round, criteria=[str(p) for p in points], total=sum(points, Decimal(0)),
                     rubric_max=sum((scoring.to_decimal(c["max_points"]) for c in rubric), Decimal(0)),
                     comment=comment.strip())
    session.add(row)
    session.flush()
    new_state = essay_state([*state.scores, row], policy, item.max_points)
    new_result = None
    if new_state.fraction is not None:
        new_result = rescore(session.get(Attempt, result.attempt_id), "essay")
    return row, new_state, new_result


def set_essay_policy(exam: Exam, data: dict[str, Any]) -> EssayPolicy:
    policy = session.get(EssayPolicy, exam.id) or EssayPolicy(exam_id=exam.id, second_scorer_required=False,
                                                              resolution_threshold_points=Decimal("0.5"))
    unknown = set(data) - {"second_scorer_required", "resolution_threshold_points"}
    if unknown:
        raise _bad(str(min(unknown)), "Unknown field.", "unknown_field")
    if "second_scorer_required" in data:
        if not isinstance(data["second_scorer_required"], bool):
            raise _bad("second_scorer_required", "second_scorer_required must be true or false.")
        policy.second_scorer_required = data["second_scorer_required"]
    if "resolution_threshold_points" in data:
        policy.resolution_threshold_points = _criterion(data["resolution_threshold_points"],
                                                        "resolution_threshold_points", Decimal(10))
    session.add(policy)
    session.flush()
    return policy


# --- corrections ----------------------------------------------------------------------------

def _exam_version(exam: Exam, item_version_id: Any) -> ItemVersion:
    if isinstance(item_version_id, bool) or not isinstance(item_version_id, int):
        raise _bad("item_version_id", "item_version_id must be the id of a version on the exam's forms.")
    on_exam = session.scalar(select(ExamFormItem.id).join(ExamForm)
                             .where(ExamForm.exam_id == exam.id, ExamFormItem.item_version_id == item_version_id)
                             .limit(1))
    if on_exam is None:
        raise NotFound(f"Item version {item_version_id} is not on exam {exam.id}'s forms.", "item_version_id")
    return session.get(ItemVersion, item_version_id)


def _accepted_keys(version: ItemVersion, data: Any) -> list[dict[str, Any]]:
    if version.item_type == "extended_text":
        raise _bad("kind", "An essay has no key to accept; mark it, or drop the question.")
    keys = data.get("keys") if isinstance(data, dict) else None
    if not isinstance(keys, list) or not 1 <= len(keys) <= MAX_ACCEPTED_KEYS:
        raise _bad("data.keys", f"data.keys must list 1 to {MAX_ACCEPTED_KEYS} keys of the item's type.")
    clean = []
    for i, key in enumerate(keys):
        if not isinstance(key, dict):
            raise _bad(f"data.keys.{i}", "Each accepted key is an object shaped like the item's key.")
        try:
            checked = item_types.validate_content(ItemContent(type=version.item_type, stem=version.stem,
                                                              body=version.body, key=key))
        except ItemValidationError as exc:
            raise _bad(f"data.keys.{i}", exc.message, exc.code) from None
        clean.append(checked.key)
    return clean


def correct_exam(exam: Exam, data: dict[str, Any], actor: User) -> tuple[Correction, int]:
    """Record a correction and rescore every scored attempt of the exam (new result versions)."""
    version = _exam_version(exam, data.get("item_version_id"))
    kind = data.get("kind")
    if kind not in CORRECTION_KINDS:
        raise _bad("kind", f"kind must be one of {', '.join(CORRECTION_KINDS)}.")
    reason = data.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise _bad("reason", "Give the reason for the correction.", "missing")
    if len(reason) > MAX_REASON_CHARS:
        raise _bad("reason", f"At most {MAX_REASON_CHARS} characters.", "too_long")
    payload = data.get("data") or {}
    stored: dict[str, Any] = {}
    if kind == "accept_keys":
        stored = {"keys": _accepted_keys(version, payload)}
    elif payload not in ({}, None):
        raise _bad("data", "A drop takes no data.")
    correction = Correction(exam_id=exam.id, item_version_id=version.id, kind=kind, data=stored,
                            reason=reason.strip(), actor_id=actor.id)
    session.add(correction)
    session.flush()
    count = 0
    for result in current_results(exam.id):
        rescore(session.get(Attempt, result.attempt_id), f"correction:{correction.id}")
        count += 1
    correction.rescored = count
    session.flush()
    signals.correction_applied.send(exam.id, correction_id=correction.id, kind=kind, item_version_id=version.id,
                                    actor_id=actor.id, rescored=count, at=utcnow())
    return correction, count


def list_corrections(exam: Exam) -> list[Correction]:
    return list(session.scalars(select(Correction).where(Correction.exam_id == exam.id).order_by(Correction.id)))


# --- read-only views for item analysis (exam_server.analysis) ----------------------------------

@dataclass(frozen=True)
class ScoredItem:
    """One question of a current result, as item analysis needs it."""

    candidate_id: int
    item_version_id: int
    response: Any
    max_points: Decimal
    fraction: Decimal | None        # None: an essay awaiting its mark
    points: Decimal | None
    dropped: bool


def exam_scored_items(exam_id: int) -> list[ScoredItem]:
    """Every question of every current result of the exam, in one query."""
    current = _current_results_query(exam_id).subquery()
    rows = session.execute(select(current.c.candidate_id, ResultItem)
                           .join(ResultItem, ResultItem.result_id == current.c.id)
                           .order_by(current.c.candidate_id, ResultItem.question_number))
    return [ScoredItem(candidate_id, item.item_version_id, item.response, item.max_points, item.fraction,
                       item.points, item.dropped) for candidate_id, item in rows]


def exams_with_versions(version_ids: Iterable[int]) -> list[int]:
    """Ids of the exams whose results hold any of these item versions."""
    ids = list(version_ids)
    if not ids:
        return []
    return list(session.scalars(select(Result.exam_id).join(ResultItem, ResultItem.result_id == Result.id)
                                .where(ResultItem.item_version_id.in_(ids)).distinct().order_by(Result.exam_id)))
