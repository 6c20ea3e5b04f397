"""The connect gate: how many student connects (and submits) run at once, how long one waits for
its turn, and when a refused one should come back.

A connect waits at most `wait_seconds` (it holds its websocket's reader meanwhile, so it must give
up well before the Engine.IO ping timeout). A refused connect is told `retry_after_seconds`: the
time the server needs for the connects ahead of it (those waiting now and those refused in the
last few seconds, which will come back), from the mean time one connect takes, spread over the
gate's width. A fixed delay brought every refused student back at once to be refused again: under
an overloaded core a storm of 2,000 made 10,000 refused connects, each costing a handshake.
"""
from __future__ import annotations

import threading
import time
from collections import deque

MAX_RETRY_SECONDS = 60.0
MEAN_WEIGHT = 0.1          # of the newest connect in the moving mean of the connect's duration


class ConnectGate:
    def __init__(self, width: int, wait_seconds: float, retry_seconds: float):
        self.width, self.wait_seconds, self.retry_seconds = width, wait_seconds, retry_seconds
        self.slots = threading.BoundedSemaphore(width)
        self.waiting = 0
        self.mean_seconds = 0.05
        self.refused_at: deque[float] = deque()

    def enter(self) -> bool:
        """Wait for a turn; False when none came within wait_seconds (then call refused())."""
        self.waiting += 1
        try:
            return self.slots.acquire(timeout=self.wait_seconds)
        finally:
            self.waiting -= 1

    def leave(self, started: float) -> None:
        """The turn is over; `started` is its time.monotonic() at the start of the work."""
        self.mean_seconds += MEAN_WEIGHT * (time.monotonic() - started - self.mean_seconds)
        self.slots.release()

    def refused(self, now: float | None = None) -> float:
        """Count a refusal (at `now`, time.monotonic()); the seconds after which this client should
        try again."""
        now = time.monotonic() if now is None else now
        window = 2 * self.retry_seconds
        while self.refused_at and now - self.refused_at[0] > window:
            self.refused_at.popleft()
        self.refused_at.append(now)
        ahead = self.waiting + len(self.refused_at)
        return round(min(MAX_RETRY_SECONDS, max(self.retry_seconds, ahead * self.mean_seconds / self.width)), 1)

    def __enter__(self):
        """Unbounded wait (a submit: the student is in, and the page waits for the ack)."""
        self.slots.acquire()
        return self

    def __exit__(self, *exc):
        self.slots.release()
