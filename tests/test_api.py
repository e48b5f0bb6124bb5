"""`import aiscale` offers the main entry points, each with a signature and a docstring."""

import inspect

import pytest

import aiscale


def test_every_entry_point_resolves_with_a_signature_and_a_docstring():
    names = [n for n in aiscale.__all__ if n != "__version__"]
    assert {"run", "ensemble", "build_model", "simulate_baseline", "load_scenario", "compare", "sensitivity",
            "fit", "export_xmile", "parameter_table", "milestones_table"} <= set(names)
    for name in names:
        obj = getattr(aiscale, name)
        assert inspect.getdoc(obj), name
        parameters = inspect.signature(obj).parameters.values()
        assert not [p for p in parameters if p.kind is p.VAR_POSITIONAL], name  # no hidden (*args) signature
        assert name in dir(aiscale)
    with pytest.raises(AttributeError, match="no attribute 'bogus'"):
        aiscale.bogus  # noqa: B018


def test_run_and_ensemble_from_python(capsys):
    from aiscale.scenarios import ScenarioError

    result = aiscale.run("pause", stop=2030, parameters={"fab_construction_years": 4})
    assert result.frame.index[-1] == 2030 and result.parameters["fab_construction_years"] == 4
    assert result.frame.attrs["units"]["largest_training_run_flop"] == "FLOP"
    assert result.frame.attrs["descriptions"]["largest_training_run_flop"]
    table = aiscale.milestones_table(result)
    assert "binding constraint at 2012" in set(table["milestone"])
    with pytest.raises(ScenarioError, match="parameters: fab_construction_years = 9 is out of range"):
        aiscale.run(parameters={"fab_construction_years": 9})
    ds = aiscale.ensemble("baseline", n=6, stop=2016, workers=1, parameters={"fab_construction_years": 4})
    assert ds.sizes["run"] == 6 and "fab_construction_years" not in ds  # held fixed, not drawn
    assert ds["largest_training_run_flop"].attrs["units"] == "FLOP"
