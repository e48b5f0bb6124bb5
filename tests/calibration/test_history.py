"""The historical series: shipped copies with a manifest, explicit comparison rules,
and precise errors for bad data."""

import shutil

import numpy as np
import pandas as pd
import pytest

from aiscale.calibration import SERIES, HistoryError, check_manifest, history_dir, load_history, manifest, series_table
from aiscale.calibration.series import H100_DENSE_BF16_FLOP_PER_S, sampling_weights
from aiscale.cli import main


def test_every_series_file_is_shipped_with_a_manifest_entry():
    m = manifest().set_index("file")
    assert check_manifest() == []  # the shipped copies match their checksums
    for s in SERIES.values():
        assert (history_dir() / s.file).is_file()
        assert m.loc[s.file, "series"] == s.name
        assert m.loc[s.file, "upstream_source"].strip() and m.loc[s.file, "copied_from"].startswith("shared/data")


def test_every_series_has_a_documented_rule_and_weight(observations):
    table = series_table().set_index("series")
    assert set(table.index) == set(SERIES) == set(observations["series"])
    for name, row in table.iterrows():
        assert len(row["rule"]) > 80 and row["weight"] == pytest.approx(1 / row["sigma_log10"] ** 2)
        points = observations[observations["series"] == name]
        assert len(points) >= 3 and (points["value"] > 0).all()
        first, last = map(int, row["years"].split("-"))
        assert points["year"].between(first, last).all() and points["year"].is_unique


def test_comparison_rules_on_known_values(observations):
    obs = observations.set_index(["series", "year"])["value"]
    assert obs["nvidia_revenue", 2025] == pytest.approx(193.7e9)      # FY2026 -> calendar 2025
    assert obs["nvidia_revenue", 2014] == pytest.approx(317e6)        # FY2015 -> calendar 2014
    assert obs["training_compute", 2017] == pytest.approx(6.62e21)    # record to date (GNMT, 2016)
    assert obs["training_compute", 2025] == pytest.approx(5e26)       # Grok 4
    assert obs["hyperscaler_capex", 2025] == pytest.approx(357.461e9)
    h100e_2023 = 116710 + 244990 + 394008 + 535303
    assert obs["accelerator_output", 2023] == pytest.approx(h100e_2023 * H100_DENSE_BF16_FLOP_PER_S)
    assert 2025 in obs["accelerator_output"] and 2026 not in obs["accelerator_output"]  # whole years only
    assert obs["lab_revenue", 2024] == pytest.approx(5.5e9 + 1.0e9 + 0.14e9, rel=0.02)
    assert obs["price_performance", 2022] == pytest.approx(9.894e14 / 33600)  # H100 SXM at list price


def test_sampling_rules():
    times = np.arange(2012, 2027.001, 0.25)
    x = 3.0 * times - 6000.0
    assert x @ sampling_weights(times, 2020, "mid-year") == pytest.approx(3 * 2020.5 - 6000)
    assert x @ sampling_weights(times, 2020, "year-end") == pytest.approx(3 * 2021 - 6000)
    assert x @ sampling_weights(times, 2020, "annual-mean") == pytest.approx(3 * 2020.5 - 6000)
    y = np.exp(times - 2020)
    mean = y @ sampling_weights(times, 2020, "annual-mean")
    assert mean == pytest.approx(np.e - 1, rel=0.01)  # mean of e^t over a year


@pytest.fixture
def history_copy(tmp_path):
    target = tmp_path / "history"
    shutil.copytree(history_dir(), target)
    return target


def test_missing_file_names_the_file(history_copy):
    (history_copy / "hyperscaler_capex.csv").unlink()
    with pytest.raises(HistoryError, match=r"not found: .*hyperscaler_capex\.csv"):
        load_history(history_copy)


def test_non_numeric_value_names_file_and_row(history_copy):
    path = history_copy / "nvidia_datacenter_revenue.csv"
    original = path.read_text()
    lines = original.splitlines(keepends=True)
    row = next(i for i, line in enumerate(lines) if ",FY2020," in line and "fiscal_year" in line) + 1
    path.write_text(original.replace(",2983.0,", ",n/a,", 1))
    with pytest.raises(HistoryError, match=rf"nvidia_datacenter_revenue\.csv, row {row}: column 'value' "
                                           r"is not a number: 'n/a'"):
        load_history(history_copy)
    path.write_text(original.replace(",2983.0,", ",\"2,983\",", 1))  # a thousands separator
    with pytest.raises(HistoryError, match=rf"row {row}: column 'value' is not a number: '2,983'"):
        load_history(history_copy)
    path.write_text(original.replace(",2983.0,", ",2,983,", 1))  # unquoted: one cell too many
    with pytest.raises(HistoryError, match=rf"row {row}: more cells than header columns"):
        load_history(history_copy)


def test_unknown_series_names_file_and_row(observations, tmp_path):
    path = tmp_path / "observations.csv"
    frame = observations.copy()
    frame.loc[5, "series"] = "nvidia_revenu"
    frame.to_csv(path, index=False)
    with pytest.raises(HistoryError, match=r"observations\.csv, row 7: unknown series 'nvidia_revenu' "
                                           r"\(did you mean: nvidia_revenue"):
        load_history(path)
    with pytest.raises(HistoryError, match="unknown series 'gdp'"):
        load_history(series=["gdp"])


def test_observations_csv_round_trips(observations, tmp_path):
    path = tmp_path / "observations.csv"
    observations.to_csv(path, index=False)
    back = load_history(path)
    pd.testing.assert_frame_equal(back[["series", "year", "value"]], observations[["series", "year", "value"]])


def test_cli_reports_bad_data_in_one_line(history_copy, capsys):
    path = history_copy / "tsmc_cowos_capacity.csv"
    path.write_text(path.read_text().replace("\n2023-11,15000.0,", "\n2023-11,fifteen,", 1))
    assert main(["calibrate", "--data", str(history_copy), "--steps", "0"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "tsmc_cowos_capacity.csv, row 5: column 'value' is not a number" in err
