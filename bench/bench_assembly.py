"""Time form assembly: the 22-item graduation math blueprint from a 2,000-item pool.

    .venv/bin/python bench/bench_assembly.py [--forms 4 8 24] [--pool 2000] [--repeat 1]

Max overlap 3 items, difficulty tolerance 0.02, CBC bundled with PuLP (single thread). Wall time
includes building the model in PuLP and writing it for CBC, which is a good part of the total.
"""
from __future__ import annotations

import argparse
import random
import statistics
import time

from item_bank.assembly import Blueprint, PoolItem, assemble
from item_bank.assembly.examples import MATH_2025_ROWS

ROWS = MATH_2025_ROWS


def make_pool(blueprint: Blueprint, size: int, seed: int = 2025) -> list[PoolItem]:
    """`size` items spread over the cells in proportion to their counts, difficulty 0.15..0.85."""
    rng = random.Random(seed)
    pool = []
    for k in range(size):
        row = blueprint.rows[k % len(blueprint.rows)] if k < len(blueprint.rows) else \
            rng.choices(blueprint.rows, weights=[r.count for r in blueprint.rows])[0]
        pool.append(PoolItem(k + 1, f"item-{k + 1}", row.topic, row.cognitive_level, row.item_type,
                             round(rng.uniform(0.15, 0.85), 3)))
    return pool


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--forms", type=int, nargs="+", default=[4, 8, 24])
    parser.add_argument("--pool", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--max-overlap", type=int, default=3)
    parser.add_argument("--tolerance", type=float, default=0.02)
    args = parser.parse_args()

    blueprint = Blueprint(ROWS)
    pool = make_pool(blueprint, args.pool)
    print(f"blueprint {blueprint.n_items} items / {blueprint.total_points:g} points, pool {len(pool)} items, "
          f"max_overlap {args.max_overlap}, difficulty_tolerance {args.tolerance}")
    print(f"{'forms':>5} {'seconds':>9} {'runs':>4} {'status':>8} {'max shared':>10} {'total shared':>12} "
          f"{'spread':>7}")
    for n_forms in args.forms:
        times = []
        for attempt in range(args.repeat):
            started = time.perf_counter()
            result = assemble(blueprint, pool, n_forms, max_overlap=args.max_overlap,
                              difficulty_tolerance=args.tolerance, seed=attempt, time_limit=600)
            times.append(time.perf_counter() - started)
        s = result.stats
        print(f"{n_forms:>5} {statistics.median(times):>9.2f} {s.solver_runs:>4} {s.solver_status:>8} "
              f"{s.max_overlap:>10} {s.total_overlap:>12} {s.difficulty_spread:>7.4f}")


if __name__ == "__main__":
    main()
