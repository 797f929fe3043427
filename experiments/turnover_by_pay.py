"""Social-worker turnover against pay, one line per contract value, from funding_x_pay.

    python experiments/turnover_by_pay.py --results results/funding_x_pay
    python experiments/turnover_by_pay.py --tiny --out /tmp/pay   # seconds, for checks
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from sim.experiments import load_experiment, load_results, run_experiment, summarize  # noqa: E402

PAY = "workforce.salary_ratio"
BUDGET = "funding.contract_value_per_post_yuan_year"
OUTCOMES = ("sw_turnover_rate", "sw_vacancy_rate")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="results/turnover_by_pay", help="folder for results and figure")
    ap.add_argument("--results", help="reuse this finished funding_x_pay results folder")
    ap.add_argument("--workers", type=int, help="parallel runs (default: all cores)")
    ap.add_argument("--tiny", action="store_true", help="tiny model, two replications (for checks)")
    args = ap.parse_args()
    out = Path(args.out)
    folder = Path(args.results) if args.results else out / "runs"
    if not args.results:
        tiny = dict(replications=2, weeks=30, overrides={"population.residents": 400,
                                                         "simulation.resident_agents": False})
        exp = load_experiment("funding_x_pay", **(tiny if args.tiny else {}))
        run_experiment(exp, folder, workers=args.workers, resume=True, progress=not args.tiny)

    runs = load_results(folder)
    table = summarize(runs, list(OUTCOMES), by=[BUDGET, PAY])
    fig, axes = plt.subplots(1, len(OUTCOMES), figsize=(5 * len(OUTCOMES), 4))
    for ax, name in zip(axes, OUTCOMES, strict=True):
        for budget, t in table[table["outcome"] == name].groupby(BUDGET):
            line, = ax.plot(t[PAY], t["mean"], marker="o", label=f"{budget:,.0f} yuan/post")
            ax.fill_between(t[PAY], t["ci_low"], t["ci_high"], color=line.get_color(), alpha=0.2, lw=0)
        ax.set(xlabel="pay / local average wage", ylabel=name, title=f"{name} (95% CI)")
    axes[0].legend(title="contract value", fontsize=8)
    fig.tight_layout()
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / "turnover_by_pay.png", dpi=110)
    table.to_csv(out / "turnover_by_pay.csv", index=False)
    print(f"Figure: {out / 'turnover_by_pay.png'}")


if __name__ == "__main__":
    main()
