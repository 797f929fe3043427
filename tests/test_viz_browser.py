"""The demo served for real: `cogov viz` on a loopback port, its page title, and the page driven by headless
Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("solara", reason="the demo needs the viz extra: pip install 'cogov-sim[viz]'")
sync_api = pytest.importorskip("playwright.sync_api",
                               reason="the browser test needs playwright (pip install playwright)")

from sim.viz.labels import t  # noqa: E402

CHROMIUM = os.environ.get("COGOV_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DOCS_SCREENSHOT = Path(__file__).resolve().parent.parent / "docs" / "img" / "viz.png"
TITLE = t("title", "en")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("viz")
    port = free_port()
    log = (folder / "server.log").open("w+")
    proc = subprocess.Popen([sys.executable, "-m", "sim", "viz", "baseline", "--port", str(port)],
                            stdout=log, stderr=subprocess.STDOUT, cwd=folder)
    url = f"http://localhost:{port}/"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                log.seek(0)
                pytest.fail(f"cogov viz did not start:\n{log.read()}")
            time.sleep(0.3)
    yield url, log
    proc.terminate()
    proc.wait(timeout=20)
    log.close()


def test_page_is_served_with_the_projects_title(server):
    url, _ = server
    with urllib.request.urlopen(url, timeout=20) as response:
        html = response.read().decode()
    assert f"<title>{TITLE}</title>" in html
    assert "Solara" not in html.split("<title>")[1].split("</title>")[0]


@pytest.mark.browser
def test_demo_in_chromium(server, tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}; install Debian's chromium (apt-get install chromium)")
    url, log = server
    expect = sync_api.expect
    errors: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(url)
        assert page.title() == TITLE
        week = page.locator(".cogov-week")
        expect(week).to_contain_text("Week 0 ", timeout=30_000)
        expect(page).to_have_title(TITLE)
        charts = page.locator(".cogov-charts img, img.cogov-charts").first
        first_charts = charts.get_attribute("src")

        for n in (1, 2, 3):
            page.locator(".cogov-step").click()
            expect(week).to_contain_text(f"Week {n} ", timeout=20_000)
        expect(charts).not_to_have_attribute("src", first_charts, timeout=20_000)
        before_lever = charts.get_attribute("src")
        if os.environ.get("COGOV_UPDATE_DOCS_SCREENSHOT") == "1":
            # The docs show the demo as a class first sees it: the default baseline, a few weeks in.
            page.screenshot(path=str(DOCS_SCREENSHOT), full_page=True)

        pay = page.locator(".cogov-lever").first
        pay.get_by_role("slider").press("End")
        expect(pay).to_contain_text("1.20", timeout=20_000)
        page.locator(".cogov-step").click()
        expect(week).to_contain_text("Week 4 ", timeout=20_000)
        expect(charts).not_to_have_attribute("src", before_lever, timeout=20_000)

        page.locator(".cogov-lang").get_by_text("中文").click()
        expect(page.locator(".cogov-week")).to_contain_text("第4周", timeout=20_000)
        expect(page).to_have_title(t("title", "zh"))

        assert page.locator(".v-alert.error").count() == 0
        assert "Traceback" not in page.inner_text("body")
        page.screenshot(path=str(tmp_path / "viz.png"), full_page=True)
        page.locator(".cogov-lang").get_by_text("English").click()
        expect(page.locator(".cogov-week")).to_contain_text("Week 4 ", timeout=20_000)
        page.screenshot(path=str(tmp_path / "viz_en.png"), full_page=True)
        browser.close()
    assert not errors, errors
    log.seek(0)
    server_log = log.read()
    assert "Traceback" not in server_log, server_log
