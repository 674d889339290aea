"""The course website (site/, `make site`): every assignment has its page, no solution leaks, links
resolve, and a page opens in Chromium (its screenshot is kept as the test's artifact)."""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from test_browser_lab import CHROMIUM, browser  # noqa: F401  (the Chromium fixture)

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENTS = sorted(p.name for p in (ROOT / "notebooks").iterdir() if (p / f"{p.name}.ipynb").exists())
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
BUILD_TIMEOUT_S = 900  # about 2 min here on 2 busy cores


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The site built by the same command as `make site`, into a temporary folder."""
    out = tmp_path_factory.mktemp("site")
    jb = Path(sys.executable).with_name("jupyter-book")
    proc = subprocess.run([str(jb), "build", ".", "--config", "site/_config.yml", "--toc",
                           "site/_toc.yml", "--path-output", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=BUILD_TIMEOUT_S)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "WARNING" not in proc.stdout + proc.stderr, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out / "_build" / "html"


def page_text(path: Path) -> str:
    """The visible text of an HTML page (tags removed, so highlighted code reads as written)."""
    return html.unescape(re.sub(r"<[^>]+>", "", path.read_text(encoding="utf-8")))


def words(text: str) -> str:
    """The words of a text, so that Sphinx's typographic quotes compare equal to plain ones."""
    return " ".join(re.findall(r"\w+", text))


def hidden_lines(assignment: str) -> set[str]:
    """Lines of solutions/ inside solution or hidden-test regions that no student release holds."""
    source = json.loads((ROOT / "solutions" / assignment / f"{assignment}.ipynb").read_text())
    released = "\n".join("".join(cell["source"]) for nb in (ROOT / "notebooks").glob("*/*.ipynb")
                          for cell in json.loads(nb.read_text())["cells"])  # any release
    lines, inside = set(), False
    for cell in source["cells"]:
        for ln in "".join(cell["source"]).splitlines():
            if "BEGIN SOLUTION" in ln or "BEGIN HIDDEN TESTS" in ln:
                inside = True
            elif "END SOLUTION" in ln or "END HIDDEN TESTS" in ln:
                inside = False
            elif inside and len(ln.strip()) >= 12 and ln.strip() not in released:
                lines.add(ln.strip())
        inside = False
    return lines


def test_every_assignment_has_its_page(site):
    assert len(ASSIGNMENTS) == 8
    for name in ASSIGNMENTS:
        page = site / "notebooks" / name / f"{name}.html"
        assert page.exists(), f"no page for {name} in {site}"
        nb = json.loads((ROOT / "notebooks" / name / f"{name}.ipynb").read_text())
        title = next(ln for c in nb["cells"] if c["cell_type"] == "markdown"
                     for ln in "".join(c["source"]).splitlines() if ln.startswith("# "))
        assert words(title[2:]) in words(page_text(page)), f"{page} lacks its title {title!r}"
        assert "NotImplementedError" in page_text(page), f"{page} is not the student release"
    index = page_text(site / "site" / "index.html")  # index.html itself redirects there
    assert "Syllabus" in index and "Two commands on a fresh machine" in index
    assert "Provenance and licences" in page_text(site / "data" / "README.html")
    for doc in ("site/instructors", "docs/hub", "docs/lms", "docs/postgres", "docs/deploy"):
        assert (site / f"{doc}.html").exists(), f"instructor guide page {doc} missing"
    assert "course autograde" in page_text(site / "site" / "instructors.html")


def test_pages_hold_no_solution_or_hidden_test(site):
    pages = {p: page_text(p) for p in site.rglob("*.html")}
    for p, text in pages.items():
        found = [m for m in MARKERS if m in text]
        assert not found, f"{p} holds {found}"
    for name in ASSIGNMENTS:
        lines = hidden_lines(name)
        assert lines, f"no solution lines found in solutions/{name}: the check would prove nothing"
        for p, text in pages.items():
            leaked = [ln for ln in lines if ln in text]
            assert not leaked, f"{p} holds lines of solutions/{name}: {leaked[:3]}"


def test_every_internal_link_resolves(site):
    broken, checked = [], 0
    for page in site.rglob("*.html"):
        if "_static" in page.parts:  # the theme's Jinja templates, not pages
            continue
        for ref in re.findall(r'(?:href|src)="([^"]+)"', page.read_text(encoding="utf-8")):
            parts = urlsplit(html.unescape(ref))
            if parts.scheme or parts.netloc or not (parts.path or parts.fragment):
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            checked += 1
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append((page.relative_to(site), ref))
            elif parts.fragment and target.suffix == ".html" and \
                    f'id="{parts.fragment}"' not in target.read_text(encoding="utf-8"):
                broken.append((page.relative_to(site), ref))
    assert checked > 100
    assert not broken, f"{len(broken)} broken internal links, e.g. {broken[:5]}"


def test_maths_and_tables_are_kept(site):
    page = (site / "notebooks" / "02_stft" / "02_stft.html").read_text(encoding="utf-8")
    assert 'class="math' in page
    syllabus = (site / "site" / "index.html").read_text(encoding="utf-8")
    assert "<table" in syllabus and 'href="../notebooks/02_stft/02_stft.html"' in syllabus


@pytest.mark.browser
def test_a_page_opens_in_chromium(site, browser, request):  # noqa: F811
    shot = Path(request.config.rootpath) / "site" / "_build" / "test_site_02_stft.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto((site / "notebooks" / "02_stft" / "02_stft.html").as_uri())
    page.wait_for_load_state("load")
    assert "STFT" in page.title()
    assert page.locator("nav").count() > 0
    assert page.get_by_role("link", name=re.compile("Audio basics")).count() > 0
    page.screenshot(path=str(shot), full_page=False)
    print(f"screenshot: {shot}")
    assert shot.stat().st_size > 10_000
