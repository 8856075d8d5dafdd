"""Prompts (user-chosen templates): setup-study, diagnose-convergence, compare-runs,
explain-results. Each returns instructions that name the tools to call, in order."""

from __future__ import annotations

from cobre_mcp.app import App


def register(app: App) -> None:
    """Add the prompts to ``app.server``."""
    mcp = app.server

    @mcp.prompt(
        name="setup-study",
        title="Set up a study",
        description="Walk through building or fixing a Cobre case until it validates.",
    )
    def setup_study(description: str, case_dir: str = "") -> str:
        where = f" in {case_dir}" if case_dir else ""
        return (
            f"Help me set up a Cobre hydrothermal dispatch study{where}: {description}\n\n"
            "1. Call get-config-schema (file=config, then stages, hydros, thermals, buses, lines "
            "as needed) to see the required fields.\n"
            "2. Create or edit the case files: config.json, stages.json, penalties.json, "
            "initial_conditions.json, system/*.json and scenarios/*.parquet.\n"
            "3. Call validate with case_dir and fix every error record (each has a suggestion); "
            "repeat until valid=true. Review the warnings.\n"
            "4. Call load-case and list-scenarios to confirm entity counts, stages and the "
            "scenario source, then summarise the study for me before training."
        )

    @mcp.prompt(
        name="diagnose-convergence",
        title="Diagnose convergence",
        description="Look at a training run's bounds and gap and suggest what to change.",
    )
    def diagnose_convergence(output_dir: str) -> str:
        return (
            f"Diagnose the convergence of the SDDP training run in {output_dir}.\n\n"
            "1. Call query-convergence with output_dir. Note the termination reason, the final "
            "lower bound, the upper bound mean and std, and the gap.\n"
            "2. Look for a stalled lower bound (small relative changes over the last "
            "iterations), a noisy upper bound (large std compared with the gap), and whether the "
            "iteration limit rather than a convergence rule stopped the run.\n"
            "3. Call inspect-policy to see cuts per stage.\n"
            "4. Recommend concrete changes: more iterations, more forward passes, a bound-stalling "
            "rule, or a different seed to check robustness; explain why for each."
        )

    @mcp.prompt(
        name="compare-runs",
        title="Compare runs",
        description="Compare two or more trained runs and recommend one.",
    )
    def compare_runs(output_dirs: str) -> str:
        return (
            f"Compare these SDDP runs (comma-separated run directories): {output_dirs}\n\n"
            "1. Call compare-policies with output_dirs as a list.\n"
            "2. Call query-convergence on each and compare how fast the lower bound rose.\n"
            "3. Where runs were simulated, call query-results with entity_type=costs, "
            "group_by=stage for each and compare the stage cost profiles.\n"
            "4. Summarise policy quality (bounds, gap), convergence speed and simulated cost, "
            "and recommend one run with reasons."
        )

    @mcp.prompt(
        name="explain-results",
        title="Explain results",
        description="Explain a simulation's results for one entity type and metric.",
    )
    def explain_results(output_dir: str, entity_type: str = "costs", metric: str = "") -> str:
        what = f" focusing on {metric}" if metric else ""
        return (
            f"Explain the simulation results in {output_dir} for {entity_type}{what}.\n\n"
            f"1. Call query-results with entity_type={entity_type}, group_by=stage, agg=mean "
            "(and agg=std) to get the profile over stages.\n"
            "2. Where useful, group_by=entity to compare plants or buses, and query single "
            "scenarios for extremes.\n"
            "3. Explain the pattern in hydrothermal terms: water value and reservoir "
            "drawdown, thermal merit order, deficits and spillage, marginal costs.\n"
            "4. Flag anything unusual (deficit, constraint violations, spillage while thermals "
            "run) and say which input to check."
        )
