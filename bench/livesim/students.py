"""Simulated exam clients that behave like the exam page (docs/protocol.md): a student keeps its
unacknowledged answers in order and replays them after any reconnect, one at a time, with the
same client_seq; a proctor joins a room and acts on it.

Every acknowledged answer is recorded (attempt, client_seq, question, response), so a run can
check afterwards that the database holds each one: the "0 lost" count.
"""
from __future__ import annotations

import asyncio
import http.cookiejar
import json
import random
import re
import ssl
import time
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from websockets.exceptions import InvalidHandshake

from bench.livesim.client import Closed, Refused, SocketIOClient

FINISHED = {"submitted", "closed", "terminated"}


@dataclass
class Stats:
    """What every simulated client reports into (one per run)."""

    ack_ms: list[float] = field(default_factory=list)          # answer/flag send -> ack
    ack_times: list[float] = field(default_factory=list)       # monotonic time of each ack
    submit_ms: list[float] = field(default_factory=list)
    connect_ms: list[float] = field(default_factory=list)      # first try -> namespace open
    refusals: Counter = field(default_factory=Counter)         # connect_error codes
    failures: Counter = field(default_factory=Counter)         # network errors, by message
    errors: Counter = field(default_factory=Counter)           # refused events (ack ok false)
    reconnects: int = 0
    events: Counter = field(default_factory=Counter)           # server events received


def response_for(question: dict[str, Any], rng: random.Random) -> Any:
    """A plausible response of the question's type, from what the student sees."""
    body = question.get("body") or {}
    kind = question.get("type")
    if kind == "single_choice":
        return rng.choice(body["options"])["id"]
    if kind == "multiple_response":
        ids = [o["id"] for o in body["options"]]
        return sorted(rng.sample(ids, rng.randint(1, len(ids))))
    if kind == "true_false_cluster":
        return {s["id"]: rng.random() < 0.5 for s in body["statements"]}
    if kind == "numeric":
        return str(rng.choice([1, 2, 3, 12, 25, 0.5, -1]))
    if kind in ("text_entry",):
        return rng.choice(["x", "abc", "12"])
    if kind == "extended_text":
        return "Bài làm " + " ".join(rng.choice(["một", "hai", "ba"]) for _ in range(40))
    return None


