"""Two standing studies of the model, each regenerating a document of ``docs/``:

- ``cogov steady-state``: the baseline at street scale over ten years, yearly means with their
  intervals, and whether every stock settles after warm-up (``docs/steady_state.md``);
- ``cogov policy-effects``: every bundled policy scenario against the baseline at street scale, with
  common random numbers, the paired effect on turnover, vacancy, backlog, waits, coverage and cost,
  and for each effect the channels in the runs that produce it (``docs/policy_effects.md``).

Both run on the sweep runner (resumable, process pool or Dask) and record what they were computed
from, so a test can tell when a document no longer matches the model.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import UserError
from .outputs import output
from .provenance import scenarios_hash, stamp
from .scenario import STREET, bundled_scenarios, load_scenario
from .stats import mean_ci

POLICIES = ("pay_raise", "funding_cut", "staffing_expansion", "admin_burden", "five_society_linkage",
            "career_ladder", "multi_year_contracts")
"""Bundled scenarios that change a policy of the baseline (the others are cases or scales)."""

EFFECTS = ("sw_turnover_rate", "sw_quit_rate", "sw_layoff_rate", "sw_vacancy_rate", "backlog_mean",
           "wait_median_weeks", "ledger_age_mean_weeks", "coverage_vulnerable", "resolution_rate",
           "money_in_government_per_year", "cost_per_resolved_need")
"""The effects the table reports."""

CHANNELS = {
    "quit_term_first_year_mean": "more workers in their first year",
    "quit_term_pay_mean": "pay relative to the local wage",
    "quit_term_satisfaction_mean": "job satisfaction",
    "quit_term_burnout_mean": "burnout",
    "quit_term_insecurity_mean": "insecurity near contract ends",
}
"""Terms of the log quit rate (averaged over worker-weeks): where a change in quits comes from."""
CAPACITY = ("sw_headcount_mean", "sw_caseload_mean", "served_case_per_year", "resolved_volunteer_per_year",
            "resolved_enterprise_per_year", "contracts_lost", "ngo_failures", "sw_layoff_notices_per_year",
            "sw_pay_ratio_mean", "sw_burnout_mean")
"""Channels of service and of layoffs."""

STEADY = ("backlog", "ledger_age", "sw_burnout_mean", "sw_caseload_mean", "sw_headcount", "turnover",
          "reserve_months", "volunteers_active", "volunteers_registered", "enterprises_engaged",
          "community_fund", "trust_mean", "belonging_mean")
"""Stocks (and the turnover flow) whose yearly means must settle."""

TOLERANCE = {"backlog": 0.20, "ledger_age": 0.25, "sw_burnout_mean": 0.30, "sw_caseload_mean": 0.10,
             "sw_headcount": 0.05, "turnover": 0.30, "reserve_months": 0.15, "volunteers_active": 0.20,
             "volunteers_registered": 0.20, "enterprises_engaged": 0.25, "community_fund": 1.0,
             "trust_mean": 0.05, "belonging_mean": 0.05}
"""Stated bounds: after warm-up every yearly mean (over replications) stays within this share of the
mean of the measured years. Turnover of a year rests on a few dozen separations (wider bound); the
community fund is a small balance that swings with a few donations and purchases."""


def _stamp(*names: str, **more: str) -> str:
    """What a study's document was computed from (:mod:`sim.provenance`), so a stale one is noticed."""
    return stamp(scenarios=scenarios_hash({n: load_scenario(n, STREET) for n in names}), **more)


def steady_state_stamp() -> str:
    """The stamp ``docs/steady_state.md`` carries when it is current."""
    return _stamp("baseline")


def policy_effects_stamp(posterior_digest: str | None = None) -> str:
    """The stamp ``docs/policy_effects.md`` carries when it is current (with the posterior it used)."""
    return _stamp("baseline", *POLICIES, **({"posterior": posterior_digest} if posterior_digest else {}))


