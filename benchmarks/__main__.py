"""Run every scenario in C, Java and Python; print the ratios to C (to Java for Cluster,
which has no C); write JSON.

    .venv/bin/python -m benchmarks [--quick] [--repetitions N] [--only NAME] [--json PATH] [--markdown]

(``benchmarks/run`` is the same.) Each repetition runs every implementation of every
scenario once, in turn, so slow drift of the machine spreads over all of them; each
figure is the median over the repetitions, and each ratio divides it by the baseline's
(C's; Java's for Cluster) from the same run. Exits non-zero if any run failed (its error is in the JSON).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import pathlib
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import traceback

from aeron_cffi import aeron_version

from benchmarks.programs import BUILD_DIR
from benchmarks import cluster
from benchmarks.scenarios import SCENARIOS, Scenario, Settings

ALL_SCENARIOS = SCENARIOS + cluster.SCENARIOS
BASELINE_NAMES = {"c": "C", "java": "Java"}


def machine() -> dict[str, object]:
    model = next((line.split(":", 1)[1].strip() for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()
    return {"cpu": model, "cores": os.cpu_count(), "system": platform.platform(),
            "python": platform.python_version(), "java": java[0] if java else None}


def run(scenarios: list[Scenario], settings: Settings) -> list[dict]:
    records = [{"scenario": s, "results": [{"implementation": i, "runs": [], "errors": [], "seconds": []}
                                           for i in s.implementations]} for s in scenarios]
    for repetition in range(settings.repetitions):
        for record in records:
            scenario = record["scenario"]
            for result in record["results"]:
                implementation = result["implementation"]
                print(f"[{repetition + 1}/{settings.repetitions}] {scenario.name}: {implementation.label}",
                      file=sys.stderr, flush=True)
                started = time.monotonic()
                with tempfile.TemporaryDirectory(prefix="aeron-bench-work-") as work:
                    try:
                        measurement = implementation.run(settings, pathlib.Path(work))
                        missing = set(scenario.metrics) - set(measurement)
                        if missing:
                            raise RuntimeError(f"no {', '.join(sorted(missing))} in its output")
                        result["runs"].append(measurement)
                    except Exception as exc:  # noqa: BLE001  (reported, and the run carries on)
                        traceback.print_exc()
                        result["errors"].append(f"{type(exc).__name__}: {exc}")
                result["seconds"].append(round(time.monotonic() - started, 1))
    return [summarise(record["scenario"], record["results"]) for record in records]


def summarise(scenario: Scenario, results: list[dict]) -> dict:
    def median(runs: list[dict], metric: str) -> float | None:
        values = [run[metric] for run in runs]
        return statistics.median(values) if values else None

    medians = [{m: median(r["runs"], m) for m in scenario.metrics} for r in results]
    base = next((m for m, r in zip(medians, results) if r["implementation"].language == scenario.baseline), {})
    return {
        "name": scenario.name, "title": scenario.title, "unit": scenario.unit, "baseline": scenario.baseline,
        "higher_is_better": scenario.higher_is_better, "metrics": list(scenario.metrics),
        "results": [{
            "implementation": r["implementation"].label, "language": r["implementation"].language,
            "runs": r["runs"], "errors": r["errors"], "seconds": r["seconds"], "median": m,
            "ratio": {k: (v / base[k] if v is not None and base.get(k) else None) for k, v in m.items()},
        } for r, m in zip(results, medians)],
    }


def figure(value: float | None) -> str:
    if value is None:
        return "failed"
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= scale:
            return f"{value / scale:.3g}{suffix}"
    return f"{value:.3g}"


def ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}" if value >= 0.1 else f"{value:.3f}"


def table(summary: dict) -> tuple[list[str], list[list[str]]]:
    header = ["implementation"]
    for metric in summary["metrics"]:
        name = metric if len(summary["metrics"]) > 1 else summary["unit"]
        header += [name, f"÷ {BASELINE_NAMES[summary['baseline']]}"]
    rows = [[r["implementation"], *(cell for metric in summary["metrics"]
                                    for cell in (figure(r["median"][metric]), ratio(r["ratio"][metric])))]
            for r in summary["results"]]
    return header, rows


def caption(summary: dict) -> str:
    better = "higher" if summary["higher_is_better"] else "lower"
    return f"{summary['title']} ({summary['unit']}, {better} is better)"


def render_text(summaries: list[dict]) -> str:
    out = []
    for summary in summaries:
        header, rows = table(summary)
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
        out.append(caption(summary))
        for row in [header, *rows]:
            out.append("  " + "  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                                         for i, (cell, w) in enumerate(zip(row, widths))))
        out.append("")
    return "\n".join(out)


def render_markdown(summaries: list[dict]) -> str:
    out = []
    for summary in summaries:
        header, rows = table(summary)
        out += [f"**{caption(summary)}**", "", "| " + " | ".join(header) + " |",
                "|" + "|".join(["---", *["---:"] * (len(header) - 1)]) + "|",
                *("| " + " | ".join(row) + " |" for row in rows), ""]
    return "\n".join(out)


def argument_parser() -> argparse.ArgumentParser:
    """The command line of ``benchmarks/run`` (``python -m benchmarks``)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short runs, one repetition (checks it all works)")
    parser.add_argument("--repetitions", type=int, help="runs of each implementation (default 3, quick 1)")
    parser.add_argument("--only", action="append", default=[], metavar="NAME",
                        help="run scenarios whose name contains NAME (repeatable)")
    parser.add_argument("--json", type=pathlib.Path, default=BUILD_DIR / "results.json", help="where to write JSON")
    parser.add_argument("--markdown", action="store_true", help="print the tables as Markdown")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = argument_parser()
    args = parser.parse_args(argv)

    scenarios = [s for s in ALL_SCENARIOS if not args.only or any(name in s.name for name in args.only)]
    if not scenarios:
        parser.error(f"no scenario matches {args.only}; there are {', '.join(s.name for s in ALL_SCENARIOS)}")
    settings = Settings.for_mode(args.quick, args.repetitions)
    started = time.monotonic()
    summaries = run(scenarios, settings)
    report = {
        "aeron_version": aeron_version(), "started": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        "duration_s": round(time.monotonic() - started, 1), "quick": args.quick, "machine": machine(),
        "settings": dataclasses.asdict(settings), "scenarios": summaries,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2))
    print(render_markdown(summaries) if args.markdown else render_text(summaries))
    print(f"figures: medians of {settings.repetitions} run(s); ÷ C (÷ Java): the figure divided by C's (Java's) from this run. "
          f"JSON: {args.json} ({report['duration_s']} s)")
    return 1 if any(r["errors"] for s in summaries for r in s["results"]) else 0


if __name__ == "__main__":
    sys.exit(main())
