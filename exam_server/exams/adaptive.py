"""Adaptive exams (computerized adaptive testing): the domain side, over item_bank.psychometrics.cat.

An exam is adaptive when `exams.adaptive` holds its rules ({"rules": {max_items, min_items,
se_target, randomesque_n}}). Assembling it makes ONE form, the pool: every approved version of the
exam's subject and grade in one of the blueprint's cells with a calibration (analysis'
item_calibrations), and snapshots each version's parameters and cell into `exams.adaptive["pool"]`,
so a later calibration never changes a running exam. Content balancing targets the blueprint's
cell counts (Kingsbury and Zara), exposure is randomesque, the EAP is N(0, 1)-prior.

A candidate's paper is the form's shuffle (option orders as for any paper) with `item_order`
holding only the questions given so far, the last one open until answered, and the CAT state in
`candidate_papers.adaptive`. Every other reader of papers (the live state, scoring, the review)
therefore sees the questions the candidate was given, in their order, with nothing special.

    first_paper(exam, entries, seed)    at assembly: the first question and the starting state
    step(paper, response)               after an answer: the new state and the next question
    advance(candidate_id, given, step)  the one UPDATE that records it (guarded by adaptive_step)
    result(paper, fractions)            θ, its SE and the 0-10 score (expected score on the pool)
    replay(paper)                       the paper again from its seed and recorded answers
"""
from __future__ import annotations

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
from item_bank.psychometrics.cat import CatPool, CatRules, CatState, next_item
from item_bank.psychometrics.cat import update as cat_update
from item_bank.psychometrics.params import ItemEstimate
from item_bank.psychometrics.scoring import ItemSet

RULE_LIMITS = {"max_items": (1, 200), "min_items": (0, 200), "randomesque_n": (1, 50)}
SE_TARGET_LIMITS = (0.05, 2.0)
DEFAULT_RULES = {"max_items": 30, "min_items": 5, "se_target": 0.3, "randomesque_n": 5}


def _bad(field: str, message: str) -> ApiError:
    return ApiError("bad_value", message, 422, field)


def validate_rules(data: Any) -> dict[str, Any] | None:
    """The exam's `adaptive` field as sent: null (a fixed-form exam) or the CAT rules."""
    if data is None:
        return None
    if not isinstance(data, dict):
        raise _bad("adaptive", "adaptive must be null or an object of rules.")
    unknown = sorted(set(data) - set(DEFAULT_RULES))
    if unknown:
        raise _bad(f"adaptive.{unknown[0]}", f"Unknown adaptive rule {unknown[0]!r}.")
    rules = {**DEFAULT_RULES, **data}
    for name, (low, high) in RULE_LIMITS.items():
        value = rules[name]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise _bad(f"adaptive.{name}", f"{name} must be a whole number from {low} to {high}.")
    se = rules["se_target"]
    if se is not None and (isinstance(se, bool) or not isinstance(se, int | float)
                           or not SE_TARGET_LIMITS[0] <= se <= SE_TARGET_LIMITS[1]):
        raise _bad("adaptive.se_target", f"se_target must be null or a number from {SE_TARGET_LIMITS[0]} "
                                         f"to {SE_TARGET_LIMITS[1]}.")
    if rules["min_items"] > rules["max_items"]:
        raise _bad("adaptive.min_items", "min_items must not exceed max_items.")
    return {"rules": rules}


def _cell_of(version: Any) -> tuple | None:
    try:
        return (normalise_label(version.topic or ""), coerce_level(version.cognitive_level),
                normalise_label(version.item_type))
    except (BlueprintError, ValueError, TypeError):
        return None


def pool_items(exam: Exam, versions: list[Any], calibrations: dict[int, dict[str, Any]]) -> list[tuple[int, float]]:
    """(version id, points) of the pool, in version order, and the snapshot stored on the exam.
    422 adaptive_pool_empty when no calibrated version fits a cell."""
    blueprint = Blueprint.from_dict(exam.blueprint)
    rows = {row.cell: row for row in blueprint.rows}
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
    exam.adaptive = {**(exam.adaptive or {}), "pool": snapshot,
                     "cells": {row.label: row.count for row in blueprint.rows}}
    return chosen


# --- the pool, kept per process ---------------------------------------------------------------

@dataclass(frozen=True)
class Pool:
    cat: CatPool
    rules: CatRules
    position: dict[str, int]           # version id (str) -> form position
    points: dict[str, float]


_lock = threading.Lock()


