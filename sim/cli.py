"""The ``cogov`` command line.

Core commands live here; the experiment, visualisation and benchmark commands
register themselves from their own modules (``register(subparsers)``). Bad
input prints one line and exits with code 2; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

from .errors import UserError

COMMAND_MODULES = (
    "sim.experiments.commands",
    "sim.validation",
    "sim.viz.commands",
    "sim.bench",
)

HEADLINE = (
    ("sw_turnover_rate", "Social-worker turnover (per year)", "{:.1%}"),
    ("sw_quit_rate", "  of which quits", "{:.1%}"),
    ("sw_layoff_rate", "  of which layoffs", "{:.1%}"),
    ("sw_first_year_quit_rate", "Quit rate, first year of tenure", "{:.1%}"),
    ("sw_later_quit_rate", "Quit rate, after the first year", "{:.1%}"),
    ("sw_vacancy_rate", "Vacancy rate", "{:.1%}"),
    ("sw_median_tenure_years", "Median tenure in post (years)", "{:.1f}"),
    ("sw_burnout_mean", "Mean burnout (0-1)", "{:.2f}"),
    ("needs_arisen_per_year", "Needs arisen per year", "{:,.0f}"),
    ("needs_resolved_per_year", "Needs resolved per year", "{:,.0f}"),
    ("resolution_rate", "Resolution rate", "{:.1%}"),
    ("mean_wait_weeks", "Mean weeks waited in the ledger", "{:.1f}"),
    ("mean_weeks_to_resolution", "Mean weeks from need arising to resolution", "{:.1f}"),
    ("backlog_end", "Ledger backlog at end", "{:,.0f}"),
    ("coverage_vulnerable", "Vulnerable residents reached in a year", "{:.1%}"),
    ("trust_mean", "Mean trust (0-1)", "{:.2f}"),
    ("belonging_mean", "Mean belonging (0-1)", "{:.2f}"),
    ("wellbeing_mean", "Mean wellbeing (0-1)", "{:.2f}"),
    ("volunteer_rate", "Active volunteers (share of adults)", "{:.1%}"),
    ("volunteer_dropout_rate", "Volunteer drop-out (per year)", "{:.1%}"),
    ("disputes_resolved_per_year", "Public disputes settled per year", "{:.1f}"),
    ("cost_per_resolved_need", "Cost per resolved need (yuan)", "{:,.0f}"),
    ("ngo_failures", "Agencies closed", "{:.0f}"),
)


class ArgumentParser(argparse.ArgumentParser):
    """Argument errors are bad input too: one line, exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UserError(message, source=self.prog)


def format_summary(summary: dict[str, float], title: str = "") -> str:
    width = max(len(label) for _, label, _ in HEADLINE)
    lines = [title] if title else []
    for key, label, fmt in HEADLINE:
        if key in summary:
            lines.append(f"  {label:<{width}}  {fmt.format(summary[key])}")
    return "\n".join(lines)


def cmd_run(args: argparse.Namespace) -> int:
    from .run import check_writable, run_scenario, write_outputs
    from .scenario import load_scenario, parse_assignments

    overrides = parse_assignments(args.set or [])
    scenario = load_scenario(args.scenario, overrides)
    seed = args.seed if args.seed is not None else scenario.simulation.seed
    out = Path(args.out) if args.out else Path("runs") / f"{scenario.name}-seed{seed}"
    check_writable(out)
    result = run_scenario(scenario, seed=args.seed, weeks=args.weeks)
    write_outputs(result, out, figure=not args.no_figure)
    weeks = result.scenario.simulation.horizon_weeks
    print(format_summary(result.summary, f"{result.scenario.name} (seed {result.seed}, {weeks} weeks, "
                                         f"{result.scenario.population.residents:,} residents, "
                                         f"{result.seconds:.2f} s)"))
    for week, label in result.events:
        print(f"  event in week {week}: {label}")
    print(f"Results in {out}/")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from .scenario import load_scenario

    for f in args.files:
        s = load_scenario(f)
        print(f"{f}: ok ({s.name}, {s.population.residents:,} residents, "
              f"{s.simulation.horizon_weeks} weeks)")
    return 0


def cmd_scenarios(args: argparse.Namespace) -> int:
    from .scenario import bundled_scenarios, read_yaml

    items = bundled_scenarios()
    width = max((len(n) for n in items), default=0)
    for name, path in items.items():
        desc = str(read_yaml(path).get("description", "")).strip().splitlines()
        print(f"{name:<{width}}  {desc[0] if desc else ''}")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from .schema import Scenario

    print(json.dumps(Scenario.model_json_schema(), indent=2, ensure_ascii=False))
    return 0


def build_parser() -> ArgumentParser:
    from . import __version__

    parser = ArgumentParser(prog="cogov", description="Community co-governance simulation.")
    parser.add_argument("--version", action="version", version=f"cogov-sim {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=ArgumentParser)

    p = sub.add_parser("run", help="run one scenario and write its output folder")
    p.add_argument("scenario", help="scenario YAML file or bundled scenario name")
    p.add_argument("--weeks", type=int, help="horizon in weeks (default: the scenario's)")
    p.add_argument("--seed", type=int, help="random seed (default: the scenario's)")
    p.add_argument("--out", help="output folder (default runs/<scenario>-seed<S>/)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="override a parameter, e.g. workforce.salary_ratio=0.8 (repeatable)")
    p.add_argument("--no-figure", action="store_true", help="skip the overview figure")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("validate", help="check scenario files")
    p.add_argument("files", nargs="+")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("scenarios", help="list bundled scenarios")
    p.set_defaults(func=cmd_scenarios)

    p = sub.add_parser("schema", help="print the scenario JSON Schema")
    p.set_defaults(func=cmd_schema)

    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is None or not name.startswith(exc.name):
                raise
            continue
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        with warnings.catch_warnings():
            warnings.simplefilter("always", UserWarning)
            warnings.showwarning = _show_warning
            return int(args.func(args) or 0)
    except UserError as exc:
        if debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"warning: {message}", file=sys.stderr)


if __name__ == "__main__":
    raise SystemExit(main())
