"""Response processing: building it for export, recognising it on import.

Export uses the standard templates where they say exactly what our item type does (match_correct
for all-or-nothing, map_response for additive partial credit) and plain QTI expressions otherwise
(numeric tolerance, the true/false cluster's 0/0.1/0.25/0.5/1 scale, positional ordering credit),
so that another QTI player scores our items the way we do. Import only needs the gist: which
template, and the tolerance of a numeric comparison.
"""
from __future__ import annotations

import math
import posixpath
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from decimal import Decimal

from item_bank.qti import ns
from item_bank.qti.meta import number_text
from item_bank.qti.safexml import QtiError

Q = f"{{{ns.QTI3}}}"


def q(parent: ET.Element | None, name: str, text: str | None = None, **attrib: str) -> ET.Element:
    """A QTI 3.0 element; attribute names are given with "_" for "-" (max_choices=...)."""
    attrs = {k.replace("_", "-"): v for k, v in attrib.items()}
    element = ET.Element(Q + name, attrs) if parent is None else ET.SubElement(parent, Q + name, attrs)
    if text is not None:
        element.text = text
    return element


# --- export ---------------------------------------------------------------------------------------

def template(name: str) -> ET.Element:
    return q(None, "qti-response-processing", template=ns.RP_TEMPLATE_3.format(name))


def _set_score(parent: ET.Element, value: ET.Element | float) -> None:
    setter = q(parent, "qti-set-outcome-value", identifier="SCORE")
    if isinstance(value, ET.Element):
        setter.append(value)
    else:
        q(setter, "qti-base-value", number_text(float(value)), base_type="float")


def _if_else(rp: ET.Element, condition: ET.Element, then: float, otherwise: float) -> None:
    cond = q(rp, "qti-response-condition")
    branch = q(cond, "qti-response-if")
    branch.append(condition)
    _set_score(branch, then)
    _set_score(q(cond, "qti-response-else"), otherwise)


def tolerance_text(tolerance: float, mode: str) -> str:
    """QTI's relative tolerance is a percentage; ours a fraction of |value| (Decimal: no 0.07*100 noise)."""
    if mode == "relative":
        text = format(Decimal(repr(tolerance) if isinstance(tolerance, float) else str(tolerance)) * 100, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    return number_text(tolerance)


def numeric_with_tolerance(tolerance: float, mode: str) -> ET.Element:
    rp = q(None, "qti-response-processing")
    t = tolerance_text(tolerance, mode)
    equal = q(None, "qti-equal", tolerance_mode=mode, tolerance=f"{t} {t}",
              include_lower_bound="true", include_upper_bound="true")
    q(equal, "qti-variable", identifier="RESPONSE")
    q(equal, "qti-correct", identifier="RESPONSE")
    _if_else(rp, equal, 1, 0)
    return rp


def graded_count(fractions: tuple[float, ...]) -> tuple[ET.Element, ET.Element]:
    """(outcome declaration, processing): count right pairs with the mapping, then grade the count."""
    decl = q(None, "qti-outcome-declaration", identifier="RIGHT", cardinality="single", base_type="float")
    rp = q(None, "qti-response-processing")
    counter = q(rp, "qti-set-outcome-value", identifier="RIGHT")
    q(counter, "qti-map-response", identifier="RESPONSE")
    cond = q(rp, "qti-response-condition")
    branch_name = "qti-response-if"
    for right in range(len(fractions) - 1, 0, -1):
        branch = q(cond, branch_name)
        gte = q(branch, "qti-gte")
        q(gte, "qti-variable", identifier="RIGHT")
        q(gte, "qti-base-value", number_text(float(right)), base_type="float")
        _set_score(branch, fractions[right])
        branch_name = "qti-response-else-if"
    _set_score(q(cond, "qti-response-else"), fractions[0])
    return decl, rp


def positional_credit(order: list[str]) -> ET.Element:
    """Ordering, partial: 1/n of the score for every choice in its right place."""
    rp = q(None, "qti-response-processing")
    _set_score(rp, 0)
    share = 1 / len(order)
    for position, ident in enumerate(order, start=1):
        cond = q(rp, "qti-response-condition")
        branch = q(cond, "qti-response-if")
        match = q(branch, "qti-match")
        index = q(match, "qti-index", n=str(position))
        q(index, "qti-variable", identifier="RESPONSE")
        q(match, "qti-base-value", ident, base_type="identifier")
        total = q(None, "qti-sum")
        q(total, "qti-variable", identifier="SCORE")
        q(total, "qti-base-value", number_text(share), base_type="float")
        _set_score(branch, total)
    return rp


# --- import ---------------------------------------------------------------------------------------

@dataclass
class RpInfo:
    template: str | None = None          # match_correct, map_response, map_response_point, custom
    tolerance: float = 0.0
    tolerance_mode: str = "absolute"     # ours: absolute, or relative as a fraction of |value|
    has_tolerance: bool = False


def analyse(rp: ET.Element | None, correct_value: float | None = None) -> RpInfo:
    """What a (normalised) response processing element does, as far as import cares."""
    info = RpInfo()
    if rp is None:
        return info
    location = rp.get("template") or rp.get("template-location") or ""
    if location:
        info.template = posixpath.basename(location.rstrip("/")).removesuffix(".xml")
    elif len(rp):
        info.template = "custom"
    for element in rp.iter():
        if element.tag == "qti-equal" and element.get("tolerance-mode", "exact") != "exact":
            try:
                parts = [Decimal(p) for p in (element.get("tolerance") or "0").split()] or [Decimal(0)]
            except ArithmeticError:
                raise QtiError(f"bad tolerance {element.get('tolerance')!r}") from None
            # Two values are the lower and upper tolerances; our key has one, take the wider.
            value = max(parts)
            if not value.is_finite() or value < 0:
                raise QtiError(f"bad tolerance {element.get('tolerance')!r}")
            info.has_tolerance = True
            if element.get("tolerance-mode") == "relative":
                info.tolerance_mode = "relative"
                value = value / 100
            if value > 10**15:
                raise QtiError(f"tolerance {element.get('tolerance')!r} is out of range")
            info.tolerance = int(value) if value == value.to_integral_value() else float(value)
            break
        if element.tag == "qti-equal-rounded" and correct_value is not None:
            figures_text = (element.get("figures") or "0").strip()
            if not re.fullmatch(r"[0-9]{1,2}", figures_text):
                raise QtiError(f"bad figures {figures_text!r} in equalRounded")
            figures = int(figures_text)
            if element.get("rounding-mode", "significantFigures") == "decimalPlaces":
                info.tolerance = 0.5 * 10 ** -figures
            elif correct_value != 0 and figures > 0:
                magnitude = math.floor(math.log10(abs(correct_value)))
                info.tolerance = 0.5 * 10 ** (magnitude - figures + 1)
            info.has_tolerance = True
            break
    return info
