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
tables = result.validation["tables"]
source = f"{result.loaded.source.get('file') or result.loaded.source.get('dataset')}; origin {result.origin}, horizon {result.config.horizon_days} days"
display(Markdown("\n".join(f"- {note}" for note in result.notes)))
display(Markdown(views.method_notes(result)))
display(Markdown(views.data_banner(result)))

# %% [markdown]
# ## Leaderboard
# Top-20 % profit capture with its paired-bootstrap interval and the difference to the
# best method; churn discrimination (AUC), Gini, lift, monotonicity and trend tests.

# %%
display(views.leaderboard_view(tables["leaderboard"]))

# %% [markdown]
# The key figures of this run. For the small CDNOW sample (the default parameters) they are
# pinned by a test (`tests/reporting/expected_key_numbers.txt`), so they cannot drift unnoticed.

# %%
print(views.key_numbers(result))

# %%
display(plots.leaderboard_intervals(tables["leaderboard"], title="Which grading picked next period's profit?", source=source))

# %%
display(plots.capture_curves(result.validation["curves"], title="Capture (gain) curves of outcome profit", source=source))

# %% [markdown]
# ## Churn and profit by tier, with 95 % intervals

# %%
display(tables["per_tier"].round(3))

# %%
for method in result.origin_assignments:
    display(plots.tier_outcomes(tables["per_tier"], method=method, source=source))

# %% [markdown]
# ## Statistical models
# Logistic regression of churn on tier (odds ratios vs the best tier) and OLS with HC3
# errors of profit on tier; AIC compares methods on the same customers.

# %%
display(tables["model_fit"].round(3))

# %%
display(tables["model_effects"].round(4))

# %% [markdown]
# ## Agreement between methods, and where they disagree most

# %%
display(tables["agreement"].round(3))

# %%
display(tables["disagreements"].round(3))

# %% [markdown]
# ## Rolling-origin backtest

# %%
display(plots.backtest_lines(tables["backtest"], source=source) if len(tables.get("backtest", [])) else Markdown("No backtest origin of this config has a full outcome window inside the data."))

# %% [markdown]
# ## Tier migration between origins

# %%
display(tables["migration_summary"].round(3) if "migration_summary" in tables else Markdown("no backtest origins configured"))

# %%
display(tables["migration_paths"].round(3) if "migration_paths" in tables else Markdown("no backtest origins configured"))

# %% [markdown]
# ## Early warning: top-tier customers with falling activity (for follow-up)
# Counts per method, then the list for the best method on the leaderboard.

# %%
display(tables["early_warning"].groupby("method").size().rename("flagged customers").to_frame())

# %%
best = tables["leaderboard"].iloc[0]["method"]
display(tables["early_warning"][tables["early_warning"]["method"] == best].round(2))
