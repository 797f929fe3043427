"""The three seed cases as scenarios, side by side with the figures the articles give.

Huarui aging estate and Jinyuan deliberation (seed 001), Chaoyang five-society
linkage (seed 004). Each case is its bundled scenario, run with replications on
the sweep runner as one comparison (common random numbers: the baseline and the
aging estate without elder visiting and partners share the seeds); the model's
figures are means with 95% t-intervals over replications, after warm-up. The
runs are a results folder (``--runs``), so an interrupted run resumes.

    python experiments/cases.py                  # 10 replications, full horizon, print tables
    python experiments/cases.py --doc docs/cases.md   # rewrite the tables in the document
    python experiments/cases.py --quick --out cases.md  # 2 replications, 80 weeks
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.experiments import load_experiment, load_results, run_experiment
from sim.experiments.store import Store
from sim.metrics import COVERAGE_WEEKS
from sim.outputs import output
from sim.population import build_residents
from sim.provenance import scenarios_hash, stamp
from sim.scenario import load_scenario
from sim.stats import mean_ci

SEED = 1
"""Master seed of the cases' runs (replication seeds derive from it, as in every sweep)."""

AGING_NEITHER = {"volunteers.elder_visiting_skill_share": 0.0,
                 "enterprises.partners_per_1000_residents": 0.0,
                 "enterprises.recruit_per_1000_residents_year": 0.0}
ARMS = {
    "aging_estate": ("aging_estate", {}),
    "aging_estate_without": ("aging_estate", AGING_NEITHER),
    "deliberation": ("deliberation", {}),
    "five_society_linkage": ("five_society_linkage", {}),
    "baseline": ("baseline", {}),
}
"""Arm name -> (bundled scenario, overrides)."""

BLOCK = re.compile(r"(<!-- cases:(?P<case>\w+) -->\n)(?P<body>.*?)(<!-- /cases:(?P=case) -->)", re.S)


def per_year(ts, column: str, warm: int) -> float:
    kept = ts[ts["week"] > warm]
    return float(kept[column].sum()) / (len(kept) / 52.0) if len(kept) else 0.0


def figures(s, seed: int, summary: dict[str, float], ts) -> dict[str, float]:
    """One replication's summary plus the figures read from its weekly series and population."""
    warm = s.simulation.warmup_weeks
    out = dict(summary)
    pop = build_residents(s, np.random.default_rng(seed))
    out["residents"] = float(pop.n)
    out["households"] = float(pop.households_per_community.sum())
    out["aged_60_plus"] = float((pop.age >= 60).sum())
    out["share_aged_60_plus"] = float((pop.age >= 60).mean())
    out["elderly_alone"] = float(len(pop.elder_alone))
    out["partners_start"] = float(ts["enterprises_engaged"].iloc[0])
    meetings = per_year(ts, "deliberation_meetings", warm)
    out["meetings_per_year"] = meetings
    out["participants_per_meeting"] = (per_year(ts, "deliberation_participants", warm) / meetings
                                       if meetings else 0.0)
    out["activities_per_year"] = per_year(ts, "activities_held", warm)
    out["cases_opened_per_year"] = per_year(ts, "cases_opened", warm)
    out["group_sessions_per_year"] = out["served_group_per_year"] / s.services.group_size
    out["contacts_per_year"] = (out["served_activity_per_year"] + out["served_group_per_year"]
                                + out["served_volunteer_per_year"] + out["served_enterprise_per_year"]
                                + per_year(ts, "outreach_visits", warm))
    out["charity_yuan_per_year"] = (out["money_in_foundation_per_year"] + out["money_in_enterprise_per_year"]
                                    + out["money_in_charity_market_per_year"])
    out["contracts_per_year"] = per_year(ts, "contracts_ended", warm)
    out["ngos_per_community"] = float(s.funding.ngos / s.population.communities)
    return out


def interval(x: list[float], kpi: str) -> tuple[float, float, float]:
    """Mean and 95% interval, kept inside the quantity's range (every derived quantity here is at least 0)."""
    try:
        bounds = output(kpi).bounds
    except KeyError:
        bounds = (0.0, math.inf)
    m, lo, hi = mean_ci(x, bounds=bounds)
    return (m, m, m) if math.isnan(lo) else (m, lo, hi)


