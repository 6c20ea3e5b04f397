"""How numbers are shown on pages: scores and points always with two decimals, with the decimal
comma in Vietnamese (7,25) and the point in English (7.25). Registered as the `score` template
filter by `init_app`."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask import Flask
from flask_babel import get_locale

HUNDREDTH = Decimal("0.01")


def score_text(value: Any, locale: str = "vi") -> str:
    """7.1 -> "7,10" (vi) / "7.10" (en); None -> "–"."""
    if value is None:
        return "–"
    number = Decimal(str(value)).quantize(HUNDREDTH, rounding=ROUND_HALF_UP)
    text = format(number, "f")
    return text.replace(".", ",") if locale == "vi" else text


def _score_filter(value: Any) -> str:
    locale = get_locale()
    return score_text(value, locale.language if locale is not None else "vi")


def init_app(app: Flask) -> None:
    app.add_template_filter(_score_filter, "score")
