# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Validation against churn and profit
# Every method was fitted on the features at the validation origin and is judged on what
# customers did in the following window. Columns are documented in docs/VALIDATION.md.

# %% tags=["parameters"]
run_dir: str = ""  # run folder written by `segment run` (empty: compute from `config`)
config: str = "../configs/quick_cdnow_sample.yaml"  # config used when run_dir is empty

# %%
from IPython.display import Markdown, display

from segment.reporting import plots, views

result = views.load_or_run(run_dir, config)
validation = result.validation
source = f"{result.loaded.source.get('file') or result.loaded.source.get('dataset')}; origin {result.origin}, horizon {result.config.horizon_days} days"
display(Markdown(views.bullets(result.notes)))
display(Markdown(views.method_notes(result)))
display(Markdown(views.data_banner(result)))

# %% [markdown]
# ## Leaderboard
# Top-20 % profit capture with its paired-bootstrap interval and the difference to the
# best method; churn discrimination (AUC), Gini, lift, monotonicity and trend tests.

# %%
display(views.styled(views.leaderboard_view(validation.leaderboard), "leaderboard", precision=3))

# %% [markdown]
# ## Every metric with its interval
# Per method: each metric with its 95 % interval, and the paired difference to the best method
# on that metric with its interval (`*`: clearly worse, the interval excludes zero).

# %%
display(views.styled(views.metric_intervals_view(validation.metric_intervals, list(validation.leaderboard["method"])), "metric_intervals"))
display(Markdown(views.bullets(views.interval_notes(validation.metric_intervals))))

# %% [markdown]
# The key figures of this run. For the small CDNOW sample (the default parameters) they are
# pinned by a test (`tests/reporting/expected_key_numbers.txt`), so they cannot drift unnoticed.

# %%
print(views.key_numbers(result))

# %%
display(plots.leaderboard_intervals(validation.leaderboard, title="Which grading picked next period's profit?", source=source))

# %%
display(plots.capture_curves(validation.curves, title="Capture (gain) curves of outcome profit", source=source))

# %% [markdown]
# ## Churn and profit by tier, with 95 % intervals

# %%
display(views.styled(validation.per_tier, "per_tier", precision=3))

# %%
for method in result.origin_assignments:
    display(plots.tier_outcomes(validation.per_tier, method=method, source=source))

# %% [markdown]
# ## Statistical models
# Logistic regression of churn on tier (odds ratios vs the best tier) and OLS with HC3
# errors of profit on tier; AIC compares methods on the same customers.

# %%
display(views.styled(validation.model_fit, "model_fit", precision=3))

# %%
display(views.styled(validation.model_effects, "model_effects", precision=4))

# %% [markdown]
# ## Agreement between methods, and where they disagree most
# The customers the methods disagree on most: why first (the spread of their percentiles, the
# method ranking them best and worst, the conflict), then their figures and every method's tier
# (the percentiles are in `validation/disagreements.csv`).

# %%
display(views.styled(validation.agreement, "agreement", precision=3))

# %%
display(views.styled(views.disagreements_view(validation.disagreements), "disagreements", precision=3))

# %% [markdown]
# ## Rolling-origin backtest

# %%
display(plots.backtest_lines(validation.backtest, source=source) if validation.backtest is not None and len(validation.backtest) else Markdown("No backtest origin of this config has a full outcome window inside the data."))

# %% [markdown]
# How stable each method's rank is across the backtest origins: how often it was best, its mean
# and worst rank, and its top-20 % profit capture (mean, lowest, highest).

# %%
display(views.styled(validation.backtest_stability, "backtest_stability", precision=3) if validation.backtest_stability is not None else Markdown("No backtest origins configured."))

# %% [markdown]
# ## Tier migration between origins

# %%
display(views.styled(validation.migration_summary, "migration_summary", precision=3) if validation.migration_summary is not None else Markdown("No backtest origins configured."))

# %%
display(views.styled(validation.migration_paths, "migration_paths", precision=3) if validation.migration_paths is not None else Markdown("No backtest origins configured."))

# %% [markdown]
# ## Early warning: top-tier customers with falling activity (for follow-up)
# Does the rule work out of time? Churn and profit per customer after the origin of the top-tier
# customers it flagged at the origin and of those it did not, with 95 % intervals on churn.

# %%
display(views.styled(validation.warning_check, "warning_check", precision=3))

# %% [markdown]
# Counts per method at the grading date, then the list for the recommended method.

# %%
display(views.styled(validation.early_warning.groupby("method").size().rename("flagged customers").reset_index(), "flagged"))

# %%
best = validation.recommended.method
display(views.styled(validation.early_warning[validation.early_warning["method"] == best], "early_warning", precision=2))
