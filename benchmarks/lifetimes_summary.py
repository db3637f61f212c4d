"""Time lifetimes' summary_data_from_transaction_data on a Parquet log (runs in the lifetimes venv).

``python lifetimes_summary.py <parquet> <as_of> [sample_fraction]`` prints one JSON line.
Reading the file and cutting it to orders on or before ``as_of`` happen before the clock
starts (lifetimes gets its input in memory, already cut); ``read_seconds`` reports them.
With a sample fraction below 1, only customers whose id hashes into that share are kept.
No segment import: this environment has lifetimes and its own pandas only.
"""

import json
import sys
import time

import pandas as pd
from lifetimes.utils import summary_data_from_transaction_data


def peak_mb() -> float:
    """Peak resident memory of this process since its exec (VmHWM, as cases.peak_mb)."""
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:")) / 1024.0


path, as_of = sys.argv[1], sys.argv[2]
fraction = float(sys.argv[3]) if len(sys.argv) > 3 else 1.0

t = time.perf_counter()
df = pd.read_parquet(path, columns=["customer_id", "order_ts", "amount"])
df = df[df["order_ts"] < pd.Timestamp(as_of) + pd.Timedelta(days=1)]  # the whole as_of day, as ours
rows_all = len(df)
if fraction < 1.0:
    buckets = pd.util.hash_pandas_object(df["customer_id"], index=False).to_numpy() % 1000
    df = df[buckets < round(fraction * 1000)]
read_seconds = time.perf_counter() - t

t = time.perf_counter()
s = summary_data_from_transaction_data(df, "customer_id", "order_ts", monetary_value_col="amount",
                                       observation_period_end=as_of, freq="D")
seconds = time.perf_counter() - t

print(json.dumps({
    "seconds": seconds,
    "read_seconds": read_seconds,
    "rows": len(df),
    "rows_before_sampling": rows_all,
    "customers": len(s),
    "repeat_frequency_sum": int(s["frequency"].sum()),
    "peak_mb": peak_mb(),
}))
