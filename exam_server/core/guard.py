"""HTTP hardening every response and request gets: browser policy headers and JSON shape limits.

The Content-Security-Policy forbids inline scripts, inline event handlers and inline style
attributes (pages load their ES modules and CSS from /static), plugins, framing and <base>: an
injected snippet cannot run even if a sanitiser misses it. `img-src data: blob:` is for the
check-in portrait and the camera frames the pages draw; `connect-src 'self'` covers the
same-origin Socket.IO websocket. nginx adds HSTS (deploy/), not these: they must hold without it.
"""
from __future__ import annotations

import json

from flask import Flask
from flask.json.provider import DefaultJSONProvider

from exam_server.core.errors import ApiError
from exam_server.core.shape import shape_problem

CONTENT_SECURITY_POLICY = "; ".join((  # noqa: FLY002 - one directive a line
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
))

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class ShapeCheckedJSON(DefaultJSONProvider):
    """Flask's JSON, refusing (400, the API's error shape) bodies too deep or too big to walk."""

    def loads(self, s, **kwargs):
        try:
            value = json.loads(s, **kwargs)
        except RecursionError:
            raise ApiError("too_deep", "The JSON body is nested too deeply.", 400) from None
        problem = shape_problem(value)
        if problem is not None:
            raise ApiError("too_deep", f"The JSON body is {problem}.", 400)
        return value


def init_app(app: Flask) -> None:
    app.json = ShapeCheckedJSON(app)

    @app.after_request
    def _security_headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response
