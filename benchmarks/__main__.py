"""Run every scenario in C, Java and Python; print the ratios to C (to Java for Cluster,
which has no C), and our Python rows' ratios to pyaeron where it runs too; write JSON.

    .venv/bin/python -m benchmarks [--quick] [--repetitions N] [--only NAME] [--json PATH] [--markdown]
                                   [--ours-on-peer-python]

(``benchmarks/run`` is the same.) Each repetition runs every implementation of every
scenario once, in turn, so slow drift of the machine spreads over all of them; each
figure is the median over the repetitions, and each ratio divides it by the baseline's
(C's; Java's for Cluster) from the same run. The IPC and ping-pong scenarios also run
pyaeron, the peer (``benchmarks.peers``: its own venv on CPython 3.12, made on first
use), and set each of our Python rows beside it: ours ÷ pyaeron for throughput,
pyaeron ÷ ours for latency, so that 1.00 or more means ours is at least as good.
Exits non-zero if any run failed (its error is in the JSON).
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
from benchmarks import cluster, peers
from benchmarks.scenarios import SCENARIOS, Scenario, Settings

ALL_SCENARIOS = SCENARIOS + cluster.SCENARIOS
LANGUAGE_NAMES = {"c": "C", "java": "Java", "pyaeron": "pyaeron"}


def machine() -> dict[str, object]:
    model = next((line.split(":", 1)[1].strip() for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()
    return {"cpu": model, "cores": os.cpu_count(), "system": platform.platform(),
            "python": platform.python_version(), "java": java[0] if java else None}


def peer_versions(scenarios: list[Scenario]) -> dict[str, str]:
    """Each peer that runs: its version, its Aeron client's and its interpreter's (or why
    it could not be had: its runs fail with the same error)."""
    if not any(s.peer == "pyaeron" for s in scenarios):
        return {}
    try:
        return {"pyaeron": peers.describe()}
    except peers.PeerUnavailable as exc:
        return {"pyaeron": f"unavailable: {exc}"}


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


def ratios(values: dict[str, float | None], reference: dict[str, float | None],
           inverted: bool = False) -> dict[str, float | None]:
    """Each value divided by the reference's for the same metric (``inverted``: the
    reference's divided by the value); None where either is missing."""
    def divide(a: float | None, b: float | None) -> float | None:
        return a / b if a is not None and b else None
    return {k: divide(reference.get(k), v) if inverted else divide(v, reference.get(k)) for k, v in values.items()}


def summarise(scenario: Scenario, results: list[dict]) -> dict:
    """Medians; every row's ratio to the baseline, and each of our Python rows' ratio to the
    peer (``peer_ratio``), turned so that 1.00 or more means ours is at least as good."""
    def median(runs: list[dict], metric: str) -> float | None:
        values = [run[metric] for run in runs]
        return statistics.median(values) if values else None

    def medians_of(language: str | None) -> dict[str, float | None]:
        return next((m for m, r in zip(medians, results) if r["implementation"].language == language), {})

    medians = [{m: median(r["runs"], m) for m in scenario.metrics} for r in results]
    base, peer = medians_of(scenario.baseline), medians_of(scenario.peer)
    return {
        "name": scenario.name, "title": scenario.title, "unit": scenario.unit, "baseline": scenario.baseline,
        "peer": scenario.peer, "higher_is_better": scenario.higher_is_better, "metrics": list(scenario.metrics),
        "results": [{
            "implementation": r["implementation"].label, "language": r["implementation"].language,
            "runs": r["runs"], "errors": r["errors"], "seconds": r["seconds"], "median": m,
            "ratio": ratios(m, base),
            "peer_ratio": (ratios(m, peer, inverted=not scenario.higher_is_better)
                           if scenario.peer and r["implementation"].language == "python" else None),
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
    """A column per metric and its ratio to the baseline, and where there is a peer, a
    column of our rows' ratios to it (``÷ pyaeron``, or ``pyaeron ÷`` where lower is better)."""
    peer = summary["peer"] and LANGUAGE_NAMES[summary["peer"]]
    header = ["implementation"]
    for metric in summary["metrics"]:
        name = metric if len(summary["metrics"]) > 1 else summary["unit"]
        header += [name, f"÷ {LANGUAGE_NAMES[summary['baseline']]}"]
        if peer:
            header.append(f"÷ {peer}" if summary["higher_is_better"] else f"{peer} ÷")

    def cells(result: dict, metric: str) -> list[str]:
        found = [figure(result["median"][metric]), ratio(result["ratio"][metric])]
        if peer:
            found.append(ratio(result["peer_ratio"][metric]) if result["peer_ratio"] else "")
        return found

    rows = [[r["implementation"], *(cell for metric in summary["metrics"] for cell in cells(r, metric))]
            for r in summary["results"]]
    return header, rows


def caption(summary: dict) -> str:
    better = "higher" if summary["higher_is_better"] else "lower"
    peer = (f"; ours beside {LANGUAGE_NAMES[summary['peer']]}: 1.00 or more, ours is at least as good"
            if summary["peer"] else "")
    return f"{summary['title']} ({summary['unit']}, {better} is better{peer})"


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
    parser.add_argument("--ours-on-peer-python", action="store_true",
                        help=f"run our Python workers on the peers' interpreter too (CPython {peers.PYTHON_VERSION}, "
                             ".venv-peers), not on this one")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = argument_parser()
    args = parser.parse_args(argv)

    scenarios = [s for s in ALL_SCENARIOS if not args.only or any(name in s.name for name in args.only)]
    if not scenarios:
        parser.error(f"no scenario matches {args.only}; there are {', '.join(s.name for s in ALL_SCENARIOS)}")
    settings = Settings.for_mode(args.quick, args.repetitions,
                                 peers.python() if args.ours_on_peer_python else sys.executable)
    started = time.monotonic()
    summaries = run(scenarios, settings)
    report = {
        "aeron_version": aeron_version(), "started": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        "duration_s": round(time.monotonic() - started, 1), "quick": args.quick, "machine": machine(),
        "peers": peer_versions(scenarios), "settings": dataclasses.asdict(settings), "scenarios": summaries,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2))
    print(render_markdown(summaries) if args.markdown else render_text(summaries))
    print(f"figures: medians of {settings.repetitions} run(s); ÷ C (÷ Java): the figure divided by C's (Java's) from this run. "
          f"JSON: {args.json} ({report['duration_s']} s)")
    if "pyaeron" in report["peers"]:
        ours = "the same interpreter" if args.ours_on_peer_python else f"Python {platform.python_version()}"
        print(f"÷ pyaeron (throughput: ours ÷ pyaeron) and pyaeron ÷ (latency: pyaeron ÷ ours): 1.00 or more, "
              f"ours is at least as good. {report['peers']['pyaeron']}; ours on {ours}")
    return 1 if any(r["errors"] for s in summaries for r in s["results"]) else 0


if __name__ == "__main__":
    sys.exit(main())
