"""Flags on an item's classical statistics, each with its code, the rule's numbers and a reason
in English; pages translate by code (exam_server.analysis.labels), so the rules live here once.

    too_hard                 p < 0.2
    too_easy                 p > 0.9
    negative_discrimination  corrected item-total r < 0: check the key
    low_discrimination       0 <= r < 0.2
    nonfunctioning_distractor  a distractor chosen by fewer than 5% of candidates
    distractor_beats_key     among the upper group (top 27%), a distractor chosen more often than the key
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

HARD_P, EASY_P = 0.2, 0.9
LOW_DISCRIMINATION = 0.2
NONFUNCTIONING_SHARE = 0.05
FLAG_CODES = ("too_hard", "too_easy", "negative_discrimination", "low_discrimination",
              "nonfunctioning_distractor", "distractor_beats_key")


@dataclass
class Flag:
    code: str
    reason: str
    values: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"code": self.code, "reason": self.reason, "values": self.values}


def item_flags(stats) -> list[Flag]:
    flags = []
    p = stats.p
    if stats.n and p < HARD_P:
        flags.append(Flag("too_hard", f"too hard: p = {p:.2f} < {HARD_P}", {"p": p}))
    if stats.n and p > EASY_P:
        flags.append(Flag("too_easy", f"too easy: p = {p:.2f} > {EASY_P}", {"p": p}))
    r = stats.discrimination
    if r is not None and r < 0:
        flags.append(Flag("negative_discrimination", f"negative discrimination r = {r:.2f}: check the key",
                          {"r": r}))
    elif r is not None and r < LOW_DISCRIMINATION:
        flags.append(Flag("low_discrimination", f"low discrimination: r = {r:.2f} < {LOW_DISCRIMINATION}",
                          {"r": r}))
    distractors = [o for o in stats.options if not o.is_key and o.option is not None]
    key = next((o for o in stats.options if o.is_key), None)
    for option in distractors:
        if option.share < NONFUNCTIONING_SHARE:
            flags.append(Flag("nonfunctioning_distractor",
                              f"option {option.option} chosen by {option.share:.0%} (< 5%): non-functioning",
                              {"option": option.option, "share": option.share}))
    if key is not None:
        for option in distractors:
            if option.upper_share > key.upper_share:
                flags.append(Flag("distractor_beats_key",
                                  f"option {option.option} beats the key {key.option} among high scorers "
                                  f"({option.upper_share:.0%} against {key.upper_share:.0%})",
                                  {"option": option.option, "key": key.option,
                                   "share": option.upper_share, "key_share": key.upper_share}))
    return flags
