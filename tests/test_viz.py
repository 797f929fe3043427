"""The teaching demo without a browser: levers, figures, the page under solara.render, the command."""

from __future__ import annotations

import numpy as np
import pytest

solara = pytest.importorskip("solara", reason="the demo needs the viz extra: pip install 'cogov-sim[viz]'")
v = pytest.importorskip("ipyvuetify")
widgets = pytest.importorskip("ipywidgets")

from sim.cli import main  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402
from sim.submodels import pay  # noqa: E402
from sim.viz import app, drawing, labels, levers  # noqa: E402

PATHS = [lever.path for lever in levers.LEVERS]


@pytest.fixture
def page():
    """A freshly rendered page on the baseline scenario (page state is module-level)."""
    app.scenario.value = "baseline"
    app.seed.value = 42
    app.lang.value = "en"
    app.colour_by.value = "wellbeing"
    app.lever_values.value = {}
    app.model.value = None
    app.playing.value = False
    _, rc = solara.render(solara.AppLayout(children=[app.Page()]), handle_error=False)
    yield rc
    rc.close()


def image(rc, name: str) -> bytes:
    return next(w.value for w in rc.find(widgets.Image).widgets if name in w._dom_classes)


def text(rc, cls: str) -> str:
    return rc.find(v.Html, class_=cls).widget.children[0]


def test_page_renders_steps_and_redraws(page):
    m = app.model.value
    assert app.start.value == m.params.simulation.warmup_weeks == m.week   # the demo opens on a settled community
    assert "Week 0" in text(page, "cogov-week")
    charts0, network0 = image(page, "cogov-charts"), image(page, "cogov-network")
    step = page.find(v.Btn, class_="cogov-step").widget
    step.click()
    step.click()
    assert app.model.value.week == app.start.value + 2
    assert "Week 2" in text(page, "cogov-week")
    assert image(page, "cogov-charts") != charts0
    assert image(page, "cogov-network") != network0
    page.find(v.BtnToggle, class_="cogov-lang").widget.v_model = 1
    assert app.lang.value == "zh"
    assert text(page, "cogov-week").startswith("第2周")
    assert page.find(v.Btn, class_="cogov-step").widget.children[-1] == labels.t("step", "zh")


def test_lever_before_the_first_step_sets_the_start(page):
    slider = page.find(v.Slider).widgets[PATHS.index("workforce.salary_ratio")]
    slider.v_model = 0.9
    m = app.model.value
    assert m.week == app.start.value and m.world.events == []              # rebuilt, not a dated change
    assert m.params.workforce.salary_ratio == pytest.approx(0.9)
    ratios = [w.salary / (m.world.labour.local_wage * pay.career_factor(w.grade, w.certified, m.world.ctx))
              for w in m.workers]
    assert ratios and all(0.9 / 1.1 <= r <= 0.9 + 1e-9 for r in ratios)  # set at the last pay review, wages grown since
    assert app.marks.value == []


def test_lever_during_a_run_is_a_dated_policy_change(page):
    page.find(v.Btn, class_="cogov-step").widget.click()
    m = app.model.value
    page.find(v.Slider).widgets[PATHS.index("workforce.share_coordination")].v_model = 0.3
    w = m.params.workforce
    assert app.model.value is m and m.week == app.start.value + 1
    assert w.share_coordination == pytest.approx(0.3)
    total = w.share_outreach + w.share_casework + w.share_groups + w.share_activities + w.share_coordination
    assert total == pytest.approx(1.0)
    assert app.marks.value == [app.start.value + 1]
    page.find(v.Slider).widgets[PATHS.index("enterprises.partners_per_1000_residents")].v_model = 5
    assert len(m.enterprises) == sum(round(5 * size / 1000) for size in m.residents.community_size)
    page.find(v.Slider).widgets[PATHS.index("workforce.salary_ratio")].v_model = 1.0
    assert min(w.salary for w in m.workers) >= 1.0 * m.world.labour.local_wage - 1e-6


def test_reset_seed_and_scenario_picker_rebuild_from_week_zero(page):
    page.find(v.Btn, class_="cogov-step").widget.click()
    page.find(v.Btn, class_="cogov-reset").widget.click()
    assert app.model.value.week == app.start.value
    first = app.model.value.residents.age.copy()
    app.set_seed(7)
    assert app.model.value.week == app.start.value
    assert not np.array_equal(app.model.value.residents.age, first)
    page.find(v.Select, label="Scenario").widget.v_model = "aging_estate"
    m = app.model.value
    assert m.residents.n == load_scenario("aging_estate").population.residents
    assert app.lever_values.value["enterprises.partners_per_1000_residents"] == 10


def test_without_a_cjk_font_figures_stay_english_with_a_note(page, monkeypatch):
    monkeypatch.setattr(labels, "cjk_font", lambda: None)
    monkeypatch.setattr(app, "cjk_font", lambda: None)
    assert labels.figure_language("zh") == "en"
    app.lang.value = "zh"
    page.find(v.Alert, children=[labels.t("no_cjk_font", "zh")]).assert_single()


def test_cjk_font_found_when_installed():
    if labels.cjk_font() is None:
        pytest.skip("no CJK font installed (e.g. Debian's fonts-noto-cjk)")
    assert labels.figure_language("zh") == "zh"


def test_district_is_shrunk_for_the_demo():
    s, full = levers.demo_scenario("district")
    assert full == load_scenario("district").population.residents
    assert s.population.residents == levers.DEMO_MAX_RESIDENTS
    assert s.population.residents / s.population.communities == pytest.approx(
        full / load_scenario("district").population.communities, rel=0.05)
    assert levers.demo_scenario("baseline")[1] is None


def test_network_sample_and_layout_are_bounded_and_deterministic():
    s, _ = levers.demo_scenario("street_three_level")
    m = levers.build_model(s, 3, levers.lever_values(s))
    shown = drawing.sample(m)
    assert 0 < len(shown) <= drawing.MAX_SHOWN
    np.testing.assert_array_equal(drawing.layout(m, shown), drawing.layout(m, shown))
    state = m.rng.bit_generator.state
    drawing.network_figure(m, "en", "open_needs")
    assert m.rng.bit_generator.state == state, "drawing must not draw from the model's generator"


def test_overrides_keep_time_shares_summing_to_one():
    s, _ = levers.demo_scenario("five_society_linkage")
    values = {**levers.lever_values(s), "workforce.share_coordination": 0.05}
    m = levers.build_model(s, 1, values)
    w = m.params.workforce
    assert w.share_coordination == pytest.approx(0.05)
    assert w.share_casework == pytest.approx(s.workforce.share_casework + s.workforce.share_coordination - 0.05)


def test_viz_command_refuses_unknown_scenario_and_bad_port(capsys):
    assert main(["viz", "no_such_scenario"]) == 2
    assert "no_such_scenario" in capsys.readouterr().err
    assert main(["viz", "baseline", "--port", "70000"]) == 2
    assert "--port" in capsys.readouterr().err
