"""The community co-governance model (三社联动 / 五社联动).

Reading :meth:`CommunityModel.step` gives the whole weekly schedule and, in each
call's arguments, the state each mechanism reads and writes (see :mod:`sim.state`).
"""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np

from . import invariants, metrics
from .accounts import Accounts, CommunityFund, Tally
from .agents import NGO, Enterprise, Resident, SocialWorker, Volunteer
from .network import SocialNetwork, build_network
from .population import build_residents
from .scenario import load_scenario
from .schema import Scenario
from .state import (
    Context,
    Disputes,
    LabourMarket,
    NeedState,
    Rosters,
    StreetOffice,
    VolunteerState,
    WeekHours,
    World,
)
from .submodels import (
    deliberation,
    discovery,
    fund,
    funding,
    needs,
    partners,
    pay,
    services,
    social,
    timeline,
    volunteering,
    workforce,
)


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
        s = load_scenario(scenario, overrides or None).model_copy(deep=True)
        super().__init__(rng=s.simulation.seed if rng is None else rng)
        self.world = build_world(self, s)
        w = self.world
        if s.simulation.resident_agents:
            for i in range(w.residents.n):
                Resident(self, i)
        funding.setup(w.rosters, w.office, w.labour, w.accounts, w.residents, w.ctx)
        workforce.allocate_time(w.hours, w.rosters, w.needs, w.disputes, w.labour, w.residents.n_communities,
                                w.ctx)
        volunteering.setup(w.volunteers, w.residents, w.hours, w.rosters, w.ctx)
        partners.setup(w.rosters, w.residents, w.ctx)
        w.ctx.tally.reset()
        self.datacollector = metrics.WeeklyRecord(w)
        self.running = True

    # The weekly schedule -------------------------------------------------
    def step(self) -> None:
        """One week."""
        w, c = self.world, self.world.ctx
        r, n_c = w.residents, w.residents.n_communities
        w.begin_week()
        # Policy, money in, new needs and disputes.
        timeline.apply(w)
        pay.advance_wages(w.labour, w.rosters, c)
        funding.pay_in(w.rosters, w.office, w.accounts, w.fund, r, c)
        fund.charity_inflow(w.fund, c)
        needs.arise(w.needs, c)
        deliberation.arise(w.disputes, r, c)
        # The week's hours: workers' 40 hours, coordinated volunteer hours.
        workforce.allocate_time(w.hours, w.rosters, w.needs, w.disputes, w.labour, n_c, c)
        volunteering.plan_hours(w.volunteers, r, w.hours, c)
        # Finding and serving needs.
        discovery.find(w.needs, r, w.volunteers, w.hours, w.network, c)
        services.casework(w.needs, r, w.hours, c)
        services.enterprise_services(w.needs, r, w.rosters.enterprises, c)
        services.assistance(w.needs, r, w.fund, c)
        services.volunteer_tasks(w.needs, r, w.volunteers, c)
        services.group_work(w.needs, r, w.hours, c)
        deliberation.meet(w.disputes, r, w.hours, c)
        services.activities(r, w.hours, w.fund, w.network, c)
        services.assign_cases(w.needs, r, w.hours, c)
        # The week's consequences.
        needs.progress(w.needs, r, c)
        social.update(r, w.network, w.needs, c)
        volunteering.update(w.volunteers, r, w.hours, w.rosters, c)
        partners.update(w.rosters, w.hours, w.fund, r, c)
        workforce.update(w.rosters, w.labour, w.needs, r, w.volunteers, c)
        pay.careers(w.rosters, c)
        # Agencies: hiring, payroll, contracts.
        funding.recruit(w.rosters, w.labour, r, c)
        funding.pay_out(w.rosters, w.accounts, w.fund, w.labour, w.needs, r, w.volunteers, c)
        funding.contracts(w.rosters, w.office, w.accounts, w.labour, w.needs, r, w.volunteers, c)
        c.week += 1
        self.datacollector.collect(self)
        if c.p.simulation.check_invariants:
            invariants.check(w, self.datacollector)
        if c.week >= c.p.simulation.horizon_weeks:
            self.running = False

    def run(self, weeks: int | None = None) -> None:
        for _ in range(weeks if weeks is not None else self.params.simulation.horizon_weeks):
            self.step()

    # Mesa keeps the agents; the rosters keep the few read every week in order.
    def register_agent(self, agent: mesa.Agent) -> None:
        super().register_agent(agent)
        self.world.rosters.added(agent)

    def deregister_agent(self, agent: mesa.Agent) -> None:
        super().deregister_agent(agent)
        self.world.rosters.removed(agent)

    # Views ------------------------------------------------------------------
    @property
    def params(self) -> Scenario:
        """The scenario's parameters in force (timeline events change them during a run)."""
        return self.world.ctx.p

    @property
    def week(self) -> int:
        return self.world.ctx.week

    @property
    def residents(self):
        return self.world.residents

    @property
    def needs(self) -> NeedState:
        return self.world.needs

    @property
    def volunteers(self) -> VolunteerState:
        return self.world.volunteers

    @property
    def workers(self) -> list[SocialWorker]:
        return self.world.rosters.workers

    @property
    def ngos(self) -> list[NGO]:
        return self.world.rosters.ngos

    @property
    def enterprises(self) -> list[Enterprise]:
        return self.world.rosters.enterprises

    def summary(self) -> dict[str, float]:
        """Key performance indicators after warm-up (flat keys)."""
        return metrics.summary(self.world, self.datacollector)

    def check_invariants(self) -> None:
        """Conservation of money, people and needs; no negative stocks; shares in [0, 1]."""
        invariants.check(self.world, self.datacollector)


def build_world(model: mesa.Model, s: Scenario) -> World:
    """Every block of state, in the order the generator is first drawn from."""
    rng = model.rng
    r = build_residents(s, rng)
    network = SocialNetwork(build_network(r.household, r.building, s, rng),
                            int(s.network.max_activity_ties * r.n / 2))
    n_c = r.n_communities
    accounts = Accounts()
    community_fund = CommunityFund(accounts, n_c, s.community_fund.initial_balance_yuan)
    accounts.initial_held += float(community_fund.balance.sum())
    need_state = NeedState.empty(r.n)
    needs.rebuild_hazard(need_state, r, s.needs)
    return World(
        ctx=Context(p=s, rng=rng, tally=Tally(n_c)),
        residents=r,
        network=network,
        needs=need_state,
        volunteers=VolunteerState.empty(r.n, n_c),
        hours=WeekHours.empty(n_c),
        disputes=Disputes(np.zeros(n_c, dtype=np.int64)),
        accounts=accounts,
        fund=community_fund,
        rosters=Rosters(model),
        labour=LabourMarket(local_wage=s.workforce.local_average_wage_yuan_year),
        office=StreetOffice(ngos_per_community=np.zeros(n_c, dtype=np.int64)),
    )


__all__ = ["CommunityModel", "Resident", "SocialWorker", "Volunteer", "NGO", "Enterprise"]
