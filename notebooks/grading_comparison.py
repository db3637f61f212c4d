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
# # Grading comparison
# The same customers graded by every configured method at the grading date: tier sizes and
# what each tier is worth, then what each method shows of itself (the sections its class
# offers). Numbers come from `segment.reporting.views` and the fitted methods in the run's
# pipeline result.

# %% tags=["parameters"]
run_dir: str = ""  # run folder written by `segment run` (empty: compute from `config`)
config: str = "../configs/quick_cdnow_sample.yaml"  # config used when run_dir is empty

# %%
from IPython.display import Markdown, display

from segment.methods.reference import methods_table
from segment.reporting import governance_views, leadership, plots, stability_views, tables, views

views.use_report_style()
result = views.load_or_run(run_dir, config)
source = f"{result.loaded.source.get('file') or result.loaded.source.get('dataset')}; graded at {result.config.as_of}"
sizes = views.tier_sizes(result)
display(Markdown(views.data_banner(result)))

# %% [markdown]
# ## The methods compared
# Each method's plain name and what it ranks customers by, as the method describes itself
# (`docs/METHODS.md` has every parameter); simplicity 1 is the simplest to explain and run.

# %%
display(tables.styled(methods_table(list(result.config.methods), getattr(result, "not_graded", {})), "methods"))

# %% [markdown]
# ## Tier sizes and value at the grading date
# Customers, revenue and profit (in the feature window) per tier, for every method.

# %%
display(tables.styled(sizes, "sizes", {"customer_share": "{:.1%}", "profit_share": "{:.1%}", "revenue": "{:,.0f}",
                                      "profit": "{:,.0f}", "customers": "{:,}"}))

# %%
display(plots.tier_bars(sizes, value="customer_share", title="Share of customers per tier", source=source))

# %%
display(plots.tier_bars(sizes, value="profit_share", title="Share of profit per tier", source=source))

# %% [markdown]
# ## What each method shows of itself
# The sections a method's class offers (its `report_sections`): a customer pyramid beside the
# inverted profit pyramid, a two-axis matrix, a score grid and its segments, cluster profiles.

# %%
for heading, shown in views.method_sections(result, source):
    display(Markdown(heading), shown)

# %% [markdown]
# ## Learned rules: why a customer is where it is
# What each method learned from this data, in its own words: the cut-offs, scores, weights
# and profiles that put a customer in a tier.

# %%
display(Markdown(views.learned_rules(result)))

# %% [markdown]
# ## Why each customer is where it is
# Examples from every tier of every method (its best, middle and last customer) with the
# reason in the words the CRM export gives a sales rep (`published.csv`: `reason_<method>`).

# %%
display(*views.reason_examples(result))

# %% [markdown]
# ## Since the previous run
# How customers moved between the tiers this run and the series' previous run published (read
# from the run folder's ledger, never recomputed), and how far the tier shares and the
# customers' indicators drifted between the two.

# %%
ledger = governance_views.read_ledger(run_dir)  # what the run folder recorded; None without run_dir
display(*governance_views.since_previous_run(ledger, leadership.currency(result)))

# %% [markdown]
# ## Stable grades
# The stability rules the config turned on (off by default), what they did this run, and what
# each rule buys (fewer flip-flops) and costs (top-tier profit capture) where this run measured it.

# %%
display(*stability_views.stable_grades(run_dir))
