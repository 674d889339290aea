"""A student in a real browser on the class hub: log in, fetch, open, run, save, submit.

Debian's chromium driven by Playwright (never a downloaded browser) against ``course hub`` on
loopback (``hub_fixtures.class_hub``). A screenshot is taken after every step; when the test fails
the message names the folder holding them.
"""

from __future__ import annotations

import json
import pwd
import shutil
from pathlib import Path

import pytest

from hub_fixtures import BIN, class_hub  # noqa: F401 (class_hub is a fixture)

pytestmark = [pytest.mark.root, pytest.mark.hub, pytest.mark.browser]

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking"]
ASSIGNMENT = "02_stft"
PART_A = "Part A: framing a signal"


@pytest.fixture
def browser_page():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} missing: run `make system-deps` (Debian's chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (python) not installed")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.set_default_timeout(60_000)
            yield page
        finally:
            browser.close()


def test_student_fetches_runs_saves_and_submits_in_the_browser(class_hub, browser_page, tmp_path):
    """Login form -> Assignment List -> Fetch -> open 02_stft -> run a cell -> save -> Submit."""
    hub, page = class_hub, browser_page
    student = hub.students[-1]
    shots = tmp_path / "screenshots"
    shots.mkdir()
    step = {"n": 0, "name": "start"}

    def shot(name: str) -> None:
        step["n"] += 1
        step["name"] = name
        page.screenshot(path=str(shots / f"{step['n']:02d}_{name}.png"))

    hub.instructor_run(str(BIN / "course"), "release", ASSIGNMENT)
    hub.instructor_run(str(BIN / "nbgrader"), "release_assignment", ASSIGNMENT, "--force")
    inbox = hub.exchange / "inbound" / student
    before = set(inbox.iterdir())
    try:
        page.goto(f"{hub.url}/hub/login")
        page.fill("#username_input", student)
        page.fill("#password_input", hub.passwords[student])
        shot("login_form")
        page.click("#login_submit")
        page.wait_for_url(f"**/user/{student}/lab**", timeout=180_000)
        page.locator("#jp-main-dock-panel").wait_for()
        shot("lab")
        assert page.get_by_text("Formgrader", exact=True).count() == 0

        page.locator("#jp-MainMenu").get_by_text("Nbgrader", exact=True).click()
        shot("nbgrader_menu")
        menu = page.locator("#jp-mainmenu-nbgrader")
        assert menu.get_by_text("Formgrader").count() == 0, "a student's menu offers the Formgrader"
        menu.get_by_text("Assignment List", exact=True).click()
        fetch = page.get_by_role("button", name="Fetch", exact=True)
        fetch.wait_for()
        shot("assignment_list")
        fetch.click()
        fetched = page.locator("#fetched_assignments_list")
        fetched.locator(".assignment-notebooks-link").click()  # unfolds the assignment's notebooks
        shot("fetched")
        fetched.locator("a:not(.assignment-notebooks-link)", has_text=ASSIGNMENT).first.click()
        page.locator(".jp-NotebookPanel").first.wait_for()
        shot("notebook_open")
        # The notebook renders cells as they scroll into view: go to Part A by its table of contents.
        page.locator('.jp-SideBar [data-id="table-of-contents"]').click()
        page.locator(".jp-tocItem-content", has_text=PART_A).first.click()
        part_a = page.locator(".jp-MarkdownCell", has=page.locator("h2", has_text=PART_A))
        part_a.wait_for(timeout=60_000)
        shot("part_a")

        stub = page.locator(".jp-CodeCell", has_text="def frame_signal").first  # Part A's stub
        stub.locator(".cm-content").click()
        page.keyboard.press("Control+Enter")
        stub.locator(".jp-InputPrompt", has_text="[1]").wait_for(timeout=180_000)
        shot("cell_ran")
        page.keyboard.press("Control+s")
        page.wait_for_timeout(1500)
        shot("saved")

        page.locator(".lm-TabBar-tab", has_text="Assignments").first.click()  # back to the panel
        fetched.get_by_role("button", name="Submit", exact=True).first.click()
        page.locator("#submitted_assignments_list").get_by_text(ASSIGNMENT).first.wait_for(
            timeout=120_000)
        shot("submitted")
    except Exception as err:
        page.screenshot(path=str(shots / "failure.png"))
        raise AssertionError(f"browser step after {step['name']!r} failed: {err}\n"
                             f"screenshots in {shots}") from err

    new = [p for p in inbox.iterdir() if p not in before]
    assert len(new) == 1, f"expected one new submission in {inbox}, found {new}; screenshots in {shots}"
    nb = json.loads((new[0] / f"{ASSIGNMENT}.ipynb").read_text())
    ran = [c.get("execution_count") for c in nb["cells"] if "def frame_signal" in "".join(c["source"])]
    assert ran == [1], f"the submitted notebook is not the saved one (the stub's count: {ran})"
    assert new[0].stat().st_uid == pwd.getpwnam(student).pw_uid, "submission not owned by the student"
    shutil.rmtree(shots)  # passed: screenshots are only kept for failures
