"""The report notebooks a run makes: name -> (title, audience), in the order of index.html."""

from __future__ import annotations

NOTEBOOKS: dict[str, tuple[str, str]] = {
    "leadership_summary": ("Leadership summary", "leadership"),
    "data_audit": ("Data audit", "analyst"),
    "grading_comparison": ("Grading comparison", "analyst"),
    "validation": ("Validation against churn and profit", "analyst"),
    "tuning": ("Weight tuning (out of time)", "analyst"),
}


def default_notebooks(has_tuning: bool) -> list[str]:
    """Every notebook, the tuning report only when the config tunes."""
    return [n for n in NOTEBOOKS if n != "tuning" or has_tuning]


#: the order the notebooks are handed to the kernels: the longest first (measured on the quick
#: sample: validation 5.6 s, grading comparison 3.7 s, data audit 1.7 s, leadership summary
#: 1.6 s), so two kernels finish close together and the last page to convert to HTML is short
LONGEST_FIRST = ("validation", "grading_comparison", "tuning", "data_audit", "leadership_summary")


def execution_order(names: list[str]) -> list[str]:
    """``names`` in the order they are executed (``LONGEST_FIRST``; others last, in their order)."""
    rank = {n: i for i, n in enumerate(LONGEST_FIRST)}
    return sorted(names, key=lambda n: rank.get(n, len(rank)))