class SimStudent:
    """One candidate's exam client."""

    def __init__(self, url: str, token: str, stats: Stats, *, seed: int, device: str | None = None,
                 ssl_context: ssl.SSLContext | None = None):
        self.url, self.token, self.stats, self.ssl_context = url, token, stats, ssl_context
        self.device = device or uuid.uuid4().hex
        self.rng = random.Random(seed)
        self.client: SocketIOClient | None = None
        self.attempt_id: int | None = None
        self.paper: dict[str, Any] | None = None
        self.status: str | None = None
        self.paused = False
        self.seq = 0
        self.pending: list[dict[str, Any]] = []        # unacknowledged events, in seq order
        self.acked: list[tuple[int, int, int, str, Any]] = []   # (attempt, seq, question, kind, response)
        self.answers: dict[int, Any] = {}
        self.paper_at: float | None = None             # monotonic time the paper arrived
        self.state_event = asyncio.Event()
        self.changed = asyncio.Event()                  # any server event: wakes the sender
        self.stopped = False
        self.answering = True            # run()'s loop; stop_answering() ends it (drain() still sends)
        self.heard: Counter = Counter()                 # server events this student received
        self.connected_at: float | None = None
        self.last_ack_at: float | None = None

    # --- connection ---------------------------------------------------------------------------
    def _on_event(self, event: str, data: Any) -> None:
        self.stats.events[event] += 1
        self.heard[event] += 1
        if event == "attempt_state":
            self.attempt_id = data["attempt_id"]
            self.status = data["status"]
            self.paused = bool(data.get("paused"))
            self.seq = max(self.seq, data.get("last_seq") or 0)
            if data.get("paper") and self.paper is None:
                self.paper = data["paper"]
                self.paper_at = time.monotonic()
            self.state_event.set()
        elif event == "paused":
            self.paused, self.status = True, "paused"
        elif event == "resumed":
            self.paused, self.status = False, "in_progress"
        elif event in ("closed", "terminated", "session_replaced"):
            self.status = {"session_replaced": "replaced"}.get(event, event)
        self.changed.set()

    async def connect(self, *, give_up_s: float = 120) -> bool:
        """Connect (retrying like the page: refusals and network errors, with a short backoff)."""
        started = time.monotonic()
        first = True
        while not self.stopped and time.monotonic() - started < give_up_s:
            if not first:
                self.stats.reconnects += 1
            first = False
            self.client = SocketIOClient(self.url, "/student", on_event=self._on_event, ssl_context=self.ssl_context)
            try:
                await self.client.connect({"token": self.token, "device": self.device})
                self.stats.connect_ms.append((time.monotonic() - started) * 1000)
                self.connected_at = time.monotonic()
                return True
            except Refused as exc:
                self.stats.refusals[exc.code] += 1
                if exc.code in ("bad_token", "attempt_finished"):
                    self.status = self.status or exc.code
                    return False
                if exc.code == "server_busy":    # as the exam page: wait as told, spread 0.5x-1.5x
                    retry_s = (exc.data or {}).get("retry_after_seconds", 5)
                    await asyncio.sleep(retry_s * (0.5 + self.rng.random()))
                    continue
            except (TimeoutError, OSError, Closed, InvalidHandshake) as exc:   # a 502 while a process restarts
                self.stats.refusals[type(exc).__name__] += 1
                self.stats.failures[f"{type(exc).__name__}: {str(exc)[:80]}"] += 1
            await asyncio.sleep(0.5 + self.rng.random() * 1.5)
        return False

    async def wait_paper(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self.paper is None and time.monotonic() < deadline:
            self.state_event.clear()
            try:
                await asyncio.wait_for(self.state_event.wait(), max(0.01, deadline - time.monotonic()))
            except TimeoutError:
                break
        return self.paper is not None

    # --- answering ----------------------------------------------------------------------------
    def questions(self) -> list[dict[str, Any]]:
        return self.paper["questions"] if self.paper else []

    def next_answer(self) -> dict[str, Any]:
        """Mostly the next unanswered question; sometimes a change of mind or a cleared answer."""
        questions = self.questions()
        unanswered = [q for q in questions if q["number"] not in self.answers]
        roll = self.rng.random()
        if unanswered and roll < 0.75:
            question = unanswered[0]
        else:
            question = self.rng.choice(questions)
        response = None if (question["number"] in self.answers and roll > 0.97) else response_for(question, self.rng)
        self.seq += 1
        if response is None:
            self.answers.pop(question["number"], None)
        else:
            self.answers[question["number"]] = response
        return {"kind": "answer", "question": question["number"], "response": response, "client_seq": self.seq}

    def flag(self) -> dict[str, Any]:
        self.seq += 1
        return {"kind": "flag", "question": self.rng.choice(self.questions())["number"],
                "flagged": self.rng.random() < 0.7, "client_seq": self.seq}

    def queue(self, event: dict[str, Any]) -> None:
        self.pending.append(event)
        self.changed.set()

    async def flush(self) -> None:
        """Send what is pending, lowest seq first, one at a time (as the page does)."""
        while self.pending and self.client is not None and self.client.connected and not self.stopped:
            if self.paused or self.status in FINISHED:
                return
            event = self.pending[0]
            payload = {k: v for k, v in event.items() if k != "kind"}
            sent = time.monotonic()
            ack = await self.client.emit(event["kind"], payload)
            now = time.monotonic()
            if ack.get("ok"):
                self.stats.ack_ms.append((now - sent) * 1000)
                self.stats.ack_times.append(now)
                self.last_ack_at = now
                self.acked.append((self.attempt_id, event["client_seq"], event["question"], event["kind"],
                                   event.get("response") if event["kind"] == "answer" else {"flagged": event["flagged"]}))
                self.pending.pop(0)
            else:
                self.stats.errors[ack.get("error")] += 1
                if (ack.get("state") or {}).get("paused"):        # as the page does
                    self.paused, self.status = True, "paused"
                if ack.get("error") in ("bad_event", "unknown_question", "invalid_response", "seq_reused"):
                    self.pending.pop(0)      # permanent: the page drops it and says so
                else:
                    return                   # paused / not active / server fault: retried later

    async def run(self, *, until: float, pace_s: tuple[float, float] = (20, 30), first_delay_s: float = 25,
                  flags: float = 0.1) -> None:
        """Answer at exam pace until `until` (monotonic), reconnecting and replaying as needed."""
        next_at = time.monotonic() + self.rng.random() * first_delay_s
        while self.answering and not self.stopped and self.status not in FINISHED and self.status != "replaced":
            now = time.monotonic()
            if now >= until:
                break
            if self.client is None or self.client.closed.is_set():
                if not await self.connect():
                    break
                continue
            if self.paper is not None and not self.paused and now >= next_at and self.status == "in_progress":
                self.queue(self.next_answer())
                if self.rng.random() < flags:
                    self.queue(self.flag())
                next_at = now + self.rng.uniform(*pace_s)
            try:
                await self.flush()
            except (TimeoutError, Closed):
                continue
            self.changed.clear()
            wait = max(0.05, min(next_at, until) - time.monotonic())
            try:
                await asyncio.wait_for(self._wake(), wait)
            except TimeoutError:
                pass

    def stop_answering(self) -> None:
        """End run() at its next turn. Cancelling its task is not enough on Python 3.11:
        asyncio.wait_for swallows a cancellation that arrives as the awaited thing completes
        (cpython gh-86296), and the loop would go on answering until `until`."""
        self.answering = False
        self.changed.set()

    async def _wake(self) -> None:
        waits = [asyncio.ensure_future(self.changed.wait())]
        if self.client is not None:
            waits.append(asyncio.ensure_future(self.client.closed.wait()))
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waits:
                w.cancel()

    async def drain(self, timeout: float) -> bool:
        """Send everything pending (reconnecting if needed); True when nothing is left."""
        deadline = time.monotonic() + timeout
        while self.pending and time.monotonic() < deadline and self.status not in FINISHED:
            if self.client is None or self.client.closed.is_set():
                if not await self.connect(give_up_s=max(1, deadline - time.monotonic())):
                    return False
            try:
                await self.flush()
            except (TimeoutError, Closed):
                continue
            if self.pending:
                await asyncio.sleep(0.2)
        return not self.pending

    async def submit(self, timeout: float = 60) -> bool:
        if not await self.drain(timeout):
            return False
        sent = time.monotonic()
        while time.monotonic() - sent < timeout:
            try:
                ack = await self.client.emit("submit", {})
            except (TimeoutError, Closed):
                if not await self.connect(give_up_s=10):
                    return False
                continue
            if ack.get("ok"):
                self.stats.submit_ms.append((time.monotonic() - sent) * 1000)
                self.status = "submitted"
                return True
            self.stats.errors["submit:" + str(ack.get("error"))] += 1
            if ack.get("error") in ("attempt_not_active",) and self.status in FINISHED:
                return False
            await asyncio.sleep(0.5)
        return False

    async def close(self) -> None:
        self.stopped = True
        if self.client is not None:
            await self.client.close()


class SimProctor:
    """A proctor: logs in over HTTP for the session cookie, then acts over /proctor."""

    def __init__(self, url: str, username: str, password: str, ssl_context: ssl.SSLContext | None = None):
        self.url, self.username, self.password, self.ssl_context = url, username, password, ssl_context
        self.client: SocketIOClient | None = None
        self.events: list[tuple[float, str, Any]] = []

    def _login(self) -> str:
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar),
                                             urllib.request.HTTPSHandler(context=self.ssl_context))
        form = opener.open(self.url + "/login", timeout=30).read().decode()
        csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form)
        fields = {"username": self.username, "password": self.password}
        if csrf:
            fields["csrf_token"] = csrf.group(1)
        # Over HTTPS, Flask-WTF also wants a same-origin Referer, as a browser sends it.
        opener.open(urllib.request.Request(self.url + "/login", data=urllib.parse.urlencode(fields).encode(),
                                           headers={"Referer": self.url + "/login"}), timeout=30).read()
        return "; ".join(f"{c.name}={c.value}" for c in jar)

    async def connect(self) -> None:
        cookie = await asyncio.to_thread(self._login)
        self.client = SocketIOClient(self.url, "/proctor", headers={"Cookie": cookie}, ssl_context=self.ssl_context,
                                     on_event=lambda e, d: self.events.append((time.monotonic(), e, d)))
        await self.client.connect({})

    async def act(self, event: str, payload: dict[str, Any], timeout: float = 120) -> dict[str, Any]:
        return await self.client.emit(event, payload, timeout=timeout)

    async def close(self) -> None:
        if self.client is not None:
            await self.client.close()


def dump_acked(students: list[SimStudent]) -> str:
    return json.dumps([row for s in students for row in s.acked])
