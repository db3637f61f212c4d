"""Clustering: k-means on transformed, scaled features; clusters ordered into tiers.

Transform: a money feature (``MONEY_FEATURES``) is first divided by its money unit learned
in fit, the median of its non-zero absolute values on the fit sample (1 when all are zero),
so that the money unit (dollars, cents, another currency) changes no tier: the signed log
below is not scale-invariant, and taking it of raw cents gave other clusters and another k
than of dollars. Then every feature goes through a signed log1p, sign(v)·log(1 + |v|)
(money, counts and days are heavily right-skewed; the sign keeps loss-making customers apart
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
given), ``money_unit_`` (per feature: the divisor, 1 for non-money), ``mean_``/``scale_`` (the scaling), ``centers_`` (scaled space, tier order) and
``profiles_`` (per tier: customers, share, and the mean of every clustering feature and
the value column, over the calibration table) for the report.

``explain`` gives the profile of the customer's cluster (the calibration table's means, in words):
``B: cluster 2 of 4 by mean profit, best first; its customers on average: last order 60 days ago,
2.7 orders, revenue 420.00, profit 100.00``. The same sentence for every customer of a cluster:
k-means places a customer by all its features at once, so no single value is "the" reason.

A Gaussian mixture was considered and left out: tiers need hard, ordered groups, not
soft memberships; frequency is a count with large spikes (most customers buy once), on
which full-covariance components collapse onto the spike (singular covariances); and it
costs several times k-means for no gain in how the tiers separate value.
"""

from __future__ import annotations

import string
import warnings
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from segment.methods.base import (MONEY_FEATURES, GradingMethod, by_code, feature_name, feature_phrase, feature_value,
                                  percent)
from segment.methods.params import param
from segment.process import thread_limits


def signed_log1p(x: np.ndarray) -> np.ndarray:
    return np.sign(x) * np.log1p(np.abs(x))


def mean_silhouettes(points: np.ndarray, labelings: list[np.ndarray], block: int = 256) -> list[float]:
    """The mean silhouette of each labelling of ``points`` (each with at least two distinct
    labels), by euclidean distance: sklearn's ``silhouette_score`` (a point alone in its cluster
    scores 0) for all labellings in one pass. The distances are computed a block of rows at a
    time (sklearn's formula: sqrt(max(|x|^2 + |y|^2 - 2 x.y, 0)), 0 to itself) and at once summed
    per cluster of every labelling by one matrix product, never held as a whole n x n matrix.
    The same numbers up to rounding in the last digits (tested against sklearn)."""
    n = len(points)
    codes = [np.unique(labels, return_inverse=True)[1] for labels in labelings]  # clusters present, as sklearn
    widths = [int(c.max()) + 1 for c in codes]
    starts = np.concatenate([[0], np.cumsum(widths)])
    onehot = np.zeros((n, int(starts[-1])))
    for c, start in zip(codes, starts):
        onehot[np.arange(n), start + c] = 1.0
    squares = np.einsum("ij,ij->i", points, points)
    sums = np.empty_like(onehot)  # point x (labelling, cluster): the sum of its distances to the cluster
    for lo in range(0, n, block):
        hi = min(n, lo + block)
        d = points[lo:hi] @ points.T
        d *= -2.0
        d += squares[lo:hi, None]
        d += squares[None, :]
        np.maximum(d, 0.0, out=d)
        d[np.arange(hi - lo), np.arange(lo, hi)] = 0.0
        np.sqrt(d, out=d)
        sums[lo:hi] = d @ onehot
    rows, out = np.arange(n), []
    for c, lo, hi in zip(codes, starts[:-1], starts[1:]):
        own_sums = sums[:, lo:hi]
        sizes = np.bincount(c, minlength=hi - lo)
        with np.errstate(divide="ignore", invalid="ignore"):
            a = own_sums[rows, c] / (sizes[c] - 1)
            mean_to = own_sums / sizes
            mean_to[rows, c] = np.inf
            b = mean_to.min(axis=1)
            silhouette = (b - a) / np.maximum(a, b)
        out.append(float(np.nan_to_num(silhouette).mean()))
    return out


def _money_unit(values: pd.Series) -> float:
    """The median of the non-zero absolute values (1.0 when there is none): money / unit does not
    depend on the unit money is counted in."""
    v = np.abs(values.to_numpy(dtype=float))
    v = v[(v > 0) & np.isfinite(v)]
    return float(np.median(v)) if len(v) else 1.0


