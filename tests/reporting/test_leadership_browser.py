"""The reports as their readers see them, opened in headless Chromium (Debian's `chromium`
package, installed by `make test`) in a 1280 px window. The leadership report: headline sections
and images present, no console errors, no customer identifier anywhere in the page text. Every
page of a run (leadership, the analyst reports, tuning when the run tunes, index.html), of the
small real run and of the hostile-input run: its <title> names the report and the run, nothing
is requested from the network, no element or attribute comes from a payload, and nothing is
wider than the page (the page does not scroll sideways, and no table or code box scrolls
inside it)."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from bs4 import BeautifulSoup


ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--enable-logging=stderr", "--v=0"]

if CHROMIUM is None:
    if os.environ.get("CI"):
        raise RuntimeError("chromium is missing on CI: `make test` installs Debian's chromium package")
    pytest.skip("chromium not installed: run `make test` (it installs Debian's chromium) to run this test",
                allow_module_level=True)


WIDTH = 1280


@pytest.fixture(scope="module")
def run(two_runs):
    return two_runs[1]


def rendered(page: Path) -> tuple[str, str]:
    with tempfile.TemporaryDirectory() as profile:
        out = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.as_uri()],
                             capture_output=True, text=True, timeout=120)
    return out.stdout, out.stderr


def test_leadership_page_in_a_browser(run):
    dom, log = rendered(run / "leadership_summary.html")
    soup = BeautifulSoup(dom, "html.parser")
    headings = [h.get_text(" ", strip=True) for h in soup.find_all(["h1", "h2"])]
    for expected in ("The answer", "size and worth", "Early warning", "What changed", "Policy per tier", "Assumptions"):
        assert any(expected in h for h in headings), (expected, headings)
    images = soup.find_all("img")
    assert len(images) >= 2 and all(img["src"].startswith("data:image/png") for img in images)
    assert not soup.find_all("pre", string=re.compile("def |import ")), "code leaked into the leadership report"
    console_errors = [l for l in log.splitlines() if "CONSOLE" in l and ("Error" in l or "Uncaught" in l)]
    assert not console_errors, console_errors
    text = soup.get_text(" ")
    ids = set(pd.read_csv(run / "tiers.csv", dtype={"customer_id": str})["customer_id"])
    leaked = ids & set(re.findall(r"\b\w+\b", text))
    assert not leaked, f"customer ids in the leadership report: {sorted(leaked)[:5]}"


def test_analyst_report_does_list_customers_for_follow_up(run):
    """The contrast that makes the leadership check meaningful: the analyst report names them."""
    text = BeautifulSoup((run / "validation.html").read_text(), "html.parser").get_text(" ")
    ids = set(pd.read_csv(run / "tiers.csv", dtype={"customer_id": str})["customer_id"])
    assert ids & set(re.findall(r"\b\w+\b", text))


#: run in the page once it has loaded: its title, what it fetched (the Resource Timing entries:
#: every file, image, script or style the page loaded), how wide it is, and the elements that
#: scroll sideways inside it (a table or code box wider than its place)
PROBE = """<script>window.addEventListener("load", () => setTimeout(() => {
  const root = document.documentElement;
  const scrolling = [...document.querySelectorAll("body *")].filter(e => e.clientWidth > 0
    && e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== "visible");
  const out = document.createElement("pre");
  out.id = "segment-probe";
  out.textContent = JSON.stringify({title: document.title, scrollWidth: root.scrollWidth,
    fetched: performance.getEntriesByType("resource").map(r => r.name),
    scrolling: scrolling.map(e => `${e.tagName}.${e.className} ${e.scrollWidth}px in ${e.clientWidth}px: `
                                  + e.textContent.slice(0, 60))});
  document.body.appendChild(out);
}, 100));</script>"""


def probed(page: Path) -> tuple[dict, str]:
    """(what ``PROBE`` found, the DOM before the probe's script) of ``page`` opened at ``WIDTH``
    px. The page is opened as a copy with the probe appended and a <base> at the page's own
    folder, so that anything it names relative to itself would be fetched from there."""
    text = page.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / page.name
        copy.write_text(text.replace("<head>", f'<head><base href="{page.parent.as_uri()}/">', 1)
                        .replace("</body>", PROBE + "</body>"), encoding="utf-8")
        out = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp}/profile", f"--window-size={WIDTH},1000",
                              "--virtual-time-budget=5000", "--dump-dom", copy.as_uri()],
                             capture_output=True, text=True, timeout=120)
    found = re.search(r'<pre id="segment-probe">(.*?)</pre>', out.stdout, re.S)
    assert found, f"{page.name}: the page did not load in chromium: {out.stderr[-500:]}"
    return json.loads(html.unescape(found.group(1))), out.stdout[:found.start()]


def expected_title(page: Path, run_name: str) -> str:
    from segment.reporting.notebooks import NOTEBOOKS

    return f"segment run: {run_name}" if page.stem == "index" else f"{NOTEBOOKS[page.stem][0]} — {run_name}"


def check_every_page(folder: Path, run_name: str) -> None:
    from segment.reporting.notebooks import NOTEBOOKS
    from tests.reporting.test_hostile_input import markup_from_payloads

    pages = sorted(folder.glob("*.html"))
    made = {"index", *(p.stem for p in (folder / "notebooks").glob("*.ipynb"))}
    assert {p.stem for p in pages} == made and made <= {"index", *NOTEBOOKS}, (sorted(made), pages)
    problems = {}
    for page in pages:
        seen, dom = probed(page)
        wrong = []
        if seen["title"] != expected_title(page, run_name):
            wrong.append(f"title {seen['title']!r}")
        fetched = [url for url in seen["fetched"] if not url.startswith(("data:", "blob:"))]
        external = [f"{tag} {attr}={value!r}" for tag, attr, value in re.findall(
            r"<(\w+)[^>]*?\s(src|href)=\"([^\"]*)\"", dom) if re.match(r"\s*(https?:)?//", value, re.I)]
        wrong += [f"fetched {url}" for url in fetched] + [f"links out: {e}" for e in external]
        wrong += [f"payload markup {m}" for m in markup_from_payloads(dom)]
        if seen["scrollWidth"] > WIDTH:
            wrong.append(f"page {seen['scrollWidth']} px wide")
        wrong += [f"scrolls sideways: {e}" for e in seen["scrolling"]]
        if wrong:
            problems[page.name] = wrong
    assert not problems, problems


def test_every_page_of_a_run_in_a_browser(run):
    check_every_page(run, "quick-cdnow-sample")


def test_every_page_of_the_hostile_run_in_a_browser(hostile_run):
    check_every_page(hostile_run, "hostile")
