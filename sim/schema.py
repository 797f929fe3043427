"""The scenario schema: every parameter with its unit, default and source.

A scenario is a YAML file validated against :class:`Scenario`. Each field's
description names its unit and the evidence behind its default: a figure from
the domain notes (``../shared/DOMAIN.md``), one of the five source articles
(``seed 000``..``seed 004``), or ``assumption`` where no figure exists.
``docs/ODD.md`` and ``docs/calibration.md`` list the same parameters.
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

NEED_TYPES: tuple[str, ...] = (
    "eldercare",
    "children_youth",
    "family",
    "employment",
    "hardship",
    "disputes",
)
"""Need types, in the column order of the need arrays."""
N_TYPES = len(NEED_TYPES)


class When(StrEnum):
    """When a change to a parameter during a run (a timeline event, a lever in the demo) takes effect."""

    SETUP = "setup"
    NOW = "now"
    CONTRACT = "contract"
    PAY = "pay"
    HAZARD = "hazard"
    PARTNERS = "partners"

    @property
    def meaning(self) -> str:
        return {
            When.SETUP: "read only when the model is built; a change during a run is refused",
            When.NOW: "read every week, or by the event that uses it (a hire, an evaluation): from the "
                      "week it is set",
            When.CONTRACT: "read when a contract is signed: at each agency's next signing (a cut bites at "
                           "renewal)",
            When.PAY: "a new pay standard: every worker in post is raised to it at once",
            When.HAZARD: "need rates: every resident's weekly chance of each need is recomputed at once",
            When.PARTNERS: "partners per community: partners are signed, or the least engaged let go, at once",
        }[self]


CALIBRATED = "calibrated: posterior mean of experiments/calibration/street.yaml (docs/calibration.md §2)"
"""Source of the defaults fitted by ABC-SMC (their posterior means)."""


def P(default: Any, unit: str, source: str, description: str, when: When | None = None,
      **constraints: Any) -> Any:
    """A scenario parameter: default, unit, source and when a change applies travel with the field.

    ``when`` defaults to the section's (:attr:`Section.changes`).
    """
    extra: dict[str, Any] = {"unit": unit, "source": source}
    if when is not None:
        extra["when"] = when.value
    return Field(
        default,
        description=f"{description} [{unit}] Source: {source}",
        json_schema_extra=extra,
        **constraints,
    )


def path_safe_name(v: str) -> str:
    """Names become output folder names: no separators, not empty, not '.' or '..'."""
    if not v or any(c in v for c in "/\\\0") or v in {".", ".."}:
        raise ValueError(f"name must be a plain file-name-safe word, got {v!r}")
    return v


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)
    changes: ClassVar[When] = When.NOW
    """When a change to one of the section's parameters applies, unless the field says otherwise."""


class PerNeedType(Section):
    """One value per need type."""

    eldercare: float = Field(ge=0)
    children_youth: float = Field(ge=0)
    family: float = Field(ge=0)
    employment: float = Field(ge=0)
    hardship: float = Field(ge=0)
    disputes: float = Field(ge=0)

    def as_list(self) -> list[float]:
        return [getattr(self, t) for t in NEED_TYPES]


class Simulation(Section):
    changes: ClassVar[When] = When.SETUP

    horizon_weeks: int = P(416, "weeks", "design: three years of warm-up and five measured",
                           "Weeks simulated.", ge=1, le=5200)
    warmup_weeks: int = P(
        156, "weeks", "assumption: from the empty start the ledger, caseloads and burnout take about three years "
        "to settle (docs/steady_state.md)", "Weeks excluded from summary statistics.", ge=0, le=5200)
    seed: int = P(42, "integer", "assumption", "Seed of the model's one random generator.", ge=0,
                  le=2**63 - 1)
    check_invariants: bool = P(
        False, "flag", "assumption", "Check conservation of money, people and needs every week.")
    resident_agents: bool = P(
        True, "flag", "assumption",
        "Create a Resident agent (a view onto the arrays) for every resident.")


class Population(Section):
    changes: ClassVar[When] = When.SETUP

    residents: int = P(5000, "persons", "assumption: typical urban community of 3,000-10,000",
                       "Residents in all communities.", ge=1, le=50_000_000)
    communities: int = P(1, "communities", "assumption", "Communities (社区), each with its own ledger.",
                         ge=1, le=100_000)
    household_size_mean: float = P(2.62, "persons/household", "2020 census communique: 2.62",
                                   "Mean household size.", ge=1.0, le=8.0)
    share_aged_60_plus: float = P(0.187, "share", "DOMAIN: 18.7% aged 60+ (2020 census)",
                                  "Share of residents aged 60 or over.", ge=0, le=1)
    share_children: float = P(0.2, "share",
                              "assumption informed by the 2020 census (17.95% aged 0-14; under-18 is higher)",
                              "Share of residents under 18.", ge=0, le=1)
    share_elderly_alone: float = P(0.15, "share of 60+", "assumption",
                                   "Share of residents aged 60+ who live alone.", ge=0, le=1)
    share_disabled: float = P(0.063, "share", "2006 national disability sample survey: 6.34%",
                              "Share of residents with a disability.", ge=0, le=1)
    share_low_income: float = P(0.04, "share", "assumption: urban minimum-living-guarantee recipients",
                                "Share of residents in low-income households.", ge=0, le=1)
    households_per_building: int = P(36, "households", "assumption: six floors x six flats",
                                     "Households per residential building.", ge=1, le=10_000)
    adult_age: int = P(18, "years", "structural: the legal age of adulthood",
                       "Age from which a resident is an adult (employment needs, volunteering, deliberation).",
                       ge=1, le=30)
    elderly_age: int = P(60, "years", "DOMAIN: the census reports residents aged 60+",
                         "Age from which a resident is elderly (eldercare needs, 低龄助高龄).", ge=30, le=90)
    younger_old_max_age: int = P(75, "years", "structural: younger-old (低龄) residents are 60-74",
                                 "Age below which an elderly resident counts as younger-old (can be trained "
                                 "for elder visiting).", ge=30, le=110)
    oldest_old_age: int = P(80, "years", "structural: the oldest old are 80+",
                            "Age from which the eldercare need rate is raised (needs.risk_age_80_plus).",
                            ge=30, le=110)
    elderly_age_scale_years: float = P(10.0, "years", "assumption: exponential ages above the elderly age",
                                       "Mean years by which an elderly resident's age exceeds elderly_age.",
                                       ge=0.1, le=50)
    max_age: int = P(100, "years", "structural", "Oldest age drawn.", ge=30, le=120)

    @model_validator(mode="after")
    def _age_shares(self) -> Population:
        if not self.adult_age < self.elderly_age < self.younger_old_max_age <= self.max_age:
            raise ValueError("ages must rise: adult_age < elderly_age < younger_old_max_age <= max_age, got "
                             f"{self.adult_age}, {self.elderly_age}, {self.younger_old_max_age}, {self.max_age}")
        if not self.elderly_age <= self.oldest_old_age <= self.max_age:
            raise ValueError(f"oldest_old_age ({self.oldest_old_age}) must lie between elderly_age "
                             f"({self.elderly_age}) and max_age ({self.max_age})")
        if self.share_aged_60_plus + self.share_children > 1:
            raise ValueError(
                "share_aged_60_plus + share_children must be at most 1, "
                f"got {self.share_aged_60_plus + self.share_children:g}")
        return self


