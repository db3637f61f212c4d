"""Loading the notebook tools: papermill and nbconvert without jsonschema's unused IRI parser
(rfc3987_syntax builds an Earley grammar at import, 1.2-1.8 s of CPU), which stays importable."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
from segment.reporting.execute import load_notebook_tools
load_notebook_tools()
print("papermill" in sys.modules, "nbconvert" in sys.modules, "rfc3987_syntax" in sys.modules)
import rfc3987_syntax  # still importable afterwards: the block held only while jsonschema loaded
print(rfc3987_syntax.__name__)
"""


def test_the_notebook_tools_load_without_the_iri_parser_and_leave_it_importable():
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True", "False", "rfc3987_syntax"]


def test_a_page_made_with_the_shared_exporter_is_the_same_each_time(tmp_path):
    import nbformat

    from segment.reporting.execute import to_html

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Title"), nbformat.v4.new_code_cell("1 + 1")]
    nb.cells[1].outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "2"}, execution_count=1)]
    nbformat.write(nb, tmp_path / "nb.ipynb")
    with_code = to_html(tmp_path / "nb.ipynb", tmp_path / "a.html", with_code=True, title="T & t").read_text()
    without = to_html(tmp_path / "nb.ipynb", tmp_path / "b.html", with_code=False, title="T & t").read_text()
    again = to_html(tmp_path / "nb.ipynb", tmp_path / "c.html", with_code=True, title="T & t").read_text()
    assert again == with_code and "1 + 1" not in without and "1</span>" in with_code
    assert "<title>T &amp; t</title>" in with_code
