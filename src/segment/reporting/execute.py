"""Executing one report notebook (papermill) and rendering it as HTML (nbconvert)."""

from __future__ import annotations

import contextlib
import functools
import re
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from segment.export import atomic_write
from segment.paths import NOTEBOOK_DIR
from segment.reporting.notebook_params import parameters_for

if TYPE_CHECKING:
    from segment.reporting.kernels import KernelPool


class NotebookFailed(RuntimeError):
    """A report notebook raised; the message names the notebook and the failing cell."""


#: modules that jsonschema (under nbformat) imports when they are installed, for format checks no
#: notebook schema uses: rfc3987_syntax (brought by jupyterlab) builds an Earley parser for the
#: "iri" format at import, 1.2-1.8 s of CPU in every ``segment run``
_UNUSED_FORMAT_CHECKERS = ("rfc3987_syntax",)


@contextlib.contextmanager
def _without(modules: tuple[str, ...]):
    """Imports of ``modules`` fail (ImportError) inside the block; a module imported before is kept,
    and afterwards they can be imported again."""
    blocked = [m for m in modules if m not in sys.modules]
    for m in blocked:
        sys.modules[m] = None  # type: ignore[assignment]  # the import system's "not available"
    try:
        yield
    finally:
        for m in blocked:
            if sys.modules.get(m, 0) is None:
                del sys.modules[m]


_TOOLS_LOCK = threading.Lock()


@functools.lru_cache(maxsize=None)
def load_notebook_tools() -> None:
    """Import papermill and nbconvert and compile the report template, once per process
    (``Reporter`` calls this before the pipeline, in the calling thread, while the kernels start:
    a first import racing the pipeline's imports in another thread can fail). jsonschema is imported without its unused
    optional format checkers (``_UNUSED_FORMAT_CHECKERS``) unless something imported it before."""
    with _TOOLS_LOCK, _without(_UNUSED_FORMAT_CHECKERS if "jsonschema" not in sys.modules else ()):
        import nbformat
        import papermill  # noqa: F401

    # the first conversion compiles the templates and imports the markdown and code renderers
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# *a*"), nbformat.v4.new_code_cell("1")],
                                  metadata={"language_info": {"name": "python", "pygments_lexer": "ipython3"}})
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="1"),
                           nbformat.v4.new_output("display_data", {"text/html": "<b>1</b>", "text/plain": "1"})]
    with _EXPORT_LOCK:
        _exporter(True).from_notebook_node(nb)


@functools.lru_cache(maxsize=None)
def _stored_notebook(path: Path, mtime_ns: int):
    import nbformat

    return nbformat.read(path, as_version=4)  # stored without outputs (tests/reporting/test_notebook_hygiene.py)


def notebook_parameters(name: str, run_tmp: Path, report: dict[str, Any] | None = None) -> dict[str, Any]:
    """What papermill gives ``name``: ``run_dir`` and the config's ``report:`` values that the
    notebook declares in its parameters cell (``report.notebooks`` chooses notebooks; it is
    no notebook's parameter)."""
    settings = {k: v for k, v in (report or {}).items() if k != "notebooks"}
    return {"run_dir": str(run_tmp), **(parameters_for(name, settings, NOTEBOOK_DIR) if settings else {})}


def execute_notebook(name: str, run_tmp: Path, progress: Callable[[str], None], pool: KernelPool | None = None,
                     report: dict[str, Any] | None = None, final: Path | None = None) -> Path:
    """Execute ``notebooks/<name>.ipynb`` with ``run_dir`` and its ``report:`` settings
    (``notebook_parameters``) into ``run_tmp/notebooks/``: on a pooled kernel if ``pool`` is
    given, else in a new kernel that is shut down afterwards. It reads ``run_tmp``; once it
    ran, it records ``run_dir = final`` (where ``run_tmp`` will be when the run is done:
    ``record_run_dir``), so the kept notebook can be run again."""
    import copy

    load_notebook_tools()
    import papermill as pm

    out = run_tmp / "notebooks" / f"{name}.ipynb"
    out.parent.mkdir(exist_ok=True)
    source = NOTEBOOK_DIR / f"{name}.ipynb"
    nb = copy.deepcopy(_stored_notebook(source, source.stat().st_mtime_ns))
    parameters = notebook_parameters(name, run_tmp, report)
    t = time.perf_counter()
    try:
        with (pool.kernel() if pool is not None else contextlib.nullcontext()) as km:
            pm.execute_notebook(
                nb,
                str(out),
                parameters=parameters,
                kernel_name="python3",
                # a pooled kernel was started in NOTEBOOK_DIR; papermill's cwd would chdir this whole process
                cwd=None if km is not None else str(NOTEBOOK_DIR),
                progress_bar=False,
                request_save_on_cell_execute=False,  # written once at the end (and on failure), not after every cell
                **({"km": km, **pool.cell_hooks(km)} if pool is not None else {}),
            )
    except pm.PapermillExecutionError as exc:
        raise NotebookFailed(
            f"notebook {name} failed in cell {exc.exec_count} ({exc.ename}: {exc.evalue}); "
            f"the executed notebook with the error is kept at {out}"
        ) from exc
    if final is not None:
        record_run_dir(out, run_tmp, final)
    progress(f"executed {name} ({time.perf_counter() - t:.1f} s)")
    return out