class Network(Section):
    changes: ClassVar[When] = When.SETUP

    neighbour_ties: float = P(3.0, "ties/resident", "assumption",
                              "Mean ties to other residents of the same building.", ge=0, le=50)
    cross_building_ties: float = P(1.0, "ties/resident", "assumption",
                                   "Mean ties to residents of nearby buildings.", ge=0, le=50)
    building_ring_neighbours: int = P(4, "buildings", "assumption",
                                      "Each building's neighbours in the small-world graph of buildings.",
                                      ge=0, le=100)
    rewire_probability: float = P(0.1, "probability", "assumption (Watts-Strogatz)",
                                  "Chance that a between-building link goes to a random building.",
                                  ge=0, le=1)
    max_activity_ties: float = P(4.0, "ties/resident", "assumption",
                                 "Cap on new ties formed at activities, mean per resident.", ge=0,
                                 le=50)


class Needs(Section):
    hazard_per_year: PerNeedType = P(
        PerNeedType(eldercare=0.2, children_youth=0.1, family=0.05, employment=0.08,
                    hardship=0.05, disputes=0.03),
        "needs/eligible resident/year", "assumption, tuned so a typical community is short of capacity",
        "Base yearly rate at which a need arises for an eligible resident with no risk factor. "
        "Eldercare: aged 60+ or disabled; children_youth: under 18; employment: 18-59.", when=When.HAZARD)
    risk_lives_alone: float = P(2.0, "rate ratio", "assumption", "Need rate multiplier for living alone.",
                                ge=0, le=100, when=When.HAZARD)
    risk_disabled: float = P(2.0, "rate ratio", "assumption", "Need rate multiplier for disability.",
                             ge=0, le=100, when=When.HAZARD)
    risk_low_income: float = P(2.5, "rate ratio", "assumption",
                               "Need rate multiplier for low income (hardship, employment, family).",
                               ge=0, le=100, when=When.HAZARD)
    risk_age_80_plus: float = P(1.5, "rate ratio", "assumption",
                                "Eldercare rate multiplier for residents aged 80+.", ge=0, le=100, when=When.HAZARD)
    initial_severity_mean: float = P(0.35, "severity (0-1)", "assumption",
                                     "Mean severity of a need when it arises (Beta distributed).",
                                     ge=0.01, le=0.99)
    initial_severity_shape: float = P(2.0, "Beta shape a", "structural assumption: a unimodal Beta",
                                      "First shape parameter of the Beta distribution of a new need's severity "
                                      "(the second follows from the mean).", ge=0.1, le=100)
    escalation_per_week: float = P(0.01, "severity/week", "assumption",
                                   "Severity added each week a need waits unserved.", ge=0, le=1)
    urgent_threshold: float = P(0.7, "severity (0-1)", "seed 001: urgent issues handled at once",
                                "Severity at which a need counts as urgent.", ge=0, le=1)
    lapse_per_week: float = P(0.015, "probability/week", "assumption",
                              "Weekly chance a mild need goes away unserved (scaled by 1 - severity).",
                              ge=0, le=1)
    exit_per_year: float = P(
        0.3, "probability/year", "assumption: residents move away or die, families or the market take over, "
        "other providers step in; set so the baseline ledger settles within the warm-up",
        "Yearly chance an open need leaves the ledger at any severity without the community's service.",
        ge=0, le=1)
    waiting_exit_per_year: float = P(
        0.5, "probability/year", "assumption: residents kept waiting turn to family, the market or other "
        "providers", "Extra yearly chance a need waiting on the ledger (found, not taken as a case) is met "
        "elsewhere.", ge=0, le=1)
    effort_hours: PerNeedType = P(
        PerNeedType(eldercare=6, children_youth=8, family=10, employment=6, hardship=4, disputes=6),
        "case-work hours", "assumption",
        "Case-work hours to resolve a need of severity 0.5 (scales with 0.5 + severity).")
    wellbeing_loss_per_severity: float = P(0.15, "wellbeing/severity", "assumption",
                                           "Wellbeing target lost per unit of open severity.", ge=0,
                                           le=1)
    wellbeing_adjustment: float = P(0.1, "share/week", "assumption",
                                    "Weekly rate at which wellbeing moves to its target.", ge=0, le=1)
    wellbeing_target: float = P(0.8, "wellbeing (0-1)", "structural assumption",
                                "Wellbeing a resident with no open need and average belonging moves toward.",
                                ge=0, le=1)
    wellbeing_belonging_effect: float = P(0.1, "wellbeing per unit belonging above 0.5", "assumption",
                                          "Wellbeing target gained per unit of belonging above 0.5.", ge=0, le=1)
    priority_weight_severity: float = P(1.0, "weight", "seed 001: urgent ones first",
                                        "Weight of severity in ledger priority.", ge=0, le=100)
    priority_weight_vulnerability: float = P(0.5, "weight", "seed 001: hardship cases with care",
                                             "Weight of vulnerability in ledger priority.", ge=0,
                                             le=100)
    priority_weight_waiting: float = P(0.5, "weight per 52 weeks waited", "assumption",
                                       "Weight of waiting time in ledger priority.", ge=0, le=100)
    priority_waiting_cap_years: float = P(2.0, "years", "assumption",
                                          "Waiting time beyond which a need gains no more priority.", ge=0,
                                          le=100)


