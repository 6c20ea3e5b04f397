"""axe-core (tests/browser/vendor/axe-core, from the npm registry) run inside a page.

The source is evaluated through the DevTools protocol (page.evaluate), which the pages' Content
Security Policy does not block, and nothing is added to the application. `violations(page)`
returns the serious and critical WCAG 2.x A/AA violations as (rule id, impact, target, summary).
"""
from __future__ import annotations

from pathlib import Path

AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text(encoding="utf-8")
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def violations(page, include: str | None = None) -> list[tuple[str, str, str, str]]:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE + "\n;true")
    found = page.evaluate(
        """async ([include, tags]) => {
             const result = await axe.run(include ? document.querySelector(include) : document,
                                          { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
             return result.violations.flatMap((v) => v.nodes.map((n) => [v.id, v.impact || "", n.target.join(" "),
                                                                       n.failureSummary || ""]));
           }""", [include, TAGS])
    return [tuple(v) for v in found if v[1] in ("serious", "critical")]
