"""Figures are rendered (Agg) and inspected: titles, axis scales, lines, legends."""

import warnings

import pytest

from aiscale import plots
from aiscale.model import CONSTRAINTS, build_model, simulate_baseline
from aiscale.model.loops import LOOP_FAMILIES, name_loops


@pytest.fixture(scope="module")
def run():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        model = build_model()
        return model, simulate_baseline(model, stop=2035)


def test_trajectory_panels(run, tmp_path):
    _, result = run
    fig = plots.trajectory_panels(result)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["Largest training run", "Binding constraint (thick: binding)", "Automation",
                      "Algorithms and hardware", "Money", "Compute fleet"]
    scales = {ax.get_title(): ax.get_yscale() for ax in fig.axes}
    assert scales["Automation"] == "linear" and scales["Money"] == "log" and scales["Largest training run"] == "log"
    assert all(ax.get_xlabel() == "year" for ax in fig.axes)
    assert "USD per year" in fig.axes[4].get_ylabel()
    paths = plots.save(fig, tmp_path, "trajectory")
    assert [p.suffix for p in paths] == [".png", ".svg"] and all(p.stat().st_size > 10_000 for p in paths)


def test_binding_constraint_timeline_highlights_the_binding_ceiling(run):
    _, result = run
    fig = plots.binding_constraint_timeline(result)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    assert len(ax.get_lines()) == 2 * len(CONSTRAINTS) + 1
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [f"{c} ceiling" for c in CONSTRAINTS] + ["largest run"]
    thick = [line for line in ax.get_lines() if line.get_linewidth() > 3]
    binding = set(result.frame["binding_constraint"])
    drawn = {c for c, line in zip(CONSTRAINTS, thick) if (~__import__("numpy").isnan(line.get_ydata())).any()}
    assert drawn == binding


def test_causal_loop_diagram_and_dominance(run):
    from aiscale.stocks_flows.structure import LoopAnalysis

    model, result = run
    analysis = LoopAnalysis(model, result)
    named = name_loops(analysis.loops)
    keys = {v for family in LOOP_FAMILIES for v in family.passes_through}
    diagram = [(f.name, lp.symbol, plots.loop_path_signs(lp, keys)) for f, lp in named]
    fig = plots.causal_loop_diagram(diagram, sorted(keys))
    ax = fig.axes[0]
    legend_box = [t.get_text() for t in ax.texts if "(R)" in t.get_text()][0]
    assert legend_box.count("(R)") == 3 and legend_box.count("(B)") == 4
    for _, _, links in diagram:  # every loop closes on the key variables
        assert links and links[0][0] == links[-1][1]
    dominance = analysis.dominance(loops=[lp.id for _, lp in named])
    fig = plots.loop_dominance(dominance, {lp.id: f.name for f, lp in named})
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert sorted(labels) == sorted(f.name for f, _ in named)
    assert fig.axes[0].get_ylim() == (-1.05, 1.05)
