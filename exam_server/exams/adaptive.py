"""Adaptive exams (computerized adaptive testing): the domain side, over item_bank.psychometrics.cat.

An exam is adaptive when `exams.adaptive` holds its rules ({"rules": {max_items, min_items,
se_target, randomesque_n[, exposure, exposure_rate, section]}}). Without `section` the whole exam
is adaptive: assembling it makes ONE form, the pool: every approved version of the exam's subject
and grade in one of the blueprint's cells with a calibration (analysis' item_calibrations). With
`section` (blueprint row numbers) only those rows are: the other rows are assembled into forms as
for any exam and the section's pool is appended to every form. Either way each pool version's
parameters, cell (and Sympson-Hetter K) are snapshotted into `exams.adaptive["pool"]`, so a later
calibration never changes a running exam. Content balancing targets the blueprint's cell counts
(Kingsbury and Zara), exposure is randomesque or Sympson-Hetter, the EAP is N(0, 1)-prior.

A candidate's paper is the form's shuffle (option orders as for any paper) with `item_order`
holding the fixed questions (`adaptive["fixed"]` of them, none for a wholly adaptive exam), then
the section's questions given so far, the last one open until answered; the CAT state is in
`candidate_papers.adaptive`. Every other reader of papers (the live state, scoring, the review)
therefore sees the questions the candidate was given, in their order, with nothing special.

    first_paper(exam, form, seed, shuffled)   at assembly: fixed questions, the first adaptive one, the state
    step(paper, response)                     after an answer: the new state and the next question
    advance(candidate_id, given, step)        the one UPDATE that records it (guarded by adaptive_step)
    result(paper, fractions, fixed)           θ, its SE and the 0-10 score
    replay(paper, shuffled)                   the paper again from its seed and recorded answers
"""
from __future__ import annotations

import math
import threading
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from flask import current_app
from sqlalchemy import select, update

from exam_server.core.db import session
from exam_server.core.errors import ApiError, Conflict
from exam_server.exams.models import CandidatePaper, Exam
from exam_server.exams.papers import Paper, PaperQuestion
from item_bank import types as item_types
from item_bank.assembly.blueprint import Blueprint, BlueprintError, coerce_level, normalise_label
from item_bank.model import ResponseError
from item_bank.psychometrics import PsychometricsError
from item_bank.psychometrics.calibrate import FAMILY
from item_bank.psychometrics.cat import CatPool, CatRules, CatState, Choice, next_item
from item_bank.psychometrics.cat import update as cat_update
from item_bank.psychometrics.cat_simulation import sympson_hetter_parameters
from item_bank.psychometrics.params import ItemEstimate
from item_bank.psychometrics.scoring import ItemSet

RULE_LIMITS = {"max_items": (1, 200), "min_items": (0, 200), "randomesque_n": (1, 50)}
SE_TARGET_LIMITS = (0.05, 2.0)
EXPOSURE_RATE_LIMITS = (0.05, 1.0)
EXPOSURES = ("randomesque", "sympson_hetter")
DEFAULT_RULES = {"max_items": 30, "min_items": 5, "se_target": 0.3, "randomesque_n": 5}
# Rules shown and stored only when set (an exam made before them reads their defaults).
OPTIONAL_RULES = {"exposure": "randomesque", "exposure_rate": 0.25, "section": None}
SH_SIMULATED, SH_ITERATIONS = 400, 6      # Sympson-Hetter's simulation at assembly


def _bad(field: str, message: str) -> ApiError:
    return ApiError("bad_value", message, 422, field)


def _number_in(value: Any, low: float, high: float) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float) and low <= value <= high


