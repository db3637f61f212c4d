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
# # Weight tuning for the weighted score, out of time
# The weights are chosen on earlier as-of dates (the search folds) and judged at a later
# origin the search never read. In-sample and out-of-time figures stand side by side, so
# tuning that only fits the past shows. Design and columns: docs/TUNING.md.

# %% tags=["parameters"]
run_dir: str = ""  # run folder written by `segment run` (empty: tune from `config`)
config: str = "../configs/quick_cdnow_sample_tuning.yaml"  # config with a `tuning` section, used when run_dir is empty

# %%
from IPython.display import Markdown, display

from segment.pipeline import load_or_tune
from segment.reporting.tables import readable, styled
from segment.reporting.views import use_report_style
from segment.tuning import plots, views

use_report_style()
result = load_or_tune(run_dir, config)
tables = result.tables
source = views.caption(result)
metric = result.settings.objective_metric
display(Markdown(views.design_markdown(result)))

# %% [markdown]
# ## The answer

# %%
display(Markdown(views.headline_markdown(result)))

# %%
display(plots.in_sample_vs_out_of_time(tables["comparison"], metric=metric, title=f"{metric.replace('_', ' ')}: in sample (folds) and out of time (judged)", source=source))

# %% [markdown]
# ## In sample and out of time, every weight set
# `optimism` = in-sample minus out-of-time objective. Periods differ, so compare it
# between weight sets: a tuned set whose optimism is far above the baselines' is overfitted.
# The paired differences to the default weights use the leaderboard's bootstrap.

# %%
display(styled(readable(views.comparison_view(result)), "comparison"))

# %%
display(styled(readable(views.differences_view(result)), "differences"))

# %% [markdown]
# ## The weight grid: best candidates on the folds
# `objective_judged` is each candidate's figure at the judged origin, shown for evidence only:
# the choice uses the fold columns alone.

# %%
display(styled(readable(views.top_candidates(result)), "top_candidates"))

# %%
display(plots.simplex(tables["grid"], result.settings.indicators, chosen=result.chosen, title="Objective over the weight simplex (mean over the search folds)", source=source))

# %% [markdown]
# ## Sensitivity: which weights matter
# Each indicator's weight moves from 0 to 1, the others keep the tuned proportions;
# figures are means over the search folds.

# %%
display(styled(readable(tables["sensitivity_summary"]), "sensitivity_summary"))

# %%
display(plots.sensitivity_lines(tables["sensitivity"], title="Objective, churn discrimination and top-tier size as one weight moves", source=source))

# %% [markdown]
# ## Data-driven baseline: regression of the outcome on the normalised indicators

# %%
display(styled(readable(tables["regression"]), "regression"))

# %% [markdown]
# ## Folds, tier sizes and constraints

# %%
display(styled(readable(tables["folds"]), "folds"))

# %%
display(styled(readable(tables["constraints"]), "constraints"))

# %% [markdown]
# ## The tuned weights as a config fragment for the next quarter
# Written to `tuning/tuned_weights.yaml` in the run folder.

# %%
display(Markdown(views.fragment_markdown(result)))
