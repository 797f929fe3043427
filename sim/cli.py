"""The ``cogov`` command line.

Core commands live here; the experiment, visualisation and benchmark commands
register themselves from their own modules (``register(subparsers)``). Bad
input prints one line and exits with code 2; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path

from .errors import UserError

COMMAND_MODULES = (
    "sim.experiments.commands",
    "sim.validation",
    "sim.studies",
    "sim.calibration.commands",
    "sim.explore.commands",
    "sim.viz.commands",
    "sim.bench",
)

class ArgumentParser(argparse.ArgumentParser):
    """Argument errors are bad input too: one line, exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UserError(message, source=self.prog)


def simulation_int(name: str):
    """An argparse type for an integer argument held to the schema's bounds for ``simulation.<name>``."""
    from .inputs import describe_field
    from .schema import Simulation

    info = Simulation.model_fields[name]
    lo = next(m.ge for m in info.metadata if getattr(m, "ge", None) is not None)
    hi = next(m.le for m in info.metadata if getattr(m, "le", None) is not None)

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"must be {describe_field(info)}, got {text!r}")
        return value

    return parse


def check_out_folder(out: Path) -> None:
    """Refuse, before any work, an output folder that cannot be written or must not be replaced.

    A run replaces its folder as a whole, so an existing folder that holds
    anything but an earlier run's results is refused rather than deleted.
    Writability is probed by creating (and removing) a folder, which also
    catches read-only and virtual file systems where permission bits say yes.
    """
    where = f"--out {out}"
    probe = out
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise UserError(f"'{probe}' is a file, not a folder", source=where)
    if probe == out and any(out.iterdir()) and not (out / "provenance.json").is_file():
        raise UserError("folder exists and holds files that are not a run's results (no "
                        "provenance.json); a run replaces its output folder, so choose a new or "
                        "empty one", source=where)
    try:
        Path(tempfile.mkdtemp(prefix=".cogov-probe-", dir=probe)).rmdir()
    except OSError as exc:
        raise UserError(f"cannot write in '{probe}' ({exc.strerror})", source=where) from None


EXPOSURE = {"sw_first_year_quit_rate": "sw_first_year_worker_years",
            "sw_later_quit_rate": "sw_later_worker_years"}
"""Rates shown with the worker-years they rest on (a handful in one small community)."""


def format_summary(summary: dict[str, float], title: str = "") -> str:
    """The headline KPIs (:mod:`sim.outputs`), labelled, with units."""
    from .outputs import headline, label

    rows = []
    for o in headline():
        if o.name in summary:
            value = o.format(summary[o.name])
            if EXPOSURE.get(o.name) in summary:
                value += f"  ({summary[EXPOSURE[o.name]]:.1f} worker-years)"
            rows.append((label(o.name) if not o.label.startswith(" ") else o.label, value))
    width = max((len(k) for k, _ in rows), default=0)
    lines = [title] if title else []
    lines += [f"  {k:<{width}}  {v}" for k, v in rows]
    return "\n".join(lines)


def cmd_run(args: argparse.Namespace) -> int:
    from .params import parse_assignments
    from .run import check_writable, run_scenario, write_outputs
    from .scenario import load_scenario

    changes = parse_assignments(args.set or [])
    scenario = load_scenario(args.scenario, changes, seed=args.seed, weeks=args.weeks)
    out = Path(args.out) if args.out else Path("runs") / f"{scenario.name}-seed{scenario.simulation.seed}"
    check_out_folder(out)
    check_writable(out)
    result = run_scenario(scenario, progress=args.progress)
    try:
        write_outputs(result, out, figure=not args.no_figure, changes=changes)
    except OSError as exc:
        raise UserError(f"cannot write the results ({exc.strerror or exc})", source=f"--out {out}") from None
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

    failed = 0
    for f in args.files:
        try:
            s = load_scenario(f)
        except UserError as exc:
            if args.debug:
                raise
            print(f"error: {exc}", file=sys.stderr)
            failed += 1
            continue
        print(f"{f}: ok ({s.name}, {s.population.residents:,} residents, "
              f"{s.simulation.horizon_weeks} weeks)")
    return UserError.exit_code if failed else 0