class Discovery(Section):
    self_report_per_week: float = P(0.12, "probability/week at trust 1", "assumption",
                                    "Weekly chance a resident with open needs reports them, times trust.",
                                    ge=0, le=1)
    visits_per_outreach_hour: float = P(1.5, "households/hour", "assumption: 40-minute home visits",
                                        "Home visits (入户走访) made per outreach hour.", ge=0, le=100)
    visit_detection: float = P(0.8, "probability", "assumption",
                               "Chance a home visit finds a resident's open needs.", ge=0, le=1)
    vulnerability_targeting: float = P(4.0, "weight", "seed 001: visits go to the elderly living alone",
                                       "Extra weight of vulnerable residents when choosing visits.",
                                       ge=0, le=100)
    referral_per_tie: float = P(0.01, "probability/week/tie", "assumption",
                                "Weekly chance a trusting, engaged neighbour refers an unfound need.",
                                ge=0, le=1)
    referral_trust_threshold: float = P(0.7, "trust (0-1)", "assumption",
                                        "Trust above which a neighbour refers (with belonging above its threshold).",
                                        ge=0, le=1)
    referral_belonging_threshold: float = P(0.6, "belonging (0-1)", "assumption",
                                            "Belonging above which a trusting neighbour refers.", ge=0, le=1)


