"""The psychometrics commands of `item-bank` (other tools call them: the shapes are stable).

    item-bank calibrate --model {rasch,1pl,2pl,3pl,grm,gpcm} RESPONSES.csv [--json]
    item-bank analyze RESPONSES.csv [--json] [--group-column COL --reference R --focal F]
    item-bank score-ability PARAMS.json RESPONSES.csv [--json]
    item-bank simulate-cat PARAMS.json [--n N] [--max-items N] [--min-items N] [--se SE]
                           [--exposure randomesque|sympson_hetter|none] [--seed S] [--json]

RESPONSES.csv: one row per candidate, one column per item (the header gives the item ids),
integer scores, an empty cell for an item not presented, an optional `weight` column.
PARAMS.json: what `calibrate --json` prints. Exit status 0, or 2 with a message on bad input.
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from typing import Any

import numpy as np

from item_bank.psychometrics.data import PsychometricsError, Responses, read_csv

MODEL_CHOICES = ("rasch", "1pl", "2pl", "3pl", "grm", "gpcm")


def _clean(value: Any) -> Any:
    """JSON without NaN/Infinity (not JSON): those become null."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def _dump(data: Any) -> None:
    json.dump(_clean(data), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def _fmt(value: float | None, digits: int = 3) -> str:
    return "-" if value is None or (isinstance(value, float) and not math.isfinite(value)) else f"{value:.{digits}f}"


def calibrate_command(args: argparse.Namespace) -> int:
    from item_bank.psychometrics.calibrate import calibrate

    result = calibrate(read_csv(args.responses), args.model)
    data = result.to_dict()
    if args.json:
        _dump(data)
        return 0
    print(f"model {result.model}, {result.n:g} candidates, log-likelihood {result.loglik:.3f}, "
          f"AIC {result.aic:.3f}, BIC {result.bic:.3f}, {'converged' if result.converged else 'NOT converged'} "
          f"in {result.cycles} EM cycles")
    print(f"{'item':<16}{'a':>8}{'b':>9}{'c':>8}{'se_a':>8}{'se_b':>8}  thresholds")
    for item in data["items"]:
        thresholds = " ".join(_fmt(t) for t in item.get("thresholds", []))
        print(f"{item['id']:<16}{_fmt(item['a']):>8}{_fmt(item['b']):>9}{_fmt(item.get('c')):>8}"
              f"{_fmt(item['se_a']):>8}{_fmt(item['se_b']):>8}  {thresholds}")
    for item in result.excluded:
        print(f"excluded {item['id']}: {item['reason']}")
    return 0


def _expanded(responses: Responses) -> np.ndarray:
    weights = responses.weights
    if not np.allclose(weights, np.round(weights)):
        raise PsychometricsError("classical statistics need whole-number weights", "bad_weight")
    return np.repeat(np.asarray(responses.scores, float), weights.astype(int), axis=0)


def analyze_command(args: argparse.Namespace) -> int:
    from item_bank.psychometrics.classical import analyze
    from item_bank.psychometrics.dif import mantel_haenszel

    responses = read_csv(args.responses)
    groups = None
    if args.group_column:
        if args.group_column not in responses.item_ids:
            raise PsychometricsError(f"no column {args.group_column!r}", "no_group_column")
        if not (args.reference and args.focal):
            raise PsychometricsError("--group-column needs --reference and --focal", "bad_arguments")
        at = responses.item_ids.index(args.group_column)
        groups = _expanded(responses)[:, at]
        responses = responses.subset([j for j in range(len(responses.item_ids)) if j != at])
    scores = _expanded(responses)
    presented = ~np.isnan(scores)
    max_scores = np.array([max(np.nanmax(scores[:, j]) if presented[:, j].any() else 1.0, 1.0)
                           for j in range(scores.shape[1])])
    report = analyze(scores, max_scores, responses.item_ids)
    data = report.to_dict()
    if groups is not None:
        labels = np.array([str(int(g)) if not np.isnan(g) else "" for g in groups], dtype=object)
        data["dif"] = [r.to_dict() for r in mantel_haenszel(scores, labels, args.reference, args.focal,
                                                             responses.item_ids)]
    if args.json:
        _dump(data)
        return 0
    for form in report.forms:
        print(f"form {form.form}: {form.n} candidates, {len(form.items)} items, mean {form.mean:.2f}, "
              f"sd {form.sd:.2f}, alpha {_fmt(form.alpha)}, SEM {_fmt(form.sem)}")
    print(f"{'item':<16}{'n':>7}{'p':>7}{'r_it':>8}{'a-if-del':>10}  flags")
    for item in report.items:
        print(f"{item.id:<16}{item.n:>7}{item.p:>7.3f}{_fmt(item.discrimination):>8}{_fmt(item.alpha_if_deleted):>10}  "
              + "; ".join(f.reason for f in item.flags))
    for row in data.get("dif", []):
        print(f"DIF {row['id']}: {row['category'] or 'not estimable'} (statistic {_fmt(row['statistic'])})")
    return 0


def _load_params(path: str):
    from item_bank.psychometrics.params import Calibration

    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, json.JSONDecodeError) as exc:
        raise PsychometricsError(f"cannot read the parameters {path}: {exc}", "bad_parameters") from None
    return Calibration.from_dict(data)


