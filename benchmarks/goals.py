"""What every benchmark reports the same way: checks, goals beside their figures, and its JSON.

The convention (docs/operations.md, "Benchmarks"):

- every `benchmarks/bench_*.py` accepts `--short` (seconds, not minutes: what CI runs) and
  `--json PATH` (default `var/bench/<name>.json`, or `<name>-short.json` for a short run);
- a **check** is something that must hold for the figures to mean anything (every request
  answered, every run finished, the same numbers as the reference). A failed check fails the
  benchmark, short or full: that is how CI notices a benchmark that rots;
- a **goal** is a figure with its target, printed side by side with their ratio. Where the goal
  is a comparison, both sides are measured in the same run, because timings on the shared build
  machines are only comparable within one run. A missed goal is printed as MISSED; it fails the
  benchmark only with `--strict` (a deployment gate on a quiet machine), since a timing measured
  on a loaded shared machine says more about the machine than the code;
- the JSON holds the checks, the goals, the benchmark's own figures and the machine's load, and
  when the file already exists the previous run's figures are printed beside the new ones.

    report = Report.start("load", args)             # args from add_arguments(parser)
    report.check("every request answered", errors == 0, f"{errors} errors")
    report.goal("page p99 at 200 req/s", p99_ms, "ms", below=150)
    report.goal("speed-up vs seqeval", ours / theirs, "x", above=5)
    report.figures["table"] = rows
    return report.finish()                          # prints, writes the JSON, the exit status
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
JSON_DIR = ROOT / "var" / "bench"


def add_arguments(parser: argparse.ArgumentParser, *, short_help: str = "") -> None:
    """The flags every benchmark shares: --short, --json PATH, --strict."""
    parser.add_argument(
        "--short", action="store_true", help=short_help or "a few seconds' version, for CI"
    )
    parser.add_argument(
        "--json", type=Path, help="write the figures here (default var/bench/NAME[-short].json)"
    )
    parser.add_argument(
        "--strict", action="store_true", help="a missed goal fails the benchmark too"
    )


@dataclass
class Check:
    name: str
    ok: bool
    detail: str = ""


@dataclass
class Goal:
    """A figure and its target; `ratio` = figure / target (below 1 is better for an upper bound)."""

    name: str
    figure: float
    unit: str
    target: float
    bound: str  # "below" (the figure must stay under the target) or "above"
    note: str = ""

    @property
    def ratio(self) -> float | None:
        return self.figure / self.target if self.target else None

    @property
    def met(self) -> bool:
        return self.figure < self.target if self.bound == "below" else self.figure >= self.target

    def as_dict(self) -> dict:
        return {**asdict(self), "ratio": _round(self.ratio), "met": self.met}


class Report:
    def __init__(self, name: str, *, short: bool, json_path: Path | None, strict: bool):
        self.name, self.short, self.strict = name, short, strict
        self.json_path = json_path or JSON_DIR / f"{name}{'-short' if short else ''}.json"
        self.checks: list[Check] = []
        self.goals: list[Goal] = []
        self.figures: dict = {}
        self.arguments: dict = {}
        self.started = time.monotonic()
        self.started_at = datetime.now(UTC).isoformat(timespec="seconds")
        self.load_at_start = os.getloadavg()

    @classmethod
    def start(cls, name: str, args: argparse.Namespace) -> Report:
        report = cls(name, short=args.short, json_path=args.json, strict=args.strict)
        report.arguments = {k: v if isinstance(v, int | float | bool | None) else str(v)
                            for k, v in vars(args).items()}  # fmt: skip
        return report

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        self.checks.append(Check(name, bool(ok), detail))
        return bool(ok)

    def goal(
        self,
        name: str,
        figure: float,
        unit: str,
        *,
        below: float | None = None,
        above: float | None = None,
        note: str = "",
    ) -> Goal:
        if (below is None) == (above is None):
            raise ValueError("a goal has exactly one bound: below= or above=")
        bound, target = ("below", below) if below is not None else ("above", above)
        goal = Goal(name, float(figure), unit, float(target), bound, note)
        self.goals.append(goal)
        return goal

    @property
    def ok(self) -> bool:
        checks = all(c.ok for c in self.checks)
        return checks and (not self.strict or all(g.met for g in self.goals))

    def as_dict(self) -> dict:
        return {
            "benchmark": self.name,
            "short": self.short,
            "strict": self.strict,
            "ok": self.ok,
            "started_at": self.started_at,
            "wall_s": round(time.monotonic() - self.started, 1),
            "machine": {
                "cpus": os.cpu_count(),
                "load_average_at_start": [round(x, 2) for x in self.load_at_start],
                "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
                "python": platform.python_version(),
                "host": platform.node(),
                "commit": _commit(),
            },
            "arguments": self.arguments,
            "checks": [asdict(c) for c in self.checks],
            "goals": [g.as_dict() for g in self.goals],
            "figures": self.figures,
        }

    def finish(self) -> int:
        """Print the checks and goals (beside the previous run's), write the JSON, exit status."""
        previous = _read(self.json_path)
        data = self.as_dict()
        print(render(data, previous))
        self.json_path.parent.mkdir(parents=True, exist_ok=True)
        self.json_path.write_text(json.dumps(data, indent=2, default=str) + "\n")
        print(f"figures written to {self.json_path}")
        return 0 if self.ok else 1


def render(data: dict, previous: dict | None = None) -> str:
    """The checks and the goal table of one report, with the previous run's figures if given."""
    title = (
        f"{data['benchmark']}{' (short: figures are not a measurement)' if data['short'] else ''}"
    )
    lines = [f"\n## {title}", ""]
    for check in data["checks"]:
        mark = "ok  " if check["ok"] else "FAIL"
        lines.append(
            f"{mark} {check['name']}" + (f": {check['detail']}" if check["detail"] else "")
        )
    before = {g["name"]: g for g in (previous or {}).get("goals", [])}
    if data["goals"]:
        lines += [
            "",
            "| goal | figure | target | ratio | met | previous run |",
            "|---|---:|---:|---:|---|---:|",
        ]
        for goal in data["goals"]:
            sign = "<" if goal["bound"] == "below" else ">="
            old = before.get(goal["name"])
            name = goal["name"] + (f" ({goal['note']})" if goal["note"] else "")
            lines.append(
                f"| {name} | {_num(goal['figure'])} {goal['unit']} | {sign} "
                f"{_num(goal['target'])} {goal['unit']} | "
                f"{'-' if goal['ratio'] is None else _num(goal['ratio'])} | "
                f"{'yes' if goal['met'] else 'MISSED'} | "
                f"{_num(old['figure']) + ' ' + old['unit'] if old else '-'} |"
            )
    machine = data["machine"]
    failed = [c["name"] for c in data["checks"] if not c["ok"]]
    missed = [g["name"] for g in data["goals"] if not g["met"]]
    lines += [
        "",
        f"{machine['cpus']} CPUs, load average {machine['load_average_at_start'][0]} at start, "
        f"{machine['load_average_at_end'][0]} at end; {data['wall_s']} s",
    ]
    met = f"goals met: {len(data['goals']) - len(missed)} of {len(data['goals'])}"
    if missed:
        met += f" (missed: {', '.join(missed)})"
    if failed:
        lines.append(f"FAIL: check failed: {', '.join(failed)}; {met}")
    elif not data["ok"]:
        lines.append(f"FAIL (--strict): {met}")
    else:
        lines.append(f"PASS: every check held; {met}")
    return "\n".join(lines)


def _num(value: float) -> str:
    if value == 0 or abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.4g}"


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _read(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _commit() -> str | None:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
            timeout=10, check=False,
        )  # fmt: skip
    except OSError:
        return None
    return done.stdout.strip() or None


if __name__ == "__main__":  # `python benchmarks/goals.py FILE.json`: print a saved report again
    for name in sys.argv[1:]:
        print(render(json.loads(Path(name).read_text())))
