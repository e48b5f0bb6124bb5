"""The data sector: its parameters are the figures of their sources, the 2024-25 data
stock is consistent with the datasets frontier runs used, and repetition rises only once
unique data runs short, up to its useful limit."""

import warnings
from importlib import resources

import numpy as np
import pandas as pd
import pytest

from aiscale.model import parameter_table, simulate_baseline
from aiscale.scenarios import run_metrics

from .test_sectors import evaluate


def history(name):
    with resources.files("aiscale.data").joinpath("history", name).open() as f:
        return pd.read_csv(f)


@pytest.fixture(scope="module")
def stock_series():
    table = history("text_data_stock.csv")
    return table[table["metric"] == "quality_adjusted_text_stock"].set_index("date")["value"].astype(float)


@pytest.fixture(scope="module")
def no_synthetic(model):
    """Without synthetic data, so that human text runs short (as in Villalobos et al. 2024)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return simulate_baseline(model, stop=2040, parameters={"synthetic_usable_fraction": 0.0})


def test_parameters_are_the_figures_of_their_sources(stock_series):
    p = parameter_table()["value"]
    # Villalobos et al. 2024 quality-adjusted stock: 1.02e14 tokens in 2024, growing 7.7%/yr to 2040
    growth = np.log(stock_series[2040] / stock_series[2024]) / 16
    assert p["web_growth_per_year"] == pytest.approx(growth, abs=0.001)
    assert p["human_text_2012"] == pytest.approx(stock_series[2024] * np.exp(-12 * growth), rel=0.02)
    assert p["multimodal_data_multiplier"] == 1.5           # ~3x from other modalities, half usable
    assert p["synthetic_usable_fraction"] == 0.01           # the documented assumption: 1%
    assert (p["tokens_per_parameter"], p["max_tokens_per_parameter"], p["max_data_epochs"]) == (20, 60, 16)
    assert "data_epochs" not in p.index                     # repetition is no longer a constant


def test_human_text_stock_follows_villalobos(baseline, stock_series):
    human = baseline.frame["human_text_stock_tokens"]
    assert human.loc[2024] == pytest.approx(stock_series[2024], rel=0.1)
    # the indexed web (~5e14 tokens in 2024) is ~5x the quality-adjusted stock
    raw = history("text_data_stock.csv").query("metric == 'raw_indexed_web_text_stock' and date == 2024")["value"]
    assert 3 < float(raw.iloc[0]) / human.loc[2024] < 7


def test_data_in_2024_25_is_consistent_with_frontier_datasets(baseline):
    """Frontier datasets reached ~15-50T tokens by 2024-25 (Epoch; Llama 3 15T, Qwen2.5 18T,
    Qwen3 36T): the largest run trains on about that many unique tokens, the unique
    stock holds several times more, and data does not bind yet."""
    f = baseline.frame
    records = history("llm_training_dataset_tokens.csv").query("metric == 'annual_max_training_dataset_size'")
    record = records.set_index("date")["value"].astype(float)
    for year in (2024, 2025):
        used = f["unique_tokens_used_by_largest_run"].loc[year + 0.5]
        assert record[str(year)] / 3 <= used <= record[str(year)] * 3, year
        assert 2 * record[str(year)] <= f["data_stock_tokens"].loc[year] <= 20 * record[str(year)], year
        assert f["max_run_flop_data"].loc[year] > 3 * f["largest_training_run_flop"].loc[year]
    assert (f.loc[2024:2026, "binding_constraint"] != "data").all()
    assert (f.loc[:2026, "data_epochs"] == 1.0).all()


def test_repetition_rises_once_unique_data_runs_short_up_to_its_useful_limit(no_synthetic):
    f = no_synthetic.frame
    binds = run_metrics(no_synthetic)["data_binding_year"]
    assert 2026 <= binds <= 2034  # Villalobos et al. 2024: full use of the stock ~2028 (80% CI 2026-2032)
    before, after = f.loc[:binds - 0.5], f.loc[binds + 1:]
    assert (before["data_epochs"] < 1.001).all()
    assert (after["data_epochs"] > 1.1).all() and f["data_epochs"].max() <= 16 * (1 + 1e-6)
    wanted = f["training_tokens_wanted"] / f["data_stock_tokens"]
    np.testing.assert_allclose(f["planned_data_epochs"], wanted.clip(1, 16), rtol=1e-9)
    # repetition makes room: the data ceiling at the repetition in use exceeds the one-epoch ceiling
    one_epoch = 6 * f["data_stock_tokens"] ** 2 / 20
    assert (after["max_run_flop_data"] > 1.5 * one_epoch.loc[after.index]).all()
    # the unique data the run takes never exceeds the stock
    assert (f["unique_tokens_used_by_largest_run"] <= f["data_stock_tokens"] * (1 + 1e-9)).all()


@pytest.fixture(scope="module")
def wall_runs(model):
    """Without synthetic data to 2046, so that repetition reaches its useful limit (16
    epochs, from ~2043), at three tokens-per-parameter maxima and with at most 4 epochs."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        runs = {r: simulate_baseline(model, stop=2046, parameters={"synthetic_usable_fraction": 0.0,
                                                                   "max_tokens_per_parameter": r}).frame
                for r in (30.0, 60.0, 100.0)}
        runs["4 epochs"] = simulate_baseline(model, stop=2046, parameters={"synthetic_usable_fraction": 0.0,
                                                                           "max_data_epochs": 4.0}).frame
    return runs


def tokens_per_parameter(epochs, most):
    """Muennighoff et al. 2023 as the model reads it: 20 at one epoch, ``most`` at 60."""
    return 20.0 * (most / 20.0) ** (np.log(epochs) / np.log(60.0))