class Workforce(Section):
    posts_per_1000_residents: float = P(
        1.0, "posts/1,000 residents",
        "assumption informed by seed 004 (Chaoyang: 3,700 new posts for a district of ~3.5 million)",
        "Social-worker posts specified in purchase-of-service contracts.", ge=0, le=100, when=When.CONTRACT)
    salary_ratio: float = P(0.64, "share of local average wage",
                            "DOMAIN: ~64% (Qingyi 2017 survey: 3,975 yuan/month vs 74,318 yuan/yr)",
                            "Social-worker pay relative to the local average wage.", ge=0.05, le=5, when=When.PAY)
    local_average_wage_yuan_year: float = P(74318.0, "yuan/year",
                                            "DOMAIN: urban non-private average wage 2017",
                                            "Local average wage at week 0.", ge=1000, le=1e7, when=When.SETUP)
    wage_growth_per_year: float = P(0.07, "share/year",
                                    "assumption: urban wages grew ~7-9%/yr in the 2010s",
                                    "Yearly growth of the local average wage.", ge=-0.5, le=1)
    salary_indexation: float = P(1.0, "share of wage growth", "assumption",
                                 "Share of local wage growth passed on to pay at each yearly review.",
                                 ge=0, le=2)
    on_cost_share: float = P(0.3, "share of salary", "assumption: social insurance and housing fund",
                             "Employer on-costs on top of salary.", ge=0, le=3)
    certified_share: float = P(0.7, "share",
                               "assumption; seed 001 reports all ~100 Shengli social workers certified",
                               "Share of new hires holding the social-work certificate.", ge=0, le=1)
    hours_per_week: float = P(40.0, "hours/week", "issue spec: 40-hour week", "Contracted hours.",
                              ge=1, le=80)
    admin_share: float = P(0.35, "share of hours", "assumption: 行政化, a third of time on admin tasks",
                           "Share of hours taken by administrative tasks set by the residents' committee.",
                           ge=0, le=1)
    share_outreach: float = P(0.15, "share of non-admin hours", "seed 001: door-to-door visits",
                              "Outreach visits (入户走访).", ge=0, le=1)
    share_casework: float = P(0.55, "share of non-admin hours", "seed 004: case services",
                              "Case work (个案).", ge=0, le=1)
    share_groups: float = P(0.1, "share of non-admin hours", "seed 004: groups (小组)",
                            "Group work (小组).", ge=0, le=1)
    share_activities: float = P(0.1, "share of non-admin hours", "seed 004: community activities",
                                "Community activities (社区活动).", ge=0, le=1)
    share_coordination: float = P(0.1, "share of non-admin hours", "seeds 003/004: 两工联动",
                                  "Coordinating volunteers and partners.", ge=0, le=1)
    hours_per_case_week: float = P(1.0, "hours/case/week", "assumption",
                                   "Case-work hours one open case asks each week.", ge=0.05, le=40)
    max_hours_per_case_week: float = P(3.0, "hours/case/week", "assumption",
                                       "Most case-work hours a case can use in a week when caseloads are light.",
                                       ge=0.05, le=40)
    target_caseload: int = P(15, "cases", "DOMAIN: CWLA 12-17 active cases per worker",
                             "Cases a worker takes on in normal times.", ge=0, le=500)
    max_caseload: int = P(22, "cases", "assumption", "Cases a worker takes on when urgent needs wait.",
                          ge=0, le=1000)
    new_hire_productivity: float = P(0.5, "share of full productivity", "assumption",
                                     "Productivity of a worker with no experience.", ge=0, le=1)
    experience_halflife_weeks: float = P(26.0, "weeks", "assumption",
                                         "Experience at which half the productivity gap is closed.",
                                         ge=1, le=1000)
    max_overtime_share: float = P(0.25, "share of hours", "assumption",
                                  "Overtime a worker puts in before cases go short.", ge=0, le=2)
    burnout_productivity_loss: float = P(0.5, "share of productivity at full burnout", "assumption",
                                         "Productivity lost per unit of burnout.", ge=0, le=1)
    burnout_gain: float = P(0.0361, "burnout/week per unit overload", CALIBRATED,
                            "Burnout added per week per unit of demanded hours above contracted hours.",
                            ge=0, le=1)
    admin_neutral_share: float = P(0.2, "share of hours", "assumption: some admin is part of the job",
                                   "Admin share above which administrative load drains (burnout, satisfaction).",
                                   ge=0, le=1)
    burnout_admin_gain: float = P(0.006, "burnout/week per unit admin share above workforce.admin_neutral_share",
                                  "assumption: non-professional tasks drain",
                                  "Weekly burnout from administrative load.", ge=0, le=1)
    burnout_recovery: float = P(0.0102, "share/week", CALIBRATED,
                                "Weekly recovery of burnout without supervision.", ge=0, le=1)
    supervision_coverage: float = P(0.5, "share of workers",
                                    "assumption: the CWLA standard (one supervisor per 5 workers, DOMAIN) "
                                    "would cover everyone; half is assumed met",
                                    "Share of workers who get regular supervision (督导).", ge=0, le=1)
    supervision_recovery: float = P(0.012, "share/week", "DOMAIN: supervision the highest-leverage fix",
                                    "Extra weekly burnout recovery under supervision.", ge=0, le=1)
    base_quit_rate_per_year: float = P(0.0842, "quits/worker-year",
                                       CALIBRATED,
                                       "Quit rate after the first year, at reference pay, no burnout.",
                                       ge=0, le=10)
    first_year_quit_multiplier: float = P(1.8, "rate ratio",
                                          "DOMAIN: US trainees 46-54% vs mean ~30%",
                                          "Quit rate multiplier in the first year of tenure.", ge=0,
                                          le=20)
    reference_salary_ratio: float = P(0.64, "share of local average wage", "DOMAIN: ~64%",
                                      "Pay at which the pay terms of the quit rate are neutral.",
                                      ge=0.05, le=5)
    neutral_satisfaction: float = P(0.5, "satisfaction (0-1)", "structural: the midpoint of the scale",
                                    "Satisfaction of a worker at reference pay with no burnout or excess admin; "
                                    "the quit rate's satisfaction term is zero there.", ge=0, le=1)
    quit_pay_elasticity: float = P(0.1, "elasticity", "DOMAIN: quit elasticity to wages ~0.1",
                                   "Direct elasticity of the quit rate to relative pay.", ge=0, le=10)
    quit_satisfaction_effect: float = P(1.5, "log rate per unit satisfaction",
                                        "DOMAIN: dissatisfaction a strongest predictor (Mor Barak 2001)",
                                        "Log quit-rate increase per unit of satisfaction below "
                                        "workforce.neutral_satisfaction.",
                                        ge=0, le=20)
    quit_burnout_effect: float = P(2.0, "log rate per unit burnout",
                                   CALIBRATED,
                                   "Log quit-rate increase per unit of burnout.", ge=0, le=20)
    quit_insecurity_effect: float = P(0.76, "log rate at full insecurity",
                                      CALIBRATED, "Log quit-rate increase when "
                                      "the employer's contract ends within a month.", ge=0, le=20)
    insecurity_horizon_months: float = P(6.0, "months", "assumption",
                                         "Months left on the contract below which insecurity rises.",
                                         ge=0.1, le=120)
    satisfaction_pay_weight: float = P(0.05, "satisfaction per unit pay ratio",
                                       "assumption, set so that the realised quit elasticity to pay through "
                                       "every channel stays near DOMAIN's ~0.1 (validation pay_effect_small; "
                                       "0.2 gave -0.32)",
                                       "Satisfaction gained per unit of pay relative to reference.",
                                       ge=0, le=10)
    satisfaction_burnout_weight: float = P(0.4, "satisfaction per unit burnout", "assumption",
                                           "Satisfaction lost per unit of burnout.", ge=0, le=10)
    satisfaction_admin_weight: float = P(0.3, "satisfaction per unit admin share", "assumption",
                                         "Satisfaction lost per unit of admin share above "
                                         "workforce.admin_neutral_share.", ge=0,
                                         le=10)
    initial_tenure_mean_weeks: float = P(
        200.0, "weeks", "assumption: near the steady state of ~20%/yr turnover (mean ~5 years)",
        "Mean tenure (exponential) of the staff in post at week 0.", ge=0, le=2000, when=When.SETUP)
    hiring_lag_weeks: float = P(8.0, "weeks", "assumption", "Mean weeks to fill a vacancy at reference pay.",
                                ge=0, le=520)
    hiring_lag_pay_exponent: float = P(2.0, "elasticity", "assumption",
                                       "Hiring lag scales with (reference pay / pay) to this power.",
                                       ge=0, le=10)
    handover_trust_loss: float = P(0.08, "trust", "issue spec: broken continuity",
                                   "Trust a resident loses when their social worker leaves.", ge=0, le=1)
    certified_pay_premium: float = P(
        0.08, "share of pay", "assumption: city certificate allowances of a few hundred yuan a month, "
        "about 8% of the 3,975 yuan/month mean pay (DOMAIN)",
        "Pay premium of a worker holding the social-work certificate (持证).", ge=0, le=2)
    certified_productivity_gain: float = P(0.1, "share of productivity", "assumption",
                                           "Extra productivity of a certified worker.", ge=0, le=2)
    certification_per_year: float = P(
        0.05, "probability/year", "assumption: self-study for the national exam",
        "Yearly chance an uncertified worker without training gains the certificate.", ge=0, le=1)
    training_hours_per_year: float = P(
        0.0, "hours/worker/year", "seed 004: Chaoyang's graded training system (分级分类教育培训); seed 000: "
        "agencies ask for professional training; 0 = none beyond the job",
        "Training hours each worker takes a year, out of non-admin hours.", ge=0, le=500)
    training_cost_yuan_per_worker_year: float = P(
        2000.0, "yuan/worker/year at 40 training hours", "assumption",
        "What the agency pays for training, in proportion to the training hours.", ge=0, le=1e6)
    trained_certification_per_year: float = P(
        0.25, "probability/year at 40 training hours", "assumption: about a quarter of candidates pass the "
        "national social-work exam in a year",
        "Yearly chance an uncertified worker in training gains the certificate (scales with training hours, "
        "up to twice at 80 hours).", ge=0, le=1)
    ladder_step_years: float = P(
        0.0, "years", "seed 004: wage adjustments 'to break the career ceiling'; 0 = no ladder",
        "Tenure per grade of the pay ladder (a grade every this many years in post).", ge=0, le=40)
    ladder_step_raise: float = P(0.05, "share of pay per grade", "assumption",
                                 "Pay raise per grade of the ladder.", ge=0, le=1)
    ladder_max_grades: int = P(6, "grades", "assumption", "Highest grade of the pay ladder.", ge=0, le=50)

    @model_validator(mode="after")
    def _time_shares(self) -> Workforce:
        total = (self.share_outreach + self.share_casework + self.share_groups
                 + self.share_activities + self.share_coordination)
        if not math.isclose(total, 1.0, abs_tol=1e-6):
            raise ValueError(
                "share_outreach + share_casework + share_groups + share_activities + "
                f"share_coordination must sum to 1, got {total:g}")
        if self.max_caseload < self.target_caseload:
            raise ValueError(f"max_caseload ({self.max_caseload}) must be at least "
                             f"target_caseload ({self.target_caseload})")
        return self


