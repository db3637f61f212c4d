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
# # Customer grading: summary for leadership

# %% tags=["parameters"]
run_dir: str = ""  # run folder written by `segment run` (empty: compute from `config`)
config: str = "../configs/quick_cdnow_sample.yaml"  # config used when run_dir is empty
min_tier_size: int = 10  # tiers with fewer customers are suppressed (no small groups shown)

# %%
from IPython.display import Markdown, display

from segment.reporting import leadership, plots, views

result = views.load_or_run(run_dir, config)
advice = leadership.recommendation(result)  # validation's (docs/VALIDATION.md): the simplest not clearly worse
method = advice.method
source = f"{result.loaded.source.get('file') or result.loaded.source.get('dataset')}; origin {result.origin}"

# %%
display(Markdown(leadership.data_banner(result)))

# %% [markdown]
# ## The answer

# %%
display(Markdown(leadership.headline(result, min_tier_size)))

# %%
display(plots.paired_differences(result.validation.leaderboard, title="How far each grading trails the best at picking next period's profit", source=source, labels=leadership.method_names(), recommended=method, margin=advice.margin))

# %% [markdown]
# ## The tiers of the recommended grading: size and worth

# %%
display(Markdown(leadership.tier_summary_intro(result, method, min_tier_size)))

# %%
display(leadership.tier_summary(result, method, min_tier_size))

# %%
display(plots.tier_outcomes(result.validation.per_tier, method=method, source=source, label=leadership.method_names().get(method), min_tier_size=min_tier_size))

# %% [markdown]
# ## Early warning

# %%
display(Markdown(leadership.early_warning_count(result, method, min_tier_size)))

# %% [markdown]
# ## What changed since last quarter

# %%
display(Markdown(leadership.what_changed(result, method, min_tier_size)))

# %% [markdown]
# ## Policy per tier (as the sources suggest)

# %%
display(leadership.policy_table(list(result.assignments[method]["tier"].cat.categories)))

# %% [markdown]
# ## Assumptions

# %%
display(Markdown(views.bullets(leadership.assumptions(result))))
