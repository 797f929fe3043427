"""The community co-governance model (三社联动 / 五社联动).

Reading :meth:`CommunityModel.step` gives the whole weekly schedule.
"""

from __future__ import annotations

import math
from typing import Any

import mesa
import numpy as np

from . import metrics
from .accounts import Accounts, CommunityFund, Tally
from .agents import NGO, Enterprise, Resident, SocialWorker, Volunteer, resident_agents
from .errors import InvariantError
from .population import NeedState, build_network, build_residents
from .scenario import load_scenario
from .schema import Scenario
from .submodels import (
    deliberation,
    discovery,
    funding,
    needs,
    partners,
    services,
    social,
    timeline,
    volunteering,
    workforce,
)

ROSTER_KINDS = (SocialWorker, NGO, Enterprise)


class CommunityModel(mesa.Model):
    """One street's communities, their residents and the five kinds of actor.

    Args:
        scenario: a :class:`~sim.schema.Scenario`, a YAML path, a bundled
            scenario name, a mapping, or ``None`` for the defaults.
        rng: seed or generator; ``None`` takes ``simulation.seed``.
        **overrides: flat parameter names joined by ``__``
            (``workforce__salary_ratio=0.8``), as ``mesa.batch_run`` passes them.
    """

    def __init__(self, scenario: Scenario | str | dict | None = None, rng: Any = None,
                 **overrides: Any):
        s = load_scenario(scenario, overrides or None)
        s = s.model_copy(deep=True)
        if rng is None:
            rng = s.simulation.seed
        super().__init__(rng=rng)
        self.s = s
        self.week = 0
        self.next_wid = 0
        self.events_applied: list[tuple[int, str]] = []
        self.separations: list[tuple[int, int, str, bool]] = []
        self.local_wage = s.workforce.local_average_wage_yuan_year

        self.residents = build_residents(s, self.rng)
        n = self.residents.n
        n_c = self.residents.n_communities
        adjacency = build_network(self.residents, s, self.rng)
        self.adjacency = adjacency
        self.social = social.SocialNetwork(adjacency, int(s.network.max_activity_ties * n / 2))
        self.needs = NeedState(n)
        self.needs.weekly_hazard = needs.weekly_hazard(self)
        self.volunteers = volunteering.VolunteerState(n)
        self.disputes_open = np.zeros(n_c, dtype=np.int64)
        self.reached = np.zeros(n, dtype=bool)
        self.volunteer_coverage = np.ones(n_c)
        self.volunteer_task_hours = np.zeros(n_c)
        self.volunteer_visit_hours = np.zeros(n_c)
        self.accounts = Accounts()
        self.tally = Tally(n_c)
        self.fund = CommunityFund(self.accounts, n_c, s.community_fund.initial_balance_yuan)
        self.accounts.initial_held += float(self.fund.balance.sum())
        self.funding = funding
        self._rosters: dict = {}
        self._new_staff: list[SocialWorker] = []

        if s.simulation.resident_agents:
            self.resident_views = resident_agents(self)
        funding.setup(self)
        workforce.allocate_time(self)
        volunteering.setup(self)
        partners.setup(self)
        self.headcount_start = len(self.workers)
        self.volunteers_start = int(self.volunteers.active.sum())
        self.tally.reset()
        self.recorder = metrics.Recorder(self)
        self.datacollector = mesa.DataCollector(model_reporters=metrics.reporters())
        self.running = True

    # The weekly schedule -------------------------------------------------
    def step(self) -> None:
        """One week."""
        self.tally.reset()
        self.accounts.new_week()
        self.reached[:] = False
        timeline.apply(self)                 # dated policy events
        self.advance_wages()                 # local wage growth, yearly pay review
        funding.pay_in(self)                 # contract instalments, foundation grants
        self.fund.receive(self.s.community_fund.charity_market_yuan_year / 52.0,
                          "charity_market")
        needs.arise(self)                    # new needs by resident profile
        deliberation.arise(self)             # public disputes
        workforce.allocate_time(self)        # each worker's 40 hours
        volunteering.plan_hours(self)        # coordinated volunteer hours
        discovery.find(self)                 # self-report, visits, referrals -> ledger
        services.casework(self)              # progress on held cases
        services.enterprise_services(self)   # in-kind services from partners
        services.assistance(self)            # small assistance from the community fund
        services.volunteer_tasks(self)       # light tasks by coordinated volunteers
        services.group_work(self)            # group sessions for waiting needs
        deliberation.meet(self)              # monthly deliberation day
        services.activities(self)            # activities: belonging, trust, ties
        services.assign_cases(self)          # workers take new cases by priority
        needs.progress(self)                 # waiting needs escalate or lapse
        social.update(self)                  # trust and belonging on the network
        volunteering.update(self)            # motivation, drop-out, recruitment
        partners.update(self)                # enterprise engagement and donations
        workforce.update(self)               # burnout, quits, hiring
        funding.pay_out(self)                # salaries, overhead, layoffs
        funding.contracts(self)              # evaluation, renewal, re-tender
        self.week += 1
        self.recorder.record(self)
        self.datacollector.collect(self)
        if self.s.simulation.check_invariants:
            self.check_invariants()
        if self.week >= self.s.simulation.horizon_weeks:
            self.running = False

    def advance_wages(self) -> None:
        p = self.s.workforce
        self.local_wage *= (1.0 + p.wage_growth_per_year) ** (1.0 / 52.0)
        if self.week > 0 and self.week % 52 == 0:
            workforce.pay_review(self)

    def run(self, weeks: int | None = None) -> None:
        for _ in range(weeks if weeks is not None else self.s.simulation.horizon_weeks):
            self.step()

    # Views ------------------------------------------------------------------
    # The few actors are read many times a week and change rarely: their lists,
    # in creation order, are kept until an actor of that kind comes or goes.
    def register_agent(self, agent: mesa.Agent) -> None:
        super().register_agent(agent)
        kind = type(agent)
        if kind in ROSTER_KINDS:
            roster = self._rosters.get(kind)
            if roster is not None:
                self._rosters[kind] = [*roster, agent]  # the newest comes last in creation order
            if kind is SocialWorker:
                self._new_staff.append(agent)

    def deregister_agent(self, agent: mesa.Agent) -> None:
        super().deregister_agent(agent)
        if type(agent) in ROSTER_KINDS:
            self._rosters.clear()
            self._new_staff.clear()

    def _roster(self, kind: type) -> list:
        roster = self._rosters.get(kind)
        if roster is None:
            roster = sorted(self.agents_by_type.get(kind, []), key=lambda a: a.unique_id)
            self._rosters[kind] = roster
        return roster

    @property
    def workers(self) -> list[SocialWorker]:
        return self._roster(SocialWorker)

    @property
    def ngos(self) -> list[NGO]:
        return self._roster(NGO)

    @property
    def enterprises(self) -> list[Enterprise]:
        return self._roster(Enterprise)

    def staff(self, ngo: NGO) -> list[SocialWorker]:
        """The agency's workers, in hiring order (do not modify the list)."""
        by_employer = self._rosters.get("staff")
        if by_employer is None:
            by_employer = {}
            for w in self.workers:
                by_employer.setdefault(w.employer, []).append(w)
            self._rosters["staff"] = by_employer
        elif self._new_staff:
            # Hired since the grouping was built (their employer is set by now).
            for w in self._new_staff:
                by_employer[w.employer] = [*by_employer.get(w.employer, []), w]
        self._new_staff.clear()
        return by_employer.get(ngo, [])

    def neighbour_sum(self, x: np.ndarray) -> np.ndarray:
        return self.social.neighbour_sum(x)

    def summary(self) -> dict[str, float]:
        """Key performance indicators after warm-up (flat keys)."""
        return metrics.summary(self)

    def held_money(self) -> float:
        return math.fsum(n.cash for n in self.ngos) + float(self.fund.balance.sum())

    def check_invariants(self) -> None:
        """Conservation of money, people and needs; no negative stocks; shares in [0, 1]."""
        t = self.recorder.totals
        held = self.held_money()
        expected = self.accounts.expected_held()
        if not np.isclose(held, expected, rtol=1e-9, atol=1e-3):
            raise InvariantError(f"week {self.week}: money held {held:.2f} != in - out {expected:.2f}")
        heads = len(self.workers)
        if t["sw_hires"] - t["sw_quits"] - t["sw_layoffs"] != heads - self.headcount_start:
            raise InvariantError(f"week {self.week}: hires - separations != change in headcount")
        active = int(self.volunteers.active.sum())
        if t["volunteer_recruits"] - t["volunteer_dropouts"] != active - self.volunteers_start:
            raise InvariantError(f"week {self.week}: volunteer recruits - drop-outs != change")
        open_now = int(self.needs.open.sum())
        if t["needs_arisen"] != t["needs_resolved"] + t["needs_dropped"] + open_now:
            raise InvariantError(f"week {self.week}: arisen != resolved + dropped + open")
        if any(n.cash < -1e-6 for n in self.ngos) or (self.fund.balance < -1e-6).any():
            raise InvariantError(f"week {self.week}: negative money stock")
        r = self.residents
        for name in ("trust", "belonging", "wellbeing", "willingness"):
            arr = getattr(r, name)
            if not (np.all(arr >= 0) and np.all(arr <= 1)):
                raise InvariantError(f"week {self.week}: {name} outside [0, 1]")
        needs = self.needs
        if (needs.found & ~needs.open).any() or ((needs.worker >= 0) & ~needs.found).any():
            raise InvariantError(f"week {self.week}: a case not on the ledger, or a closed need listed")
        sev = needs.severity
        if not (np.all(sev >= 0) and np.all(sev <= 1)):
            raise InvariantError(f"week {self.week}: severity outside [0, 1]")
        for w in self.workers:
            if not (0 <= w.burnout <= 1 and 0 <= w.satisfaction <= 1):
                raise InvariantError(f"week {self.week}: worker {w.wid} state outside [0, 1]")
        row = self.recorder.last
        bad = [k for k, v in row.items() if not np.isfinite(v)]
        if bad:
            raise InvariantError(f"week {self.week}: non-finite output {bad}")


__all__ = ["CommunityModel", "Resident", "SocialWorker", "Volunteer", "NGO", "Enterprise"]
