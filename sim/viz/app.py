"""The demo page (Solara): scenario and seed, play / step / reset, policy levers, network and charts.

State lives in ``solara.reactive`` values, which Solara keeps per browser
session, so two students on one server each run their own model.
"""

from __future__ import annotations

import os
import threading
import time
import warnings

import solara

from ..model import CommunityModel
from . import drawing, levers
from .labels import LANGUAGES, cjk_font, t

SCENARIO_ENV = "COGOV_VIZ_SCENARIO"
"""How ``cogov viz`` tells the page which scenario to open first."""
PLAY_INTERVAL_S = 0.25
PLAY_WEEKS = 4
"""Play advances a month per frame, so five years pass in a couple of minutes."""

scenario = solara.reactive(os.environ.get(SCENARIO_ENV, "baseline"))
seed = solara.reactive(42)
lang = solara.reactive("en")
colour_by = solara.reactive("wellbeing")
lever_values: solara.Reactive[dict[str, float]] = solara.reactive({})
model: solara.Reactive[CommunityModel | None] = solara.reactive(None)
week = solara.reactive(0)
start = solara.reactive(0)
"""Model week at which the demo starts: the end of the scenario's warm-up (the demo shows weeks after it)."""
start_totals: solara.Reactive[dict[str, float]] = solara.reactive({})
"""Running totals at the demo's start, so "so far" counts from there."""
marks: solara.Reactive[list[int]] = solara.reactive([])
playing = solara.reactive(False)
notes: solara.Reactive[list[str]] = solara.reactive([])
lock = threading.RLock()
"""Play steps the model in a thread; drawing and lever moves wait for a whole week."""


def restart() -> None:
    """Week 0 of the demo (the settled community after the warm-up), with the levers as they are set."""
    s, _ = levers.demo_scenario(scenario.value)
    if not lever_values.value:
        lever_values.value = levers.lever_values(s)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        m = levers.start_model(s, seed.value, lever_values.value)
    notes.value = sorted({str(w.message) for w in caught})
    playing.value = False
    marks.value = []
    start.value = m.week
    start_totals.value = dict(m.datacollector.totals)
    model.value = m
    week.value = m.week


def choose_scenario(name: str) -> None:
    scenario.value = name
    lever_values.value = levers.lever_values(levers.demo_scenario(name)[0])
    restart()


def set_seed(value: int) -> None:
    seed.value = value
    restart()


def step(weeks: int = 1) -> None:
    m = model.value
    with lock:
        for _ in range(weeks):
            if not m.running:
                playing.value = False
                break
            m.step()
    week.value = m.week


def set_lever(path: str, value: float) -> None:
    """Before the first step a lever sets the start; later it is a policy change that week."""
    lever_values.value = {**lever_values.value, path: value}
    m = model.value
    if m is None or m.week == start.value:
        restart()
    else:
        with lock:
            levers.apply_levers(m, {path: value})
        if m.week not in marks.value:
            marks.value = [*marks.value, m.week]
        week.value = m.week


def draw(figure, m: CommunityModel, *args) -> bytes:
    with lock:
        return drawing.to_png(figure(m, *args))


@solara.component
def LeverSlider(lever: levers.Lever, language: str):
    value = lever_values.value.get(lever.path, lever.low)
    high = lever.high
    if lever.path == "workforce.share_coordination" and model.value is not None:
        high = levers.coordination_limit(model.value.params)
    whole = isinstance(lever.step, int)
    shown = f"{value:,.0f}" if whole else f"{value:.2f}"
    with solara.Column(gap="0px", classes=["cogov-lever"]):
        solara.Text(f"{t(lever.label, language)}: {shown}", style={"font-size": "0.9em"})
        if whole:
            solara.SliderInt("", value=int(value), min=int(lever.low), max=int(high), step=lever.step,
                             on_value=lambda v: set_lever(lever.path, v))
        else:
            solara.SliderFloat("", value=value, min=lever.low, max=high, step=lever.step,
                               on_value=lambda v: set_lever(lever.path, v))