@dataclass(frozen=True)
class Row:
    quantity: str
    article: str
    arm: str | None
    kpi: str | None
    form: str
    note: str

    def model(self, runs: dict[str, list[dict[str, float]]]) -> str:
        if self.arm is None or self.kpi is None:
            return "not modelled"
        m, lo, hi = interval([r[self.kpi] for r in runs[self.arm]], self.kpi)
        if lo == hi:
            return self.form.format(m)
        return f"{self.form.format(m)} [{self.form.format(lo)}, {self.form.format(hi)}]"


R = Row
RECENT = f"in the last {COVERAGE_WEEKS} weeks"
CASES: dict[str, tuple[str, list[Row]]] = {
    "baseline": ("Reference: the baseline community (scenario `baseline`) against the research figures "
                 "in DOMAIN.md", [
        R("social-worker turnover per year", "~20% (17.6-25%, Chinese cities)", "baseline",
          "sw_turnover_rate", "{:.1%}", "quits and layoffs per worker-year"),
        R("... quits", "", "baseline", "sw_quit_rate", "{:.1%}", ""),
        R("... layoffs", "", "baseline", "sw_layoff_rate", "{:.1%}", "contract losses and cash shortfalls"),
        R("quit rate, first year of tenure", "higher than later (US trainees 46-54% vs ~30% mean)",
          "baseline", "sw_first_year_quit_rate", "{:.1%}", "few first-year workers per run: wide interval"),
        R("quit rate, after the first year", "", "baseline", "sw_later_quit_rate", "{:.1%}", ""),
        R("median tenure in post (years)", "US child welfare: 1.8", "baseline", "sw_median_tenure_years",
          "{:.1f}", "not comparable: initial staff tenure is an assumption (exponential, mean 200 weeks)"),
        R("mean caseload", "CWLA 12-17 active cases", "baseline", "sw_caseload_mean", "{:.1f}",
          "target {s.workforce.target_caseload} (capped by planned case hours), "
          "up to {s.workforce.max_caseload} for urgent needs"),
        R("pay / local average wage", "~64%", "baseline", "sw_pay_ratio_mean", "{:.3f}",
          "set to {s.workforce.salary_ratio:g}; drifts below it between yearly reviews"),
        R("vacancy rate", "not reported", "baseline", "sw_vacancy_rate", "{:.1%}", ""),
        R("active volunteers / adults", "~30% of adults volunteer (2021); registered >> active",
          "baseline", "volunteer_rate", "{:.1%}", "not comparable: the survey counts any volunteering"),
        R("volunteer drop-out per year", "~35% (US, CNCS 2009)", "baseline", "volunteer_dropout_rate",
          "{:.1%}", ""),
    ]),
    "aging_estate": ("Huarui aging estate (seed 001), scenario `aging_estate`", [
        R("registered residents", "1,196", "aging_estate", "residents", "{:,.0f}", "input"),
        R("residents aged 60+", "1,033 (86%)", "aging_estate", "aged_60_plus", "{:,.0f}",
          "input share {s.population.share_aged_60_plus:g}, drawn per resident"),
        R("elderly living alone", "'many' (独居多), no count", "aging_estate", "elderly_alone", "{:,.0f}",
          "assumption: {s.population.share_elderly_alone:.0%} of the 60+ live alone"),
        R("enterprise partners (社区合伙人)", "12 signed", "aging_estate", "partners_start", "{:.0f}",
          "input at week 0"),
        R("enterprise partners still engaged (mean after warm-up)", "not reported", "aging_estate",
          "enterprises_engaged_mean", "{:.1f}", "model: engagement decays, recognition restores it"),
        R("social workers", "a community social-work room (社工室); count not reported", "aging_estate",
          "sw_headcount_mean", "{:.2f}",
          "assumption: {s.workforce.posts_per_1000_residents:g} posts per 1,000 residents"),
        R("active volunteers (incl. 低龄助高龄 visitors)",
          "an elder-help team (助老队); count not reported",
          "aging_estate", "volunteers_active_mean", "{:.1f}", "model output"),
        R(f"elderly living alone contacted {RECENT}", "not reported", "aging_estate",
          "coverage_elderly_alone", "{:.1%}", "model output"),
        R("... without elder visitors and partners", "'social workers alone are far from enough'",
          "aging_estate_without", "coverage_elderly_alone", "{:.1%}",
          "same seeds; the article's claim, in the model's terms"),
        R("needs resolved (share of needs arisen)", "not reported", "aging_estate", "resolution_rate",
          "{:.1%}", "model output"),
        R("... without elder visitors and partners", "", "aging_estate_without", "resolution_rate", "{:.1%}",
          "same seeds"),
        R("social-worker turnover per year", "not reported", "aging_estate", "sw_turnover_rate", "{:.1%}",
          "model output; two posts, so noisy"),
    ]),
    "deliberation": ("Jinyuan estate deliberation (seed 001), scenario `deliberation`", [
        R("households", "3,926", "deliberation", "households", "{:,.0f}",
          "input: {s.population.residents:,} residents at {s.population.household_size_mean:g} "
          "persons per household (census mean)"),
        R("deliberation days per year", "'monthly' party-masses deliberation days", "deliberation",
          "meetings_per_year", "{:.1f}",
          "input: every {s.deliberation.meeting_interval_weeks} weeks, held while a dispute is open"),
        R("participants per deliberation day", "20+ representatives", "deliberation",
          "participants_per_meeting", "{:.1f}",
          "model output ({s.deliberation.representatives_needed} is the full-quorum input)"),
        R("public disputes arising per year", "square noise and street stalls, 'repeatedly'; no count",
          "deliberation", "disputes_arisen_per_year", "{:.1f}",
          "assumption: {s.deliberation.disputes_per_1000_households_year:g} per 1,000 households a year"),
        R("share of disputes settled",
          "a supervision committee and the square convention (《锦苑广场公约》)",
          "deliberation", "dispute_resolution_share", "{:.1%}", "not comparable: the article reports one "
          "settlement, the model a rate"),
        R("mean trust (0-1)", "'more smiles, more harmony'", "deliberation", "trust_mean", "{:.2f}",
          "qualitative only in the article"),
        R("mean trust, baseline community for reference", "", "baseline", "trust_mean", "{:.2f}",
          "same seeds, {s.population.residents:,} residents"),
    ]),
    "five_society_linkage": ("Chaoyang five-society linkage (seed 004), scenario `five_society_linkage`; "
                             "article figures are district totals, model figures one community of "
                             "5,000 residents per year", [
        R("social-work agencies", "53 in the district", "five_society_linkage", "ngos_per_community",
          "{:.0f}", "one agency per community"),
        R("service projects (contracts) per year", "178 (2022, district)", "five_society_linkage",
          "contracts_per_year", "{:.2f}", "one-year contracts; district has 96 community stations"),
        R("case services (个案) per year", "149 (cumulative, district)", "five_society_linkage",
          "cases_opened_per_year", "{:,.0f}", "not comparable: every need a worker takes on is a case "
          "in the model"),
        R("group sessions (小组) per year", "110 groups (district)", "five_society_linkage",
          "group_sessions_per_year", "{:,.0f}", "approximate: places filled / 8 per session"),
        R("community activities per year", "1,024 (district)", "five_society_linkage", "activities_per_year",
          "{:,.0f}", "1,024 / 96 stations = 10.7 per station"),
        R("supervision (督导) hours", "1,200 (district)", None, None, "", "supervision is a share of "
          "workers with faster burnout recovery, not hours"),
        R("trainings", "90 (district)", None, None, "", "not modelled"),
        R("resident contacts per year", "150,000+ person-times (district)", "five_society_linkage",
          "contacts_per_year", "{:,.0f}", "activity places, group places, volunteer elder visits, "
          "enterprise services and outreach visits"),
        R("charity resources pooled (yuan/year)", ">1,000,000 by 17 street centres (≈59,000 each)",
          "five_society_linkage", "charity_yuan_per_year", "{:,.0f}",
          "input: {s.funding.foundation_grant_yuan_per_1000_residents_year:,.0f} yuan of foundation grants per "
          "1,000 residents, "
          "plus enterprise donations and charity market"),
        R("social-worker turnover per year", "wage adjustment 'to break the career ceiling'",
          "five_society_linkage", "sw_turnover_rate", "{:.1%}", "model output"),
        R("... baseline, same seeds", "", "baseline", "sw_turnover_rate", "{:.1%}", ""),
        R("needs resolved (share of needs arisen)", "not reported", "five_society_linkage",
          "resolution_rate", "{:.1%}", "model output"),
        R("... baseline, same seeds", "", "baseline", "resolution_rate", "{:.1%}", ""),
        R(f"vulnerable residents contacted {RECENT}", "'一小一老' the focus", "five_society_linkage",
          "coverage_vulnerable", "{:.1%}", "model output"),
        R("... baseline, same seeds", "", "baseline", "coverage_vulnerable", "{:.1%}", ""),
    ]),
}


