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