def recorded_run_dir(notebook: Path) -> Path | None:
    """The run_dir the executed ``notebook`` records (papermill's metadata), None if none."""
    import nbformat

    recorded = nbformat.read(notebook, as_version=4).metadata.get("papermill", {}).get("parameters", {}).get("run_dir")
    return Path(recorded) if recorded else None


def record_run_dir(notebook: Path, old: Path, new: Path) -> Path:
    """Make the executed ``notebook``, run with ``run_dir = old``, record ``run_dir = new``:
    papermill's injected-parameters cell (written again by papermill's own translator), its
    ``parameters`` metadata and ``output_path``. The outputs are kept as they are."""
    import nbformat
    from papermill.translators import translate_parameters

    nb = nbformat.read(notebook, as_version=4)
    meta = nb.metadata["papermill"]
    if meta["parameters"].get("run_dir") != str(old):
        raise ValueError(f"{notebook} ran with run_dir {meta['parameters'].get('run_dir')!r}, not {str(old)!r}")
    meta["parameters"]["run_dir"] = str(new)
    output = Path(meta.get("output_path") or "")
    if output.is_relative_to(old):
        meta["output_path"] = str(new / output.relative_to(old))
    for cell in nb.cells:
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.source = translate_parameters("python3", "python", meta["parameters"], "Parameters")
    return atomic_write(notebook, lambda p: nbformat.write(nb, p))


#: the HTML template of every report (``templates/segment_offline.html.j2``: nothing from the network)
TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"


#: an exporter converts one notebook at a time (it registers per-notebook filters on itself)
_EXPORT_LOCK = threading.Lock()


@functools.lru_cache(maxsize=None)
def _exporter(with_code: bool):
    """The HTML exporter of the reports, made once per ``with_code`` (its templates load once)."""
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class ReportExporter(HTMLExporter):
        """nbconvert's HTMLExporter without its closing BeautifulSoup pass, which parses and
        writes the whole page again (three quarters of a report's conversion time) only to add
        images' alt text and the cells' tabindex: ``accessible`` adds both to the template's
        output. The rest is HTMLExporter.from_notebook_node as it is (nbconvert 7)."""

        def from_notebook_node(self, nb, resources=None, **kw):
            langinfo = nb.metadata.get("language_info", {})
            lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
            self.register_filter("highlight_code", self.filters.get(
                "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)))
            resources = self._init_resources(resources)
            self.register_filter("filter_data_type", WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources))
            page, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
            return accessible(page), resources

    return ReportExporter(template_name="lab", template_file="segment_offline.html.j2",
                          extra_template_paths=[str(TEMPLATE_DIR)], exclude_input=not with_code,
                          exclude_input_prompt=True, exclude_output_prompt=True)


#: what nbconvert's HTMLExporter writes on an image without alt text
NO_ALT = "No description has been provided for this image"
_IMG = re.compile(r"<img\b(?![^>]*\balt=)")
_FOCUSABLE = re.compile(r'(<div class="(?:jp-Cell-inputWrapper|[^"<>]*\bjp-OutputArea-output\b[^"<>]*)")(?=[ >])')


def accessible(page: str) -> str:
    """``page`` (the template's HTML) with what nbconvert's HTMLExporter adds after rendering:
    alt text on every image without one, and ``tabindex="0"`` on each cell's input wrapper and
    output area (so that a keyboard reaches them). Only the template's own tags match: every
    string from the data reaches the page escaped, so none of it reads as a tag here."""
    return _FOCUSABLE.sub(r'\1 tabindex="0"', _IMG.sub(f'<img alt="{NO_ALT}"', page))


def to_html(notebook: Path, target: Path, *, with_code: bool, title: str) -> Path:
    """``notebook`` as an HTML page titled ``title`` (escaped by the template), code cells shown
    only ``with_code``; the page loads nothing from the network (``TEMPLATE_DIR``)."""
    load_notebook_tools()
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    for i, cell in enumerate(nb.cells):  # papermill's injected cell gets a random id: make HTML reproducible
        cell["id"] = f"cell-{i}"
    nb.metadata["title"] = title
    with _EXPORT_LOCK:
        body, _ = _exporter(with_code).from_notebook_node(nb)
    return atomic_write(target, lambda p: p.write_text(body, encoding="utf-8"))
