"""The load generator's process: `python -m bench.livesim.run PLAN.json RESULT.json`.

Plays one exam at exam pace against a server: every student connects in the first moments (the
connect storm), the proctor joins and starts the rooms, students answer one question every 20-30 s
with changes of mind, then everyone submits within the last seconds (the submit storm). Prints a
line `PHASE <name> <unix time>` at each phase boundary (the orchestrator samples the server's CPU
and memory there) and writes every figure, and every acknowledged answer, to RESULT.json.

Its own CPU time is measured too: a generator that saturates its core would make the server look
slower than it is.
"""
from __future__ import annotations

import asyncio
import json
import random
import resource
import ssl
import sys
import time
from typing import Any

from bench.livesim.students import SimProctor, SimStudent, Stats


def phase(name: str) -> None:
    print(f"PHASE {name} {time.time():.3f}", flush=True)


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def summary(values: list[float]) -> dict[str, Any]:
    return {"n": len(values), "p50": percentile(values, 50), "p95": percentile(values, 95),
            "p99": percentile(values, 99), "max": max(values) if values else None}


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def play(plan: dict[str, Any]) -> dict[str, Any]:
    url = plan["url"]
    stats = Stats()
    rng = random.Random(plan.get("seed", 1))
    # Through nginx (bench_scaleout): HTTPS with the stack's self-signed certificate.
    context = ssl.create_default_context(cafile=plan["cafile"]) if plan.get("cafile") else None
    students = [SimStudent(url, c["token"], stats, seed=rng.randrange(2**31), ssl_context=context)
                for c in plan["candidates"]]
    by_room: dict[int, list[SimStudent]] = {}
    for student, c in zip(students, plan["candidates"]):
        by_room.setdefault(c["room_id"], []).append(student)
    out: dict[str, Any] = {"students": len(students)}
    cpu0 = cpu_seconds()

    # 1. The connect storm.
    phase("connect")
    spread = plan.get("connect_spread_s", 5.0)
    t0 = time.monotonic()

    async def arrive(student: SimStudent) -> bool:
        await asyncio.sleep(rng.random() * spread)
        return await student.connect(give_up_s=plan.get("connect_give_up_s", 120))

    connected = await asyncio.gather(*(arrive(s) for s in students))
    out["connect"] = {"seconds": time.monotonic() - t0, "connected": sum(connected),
                      "failed": len(students) - sum(connected), "refusals": dict(stats.refusals),
                      "failures": dict(stats.failures.most_common(8)),
                      "latency_ms": summary(stats.connect_ms)}
    stats.refusals.clear()
    print(f"connect storm: {out['connect']['connected']} connected, {out['connect']['failed']} failed in "
          f"{out['connect']['seconds']:.1f} s; refusals {out['connect']['refusals']}; "
          f"failures {out['connect']['failures']}", flush=True)
    phase("connected")

    # 2. The proctor joins each room and starts it; every student waits for the paper.
    proctor = SimProctor(url, plan["proctor"], plan["password"], context) if plan.get("proctor") else None
    if proctor is not None:
        await proctor.connect()
    rooms = []
    for room in plan["rooms"] if proctor is not None else []:
        t = time.monotonic()
        joined = await proctor.act("join", {"exam_id": plan["exam_id"], "room_id": room["id"]})
        join_s = time.monotonic() - t
        assert joined.get("ok"), joined
        phase("start_room")
        t = time.monotonic()
        started = await proctor.act("start_room", {"exam_id": plan["exam_id"], "room_id": room["id"]})
        ack_s = time.monotonic() - t
        assert started.get("ok"), started
        waiting = by_room.get(room["id"], [])
        got = await asyncio.gather(*(s.wait_paper(plan.get("paper_timeout_s", 120)) for s in waiting))
        last = max((s.paper_at for s in waiting if s.paper_at), default=t)
        rooms.append({"room_id": room["id"], "students": len(waiting), "join_s": join_s,
                      "start_ack_s": ack_s, "last_paper_s": last - t, "papers": sum(got)})
    out["rooms"] = rooms
    phase("papers")

    # 3. Exam pace.
    answer_s = plan.get("answer_seconds", 120)
    t_answer = time.monotonic()
    cpu_answer0 = cpu_seconds()
    until = t_answer + answer_s
    await asyncio.gather(*(s.run(until=until, pace_s=tuple(plan.get("pace_s", (20, 30))),
                                 first_delay_s=plan.get("first_delay_s", 25)) for s in students))
    acks_in_phase = [t for t in stats.ack_times if t_answer <= t <= until]
    out["answer"] = {"seconds": answer_s, "acks": len(acks_in_phase),
                     "acks_per_second": len(acks_in_phase) / answer_s,
                     "ack_ms": summary(stats.ack_ms), "errors": dict(stats.errors),
                     "refusals": dict(stats.refusals), "reconnects": stats.reconnects,
                     "generator_cpu_s": cpu_seconds() - cpu_answer0}
    phase("answered")

    # 4. The submit storm.
    submit_spread = plan.get("submit_spread_s", 10.0)
    t_submit = time.monotonic()

    async def hand_in(student: SimStudent) -> bool:
        await asyncio.sleep(rng.random() * submit_spread)
        return await student.submit(timeout=plan.get("submit_timeout_s", 120))

    submitted = await asyncio.gather(*(hand_in(s) for s in students))
    out["submit"] = {"seconds": time.monotonic() - t_submit, "submitted": sum(submitted),
                     "failed": len(students) - sum(submitted), "ack_ms": summary(stats.submit_ms),
                     "errors": {k: v for k, v in stats.errors.items() if k.startswith("submit:")}}
    phase("submitted")
    out["generator_cpu_s"] = cpu_seconds() - cpu0
    out["events"] = dict(stats.events)
    out["acked"] = [row for s in students for row in s.acked]
    out["pending_left"] = sum(len(s.pending) for s in students)
    if proctor is not None:
        await proctor.close()
    await asyncio.gather(*(s.close() for s in students))
    return out


def main() -> None:
    plan = json.loads(open(sys.argv[1]).read())
    result = asyncio.run(play(plan))
    with open(sys.argv[2], "w") as fh:
        json.dump(result, fh)
    phase("done")


if __name__ == "__main__":
    main()
