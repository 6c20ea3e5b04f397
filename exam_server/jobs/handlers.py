"""Every feature's job handlers, by module (each registers with @jobs.services.handler). A worker
imports these before it runs anything; the web process has them through its blueprints too."""
from __future__ import annotations

import importlib

HANDLER_MODULES = (
    "exam_server.exams.jobs",      # roster import, exam assembly
    "exam_server.bank.jobs",       # QTI / spreadsheet import, QTI export
)

for _name in HANDLER_MODULES:
    importlib.import_module(_name)
