"""Clustering: k-means on transformed, scaled features; clusters ordered into tiers.

Transform: every feature goes through a signed log1p, sign(v)·log(1 + |v|) (money,
counts and days are heavily right-skewed; the sign keeps loss-making customers apart
from break-even ones), then standard scaling learned in fit (a constant column is left
unscaled). NaN in a clustering feature is an error.

Number of clusters: ``n_clusters`` if given; otherwise the k in ``k_range`` with the
highest mean silhouette, computed on a seeded sample of ``silhouette_sample`` customers
(ties: the smaller k). k never exceeds the number of distinct customers (with a warning
when that lowers a requested k); one customer, or all-equal customers, give one cluster.

Scale strategy: k-means (k-means++ start, ``n_init`` restarts) is fitted on a seeded
sample of at most ``fit_sample`` customers, drawn after sorting by customer_id so that
row order changes nothing; every customer is then assigned to the nearest centroid. On
2.4 M customers this keeps fit + assign to a few seconds, and 200,000 points pin a
handful of centroids in 4 dimensions down far more tightly than the clusters differ.

Tiers: clusters ordered by the mean of ``value_column`` (default profit) over the
calibration table, best first, labelled "A", "B", ... (k labels, so a k-means "A" is the
best *cluster*, not the Pareto top 20 %); ties in mean value are broken by the centroid
coordinates. The order therefore does not depend on k-means' arbitrary cluster numbers,
so labels are stable across runs and seeds.

Learned state: ``k_``, ``labels_``, ``silhouettes_`` (k -> silhouette; empty when k was
given), ``mean_``/``scale_`` (the scaling), ``centers_`` (scaled space, tier order) and
``profiles_`` (per tier: customers, share, and the mean of every clustering feature and
the value column, over the calibration table) for the report.

A Gaussian mixture was considered and left out: tiers need hard, ordered groups, not
soft memberships; frequency is a count with large spikes (most customers buy once), on
which full-covariance components collapse onto the spike (singular covariances); and it
costs several times k-means for no gain in how the tiers separate value.
"""

from __future__ import annotations

import string
import warnings
from contextlib import nullcontext
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import pairwise_distances_argmin, silhouette_score
from threadpoolctl import threadpool_limits

from segment.methods.base import GradingMethod, check_columns


#: with n_threads=None, k-means on fewer points than this runs on one thread: thread
#: start-up costs more than it saves (many times more on a busy machine)
SINGLE_THREAD_ROWS = 20_000


def signed_log1p(x: np.ndarray) -> np.ndarray:
    return np.sign(x) * np.log1p(np.abs(x))


