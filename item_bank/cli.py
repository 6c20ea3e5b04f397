"""The `item-bank` command: offline tools, no server or database needed.

    item-bank validate-qti PATH... [--subject S] [--grade G] [--language vi|en] [--json]

reports, for every item file of each package, directory or item file, whether it would import
and if not why. Exit status: 0 all import, 1 some item does not, 2 a package cannot be read.

The psychometrics commands (calibrate, analyze, score-ability, simulate-cat) are described in
item_bank/psychometrics/commands.py; they exit 2 with a message on bad input.
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from item_bank.model import LANGUAGES, SUBJECTS
from item_bank.qti import QtiError, read_package


def _defaults(args: argparse.Namespace) -> dict[str, Any]:
    return {name: value for name, value in (("subject", args.subject), ("grade", args.grade),
                                            ("language", args.language)) if value is not None}


def _check(path: str, defaults: dict[str, Any]) -> dict[str, Any]:
    try:
        report = read_package(path, defaults)
    except QtiError as exc:
        return {"path": path, "error": exc.reason, "items": [], "errors": [], "skipped": 0}
    items = [{"file": imported.file, "identifier": imported.item.identifier, "type": imported.item.content.type,
              "title": imported.item.title, "media": len(imported.media)} for imported in report.items]
    return {"path": path, "error": None, "items": items, "errors": report.errors, "skipped": report.skipped}


def _print_text(result: dict[str, Any], out: Any) -> None:
    if result["error"]:
        print(f"{result['path']}: cannot be read: {result['error']}", file=out)
        return
    print(f"{result['path']}:", file=out)
    for item in result["items"]:
        media = f", {item['media']} image(s)" if item["media"] else ""
        print(f"  ok    {item['file']}: {item['identifier']} ({item['type']}{media})", file=out)
    for error in result["errors"]:
        print(f"  error {error['file']}: {error['reason']}", file=out)
    print(f"  {len(result['items'])} would import, {len(result['errors'])} would not, "
          f"{result['skipped']} skipped (not items)", file=out)


def validate_qti(args: argparse.Namespace) -> int:
    results = [_check(path, _defaults(args)) for path in args.paths]
    if args.json:
        json.dump(results if len(results) > 1 else results[0], sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        for result in results:
            _print_text(result, sys.stdout)
    if any(r["error"] for r in results):
        return 2
    return 1 if any(r["errors"] for r in results) else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="item-bank", description="Item bank tools.")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser(
        "validate-qti", help="check QTI packages or item files: what would import, and why not",
        description="Check QTI 3.0 / 2.1 packages (.zip), package directories or item files.")
    check.add_argument("paths", nargs="+", metavar="PATH")
    check.add_argument("--subject", choices=SUBJECTS, help="subject for items whose metadata has none")
    check.add_argument("--grade", type=int, choices=range(1, 13), metavar="1-12",
                       help="grade for items whose metadata has none")
    check.add_argument("--language", choices=LANGUAGES, help="language for items that do not say")
    check.add_argument("--json", action="store_true", help="machine-readable output")
    check.set_defaults(run=validate_qti)
    from item_bank.psychometrics.commands import add_commands

    add_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "validate-qti":
        return args.run(args)
    from item_bank.psychometrics.data import PsychometricsError

    try:
        return args.run(args)
    except PsychometricsError as exc:
        print(f"item-bank {args.command}: {exc.message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
