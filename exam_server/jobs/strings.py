"""The words of static/js/jobs.js (a job's progress), for every page that starts jobs."""
from __future__ import annotations

from flask_babel import gettext as _


def job_strings() -> dict[str, str]:
    return {
        "job_queued": _("Waiting in the queue…"),
        "job_running": _("Working:"),
        "job_progress": _("{done} of {total}"),
        "job_succeeded": _("Finished."),
        "job_failed": _("Failed: {message}"),
        # The stage a job reports (its `message` while it runs).
        "stage_roster_rows": _("candidates"),
        "stage_papers": _("candidates' papers"),
        "stage_assembly_solving": _("assembling the forms"),
        "stage_items": _("items"),
        "stage_exporting": _("packing the items"),
    }
