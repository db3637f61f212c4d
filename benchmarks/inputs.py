"""What the benchmark cases read, built once into benchmarks/work/ (git-ignored).

Each input is named (``INPUTS``) and built by a function; data sets are cached under a
*content key* -- a hash of everything that decides their content (the recipe's source,
the loader or generator module, the raw file checksum, sizes, seed, numpy version) -- so
a changed generator or loader rebuilds the file instead of silently reusing stale data.
A finished file is written under a temporary name and renamed, so an interrupted build
is never mistaken for a complete one; older versions of the same input are deleted.

- ``cdnow_x100``: the CDNOW master log repeated 100 times with new customer ids
  ``<id>-<replica>`` (strings, leading zeros kept): 6,965,900 rows, 2,357,000 customers.
  Rows keep the original file's layout (each customer's rows together).
- ``b2b_10m``: ``segment.data.synthetic.generate_b2b`` with enough accounts for about
  10 M transactions over 2021-01-01..2023-12-31, ``random_state=42``.
- ``b2b_30m``: the same recipe at about 30 M transactions (issue 8, the end-to-end run).
- ``csv_10m``: ``io_bench.write_file``, 10 M order lines as a 536 MB CSV (issue 3,
  the read-time cases).
- ``lifetimes_venv``: a separate venv with ``lifetimes==0.11.3`` and pandas 3.0.x (falling
  back to the newest older pandas it works with, recorded), checked on a hand-computed
  example before use.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SRC = REPO / "src" / "segment"

CDNOW_REPLICAS = 100
B2B_ROWS = 10_000_000
B2B_START, B2B_END, B2B_SEED = "2021-01-01", "2023-12-31", 42

LIFETIMES_VERSION = "0.11.3"
#: pandas versions tried for lifetimes, newest first (the issue asks for 3.0.x)
LIFETIMES_PANDAS = ("3.0.*", "2.3.*", "2.2.*", "2.1.*")


def _file_sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _key(parts: dict) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:12]


# --- data sets -------------------------------------------------------------------------

def _write_cdnow_x100(out: Path) -> dict:
    import numpy as np
    import pandas as pd

    from segment.data.cdnow import load_cdnow_master

    m = load_cdnow_master()
    n = len(m)
    replica = pd.Series(np.repeat(np.arange(CDNOW_REPLICAS), n)).astype("str").str.zfill(3)
    ids = pd.Series(np.tile(m["customer_id"].to_numpy(dtype=object), CDNOW_REPLICAS), dtype="str")
    big = pd.DataFrame(
        {
            "customer_id": ids + "-" + replica,
            "order_ts": np.tile(m["order_ts"].to_numpy(), CDNOW_REPLICAS),
            "amount": np.tile(m["amount"].to_numpy(), CDNOW_REPLICAS),
            "quantity": np.tile(m["quantity"].to_numpy(), CDNOW_REPLICAS),
        }
    )
    big.to_parquet(out, index=False)
    return {"rows": len(big), "customers": int(big["customer_id"].nunique())}


def _cdnow_x100_key() -> dict:
    # the loader pins the raw file's SHA-256 (and refuses any other), so its source covers the raw data
    return {"recipe": inspect.getsource(_write_cdnow_x100), "loader": _file_sha(SRC / "data" / "cdnow.py"),
            "replicas": CDNOW_REPLICAS}


def _write_b2b_10m(out: Path) -> dict:
    from segment.data.synthetic import accounts_for_transactions, generate_b2b

    n = accounts_for_transactions(B2B_ROWS, start=B2B_START, end=B2B_END)
    t = generate_b2b(n, start=B2B_START, end=B2B_END, random_state=B2B_SEED).transactions
    t.to_parquet(out, index=False)
    return {"rows": len(t), "customers": int(t["customer_id"].nunique()), "accounts_generated": n}


def _b2b_10m_key() -> dict:
    import numpy as np

    return {"recipe": inspect.getsource(_write_b2b_10m), "generator": [_file_sha(SRC / "data" / f) for f in ("synthetic.py", "b2bdata.py")],
            "rows": B2B_ROWS, "start": B2B_START, "end": B2B_END, "seed": B2B_SEED, "numpy": np.__version__}


# issue 8 (scaling): the same generator at 30 M rows, for the end-to-end run on DuckDB
B2B_ROWS_30M = 30_000_000


def _write_b2b_30m(out: Path) -> dict:
    from segment.data.synthetic import accounts_for_transactions, generate_b2b

    n = accounts_for_transactions(B2B_ROWS_30M, start=B2B_START, end=B2B_END)
    t = generate_b2b(n, start=B2B_START, end=B2B_END, random_state=B2B_SEED).transactions
    t.to_parquet(out, index=False)
    return {"rows": len(t), "customers": int(t["customer_id"].nunique()), "accounts_generated": n}


def _b2b_30m_key() -> dict:
    import numpy as np

    return {"recipe": inspect.getsource(_write_b2b_30m), "generator": [_file_sha(SRC / "data" / f) for f in ("synthetic.py", "b2bdata.py")],
            "rows": B2B_ROWS_30M, "start": B2B_START, "end": B2B_END, "seed": B2B_SEED, "numpy": np.__version__}


def _dataset(name: str, key_parts: Callable[[], dict], write: Callable[[Path], dict],
             suffix: str = ".parquet") -> Callable[[Path], Path]:
    def ensure(work: Path) -> Path:
        key = _key(key_parts())
        out = work / f"{name}-{key}{suffix}"
        meta = out.with_suffix(".json")
        if out.exists() and meta.exists():
            return out
        for old in [*work.glob(f"{name}-*{suffix}"), *work.glob(f"{name}-*.json"), work / f"{name}{suffix}"]:
            old.unlink(missing_ok=True)  # stale versions of this input (or a build that died half-way)
        print(f"[bench] building {out.name} (once; content key {key})", file=sys.stderr, flush=True)
        tmp = out.with_name(out.name + ".tmp")
        t = time.perf_counter()
        info = write(tmp)
        os.replace(tmp, out)
        info["build_seconds"] = round(time.perf_counter() - t, 1)
        meta.write_text(json.dumps(info, indent=2) + "\n")
        return out

    return ensure


# issue 3 (your own data): a 10 M-row CSV for the read-time cases (benchmarks/io_cases.py)
CSV_ROWS = 10_000_000


def _write_csv_10m(out: Path) -> dict:
    from io_bench import write_file

    write_file(out, CSV_ROWS)
    return {"rows": CSV_ROWS, "bytes": out.stat().st_size}


def _csv_10m_key() -> dict:
    return {"recipe": inspect.getsource(_write_csv_10m), "writer": _file_sha(HERE / "io_bench.py"), "rows": CSV_ROWS}


# --- the lifetimes environment ------------------------------------------------------------

#: hand-computed: A buys on days 0 (twice), 9 and 31; B once on day 4; period ends day 40.
#: lifetimes sums purchases within a day, frequency = repeat days, monetary = mean of the
#: repeat days' totals.
SMOKE = """
import json, pandas as pd
from lifetimes.utils import summary_data_from_transaction_data
df = pd.DataFrame({"id": ["A", "A", "A", "A", "B"],
                   "ts": pd.to_datetime(["1997-01-01", "1997-01-01", "1997-01-10", "1997-02-01", "1997-01-05"]),
                   "amount": [10.0, 5.0, 20.0, 30.0, 7.0]})
