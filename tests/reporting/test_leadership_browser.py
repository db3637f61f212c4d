"""The leadership report as leadership sees it: opened in headless Chromium (Debian's
`chromium` package, installed by `make test`), headline sections and images present, no
console errors, and no customer identifier anywhere in the page text."""

from __future__ import annotations

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
