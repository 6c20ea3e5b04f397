"""One error shape for the whole API: {"error": code, "message": text, "field": name|null}."""
from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from item_bank.model import ItemValidationError, ResponseError

log = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(self, code: str, message: str, status: int = 400, field: str | None = None, **extra):
        super().__init__(message)
        self.code, self.message, self.status, self.field, self.extra = code, message, status, field, extra


class NotFound(ApiError):
    def __init__(self, message: str, field: str | None = None):
        super().__init__("not_found", message, 404, field)


class Forbidden(ApiError):
    def __init__(self, message: str, code: str = "forbidden"):
        super().__init__(code, message, 403)


class Conflict(ApiError):
    def __init__(self, code: str, message: str, field: str | None = None):
        super().__init__(code, message, 409, field)


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def error_response(code: str, message: str, status: int, field: str | None = None, **extra):
    if wants_json():
        body = {"error": code, "message": message, "field": field, **extra}
        return jsonify(body), status
    return render_template("error.html", code=code, message=message, status=status), status


def init_app(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        return error_response(exc.code, exc.message, exc.status, exc.field, **exc.extra)

    @app.errorhandler(ItemValidationError)
    def _item_invalid(exc: ItemValidationError):
        return error_response(exc.code, exc.message, 422, exc.field)

    @app.errorhandler(ResponseError)
    def _response_invalid(exc: ResponseError):
        return error_response(exc.code, exc.message, 422)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        code = (exc.name or "error").lower().replace(" ", "_")
        message = exc.description or exc.name
        if exc.code == 413:
            limit_mb = app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
            message = f"The upload is larger than the limit of {limit_mb} MB."
        return error_response(code, message, exc.code or 500)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response("internal_error", "Something went wrong on the server; it has been logged.", 500)