class Funding(Section):
    ngos: int = P(1, "agencies", "DOMAIN: Chaoyang 53 agencies for 96 community stations",
                  "Social-work agencies (NGOs) holding contracts.", ge=1, le=100_000, when=When.SETUP)
    contract_value_per_post_yuan_year: float = P(
        80000.0, "yuan/post/year", "DOMAIN: >=80,000 yuan per social worker-year (Shanghai 2014)",
        "Purchase-of-service contract value per funded post.", ge=0, le=1e8, when=When.CONTRACT)
    budget_multiplier: float = P(1.0, "multiplier", "assumption",
                                 "Scales the purchase-of-service budget at each contract signing.",
                                 ge=0, le=100, when=When.CONTRACT)
    budget_growth_per_year: float = P(0.07, "share/year", "assumption: budgets track wages",
                                      "Yearly growth of contract value per post.", ge=-0.5, le=1, when=When.CONTRACT)
    contract_term_years: int = P(1, "years", "DOMAIN: usually 1 year, up to 3 (MoF rules art. 24)",
                                 "Contract term.", ge=1, le=10, when=When.CONTRACT)
    instalments_per_year: int = P(4, "payments/year", "assumption", "Contract payments per year.",
                                  ge=1, le=52, when=When.CONTRACT)
    renewal_floor: float = P(0.65, "probability", "assumption",
                             "Renewal chance at the worst evaluation.", ge=0, le=1)
    renewal_ceiling: float = P(0.98, "probability", "assumption",
                               "Renewal chance at the best evaluation.", ge=0, le=1)
    deliverable_resolved_per_post_year: float = P(
        120.0, "resolved needs/post/year", "assumption", "Deliverable used to evaluate the contract.",
        ge=1, le=10000)
    evaluation_delivery_weight: float = P(0.5, "weight (0-1)", "assumption: delivery and satisfaction count "
                                          "equally", "Weight of delivered services in the end-of-term evaluation "
                                          "(residents' trust has the rest).", ge=0, le=1)
    incumbent_win_probability: float = P(0.7, "probability", "assumption",
                                         "Chance the incumbent wins the re-tender after non-renewal.",
                                         ge=0, le=1)
    procurement_gap_weeks: int = P(8, "weeks", "assumption",
                                   "Weeks without contract income between a lost contract and the next.",
                                   ge=0, le=520)
    overhead_per_post_yuan_year: float = P(8000.0, "yuan/post/year at week 0", "assumption",
                                           "Agency overhead (rent, admin) per filled post.", ge=0, le=1e7)
    overhead_indexation: float = P(1.0, "share of wage growth", "assumption: rent and admin costs rise with "
                                   "local wages", "Share of local wage growth passed on to overhead.", ge=0, le=2)
    contract_indexation: float = P(0.0, "share of budget growth", "assumption: most contracts fix their value "
                                   "for the term", "Share of budget_growth_per_year added to a contract's value "
                                   "in each later year of a multi-year term.", ge=0, le=2, when=When.CONTRACT)
    reserve_target_months: float = P(1.0, "months of payroll", "assumption",
                                     "Reserve an agency keeps, after its projected payroll to the end of the "
                                     "contract, before it fills another post.", ge=0, le=60)
    reserve_cap_months: float = P(3.0, "months of payroll", "assumption: unspent purchase-of-service funds are "
                                  "settled at audit (MoF purchase-of-services rules)",
                                  "Projected reserve at the end of the contract above which an agency releases "
                                  "the surplus (see surplus_use).", ge=0, le=120)
    surplus_use: Literal["funder", "pay", "services", "posts"] = P(
        "funder", "choice", "assumption: surplus returned to the funder at audit",
        "What a surplus above the reserve cap is used for: returned to the funder, paid to staff as a bonus, "
        "given to the community funds for services, or kept to fund posts beyond the contract's.")
    planning_horizon_weeks: int = P(52, "weeks", "assumption: an agency fills a post only if it can keep it a "
                                    "year, counting on renewal at the current value",
                                    "Weeks an agency looks ahead when it decides to fill a post.", ge=1, le=520)
    layoff_notice_weeks: int = P(4, "weeks", "PRC Labour Contract Law art. 40-41: 30 days' written notice",
                                 "Notice a worker gets before a layoff for lack of money (paid meanwhile).",
                                 ge=0, le=52)
    initial_cash_months: float = P(2.0, "months of payroll", "assumption",
                                   "Cash an NGO holds at week 0.", ge=0, le=120, when=When.SETUP)
    foundation_grant_yuan_per_1000_residents_year: float = P(
        0.0, "yuan/year per 1,000 residents", "DOMAIN: Chaoyang >1M yuan pooled by 17 street centres",
        "Foundation grants to the agencies serving the residents.", ge=0, le=1e10)