@solara.component
def Controls(language: str):
    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
        if playing.value:
            solara.Button(t("pause", language), icon_name="mdi-pause", color="warning",
                          on_click=lambda: playing.set(False), classes=["cogov-play"])
        else:
            solara.Button(t("play", language), icon_name="mdi-play", color="primary",
                          on_click=lambda: playing.set(True), classes=["cogov-play"],
                          disabled=not (model.value and model.value.running))
        solara.Button(t("step", language), icon_name="mdi-step-forward", on_click=lambda: step(),
                      classes=["cogov-step"], disabled=playing.value)
        solara.Button(t("reset", language), icon_name="mdi-restore", on_click=restart,
                      classes=["cogov-reset"])
        shown = week.value - start.value
        solara.Text(t("week_now", language, n=shown, years=shown / 52),
                    classes=["cogov-week"], style={"font-size": "1.3em", "font-weight": "bold",
                                                   "margin-left": "1em"})


@solara.component
def Kpis(m: CommunityModel, language: str):
    row = m.datacollector.last
    totals, before = m.datacollector.totals, start_totals.value
    separations = sum(totals[k] - before.get(k, 0.0) for k in ("sw_quits", "sw_layoffs"))
    items = (
        ("kpi_workers", f"{len(m.workers)}"),
        ("kpi_separations", f"{separations:.0f}"),
        ("kpi_backlog", f"{row.get('backlog', 0):.0f}"),
        ("kpi_trust", f"{float(m.residents.trust.mean()):.2f}"),
        ("kpi_volunteers", f"{int(m.volunteers.active.sum())}"),
    )
    with solara.Row(style={"flex-wrap": "wrap", "gap": "0.5em"}):
        for key, value in items:
            with solara.Card(margin=0, style={"min-width": "9em", "padding": "0.4em 0.8em"}):
                solara.Text(t(key, language), style={"font-size": "0.85em", "color": "#555"})
                solara.HTML(tag="div", unsafe_innerHTML=value,
                            style={"font-size": "1.6em", "font-weight": "bold"})


@solara.component
def Page():
    language = lang.value
    solara.Title(t("title", language))

    if model.value is None:
        restart()

    def play_loop():
        while playing.value:
            time.sleep(PLAY_INTERVAL_S)
            step(PLAY_WEEKS)

    solara.use_thread(play_loop, dependencies=[playing.value])

    m = model.value
    now = week.value
    _, full = levers.demo_scenario(scenario.value)
    net = solara.use_memo(lambda: draw(drawing.network_figure, m, language, colour_by.value),
                          dependencies=[m, now, language, colour_by.value, marks.value])
    charts = solara.use_memo(lambda: draw(drawing.charts_figure, m, language, marks.value, start.value),
                             dependencies=[m, now, language, marks.value])
    with solara.Sidebar():
        solara.ToggleButtonsSingle(value=lang, classes=["cogov-lang"],
                                   children=[solara.Button(label, value=code)
                                             for code, label in LANGUAGES.items()])
        solara.Select(t("scenario", language), value=scenario.value, values=levers.scenario_names(),
                      on_value=choose_scenario)
        solara.InputInt(t("seed", language), value=seed.value, on_value=set_seed)
        solara.HTML(tag="h3", unsafe_innerHTML=t("levers", language))
        for lever in levers.LEVERS:
            LeverSlider(lever, language)
        solara.Text(t("levers_note", language), style={"font-size": "0.85em", "color": "#555"})

    with solara.Column(style={"padding": "0.5em 1em"}):
        Controls(language)
        if full is not None:
            solara.Warning(t("shrunk", language, name=scenario.value, full=full,
                             shown=m.residents.n, communities=m.residents.n_communities))
        if language == "zh" and cjk_font() is None:
            solara.Info(t("no_cjk_font", language))
        for note in notes.value:
            solara.Warning(note)
        if not m.running:
            solara.Info(t("finished", language))
        Kpis(m, language)
        with solara.Columns([1, 1]):
            with solara.Column():
                with solara.Row(style={"align-items": "center"}):
                    solara.Text(t("colour_by", language))
                    solara.ToggleButtonsSingle(value=colour_by, children=[
                        solara.Button(t(k, language), value=k) for k in ("wellbeing", "open_needs")])
                solara.Image(net, classes=["cogov-network"], width="100%")
            with solara.Column():
                solara.HTML(tag="b", unsafe_innerHTML=t("charts", language))
                solara.Image(charts, classes=["cogov-charts"], width="100%")
