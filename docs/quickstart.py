# %% [markdown]
# # cobre_core quickstart
#
# A notebook-style tour of the Python library (run it as a script, or open it in an editor that
# understands `# %%` cells, such as VS Code or Jupytext). It writes the bundled `toy` example (one
# hydro, two thermals, six monthly stages) to a scratch directory, then: loads and edits the
# config, validates, trains with a progress callback, simulates, reads the results into pandas,
# checks that the per-stage costs add up to the simulated mean, and evaluates the trained policy.
#
# Set `COBRE_QUICKSTART_DIR` to choose the scratch directory (the tests do).

# %%
import os
import tempfile
from pathlib import Path

import numpy as np

import cobre_core as cc
from cobre_core.examples import write_example

workdir = Path(os.environ.get("COBRE_QUICKSTART_DIR") or tempfile.mkdtemp(prefix="cobre-qs-"))
case_dir = write_example("toy", workdir / "toy", overwrite=True)
out_dir = workdir / "out"
print("case written to", case_dir)

# %% [markdown]
# ## 1. Read and edit the config
#
# Settings are addressed by dotted paths with list indices. Every edit is validated at once; a
# bad value raises `cobre_core.ValidationError` whose record names the field.

# %%
cfg = cc.Config.load(case_dir)
print(cfg)
print("iteration limit:", cfg.get("training.stopping_rules[0].limit"))
print("stopping mode (a default):", cfg.get("training.stopping_mode"))

cfg.set("training.stopping_rules[0].limit", 15).set("training.forward_passes", 4)
cfg.set("simulation.num_scenarios", 40)

try:
    cfg.set("training.forward_passes", -3)
except cc.ValidationError as err:
    print("rejected:", err.kind, "on", err.context["field"], "-", err.suggestion)
assert cfg.get("training.forward_passes") == 4  # a rejected edit changes nothing

cfg.save()  # back to toy/config.json, atomically
assert cc.Config.load(case_dir) == cfg

# %% [markdown]
# ## 2. Validate
#
# Five layers: structural, schema, referential, dimensional, semantic. Validation never raises;
# it returns a report of records (kind, message, context, suggestion).

# %%
validator = cc.Validator(case_dir)
report = validator.run()
print("valid:", report.valid, "| layers run:", ", ".join(report.layers_run))
for layer, records in validator.by_layer(warnings=True).items():
    print(f"  {layer:<12} {len(records)} record(s)")
assert report.valid

# %% [markdown]
# ## 3. Train, with a progress callback
#
# `progress=True` shows a bar (tqdm when installed); a callable gets each iteration's record.

# %%
cc.set_default_threads(2)  # every Study run from here on uses 2 worker threads
study = cc.Study(case_dir, output_dir=out_dir)

history = []


def on_iteration(rec):
    history.append(rec)
    print(f"  iteration {rec.iteration:>2}: lower bound {rec.lower_bound:,.0f} $")


training = study.train(progress=on_iteration)
print(training.termination_reason, "after", training.iterations, "iterations")
print(f"lower bound {training.final_lower_bound:,.0f} $")
print(f"upper bound {training.final_upper_bound:,.0f} $ (a noisy estimate)")
assert len(history) == training.iterations == 15

# %% [markdown]
# ## 4. Simulate the trained policy

# %%
simulation = study.simulate()  # 40 scenarios, from the edited config
print(f"{simulation.completed} scenarios, mean cost {simulation.mean_cost:,.0f} $")

# %% [markdown]
# ## 5. Results as pandas DataFrames
#
# `Results` reads the run directory; filters (ids, stage and scenario ranges) go down to Parquet.
# `to="arrow"` or `to="polars"` return other frame types.

# %%
results = study.results()
convergence = results.convergence()
costs = results.costs()
print(convergence[["iteration", "lower_bound", "upper_bound_mean"]].tail(3))
n_stages = study.case.num_stages
assert len(costs) == simulation.scenarios * n_stages  # one row per scenario and stage

# The discounted immediate costs of the stages add up to each scenario's total cost, and their
# mean over scenarios is the simulation's mean cost.
discounted = costs["discount_factor"] * costs["immediate_cost"]
per_scenario = discounted.groupby(costs["scenario_id"]).sum()
print(f"sum of discounted stage costs, averaged: {per_scenario.mean():,.0f} $")
assert np.isclose(per_scenario.mean(), simulation.mean_cost, rtol=1e-9)

# %% [markdown]
# ## 6. The policy: cuts as arrays, future cost at a state
#
# The cuts of stage t bound the cost of the later stages as a function of the state leaving t:
# storage per hydro, then the inflow lags. The state leaving stage 0 of scenario 0 is the state
# entering stage 1, which the hydros and inflow_lags tables record.

# %%
policy = study.policy
alpha, pi = policy.cuts(0)
print(policy, "| stage 0 cuts:", alpha.shape, pi.shape, "| state:", policy.state_names)

entering = results.hydros(stages=(1, 1), scenarios=(0, 0))
lags = results.inflow_lags(stages=(1, 1), scenarios=(0, 0)).sort_values("lag_index")
x = policy.state(
    storage=dict(zip(entering.hydro_id, entering.storage_initial_hm3, strict=True)),
    inflow_lags={0: list(lags.inflow_m3s)},
)
future = policy.future_cost(0, x)
discount = study.case.stages[0].discount
recorded = float(costs.query("scenario_id == 0 and stage_id == 0")["future_cost"].iloc[0])
print(f"future cost after stage 0: {future:,.0f} $ (the simulation recorded {recorded:,.0f} $)")
assert np.isclose(discount * future, recorded, rtol=1e-6)

# %% [markdown]
# ## 7. The inflow model
#
# PAR(p) coefficients per stage and hydro, and fresh inflow paths sampled from the model.

# %%
inflows = study.inflow_model()
print(inflows.coefficients())
paths = inflows.simulate_inflows(500, seed=7)  # (paths, stages, hydros), m3/s
print("sampled mean inflow per stage:", np.round(paths.mean(axis=0)[:, 0], 1))
print("model mean path:              ", np.round(inflows.mean_path()[:, 0], 1))

# %% [markdown]
# ## 8. Plots (needs the `notebook` extra: matplotlib)

# %%
try:
    from cobre_core.notebook import plot_convergence, plot_cost_fan
except ImportError:
    print("matplotlib is not installed: pip install 'cobre-mcp[notebook]' for the plots")
else:
    plot_convergence(training).savefig(workdir / "convergence.png")
    plot_cost_fan(results).savefig(workdir / "cost_fan.png")
    print("plots written to", workdir)

cc.set_default_threads(None)  # back to the default of 1 thread