def validate_rules(data: Any) -> dict[str, Any] | None:
    """The exam's `adaptive` field as sent: null (a fixed-form exam) or the CAT rules."""
    if data is None:
        return None
    if not isinstance(data, dict):
        raise _bad("adaptive", "adaptive must be null or an object of rules.")
    unknown = sorted(set(data) - set(DEFAULT_RULES) - set(OPTIONAL_RULES))
    if unknown:
        raise _bad(f"adaptive.{unknown[0]}", f"Unknown adaptive rule {unknown[0]!r}.")
    rules = {**DEFAULT_RULES, **data}
    for name, (low, high) in RULE_LIMITS.items():
        value = rules[name]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise _bad(f"adaptive.{name}", f"{name} must be a whole number from {low} to {high}.")
    se = rules["se_target"]
    if se is not None and not _number_in(se, *SE_TARGET_LIMITS):
        raise _bad("adaptive.se_target", f"se_target must be null or a number from {SE_TARGET_LIMITS[0]} "
                                         f"to {SE_TARGET_LIMITS[1]}.")
    if rules["min_items"] > rules["max_items"]:
        raise _bad("adaptive.min_items", "min_items must not exceed max_items.")
    if "exposure" in rules and rules["exposure"] not in EXPOSURES:
        raise _bad("adaptive.exposure", f"exposure must be one of {', '.join(EXPOSURES)}.")
    if "exposure_rate" in rules and not _number_in(rules["exposure_rate"], *EXPOSURE_RATE_LIMITS):
        raise _bad("adaptive.exposure_rate", f"exposure_rate must be a number from {EXPOSURE_RATE_LIMITS[0]} "
                                             f"to {EXPOSURE_RATE_LIMITS[1]}.")
    section = rules.get("section")
    if section is not None and (not isinstance(section, list) or not section or len(set(section)) != len(section)
                                or any(isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < 500
                                       for i in section)):
        raise _bad("adaptive.section", "section must be null (the whole exam is adaptive) or a list of "
                                       "distinct blueprint row numbers (0-based).")
    return {"rules": rules}


def rule(adaptive: dict[str, Any] | None, name: str) -> Any:
    """One of the exam's rules, or its default."""
    rules = (adaptive or {}).get("rules") or {}
    return rules.get(name, DEFAULT_RULES.get(name, OPTIONAL_RULES.get(name)))


def section_rows(exam: Exam, blueprint: Blueprint) -> tuple[set[int], Blueprint | None]:
    """(the adaptive rows, the blueprint of the fixed part or None when the whole exam is adaptive).
    422 when the section names a row the blueprint does not have, or every row."""
    section = rule(exam.adaptive, "section")
    if section is None:
        return set(range(len(blueprint.rows))), None
    if max(section) >= len(blueprint.rows):
        raise _bad("adaptive.section", f"The blueprint has no row {max(section)} (rows are numbered from 0).")
    fixed = [row for i, row in enumerate(blueprint.rows) if i not in section]
    if not fixed:
        raise _bad("adaptive.section", "The section takes every row: leave section null for a wholly "
                                       "adaptive exam.")
    return set(section), Blueprint(tuple(fixed), math.fsum(r.count * r.points_each for r in fixed))


def _cell_of(version: Any) -> tuple | None:
    try:
        return (normalise_label(version.topic or ""), coerce_level(version.cognitive_level),
                normalise_label(version.item_type))
    except (BlueprintError, ValueError, TypeError):
        return None


def pool_items(exam: Exam, versions: list[Any], calibrations: dict[int, dict[str, Any]]) -> list[tuple[int, float]]:
    """(version id, points) of the pool, in version order, and the snapshot stored on the exam:
    the calibrated versions in the adaptive section's cells (every cell when the whole exam is
    adaptive), each with its parameters, cell and (Sympson-Hetter) exposure parameter.
    422 adaptive_pool_empty when no calibrated version fits a cell."""
    blueprint = Blueprint.from_dict(exam.blueprint)
    section, _fixed = section_rows(exam, blueprint)
    rows = {row.cell: row for i, row in enumerate(blueprint.rows) if i in section}
    chosen, snapshot = [], {}
    for version in versions:
        key = _cell_of(version)
        row = rows.get(key)
        params = calibrations.get(version.id)
        if row is None or params is None:
            continue
        snapshot[str(version.id)] = {**params, "cell": row.label}
        chosen.append((version.id, float(row.points_each)))
    if not chosen:
        raise ApiError("adaptive_pool_empty", "No approved, calibrated item fits a cell of the blueprint: "
                       "calibrate the bank's items on an earlier exam first.", 422, "blueprint")
    cells = {row.label: row.count for row in rows.values()}
    if rule(exam.adaptive, "exposure") == "sympson_hetter":
        items = [ItemEstimate.from_dict({**p, "id": key}, FAMILY[p["model"]]) for key, p in snapshot.items()]
        k = sympson_hetter_parameters(CatPool(items, {key: p["cell"] for key, p in snapshot.items()}),
                                      _cat_rules(exam.adaptive, cells), r_max=float(rule(exam.adaptive, "exposure_rate")),
                                      n=SH_SIMULATED, iterations=SH_ITERATIONS, seed=exam.id)
        for key, value in k.items():
            snapshot[key]["exposure_k"] = round(value, 6)
    exam.adaptive = {**(exam.adaptive or {}), "pool": snapshot, "cells": cells,
                     "section_points": math.fsum(row.count * row.points_each for row in rows.values())}
    return chosen