def test_max_tokens_per_parameter_has_an_effect(model, no_synthetic, wall_runs):
    """At a state where runs repeat data, more tokens per parameter at heavy repetition
    means fewer parameters and a lower data ceiling (C = 6 D^2 / r); at the 16-epoch wall
    the largest run is lower in proportion: 30 -> 100 tokens per parameter at most gives
    r(16) = 26.3 -> 59.3 and a run 0.44x as large (measured in 2045)."""
    f = no_synthetic.frame
    year = float(f.index[(f["data_epochs"] > 4).to_numpy()][0])
    low = evaluate(model, year, no_synthetic, change_params={"max_tokens_per_parameter": 30.0})
    high = evaluate(model, year, no_synthetic, change_params={"max_tokens_per_parameter": 100.0})
    assert high["tokens_per_parameter_with_repetition"] > 1.5 * low["tokens_per_parameter_with_repetition"]
    ratio = high["max_run_flop_data"] / low["max_run_flop_data"]
    assert ratio == pytest.approx(low["tokens_per_parameter_with_repetition"]
                                  / high["tokens_per_parameter_with_repetition"], rel=1e-9)
    assert high["largest_model_parameters"] < low["largest_model_parameters"]
    # over whole runs: at the wall the run scales as 1 / r(16)
    wall = 2045.5
    assert wall_runs[30.0].loc[wall, "data_epochs"] == pytest.approx(16, rel=1e-3)
    assert wall_runs[100.0].loc[wall, "data_epochs"] == pytest.approx(16, rel=1e-3)
    expected = tokens_per_parameter(16, 30.0) / tokens_per_parameter(16, 100.0)
    assert expected == pytest.approx(0.4425, abs=0.001)
    measured = wall_runs[100.0].loc[wall, "largest_training_run_flop"] / wall_runs[30.0].loc[wall, "largest_training_run_flop"]
    assert measured == pytest.approx(expected, rel=0.05)


@pytest.mark.parametrize("change,direction", [
    ({"multimodal_data_multiplier": 3.0}, "later"),        # more unique data
    ({"human_text_2012": 8e13}, "later"),
    ({"data_restricted_fraction": 0.5}, "earlier"),        # less unique data
    ({"web_growth_per_year": 0.03}, "earlier"),
])
def test_data_binding_year_moves_as_expected(model, no_synthetic, change, direction):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        changed = simulate_baseline(model, stop=2040, parameters={"synthetic_usable_fraction": 0.0, **change})
    base, moved = run_metrics(no_synthetic)["data_binding_year"], run_metrics(changed)["data_binding_year"]
    assert (moved > base + 0.2) if direction == "later" else (moved < base - 0.2), (base, moved)


def test_useful_limit_of_repetition_is_a_wall(wall_runs):
    """Without synthetic data repetition rises to its useful limit, 16 epochs (reached in
    2043 measured), and stays there: the run is then the 16-epoch data ceiling and grows
    only with the data stock. With at most 4 epochs the wall comes sooner and lower: the
    run is (4/16)^2 r(16) / r(4) = 0.09x the 16-epoch run once both are at their walls."""
    f, four = wall_runs[60.0], wall_runs["4 epochs"]
    reached = float(f.index[(f["data_epochs"] > 16 * (1 - 1e-3)).to_numpy()][0])
    assert 2038 <= reached <= 2046
    after = f.loc[reached:]
    assert (after["data_epochs"] <= 16 * (1 + 1e-6)).all()
    assert (after["binding_constraint"] == "data").all()
    ceiling = 6 * (16 * after["data_stock_tokens"]) ** 2 / tokens_per_parameter(16, 60.0)
    np.testing.assert_allclose(after["largest_training_run_flop"], ceiling, rtol=0.005)  # epochs within 0.1% of 16
    # the run grows at twice the data stock's rate (C ~ D^2), well below the compute-limited run
    growth = np.log(after["largest_training_run_flop"].iloc[-1] / after["largest_training_run_flop"].iloc[0]) / (
        after.index[-1] - after.index[0])
    assert growth < 0.25
    assert (after["compute_limited_run_flop"] > 1.5 * after["largest_training_run_flop"]).all()
    assert after["compute_limited_run_flop"].iloc[-1] > 4 * after["largest_training_run_flop"].iloc[-1]
    # at most 4 epochs
    assert four["data_epochs"].max() <= 4 * (1 + 1e-6)
    assert four.loc[2039.5, "largest_training_run_flop"] < 0.3 * f.loc[2039.5, "largest_training_run_flop"]
    expected = (4 / 16) ** 2 * tokens_per_parameter(16, 60.0) / tokens_per_parameter(4, 60.0)
    assert four.loc[2045.5, "largest_training_run_flop"] / f.loc[2045.5, "largest_training_run_flop"] == (
        pytest.approx(expected, rel=0.05))


def test_synthetic_data_comes_only_with_capable_ai(baseline):
    f = baseline.frame
    # the automatable share is small but positive before 2023 (automation.py), so a little is generated
    assert (f.loc[:2020, "synthetic_data_stock_tokens"] < 1e-2 * f.loc[:2020, "data_stock_tokens"]).all()
    generated = f["generated_text_tokens_per_year"]
    # ~1e13 tokens a month at Google alone in early 2024, ~4.8e14 a month by mid-2025 (Google I/O 2025)
    assert 1e14 <= generated.loc[2024.5] <= 1e16
    assert f["synthetic_data_generation"].loc[2024.5] == pytest.approx(0.01 * generated.loc[2024.5], rel=1e-9)

