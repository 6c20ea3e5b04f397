"""Configuration. This is the only module that reads the environment.

Every setting has an embedded default so that `exam-server demo` runs on a fresh machine with
nothing else installed: SQLite in the instance folder, no Redis, a secret key generated once
and kept in the instance folder (never in the repository).
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

ENV_PREFIX = "EXAM_"


def default_instance_path() -> Path:
    return Path(os.environ.get("EXAM_INSTANCE_PATH") or Path.cwd() / "instance").resolve()


def _secret_key(instance_path: Path) -> str:
    from_env = os.environ.get("EXAM_SECRET_KEY")
    if from_env:
        return from_env
    # A key generated on first start and kept beside the database: sessions survive restarts
    # without anyone having to invent a secret, and no secret ever sits in the repository.
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


# Engine.IO's ping defaults (named: bench/livesim/bare_app.py, the benchmark's ceiling, pings alike).
PING_INTERVAL_SECONDS = 8
PING_TIMEOUT_SECONDS = 5


class ConfigError(ValueError):
    """A setting in the environment that cannot be used; the message names it."""


def _number(env, name: str, default: float, kind: type = int, minimum: float = 0):
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = kind(raw.strip())
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise ConfigError(f"{name} must be {what}, not {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, not {raw!r}")
    return value


def load_config(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The app's configuration: defaults, then the environment, then explicit overrides."""
    overrides = dict(overrides or {})
    instance_path = Path(overrides.pop("INSTANCE_PATH", None) or default_instance_path())
    env = os.environ
    config: dict[str, Any] = {
        "INSTANCE_PATH": str(instance_path),
        "DATABASE_URL": env.get("EXAM_DATABASE_URL") or f"sqlite:///{instance_path / 'exam.db'}",
        "REDIS_URL": env.get("EXAM_REDIS_URL") or None,
        # The Redis pub/sub channel of the Socket.IO queue. Channels ignore the database number
        # in EXAM_REDIS_URL: two installations sharing a Redis need different channels.
        "SOCKETIO_CHANNEL": env.get("EXAM_SOCKETIO_CHANNEL") or "flask-socketio",
        # 20 MB is plenty for a QTI package of a few hundred items with images; a bigger upload
        # is refused by Werkzeug before it is read into memory.
        "MAX_CONTENT_LENGTH": _number(env, "EXAM_MAX_UPLOAD_BYTES", 20 * 1024 * 1024, minimum=1024),
        "MAX_IMAGE_BYTES": _number(env, "EXAM_MAX_IMAGE_BYTES", 2 * 1024 * 1024, minimum=1024),
        "BABEL_DEFAULT_LOCALE": env.get("EXAM_DEFAULT_LOCALE", "vi"),
        "LANGUAGES": ("vi", "en"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env.get("EXAM_SECURE_COOKIES", "0") == "1",
        # How many reverse proxies (nginx: 1) stand in front and set X-Forwarded-For/-Proto; the
        # app then takes the client's address and the scheme from them (Werkzeug's ProxyFix).
        # 0 (the default) trusts no such header: a client could set them itself.
        "TRUSTED_PROXIES": _number(env, "EXAM_TRUSTED_PROXIES", 0),
        "WTF_CSRF_CHECK_DEFAULT": False,     # checked in core.auth, skipped for bearer tokens
        "WTF_CSRF_TIME_LIMIT": None,
        "API_TOKEN_TTL_SECONDS": _number(env, "EXAM_API_TOKEN_TTL_SECONDS", 12 * 3600, minimum=60),
        "SEARCH_PAGE_SIZE_MAX": 100,
        # None lets Flask-SocketIO pick (gevent under gunicorn's gevent worker, else threading).
        "SOCKETIO_ASYNC_MODE": env.get("EXAM_SOCKETIO_ASYNC_MODE") or None,
        # Same origin only: exam pages are served by this server. None makes Engine.IO refuse a
        # connection whose Origin is not this server's scheme://host (X-Forwarded-Proto honoured);
        # an empty list would switch the Origin check off altogether.
        "SOCKETIO_CORS_ORIGINS": None,
        # Live exams: a disconnect longer than this is an incident for the proctor; the deadline
        # sweeper (closes due attempts, sends time ticks) runs every LIVE_SWEEP_INTERVAL_SECONDS.
        "LIVE_DISCONNECT_INCIDENT_SECONDS": _number(env, "EXAM_LIVE_DISCONNECT_INCIDENT_SECONDS", 30),
        "LIVE_SWEEP_INTERVAL_SECONDS": _number(env, "EXAM_LIVE_SWEEP_INTERVAL_SECONDS", 1, float, minimum=0.1),
        # Each process tails the live event log this often (other processes' news reaches its
        # students within it; its own commits are told at once), pushes a room's changed rows to its
        # proctors at most this often, and renews its lease on its connection slots: a process
        # silent for LIVE_NODE_TIMEOUT_SECONDS is taken as gone and its slots are freed.
        "LIVE_RELAY_INTERVAL_SECONDS": _number(env, "EXAM_LIVE_RELAY_INTERVAL_SECONDS", 0.25, float, minimum=0.02),
        "LIVE_PROCTOR_PUSH_SECONDS": _number(env, "EXAM_LIVE_PROCTOR_PUSH_SECONDS", 1.0, float, minimum=0.0),
        "LIVE_RELAY_GAP_SECONDS": _number(env, "EXAM_LIVE_RELAY_GAP_SECONDS", 10, float, minimum=1),
        "LIVE_HEARTBEAT_SECONDS": _number(env, "EXAM_LIVE_HEARTBEAT_SECONDS", 3, float, minimum=0.5),
        "LIVE_NODE_TIMEOUT_SECONDS": _number(env, "EXAM_LIVE_NODE_TIMEOUT_SECONDS", 10, float, minimum=2),
        # Engine.IO pings: a connection silent for interval + timeout is gone (the proctor sees the
        # candidate offline, the slot is free), within 15 s by default.
        "SOCKETIO_PING_INTERVAL": _number(env, "EXAM_SOCKETIO_PING_INTERVAL", PING_INTERVAL_SECONDS, float,
                                          minimum=1),
        "SOCKETIO_PING_TIMEOUT": _number(env, "EXAM_SOCKETIO_PING_TIMEOUT", PING_TIMEOUT_SECONDS, float, minimum=1),
        # This process's name for nginx's sticky routing of Socket.IO long-polling (deploy/: the
        # systemd instance, i.e. its port); empty: no cookie (a single process).
        "NODE_NAME": env.get("EXAM_NODE_NAME", ""),
        # The database pool of each process: about one connection per concurrent event in flight.
        "DB_POOL_SIZE": _number(env, "EXAM_DB_POOL_SIZE", 20, minimum=1),
        "DB_MAX_OVERFLOW": _number(env, "EXAM_DB_MAX_OVERFLOW", 30),
        "DB_POOL_TIMEOUT_SECONDS": _number(env, "EXAM_DB_POOL_TIMEOUT_SECONDS", 30, float, minimum=1),
        # At most this many student connections (and submits) are handled at once (each is a
        # transaction with a row lock): a connect or submit storm queues here instead of taking
        # every database connection from the answers of students already in.
        "LIVE_CONNECT_CONCURRENCY": _number(env, "EXAM_LIVE_CONNECT_CONCURRENCY", 8, minimum=1),
        # The server process's garbage collector (exam_server/wsgi.py): collections of the youngest
        # generation every this many allocations (CPython's default 700), and the objects of the
        # started app frozen out of every collection. A full collection walks every object of the
        # process and holds the event loop meanwhile: with 2,000 students connected, each a pause
        # that every waiting acknowledgement sees (bench_live, 2,000 students, back to back: ack p99
        # 289-344 ms with CPython's default, 42 ms at 20,000, 65-74 ms at 50,000; 6 KB more per
        # student). 0 keeps CPython's behaviour.
        "GC_GEN0_THRESHOLD": _number(env, "EXAM_GC_GEN0_THRESHOLD", 20000, minimum=0),
        # A connect that has waited this long for its turn is refused (`server_busy`, with a
        # retry_after_seconds the page waits, jittered) instead of waiting on: a waiting connect holds
        # its websocket's reader, so past the Engine.IO ping timeout the socket is closed under it and
        # the work done for it after is thrown away (a storm of 2,000 collapsed that way).
        "LIVE_CONNECT_WAIT_SECONDS": _number(env, "EXAM_LIVE_CONNECT_WAIT_SECONDS", 3.0, float, minimum=0.1),
        "LIVE_CONNECT_RETRY_SECONDS": _number(env, "EXAM_LIVE_CONNECT_RETRY_SECONDS", 5.0, float, minimum=0.5),
        "LOG_LEVEL": env.get("EXAM_LOG_LEVEL") or "INFO",
        "LOG_FORMAT": env.get("EXAM_LOG_FORMAT") or "text",      # "json" in production (deploy/)
        # Check-in: the CSCA certificates the chips' passive authentication is checked against,
        # how long a kiosk's challenge lives, how long check-in photos are kept after the exam closes.
        "CSCA_TRUST_DIR": env.get("EXAM_CSCA_TRUST_DIR") or str(instance_path / "csca"),
        "CHECKIN_CHALLENGE_TTL_SECONDS": _number(env, "EXAM_CHECKIN_CHALLENGE_TTL_SECONDS", 120, minimum=10),
        "PHOTO_RETENTION_DAYS": _number(env, "EXAM_PHOTO_RETENTION_DAYS", 30),
        # --- security (docs/security.md) ---
        # Failed password logins allowed per moving window (Flask-Limiter syntax): per client address,
        # per account at one address, per account from anywhere; then 429 with Retry-After.
        "LOGIN_LIMIT_PER_ADDRESS": env.get("EXAM_LOGIN_LIMIT_PER_ADDRESS") or "30 per 5 minutes",
        "LOGIN_LIMIT_PER_ACCOUNT_ADDRESS": env.get("EXAM_LOGIN_LIMIT_PER_ACCOUNT_ADDRESS") or "5 per minute",
        "LOGIN_LIMIT_PER_ACCOUNT": env.get("EXAM_LOGIN_LIMIT_PER_ACCOUNT") or "50 per hour",
        # Roles that must log in with a TOTP code (comma-separated; empty: optional for everyone).
        "TOTP_REQUIRED_ROLES": tuple(r.strip() for r in (env.get("EXAM_TOTP_REQUIRED_ROLES", "admin")).split(",")
                                     if r.strip()),
        # Check-in challenges (anonymous): requests per kiosk and per address, open challenges a
        # kiosk may hold (the oldest is dropped beyond it).
        "CHECKIN_CHALLENGE_LIMIT": env.get("EXAM_CHECKIN_CHALLENGE_LIMIT") or "30 per minute",
        "CHECKIN_CHALLENGE_LIMIT_PER_ADDRESS": env.get("EXAM_CHECKIN_CHALLENGE_LIMIT_PER_ADDRESS") or "300 per minute",
        "CHECKIN_OPEN_CHALLENGES_MAX": _number(env, "EXAM_CHECKIN_OPEN_CHALLENGES_MAX", 5, minimum=1),
        # Indicators: how often a server process folds the queued cell deltas into the cells (the
        # dashboard's lag under load; a commit that queued deltas wakes the folder sooner, but not
        # more often than this, so a submit storm is folded in batches).
        "INDICATORS_FOLD_INTERVAL_SECONDS": _number(env, "EXAM_INDICATORS_FOLD_INTERVAL_SECONDS", 0.5, float,
                                                    minimum=0.05),
        # The audit chain: how often a server process's sequencer chains the entries that commits
        # queued (the chain's lag; a commit wakes it sooner, but not more often than this).
        "AUDIT_CHAIN_INTERVAL_SECONDS": _number(env, "EXAM_AUDIT_CHAIN_INTERVAL_SECONDS", 0.5, float, minimum=0.05),
        # Indicators' feed (docs/indicators.md): how long one delivery may take, the retry backoff
        # (doubling from the base up to the max), how often `exam-server feed deliver --loop` runs,
        # and the base URL that names this platform in xAPI statements (activity ids, the actor's
        # account home page).
        "FEED_TIMEOUT_SECONDS": _number(env, "EXAM_FEED_TIMEOUT_SECONDS", 10, float, minimum=0.1),
        "FEED_RETRY_BASE_SECONDS": _number(env, "EXAM_FEED_RETRY_BASE_SECONDS", 30, float, minimum=0.01),
        "FEED_RETRY_MAX_SECONDS": _number(env, "EXAM_FEED_RETRY_MAX_SECONDS", 3600, float, minimum=0.01),
        "FEED_INTERVAL_SECONDS": _number(env, "EXAM_FEED_INTERVAL_SECONDS", 60, float, minimum=1),
        "FEED_XAPI_BASE_URL": env.get("EXAM_FEED_XAPI_BASE_URL") or "https://exam.invalid",
        # exam day: the site's time zone for every time shown (the database keeps UTC)
        "TIME_ZONE": env.get("EXAM_TIME_ZONE") or "Asia/Ho_Chi_Minh",
        # exam day: anonymous result look-ups (candidate number + citizen ID + date of birth) per address
        "RESULT_LOOKUP_RATE_LIMIT": env.get("EXAM_RESULT_LOOKUP_RATE_LIMIT") or "5 per minute;30 per hour",
        # Manual admission codes (exam_server/admission): how long a code lives, how many wrong
        # codes withdraw it, how often one address may try (Flask-Limiter syntax; a school whose
        # kiosks reach the server through one NAT address shares it: a room typing codes at once).
        "ADMISSION_CODE_TTL_SECONDS": _number(env, "EXAM_ADMISSION_CODE_TTL_SECONDS", 600, minimum=30),
        "ADMISSION_CODE_MAX_TRIES": _number(env, "EXAM_ADMISSION_CODE_MAX_TRIES", 5, minimum=1),
        # A room's printed sheet of codes (handed out before the exam) lives longer than a code
        # read out to one candidate; never beyond the exam's close.
        "ADMISSION_SHEET_TTL_SECONDS": _number(env, "EXAM_ADMISSION_SHEET_TTL_SECONDS", 3 * 3600, minimum=60),
        "ADMISSION_CODE_RATE_LIMIT": env.get("EXAM_ADMISSION_CODE_RATE_LIMIT") or "60 per minute",
        # issue 10: the exam page's own chip portrait, asked with the session token (anonymous)
        "CHECKIN_PORTRAIT_RATE_LIMIT": env.get("EXAM_CHECKIN_PORTRAIT_RATE_LIMIT") or "60 per minute",
        # item analysis: differential item functioning is computed only when both groups compared
        # have at least this many candidates (Mantel-Haenszel is unstable on small groups)
        "DIF_MIN_GROUP": _number(env, "EXAM_DIF_MIN_GROUP", 100, minimum=1),
        # --- background jobs (exam_server/jobs) ---
        # Where long work runs: "rq" (the RQ queue on EXAM_REDIS_URL, worked by `exam-server
        # worker`), "thread" (a thread of the server process: the SQLite demo without Redis) or
        # "sync" (in the committing request: tests). Default: rq with Redis, else thread.
        "JOBS_BACKEND": env.get("EXAM_JOBS_BACKEND") or ("rq" if env.get("EXAM_REDIS_URL") else "thread"),
        "JOBS_QUEUE": env.get("EXAM_JOBS_QUEUE") or "exam-jobs",
        "JOBS_TIMEOUT_SECONDS": _number(env, "EXAM_JOBS_TIMEOUT_SECONDS", 3600, minimum=10),
        # A running job writes a heartbeat this often; one silent for JOBS_STALE_SECONDS is failed
        # (its worker was killed or restarted). Progress is written at most every JOBS_PROGRESS_SECONDS.
        "JOBS_HEARTBEAT_SECONDS": _number(env, "EXAM_JOBS_HEARTBEAT_SECONDS", 5, float, minimum=0.1),
        "JOBS_STALE_SECONDS": _number(env, "EXAM_JOBS_STALE_SECONDS", 60, float, minimum=1),
        "JOBS_PROGRESS_SECONDS": _number(env, "EXAM_JOBS_PROGRESS_SECONDS", 0.5, float, minimum=0),
        "JOBS_THREADS": _number(env, "EXAM_JOBS_THREADS", 1, minimum=1),
    }
    config.update(overrides)
    if str(config["LOG_LEVEL"]).upper() not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise ConfigError(f"EXAM_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not {config['LOG_LEVEL']!r}")
    config["LOG_LEVEL"] = str(config["LOG_LEVEL"]).upper()
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(str(config["TIME_ZONE"]))
    except (ValueError, KeyError, OSError):
        raise ConfigError(f"EXAM_TIME_ZONE must be a time zone such as Asia/Ho_Chi_Minh, not {config['TIME_ZONE']!r}") \
            from None
    if config["JOBS_BACKEND"] not in ("rq", "thread", "sync"):
        raise ConfigError(f"EXAM_JOBS_BACKEND must be rq, thread or sync, not {config['JOBS_BACKEND']!r}")
    if config["JOBS_BACKEND"] == "rq" and not config["REDIS_URL"]:
        raise ConfigError("EXAM_JOBS_BACKEND=rq needs EXAM_REDIS_URL")
    if config["LOG_FORMAT"] not in ("text", "json"):
        raise ConfigError(f"EXAM_LOG_FORMAT must be text or json, not {config['LOG_FORMAT']!r}")
    # Rate-limit counters (core.limits): in Redis when there is one, so that every server process
    # counts together; in memory for a single process.
    config.setdefault("RATELIMIT_STORAGE_URI", config["REDIS_URL"] or "memory://")
    # A Redis outage must not turn logins into errors: count in memory meanwhile (tests/chaos).
    config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    if "SECRET_KEY" not in config:
        config["SECRET_KEY"] = _secret_key(instance_path)
    return config