def _cat_rules(adaptive: dict[str, Any], cells: dict[str, int] | None) -> CatRules:
    return CatRules(max_items=rule(adaptive, "max_items"), min_items=rule(adaptive, "min_items"),
                    se_target=rule(adaptive, "se_target"), randomesque_n=rule(adaptive, "randomesque_n"),
                    exposure=rule(adaptive, "exposure"), cells=cells or None)


# --- the pool, kept per process ---------------------------------------------------------------

@dataclass(frozen=True)
class Pool:
    cat: CatPool
    rules: CatRules
    position: dict[str, int]           # version id (str) -> form position
    points: dict[str, float]
    section_points: float              # the section's share of the exam's points (blueprint)


_lock = threading.Lock()


def pool_for(exam_id: int, form) -> Pool:
    """The form's CAT pool, built once per process (exams.adaptive is fixed once assembled; a
    re-assembled draft gets new form ids)."""
    cache = current_app.extensions.setdefault("exam_adaptive_pools", {})
    found = cache.get(form.form_id)
    if found is not None:
        return found
    adaptive = session.scalar(select(Exam.adaptive).where(Exam.id == exam_id)) or {}
    snapshot = adaptive.get("pool") or {}
    items, cells, position, points, k = [], {}, {}, {}, {}
    for question in form.questions:
        key = str(question.item_version_id)
        params = snapshot.get(key)
        if params is None:          # a fixed question of a paper with an adaptive section
            continue
        items.append(ItemEstimate.from_dict({**params, "id": key}, FAMILY[params["model"]]))
        cells[key], position[key], points[key] = params.get("cell"), question.position, question.points
        k[key] = params.get("exposure_k", 1.0)
    pool = Pool(CatPool(items, cells, k), _cat_rules(adaptive, adaptive.get("cells")), position, points,
                float(adaptive.get("section_points") or 10.0))
    with _lock:
        cache[form.form_id] = pool
    return pool


# --- papers -----------------------------------------------------------------------------------

def _state(state: CatState, done: bool, fixed: int) -> dict[str, Any]:
    return {**state.to_dict(), "done": done, "fixed": fixed}


def _chosen(state: CatState, choice: Choice | None) -> CatState:
    """The state with the items the exposure lottery refused for this choice (Sympson-Hetter):
    they are never offered to this candidate again, and the replay refuses them the same way."""
    return state if choice is None or not choice.refused else replace(state, refused=(*state.refused, *choice.refused))


def first_paper(exam_id: int, form, seed: str, shuffled: list[int]) -> tuple[list[int], dict[str, Any]]:
    """(item_order, state) of a new adaptive paper: the fixed questions in their shuffled order
    (none when the whole exam is adaptive), then the section's first question, chosen at the prior."""
    pool = pool_for(exam_id, form)
    in_pool = set(pool.position.values())
    fixed = [position for position in shuffled if position not in in_pool]
    state = CatState.start(seed, pool.rules)
    choice = next_item(state, pool.cat, pool.rules)
    if choice is None:
        raise Conflict("adaptive_pool_empty", "The adaptive pool has no item to give.", "blueprint")
    return [*fixed, pool.position[choice.item_id]], _state(_chosen(state, choice), False, len(fixed))


def fixed_count(paper: Paper) -> int:
    """How many fixed questions open the paper (0: the whole exam is adaptive)."""
    return int((paper.adaptive or {}).get("fixed") or 0)


def category(item: ItemEstimate, fraction: float) -> int:
    """The score category of a question's score share: the calibration's nearest score."""
    return int(np.argmin([abs(score - fraction) for score in item.scores]))


def fraction_of(question: PaperQuestion, response: Any) -> float:
    try:
        return float(item_types.score(question.question.content, response).fraction)
    except (ResponseError, TypeError, ValueError, KeyError, AttributeError):
        return 0.0


@dataclass(frozen=True)
class Step:
    paper: Paper                # the paper after the step (one question more unless done)
    item_order: list[int]
    state: dict[str, Any]
    next_question: PaperQuestion | None


