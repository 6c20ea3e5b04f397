"""The organisation tree: import from a spreadsheet (whole or nothing), versions, the closure, and
the officials' scopes.

Columns (Vietnamese or English headers): Mã đơn vị (code) · Tên (name) · Loại (kind: province,
commune, school, class, or any other level) · Mã đơn vị cha (parent code; empty for a root) ·
Nhóm trường (school group: urban, suburban, remote) · Cấp học (level) · Loại hình (public, private).
A row whose code exists updates that unit: a new version when its parent, name or attributes change.
"""
from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select

from exam_server.core.db import session
from exam_server.core.errors import ApiError
from exam_server.indicators.models import OfficialScope, OrgUnit, OrgUnitAncestor, OrgUnitVersion
from item_bank.text import fold

MAX_ROWS = 200_000
HEADERS = {
    "code": ("ma don vi", "ma", "code"),
    "name": ("ten", "ten don vi", "name"),
    "kind": ("loai", "cap", "kind"),
    "parent_code": ("ma don vi cha", "ma cha", "parent code", "parent_code", "parent"),
    "school_group": ("nhom truong", "school group", "school_group"),
    "level": ("cap hoc", "level"),
    "ownership": ("loai hinh", "ownership"),
}
SCHOOL_GROUPS = ("", "urban", "suburban", "remote")
ATTRIBUTES = ("school_group", "level", "ownership")


def _key(text: Any) -> str:
    return " ".join(fold(str(text or "")).replace("_", " ").split())


_LOOKUP = {_key(name): field for field, names in HEADERS.items() for name in names}


