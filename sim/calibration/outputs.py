"""What a finished calibration leaves besides its history: checks, figures and a summary.

Layout of the output folder::

    manifest.json        spec fingerprint, library versions, per-generation progress
    history.db           pyabc's History (SQLite): every generation, resumable
    posterior.parquet    particles of every generation: parameters, weight, generation
    predictive.csv       posterior draws re-simulated: parameters and every checked KPI
    checks.csv           each target and held-out pattern against its predictive interval
    figures/ess.png, figures/marginals.png, figures/pairs.png (two or more parameters),
    figures/predictive.png
    summary.md           posterior table, predictive checks, generations
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from concurrent.futures import Executor
from pathlib import Path

import cloudpickle
import matplotlib
import numpy as np
import pandas as pd

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from . import priors, seeding  # noqa: E402
from .abc_smc import POSTERIOR, Outcome
from .posterior import posterior_draws, read_posterior, summarize
from .problem import Problem, Target

PREDICTIVE = "predictive.csv"
CHECKS = "checks.csv"
SUMMARY = "summary.md"
LEVEL = 0.9
"""Credible and predictive intervals are central 90% intervals."""


def simulate_draws(payload: bytes, draws: list[dict[str, float]], seeds: list[int]) -> list[dict[str, float]]:
    """Run in a worker: one model run per posterior draw."""
    simulator = cloudpickle.loads(payload)
    return [{k: float(v) for k, v in simulator(d, s).items()} for d, s in zip(draws, seeds, strict=True)]


def posterior_predictive(problem: Problem, out: Path, executor: Executor, slots: int) -> pd.DataFrame:
    """Re-simulate parameter sets drawn from the posterior; one row per draw with every checked KPI."""
    k = problem.schedule.predictive_draws
    master = problem.schedule.seed
    draws = posterior_draws(out / POSTERIOR, k, seed=seeding.model_seed(master, seeding.PREDICTIVE_STAGE))
    seeds = [seeding.model_seed(master, seeding.PREDICTIVE_STAGE, j) for j in range(k)]
    payload = cloudpickle.dumps(problem.simulator)
    size = max(1, math.ceil(k / (2 * slots)))
    futures = [executor.submit(simulate_draws, payload, draws[i:i + size], seeds[i:i + size])
               for i in range(0, k, size)]
    runs = [run for f in futures for run in f.result()]
    kpis = [*problem.targets, *problem.held_out]
    rows = [{"draw": j, "seed": seeds[j], **draws[j], **{name: runs[j][name] for name in kpis}} for j in range(k)]
    return pd.DataFrame(rows)


def check_patterns(problem: Problem, predictive: pd.DataFrame) -> pd.DataFrame:
    """Each pattern's predictive mean and 90% interval, and whether the posterior reproduces it.

    A range is reproduced (*consistent*) when the predictive mean lies inside it: an interval that
    merely touches the range would pass a pattern most draws miss. A single value is reproduced when
    the 90% predictive interval covers it. The share of draws inside the target is given for ranges
    only (a single value has width 0). Draws where a pattern is undefined (no worker completed a
    tenure, say) are left out of its summary; ``draws_defined`` says how many remain.
    """
    tail = (1 - LEVEL) / 2
    rows = []
    for kind, patterns in (("target", problem.targets), ("held-out", problem.held_out)):
        for name, target in patterns.items():
            x = predictive[name].to_numpy(dtype=float)
            x = x[np.isfinite(x)]
            if not len(x):
                x = np.array([np.nan])
            low, high = float(np.quantile(x, tail)), float(np.quantile(x, 1 - tail))
            rows.append({"kind": kind, "kpi": name, "target": target.describe(), "target_low": target.low,
                         "target_high": target.high, "source": target.source, "predictive_mean": float(x.mean()),
                         "draws_defined": int(np.isfinite(x).sum()),
                         "predictive_low": low, "predictive_high": high,
                         "share_in_target": (float(np.mean((x >= target.low) & (x <= target.high)))
                                             if target.range is not None else float("nan")),
                         "consistent": bool(target.low <= float(x.mean()) <= target.high
                                            if target.range is not None else low <= target.low <= high)})
    return pd.DataFrame(rows)


def _figure(nrows: int, ncols: int, width: float = 4.0, height: float = 3.2):
    fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows), squeeze=False,
                             layout="constrained")
    return fig, axes


def _axis_label(problem: Problem, name: str) -> str:
    """A parameter with its unit on a second line (schema paths and units are long)."""
    unit = problem.units.get(name, "")
    return f"{name}\n[{unit}]" if unit else name


def plot_ess(outcome: Outcome, problem: Problem, path: Path) -> None:
    fig, axes = _figure(1, 2)
    t = [g.t for g in outcome.generations]
    axes[0, 0].plot(t, [g.ess for g in outcome.generations], marker="o")
    axes[0, 0].axhline(problem.schedule.population, color="grey", linestyle=":", label="population size")
    axes[0, 0].set(xlabel="generation", ylabel="effective sample size [particles]",
                   title="Effective sample size", ylim=(0, problem.schedule.population * 1.05))
    axes[0, 0].legend(loc="lower left", fontsize=8)
    axes[0, 1].plot(t, [g.epsilon for g in outcome.generations], marker="o")
    axes[0, 1].set(xlabel="generation", ylabel="epsilon [scaled distance]", title="Acceptance threshold")
    for ax in axes.flat:
        ax.set_xticks(t)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_marginals(posterior: pd.DataFrame, problem: Problem, path: Path) -> None:
    names = problem.parameters
    ncols = min(3, len(names))
    fig, axes = _figure(math.ceil(len(names) / ncols), ncols)
    w = posterior["weight"].to_numpy(dtype=float)
    for ax, name in zip(axes.flat, names, strict=False):
        x = posterior[name].to_numpy(dtype=float)
        low, high = priors.support(problem.priors[name])
        span = (min(x.min(), low if math.isfinite(low) else x.min()),
                max(x.max(), high if math.isfinite(high) else x.max()))
        ax.hist(x, bins=np.linspace(*span, 21), weights=w, density=True, alpha=0.7, label="posterior")
        grid = np.linspace(*span, 200)
        rv = priors.to_rv(problem.priors[name])
        ax.plot(grid, [rv.pdf(g) for g in grid], color="black", linestyle="--", label="prior")
        ax.set(xlabel=_axis_label(problem, name), ylabel="probability density")
        ax.legend(fontsize=8)
    for ax in list(axes.flat)[len(names):]:
        ax.set_visible(False)
    fig.suptitle("Marginal posteriors (last generation)")
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_pairs(posterior: pd.DataFrame, problem: Problem, path: Path) -> None:
    names = problem.parameters
    n = len(names)
    fig, axes = _figure(n - 1, n - 1, width=4.5, height=3.8)
    w = posterior["weight"].to_numpy(dtype=float)
    sizes = 4 + 60 * w / w.max()
    for i in range(1, n):
        for j in range(n - 1):
            ax = axes[i - 1, j]
            if j >= i:
                ax.set_visible(False)
                continue
            ax.scatter(posterior[names[j]], posterior[names[i]], s=sizes, alpha=0.5)
            ax.set(xlabel=_axis_label(problem, names[j]), ylabel=_axis_label(problem, names[i]))
    fig.suptitle("Parameter pairs, last generation\n(marker area by weight)")
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_predictive(problem: Problem, predictive: pd.DataFrame, path: Path) -> None:
    patterns: list[tuple[str, str, Target]] = [("target", k, t) for k, t in problem.targets.items()]
    patterns += [("held-out", k, t) for k, t in problem.held_out.items()]
    ncols = min(3, len(patterns))
    fig, axes = _figure(math.ceil(len(patterns) / ncols), ncols)
    for ax, (kind, name, target) in zip(axes.flat, patterns, strict=False):
        x = predictive[name].to_numpy(dtype=float)
        ax.hist(x, bins=15, alpha=0.7, color="tab:blue" if kind == "target" else "tab:purple",
                label="posterior predictive")
        if target.low == target.high:
            ax.axvline(target.low, color="tab:red", label=f"{kind} value")
        else:
            ax.axvspan(target.low, target.high, color="tab:red", alpha=0.2, label=f"{kind} range")
        ax.set(xlabel=name, ylabel="draws [count]", title=f"{kind}: {name}")
        ax.legend(fontsize=8)
    for ax in list(axes.flat)[len(patterns):]:
        ax.set_visible(False)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _g(x: float) -> str:
    return f"{x:.4g}"


def summary_markdown(problem: Problem, outcome: Outcome, posterior: pd.DataFrame, checks: pd.DataFrame,
                     fingerprint: str, versions: Mapping[str, str]) -> str:
    gens = outcome.generations
    s = problem.schedule
    stats = summarize(posterior, LEVEL).set_index("parameter")
    lines = [f"# Calibration: {problem.name}", "",
             f"ABC-SMC, {len(gens)} generation{'s' if len(gens) != 1 else ''} of {s.population} particles, "
             f"{s.replications} replication{'s' if s.replications > 1 else ''} per particle, "
             f"master seed {s.seed}; stopped: {outcome.stopped}. "
             f"{gens[-1].simulations:,} model runs; final epsilon {_g(gens[-1].epsilon)}. "
             f"Spec fingerprint `{fingerprint}`; pyabc {versions.get('pyabc', '?')}, "
             f"numpy {versions.get('numpy', '?')}, Python {versions.get('python', '?')}.", "",
             "## Posterior", "",
             "| parameter | unit | prior | mean | sd | 90% credible interval |", "|---|---|---|---|---|---|"]
    for name in problem.parameters:
        row = stats.loc[name]
        lines.append(f"| `{name}` | {problem.units.get(name, '')} | {priors.describe(problem.priors[name])} | "
                     f"{_g(row['mean'])} | {_g(row['sd'])} | {_g(row['ci_low'])} to {_g(row['ci_high'])} |")
    lines += ["", f"## Posterior predictive checks ({s.predictive_draws} draws)", "",
              "Targets were fitted; held-out patterns were not. A range is reproduced (consistent) when the "
              "predictive mean lies inside it; a single value when the 90% predictive interval covers it.", "",
              "| kind | KPI | target | source | predictive mean | 90% predictive interval | share of draws in range "
              "| consistent |", "|---|---|---|---|---|---|---|---|"]
    for row in checks.itertuples():
        lines.append(f"| {row.kind} | `{row.kpi}` | {row.target} | {row.source} | {_g(row.predictive_mean)} | "
                     f"{_g(row.predictive_low)} to {_g(row.predictive_high)} | "
                     f"{'n/a' if math.isnan(row.share_in_target) else f'{row.share_in_target:.0%}'} | "
                     f"{'yes' if row.consistent else '**no**'} |")
    lines += ["", "## Generations", "",
              "Epsilon is in units of each generation's distance scales (every target divided by its median "
              "absolute deviation among the last accepted particles), so it need not fall from one generation to "
              "the next; the acceptance rate shows how much tighter the fit has become.", "",
              "| generation | epsilon | accepted / evaluated | acceptance rate | ESS |", "|---|---|---|---|---|"]
    for g in gens:
        lines.append(f"| {g.t} | {_g(g.epsilon)} | {g.accepted} / {g.evaluated} | {g.acceptance_rate:.1%} | "
                     f"{g.ess:.1f} |")
    lines += ["", "Figures: `figures/ess.png`, `figures/marginals.png`"
              + (", `figures/pairs.png`" if len(problem.parameters) > 1 else "") + ", `figures/predictive.png`.", ""]
    return "\n".join(lines)


def write_outputs(problem: Problem, outcome: Outcome, executor: Executor, slots: int,
                  versions: Mapping[str, str]) -> Path:
    """Predictive check, figures and summary of a finished calibration; returns the summary's path."""
    out = outcome.out
    posterior = read_posterior(out / POSTERIOR)
    predictive = posterior_predictive(problem, out, executor, slots)
    predictive.to_csv(out / PREDICTIVE, index=False)
    checks = check_patterns(problem, predictive)
    checks.to_csv(out / CHECKS, index=False)
    figures = out / "figures"
    figures.mkdir(exist_ok=True)
    plot_ess(outcome, problem, figures / "ess.png")
    plot_marginals(posterior, problem, figures / "marginals.png")
    if len(problem.parameters) > 1:
        plot_pairs(posterior, problem, figures / "pairs.png")
    plot_predictive(problem, predictive, figures / "predictive.png")
    text = summary_markdown(problem, outcome, posterior, checks, problem.fingerprint(), versions)
    (out / SUMMARY).write_text(text, encoding="utf-8")
    return out / SUMMARY
