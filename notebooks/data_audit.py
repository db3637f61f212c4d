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
# # Data audit
# What was read, what was excluded and why, how the customers' value is distributed, and
# whether the 80/20 concentration that customer grading assumes is really there.
# Every number comes from `segment.reporting.views` applied to the run's pipeline result.

# %% tags=["parameters"]
run_dir: str = ""  # run folder written by `segment run` (empty: compute from `config`)
config: str = "../configs/quick_cdnow_sample.yaml"  # config used when run_dir is empty

# %%
from IPython.display import Markdown, display

from segment.reporting import plots, tables, views

views.use_report_style()
result = views.load_or_run(run_dir, config)
source = f"Source: {result.loaded.source.get('file') or result.loaded.source.get('dataset')}; as of {result.config.as_of}"
display(Markdown(views.data_banner(result)))

# %% [markdown]
# ## What was read
# Rows read, rows excluded or changed by reason (the counts add up to the rows read), and
# the assumptions the profit figures rest on.

# %%
audit = views.audit_table(result)
display(tables.styled(audit, "audit"))

# %% [markdown]
# ## How value is distributed

# %%
display(views.plain_log_ticks(plots.histogram(result.features["monetary_total"], what="revenue per customer", unit="currency", source=source)))

# %%
display(plots.concentration(result.features["monetary_total"], what="revenue", as_of=result.config.as_of, source=source))

# %%
display(plots.concentration(result.features["profit"], what="profit", as_of=result.config.as_of, source=source))

# %% [markdown]
# ## Notes on this run

# %%
display(Markdown(tables.bullets(result.notes)))
