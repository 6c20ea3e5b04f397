"""The jobs API: a job's status, progress and result for its owner (or an admin), and its file."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, url_for
from flask_login import current_user

from exam_server.core.auth import roles
from exam_server.core.db import session
from exam_server.core.errors import NotFound
from exam_server.jobs import services
from exam_server.jobs.models import Job, JobStatus

bp = Blueprint("jobs_api", __name__, url_prefix="/api/v1/jobs")
# Whoever may start a job (teachers: bank imports; admins: rosters, assembly); students never do.
STARTERS = ("admin", "teacher")


def job_json(job: Job) -> dict[str, Any]:
    progress = services.live_progress(job)
    data = {"id": job.id, "kind": job.kind, "status": job.status.value, "params": job.params,
            "input_name": job.input_name, "owner_id": job.owner_id,
            "progress": {"done": progress["done"], "total": progress["total"]}, "message": progress["message"],
            "result": job.result, "error": job.error,
            "created_at": job.created_at.isoformat(),
            "started_at": job.started_at.isoformat() if job.started_at else None,
            "finished_at": job.finished_at.isoformat() if job.finished_at else None,
            "url": url_for("jobs_api.get_job", job_id=job.id), "file_url": None}
    if job.result_name and job.status == JobStatus.SUCCEEDED:
        data["file_url"] = url_for("jobs_api.get_job_file", job_id=job.id)
    return data


def accepted(job: Job):
    """The answer of an endpoint that started a job: 202, its URL in Location and in the body."""
    body = job_json(job)
    return body, 202, {"Location": body["url"]}


@bp.route("")
@roles(*STARTERS)
def list_jobs():
    return {"jobs": [job_json(j) for j in services.list_jobs(current_user)]}


@bp.route("/<int:job_id>")
@roles(*STARTERS)
def get_job(job_id: int):
    job = services.visible_job(job_id, current_user)
    session.commit()   # a job found lost has just been marked failed
    return job_json(job)


@bp.route("/<int:job_id>/file")
@roles(*STARTERS)
def get_job_file(job_id: int):
    job = services.visible_job(job_id, current_user)
    session.commit()
    if job.status != JobStatus.SUCCEEDED or not job.result_name:
        raise NotFound(f"Job {job_id} has no file (it is {job.status.value}).")
    return Response(job.result_data or b"", mimetype=job.result_mimetype or "application/octet-stream",
                    headers={"Content-Disposition": f'attachment; filename="{job.result_name}"'})
