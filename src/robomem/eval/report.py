"""Answer a query set with an engine, score it, and write the results (JSON + a markdown table).

The simulator runner (explore -> memory -> queries over held-out seeds) calls these per house."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from robomem.eval.groundtruth import GroundTruth
from robomem.eval.queryset import EvalQuery
from robomem.eval.scoring import markdown_table, score, summarize


def answer_and_score(engine, queries: list[EvalQuery], gt: GroundTruth) -> list[dict[str, Any]]:
    """Ask every query (``engine.ask``) and score the answer against the ground truth."""
    return [{**score(q, a := engine.ask(q.text), gt), "confidence": a.confidence,
             "total_ms": a.timings_ms.get("total", 0.0)} for q in queries]


def write_report(results: list[dict[str, Any]], out: str | Path, title: str = "query evaluation",
                 preamble: str = "") -> Path:
    """``out``/results.json (every query) and ``out``/report.md (the summary table, ``preamble``, and every
    failure with what went wrong, for inspection)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rows = summarize(results)

    def clean(v: Any) -> Any:
        return None if isinstance(v, float) and not math.isfinite(v) else v

    (out / "results.json").write_text(json.dumps({"summary": [{k: clean(v) for k, v in r.items()} for r in rows],
                                                  "results": [{k: clean(v) for k, v in r.items()} for r in results]},
                                                 indent=1, default=str))
    fails = [failure_line(r) for r in results if not r["success"]]
    md = f"# {title}\n\n{markdown_table(rows)}\n\n"
    if preamble:
        md += preamble + "\n\n"
    md += f"## Failures ({len(fails)})\n" + "\n".join(fails) + "\n"
    (out / "report.md").write_text(md)
    return out / "report.md"


def failure_line(r: dict[str, Any]) -> str:
    """One markdown line saying which query failed, why, and what was answered."""
    where = f"seed {r['seed']} " if "seed" in r else ""
    why = r.get("reason", "")
    if "recall" in r:
        why = f"recall {r['recall']:.2f}" + (f", missed {', '.join(r['missed'])}" if r.get("missed") else "")
    elif "time_error" in r:
        why = f"time error {r['time_error']:.2f} s"
    elif "position_error" in r:
        why = f"position error {r['position_error']:.2f} m"
    elif "answered" in r:
        why = f"answered {r['answered']}, expected {r['expected']}"
    return f"- {where}[{r['subkind']}] {r['text']!r}: {why} -> {r['answer'][:200]!r}"
