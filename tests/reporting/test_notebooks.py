"""The order the report notebooks are handed to the kernels: the longest first."""

from segment.reporting.notebooks import NOTEBOOKS, execution_order


def test_the_longest_notebooks_run_first_and_unknown_ones_last_in_their_order():
    names = ["leadership_summary", "data_audit", "later_b", "grading_comparison", "later_a", "validation"]
    assert execution_order(names) == ["validation", "grading_comparison", "data_audit", "leadership_summary",
                                      "later_b", "later_a"]
    assert sorted(execution_order(list(NOTEBOOKS))) == sorted(NOTEBOOKS)  # every report notebook has a place