def _run(name: str, scenarios: list[str], reps: int, weeks: int | None, out: Path, workers: int | None,
         executor: str, scheduler: str | None, resume: bool, progress: bool, series: bool,
         posterior: str | None = None):
    from .experiments.runner import check_executor, execute, open_executor
    from .experiments.spec import load_experiment
    from .experiments.store import Store

    exp = load_experiment({"name": name, "design": {"kind": "scenarios", "scenarios": scenarios},
                           "replications": reps, "seed": 1, "weeks": weeks, "set": dict(STREET),
                           "save_series": series}, folder=Path("."), posterior=posterior)
    check_executor(executor, workers, scheduler)
    Store.check(out, exp, resume=resume)
    with open_executor(executor, workers, scheduler) as (pool, slots):
        store = Store.open(out, exp, resume=resume, command=" ".join(["cogov", *sys.argv[1:]]))
        outcome = execute(exp, store, pool, slots, progress=progress)
    if outcome.interrupted:
        raise KeyboardInterrupt
    if outcome.failures or outcome.broken:
        raise UserError(f"{len(outcome.failures)} runs failed; see {out}/failures/ and rerun with --resume",
                        field=name)
    return exp, store


# Steady state --------------------------------------------------------------------------------------
def yearly(ts: pd.DataFrame) -> pd.DataFrame:
    """Yearly means of the stocks of one run, and its turnover."""
    ts = ts.assign(year=(ts["week"] - 1) // 52 + 1)
    g = ts.groupby("year")
    y = pd.DataFrame({
        "backlog": g["backlog"].mean(),
        "ledger_age": g["ledger_age_sum"].sum() / g["backlog"].sum(),
        "sw_burnout_mean": g["sw_burnout_mean"].mean(),
        "sw_caseload_mean": g["sw_caseload_mean"].mean(),
        "sw_headcount": g["sw_headcount"].mean(),
        "turnover": (g["sw_quits"].sum() + g["sw_layoffs"].sum()) / g["sw_headcount"].mean(),
        "reserve_months": g["ngo_cash"].mean() / (g["sw_payroll_per_week"].mean() * 52.0 / 12.0),
        "volunteers_active": g["volunteers_active"].mean(),
        "volunteers_registered": g["volunteers_registered"].mean(),
        "enterprises_engaged": g["enterprises_engaged"].mean(),
        "community_fund": g["community_fund"].mean(),
        "trust_mean": g["trust_mean"].mean(),
        "belonging_mean": g["belonging_mean"].mean(),
    })
    return y


LABELS = {"backlog": "Ledger backlog (needs)", "ledger_age": "Weeks on the ledger so far",
          "sw_burnout_mean": "Mean burnout (0-1)", "sw_caseload_mean": "Mean caseload (cases)",
          "sw_headcount": "Social workers in post", "turnover": "Turnover (per worker-year)",
          "reserve_months": "Agency reserves (months of payroll)", "volunteers_active": "Active volunteers",
          "volunteers_registered": "Registered volunteers", "enterprises_engaged": "Enterprise partners",
          "community_fund": "Community fund balance (yuan)", "trust_mean": "Mean trust (0-1)",
          "belonging_mean": "Mean belonging (0-1)"}


def steady_state(reps: int, out: Path, doc: Path, **run: Any) -> bool:
    """Run the baseline for ten years at street scale and write the document; True when every stock
    settles within its stated bound."""
    weeks = 520
    exp, store = _run("steady_state", ["baseline"], reps, weeks, out, series=True, **run)
    years = pd.concat([yearly(ts).assign(rep=r) for _, r, ts in store.iter_series(0)])
    warm_years = load_scenario("baseline", STREET).simulation.warmup_weeks // 52
    rows, verdicts = [], {}
    for name in STEADY:
        wide = years.pivot(columns="rep", values=name)
        stats = [mean_ci(wide.loc[y].to_numpy()) for y in wide.index]
        measured = [s[0] for y, s in zip(wide.index, stats, strict=True) if y > warm_years]
        centre = float(np.mean(measured))
        worst = max(abs(m - centre) for m in measured) / abs(centre) if centre else 0.0
        verdicts[name] = (worst, worst <= TOLERANCE[name])
        rows.append((name, stats, centre, worst))
    _steady_figure(rows, wide.index.to_numpy(), warm_years, doc.parent / "img" / "steady_state.png")
    _steady_doc(rows, verdicts, wide.index.to_numpy(), warm_years, reps, doc)
    return all(ok for _, ok in verdicts.values())


def _steady_figure(rows, year_index, warm_years: int, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    cols = 4
    fig, axes = plt.subplots(math.ceil(len(rows) / cols), cols, figsize=(15, 3.0 * math.ceil(len(rows) / cols)),
                             squeeze=False)
    for ax in axes.flat[len(rows):]:
        ax.set_visible(False)
    for ax, (name, stats, centre, _) in zip(axes.flat, rows, strict=False):
        m = np.array([s[0] for s in stats])
        lo = np.array([s[1] for s in stats])
        hi = np.array([s[2] for s in stats])
        ax.axvspan(0.5, warm_years + 0.5, color="grey", alpha=0.15, label="warm-up")
        ax.fill_between(year_index, lo, hi, alpha=0.25, label="95% interval")
        ax.plot(year_index, m, marker="o", label="mean of replications")
        ax.axhspan(centre * (1 - TOLERANCE[name]), centre * (1 + TOLERANCE[name]), color="tab:green", alpha=0.08,
                   label="stated bound")
        ax.set_title(LABELS[name], fontsize=9)
        ax.set_xlabel("year")
        ax.set_ylabel(LABELS[name].split(" (")[-1].rstrip(")") if "(" in LABELS[name] else "count", fontsize=8)
    axes.flat[0].legend(fontsize=7)
    fig.suptitle("Baseline at street scale: yearly means over replications", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _steady_doc(rows, verdicts, year_index, warm_years: int, reps: int, doc: Path) -> None:
    years = [int(y) for y in year_index]
    lines = ["# Steady state of the baseline", "",
             steady_state_stamp(), "",
             "Generated by `cogov steady-state` (the baseline at street scale: "
             f"{STREET['population.residents']:,} residents, {STREET['population.communities']} communities, "
             f"{STREET['funding.ngos']} agencies; {reps} replications of 520 weeks, common random numbers).",
             "",
             "Every stock has flows out as well as in: needs leave the ledger at any severity "
             "(`needs.exit_per_year`), registered volunteers lapse, partners close as well as join, and agency "
             "reserves above `funding.reserve_cap_months` are released. The model starts with no open needs and "
             f"rested workers; the first {warm_years} years are warm-up (grey). After it, each yearly mean must "
             "stay within its stated bound around the mean of the measured years (green band).", "",
             "![Yearly means over ten years](img/steady_state.png)", "",
             "| quantity | " + " | ".join(f"year {y}" for y in years) + " | largest deviation | bound | settles |",
             "|---|" + "---|" * (len(years) + 3)]
    for name, stats, _, worst in rows:
        cells = [f"{s[0]:,.3g}" for s in stats]
        ok = verdicts[name][1]
        lines.append(f"| {LABELS[name]} | " + " | ".join(cells)
                     + f" | {worst:.0%} | {TOLERANCE[name]:.0%} | {'yes' if ok else '**no**'} |")
    lines += ["", "Bounds are stated per quantity in `sim/studies.py` (`TOLERANCE`), with the reason for the "
              "wider ones.", ""]
    doc.write_text("\n".join(lines), encoding="utf-8")


# Policy effects ------------------------------------------------------------------------------------
def policy_effects(reps: int, out: Path, doc: Path, posterior: str | None = None, **run: Any) -> None:
    """Every policy scenario against the baseline at street scale, with its mechanisms; with a
    ``posterior``, the effects again with each replication's parameters drawn from it."""
    from .experiments.store import load_results
    from .stats import differences

    exp, _ = _run("policy_effects", ["baseline", *POLICIES], reps, None, out, series=False, **run)
    runs = load_results(out)
    labels = {p.id: p.label for p in exp.points}
    wanted = [*EFFECTS, *CHANNELS, *CAPACITY]
    diffs = differences(runs, wanted, reference=0)
    drawn = None
    if posterior is not None:
        pexp, _ = _run("policy_effects_posterior", ["baseline", *POLICIES], reps, None, out / "posterior",
                       series=False, posterior=posterior, **run)
        pruns = load_results(out / "posterior")
        drawn = (pexp, pruns, differences(pruns, list(EFFECTS), reference=0))
    base = runs[runs["point_id"] == 0]
    lines = ["# Policy effects at street scale", "",
             policy_effects_stamp(drawn[0].posterior.digest if drawn else None), "",
             f"Generated by `cogov policy-effects{' --posterior ' + str(posterior) if drawn else ''}`: every "
             f"bundled policy scenario against `baseline` at street "
             f"scale ({STREET['population.residents']:,} residents, {STREET['population.communities']} "
             f"communities, {STREET['funding.ngos']} agencies, about fifty social workers), {reps} replications "
             "with common random numbers, five measured years after a three-year warm-up. Effects are paired "
             "differences to the baseline with 95% intervals; * marks intervals that exclude zero. "
             "The first tables hold the parameters at their defaults, so their intervals cover the model's "
             "randomness only" + ("; the last table draws each replication's calibrated parameters from the "
                                  "posterior, so its intervals also cover what the calibration left unknown "
                                  "(see [calibration](calibration.md))." if drawn else
                                  "; see [calibration](calibration.md) for what is not known about the "
                                  "parameters."), "",
             "## Baseline", "",
             "| outcome | baseline mean [95% CI] |", "|---|---|"]
    for name in EFFECTS:
        m, lo, hi = mean_ci(base[name].to_numpy(), bounds=output(name).bounds)
        lines.append(f"| {_label(name)} | {_fmt(name, m)} [{_fmt(name, lo)}, {_fmt(name, hi)}] |")
    lines += ["", "## Effects against the baseline", ""] + _effects_table(diffs, labels)
    lines += ["", "## Mechanisms, traced in the runs", "",
              "Each scenario's change in quits is split into the terms of the workers' log quit rate (averaged "
              "over worker-weeks in the runs: first-year share, pay, satisfaction, burnout, insecurity); layoffs "
              "into notices, contract losses and agency closures; service into headcount, caseload and the "
              "other channels. The sentence names the terms whose paired change is clearest.", ""]
    for pid in sorted(labels):
        if pid == 0:
            continue
        lines += [f"### `{labels[pid]}`", "", _mechanism(diffs, pid), "",
                  "| channel | change [95% CI] |", "|---|---|"]
        for name in [*CHANNELS, *CAPACITY]:
            lines.append(f"| {_label(name)} | {_effect_cell(diffs, pid, name)} |")
        lines.append("")
    if drawn:
        pexp, pruns, pdiffs = drawn
        names = ", ".join(f"`{n}`" for n in pexp.posterior.names)
        lines += ["## Effects with parameter uncertainty", "",
                  f"The same comparison with each replication drawing {names} from the posterior "
                  f"`{posterior}` ({len(pexp.posterior)} particles; every scenario of a replication gets the "
                  "same draw and the same seed, so differences stay paired). An effect that keeps its sign here "
                  "holds across the calibrated parameter values, not only at the defaults.", ""]
        lines += _effects_table(pdiffs, {p.id: p.label for p in pexp.points})
        lines.append("")
    doc.write_text("\n".join(lines), encoding="utf-8")


def _effects_table(diffs: pd.DataFrame, labels: dict[int, str]) -> list[str]:
    lines = ["| scenario | " + " | ".join(_label(n) for n in EFFECTS) + " |", "|---|" + "---|" * len(EFFECTS)]
    for pid in sorted(labels):
        if pid:
            lines.append(f"| `{labels[pid]}` | " + " | ".join(_effect_cell(diffs, pid, n) for n in EFFECTS) + " |")
    return lines


def _label(name: str) -> str:
    o = output(name)
    return f"{o.label.strip()} ({o.unit})"


def _fmt(name: str, value: float) -> str:
    o = output(name)
    if o.kind.value in ("share", "rate"):
        return f"{value:.1%}"
    if o.kind.value == "term":
        return f"{value:+.3f}"
    return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"


def _effect_cell(diffs: pd.DataFrame, pid: int, name: str) -> str:
    r = diffs[(diffs["point_id"] == pid) & (diffs["outcome"] == name)]
    if not len(r):
        return "–"
    d, lo, hi = (float(r[c].iat[0]) for c in ("difference", "ci_low", "ci_high"))
    star = " *" if np.isfinite(lo) and (lo > 0 or hi < 0) else ""
    kind = output(name).kind.value
    if kind in ("share", "rate"):
        return f"{d * 100:+.1f} pp [{lo * 100:+.1f}, {hi * 100:+.1f}]{star}"
    if kind == "term":
        return f"{d:+.3f} [{lo:+.3f}, {hi:+.3f}]{star}"
    return f"{d:+,.3g} [{lo:+,.3g}, {hi:+,.3g}]{star}"


def _clear(diffs: pd.DataFrame, pid: int, names) -> list[tuple[str, float, float]]:
    """(name, change, t-like ratio) of the channels whose interval excludes zero, largest first."""
    out = []
    for name in names:
        r = diffs[(diffs["point_id"] == pid) & (diffs["outcome"] == name)]
        if not len(r):
            continue
        d, lo, hi = (float(r[c].iat[0]) for c in ("difference", "ci_low", "ci_high"))
        if np.isfinite(lo) and (lo > 0 or hi < 0):
            out.append((name, d, abs(d) / max((hi - lo) / 2, 1e-12)))
    return sorted(out, key=lambda x: -abs(x[1]))


def _mechanism(diffs: pd.DataFrame, pid: int) -> str:
    def change(name: str) -> tuple[float, float, float]:
        r = diffs[(diffs["point_id"] == pid) & (diffs["outcome"] == name)]
        return tuple(float(r[c].iat[0]) for c in ("difference", "ci_low", "ci_high"))  # type: ignore

    parts = []
    quits, layoffs = change("sw_quit_rate"), change("sw_layoff_rate")
    for what, (d, lo, hi) in (("quits", quits), ("layoffs", layoffs)):
        sure = lo > 0 or hi < 0
        parts.append(f"{what} {'rise' if d > 0 else 'fall'} by {abs(d) * 100:.1f} points"
                     + ("" if sure else " (not distinguishable from zero)"))
    text = "Turnover: " + "; ".join(parts) + "."
    terms = _clear(diffs, pid, CHANNELS)
    if terms:
        text += " The quit rate moves through " + ", ".join(
            f"{CHANNELS[n]} ({d:+.3f} in the log rate)" for n, d, _ in terms[:3]) + "."
    service = _clear(diffs, pid, CAPACITY)
    if service:
        text += " Other channels: " + ", ".join(f"{_label(n).split(' (')[0].lower()} {d:+,.3g}"
                                                for n, d, _ in service[:4]) + "."
    return text


# Commands ------------------------------------------------------------------------------------------
def _common(p: argparse.ArgumentParser, reps: int, out: str, doc: str) -> None:
    p.add_argument("--reps", type=int, default=reps, help=f"replications (default {reps})")
    p.add_argument("--out", default=out, help=f"results folder of the runs (default {out})")
    p.add_argument("--doc", default=doc, help=f"document to write (default {doc})")
    p.add_argument("--workers", type=int, help="parallel runs (default: all cores)")
    p.add_argument("--executor", choices=("process", "dask"), default="process",
                   help="local process pool, or a Dask cluster (default process)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler address (default: a local cluster)")
    p.add_argument("--resume", action="store_true", help="continue the runs saved in --out")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def _kwargs(args: argparse.Namespace) -> dict[str, Any]:
    if args.reps < 2:
        raise UserError(f"must be at least 2, got {args.reps}", field="--reps")
    return {"workers": args.workers, "executor": args.executor, "scheduler": args.scheduler,
            "resume": args.resume, "progress": not args.no_progress}


def cmd_steady_state(args: argparse.Namespace) -> int:
    ok = steady_state(args.reps, Path(args.out), Path(args.doc), **_kwargs(args))
    print(f"{args.doc}: {'every stock settles within its bound' if ok else 'a stock leaves its bound'}")
    return 0 if ok else 1


def cmd_policy_effects(args: argparse.Namespace) -> int:
    missing = [p for p in POLICIES if p not in bundled_scenarios()]
    if missing:
        raise UserError(f"bundled scenario '{missing[0]}' is missing", field="policy-effects")
    policy_effects(args.reps, Path(args.out), Path(args.doc), posterior=args.posterior, **_kwargs(args))
    print(f"wrote {args.doc}")
    return 0


def register(sub) -> None:
    p = sub.add_parser("steady-state", help="the baseline over ten years at street scale: does every stock settle?",
                       description="Run the baseline at street scale for 520 weeks and write docs/steady_state.md "
                                   "with its figure.")
    _common(p, 10, "results/steady_state", "docs/steady_state.md")
    p.set_defaults(func=cmd_steady_state)
    p = sub.add_parser("policy-effects", help="every policy scenario against the baseline at street scale",
                       description="Run every bundled policy scenario and the baseline at street scale with common "
                                   "random numbers and write docs/policy_effects.md.")
    _common(p, 20, "results/policy_effects", "docs/policy_effects.md")
    p.add_argument("--posterior", metavar="FILE",
                   help="also report the effects with each replication's calibrated parameters drawn from this "
                        "posterior (posterior.parquet of cogov calibrate, or its folder)")
    p.set_defaults(func=cmd_policy_effects)
