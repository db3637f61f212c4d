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
# # Weight explorer: the weighted score's weights and tier shares, judged out of time
# Open it in JupyterLab with `.venv/bin/jupyter lab notebooks/weight_explorer.ipynb` and run all cells.
# Each slider change re-grades the weighted score at the run's validation origin and judges it on
# what customers did next: the top tier's share of next-period profit, and the profit of the
# customers the team has room for (`decision.key_accounts`), each with its paired interval against
# the weights in the config, the package defaults and the tuned weights. The config fragment to
# paste comes last. Design: docs/TUNING.md, "The weight explorer". An interactive tool, not a run report.

# %% tags=["parameters"]
run_dir: str = ""  # run folder whose tuning/tuned_weights.yaml holds the tuned weights (empty: the config's tuning section, if any)
config: str = "../configs/cdnow_1997q3.yaml"  # run config: its data, validation origin, weights, capacity and interval settings

# %%
import ipywidgets as widgets
from IPython.display import display

from segment.explorer import Explorer

explorer = Explorer.from_config(config, run_dir=run_dir or None)

# %% [markdown]
# ## The weights in the config

# %%
display(*explorer.update(explorer.config_weights, explorer.tier_shares).displayables())

# %% [markdown]
# ## Move the sliders
# Weights count relative to their sum (all at zero is not a grading). A tier's share is the share of
# customers from the top down to the end of that tier, so each must be above the one before.

# %%
sliders = {key: widgets.FloatSlider(**settings) for key, settings in explorer.slider_settings().items()}
view = widgets.interactive_output(explorer.show, sliders)
display(widgets.VBox(list(sliders.values())), view)