def score_command(args: argparse.Namespace) -> int:
    from item_bank.psychometrics.quadrature import normal
    from item_bank.psychometrics.scoring import ItemSet

    calibration = _load_params(args.params)
    responses = read_csv(args.responses)
    by_id = {item.id: item for item in calibration.items}
    used = [j for j, item_id in enumerate(responses.item_ids) if item_id in by_id]
    ignored = [i for i in responses.item_ids if i not in by_id]
    if not used:
        raise PsychometricsError("no column of the responses is an item of the parameters", "no_common_items")
    if ignored:
        print(f"ignored (no parameters): {', '.join(ignored)}", file=sys.stderr)
    items = ItemSet([by_id[responses.item_ids[j]] for j in used])
    codes = items.codes(np.asarray(responses.scores, float)[:, used])
    eap = items.eap(codes, normal(sd=calibration.latent_sd))
    mle = items.mle(codes, start=eap.theta)
    rows = [{"row": n + 1, "eap": eap.theta[n], "eap_se": eap.se[n], "mle": mle.theta[n],
             "mle_se": mle.se[n], "mle_status": mle.status[n]} for n in range(len(codes))]
    if args.json:
        _dump({"model": calibration.model, "candidates": rows})
        return 0
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["row", "eap", "eap_se", "mle", "mle_se", "mle_status"])
    for row in rows:
        writer.writerow([row["row"], _num(row["eap"]), _num(row["eap_se"]), _num(row["mle"]), _num(row["mle_se"]),
                         row["mle_status"]])
    return 0


def _num(value: float) -> str:
    if math.isnan(value):
        return ""
    return "inf" if value == math.inf else "-inf" if value == -math.inf else f"{value:.6f}"


def simulate_cat_command(args: argparse.Namespace) -> int:
    from item_bank.psychometrics.cat import CatPool, CatRules
    from item_bank.psychometrics.cat_simulation import simulate_cat, sympson_hetter_parameters

    calibration = _load_params(args.params)
    rules = CatRules(max_items=args.max_items, min_items=args.min_items, se_target=args.se,
                     exposure=args.exposure, randomesque_n=args.randomesque_n)
    pool = CatPool(calibration.items)
    if args.exposure == "sympson_hetter":
        pool = CatPool(calibration.items, exposure_k=sympson_hetter_parameters(
            pool, rules, r_max=args.r_max, n=min(args.n, 500), seed=args.seed))
    report = simulate_cat(pool, rules, n=args.n, seed=args.seed)
    if args.json:
        _dump(report.to_dict())
        return 0
    print(f"{report.n} simulated candidates, {len(pool)} items in the pool, exposure control {args.exposure}")
    print(f"bias {report.bias:.4f}  RMSE {report.rmse:.4f}  mean SE {report.mean_se:.4f}")
    print(f"test length mean {report.mean_length:.2f} (min {report.min_length}, max {report.max_length})")
    print(f"maximum item exposure {report.max_exposure:.3f}; items never used {report.unused_items}")
    return 0


def _command(commands, name: str, run, help_text: str, *positionals: str):
    """A subcommand with its positional files and --json."""
    parser = commands.add_parser(name, help=help_text)
    for positional in positionals:
        parser.add_argument(positional.split(".")[0].lower(), metavar=positional)
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(run=run)
    return parser


def add_commands(commands) -> None:
    cal = _command(commands, "calibrate", calibrate_command, "IRT calibration (marginal maximum likelihood)",
                   "RESPONSES.csv")
    cal.add_argument("--model", required=True, choices=MODEL_CHOICES)
    ana = _command(commands, "analyze", analyze_command,
                   "classical item analysis (p, r_it, alpha, SEM, flags, DIF)", "RESPONSES.csv")
    ana.add_argument("--group-column", help="a column holding each candidate's group (not an item), for DIF")
    ana.add_argument("--reference", help="the reference group's value in --group-column")
    ana.add_argument("--focal", help="the focal group's value in --group-column")
    _command(commands, "score-ability", score_command, "EAP and MLE ability per candidate",
             "PARAMS.json", "RESPONSES.csv")
    sim = _command(commands, "simulate-cat", simulate_cat_command, "simulate adaptive tests from a calibrated pool",
                   "PARAMS.json")
    sim.add_argument("--n", type=int, default=1000, help="simulated candidates, θ ~ N(0, 1)")
    sim.add_argument("--max-items", type=int, default=30)
    sim.add_argument("--min-items", type=int, default=5)
    sim.add_argument("--se", type=float, default=0.3, help="stop at this standard error")
    sim.add_argument("--exposure", choices=("randomesque", "sympson_hetter", "none"), default="randomesque")
    sim.add_argument("--randomesque-n", type=int, default=5)
    sim.add_argument("--r-max", type=float, default=0.25, help="Sympson-Hetter: the largest exposure wanted")
    sim.add_argument("--seed", type=int, default=1)
