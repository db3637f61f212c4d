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

from segment.reporting import capacity_views, plots, tables, views

views.use_report_style()
result = views.load_or_run(run_dir, config)
validation = result.validation
source = f"{result.loaded.source.get('file') or result.loaded.source.get('dataset')}; origin {result.origin}, horizon {result.config.window.label}"
display(Markdown(tables.bullets(result.notes)))
display(Markdown(views.method_notes(result)))
display(Markdown(views.data_banner(result)))

# %% [markdown]
# ## Leaderboard
# Top-20 % profit capture with its paired-bootstrap interval and the difference to the
# best method; churn discrimination (AUC), Gini, lift, monotonicity and trend tests.

# %%
display(*tables.table(validation.leaderboard, "leaderboard"))

# %% [markdown]
# How each method ranks churn and concentrates profit, and whether churn and profit move
# tier by tier in the expected direction (trend tests).

# %%
display(*tables.table(validation.leaderboard, "ranking"))

# %% [markdown]
# ## Every metric with its interval
# Per method: each metric with its 95 % interval, and the paired difference to the best method
# on that metric with its interval (`*`: clearly worse, the interval excludes zero).

# %%
order = list(validation.leaderboard["method"])
display(tables.styled(tables.metric_intervals_view(validation.metric_intervals, order, part="estimate"), "metric_intervals"))
display(tables.styled(tables.metric_intervals_view(validation.metric_intervals, order, part="difference"), "metric_differences"))
display(Markdown(tables.bullets(tables.interval_notes(validation.metric_intervals))))

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
# ## Key accounts: next-period profit covered by each grading's top customers
# With the team's capacity (`decision.key_accounts`), against hindsight and a random choice.

# %%
display(capacity_views.capacity_figure(result))
display(tables.styled(capacity_views.capacity_table_view(result), "capacity"))

# %% [markdown]
# ## Churn and profit by tier, with 95 % intervals

# %%
display(*tables.table(validation.per_tier, "per_tier_churn"))
display(*tables.table(validation.per_tier, "per_tier_money"))

# %%
display(views.tier_outcomes_by_method(result, source))

# %% [markdown]
# ## Statistical models
# Logistic regression of churn on tier (odds ratios vs the best tier) and OLS with HC3
# errors of profit on tier; AIC compares methods on the same customers.

# %%
display(*tables.table(validation.model_fit, "churn_model"))
display(*tables.table(validation.model_fit, "profit_model"))

# %%
display(*tables.table(validation.model_effects, "model_effects"))

# %% [markdown]
# ## Agreement between methods, and where they disagree most
# The customers the methods disagree on most: why first (the spread of their percentiles, the
# method ranking them best and worst, the conflict), then their figures and every method's tier
# (the percentiles are in `validation/disagreements.csv`).

# %%
display(*tables.table(validation.agreement, "agreement"))

# %%
display(tables.styled(tables.disagreements_view(validation.disagreements), "disagreements"))
display(Markdown(tables.legend(list(validation.disagreements.columns))))
display(tables.styled(tables.disagreement_tiers_view(validation.disagreements), "disagreement_tiers"))

# %% [markdown]
# ## Rolling-origin backtest

# %%
display(plots.backtest_lines(validation.backtest, source=source) if validation.backtest is not None and len(validation.backtest) else Markdown("No backtest origin of this config has a full outcome window inside the data."))

# %% [markdown]
# How stable each method's rank is across the backtest origins: how often it was best, its mean
# and worst rank, and its top-20 % profit capture (mean, lowest, highest).

# %%
display(*tables.table(validation.backtest_stability, "backtest_stability", missing="No backtest origins configured."))

# %% [markdown]
# ## Tier migration between origins

# %%
display(*tables.table(validation.migration_summary, "migration_summary", missing="No backtest origins configured."))

# %%
display(*tables.table(validation.migration_paths, "migration_paths", missing="No backtest origins configured."))

# %% [markdown]
# ## Early warning: top-tier customers with falling activity (for follow-up)
# Does the rule work out of time? Churn and profit per customer after the origin of the top-tier
# customers it flagged at the origin and of those it did not, with 95 % intervals on churn.

# %%
display(*tables.table(validation.warning_check, "warning_check"))

# %% [markdown]
# Counts per method at the grading date, then the list for the recommended method (its most profitable
# customers first; validation/follow_up.csv is the list cut to the team's capacity, most profit at risk first).

# %%
display(tables.styled(validation.early_warning.groupby("method").size().rename("flagged customers").reset_index(), "flagged"))

# %%
best = validation.recommended.method
display(*tables.table(validation.early_warning[validation.early_warning["method"] == best], "early_warning",
                     first=tables.LIST_ROWS, rest=", most profit first; every method's whole list is in "
                     "validation/early_warning.csv"))