def run_all(reps: int, weeks: int | None, workers: int, runs_dir: Path,
            resume: bool = False) -> dict[str, list[dict[str, float]]]:
    """Every arm's replications, run on the sweep runner into ``runs_dir``."""
    exp = load_experiment({"name": "cases", "design": {"kind": "scenarios", "scenarios": [
        {"scenario": scenario, "label": arm, "set": overrides} for arm, (scenario, overrides) in ARMS.items()]},
        "replications": reps, "seed": SEED, "weeks": weeks, "save_series": True}, folder=Path("."))
    outcome = run_experiment(exp, runs_dir, workers=workers, resume=resume, progress=False,
                             command="python experiments/cases.py")
    if outcome.interrupted or outcome.failures or outcome.broken:
        raise SystemExit(f"cases: runs did not finish ({outcome.status}); rerun with --resume")
    store = Store(runs_dir)
    labels = {int(p): label for p, label in zip(store.design()["point_id"], store.design()["label"], strict=True)}
    summaries = load_results(runs_dir).set_index(["point_id", "replication"])
    runs: dict[str, list[dict[str, float]]] = {arm: [] for arm in ARMS}
    for point, rep, ts in store.iter_series():
        row = summaries.loc[(point, rep)]
        arm = labels[point]
        runs[arm].append(figures(exp.scenarios[arm], int(row["seed"]), row.to_dict(), ts))
    return runs


