"""2PL calibration speed and accuracy against girth, on the same simulated data, in one run.

    ./run bench bench_irt                 100 items x 100,000 candidates
    ./run bench bench_irt --large         also 200 items x 1,000,000 (ours; girth too with --girth-large)

Each fit runs in a child process of its own so that its peak memory (ru_maxrss) is its own.
Prints both times, both parameter-recovery RMSEs (a and b against the generating parameters)
and peak memory. girth (https://pypi.org/project/girth/) is installed into this venv when
missing: it is a benchmark baseline only, not a dependency of the project.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def make_data(n_items: int, n_people: int, seed: int, folder: Path) -> Path:
    from item_bank.psychometrics.simulate import generating_items, simulate

    rng = np.random.default_rng(seed)
    true = generating_items("2pl", n_items, rng)
    scores = simulate(true, rng.normal(size=n_people), rng)
    path = folder / f"data_{n_items}x{n_people}.npz"
    np.savez(path, scores=scores, a=np.array([i.a for i in true]), b=np.array([i.b for i in true]))
    return path


def child(method: str, path: str) -> None:
    data = np.load(path)
    scores = data["scores"]
    started = time.perf_counter()
    if method == "ours":
        from item_bank.psychometrics import Responses, calibrate

        fit = calibrate(Responses([f"i{j}" for j in range(scores.shape[1])], scores), "2pl",
                        standard_errors=False)
        a, b = np.array([i.a for i in fit.items]), np.array([i.b for i in fit.items])
        extra = {"cycles": fit.cycles, "loglik": fit.loglik}
    else:
        from girth import twopl_mml

        # girth wants items x people, in an integer type that can hold its -99999 "invalid" marker
        fit = twopl_mml(np.ascontiguousarray(scores.T.astype(np.int32)))
        a, b = np.asarray(fit["Discrimination"]), np.asarray(fit["Difficulty"])
        extra = {}
    seconds = time.perf_counter() - started
    rmse = lambda x, y: float(np.sqrt(np.mean((x - y) ** 2)))
    print(json.dumps({"seconds": seconds, "rmse_a": rmse(a, data["a"]), "rmse_b": rmse(b, data["b"]),
                      "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, **extra}))


def run(method: str, path: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, __file__, "--child", method, str(path)], capture_output=True,
                          text=True, env=env, check=False)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def ensure_girth() -> bool:
    try:
        import girth  # noqa: F401
        return True
    except ImportError:
        pass
    print("installing girth into this venv (benchmark baseline only) ...", flush=True)
    done = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "girth"], capture_output=True, text=True,
                          check=False)
    return done.returncode == 0


def show(label: str, result: dict) -> None:
    if "error" in result:
        print(f"  {label:<8} failed: {result['error']}")
        return
    print(f"  {label:<8} {result['seconds']:9.2f} s   RMSE a {result['rmse_a']:.4f}   RMSE b {result['rmse_b']:.4f}   "
          f"peak {result['peak_mb']:8.0f} MB" + (f"   ({result['cycles']} EM cycles)" if "cycles" in result else ""))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--large", action="store_true", help="also 200 items x 1,000,000 candidates")
    parser.add_argument("--girth-large", action="store_true", help="run girth on the large data too (slow)")
    parser.add_argument("--seed", type=int, default=20240613)
    args = parser.parse_args()
    have_girth = ensure_girth()
    sizes = [(100, 100_000)] + ([(200, 1_000_000)] if args.large else [])
    with tempfile.TemporaryDirectory() as folder:
        for n_items, n_people in sizes:
            path = make_data(n_items, n_people, args.seed, Path(folder))
            print(f"2PL, {n_items} items x {n_people:,} candidates (same data for both)")
            ours = run("ours", path)
            show("ours", ours)
            if have_girth and (n_people <= 100_000 or args.girth_large):
                theirs = run("girth", path)
                show("girth", theirs)
                if "error" not in ours and "error" not in theirs:
                    print(f"  speed-up {theirs['seconds'] / ours['seconds']:.1f}x; "
                          f"recovery a {'equal or better' if ours['rmse_a'] <= theirs['rmse_a'] * 1.02 else 'WORSE'}, "
                          f"b {'equal or better' if ours['rmse_b'] <= theirs['rmse_b'] * 1.02 else 'WORSE'}")
            elif not have_girth:
                print("  girth could not be installed: no baseline")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
    else:
        main()
