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


def _report_notebook():
    """A notebook with what the reports hold: Markdown, code, a table, a PNG, printed text, and
    data text that looks like the template's own tags (it reaches the page escaped)."""
    import base64

    import nbformat

    png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 16).decode()
    forged = '<div class="jp-Cell-inputWrapper"><img src="x">'
    nb = nbformat.v4.new_notebook(metadata={"language_info": {"name": "python", "pygments_lexer": "ipython3"}})
    nb.cells = [nbformat.v4.new_markdown_cell("# Title\n\nSome *text*."), nbformat.v4.new_code_cell("show()")]
    nb.cells[1].outputs = [
        nbformat.v4.new_output("display_data", {"image/png": png, "text/plain": "<Figure>"}),
        nbformat.v4.new_output("display_data", {"text/html": "<table><tr><td>&lt;b&gt;x&lt;/b&gt;</td></tr></table>",
                                                "text/plain": "t"}),
        nbformat.v4.new_output("stream", text=forged)]
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
    return nb, forged


def test_the_report_exporter_gives_nbconverts_page_without_its_second_parse():
    """Parsed, the page is nbconvert's HTMLExporter's exactly (its alt text, its tabindex), and
    data text that imitates the template's tags stays text."""
    from bs4 import BeautifulSoup
    from nbconvert import HTMLExporter

    from segment.reporting.execute import NO_ALT, TEMPLATE_DIR, _exporter

    nb, forged = _report_notebook()
    ours, _ = _exporter(True).from_notebook_node(nb)
    theirs, _ = HTMLExporter(template_name="lab", template_file="segment_offline.html.j2",
                             extra_template_paths=[str(TEMPLATE_DIR)], exclude_input_prompt=True,
                             exclude_output_prompt=True).from_notebook_node(nb)
    assert str(BeautifulSoup(ours, "html.parser")) == str(BeautifulSoup(theirs, "html.parser"))
    soup = BeautifulSoup(ours, "html.parser")
    assert [img.get("alt") for img in soup.find_all("img")] == [NO_ALT]  # the figure; the forged one is text
    assert soup.select("div.jp-Cell-inputWrapper")[0]["tabindex"] == "0"
    assert all(d.get("tabindex") == "0" for d in soup.select("div.jp-OutputArea-output"))
    assert len(soup.select("div.jp-Cell-inputWrapper")) == 2  # markdown and code cell: not the printed one
    assert forged in soup.get_text()