def cmd_scenarios(args: argparse.Namespace) -> int:
    from .inputs import read_yaml
    from .scenario import bundled_scenarios

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


class HelpFormatter(argparse.HelpFormatter):
    """Every option's help states its default, so no command leaves a reader guessing."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if (action.option_strings and action.default not in (None, False, argparse.SUPPRESS)
                and "default" not in text):
            text += " (default: %(default)s)"
        return text


class Commands:
    """The command table handed to each command module's ``register``.

    A command's one-line help (shown in ``cogov -h``) is also its description
    (shown in ``cogov COMMAND -h``) unless the module writes a longer one, and
    its options' help states their defaults (:class:`HelpFormatter`).
    """

    def __init__(self, subparsers: argparse.Action) -> None:
        self.subparsers = subparsers

    def add_parser(self, name: str, **kwargs) -> ArgumentParser:
        summary = kwargs.get("help")
        if summary and not kwargs.get("description"):
            kwargs["description"] = f"{summary[0].upper()}{summary[1:]}."
        kwargs.setdefault("formatter_class", HelpFormatter)
        return self.subparsers.add_parser(name, **kwargs)


NO_COMMAND = "no command given; choose one of the commands above ('cogov COMMAND -h' shows its options)"


def build_parser() -> ArgumentParser:
    from . import __version__

    parser = ArgumentParser(prog="cogov", formatter_class=HelpFormatter,
                            description="Community co-governance simulation: run scenarios, compare policies, "
                                        "sweep and calibrate parameters, and show the teaching demo.")
    parser.add_argument("--version", action="version", version=f"cogov-sim {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = Commands(parser.add_subparsers(dest="command", title="commands", metavar="COMMAND",
                                         parser_class=ArgumentParser))

    p = sub.add_parser("run", help="run one scenario and write its output folder",
                       description="Run one scenario and write its output folder: the weekly series, the "
                                   "summary, the fully resolved scenario, provenance and an overview figure.")
    p.add_argument("scenario", help="scenario YAML file or bundled scenario name")
    p.add_argument("--weeks", type=simulation_int("horizon_weeks"),
                   help="horizon in weeks (default: the scenario's)")
    p.add_argument("--seed", type=simulation_int("seed"), help="random seed (default: the scenario's)")
    p.add_argument("--out", help="output folder (default runs/<scenario>-seed<S>/)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="override a parameter (repeatable), e.g. workforce.salary_ratio=0.8; a street of about "
                        "fifty social workers takes four: population.residents=50000, population.communities=10, "
                        "funding.ngos=10, simulation.resident_agents=false")
    p.add_argument("--no-figure", action="store_true", help="skip the overview figure")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="a bar over weeks with ETA on standard error (default: on a terminal, for runs "
                        "expected to take more than a few seconds)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("validate", help="check scenario files",
                       description="Check scenario files against the schema. Each bad file gets one line "
                                   "naming the file and field; the exit code is 2 if any file is bad.")
    p.add_argument("files", nargs="+", help="scenario YAML files or bundled scenario names")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("scenarios", help="list bundled scenarios",
                       description="List the bundled scenarios, each with the first line of its description.")
    p.set_defaults(func=cmd_scenarios)

    p = sub.add_parser("schema", help="print the scenario JSON Schema",
                       description="Print the scenario JSON Schema: every parameter with its unit, default "
                                   "and source.")
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
    argv = [a for a in argv if a != "--debug"]
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help(sys.stderr)
            print(file=sys.stderr)
            raise UserError(NO_COMMAND)
        args.debug = debug
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
    except BrokenPipeError:
        # The reader (e.g. `| head`) stopped early: not an error of ours.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - stops the flush at exit from failing
        return 0


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"warning: {message}", file=sys.stderr)


if __name__ == "__main__":
    raise SystemExit(main())
