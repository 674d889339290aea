"""Student mode in a real browser: no instructor panel, and Validate reports on the notebook.

Debian's chromium, driven by Playwright, opens JupyterLab started the way ``make lab`` starts it
(``course lab --student`` on a copy of the release, 127.0.0.1, a token). The same checks run on
an instructor's server as a control: there they must find the Nbgrader menu, Formgrader and the
Create Assignment sidebar, so that finding none of them for a student means something.
Screenshots go to the test's ``tmp_path`` (pytest keeps the last three runs; failures name it).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from nbgrader_helpers import RELEASE, make_course
from test_lab import running_lab

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking"]
NOTEBOOK = "01_audio_basics/01_audio_basics.ipynb"
# What an instructor sees and a student must not (menu items, palette entries, sidebar tabs).
INSTRUCTOR_WORDS = ("Formgrader", "Create Assignment", "Course List", "Manage Assignments",
                    "Assignment List")
UI_TIMEOUT_MS = 120_000  # JupyterLab's first load on 2 busy cores
VALIDATE_TIMEOUT_MS = 300_000  # nbgrader runs the whole notebook in a new kernel


@pytest.fixture()
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"no {CHROMIUM} (Debian's chromium: make system-deps)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (pip, dev extra)")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture()
def shots(tmp_path, request):
    """A screenshot folder; a failing test names it in its message."""
    folder = tmp_path / "screenshots"
    folder.mkdir()
    yield folder
    print(f"screenshots of {request.node.name}: {folder}")


def shoot(page, folder: Path, name: str) -> Path:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def open_lab(page, url: str) -> None:
    page.goto(url, timeout=UI_TIMEOUT_MS)
    page.wait_for_selector("#jp-menu-panel .lm-MenuBar-itemLabel", timeout=UI_TIMEOUT_MS)
    page.wait_for_selector(".jp-DirListing-item", timeout=UI_TIMEOUT_MS)  # file browser filled


def instructor_ui(page) -> dict[str, list[str]]:
    """The nbgrader instructor entries on screen: top menus, sidebar tabs, palette items."""
    menus = page.locator("#jp-menu-panel .lm-MenuBar-itemLabel").all_inner_texts()
    tabs = page.eval_on_selector_all(
        ".jp-SideBar .lm-TabBar-tab",
        "els => els.map(e => (e.getAttribute('title') || '') + ' ' + e.innerText)")
    page.keyboard.press("Control+Shift+C")  # the command palette
    search = page.locator(".lm-CommandPalette-input")
    search.wait_for(timeout=UI_TIMEOUT_MS)
    search.fill("nbgrader")
    page.wait_for_timeout(500)
    palette = page.locator(".lm-CommandPalette-item").all_inner_texts()
    search.fill("")
    page.keyboard.press("Escape")
    found = {"menus": [m for m in menus if m == "Nbgrader"],
             "sidebar tabs": [t for t in tabs if any(w in t for w in INSTRUCTOR_WORDS)],
             "palette": [p for p in palette if any(w in p for w in INSTRUCTOR_WORDS)],
             "page text": [w for w in INSTRUCTOR_WORDS if w in page.inner_text("body")]}
    assert "File" in menus and "Kernel" in menus, f"menu bar not read: {menus}"
    return found


def student_course(tmp_path: Path) -> Path:
    """A copy of the release as make lab sees it, with nbgrader's exchange set to a missing folder."""
    course = tmp_path / "course"
    course.mkdir()
    shutil.copy(RELEASE.parent / "nbgrader_config.py", course)
    shutil.copytree(RELEASE, course / "notebooks")
    with open(course / "nbgrader_config.py", "a") as f:  # no exchange, whatever this machine has
        f.write(f"\nc.Exchange.root = {str(tmp_path / 'no-exchange')!r}\n")
    return course


def test_student_mode_shows_no_instructor_panel_and_validates(browser, shots, tmp_path):
    """make lab's student mode: no instructor entry anywhere, Validate reports the release's failures."""
    course = student_course(tmp_path)
    with running_lab(course, "--student", log=tmp_path / "lab.log") as (base, token):
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        try:
            open_lab(page, f"{base}/lab?{token}")
            shoot(page, shots, "01_lab")
            found = instructor_ui(page)
            assert not any(found.values()), f"instructor entries shown to a student: {found}; see {shots}"

            page.goto(f"{base}/lab/tree/{NOTEBOOK}?{token}", timeout=UI_TIMEOUT_MS)
            button = page.locator(".jp-NotebookPanel-toolbar .validate-button")
            button.wait_for(timeout=UI_TIMEOUT_MS)
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=UI_TIMEOUT_MS)
            shoot(page, shots, "02_notebook")
            button.click()
            dialog = page.locator(".jp-Dialog")
            dialog.wait_for(timeout=VALIDATE_TIMEOUT_MS)
            shoot(page, shots, "03_validate")
            text = dialog.inner_text()
            assert "Validation Results" in text, f"not nbgrader's report: {text[:500]}; see {shots}"
            assert page.locator("#validation-message.validation-failed").count() == 1, (
                f"the release fails its tests, the report must say so: {text[:800]}; see {shots}")
            assert "The following cell failed:" in text and "NotImplementedError" in text, text[:800]
        finally:
            page.close()


def test_control_instructor_mode_shows_them(browser, shots, tmp_path):
    """Control for the check above: on an instructor's server it finds every instructor entry."""
    course = make_course(tmp_path)
    with running_lab(course, log=tmp_path / "lab.log") as (base, token):
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        try:
            open_lab(page, f"{base}/lab?{token}")
            found = instructor_ui(page)
            page.locator("#jp-menu-panel .lm-MenuBar-itemLabel", has_text="Nbgrader").click()
            page.locator(".lm-Menu").wait_for(state="visible", timeout=UI_TIMEOUT_MS)
            shoot(page, shots, "instructor_menu")
            items = [t for t in page.locator(".lm-Menu .lm-Menu-itemLabel").all_inner_texts() if t]
            assert found["menus"] == ["Nbgrader"], found
            assert any("Create Assignment" in t for t in found["sidebar tabs"]), found
            assert any("Formgrader" in t for t in found["palette"]), found  # the palette is read too
            assert {"Formgrader", "Course List"} <= set(items), items
        finally:
            page.close()
