"""Clustering: k-means on transformed, scaled features, clusters ordered into tiers.

Transform: signed log1p (money, counts and days are heavily skewed; the sign keeps
loss-making customers apart), then standard scaling learned in fit. The number of
clusters is ``n_clusters`` or, when None, the k in ``k_range`` with the best silhouette
on a seeded sample of ``silhouette_sample`` customers (the stated criterion).

Scale: k-means is fitted on a seeded sample of at most ``fit_sample`` customers and the
learned centroids assign everyone (nearest centroid) — on millions of customers this
keeps the fit to seconds; the sample is large enough that centroids barely move
(measured in the benchmarks). Tiers: clusters ordered by the mean of ``value_column``
(default profit) in the fit sample, best first, labelled A, B, C, ... — so labels are
stable across runs and seeds. ``profiles_`` has size, share and feature means per tier.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import pairwise_distances_argmin, silhouette_score

from segment.methods.base import GradingMethod, check_columns


def signed_log1p(x: np.ndarray) -> np.ndarray:
    return np.sign(x) * np.log1p(np.abs(x))


@dataclass
class ClusterGrading(GradingMethod):
    features: tuple[str, ...] = ("recency_days", "frequency", "monetary_total", "profit")
    n_clusters: int | None = None
    k_range: tuple[int, ...] = (3, 4, 5, 6)
    value_column: str = "profit"
    fit_sample: int = 200_000
    silhouette_sample: int = 5_000
    n_init: int = 4
    random_state: int = 0

    description: ClassVar[str] = "k-means clusters on log-scaled RFM and profit, ordered by mean profit"

    def required_features_for_params(self) -> tuple[str, ...]:
        return (*self.features, self.value_column, "tenure_days")

    @property
    def labels(self) -> tuple[str, ...]:
        if not hasattr(self, "labels_"):
            raise AttributeError("ClusterGrading labels are known after fit (k may be chosen from the data)")
        return self.labels_

    def _matrix(self, features: pd.DataFrame) -> np.ndarray:
        z = signed_log1p(features[list(self.features)].to_numpy(dtype=float))
        return (z - self.mean_) / self.scale_

    def _fit(self, features: pd.DataFrame) -> None:
        check_columns(features, self.features, "ClusterGrading features")
        features = features.sort_index()  # the sample and k-means++ must not depend on row order
        rng = np.random.default_rng(self.random_state)
        n = len(features)
        if n == 0:
            raise ValueError("ClusterGrading needs at least one customer")
        idx = np.sort(rng.choice(n, size=min(n, self.fit_sample), replace=False))
        sample = features.iloc[idx]
        z = signed_log1p(sample[list(self.features)].to_numpy(dtype=float))
        self.mean_ = z.mean(axis=0)
        sd = z.std(axis=0)
        self.scale_ = np.where(sd > 0, sd, 1.0)
        zs = (z - self.mean_) / self.scale_
        distinct = len(np.unique(zs, axis=0))
        if self.n_clusters is not None:
            k = int(self.n_clusters)
            self.silhouettes_ = {}
        else:
            ks = [k for k in self.k_range if k < distinct]
            self.silhouettes_ = {}
            sil_idx = rng.choice(len(zs), size=min(len(zs), self.silhouette_sample), replace=False)
            for k in ks:
                km = KMeans(k, n_init=self.n_init, random_state=self.random_state).fit(zs)
                self.silhouettes_[k] = float(silhouette_score(zs[sil_idx], km.labels_[sil_idx]))
            k = max(self.silhouettes_, key=self.silhouettes_.get) if self.silhouettes_ else 1
        k = max(1, min(k, distinct))  # never more clusters than distinct points (documented)
        if k > 26:
            raise ValueError("at most 26 clusters (labels A..Z)")
        km = KMeans(k, n_init=self.n_init, random_state=self.random_state).fit(zs)
        value = sample[self.value_column].to_numpy(dtype=float)
        means = np.array([value[km.labels_ == c].mean() if (km.labels_ == c).any() else -np.inf for c in range(k)])
        # order clusters by mean value, ties by centroid coordinates (deterministic)
        order = np.lexsort((*km.cluster_centers_.T[::-1], -means))
        self.centers_ = km.cluster_centers_[order]
        self.k_ = k
        self.labels_ = tuple(string.ascii_uppercase[:k])
        codes = self._nearest(zs)
        prof = sample[list(dict.fromkeys([*self.features, self.value_column]))].assign(tier=codes)
        self.profiles_ = prof.groupby("tier").mean()
        self.profiles_.insert(0, "share", np.bincount(codes, minlength=k) / len(codes))
        self.profiles_.index = [self.labels_[i] for i in self.profiles_.index]

    def _nearest(self, zs: np.ndarray) -> np.ndarray:
        return pairwise_distances_argmin(zs, self.centers_)

    def _assign(self, features: pd.DataFrame):
        zs = self._matrix(features)
        codes = self._nearest(zs)
        return codes, None