s = summary_data_from_transaction_data(df, "id", "ts", monetary_value_col="amount",
                                       observation_period_end="1997-02-10", freq="D")
got = {c: [float(v) for v in s[c]] for c in ["frequency", "recency", "T", "monetary_value"]}
want = {"frequency": [2, 0], "recency": [31, 0], "T": [40, 36], "monetary_value": [25, 0]}
assert list(s.index) == ["A", "B"] and got == want, got
import lifetimes, numpy, scipy
print(json.dumps({"lifetimes": lifetimes.__version__, "pandas": pd.__version__,
                  "numpy": numpy.__version__, "scipy": scipy.__version__}))
"""


def _smoke(python: Path) -> tuple[bool, str]:
    out = subprocess.run([str(python), "-c", SMOKE], capture_output=True, text=True, check=False)
    if out.returncode == 0:
        return True, out.stdout.strip().splitlines()[-1]
    return False, (out.stderr.strip().splitlines() or [f"exit {out.returncode}"])[-1]


def lifetimes_venv(work: Path) -> Path:
    """The lifetimes venv's python; created and checked once, the outcome in its stamp file."""
    venv = work / "lifetimes-venv"
    python, stamp = venv / "bin" / "python", venv / "segment-bench.json"
    if python.exists() and stamp.exists() and json.loads(stamp.read_text()).get("lifetimes") == LIFETIMES_VERSION:
        return python
    tried = []
    if python.exists():  # made by an earlier version of this script: check what it has
        ok, msg = _smoke(python)
        tried.append({"pandas": "as installed", "ok": ok, "message": msg})
        if ok and json.loads(msg)["pandas"].startswith("3.0."):
            stamp.write_text(json.dumps({**json.loads(msg), "tried": tried}, indent=2) + "\n")
            return python
    else:
        print(f"[bench] creating {venv} (once)", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    for spec in LIFETIMES_PANDAS:
        print(f"[bench] installing lifetimes=={LIFETIMES_VERSION} with pandas=={spec}", file=sys.stderr, flush=True)
        pip = subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                              f"lifetimes=={LIFETIMES_VERSION}", f"pandas=={spec}", "pyarrow"],
                             capture_output=True, text=True, check=False)
        if pip.returncode != 0:
            tried.append({"pandas": spec, "ok": False, "message": "pip: " + pip.stderr.strip()[-300:]})
            continue
        ok, msg = _smoke(python)
        tried.append({"pandas": spec, "ok": ok, "message": msg})
        if ok:
            stamp.write_text(json.dumps({**json.loads(msg), "tried": tried}, indent=2) + "\n")
            return python
    raise RuntimeError(f"lifetimes {LIFETIMES_VERSION} did not work with any of pandas {LIFETIMES_PANDAS}: {tried}")


def lifetimes_env_info(python: Path) -> dict:
    """Versions in the lifetimes venv of this python, and the pandas versions tried (its stamp)."""
    return json.loads((python.parents[1] / "segment-bench.json").read_text())


#: name -> function(work_dir) -> path, building the input when missing or stale
INPUTS: dict[str, Callable[[Path], Path]] = {
    "cdnow_x100": _dataset("cdnow_x100", _cdnow_x100_key, _write_cdnow_x100),
    "b2b_10m": _dataset("b2b_10m", _b2b_10m_key, _write_b2b_10m),
    "b2b_30m": _dataset("b2b_30m", _b2b_30m_key, _write_b2b_30m),
    "csv_10m": _dataset("csv_10m", _csv_10m_key, _write_csv_10m, suffix=".csv"),
    "lifetimes_venv": lifetimes_venv,
}


def data_info(path: Path) -> dict:
    """Rows, customers and build time recorded next to a data set."""
    return json.loads(path.with_suffix(".json").read_text())


if __name__ == "__main__":  # python inputs.py <work_dir> <input> ...: prints {input: path} as JSON
    work_dir = Path(sys.argv[1])
    work_dir.mkdir(exist_ok=True)
    print(json.dumps({name: str(INPUTS[name](work_dir)) for name in sys.argv[2:]}))
