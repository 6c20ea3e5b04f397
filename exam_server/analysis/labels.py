"""Flags and DIF classes in the page's language. The rules and their numbers are the library's
(item_bank.psychometrics.flags); only the words are here."""
from __future__ import annotations

from typing import Any

from flask_babel import gettext as _


def flag_text(flag: dict[str, Any]) -> str:
    code, v = flag["code"], flag.get("values", {})
    if code == "too_hard":
        return _("Too hard: p = %(p).2f (below 0.2)", p=v["p"])
    if code == "too_easy":
        return _("Too easy: p = %(p).2f (above 0.9)", p=v["p"])
    if code == "negative_discrimination":
        return _("Negative discrimination (r = %(r).2f): check the key", r=v["r"])
    if code == "low_discrimination":
        return _("Low discrimination: r = %(r).2f (below 0.2)", r=v["r"])
    if code == "nonfunctioning_distractor":
        return _("Option %(option)s is chosen by %(share).0f%% (under 5%%): non-functioning distractor",
                 option=v["option"], share=100 * v["share"])
    if code == "distractor_beats_key":
        return _("Option %(option)s beats the key %(key)s among high scorers (%(share).0f%% against %(key_share).0f%%)",
                 option=v["option"], key=v["key"], share=100 * v["share"], key_share=100 * v["key_share"])
    return flag.get("reason", code)


def group_name(group: str) -> str:
    return {"male": _("Male"), "female": _("Female"), "urban": _("Urban"), "suburban": _("Suburban"),
            "remote": _("Remote")}.get(group, group)


def comparison_name(entry: dict[str, Any]) -> str:
    """"Male (reference) / Female (focal)"."""
    return _("%(reference)s (reference) / %(focal)s (focal)", reference=group_name(entry["reference"]),
             focal=group_name(entry["focal"]))


def dif_text(result: dict[str, Any] | None) -> str:
    """A DIF result in a cell: its ETS class, the statistic, whom it favours."""
    if not result or not result.get("category"):
        return "—"
    text = result["category"]
    if result.get("statistic") is not None:
        text += f" ({result['statistic']:+.2f})"
    if result.get("favours"):
        text += " " + (_("favours the focal group") if result["favours"] == "focal"
                       else _("favours the reference group"))
    return text


def strings() -> dict[str, str]:
    return {"small_sample": _("Fewer than 30 candidates: the statistics are unstable, read the flags with care.")}
