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

from segment.methods.reference import text
from segment.reporting import capacity_views, governance_views, leadership, leadership_tables, plots, stability_views, tables, views

views.use_report_style()
result = views.load_or_run(run_dir, config)
advice = leadership.recommendation(result)  # validation's (docs/VALIDATION.md): the simplest not clearly worse
method = advice.method
source = leadership.figure_source(result)  # the data in words and the dates: no file, no code name

# %%
opening = leadership.opening(result)  # synthetic data, every grade provisional: said before the answer
if opening:
    display(Markdown(opening))

# %% [markdown]
# ## The answer

# %%
display(Markdown(text(capacity_views.capacity_sentence(result))))
display(Markdown(leadership.headline(result, min_tier_size)))

# %%
display(plots.paired_differences(result.validation.leaderboard, title="How far each grading trails the best at picking next period's profit", source=source, labels=leadership.method_names(), recommended=method, margin=advice.margin))

# %% [markdown]
# ## Today's tiers: size and worth

# %%
display(Markdown(leadership_tables.tiers_note(result, method, min_tier_size)))

# %%
display(tables.styled(leadership_tables.tiers_today(result, method, min_tier_size).reset_index(), "tiers_today", caption=leadership_tables.tiers_today_caption(result, method)))

# %% [markdown]
# ## The out-of-time test: how the same rule's tiers did

# %%
display(tables.styled(leadership_tables.tiers_test(result, method, min_tier_size).reset_index(), "tiers_test", caption=leadership_tables.tiers_test_caption(result, method)))

# %%
display(plots.tier_outcomes(result.validation.per_tier, method=method, source=source, label=leadership.method_names().get(method), min_tier_size=min_tier_size, window=f"the {result.config.window.label} after {result.origin}", unit=leadership.currency(result)))

# %% [markdown]
# ## Early warning

# %%
display(Markdown(leadership.early_warning_text(result, method, min_tier_size)))

# %% [markdown]
# ## What changed since the last run

# %%
ledger = governance_views.read_ledger(run_dir)  # what the run folder recorded; None without run_dir
display(Markdown(governance_views.since_last_run(ledger, leadership.currency(result), min_tier_size)))
if (stable := stability_views.stability_sentence(run_dir)) is not None:
    display(Markdown(stable))

# %% [markdown]
# ## Policy per tier (as the sources suggest)

# %%
display(leadership_tables.policy_table(list(result.assignments[method]["tier"].cat.categories)))

# %% [markdown]
# ## Assumptions

# %%
display(Markdown(tables.bullets(leadership.assumptions(result))))
