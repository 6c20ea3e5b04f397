"""Indicators at national scale on PostgreSQL: 34 provinces, 3,300 communes, 10,000 schools and
1,000,000 candidates of one exam (their facts, the rows the indicators count from).

    ./run bench bench_indicators [--candidates 1000000] [--events 500] [--queries 200] [--keep]

Measures, each against a baseline in the same run:
  1. full recompute of every cell and score bin (every unit of every level x all schools and each
     school group) from the facts, in bulk SQL  - target < 60 s;
     baseline: one plain pass over the facts (SELECT count(*), sum(score)) = the least any
     recompute must read;
  2. an incremental update after one scored attempt (the result_stored receiver, then COMMIT),
     p50/p99 over --events random candidates  - target p99 < 50 ms;
     baseline: an empty transaction (SELECT 1, COMMIT);
  3. the dashboard's API for a province (GET /api/v1/indicators/summary?unit=<province> and
     GET /api/v1/indicators?code=pass_rate&unit=<province>: its ~97 communes), p50/p99 through
     the Flask app with a bearer token  - target < 100 ms;
     baseline: the same province's pass rate computed straight from the facts (no summary table).
Then prints the query plan of the province read.

What it does not generate: the 40 item responses per candidate (result_items) and the exams'
own tables. The full recompute here is the aggregate step (facts -> cells); rebuilding the facts
from the exams' tables (`exam-server indicators recompute` does both) is not measured here.
A database `bench_indicators_<random>` is created on EXAM_BENCH_POSTGRES_URL (default
postgresql+psycopg://postgres@127.0.0.1:5432/test) and dropped at the end unless --keep.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PROVINCES, COMMUNES, SCHOOLS = 34, 3300, 10000


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.2f} ms"


def generate(conn, candidates: int) -> None:
    """The tree and the facts, in SQL (seconds, not minutes)."""
    conn.execute(text("SELECT setseed(0.2026)"))
    conn.execute(text("""
        INSERT INTO org_units (id, code, name, kind, parent_id, path, depth, school_group, level, ownership, version, updated_at)
        SELECT g, 'P' || g, 'Tỉnh ' || g, 'province', NULL, '/' || g || '/', 0, '', '', '', 1, now()
        FROM generate_series(1, :p) g"""), {"p": PROVINCES})
    conn.execute(text("""
        INSERT INTO org_units (id, code, name, kind, parent_id, path, depth, school_group, level, ownership, version, updated_at)
        SELECT g, 'X' || g, 'Xã ' || g, 'commune', 1 + (g - :first) % :p,
               '/' || (1 + (g - :first) % :p) || '/' || g || '/', 1, '', '', '', 1, now()
        FROM generate_series(:first, :first + :c - 1) g"""), {"first": PROVINCES + 1, "p": PROVINCES, "c": COMMUNES})
    conn.execute(text("""
        INSERT INTO org_units (id, code, name, kind, parent_id, path, depth, school_group, level, ownership, version, updated_at)
        SELECT g, 'S' || g, 'Trường ' || g, 'school', c.id, c.path || g || '/', 2,
               (ARRAY['urban', 'suburban', 'remote'])[1 + g % 3], 'upper_secondary', 'public', 1, now()
        FROM generate_series(:first, :first + :s - 1) g
        JOIN org_units c ON c.id = :cfirst + (g - :first) % :c"""),
                 {"first": PROVINCES + COMMUNES + 1, "s": SCHOOLS, "cfirst": PROVINCES + 1, "c": COMMUNES})
    conn.execute(text("SELECT setval(pg_get_serial_sequence('org_units', 'id'), (SELECT max(id) FROM org_units))"))
    conn.execute(text("""
        INSERT INTO org_unit_ancestors (unit_id, ancestor_id)
        SELECT u.id, a::int FROM org_units u,
             unnest(string_to_array(trim(both '/' from u.path), '/')) a"""))
    conn.execute(text("""
        INSERT INTO indicator_exams (exam_id, title, subject, grade, school_year, term, month, opens_at, revision)
        VALUES (1, 'Thi thử tốt nghiệp THPT: Toán', 'math', 12, '2026-2027', '2026-2027-HK1', '2026-12',
                '2026-12-01T01:00:00Z', 0)"""))
    conn.execute(text("""
        INSERT INTO indicator_facts (candidate_id, exam_id, unit_id, school_group, status, chip_verified, incidents,
                                     seconds_on_test, score_centi, result_version, mastery_stale)
        SELECT g, 1, s.id, s.school_group, st.status, random() < 0.93, (random() < 0.03)::int,
               CASE WHEN st.status IN ('submitted', 'closed', 'terminated') THEN 1800 + (random() * 3600)::int END,
               CASE WHEN st.status IN ('submitted', 'closed', 'terminated')
                    THEN (round((random() + random() + random()) / 3 * 40) * 25)::int END,
               CASE WHEN st.status IN ('submitted', 'closed', 'terminated') THEN 1 ELSE 0 END, false
        FROM generate_series(1, :n) g
        JOIN org_units s ON s.id = :sfirst + (hashint4(g) & 2147483647) % :s
        CROSS JOIN LATERAL (SELECT CASE WHEN r < 0.02 THEN 'registered' WHEN r < 0.90 THEN 'submitted'
                                        WHEN r < 0.97 THEN 'closed' WHEN r < 0.98 THEN 'terminated'
                                        ELSE 'in_progress' END AS status
                            FROM (SELECT random() + g * 0 AS r) x) st"""),
                 {"n": candidates, "sfirst": PROVINCES + COMMUNES + 1, "s": SCHOOLS})
    conn.execute(text("ANALYZE"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="keep the database (its URL is printed)")
    args = parser.parse_args()

    admin_url = os.environ.get("EXAM_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    name = f"bench_indicators_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        run(url, args)
    finally:
        if args.keep:
            print(f"kept: {url}")
        else:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run(url: str, args) -> None:
    from exam_server.app import create_app
    from exam_server.core.db import session
    from exam_server.core.migrate import upgrade

    upgrade(url)
    engine = create_engine(url)
    started = time.perf_counter()
    with engine.begin() as conn:
        generate(conn, args.candidates)
    print(f"generated {PROVINCES} provinces, {COMMUNES} communes, {SCHOOLS} schools, {args.candidates:,} candidate "
          f"facts in {time.perf_counter() - started:.1f} s")

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "INSTANCE_PATH": "/tmp/bench-indicators",
                      "ARGON2_FAST": True, "LOG_LEVEL": "WARNING"})

    # 1. full recompute --------------------------------------------------------------------------
    with engine.connect() as conn:
        started = time.perf_counter()
        conn.execute(text("SELECT count(*), sum(score_centi) FROM indicator_facts")).all()
        baseline = time.perf_counter() - started
    from exam_server.indicators.recompute import rebuild_cells

    with app.app_context():
        started = time.perf_counter()
        rebuild_cells([1])
        session.commit()
        full = time.perf_counter() - started
    with engine.connect() as conn:
        cells = conn.execute(text("SELECT count(*) FROM indicator_cells")).scalar()
        bins = conn.execute(text("SELECT count(*) FROM indicator_score_bins")).scalar()
    print("\n1. full recompute (facts -> every cell and score bin, bulk SQL)")
    print(f"   baseline, one pass over the facts: {baseline:8.2f} s")
    print(f"   full recompute:                    {full:8.2f} s   ({cells:,} cells, {bins:,} score bins)"
          f"   target < 60 s: {'met' if full < 60 else 'MISSED'}")

    # 2. incremental update after one scored attempt ---------------------------------------------
    import random

    from exam_server.core import signals

    rng = random.Random(7)
    base, inc = [], []
    with app.app_context():
        for _ in range(min(args.events, 200)):
            t = time.perf_counter()
            session.execute(text("SELECT 1"))
            session.commit()
            base.append(time.perf_counter() - t)
        now = datetime.now(UTC)
        for i in range(args.events):
            candidate = rng.randint(1, args.candidates)
            t = time.perf_counter()
            signals.result_stored.send(1, result_id=10**9 + i, attempt_id=candidate, candidate_id=candidate,
                                       version=10 + i, status="final", score=Decimal(rng.randint(0, 40)) / 4,
                                       raw_points=Decimal(0), max_points=Decimal(10), reason="bench", at=now)
            session.commit()
            inc.append(time.perf_counter() - t)
    print("\n2. incremental update after one scored attempt (receiver + COMMIT)")
    print(f"   baseline, empty transaction: p50 {ms(p(base, .5))}  p99 {ms(p(base, .99))}")
    print(f"   incremental update:          p50 {ms(p(inc, .5))}  p99 {ms(p(inc, .99))}"
          f"   target p99 < 50 ms: {'met' if p(inc, .99) < 0.05 else 'MISSED'}")

    # 3. the dashboard API for a province --------------------------------------------------------
    from exam_server.accounts.models import User
    from exam_server.accounts.services import create_user, issue_token

    with app.app_context():
        create_user("benchadmin", "bench-password", "admin")
        session.commit()
        headers = {"Authorization": f"Bearer {issue_token(session.query(User).one(), 3600)}"}
        session.commit()
    client = app.test_client()
    summary, table, direct = [], [], []
    for i in range(args.queries):
        province = 1 + i % PROVINCES
        t = time.perf_counter()
        response = client.get(f"/api/v1/indicators/summary?unit={province}&exam_id=1", headers=headers)
        summary.append(time.perf_counter() - t)
        assert response.status_code == 200, response.data
        t = time.perf_counter()
        response = client.get(f"/api/v1/indicators?code=pass_rate&unit={province}&exam_id=1", headers=headers)
        table.append(time.perf_counter() - t)
        assert response.status_code == 200 and len(response.get_json()["rows"]) > 90
    with engine.connect() as conn:
        for i in range(min(args.queries, 20)):
            t = time.perf_counter()
            conn.execute(text("""SELECT count(score_centi), sum((score_centi >= 500)::int) FROM indicator_facts f
                                 JOIN org_unit_ancestors a ON a.unit_id = f.unit_id WHERE a.ancestor_id = :p"""),
                         {"p": 1 + i % PROVINCES}).all()
            direct.append(time.perf_counter() - t)
        communes = [r[0] for r in conn.execute(text("SELECT id FROM org_units WHERE parent_id = 1 OR id = 1"))]
        # The statement the API runs for the communes' table (query.summed), with its values.
        plan = conn.execute(text(f"""EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
            SELECT unit_id, school_group, sum(registered), sum(scored), sum(pass_n) FROM indicator_cells
            WHERE exam_id IN (1) AND unit_id IN ({",".join(map(str, communes))}) AND school_group = ''
            GROUP BY unit_id, school_group""")).scalars().all()
    print("\n3. dashboard API for a province (through the app, bearer token)")
    print(f"   baseline, pass rate straight from the facts: p50 {ms(p(direct, .5))}  p99 {ms(p(direct, .99))}")
    print(f"   GET /api/v1/indicators/summary?unit=<province>: p50 {ms(p(summary, .5))}  p99 {ms(p(summary, .99))}"
          f"   target < 100 ms: {'met' if p(summary, .99) < 0.1 else 'MISSED'}")
    print(f"   GET /api/v1/indicators?code=pass_rate (communes): p50 {ms(p(table, .5))}  p99 {ms(p(table, .99))}"
          f"   target < 100 ms: {'met' if p(table, .99) < 0.1 else 'MISSED'}")
    print("\n   plan of the province read (cells of a province and its communes):")
    for line in plan:
        print("     " + line)
    app.extensions["db_engine"].dispose()
    app.extensions["live_engine"].dispose()
    engine.dispose()
    print(f"\nmean of the incremental sample: {statistics.mean(inc) * 1000:.2f} ms")


if __name__ == "__main__":
    main()
