"""Figures are rendered (Agg) and inspected: titles, axis scales, lines, legends."""

import warnings

import pytest

from aiscale import plots
from aiscale.model import CONSTRAINTS, build_model, simulate_baseline
from aiscale.model.loops import LOOP_FAMILIES, name_loops


def curves(ax):
    """The data lines of an axis (not the end-of-data marker)."""
    return [line for line in ax.get_lines() if line.get_gid() != "end-of-data"]


@pytest.fixture(scope="module")
def run():
    """The baseline without synthetic data, so that data binds from ~2029 and every
    named feedback loop acts (with synthetic data the data-depletion loop never does)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        model = build_model()
        return model, simulate_baseline(model, stop=2035, parameters={"synthetic_usable_fraction": 0.0})


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
    assert len(curves(ax)) == 2 * len(CONSTRAINTS) + 1
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
    drawn = [(f, lp) for f, lp in named if f.passes_through]  # capacity planning: defined by alternatives
    assert [f.name for f, _ in named if not f.passes_through] == ["capacity planning"]
    diagram = [(f.name, lp.symbol, plots.loop_path_signs(lp, keys)) for f, lp in drawn]
    ax = plots.named_loop_diagram(named).axes[0]
    legend_box = [t.get_text() for t in ax.texts if "(R)" in t.get_text()][0]
    polarities = [f.expected_polarity for f in LOOP_FAMILIES if f.passes_through]
    assert legend_box.count("(R)") == polarities.count("reinforcing")
    assert legend_box.count("(B)") == polarities.count("balancing")
    for _, _, links in diagram:  # every loop closes on the key variables
        assert links and links[0][0] == links[-1][1]
    dominance = analysis.dominance(loops=[lp.id for _, lp in named])
    fig = plots.loop_dominance(dominance, {lp.id: f.name for f, lp in named})
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert sorted(labels) == sorted(f.name for f, _ in named)
    assert fig.axes[0].get_ylim() == (-1.05, 1.05)


# ---------------------------------------------------------------------- every other figure type
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402


def note_of(fig):
    return [t.get_text() for t in fig.texts if t.get_text().startswith(plots.SOURCE_NOTE)]


def legend_of(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


@pytest.fixture(scope="module")
def comparison():
    from aiscale.scenarios.compare import compare

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return compare(["baseline", "pause"], stop=2034)


@pytest.fixture(scope="module")
def ensemble():
    from aiscale.scenarios.ensemble import Settings, monte_carlo

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return monte_carlo("baseline", 12, seed=2, settings=Settings(stop=2034), workers=1)


def test_every_figure_has_the_style_and_a_source_note(run, comparison):
    _, result = run
    for fig in (plots.trajectory_panels(result), plots.binding_constraint_timeline(result),
                plots.scenario_trajectories(comparison.results)):
        assert note_of(fig) == [plots.PROJECTION_NOTE]  # model output: no "history" footer
        for ax in fig.axes:
            assert not ax.spines["top"].get_visible() and not ax.spines["right"].get_visible()
            assert ax.get_xlabel() == "year" and ax.get_ylabel()
            # where the run leaves the years of the observations it was fitted to
            (line,) = [ln for ln in ax.get_lines() if ln.get_gid() == "end-of-data"]
            assert line.get_xdata()[0] == plots.end_of_data()


def test_source_notes_say_what_is_data_and_what_is_projection(run):
    """Only figures that show observations credit their sources; pure projections say
    they are model output; the end of the data is the year after the last observation."""
    from aiscale.calibration import load_history

    assert plots.end_of_data() == load_history()["year"].max() + 1
    assert "Epoch" in plots.DATA_NOTE and "Epoch" not in plots.PROJECTION_NOTE + plots.STRUCTURE_NOTE
    model, result = run
    history = pd.Series([1e24, 1e25], index=[2018.5, 2020.5])
    fig = plots.series_against_history(result.frame, "largest_training_run_flop", history, "FLOP", "runs")
    assert note_of(fig) == [plots.DATA_NOTE]
    from aiscale.model.sectors import sector_links

    assert note_of(plots.sector_diagram(*sector_links(model))) == [plots.STRUCTURE_NOTE]
    early = type(result)(result.frame.loc[:2020], result.parameters)
    assert not [ln for ax in plots.trajectory_panels(early).axes for ln in ax.get_lines()
                if ln.get_gid() == "end-of-data"]  # a run inside the data's years has no marker
    png = plots.png_bytes(plots.binding_constraint_timeline(result))
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000


def test_scenario_comparison(comparison):
    fig = plots.scenario_trajectories(comparison.results, title="two scenarios")
    assert fig._suptitle.get_text() == "two scenarios"
    assert [ax.get_title() for ax in fig.axes] == ["Largest training run", "Effective compute", "Automation",
                                                  "GWP growth"]
    assert [ax.get_yscale() for ax in fig.axes] == ["log", "log", "linear", "log"]
    assert all(len(curves(ax)) == 2 for ax in fig.axes)
    assert legend_of(fig.axes[0]) == ["baseline", "pause"]
    assert "FLOP" in fig.axes[0].get_ylabel() and "1/year" in fig.axes[3].get_ylabel()

    segments = comparison.binding_segments()
    fig = plots.binding_timelines(segments)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["baseline", "pause"]
    assert legend_of(ax) == [*CONSTRAINTS, "policy"]
    bars = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(bars) == sum(len(s) for s in segments.values())
    policy = [b for b in bars if b.get_facecolor()[:3] == pytest.approx((0x55 / 255,) * 3)]
    assert policy and all(abs(b.get_y() + b.get_height() / 2 - 1) < 1e-9 for b in policy)  # only the pause row


def test_fan_chart_shows_the_median_the_10_90_band_and_the_history(ensemble):
    fig = plots.ensemble_fan_chart(ensemble, "fans")
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["Largest training run", "Effective compute", "Automation", "GWP growth",
                      "Research speed-up from AI", "AI spending", "Binding constraint", ""]
    assert fig._suptitle.get_text() == "fans (12 runs, posterior-predictive, matched to history)"
    scales = [ax.get_yscale() for ax in fig.axes[:7]]
    assert scales == ["log", "log", "linear", "log", "log", "log", "linear"]
    assert legend_of(fig.axes[0]) == ["10-90%", "median (50%)", "observed: Frontier training compute"]
    q = ensemble["largest_training_run_flop_quantiles"]
    for ax in fig.axes[:6]:
        assert len(curves(ax)) == 1 and len([c for c in ax.collections if isinstance(c, PolyCollection)]) == 1
    np.testing.assert_allclose(fig.axes[0].get_lines()[0].get_ydata(), q.sel(quantile=0.5).values)
    band = fig.axes[0].collections[0].get_paths()[0].vertices[:, 1]
    assert band.min() == pytest.approx(float(q.sel(quantile=0.1).min()), rel=1e-9)
    assert band.max() == pytest.approx(float(q.sel(quantile=0.9).max()), rel=1e-9)
    # the record of each year at mid-year, as the calibration compares it
    points = next(c for c in fig.axes[0].collections if c.get_label().startswith("observed")).get_offsets()
    record = ensemble["observed_series"].values == "training_compute"
    np.testing.assert_allclose(points[:, 0], ensemble["observed_year"].values[record] + 0.5)
    np.testing.assert_allclose(points[:, 1], ensemble["observed_value"].values[record])
    assert legend_of(fig.axes[5])[-1] == "observed: Hyperscaler capex (big 4)"
    assert legend_of(fig.axes[6]) == [*CONSTRAINTS, "policy"]
    assert fig.axes[4].get_ylabel() == "research speed-up (x)"
    assert "Conditioned on: posterior-predictive" in fig.axes[7].texts[0].get_text()


def test_milestone_year_histograms_with_a_not_reached_bar(ensemble):
    keys = ("run_1e26_year", "automation_20_year", "blowup_year")
    fig = plots.milestone_distributions(ensemble, keys, title="baseline")
    assert fig._suptitle.get_text() == "Milestone years: baseline (12 runs, posterior-predictive)"
    for ax, key in zip(fig.axes, keys):
        assert ax.get_title().startswith(("largest run >= 1e+26 FLOP", "automation >= 20%", "blow-up"))
        values = ensemble[key].values
        years = values[~np.isnan(values)]
        bars = list(ax.patches)
        never = [b for b in bars if b.get_x() > 2034]
        assert len(never) == 1 and never[0].get_height() == pytest.approx(float(np.isnan(values).mean()))
        yearly = sum(b.get_height() for b in bars if b.get_x() <= 2034)
        assert yearly == pytest.approx(len(years) / len(values))  # every reached run in its year's bar
        assert ax.get_xticklabels()[-1].get_text() == "not by\n2034" and "share of runs" in ax.get_ylabel()
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["reached in that year",
                                                                           "not reached by 2034"]


def test_calibration_fit_against_history(run):
    from aiscale.calibration import SERIES, load_history
    from aiscale.calibration.series import run_curves

    _, result = run
    observations = load_history()
    curves = run_curves(result.frame, {name: list(range(2012, 2026)) for name in SERIES})
    assert all(len(c) == 14 for c in curves.values())
    fig = plots.calibration_fit(curves, observations, SERIES, title="fit")
    visible = [ax for ax in fig.axes if ax.get_visible()]
    drawn = {name: SERIES[name] for name in curves}  # the series whose output the run has
    assert set(drawn) == {n for n, s in SERIES.items() if s.variable in result.frame}
    assert [ax.get_title() for ax in visible] == [s.title for s in drawn.values()]
    assert all(ax.get_yscale() == "log" for ax in visible)
    for ax, (name, s) in zip(visible, drawn.items()):
        model, data = ax.get_lines()
        assert len(data.get_xdata()) == (observations["series"] == name).sum()
        assert ax.get_ylabel() == s.unit
    assert legend_of(visible[0]) == [f"model: {SERIES['training_compute'].variable} (mid-year)", "data (fitted)"]

    name = "training_compute"
    band = curves[name].assign(p025=curves[name]["fit"] / 2, p975=curves[name]["fit"] * 2)
    fig = plots.calibration_series(band, observations[observations["series"] == name], SERIES[name], until=2020)
    ax = fig.axes[0]
    assert legend_of(ax) == ["95% band", f"model: {SERIES[name].variable} (mid-year)", "data (fitted)",
                             "data (held out)"]
    assert any(line.get_xdata()[0] == 2020.5 for line in ax.get_lines())  # the cutoff


@pytest.mark.parametrize("method", ["sobol", "morris"])
def test_sensitivity_bar_charts(method):
    names = [f"p{i}" for i in range(20)]
    values = np.linspace(0.9, 0.01, 20)
    table = (pd.DataFrame({"S1": values / 2, "S1_conf": 0.05, "ST": values, "ST_conf": 0.1}, index=names)
             if method == "sobol" else
             pd.DataFrame({"mu_star": values * 10, "mu_star_conf": 1.0, "mu": values, "sigma": values * 5},
                          index=names))
    table.index.name = "parameter"
    fig = plots.sensitivity_bars(table, method, "automation_100_year", "year", runs=440, top=12)
    ax = fig.axes[0]
    what = "Sobol indices" if method == "sobol" else "Morris elementary effects"
    assert ax.get_title() == f"{what} of automation_100_year (440 runs)"
    assert [t.get_text() for t in ax.get_yticklabels()] == names[:12]
    bars = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(bars) == 24
    first = "ST" if method == "sobol" else "mu_star"
    assert max(b.get_width() for b in bars) == pytest.approx(table[first].iloc[0])
    expected = ["first order (S1)", "total (ST)"] if method == "sobol" else ["mu* (mean |effect|)",
                                                                          "sigma (interactions)"]
    assert legend_of(ax) == expected
    assert ("dimensionless" if method == "sobol" else "(year)") in ax.get_xlabel()
    assert note_of(fig)


def test_sector_diagram(run):
    from aiscale.model.sectors import sector_links

    model, _ = run
    links, stocks = sector_links(model)
    assert set(stocks) >= {"semiconductors", "compute", "data", "research", "economy", "constraints"}
    assert (links["links"] > 0).all() and not (links["source"] == links["target"]).any()
    assert {("semiconductors", "compute"), ("compute", "constraints")} <= set(zip(links["source"], links["target"]))
    fig = plots.sector_diagram(links, stocks)
    ax = fig.axes[0]
    assert ax.get_title().startswith("Model structure: sectors")
    labels = [t.get_text() for t in ax.texts]
    assert any(label.startswith("semiconductors\n(") and "stocks)" in label for label in labels)
    assert sum(label.isdigit() for label in labels) == len(links)  # one count per arrow
    assert note_of(fig)
