"""Rate limits (Flask-Limiter): one `limiter` for every feature, init in create_app.

Counters live in Redis when EXAM_REDIS_URL is set (every server process counts together),
in memory otherwise (the single-process demo). A limited route declares its limit with
`@limiter.limit("10 per minute", key_func=...)`; a breach answers 429 in the API's error shape
with a `Retry-After` header (core.errors). Limits are settings (core.config), not literals.
"""
from __future__ import annotations

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

# The client's address as Werkzeug sees it (ProxyFix puts nginx's X-Forwarded-For there when
# EXAM_TRUSTED_PROXIES is set), so a limit per address means per client, not per proxy.
limiter = Limiter(key_func=get_remote_address, headers_enabled=True, strategy="moving-window")


def init_app(app: Flask) -> None:
    limiter.init_app(app)   # storage: RATELIMIT_STORAGE_URI (core.config)