def pool_for(exam_id: int, form) -> Pool:
    """The form's CAT pool, built once per process (exams.adaptive is fixed once assembled; a
    re-assembled draft gets new form ids)."""
    cache = current_app.extensions.setdefault("exam_adaptive_pools", {})
    found = cache.get(form.form_id)
    if found is not None:
        return found
    adaptive = session.scalar(select(Exam.adaptive).where(Exam.id == exam_id)) or {}
    snapshot, rules = adaptive.get("pool") or {}, adaptive.get("rules") or DEFAULT_RULES
    items, cells, position, points = [], {}, {}, {}
    for question in form.questions:
        key = str(question.item_version_id)
        params = snapshot.get(key)
        if params is None:
            continue
        items.append(ItemEstimate.from_dict({**params, "id": key}, FAMILY[params["model"]]))
        cells[key], position[key], points[key] = params.get("cell"), question.position, question.points
    pool = Pool(CatPool(items, cells), CatRules(max_items=rules["max_items"], min_items=rules["min_items"],
                                                 se_target=rules["se_target"], randomesque_n=rules["randomesque_n"],
                                                 cells=adaptive.get("cells") or None),
                position, points)
    with _lock:
        cache[form.form_id] = pool
    return pool


# --- papers -----------------------------------------------------------------------------------

def _state(state: CatState, done: bool) -> dict[str, Any]:
    return {**state.to_dict(), "done": done}


def first_paper(exam_id: int, form, seed: str) -> tuple[list[int], dict[str, Any]]:
    """(item_order, state) of a new adaptive paper: its first question chosen at the prior."""
    pool = pool_for(exam_id, form)
    state = CatState.start(seed, pool.rules)
    choice = next_item(state, pool.cat, pool.rules)
    if choice is None:
        raise Conflict("adaptive_pool_empty", "The adaptive pool has no item to give.", "blueprint")
    return [pool.position[choice.item_id]], _state(state, False)


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
    by_position = {q.position: q for q in paper.form.questions}
    order = [q.question.position for q in paper.questions]
    if choice is None:
        new_state = _state(state, True)
        return Step(replace(paper, adaptive=new_state), order, new_state, None)
    position = pool.position[choice.item_id]
    question = by_position[position]
    shown = PaperQuestion(len(paper.questions) + 1, question,
                          _option_order(paper, question.item_version_id))
    new_state = _state(state, False)
    return Step(replace(paper, questions=(*paper.questions, shown), adaptive=new_state), [*order, position],
                new_state, shown)


def _option_order(paper: Paper, version_id: int) -> dict[str, list[str]]:
    return (paper.option_orders or {}).get(str(version_id), {})


def advance(candidate_id: int, given_before: int, done: Step) -> bool:
    """Record a step: ONE statement, applied only if nobody recorded this step already."""
    answered = len(done.state["administered"])
    changed = session.execute(
        update(CandidatePaper).where(CandidatePaper.candidate_id == candidate_id,
                                     CandidatePaper.adaptive_step == given_before)
        .values(item_order=done.item_order, adaptive=done.state, adaptive_step=answered)
        .execution_options(synchronize_session=False))
    return changed.rowcount == 1


# --- results and replay -----------------------------------------------------------------------

def result(paper: Paper, fractions: dict[int, float | None]) -> tuple[float, float, float]:
    """(θ, SE, score 0..10) of an adaptive paper from its scored questions (number -> score share,
    None or missing: not answered, so not presented): the EAP under N(0, 1), and the expected
    share of the pool's points at θ (the test characteristic curve of the whole pool)."""
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
    return theta, se, 10 * share


def replay(paper: Paper) -> dict[str, Any]:
    """The adaptive paper reproduced: the same seed and the recorded answers' categories must give
    the same questions in the same order (a complaint's check)."""
    pool = pool_for(paper.form.exam["id"], paper.form)
    recorded = CatState.from_dict(paper.adaptive)
    state = CatState.start(recorded.seed, pool.rules)
    order = []
    for item_id, code in zip(recorded.administered, recorded.scores):
        choice = next_item(state, pool.cat, pool.rules)
        if choice is None:
            break
        order.append(pool.position[choice.item_id])
        try:
            state = cat_update(state, pool.cat, choice.item_id, code)
        except PsychometricsError:
            break
    if not paper.adaptive.get("done") and (choice := next_item(state, pool.cat, pool.rules)) is not None:
        order.append(pool.position[choice.item_id])
    given = [q.question.position for q in paper.questions]
    return {"item_order": order, "matches_record": order == given,
            "theta": state.theta, "se": state.se}
