"""The HTML reports in a real browser: headless Chromium (Debian's chromium and chromium-driver, which
``.ci/run`` installs) loads them without console errors and shows the score curves and the events."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from vadkit.report.prediction_report import ReportHeader, ReportVideo, write_prediction_report
from vadkit.types import Event, EventInterval, GroundTruth

webdriver = pytest.importorskip("selenium.webdriver")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="headless Chromium (chromium, chromium-driver) not installed",
)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,1600"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = webdriver.ChromeService(executable_path=CHROMEDRIVER)
    driver = webdriver.Chrome(options=options, service=service)
    try:
        yield driver
    finally:
        driver.quit()


def _report(folder: Path) -> Path:
    """A prediction report of two videos: one with two events (thumbnails, classes, evidence), one without."""
    rng = np.random.default_rng(0)
    scores = np.clip(rng.normal(0.2, 0.05, 300), 0, 1).astype(np.float32)
    scores[60:120] = 0.9
    scores[200:240] = 0.8
    events = [
        Event("clip_a", 60, 120, 15.0, 0.9, 0.9, "Fighting", 0.7, "Two people fight.", {"summary": "speed"}),
        Event("clip_a", 200, 240, 15.0, 0.8, 0.8, None, None, "Someone runs.", {"summary": "direction"}),
    ]
    thumb = np.zeros((48, 64, 3), dtype=np.uint8)
    thumb[10:30, 10:40] = (255, 0, 0)
    labels = np.r_[np.zeros(60), np.ones(60), np.zeros(180)].astype(np.uint8)
    truth = GroundTruth("clip_a", labels, events=(EventInterval(60, 120),))
    videos = [
        ReportVideo("clip_a", 15.0, scores, events, [[thumb, thumb], [thumb]], truth),
        ReportVideo("clip_b", 15.0, np.full(150, 0.1, dtype=np.float32), []),
    ]
    header = ReportHeader("vadkit predict: test", ("Model: test.",), {"broken": "cannot be opened"})
    return write_prediction_report(folder / "report.html", header, videos, 0.5)


def test_prediction_report_renders_in_chromium(browser: object, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    path = _report(tmp_path)
    browser.get(path.as_uri())
    severe = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert severe == []
    assert browser.title == "vadkit predict: test"
    curves = browser.find_elements(By.CSS_SELECTOR, "img.curve")
    assert len(curves) == 2
    for image in [*curves, *browser.find_elements(By.CSS_SELECTOR, "img.thumb")]:
        # decoded and laid out: a broken data URI has naturalWidth 0
        assert browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth", image) > 0
        assert image.size["width"] > 0
    assert len(browser.find_elements(By.CSS_SELECTOR, "img.thumb")) == 3
    sections = browser.find_elements(By.CSS_SELECTOR, "section.video")
    assert [s.find_element(By.TAG_NAME, "h2").text.split()[0] for s in sections] == ["clip_a", "clip_b"]
    rows = sections[0].find_elements(By.CSS_SELECTOR, "table tr")
    assert len(rows) == 3  # header + two events
    assert "Fighting (0.70)" in rows[1].text and "Two people fight." in rows[1].text
    assert "No score stayed above the threshold" in sections[1].text
    assert "broken" in browser.find_element(By.TAG_NAME, "main").text
    browser.save_screenshot(str(tmp_path / "report.png"))
    assert (tmp_path / "report.png").stat().st_size > 10_000


def test_demo_style_eval_report_renders_in_chromium(browser: object, tmp_path: Path) -> None:
    """The evaluation report (vadkit eval / demo) also loads cleanly with its curves."""
    from selenium.webdriver.common.by import By

    from vadkit.eval import evaluate, get_protocol
    from vadkit.report import write_eval_report

    truth = {
        "a": GroundTruth(
            "a", np.r_[np.zeros(32), np.ones(32)].astype(np.uint8), events=(EventInterval(32, 64),)
        ),
        "b": GroundTruth("b", np.zeros(64, dtype=np.uint8)),
    }
    scores = {"a": np.array([0.1, 0.2, 0.8, 0.9]), "b": np.array([0.1, 0.3, 0.2, 0.1])}
    report = evaluate(get_protocol("synthetic"), truth, scores)
    path = write_eval_report(tmp_path, report, truth, scores, 16, 15.0)
    browser.get(path.as_uri())
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []
    image = browser.find_element(By.TAG_NAME, "img")
    assert browser.execute_script("return arguments[0].naturalWidth", image) > 0
    assert "auc_micro" in browser.find_element(By.TAG_NAME, "body").text
