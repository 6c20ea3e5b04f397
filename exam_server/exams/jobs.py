"""The exams' background jobs: a roster import and an exam's assembly (each can take a minute for
thousands of candidates). The API starts them; these do the work in the worker."""
from __future__ import annotations

from flask import current_app

from exam_server.exams import services
from exam_server.jobs.services import JobContext, handler

IMPORT_ROSTER = "exams.import_roster"
ASSEMBLE = "exams.assemble"


@handler(IMPORT_ROSTER)
def import_roster(ctx: JobContext) -> dict:
    exam = services.get_exam(ctx.params["exam_id"])
    added = services.import_roster(exam, ctx.input_data, ctx.input_name, current_app.config["SECRET_KEY"],
                                   progress=ctx.progress)
    return {"imported": len(added)}


@handler(ASSEMBLE)
def assemble(ctx: JobContext) -> dict:
    exam = services.get_exam(ctx.params["exam_id"])
    forms = services.assemble_exam(exam, ctx.params.get("options") or {}, current_app.config["SECRET_KEY"],
                                   time_limit=float(current_app.config.get("ASSEMBLY_TIME_LIMIT", 60)),
                                   progress=ctx.progress)
    return {"exam_id": exam.id, "status": exam.status.value,
            "forms": [{"id": f.id, "code": f.code, "index": f.index} for f in forms]}
