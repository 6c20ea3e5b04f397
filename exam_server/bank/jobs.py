"""The item bank's background jobs: imports (QTI packages, spreadsheets) and the QTI export.

A spreadsheet is all or nothing: one bad row and the job fails with the rows in error, nothing
written. A QTI package imports what it can; it fails (nothing written) only when nothing could be.
"""
from __future__ import annotations

from exam_server.bank import search, transfer
from exam_server.jobs.services import JobContext, JobFailed, handler

IMPORT_QTI = "bank.import_qti"
IMPORT_SPREADSHEET = "bank.import_spreadsheet"
EXPORT_QTI = "bank.export_qti"


@handler(IMPORT_QTI)
def import_qti(ctx: JobContext) -> dict:
    report = transfer.import_qti(ctx.input_data, ctx.input_name, ctx.owner, ctx.params.get("defaults") or {},
                                 progress=ctx.progress)
    if report.errors and not report.imported:
        raise JobFailed("import_failed", f"Nothing was imported: {len(report.errors)} error(s).",
                        **report.as_json())
    return report.as_json()


@handler(IMPORT_SPREADSHEET)
def import_spreadsheet(ctx: JobContext) -> dict:
    report = transfer.import_spreadsheet(ctx.input_data, ctx.input_name, ctx.owner,
                                         ctx.params.get("defaults") or {}, progress=ctx.progress)
    if report.errors:
        raise JobFailed("import_failed", f"{len(report.errors)} row(s) have errors; nothing was imported.",
                        **report.as_json())
    return report.as_json()


@handler(EXPORT_QTI)
def export_qti(ctx: JobContext) -> dict:
    filters = search.SearchFilters(**(ctx.params.get("filters") or {}))
    ctx.progress(0, None, "exporting")
    data = transfer.export_qti(ctx.params.get("identifiers") or [], filters)
    ctx.set_file("items-qti3.zip", "application/zip", data)
    return {"bytes": len(data)}
