"""Nothing from the input becomes markup in any report (issue 16, item 1).

One small run whose data file name, config file name, tier labels, a mapped column name,
customer ids and a customer attribute carry script, event-handler and link payloads. Every
HTML file of the run is parsed with a real HTML parser: no element or attribute may come from
a payload (no ``script`` element but nbconvert's own, no ``img`` but inline ``data:`` images,
no ``on*`` attribute, no ``javascript:`` link), and the payloads do reach the pages as text.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
LINK = "[x](javascript:alert(1))"
QUOTE = '" onmouseover="alert(1)'
PAYLOADS = (SCRIPT, IMG, LINK, QUOTE)
#: a file name cannot hold "/", so the script payload goes everywhere else
FILE_NAME = f"x{IMG}{LINK}{QUOTE}.csv"


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text inside each ``script`` element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.scripts: list[str] = []
        self.text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))
        if tag == "script":
            self._in_script = True
            self.scripts.append("")

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data
        else:
            self.text.append(data)


def markup_from_payloads(page: str) -> list[str]:
    """What in ``page`` is an element or attribute a payload could have made."""
    parsed = Elements()
    parsed.feed(page)
    parsed.close()
    found = []
    for tag, attrs in parsed.tags:
        for name, value in attrs:
            if name.startswith("on"):
                found.append(f"<{tag} {name}={value!r}>")
            if name in ("href", "src", "action", "formaction") and "javascript:" in (value or "").lower().replace(" ", ""):
                found.append(f"<{tag} {name}={value!r}>")
        if tag == "img" and not (dict(attrs).get("src") or "").startswith("data:"):
            found.append(f"<img {attrs!r}>")
        if tag in ("iframe", "object", "embed"):
            found.append(f"<{tag}>")
    found += [f"<script>{s[:80]!r}" for s in parsed.scripts if "alert(" in s]
    return found


def visible_text(page: str) -> str:
    """The text a reader sees on ``page`` (outside ``script`` elements), entities decoded."""
    parsed = Elements()
    parsed.feed(page)
    parsed.close()
    return " ".join("".join(parsed.text).split())


def hostile_inputs(tmp_path: Path) -> Path:
    """The config file (itself named with a payload) of a small run over crafted files."""
    raw = pd.read_csv(ROOT / "data" / "raw" / "CDNOW_sample.txt", sep=r"\s+", header=None,
                      names=["id", "_", "date", "quantity", "amount"], dtype={"id": str, "date": str})
    ids = sorted(raw["id"].unique())
    hostile = {ids[i]: f"{p}{i}" for i, p in enumerate(PAYLOADS * 3)}  # several customers of each payload
    tx = pd.DataFrame({"customer_id": raw["id"].map(lambda c: hostile.get(c, c)),
                       "order_ts": pd.to_datetime(raw["date"], format="%Y%m%d").dt.strftime("%Y-%m-%d"),
                       IMG: raw["amount"]})
    data = tmp_path / FILE_NAME
    tx.to_csv(data, index=False)
    customers = tmp_path / f"customers{IMG}.csv"
    pd.DataFrame({"customer_id": tx["customer_id"].unique(), "industry": SCRIPT, QUOTE: LINK}).to_csv(customers, index=False)
    labels = list(PAYLOADS)
    cfg = {
        "output_name": "hostile",
        "data": {"path": str(data), "columns": {"amount": IMG},
                 "customers": {"path": str(customers), "columns": {"industry": "industry"}}},
        "as_of": "1997-09-30",
        "horizon_days": 273,
        "profit": {"gross_margin": 0.25, "cost_per_order": 2.0},
        "trend_window_days": 91,
        "provisional_days": 182,
        "methods": {"abc_revenue": {"tier_labels": labels}, "pyramid": {"tier_labels": labels[::-1]}},
        "validation": {"n_boot": 10, "random_state": 0},
        "report": {"min_tier_size": 10},
    }
    path = tmp_path / f"run{IMG}.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True))
    return path


def test_no_payload_becomes_markup_in_any_page(hostile_run):
    pages = sorted(hostile_run.rglob("*.html"))
    names = {p.name for p in pages}
    assert {"index.html", "leadership_summary.html", "data_audit.html", "validation.html",
            "grading_comparison.html"} <= names, names
    found = {p.name: markup_from_payloads(p.read_text(encoding="utf-8")) for p in pages}
    assert not any(found.values()), {k: v for k, v in found.items() if v}


def test_the_payloads_reach_the_pages_as_text(hostile_run):
    """The check above is not vacuous: the payloads are on the pages, as text a reader sees."""
    def text_of(name: str) -> str:
        return visible_text((hostile_run / name).read_text(encoding="utf-8"))

    leadership = text_of("leadership_summary.html")
    assert IMG in leadership  # the data file's name ("Data: ...")
    assert SCRIPT in leadership and LINK in leadership  # tier labels: headline and policy table
    audit = text_of("data_audit.html")
    assert FILE_NAME in audit or IMG in audit
    assert SCRIPT in text_of("validation.html")  # customer ids (early warning, disagreements)
    assert IMG in text_of("index.html")  # the config file's name


def test_the_detector_sees_live_markup():
    assert markup_from_payloads(f"<p>{IMG}</p>")
    assert markup_from_payloads(f"<p>{SCRIPT}</p>")
    assert markup_from_payloads('<a href="javascript:alert(1)">x</a>')
    assert markup_from_payloads(f'<td title="{QUOTE}">')
    assert not markup_from_payloads("<p>&lt;img src=x onerror=alert(1)&gt;</p><img src='data:image/png;base64,AA'>")