def _rows(data: bytes, filename: str) -> list[list[Any]]:
    if filename.lower().endswith(".xlsx"):
        import openpyxl

        try:
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:  # noqa: BLE001 - any unreadable workbook is the same error to the user
            raise ApiError("units_unreadable", "The file is not a readable .xlsx workbook.", 422, "file") from None
        return [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ApiError("units_unreadable", "A .csv file must be UTF-8.", 422, "file") from None
    return list(csv.reader(io.StringIO(text)))


def parse_units(data: bytes, filename: str) -> tuple[list[dict[str, str]], list[dict[str, Any]]]:
    rows = _rows(data, filename)
    if not rows:
        raise ApiError("units_empty", "The file has no rows.", 422, "file")
    columns = {i: _LOOKUP.get(_key(h)) for i, h in enumerate(rows[0])}
    if not {"code", "name", "kind"} <= set(columns.values()):
        raise ApiError("units_header", "The first row must name the columns: Mã đơn vị, Tên, Loại "
                       "(and Mã đơn vị cha, Nhóm trường, Cấp học, Loại hình).", 422, "file")
    if len(rows) - 1 > MAX_ROWS:
        raise ApiError("units_too_many", f"At most {MAX_ROWS} units per file.", 422, "file")
    units, errors, seen = [], [], set()
    for number, raw in enumerate(rows[1:], start=2):
        row = {field: str(raw[i]).strip() if i < len(raw) and raw[i] is not None else ""
               for i, field in columns.items() if field}
        if not any(row.values()):
            continue
        for field in ("code", "name", "kind"):
            if not row.get(field):
                errors.append({"row": number, "field": field, "reason": "required"})
        row["kind"] = row.get("kind", "").lower()
        row["school_group"] = row.get("school_group", "").lower()
        if row["school_group"] not in SCHOOL_GROUPS:
            errors.append({"row": number, "field": "school_group", "reason": "urban, suburban or remote"})
        if row.get("code") in seen:
            errors.append({"row": number, "field": "code", "reason": "repeated in the file"})
        if row.get("code") and row.get("code") == row.get("parent_code"):
            errors.append({"row": number, "field": "parent_code", "reason": "a unit cannot be its own parent"})
        if len(row.get("code", "")) > 64 or len(row.get("name", "")) > 200:
            errors.append({"row": number, "field": "code", "reason": "too long"})
        seen.add(row.get("code"))
        row["row"] = number
        units.append(row)
    return units, errors


def import_units(data: bytes, filename: str, now: datetime) -> dict[str, int]:
    """Create or update every unit of the file, or none (ApiError 422 with the rows' problems)."""
    rows, errors = parse_units(data, filename)
    existing = {u.code: u for u in session.scalars(select(OrgUnit))}
    codes = {r["code"] for r in rows} | set(existing)
    errors += [{"row": r["row"], "field": "parent_code", "reason": f"no unit {r['parent_code']!r}"}
               for r in rows if r.get("parent_code") and r["parent_code"] not in codes]
    parent_of = {u.code: next((p.code for p in existing.values() if p.id == u.parent_id), None)
                 for u in existing.values()}
    parent_of.update({r["code"]: r.get("parent_code") or None for r in rows})
    for r in rows:    # a cycle would make the tree endless
        code, steps = r["code"], 0
        while code is not None and steps <= len(parent_of):
            code, steps = parent_of.get(code), steps + 1
        if code is not None:
            errors.append({"row": r["row"], "field": "parent_code", "reason": "makes a cycle"})
    if errors:
        raise ApiError("units_invalid", f"The file has {len(errors)} problem(s); nothing was imported.", 422,
                       None, errors=sorted(errors, key=lambda e: (e["row"], e["field"])))
    created = updated = 0
    for r in rows:
        if r["code"] not in existing:
            unit = OrgUnit(code=r["code"], name=r["name"], kind=r["kind"], path="", depth=0, version=0,
                           **{a: r.get(a, "") for a in ATTRIBUTES})
            session.add(unit)
            existing[r["code"]] = unit
            created += 1
    session.flush()
    for r in rows:
        unit = existing[r["code"]]
        parent_id = existing[r["parent_code"]].id if r.get("parent_code") else None
        changed = (unit.version == 0 or unit.parent_id != parent_id or unit.name != r["name"] or unit.kind != r["kind"]
                   or any(getattr(unit, a) != r.get(a, "") for a in ATTRIBUTES))
        if not changed:
            continue
        updated += unit.version > 0
        unit.parent_id, unit.name, unit.kind = parent_id, r["name"], r["kind"]
        for a in ATTRIBUTES:
            setattr(unit, a, r.get(a, ""))
        unit.version += 1
        unit.updated_at = now
        session.add(OrgUnitVersion(unit_id=unit.id, version=unit.version, parent_id=parent_id, name=unit.name,
                                   attributes={"kind": unit.kind, **{a: getattr(unit, a) for a in ATTRIBUTES}},
                                   valid_from=now))
    session.flush()
    rebuild_tree()
    return {"created": created, "updated": updated, "units": len(existing)}


def rebuild_tree() -> None:
    """Paths, depths and the closure from the parents (one pass over the units, bulk writes)."""
    units = {u.id: u for u in session.scalars(select(OrgUnit))}
    paths: dict[int, list[int]] = {}

    def path_of(unit_id: int) -> list[int]:
        if unit_id not in paths:
            parent = units[unit_id].parent_id
            paths[unit_id] = (path_of(parent) if parent else []) + [unit_id]
        return paths[unit_id]

    for unit_id, unit in units.items():
        chain = path_of(unit_id)
        unit.path = "/" + "/".join(map(str, chain)) + "/"
        unit.depth = len(chain) - 1
    session.execute(delete(OrgUnitAncestor))
    pairs = [{"unit_id": u, "ancestor_id": a} for u, chain in paths.items() for a in chain]
    if pairs:
        session.execute(insert(OrgUnitAncestor), pairs)
    session.flush()


# --- scopes -------------------------------------------------------------------------------------

def scope_units(user) -> list[OrgUnit] | None:
    """The units a user may see (each with its subtree); None: every unit (an admin)."""
    if user.role.value == "admin":
        return None
    if user.role.value != "official":
        return []
    return list(session.scalars(select(OrgUnit).join(OfficialScope, OfficialScope.unit_id == OrgUnit.id)
                                .where(OfficialScope.user_id == user.id).order_by(OrgUnit.path)))


def may_see(user, unit: OrgUnit | None) -> bool:
    scopes = scope_units(user)
    if scopes is None:
        return True
    return unit is not None and any(unit.path.startswith(s.path) for s in scopes)


def set_scope(user_id: int, unit_codes: list[str]) -> list[OrgUnit]:
    units = list(session.scalars(select(OrgUnit).where(OrgUnit.code.in_(unit_codes))))
    missing = set(unit_codes) - {u.code for u in units}
    if missing:
        raise ApiError("no_such_unit", f"No unit {sorted(missing)[0]!r}.", 422, "units")
    session.execute(delete(OfficialScope).where(OfficialScope.user_id == user_id))
    session.add_all([OfficialScope(user_id=user_id, unit_id=u.id) for u in units])
    session.flush()
    return units
