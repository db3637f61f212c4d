"""What a run keeps of the tuning: ``<run>/tuning/<table>.csv`` and the tuned-weights
fragment (``segment.tuning.fragment``), each written atomically."""

from __future__ import annotations

from pathlib import Path

from segment.tuning.search import TuningResult


def write_tuning(result: TuningResult, run_dir: Path) -> list[Path]:
    """``<run>/tuning/<table>.csv`` and ``tuned_weights.yaml``, each written atomically."""
    from segment.export import atomic_write, write_table

    folder = Path(run_dir) / "tuning"
    files: list[Path] = []
    for name, table in result.tables.items():
        files += write_table(table, folder / name, parquet=False, index=False)
    files.append(atomic_write(folder / "tuned_weights.yaml", lambda p: p.write_text(result.fragment, encoding="utf-8")))
    return files