class CommunityFund(Section):
    charity_market_yuan_year: float = P(2000.0, "yuan/year per community",
                                        "seed 001: handicraft workshop sales to the community fund",
                                        "Charity-market income to the community fund.", ge=0, le=1e9)
    initial_balance_yuan: float = P(5000.0, "yuan per community", "assumption",
                                    "Community fund balance at week 0.", ge=0, le=1e10, when=When.SETUP)
    activity_cost_yuan: float = P(300.0, "yuan/activity", "assumption",
                                  "Materials for one community activity.", ge=0, le=1e7)
    assistance_yuan: float = P(500.0, "yuan/need", "assumption",
                               "Small assistance that resolves a mild hardship need.", ge=0, le=1e7)
    assistance_max_severity: float = P(0.5, "severity (0-1)", "assumption",
                                       "Hardship needs up to this severity can be met with assistance.",
                                       ge=0, le=1)
    staff_support_share_per_year: float = P(
        0.0, "share of balance/year", "seed 001 and 004: community funds pooling charity resources; 0 = the "
        "fund pays for activities and assistance only",
        "Share of each community fund's balance given each year to the agencies serving the community, toward "
        "posts or pay.", ge=0, le=1)


class Services(Section):
    group_size: int = P(8, "residents/group session", "assumption", "Residents in one group session.",
                        ge=1, le=1000)
    hours_per_group_session: float = P(3.0, "hours", "assumption",
                                       "Worker hours to prepare and run a group session.", ge=0.5, le=100)
    group_effort_hours: float = P(2.0, "case-work hours equivalent", "assumption",
                                  "Progress on a participant's need from one group session.", ge=0,
                                  le=100)
    hours_per_activity: float = P(8.0, "hours", "assumption",
                                  "Worker hours to prepare and run a community activity.", ge=0.5, le=1000)
    attendees_per_activity: float = P(30.0, "residents", "assumption",
                                      "Residents reached by one activity.", ge=0, le=100000)
    unfunded_attendance_share: float = P(0.5, "share of places", "assumption",
                                         "Share of an activity's places filled when the community fund cannot pay "
                                         "for materials.", ge=0, le=1)
    activity_belonging_gain: float = P(0.03, "belonging", "assumption",
                                       "Belonging gained by attending an activity.", ge=0, le=1)
    activity_trust_gain: float = P(0.01, "trust", "assumption",
                                   "Trust gained by attending an activity.", ge=0, le=1)
    new_ties_per_activity: float = P(3.0, "ties", "assumption", "New ties formed at one activity.", ge=0,
                                     le=1000)
    served_trust_gain: float = P(0.06, "trust", "assumption",
                                 "Trust gained when one's need is resolved.", ge=0, le=1)
    served_wellbeing_gain: float = P(0.05, "wellbeing", "assumption",
                                     "Wellbeing gained when one's need is resolved.", ge=0, le=1)