@dataclass
class ClusterGrading(GradingMethod):
    #: clustering features (signed-log1p transformed, then standardised)
    features: tuple[str, ...] = ("recency_days", "frequency", "monetary_total", "profit")
    #: number of clusters; None = chosen by silhouette over ``k_range``
    n_clusters: int | None = None
    k_range: tuple[int, ...] = (3, 4, 5, 6)
    #: clusters are ordered into tiers by the mean of this column, best (highest) first
    value_column: str = "profit"
    #: k-means is fitted on a seeded sample of at most this many customers
    fit_sample: int = 200_000
    #: customers the silhouette of each k is computed on (it is quadratic in this)
    silhouette_sample: int = 5_000
    n_init: int = 4
    random_state: int = 0
    #: threads for scikit-learn's OpenMP/BLAS; None = its default (all cores), but one
    #: thread below 20,000 rows. Centroids agree to ~1e-13 whatever the count; on a
    #: shared machine 1 is often faster
    n_threads: int | None = None

    description: ClassVar[str] = "k-means clusters on log-scaled RFM and profit, ordered by mean profit"

    def required_features_for_params(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*self.features, self.value_column, "tenure_days")))

    @property
    def labels(self) -> tuple[str, ...]:
        if not hasattr(self, "labels_"):
            raise AttributeError("ClusterGrading labels are known after fit (k may be chosen from the data)")
        return self.labels_

    def _check_params(self) -> None:
        if not self.features:
            raise ValueError("ClusterGrading needs at least one feature")
        if self.n_clusters is not None and not 1 <= int(self.n_clusters) <= 26:
            raise ValueError(f"n_clusters must be in 1..26 (labels A..Z), got {self.n_clusters}")
        if self.n_clusters is None and (not self.k_range or min(self.k_range) < 2 or max(self.k_range) > 26):
            raise ValueError(f"k_range must hold numbers of clusters in 2..26, got {self.k_range!r}")
        if self.fit_sample < 1 or self.silhouette_sample < 2:
            raise ValueError("fit_sample must be >= 1 and silhouette_sample >= 2")

    def _transformed(self, features: pd.DataFrame) -> np.ndarray:
        values = features[list(self.features)].to_numpy(dtype=float)
        if np.isnan(values).any():
            bad = [c for c in self.features if features[c].isna().any()]
            raise ValueError(f"ClusterGrading features {bad} have missing values; fill or drop them first")
        return signed_log1p(values)

    def _matrix(self, features: pd.DataFrame) -> np.ndarray:
        return (self._transformed(features) - self.mean_) / self.scale_

    def _kmeans(self, zs: np.ndarray, k: int) -> KMeans:
        return KMeans(k, n_init=self.n_init, random_state=self.random_state).fit(zs)

    def _fit(self, features: pd.DataFrame) -> None:
        with self._threads(min(len(features), self.fit_sample)):
            self._fit_threads(features)

    def _threads(self, n_rows: int):
        if self.n_threads is not None:
            return threadpool_limits(limits=int(self.n_threads))
        return threadpool_limits(limits=1) if n_rows < SINGLE_THREAD_ROWS else nullcontext()

    def _fit_threads(self, features: pd.DataFrame) -> None:
        check_columns(features, self.features, "ClusterGrading features")
        self._check_params()
        n = len(features)
        if n == 0:
            raise ValueError("ClusterGrading needs at least one customer")
        features = features.sort_index()  # the sample and k-means++ must not depend on row order
        rng = np.random.default_rng(self.random_state)
        idx = np.sort(rng.choice(n, size=min(n, self.fit_sample), replace=False))
        z = self._transformed(features.iloc[idx])
        self.mean_ = z.mean(axis=0)
        sd = z.std(axis=0)
        self.scale_ = np.where(sd > 0, sd, 1.0)
        zs = (z - self.mean_) / self.scale_
        distinct = len(np.unique(zs, axis=0))

        self.silhouettes_: dict[int, float] = {}
        fitted: dict[int, KMeans] = {}
        if self.n_clusters is not None:
            k = int(self.n_clusters)
            if k > distinct:
                warnings.warn(f"ClusterGrading: n_clusters={k} but only {distinct} distinct customers in the fit "
                              f"sample; using k={distinct}", UserWarning, stacklevel=3)
                k = distinct
        else:
            ks = sorted(k for k in set(self.k_range) if k < distinct)  # silhouette needs k < distinct points
            if not ks:
                k = min(distinct, min(self.k_range))
                if distinct > 1:
                    warnings.warn(f"ClusterGrading: only {distinct} distinct customers, fewer than k_range needs; "
                                  f"using k={k}", UserWarning, stacklevel=3)
            else:
                sil = rng.choice(len(zs), size=min(len(zs), self.silhouette_sample), replace=False)
                for kk in ks:
                    fitted[kk] = self._kmeans(zs, kk)
                    labels = fitted[kk].labels_[sil]
                    self.silhouettes_[kk] = (float(silhouette_score(zs[sil], labels))
                                             if len(np.unique(labels)) > 1 else -1.0)
                k = max(ks, key=lambda kk: (self.silhouettes_[kk], -kk))
        km = fitted[k] if k in fitted else self._kmeans(zs, k)

        # order clusters by mean value over the whole calibration table, ties by centroid
        raw = pairwise_distances_argmin(self._matrix(features), km.cluster_centers_)
        value = features[self.value_column].to_numpy(dtype=float)
        counts = np.bincount(raw, minlength=k)
        sums = np.bincount(raw, weights=np.nan_to_num(value), minlength=k)
        means = np.where(counts > 0, sums / np.maximum(counts, 1), -np.inf)
        order = np.lexsort((*km.cluster_centers_.T[::-1], -means))
        self.centers_ = km.cluster_centers_[order]
        self.k_ = k
        self.labels_ = tuple(string.ascii_uppercase[:k])
        rank = np.empty(k, dtype=np.int64)
        rank[order] = np.arange(k)
        codes = rank[raw]
        cols = list(dict.fromkeys([*self.features, self.value_column]))
        prof = features[cols].groupby(codes).mean().reindex(range(k))
        prof.insert(0, "share", np.bincount(codes, minlength=k) / n)
        prof.insert(0, "customers", np.bincount(codes, minlength=k))
        prof.index = list(self.labels_)
        self.profiles_ = prof

    def _assign(self, features: pd.DataFrame):
        with self._threads(len(features)):
            return pairwise_distances_argmin(self._matrix(features), self.centers_), None
