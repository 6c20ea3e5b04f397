"""The connect gate's retry_after_seconds (exam_server/live/gate.py), by hand: each refusal is an
appointment at the gate's horizon, which moves on by the mean connect time over the gate's width;
a lone refusal waits LIVE_CONNECT_RETRY_SECONDS; never more than a minute."""
from __future__ import annotations

import time

from exam_server.live.gate import ConnectGate


def test_a_crowd_is_spread_over_the_time_it_needs():
    gate = ConnectGate(width=4, wait_seconds=0.01, retry_seconds=5.0)
    gate.mean_seconds = 0.2                           # 4 at a time: one every 0.05 s
    assert gate.refused(now=100.0) == 5.0             # horizon 100 + 5 + 0.05: 5.05 s (5.0 in tenths)
    for _ in range(99):
        gate.refused(now=100.0)
    assert gate.refused(now=100.0) == 10.0            # the 101st: 100 + 5 + 101 x 0.05 = 110.05 (10.0)
    assert gate.refused(now=102.0) == 8.1             # 2 s later: horizon 110.1, 8.1 s away
    for _ in range(2000):
        gate.refused(now=102.0)
    assert gate.refused(now=102.0) == 60.0            # capped


def test_a_lone_refusal_after_the_crowd_waits_the_minimum():
    gate = ConnectGate(width=1, wait_seconds=0.01, retry_seconds=0.5)
    gate.mean_seconds = 0.1
    for _ in range(100):
        gate.refused(now=1000.0)                      # horizon 1000.5 + 100 x 0.1 = 1010.5
    assert gate.refused(now=1020.0) == 0.6            # long past: 1020 + 0.5 + 0.1


def test_a_turn_not_given_in_time_is_refused_and_the_mean_follows_the_work():
    gate = ConnectGate(width=1, wait_seconds=0.05, retry_seconds=5.0)
    assert gate.enter()
    assert not gate.enter()                           # the only turn is taken
    gate.mean_seconds = 0.0
    gate.leave(time.monotonic() - 1.0)                # a connect that took 1 s
    assert abs(gate.mean_seconds - 0.1) < 0.01        # moving mean, weight 0.1
    assert gate.enter()