@dataclass
class ClusterGrading(GradingMethod):
    features: tuple[str, ...] = param(("recency_days", "frequency", "monetary_total", "profit"),
                                      help="clustering features (money in its learned unit, signed-log1p "
                                           "transformed, then standardised)")
    n_clusters: int | None = param(None, low=1, high=26, help="number of clusters; none = chosen by silhouette "
                                                              "over k_range")
    k_range: tuple[int, ...] = param((3, 4, 5, 6), low=2, high=26, help="numbers of clusters the silhouette "
                                                                       "chooses from")
    value_column: str = param("profit", help="clusters are ordered into tiers by the mean of this column, "
                                             "best (highest) first")
    fit_sample: int = param(200_000, low=1, help="k-means is fitted on a seeded sample of at most this many customers")
    silhouette_sample: int = param(5_000, low=2, help="customers the silhouette of each k is computed on "
                                                      "(it is quadratic in this)")
    n_init: int = param(4, low=1, help="k-means restarts")
    random_state: int = param(0, low=0, help="seed of the samples and of k-means")

    display_name: ClassVar[str] = "data-driven clusters (k-means)"
    description: ClassVar[str] = "groups customers with similar buying patterns and ranks the groups by profit"
    simplicity: ClassVar[int] = 8
    promises: ClassVar[frozenset[str]] = frozenset({"row_order", "money_scale"})
    report_sections: ClassVar[tuple[str, ...]] = ("cluster_profiles",)
    test_params: ClassVar[dict] = {"n_clusters": 4, "random_state": 0}
    explains: ClassVar[str] = ("the profile of the customer's cluster: its rank and the average last order, orders, "
                               "revenue and profit of its customers")

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
        return signed_log1p(values / self.money_unit_)

    def _matrix(self, features: pd.DataFrame) -> np.ndarray:
        return (self._transformed(features) - self.mean_) / self.scale_

    def _kmeans(self, zs: np.ndarray, k: int):
        """k-means on one thread (the caller's ``thread_limits(1)``): its centroids then do not depend
        on the machine's core count (per-thread partial sums round differently), and on the fit
        sample (at most ``fit_sample`` rows) one thread was faster than two here (23,570
        rows: 0.15 s against 0.32 s for one k, 4 restarts; 200,000 rows: 0.82 s against 0.96 s)."""
        from sklearn.cluster import KMeans  # imported when fitting: reading the class's description stays cheap

        return KMeans(k, n_init=self.n_init, random_state=self.random_state).fit(zs)

    def _fit(self, features: pd.DataFrame) -> None:
        n = len(features)
        features = features.sort_index()  # the sample and k-means++ must not depend on row order
        rng = np.random.default_rng(self.random_state)
        idx = np.sort(rng.choice(n, size=min(n, self.fit_sample), replace=False))
        sample = features.iloc[idx]
        self.money_unit_ = np.array([_money_unit(sample[c]) if c in MONEY_FEATURES else 1.0 for c in self.features])
        z = self._transformed(sample)
        self.mean_ = z.mean(axis=0)
        sd = z.std(axis=0)
        self.scale_ = np.where(sd > 0, sd, 1.0)
        zs = (z - self.mean_) / self.scale_
        distinct = len(np.unique(zs, axis=0))

        self.silhouettes_: dict[int, float] = {}
        from sklearn.metrics import pairwise_distances_argmin

        with thread_limits(1):
            k, km = self._choose_and_fit(zs, distinct, rng)

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

    def _choose_and_fit(self, zs: np.ndarray, distinct: int, rng: np.random.Generator):
        """(k, its fitted k-means) on the scaled fit sample ``zs``: ``n_clusters``, else the k of
        ``k_range`` with the best mean silhouette on a seeded sample (module docstring)."""
        fitted: dict = {}
        if self.n_clusters is not None:
            k = int(self.n_clusters)
            if k > distinct:
                warnings.warn(f"ClusterGrading: n_clusters={k} but only {distinct} distinct customers in the fit "
                              f"sample; using k={distinct}", UserWarning, stacklevel=4)
                k = distinct
        else:
            ks = sorted(k for k in set(self.k_range) if k < distinct)  # silhouette needs k < distinct points
            if not ks:
                k = min(distinct, min(self.k_range))
                if distinct > 1:
                    warnings.warn(f"ClusterGrading: only {distinct} distinct customers, fewer than k_range needs; "
                                  f"using k={k}", UserWarning, stacklevel=4)
            else:
                sil = rng.choice(len(zs), size=min(len(zs), self.silhouette_sample), replace=False)
                fitted = {kk: self._kmeans(zs, kk) for kk in ks}
                several = [kk for kk in ks if len(np.unique(fitted[kk].labels_[sil])) > 1]
                scores = dict(zip(several, mean_silhouettes(zs[sil], [fitted[kk].labels_[sil] for kk in several])))
                self.silhouettes_.update({kk: scores.get(kk, -1.0) for kk in ks})
                k = max(ks, key=lambda kk: (self.silhouettes_[kk], -kk))
        return k, fitted[k] if k in fitted else self._kmeans(zs, k)

    def _assign(self, features: pd.DataFrame):
        from sklearn.metrics import pairwise_distances_argmin

        return pairwise_distances_argmin(self._matrix(features), self.centers_), None

    def cluster_profiles_in_words(self) -> list[str]:
        """One sentence per tier (cluster), best first: its rank and its calibration means."""
        head = f"by mean {feature_name(self.value_column)}, best first"
        out = []
        for i, (tier, p) in enumerate(self.profiles_.iterrows()):
            if not p["customers"]:
                out.append(f"{tier}: cluster {i + 1} of {self.k_} {head}; it held no customer of the calibration table")
                continue
            means = ", ".join(feature_phrase(c, float(p[c])) for c in self.profiles_.columns[2:])
            out.append(f"{tier}: cluster {i + 1} of {self.k_} {head}; its customers on average: {means}")
        return out

    def _explain(self, features: pd.DataFrame, codes, score):
        return by_code(self.cluster_profiles_in_words(), codes)

    def learned_rules(self) -> list[str]:
        how = (f"k = {self.k_} clusters, the best mean silhouette ({self.silhouettes_[self.k_]:.3f}) of k in "
               f"{', '.join(map(str, self.silhouettes_))}" if self.k_ in self.silhouettes_ else f"k = {self.k_} clusters")
        rules = [f"{how}; tiers ordered by mean {feature_name(self.value_column)}, best first"]
        for tier, p in self.profiles_.iterrows():
            means = ", ".join(f"{feature_name(c)} {feature_value(c, p[c])}" for c in self.profiles_.columns[2:])
            rules.append(f"{tier}: {p['customers']:,.0f} customers ({percent(p['share'])}), mean {means}"
                         if p["customers"] else f"{tier}: no customer of the calibration table")
        return rules