class Volunteers(Section):
    initial_registered_share: float = P(0.06, "share of adults", "assumption: registered >> active (DOMAIN); near "
                                        "the level where recruitment and lapsed registrations balance",
                                        "Adults registered as volunteers at week 0.", ge=0, le=1, when=When.SETUP)
    initial_active_share: float = P(0.3, "share of registered", "assumption",
                                    "Registered volunteers active at week 0.", ge=0, le=1, when=When.SETUP)
    new_motivation_min: float = P(0.6, "motivation (0-1)", "assumption",
                                      "A new volunteer's motivation is drawn uniformly between this and 1.", ge=0,
                                      le=1)
    recruit_probability: float = P(0.15, "probability per reach", "assumption",
                                   "Chance an adult with high belonging, reached by an activity or "
                                   "visit, becomes active.", ge=0, le=1)
    belonging_threshold: float = P(0.55, "belonging (0-1)", "assumption",
                                   "Belonging needed before a resident will volunteer.", ge=0, le=1)
    hours_per_week: float = P(2.0, "hours/week", "assumption", "Hours an active volunteer gives.", ge=0,
                              le=80)
    motivation_decay_per_week: float = P(0.025, "share of motivation/week", "assumption",
                                         "Weekly loss of motivation without coordination.", ge=0, le=1)
    recognition_gain_per_week: float = P(0.03, "share of the gap to 1/week at full coordination",
                                         "assumption (NetLogo volunteer models: good events restore)",
                                         "Weekly motivation restored by coordination and recognition.",
                                         ge=0, le=1)
    motivation_noise: float = P(0.03, "motivation/week (sd)", "assumption",
                                "Week-to-week variation in motivation.", ge=0, le=1)
    life_event_dropout_per_year: float = P(0.265, "share/year",
                                           CALIBRATED,
                                           "Yearly chance an active volunteer stops for life events "
                                           "(moving, health, work).", ge=0, le=1)
    registration_lapse_per_year: float = P(
        0.1, "probability/year", "assumption: registrations of people who moved or stopped are cleared",
        "Yearly chance a registered volunteer who is not active is taken off the register.", ge=0, le=1)
    dropout_threshold: float = P(0.219, "motivation (0-1)", CALIBRATED,
                                 "Motivation below which a volunteer stops.", ge=0, le=1)
    volunteers_per_coordination_hour: float = P(8.0, "volunteers/hour/week", "assumption",
                                                "Volunteers one coordination hour a week supports.",
                                                ge=0, le=1000)
    uncoordinated_effectiveness: float = P(0.0, "share", "DOMAIN: volunteers multiply capacity only while coordinated",
                                           "Share of an uncoordinated volunteer's hours matched to ledger tasks.",
                                           ge=0, le=1)
    max_task_severity: float = P(0.45, "severity (0-1)", "assumption: volunteers take low-severity tasks",
                                 "Most severe need a volunteer handles.", ge=0, le=1)
    effort_efficiency: float = P(0.5, "share of worker productivity", "assumption",
                                 "Volunteer hour as a share of a case-work hour.", ge=0, le=1)
    elder_visit_share: float = P(0.5, "share of hours", "seed 001: 低龄助高龄",
                                 "Share of an elder-visiting volunteer's hours spent visiting.", ge=0,
                                 le=1)
    elder_visiting_skill_share: float = P(0.3, "share of 60-74 volunteers", "assumption",
                                          "Younger-old volunteers trained for elder visiting.", ge=0,
                                          le=1)
    visits_per_hour: float = P(1.0, "visits/hour", "assumption", "Elder visits per volunteer hour.", ge=0,
                               le=100)
    visit_wellbeing_gain: float = P(0.02, "wellbeing", "seed 001: 'life has more flavour'",
                                    "Wellbeing from a companionship visit.", ge=0, le=1)


class Enterprises(Section):
    partners_per_1000_residents: float = P(
        0.4, "enterprises/1,000 residents", "assumption (2 in a community of 5,000); seed 001: Huarui 12 for "
        "1,196 residents", "Enterprise partners (社区合伙人) at week 0.", ge=0, le=1000, when=When.PARTNERS)
    services_per_week: float = P(4.0, "services/week", "assumption: haircuts, cleaning, clinics",
                                 "In-kind services an engaged partner gives a week.", ge=0, le=10000)
    donation_yuan_year: float = P(3000.0, "yuan/year", "assumption",
                                  "Donation to the community fund by a fully engaged partner.", ge=0,
                                  le=1e9)
    engagement_decay_per_week: float = P(0.01, "engagement/week", "assumption",
                                         "Weekly loss of engagement without recognition.", ge=0, le=1)
    recognition_interval_weeks: int = P(13, "weeks", "assumption", "Weeks between recognition events.",
                                        ge=1, le=520)
    recognition_gain: float = P(0.15, "engagement", "assumption",
                                "Engagement restored by recognition when coordination is staffed.",
                                ge=0, le=1)
    exit_threshold: float = P(0.2, "engagement (0-1)", "assumption",
                              "Engagement below which a partner leaves.", ge=0, le=1)
    recruit_per_1000_residents_year: float = P(
        0.1, "partners/1,000 residents/year", "assumption (0.5 a year in a community of 5,000)",
        "New partners signed while coordination is staffed.", ge=0, le=1000)
    closure_per_year: float = P(
        0.2, "probability/year", "assumption: small local businesses close or move (enough that, with "
        "recruitment, partners settle near their starting number)",
        "Yearly chance a partner ends the partnership whatever its engagement.", ge=0, le=1)
    max_severity: float = P(0.6, "severity (0-1)", "assumption",
                            "Most severe need an in-kind service can meet.", ge=0, le=1)
    new_engagement_min: float = P(0.6, "engagement (0-1)", "assumption",
                                      "A new partner's engagement is drawn uniformly between this and 1.", ge=0, le=1)
    routine_wellbeing_gain: float = P(0.02, "wellbeing", "assumption: as a companionship visit "
                                      "(volunteers.visit_wellbeing_gain)",
                                      "Wellbeing an elderly resident living alone gains from a routine "
                                      "in-kind service (理发、保洁、义诊, seed 001).", ge=0, le=1)


