"""The connect gate's retry_after_seconds (exam_server/live/gate.py), by hand: the connects ahead
of a refused one (waiting now, refused in the last 2 x LIVE_CONNECT_RETRY_SECONDS) times the mean
connect time, over the gate's width; never under the configured retry, never over a minute."""
from __future__ import annotations

import time

from exam_server.live.gate import ConnectGate


def test_retry_after_grows_with_the_crowd_ahead():
    gate = ConnectGate(width=4, wait_seconds=0.01, retry_seconds=5.0)
    gate.mean_seconds = 0.2
    assert gate.refused() == 5.0                      # 1 ahead: 0.05 s of work, the floor of 5 s
    for _ in range(198):
        gate.refused()
    assert gate.refused() == 10.0                     # 200 ahead x 0.2 s / 4 at a time
    gate.waiting = 100                                # and 100 waiting for a turn now
    assert gate.refused() == 15.1                     # 301 x 0.2 / 4 = 15.05 -> 15.1
    for _ in range(2000):
        gate.refused()
    assert gate.refused() == 60.0                     # capped


def test_old_refusals_no_longer_count():
    gate = ConnectGate(width=1, wait_seconds=0.01, retry_seconds=0.5)
    gate.mean_seconds = 0.1
    for _ in range(99):
        gate.refused(now=1000.0)
    assert gate.refused(now=1000.0) == 10.0           # 100 x 0.1 / 1
    assert gate.refused(now=1001.1) == 0.5            # past 2 x retry_seconds: only itself


def test_a_turn_not_given_in_time_is_refused_and_the_mean_follows_the_work():
    gate = ConnectGate(width=1, wait_seconds=0.05, retry_seconds=5.0)
    assert gate.enter()
    assert not gate.enter()                           # the only turn is taken
    assert gate.waiting == 0
    gate.mean_seconds = 0.0
    gate.leave(time.monotonic() - 1.0)                # a connect that took 1 s
    assert abs(gate.mean_seconds - 0.1) < 0.01        # moving mean, weight 0.1
    assert gate.enter()