def step(paper: Paper, response: Any) -> Step:
    """The candidate answered the open (last) question: update the EAP, choose the next one."""
    pool = pool_for(paper.form.exam["id"], paper.form)
    current = paper.questions[-1]
    key = str(current.question.item_version_id)
    item = pool.cat.items[pool.cat.index[key]]
    state = cat_update(CatState.from_dict(paper.adaptive), pool.cat, key,
                       category(item, fraction_of(current, response)))
    choice = next_item(state, pool.cat, pool.rules)
    state, fixed = _chosen(state, choice), fixed_count(paper)
    by_position = {q.position: q for q in paper.form.questions}
    order = [q.question.position for q in paper.questions]
    if choice is None:
        new_state = _state(state, True, fixed)
        return Step(replace(paper, adaptive=new_state), order, new_state, None)
    position = pool.position[choice.item_id]
    question = by_position[position]
    shown = PaperQuestion(len(paper.questions) + 1, question,
                          _option_order(paper, question.item_version_id))
    new_state = _state(state, False, fixed)
    return Step(replace(paper, questions=(*paper.questions, shown), adaptive=new_state), [*order, position],
                new_state, shown)


def _option_order(paper: Paper, version_id: int) -> dict[str, list[str]]:
    return (paper.option_orders or {}).get(str(version_id), {})


def advance(candidate_id: int, given_before: int, done: Step) -> bool:
    """Record a step: ONE statement, applied only if nobody recorded this step already
    (`given_before`: the section's questions answered before this one)."""
    answered = len(done.state["administered"])
    changed = session.execute(
        update(CandidatePaper).where(CandidatePaper.candidate_id == candidate_id,
                                     CandidatePaper.adaptive_step == given_before)
        .values(item_order=done.item_order, adaptive=done.state, adaptive_step=answered)
        .execution_options(synchronize_session=False))
    return changed.rowcount == 1


# --- results and replay -----------------------------------------------------------------------

def result(paper: Paper, fractions: dict[int, float | None],
           fixed: tuple[float, float] = (0.0, 0.0)) -> tuple[float, float, float]:
    """(θ, SE, score 0..10) of an adaptive paper from its scored questions (number -> score share,
    None or missing: not answered, so not presented): the EAP under N(0, 1) of the section's
    answers, and the score 10 x (fixed points + S x E) / (fixed maximum + S), where S is the
    section's points in the blueprint and E the expected share of the pool's points at θ (the
    pool's test characteristic curve); `fixed`: the fixed questions' (points, maximum), (0, 0)
    when the whole exam is adaptive, which leaves 10 x E."""
    pool = pool_for(paper.form.exam["id"], paper.form)
    items, codes = [], []
    for q in paper.questions:
        fraction = fractions.get(q.number)
        key = str(q.question.item_version_id)
        if fraction is None or key not in pool.cat.index:
            continue
        item = pool.cat.items[pool.cat.index[key]]
        items.append(item)
        codes.append(category(item, float(fraction)))
    if items:
        found = ItemSet(items).eap(np.array([codes]))
        theta, se = float(found.theta[0]), float(found.se[0])
    else:
        theta, se = 0.0, 1.0
    expected = ItemSet(pool.cat.items).expected_scores([theta])[:, 0]
    weights = np.array([pool.points[item.id] for item in pool.cat.items])
    top = np.array([max(item.scores) for item in pool.cat.items])
    share = float(weights @ expected / (weights @ top)) if (weights @ top) > 0 else 0.0
    raw, maximum = fixed
    if maximum <= 0:
        return theta, se, 10 * share
    return theta, se, 10 * (raw + pool.section_points * share) / (maximum + pool.section_points)


def replay(paper: Paper, shuffled: list[int]) -> dict[str, Any]:
    """The adaptive paper reproduced: the fixed questions from the shuffle (`shuffled`, the
    seed's order of the whole form), then the same seed and the recorded answers' categories must
    give the section's questions in the same order (a complaint's check)."""
    pool = pool_for(paper.form.exam["id"], paper.form)
    recorded = CatState.from_dict(paper.adaptive)
    state = CatState.start(recorded.seed, pool.rules)
    in_pool = set(pool.position.values())
    order = [position for position in shuffled if position not in in_pool]
    for _item_id, code in zip(recorded.administered, recorded.scores):
        choice = next_item(state, pool.cat, pool.rules)
        if choice is None:
            break
        order.append(pool.position[choice.item_id])
        try:
            state = cat_update(state, pool.cat, choice, code)
        except PsychometricsError:
            break
    if not paper.adaptive.get("done") and (choice := next_item(state, pool.cat, pool.rules)) is not None:
        order.append(pool.position[choice.item_id])
    given = [q.question.position for q in paper.questions]
    return {"item_order": order, "matches_record": order == given, "theta": state.theta, "se": state.se}
