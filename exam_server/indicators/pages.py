"""The dashboard pages: /dashboard (cards, charts with their data tables, drill-down, filters,
live) and /dashboard/wall (the operations center's large screens: rotating panels, high contrast).
Both are drawn in the browser from the JSON API (static/js/dashboard*.js)."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import gettext as _

from exam_server.core.auth import roles

bp = Blueprint("dashboard_pages", __name__)


def js_strings() -> dict[str, str]:
    return {"suppressed": _("hidden (fewer than %(n)s candidates)", n="{n}"), "no_data": _("No data yet."),
            "all_units": _("All units"), "loading": _("Loading…"), "updated": _("Updated"),
            "value": _("Value"), "candidates": _("Candidates"), "unit": _("Unit"), "score": _("Score"),
            "count": _("Count"), "band": _("Band"), "group": _("School group"), "exam": _("Exam"),
            "urban": _("Urban"), "suburban": _("Suburban"), "remote": _("Remote"), "gap": _("Gap"),
            "change": _("Change since the previous exam"), "live": _("Live"), "offline": _("Reconnecting…"),
            "error": _("The indicators could not be loaded."), "topic": _("Topic"),
            "level": _("Cognitive level"), "mastery": _("Mastery (%)"), "form": _("Form"),
            "reliability": _("Reliability (alpha)"), "flagged": _("Flagged items"),
            "no_analysis": _("No item analysis yet")}


@bp.get("/dashboard")
@roles("admin", "official")
def dashboard():
    return render_template("indicators/dashboard.html", js_strings=js_strings())


@bp.get("/dashboard/wall")
@roles("admin", "official")
def wall():
    return render_template("indicators/wall.html", js_strings=js_strings())
