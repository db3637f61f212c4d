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
display(views.leaderboard_view(validation.leaderboard))

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
display(validation.per_tier.round(3))

# %%
for method in result.origin_assignments:
    display(plots.tier_outcomes(validation.per_tier, method=method, source=source))

# %% [markdown]
# ## Statistical models
# Logistic regression of churn on tier (odds ratios vs the best tier) and OLS with HC3
# errors of profit on tier; AIC compares methods on the same customers.

# %%
display(validation.model_fit.round(3))

# %%
display(validation.model_effects.round(4))

# %% [markdown]
# ## Agreement between methods, and where they disagree most

# %%
display(validation.agreement.round(3))

# %%
display(validation.disagreements.round(3))

# %% [markdown]
# ## Rolling-origin backtest

# %%
display(plots.backtest_lines(validation.backtest, source=source) if validation.backtest is not None and len(validation.backtest) else Markdown("No backtest origin of this config has a full outcome window inside the data."))

# %% [markdown]
# ## Tier migration between origins

# %%
display(validation.migration_summary.round(3) if validation.migration_summary is not None else Markdown("no backtest origins configured"))

# %%
display(validation.migration_paths.round(3) if validation.migration_paths is not None else Markdown("no backtest origins configured"))

# %% [markdown]
# ## Early warning: top-tier customers with falling activity (for follow-up)
# Counts per method, then the list for the best method on the leaderboard.

# %%
display(validation.early_warning.groupby("method").size().rename("flagged customers").to_frame())

# %%
best = validation.recommended.method
display(validation.early_warning[validation.early_warning["method"] == best].round(2))
