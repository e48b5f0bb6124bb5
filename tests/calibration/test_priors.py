"""Priors as data: the shipped table, the default prior from a parameter's range, declared
priors from their sources, and precise errors for a bad table."""

import math

import numpy as np
import pytest
from scipy import stats

from aiscale.calibration import default_free, prior_for, read_priors
from aiscale.calibration.priors import KINDS, priors_path
from aiscale.cli import main
from aiscale.model import parameter_table
from aiscale.stocks_flows.elements import Parameter

HEADER = "name,fit,prior,lower,upper,interval,source\n"


def write(tmp_path, *rows):
    path = tmp_path / "priors.csv"
    path.write_text(HEADER + "".join(r + "\n" for r in rows))
    return path


def test_the_shipped_table_names_table_parameters_with_sources():
    table = parameter_table()
    specs = read_priors()
    assert specs and default_free() == tuple(n for n, s in specs.items() if s.fit)
    for name, spec in specs.items():
        assert name in table.index, name
        row = table.loc[name]
        prior = prior_for(Parameter(name, float(row["value"]), None, float(row["low"]), float(row["high"]),
                                    str(row["source"])), spec)
        assert prior.low <= prior.median <= prior.high
        if spec.kind is not None:
            assert spec.kind in KINDS and len(spec.source) > 30
            assert "DOMAIN.md" not in spec.source and "DESIGN.md" not in spec.source  # files that do not ship


def test_default_prior_is_lognormal_at_the_table_value_with_the_range_as_90_percent():
    p = prior_for(Parameter("x", 1.0, None, 0.1, 10.0, "a source"))
    assert p.kind == "lognormal" and not p.declared and "a source" in p.source
    k = stats.norm.ppf(0.95)
    np.testing.assert_allclose(np.exp([p.center - k * p.scale, p.center + k * p.scale]), [0.1, 10.0], rtol=1e-12)
    assert p.median == pytest.approx(1.0)
    # truncated to the range: its 5% and 95% quantiles move inside [0.1, 10]
    q = p.ppf([0.0, 0.05, 0.95, 1.0])
    assert q[0] == pytest.approx(0.1) and q[-1] == pytest.approx(10.0) and 0.1 < q[1] < q[2] < 10.0
    assert p.describe() == "lognormal 90% [0.1, 10] (from range)"
    off = prior_for(Parameter("y", 4.0, None, 1.0, 8.0))  # centred on the table value, not the midpoint
    assert math.exp(off.center) == pytest.approx(4.0) and off.scale == pytest.approx(math.log(8) / (2 * k))
    assert off.median < 4.0  # truncation at 8 (0.7 sigma above) cuts more mass than at 1 (1.6 sigma below)


def test_default_prior_is_normal_when_the_range_reaches_zero():
    p = prior_for(Parameter("share", 0.2, None, 0.0, 1.0))
    assert p.kind == "normal" and not p.log
    assert p.center == pytest.approx(0.2) and p.scale == pytest.approx(1.0 / (2 * stats.norm.ppf(0.95)))
    assert p.residual(np.array([0.2 + p.scale])) == pytest.approx([1.0])


def test_declared_priors(tmp_path):
    path = write(tmp_path, "a,1,normal,0.2231,0.4511,0.95,Hobbhahn & Besiroglu 2022",
                 "b,0,lognormal,2,8,,assumption: a reason",
                 "c,1,uniform,0.5,3,,assumption: flat",
                 "d,0,loguniform,1e-3,1e3,,assumption: scale-free")
    specs = read_priors(path)
    assert [n for n, s in specs.items() if s.fit] == ["a", "c"] and default_free(path) == ("a", "c")
    a = prior_for(Parameter("a", 0.3, None, 0.2, 0.4), specs["a"])
    assert a.center == pytest.approx(0.3371) and a.scale == pytest.approx(0.1140 / 1.95996, rel=1e-3)
    b = prior_for(Parameter("b", 4.0, None, 1.0, 10.0), specs["b"])
    assert b.log and math.exp(b.center) == pytest.approx(4.0)
    assert b.scale == pytest.approx(math.log(4) / (2 * stats.norm.ppf(0.95)))
    c = prior_for(Parameter("c", 1.0, None, 0.0, 2.0), specs["c"])
    assert (c.low, c.high) == (0.5, 2.0) and not c.gaussian  # the support narrows the range
    assert c.residual(np.array([1.7])) == pytest.approx([0.0])
    d = prior_for(Parameter("d", 1.0, None, 0.01, 100.0), specs["d"])
    assert d.log and d.ppf(0.5) == pytest.approx(1.0) and d.describe() == "loguniform [0.01, 100]"


@pytest.mark.parametrize("row,message", [
    ("a,1,gamma,1,2,,src", "unknown prior 'gamma'"),
    ("a,1,normal,2,1,,src", "normal prior needs lower < upper"),
    ("a,1,lognormal,0,1,,src", "lognormal prior needs lower > 0"),
    ("a,1,normal,1,2,,", "a declared prior needs its source"),
    ("a,1,uniform,1,2,0.9,src", "interval applies to normal and lognormal priors only"),
    ("a,1,normal,1,2,1.5,src", "interval must lie strictly between 0 and 1"),
    ("a,2,,,,,", "fit must be 1 or 0"),
    ("a,1,normal,1,nan,,src", "not finite"),
    ("a,1,,1,2,,", "without a prior"),
])
def test_bad_rows_are_named(tmp_path, row, message):
    with pytest.raises(ValueError, match=r"priors\.csv, row 2: .*" + message.replace("(", r"\(").replace(")", r"\)")):
        read_priors(write(tmp_path, row))


def test_priors_that_contradict_the_range_are_named(tmp_path):
    specs = read_priors(write(tmp_path, "a,1,normal,5,7,,src", "a2,1,uniform,5,7,,src", "a3,1,lognormal,1,2,,src"))
    with pytest.raises(ValueError, match=r"row 2: the prior's median 6 lies outside a's range \[0, 1\]"):
        prior_for(Parameter("a", 0.5, None, 0.0, 1.0), specs["a"])
    with pytest.raises(ValueError, match=r"row 3: the uniform support \[5, 7\] does not overlap"):
        prior_for(Parameter("a2", 0.5, None, 0.0, 1.0), specs["a2"])
    with pytest.raises(ValueError, match=r"row 4: a lognormal prior needs the parameter's low > 0"):
        prior_for(Parameter("a3", 1.5, None, 0.0, 3.0), specs["a3"])
    with pytest.raises(ValueError, match="twice"):
        read_priors(write(tmp_path, "a,1,,,,,", "a,0,,,,,"))


def test_calibrate_with_a_bad_priors_table_exits_2(tmp_path, capsys):
    bad = write(tmp_path, "reinvestment_ratio,1,beta,1,2,,src")
    assert main(["--quiet", "calibrate", "--priors", str(bad), "--steps", "0", "--screen", "0", "--no-plots",
                 "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert "unknown prior 'beta'" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "out").exists()
    assert main(["--quiet", "calibrate", "--priors", str(tmp_path / "none.csv"), "--steps", "0", "--no-plots",
                 "--out", str(tmp_path / "out")]) == 2
    assert "priors table not found" in capsys.readouterr().err


def test_the_shipped_table_is_in_the_package():
    assert priors_path().is_file()
