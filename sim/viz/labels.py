"""Every word the demo shows, in English and Chinese, and a CJK font for the figures."""

from __future__ import annotations

import functools
from pathlib import Path

from matplotlib import font_manager

LANGUAGES = {"en": "English", "zh": "中文"}

TEXT: dict[str, tuple[str, str]] = {
    "title": ("Community co-governance: a teaching demo", "社区协同治理教学演示"),
    "language": ("Language", "语言"),
    "scenario": ("Scenario", "情景"),
    "seed": ("Seed", "随机种子"),
    "play": ("Play", "运行"),
    "pause": ("Pause", "暂停"),
    "step": ("Step one week", "前进一周"),
    "reset": ("Reset", "重置"),
    "week": ("week", "周"),
    "week_now": ("Week {n}  ({years:.1f} years)", "第{n}周({years:.1f}年)"),
    "levers": ("Policy levers", "政策杠杆"),
    "levers_note": ("Moving a lever during a run is a policy change in that week (dotted line in "
                    "the charts); pay applies at once, budget and posts at the next contract "
                    "signing. Reset starts again from week 0 with the levers as set.",
                    "运行中调整杠杆即在当周实施政策变化(图中虚线):薪酬立即生效,预算与岗位在下一次"
                    "合同签订时生效。重置则按当前杠杆从第0周重新开始。"),
    "colour_by": ("Colour residents by", "居民着色依据"),
    "wellbeing": ("wellbeing", "福祉"),
    "open_needs": ("open needs", "未满足需求"),
    "network": ("Neighbourhood network", "邻里网络"),
    "network_sample": ("{shown} of {total} residents (whole buildings)",
                       "显示{total}名居民中的{shown}名(整栋楼)"),
    "charts": ("Weekly series", "每周指标"),
    "resident": ("resident", "居民"),
    "volunteer": ("active volunteer", "活跃志愿者"),
    "social_worker": ("social worker", "社工"),
    "ngo": ("social-work agency", "社工机构"),
    "enterprise": ("enterprise partner", "社区合伙人(企业)"),
    "case_link": ("case held by a worker", "社工承接的个案"),
    "needs_count": ("open needs", "未满足需求数"),
    "panel_workforce": ("Social workers and turnover", "社工队伍与流失"),
    "sw_headcount": ("in post", "在岗社工"),
    "sw_posts_funded": ("funded posts", "购买服务岗位"),
    "separations": ("quits + layoffs (cumulative)", "离职+裁员(累计)"),
    "panel_needs": ("Backlog and waiting", "积压与等待"),
    "backlog": ("backlog (found, not taken)", "积压(已发现未承接)"),
    "waiting_list": ("waiting, no worker", "等待中(无社工)"),
    "panel_social": ("Trust and belonging", "信任与归属感"),
    "trust_mean": ("trust", "信任"),
    "belonging_mean": ("belonging", "归属感"),
    "wellbeing_mean": ("wellbeing", "福祉"),
    "panel_volunteers": ("Volunteers", "志愿者"),
    "volunteers_active": ("active volunteers", "活跃志愿者"),
    "kpi_workers": ("Social workers in post", "在岗社工"),
    "kpi_separations": ("Quits and layoffs so far", "累计离职与裁员"),
    "kpi_backlog": ("Backlog", "积压需求"),
    "kpi_trust": ("Mean trust", "平均信任"),
    "kpi_volunteers": ("Active volunteers", "活跃志愿者"),
    "shrunk": ("'{name}' has {full:,} residents; the demo runs it with {shown:,} in {communities} "
               "communities so it stays quick.",
               "情景“{name}”有{full:,}名居民;为保持流畅,演示按{communities}个社区、{shown:,}名居民运行。"),
    "no_cjk_font": ("No Chinese font was found, so the figures stay in English. Install one "
                    "(e.g. Debian's fonts-noto-cjk) to see Chinese labels in the figures.",
                    "未找到中文字体,图中文字保持英文。安装中文字体(如 Debian 的 fonts-noto-cjk)"
                    "后图中即可显示中文。"),
    "finished": ("The scenario's horizon is reached; press Reset to start again.",
                 "已到情景终点;按“重置”重新开始。"),
    "lever_salary": ("Pay (share of local average wage)", "社工薪酬(占当地平均工资比例)"),
    "lever_contract": ("Purchase-of-service budget (yuan per post a year)",
                       "政府购买服务预算(元/岗位/年)"),
    "lever_posts": ("Funded posts per 1,000 residents", "每千名居民购买的社工岗位"),
    "lever_admin": ("Admin burden (share of hours)", "行政事务负担(工时占比)"),
    "lever_coordination": ("Volunteer coordination (share of service hours)",
                           "志愿者协调(服务工时占比)"),
    "lever_partners": ("Enterprise partners per community", "每个社区的企业合伙人"),
}


def t(key: str, lang: str, **fields: object) -> str:
    """The text for ``key`` in ``lang`` ("en" or "zh"), with ``fields`` filled in."""
    en, zh = TEXT[key]
    text = zh if lang == "zh" else en
    return text.format(**fields) if fields else text


CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Source Han Sans SC", "Source Han Sans CN",
                "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Microsoft YaHei", "SimHei",
                "PingFang SC", "Heiti SC", "Droid Sans Fallback")
CJK_FILE_HINTS = ("notosanscjk", "sourcehansans", "wqy", "msyh", "simhei", "pingfang", "droidsansfallback")


@functools.cache
def cjk_font() -> str | None:
    """A font family that can draw Chinese, or ``None``.

    Matplotlib's font cache may predate a font installed later (e.g. fonts-noto-cjk
    installed after matplotlib), so system font files are registered when the
    cache knows none.
    """
    found = _known_cjk()
    if found:
        return found
    for path in font_manager.findSystemFonts():
        if any(hint in Path(path).name.lower().replace("-", "") for hint in CJK_FILE_HINTS):
            font_manager.fontManager.addfont(path)
    return _known_cjk()


def _known_cjk() -> str | None:
    names = {f.name for f in font_manager.fontManager.ttflist}
    return next((family for family in CJK_FAMILIES if family in names), None)


def figure_language(lang: str) -> str:
    """Chinese in figures only when a font can draw it."""
    return "zh" if lang == "zh" and cjk_font() else "en"


def font_rc(lang: str) -> dict[str, object]:
    """Matplotlib settings for figures in ``lang``.

    Families are named outright, not through the generic ``sans-serif`` list, so
    text keeps its font when the figure is saved outside this context.
    """
    family = cjk_font() if figure_language(lang) == "zh" else None
    return {"font.family": ([family] if family else []) + ["DejaVu Sans"], "axes.unicode_minus": False}
