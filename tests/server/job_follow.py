"""Following a background job to its end, for the tests of endpoints that start one."""
from __future__ import annotations

import time


class JobOutcome:
    """A finished job seen as the answer its endpoint used to give: 200 and the job's result when it
    succeeded, else the error's status and the error (with its details, e.g. the rows in error)."""

    def __init__(self, job: dict):
        self.job = job
        self.succeeded = job["status"] == "succeeded"
        self.status_code = 200 if self.succeeded else job["error"]["status"]

    def get_json(self) -> dict:
        return self.job["result"] if self.succeeded else self.job["error"]


def follow(client, response, headers=None, timeout_seconds: float = 30):
    """The job started by `response`, followed to its end; a response refused before any job was
    started (400, 404, 413...) is given back as it is."""
    if response.status_code != 202:
        return response
    started = response.get_json()
    assert response.headers["Location"] == started["url"] and started["status"] in ("queued", "running",
                                                                                     "succeeded", "failed")
    deadline = time.monotonic() + timeout_seconds
    while True:
        answer = client.get(started["url"], headers=headers)
        assert answer.status_code == 200, answer.get_json()
        job = answer.get_json()
        if job["status"] in ("succeeded", "failed"):
            return JobOutcome(job)
        assert time.monotonic() < deadline, f"job still {job['status']}: {job}"
        time.sleep(0.05)
