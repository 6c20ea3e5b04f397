"""How numbers and times are shown on pages.

Scores and points always with two decimals, with the decimal comma in Vietnamese (7,25) and the
point in English (7.25): the `score` filter. Times in the site's time zone (setting TIME_ZONE,
EXAM_TIME_ZONE, default Asia/Ho_Chi_Minh; the database keeps UTC), 24-hour, dd/mm/yyyy: the
`sitetime` filter, which writes a <time> element with the UTC instant in its datetime attribute
and the zone in its title. Registered by `init_app`."""
from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup

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


def site_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("TIME_ZONE") or "Asia/Ho_Chi_Minh")


def zone_label() -> str:
    zone = site_zone()
    if zone.key == "Asia/Ho_Chi_Minh":
        return _("Vietnam time")
    return zone.key


def site_time_text(moment: datetime, zone: ZoneInfo, with_date: bool = True) -> str:
    """A stored UTC instant in the zone: "27/06/2026 07:30" (naive values are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone).strftime("%d/%m/%Y %H:%M" if with_date else "%H:%M")


def _sitetime_filter(moment: datetime | None) -> Markup:
    if moment is None:
        return Markup("–")
    stamp = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return Markup('<time datetime="{}" title="{}">{}</time>').format(
        stamp.astimezone(UTC).isoformat().replace("+00:00", "Z"), zone_label(), site_time_text(moment, site_zone()))


def _sitedate_filter(moment: datetime | None) -> Markup:
    """The day in the site's zone (an item written at 23:30 UTC was written the next day in Vietnam)."""
    if moment is None:
        return Markup("–")
    stamp = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return Markup('<time datetime="{}" title="{}">{}</time>').format(
        stamp.astimezone(UTC).isoformat().replace("+00:00", "Z"), zone_label(),
        stamp.astimezone(site_zone()).strftime("%d/%m/%Y"))


def init_app(app: Flask) -> None:
    app.add_template_filter(_score_filter, "score")
    app.add_template_filter(_sitetime_filter, "sitetime")
    app.add_template_filter(_sitedate_filter, "sitedate")
    app.jinja_env.globals["site_zone_label"] = zone_label