class Deliberation(Section):
    enabled: bool = P(True, "flag", "seed 001: 党群议事日", "Hold deliberation meetings (协商议事).")
    disputes_per_1000_households_year: float = P(
        2.0, "disputes/1,000 households/year", "assumption; seed 001: square noise and stalls",
        "Public disputes (noise, parking, pets, elevators) arising.", ge=0, le=1000)
    meeting_interval_weeks: int = P(4, "weeks", "seed 001: monthly deliberation days",
                                    "Weeks between deliberation meetings.", ge=1, le=520)
    representatives_needed: int = P(20, "residents", "seed 001: 20+ representatives",
                                    "Participants for a full meeting.", ge=1, le=100000)
    participation_trust_threshold: float = P(0.5, "trust (0-1)", "assumption",
                                             "Trust at which residents take part at the full rate "
                                             "(below it, in proportion to trust).", ge=0.01, le=1)
    invite_per_meeting: float = P(0.02, "probability", "assumption",
                                  "Chance an eligible resident attends, times willingness.", ge=0, le=1)
    base_resolution: float = P(-2.0, "log-odds", "assumption",
                               "Log-odds of resolving a dispute at neutral trust and belonging.",
                               ge=-20, le=20)
    trust_effect: float = P(6.0, "log-odds per unit trust", "assumption",
                            "Effect of participants' mean trust above 0.5.", ge=0, le=100)
    belonging_effect: float = P(4.0, "log-odds per unit belonging", "assumption",
                                "Effect of community belonging above 0.5.", ge=0, le=100)
    quorum_effect: float = P(2.0, "log-odds at full quorum", "assumption",
                             "Effect of a full meeting.", ge=0, le=100)
    facilitation_hours: float = P(4.0, "hours", "assumption",
                                  "Social-worker hours to facilitate a meeting.", ge=0, le=100)
    open_dispute_trust_loss: float = P(0.0005, "trust/week per open dispute per 1,000 households",
                                       "assumption", "Weekly trust every resident loses per open "
                                       "dispute per 1,000 households of their community.", ge=0, le=1)
    resolved_trust_gain: float = P(0.01, "trust", "seed 001: 'smiles, harmony'",
                                   "Trust and belonging gained by participants when a dispute is resolved.",
                                   ge=0, le=1)


class Social(Section):
    initial_trust_mean: float = P(0.5, "trust (0-1)", "assumption", "Mean initial trust in institutions.",
                                  ge=0, le=1)
    initial_belonging_mean: float = P(0.45, "belonging (0-1)", "assumption", "Mean initial belonging.",
                                      ge=0, le=1)
    initial_spread: float = P(0.15, "sd", "assumption", "Spread of initial trust and belonging.", ge=0,
                              le=1, when=When.SETUP)
    diffusion_per_week: float = P(0.05, "share/week", "assumption (Janssen et al. 2022)",
                                  "Weekly pull of trust and belonging toward network neighbours.", ge=0,
                                  le=1)
    reversion_per_week: float = P(0.01, "share/week", "assumption: attitudes drift back over about two years",
                                  "Weekly drift of trust and belonging back to their initial means.",
                                  ge=0, le=1)
    unmet_trust_loss: float = P(0.002, "trust/week", "assumption",
                                "Weekly trust lost while a found need waits unserved.", ge=0, le=1)
    willingness_mean: float = P(0.3, "share (0-1)", "DOMAIN: ~30% of adults volunteer (2021)",
                                "Mean willingness to take part in community life.", ge=0, le=1, when=When.SETUP)
    willingness_shape: float = P(2.0, "Beta shape a", "structural assumption: a unimodal Beta",
                                 "First shape parameter of the Beta distribution of willingness.", ge=0.1, le=100,
                                 when=When.SETUP)
    initial_wellbeing: float = P(0.7, "wellbeing (0-1)", "assumption", "Every resident's wellbeing at week 0.",
                                 ge=0, le=1, when=When.SETUP)


class Event(Section):
    week: int = Field(ge=0, description="Week at which the change applies [weeks].")
    set: dict[str, Any] = Field(default_factory=dict,
                                description="Dotted parameter paths and their new values.")
    scale: dict[str, float] = Field(default_factory=dict,
                                    description="Dotted parameter paths and factors to multiply by.")
    label: str = Field("", description="What the event stands for.")

    @model_validator(mode="after")
    def _non_empty(self) -> Event:
        if not self.set and not self.scale:
            raise ValueError("a timeline event needs 'set' or 'scale'")
        return self


class Scenario(Section):
    """A whole scenario: what a YAML file resolves to."""

    name: str = Field("scenario", description="Short name, used for output folders.")
    description: str = Field("", description="One line on what the scenario stands for.")
    simulation: Simulation = Field(default_factory=Simulation)
    population: Population = Field(default_factory=Population)
    network: Network = Field(default_factory=Network)
    needs: Needs = Field(default_factory=Needs)
    discovery: Discovery = Field(default_factory=Discovery)
    workforce: Workforce = Field(default_factory=Workforce)
    funding: Funding = Field(default_factory=Funding)
    community_fund: CommunityFund = Field(default_factory=CommunityFund)
    services: Services = Field(default_factory=Services)
    volunteers: Volunteers = Field(default_factory=Volunteers)
    enterprises: Enterprises = Field(default_factory=Enterprises)
    deliberation: Deliberation = Field(default_factory=Deliberation)
    social: Social = Field(default_factory=Social)
    timeline: list[Event] = Field(default_factory=list, description="Dated policy events.")

    @field_validator("name")
    @classmethod
    def _name_is_path_safe(cls, v: str) -> str:
        return path_safe_name(v)

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        sim = self.simulation
        if sim.warmup_weeks >= sim.horizon_weeks:
            raise ValueError(f"simulation.warmup_weeks ({sim.warmup_weeks}) must be less than "
                             f"simulation.horizon_weeks ({sim.horizon_weeks})")
        if self.funding.ngos > max(1, self.population.communities) * 100:
            raise ValueError("funding.ngos must be at most 100 per community")
        for i, ev in enumerate(self.timeline):
            if ev.week >= sim.horizon_weeks:
                raise ValueError(f"timeline[{i}].week is {ev.week}, past the horizon of "
                                 f"{sim.horizon_weeks} weeks")
        return self

