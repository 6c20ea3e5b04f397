"""The connect gate: how many student connects (and submits) run at once, how long one waits for
its turn, and when a refused one should come back.

A connect waits at most `wait_seconds` (it holds its websocket's reader meanwhile, so it must give
up well before the Engine.IO ping timeout). A refused connect is given a time to come back, as an
appointment: the gate keeps a horizon, the time by which it expects to have served everyone it has
sent away, and each refusal pushes it on by the mean time of one connect over the gate's width.
So a crowd is spread over the time the process needs for it, and a lone refusal waits the
configured minimum. A fixed delay brought every refused student back at once to be refused again
(under an overloaded core a storm of 2,000 made 10,000 refused connects, each costing a
handshake); telling each the whole crowd's time instead left the process idle while they waited.
"""
from __future__ import annotations

import threading
import time

MAX_RETRY_SECONDS = 60.0
MEAN_WEIGHT = 0.1          # of the newest connect in the moving mean of the connect's duration


class ConnectGate:
    def __init__(self, width: int, wait_seconds: float, retry_seconds: float):
        self.width, self.wait_seconds, self.retry_seconds = width, wait_seconds, retry_seconds
        self.slots = threading.BoundedSemaphore(width)
        self.mean_seconds = 0.05
        self.horizon = 0.0

    def enter(self) -> bool:
        """Wait for a turn; False when none came within wait_seconds (then call refused())."""
        return self.slots.acquire(timeout=self.wait_seconds)

    def leave(self, started: float) -> None:
        """The turn is over; `started` is its time.monotonic() at the start of the work."""
        self.mean_seconds += MEAN_WEIGHT * (time.monotonic() - started - self.mean_seconds)
        self.slots.release()

    def refused(self, now: float | None = None) -> float:
        """Count a refusal (at `now`, time.monotonic()); the seconds after which this client should
        try again."""
        now = time.monotonic() if now is None else now
        self.horizon = max(self.horizon, now + self.retry_seconds) + self.mean_seconds / self.width
        return round(min(MAX_RETRY_SECONDS, self.horizon - now), 1)

    def __enter__(self):
        """Unbounded wait (a submit: the student is in, and the page waits for the ack)."""
        self.slots.acquire()
        return self

    def __exit__(self, *exc):
        self.slots.release()
