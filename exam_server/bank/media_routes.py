from __future__ import annotations

from flask import Blueprint, Response

from exam_server.bank.media import load_media
from exam_server.core.auth import roles
from exam_server.core.errors import NotFound

bp = Blueprint("media", __name__)


@bp.route("/media/<name>")
@roles("admin", "teacher", "proctor", "student")  # students see item images during exams
def media_file(name: str):
    stored = load_media(name)
    if stored is None or name != f"{stored.sha256}.{stored.extension}":
        raise NotFound("No such image.")
    # Content-addressed: the bytes behind a name never change.
    return Response(stored.data, mimetype=stored.content_type,
                    headers={"Cache-Control": "private, max-age=31536000, immutable",
                             "X-Content-Type-Options": "nosniff"})
