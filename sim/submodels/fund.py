"""The community fund (社区基金): charity-market income in; activities and assistance draw on it.

A handicraft workshop sells at charity markets and puts the profit into the
fund (seed 001); enterprise partners donate to it (:mod:`.partners`).
"""

from __future__ import annotations

from ..accounts import CommunityFund
from ..state import Context


def charity_inflow(fund: CommunityFund, ctx: Context) -> None:
    fund.receive(ctx.p.community_fund.charity_market_yuan_year / 52.0, "charity_market")