def table(case: str, runs: dict[str, list[dict[str, float]]]) -> str:
    title, rows = CASES[case]
    lines = [f"*{title}.*", "", "| quantity | article | model: mean [95% CI] | note |", "|---|---|---|---|"]
    for row in rows:
        note = row.note.format(s=load_scenario(ARMS[row.arm][0])) if row.arm else row.note
        lines.append(f"| {row.quantity} | {row.article} | {row.model(runs)} | {note} |")
    return "\n".join(lines) + "\n"


def inputs_stamp() -> str:
    """What the tables are computed from (:mod:`sim.provenance`): the model and every arm's scenario."""
    return stamp(scenarios=scenarios_hash({arm: load_scenario(name, overrides)
                                           for arm, (name, overrides) in ARMS.items()}))


def render(runs: dict[str, list[dict[str, float]]], reps: int, weeks: int | None) -> dict[str, str]:
    sims = [load_scenario(name).simulation for name, _ in ARMS.values()]
    if weeks:
        horizon = f"{weeks} weeks"
    else:
        spans = sorted({(s.horizon_weeks, s.warmup_weeks) for s in sims})
        horizon = "each scenario's horizon (" + ", ".join(f"{h} weeks, {w} of warm-up" for h, w in spans) + ")"
    setting = (f"{inputs_stamp()}\n\n{reps} replications (master seed {SEED}, common random numbers), {horizon}; "
               "`python experiments/cases.py --doc docs/cases.md`.\n\n")
    return {case: setting + table(case, runs) for case in CASES}


def write_doc(path: Path, tables: dict[str, str]) -> None:
    text = path.read_text(encoding="utf-8")
    found = {m.group("case") for m in BLOCK.finditer(text)}
    missing = set(CASES) - found
    if missing:
        raise SystemExit(f"{path}: no <!-- cases:NAME --> block for {', '.join(sorted(missing))}")
    text = BLOCK.sub(lambda m: m.group(1) + tables[m.group("case")] + m.group(4), text)
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=10, help="replications per case (default 10)")
    ap.add_argument("--weeks", type=int, help="horizon (default: each scenario's)")
    ap.add_argument("--quick", action="store_true", help="2 replications, 80 weeks")
    ap.add_argument("--workers", type=int, default=2, help="processes (default 2)")
    ap.add_argument("--doc", type=Path, help="rewrite the <!-- cases:NAME --> blocks of this document")
    ap.add_argument("--out", type=Path, help="write the tables to this Markdown file")
    ap.add_argument("--runs", type=Path, default=Path("results/cases"),
                    help="results folder of the runs (default results/cases)")
    ap.add_argument("--resume", action="store_true", help="continue the runs saved in --runs")
    args = ap.parse_args(argv)
    reps, weeks = (2, 80) if args.quick else (args.reps, args.weeks)
    if reps < 2:
        ap.error("--reps must be at least 2")
    runs = run_all(reps, weeks, max(args.workers, 1), args.runs, args.resume)
    tables = render(runs, reps, weeks)
    text = "\n".join(f"## {case}\n\n{t}" for case, t in tables.items())
    if args.doc:
        write_doc(args.doc, tables)
        print(f"updated {args.doc}")
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        print(f"wrote {args.out}")
    if not args.doc and not args.out:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
