"""The chaos tests' failure reports carry the tails of the stack's logs (gunicorn, nginx, Redis):
CI keeps only the output, not the folder the logs were in."""
from __future__ import annotations

from pathlib import Path

import pytest

TAIL_LINES = 80


def _tail(path: Path) -> str:
    lines = path.read_text(errors="replace").splitlines()
    return "\n".join(lines[-TAIL_LINES:])


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    stack = item.funcargs.get("stack") if hasattr(item, "funcargs") else None
    if report.when != "call" or not report.failed or stack is None:
        return
    for log in sorted(Path(stack.folder).glob("*.log")):
        report.sections.append((f"chaos log {log.name} (last {TAIL_LINES} lines)", _tail(log)))
