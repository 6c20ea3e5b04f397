"""Response data: a candidates x items score matrix where NaN means "not presented" (missing, not
wrong), with an optional weight per row (how many candidates share that row).

    responses = Responses.from_csv(path)          # the `item-bank` CSV shape (see read_csv)
    responses = Responses(["q1", "q2"], [[1, 0], [1, float("nan")]])

Rows that share a response pattern are collapsed before estimation (`collapse`): the LSAT data's
1,000 candidates are 30 patterns, and every pass over the data scales with patterns, not people.
"""
from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

WEIGHT_COLUMN = "weight"
MAX_ITEMS = 5_000


class PsychometricsError(ValueError):
    """Bad input to the psychometrics library: `code` is stable, `message` says what and where."""

    def __init__(self, message: str, code: str = "invalid_data", **details):
        super().__init__(message)
        self.message, self.code, self.details = message, code, details


@dataclass
class Responses:
    item_ids: list[str]
    scores: np.ndarray                      # (N, J) float, NaN = not presented (or integers: all presented)
    weights: np.ndarray = field(default=None)   # (N,) > 0, default all 1

    def __post_init__(self) -> None:
        self.item_ids = [str(i) for i in self.item_ids]
        scores = np.asarray(self.scores)
        if not np.issubdtype(scores.dtype, np.integer):
            scores = scores.astype(float, copy=False)   # a large integer matrix stays compact
        if scores.ndim != 2 or scores.shape[1] != len(self.item_ids):
            raise PsychometricsError(f"the score matrix must have {len(self.item_ids)} columns "
                                     f"(one per item id), got shape {scores.shape}", "shape")
        if len(set(self.item_ids)) != len(self.item_ids):
            raise PsychometricsError("an item id appears twice", "duplicate_item")
        if scores.dtype.kind == "f" and (np.isinf(scores).any() or (scores < 0).any()):
            raise PsychometricsError("scores must be finite numbers >= 0", "bad_score")
        if scores.dtype.kind in "iu" and scores.size and scores.min() < 0:
            raise PsychometricsError("scores must be >= 0", "bad_score")
        self.scores = scores
        weights = np.ones(len(scores)) if self.weights is None else np.asarray(self.weights, float)
        if weights.shape != (len(scores),) or not np.isfinite(weights).all() or (weights <= 0).any():
            raise PsychometricsError("weights must be one positive number per row", "bad_weight")
        self.weights = weights

    @property
    def n_rows(self) -> int:
        return self.scores.shape[0]

    @property
    def n_candidates(self) -> float:
        return float(self.weights.sum())

    @property
    def presented(self) -> np.ndarray:
        if self.scores.dtype.kind != "f":
            return np.ones(self.scores.shape, dtype=bool)
        return ~np.isnan(self.scores)

    def subset(self, items: Sequence[int]) -> Responses:
        items = list(items)
        return Responses([self.item_ids[j] for j in items], self.scores[:, items], self.weights)

    @classmethod
    def from_csv(cls, source: str | Path | io.TextIOBase) -> Responses:
        return read_csv(source)


def read_csv(source: str | Path | io.TextIOBase) -> Responses:
    """One row per candidate, one column per item (the header gives the item ids), integer scores,
    an empty cell for an item not presented, and an optional `weight` column (how many candidates
    share the row). Errors name the row (1 = the header) and the column."""
    if isinstance(source, (str, Path)):
        with open(source, newline="", encoding="utf-8-sig") as handle:
            return read_csv(handle)
    reader = csv.reader(source)
    header = next(reader, None)
    if not header or not any(h.strip() for h in header):
        raise PsychometricsError("the file is empty: the first row must name the items", "empty")
    names = [h.strip() for h in header]
    if any(not name for name in names):
        raise PsychometricsError(f"column {names.index('') + 1} has no item id in the header", "no_item_id",
                                 row=1)
    weight_col = names.index(WEIGHT_COLUMN) if WEIGHT_COLUMN in names else None
    item_cols = [i for i, name in enumerate(names) if i != weight_col]
    if not item_cols:
        raise PsychometricsError("the header names no items", "no_items", row=1)
    if len(item_cols) > MAX_ITEMS:
        raise PsychometricsError(f"at most {MAX_ITEMS} items, got {len(item_cols)}", "too_many_items")
    rows, weights = [], []
    for line, record in enumerate(reader, start=2):
        if not record or (len(record) == 1 and not record[0].strip()):
            continue   # a blank line, e.g. at the end of the file (",,," is a row: nothing presented)
        if len(record) != len(names):
            raise PsychometricsError(f"row {line} has {len(record)} cells, the header has {len(names)}",
                                     "ragged_row", row=line)
        rows.append([_score(record[i], line, names[i]) for i in item_cols])
        weights.append(1.0 if weight_col is None else _weight(record[weight_col], line))
    if not rows:
        raise PsychometricsError("the file has a header but no candidates", "no_rows")
    return Responses([names[i] for i in item_cols], np.array(rows, dtype=float), np.array(weights))


def _score(cell: str, line: int, column: str) -> float:
    text = cell.strip()
    if not text:
        return math.nan
    try:
        value = int(text)
    except ValueError:
        raise PsychometricsError(f"row {line}, item {column}: {text!r} is not a whole-number score "
                                 "(leave the cell empty for an item not presented)", "bad_score",
                                 row=line, column=column) from None
    if value < 0:
        raise PsychometricsError(f"row {line}, item {column}: a score cannot be negative ({value})",
                                 "bad_score", row=line, column=column)
    return float(value)


def _weight(cell: str, line: int) -> float:
    try:
        value = float(cell.strip())
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise PsychometricsError(f"row {line}: weight must be a positive number, got {cell!r}", "bad_weight",
                                 row=line, column=WEIGHT_COLUMN)
    return value


def categories(scores: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Per item, the distinct observed scores (sorted) and the codes 0..K-1 of every cell (-1 for
    not presented). IRT models are fitted on these ordinal codes: a score nobody obtained has no
    category, as in mirt."""
    codes = np.full(scores.shape, -1, dtype=np.int16)
    levels = []
    for j in range(scores.shape[1]):
        column = scores[:, j]
        if column.dtype.kind != "f":
            # whole numbers: a count per value is much faster than sorting a million rows
            counts = np.bincount(column.astype(np.int64, copy=False))
            values = np.nonzero(counts)[0]
            lookup = np.cumsum(counts > 0) - 1
            codes[:, j] = lookup[column]
            levels.append(values.astype(float))
            continue
        seen = ~np.isnan(column)
        values = np.unique(column[seen])
        levels.append(values)
        codes[seen, j] = np.searchsorted(values, column[seen])
    return codes, levels


COLLAPSE_MAX_ITEMS = 40


def collapse(codes: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(unique patterns, their summed weights, row -> pattern index). Beyond COLLAPSE_MAX_ITEMS
    items patterns almost never repeat, and sorting a million long rows would cost more than it
    saves: the rows are kept as they are."""
    if codes.shape[1] > COLLAPSE_MAX_ITEMS:
        return codes, np.asarray(weights, float), np.arange(len(codes))
    codes = np.ascontiguousarray(codes)
    rows = codes.view(np.dtype((np.void, codes.dtype.itemsize * codes.shape[1]))).ravel()
    _, first, inverse = np.unique(rows, return_index=True, return_inverse=True)
    totals = np.bincount(inverse.ravel(), weights=weights, minlength=len(first))
    return codes[first], totals, inverse.ravel()
