"""The README cannot drift from the code: its set-up commands are the ones CI runs,
its Python blocks run, every ``$ aiscale ...`` session in it is run again and its
output compared with what the README shows, and every other ``aiscale`` command in
it parses."""

import re
import shlex
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()

# Changes that keep a slow session fast; its output is then checked by the shape of
# each line (row labels, text with the numbers masked) instead of line by line.
CHEAPER = {
    "ensemble": {"-n": "8", "--until": "2030", "--workers": "1"},
    "sensitivity": {"-n": "2", "--until": "2030", "--workers": "1"},
    "report": {"--ensemble": "4", "--until": "2020", "--workers": "1"},
}
# Fits take minutes: tests/calibration runs them with a small budget; here they are parsed.
PARSE_ONLY = {"calibrate"}
NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?")
# What a machine, not the model, decides: solver evaluation counts (the adaptive step
# sequence shifts with the BLAS kernel numpy picks), wall times and file sizes.
COUNTER = re.compile(r"\b\d+ evaluations\b|\(\d+(?:\.\d+)? s\)|\b\d+(?:\.\d+)? (?:s|ms|us|MB)\b")
# Solver tolerance (rtol = 1e-6) on top of one unit in the last printed digit, which a
# perturbation in the last bits can flip at a rounding boundary.
RTOL = 1e-5
# a cell of a table (a degenerate cheap run may give NaN where the README shows a number)
VALUE = re.compile(r"[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?[%x]?|never|none|not|reached|\(stopped\)|nan|inf", re.I)


def sessions() -> list[tuple[str, list[str]]]:
    """(command, shown output lines) of every text block that starts with ``$ aiscale``."""
    out = []
    for block in re.findall(r"```text\n(.*?)```", README, re.S):
        if block.startswith("$ aiscale "):
            first, *shown = block.splitlines()
            out.append((first[2:].split("#")[0].strip(), shown))
    return out


def cheaper(argv: list[str]) -> list[str]:
    changes = dict(CHEAPER.get(argv[0], {}))
    argv = list(argv)
    for i, arg in enumerate(argv):
        if arg in changes:
            argv[i + 1] = changes.pop(arg)
    for option, value in changes.items():
        if option != "--ensemble":
            argv += [option, value]
    return argv


def uncounted(line: str) -> str:
    return COUNTER.sub("<counter>", line)


def masked(line: str) -> str:
    return " ".join(NUMBER.sub("#", uncounted(line)).split())


def last_digit(text: str) -> float:
    """One unit in the last printed digit of a number: 0.1 for 2024.5, 1e7 for 7.53e+09."""
    mantissa, _, exponent = text.lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    return 10.0 ** (int(exponent or 0) - decimals)


def label(line: str) -> str:
    """A table row without its values (the words before the trailing numbers)."""
    tokens = line.split()
    while tokens and VALUE.fullmatch(tokens[-1]):
        tokens.pop()
    return " ".join(tokens)


def same(shown: str, actual: str) -> bool:
    """Equal text (whitespace collapsed, counters masked) and equal numbers: within one
    unit of their last printed digit and the solver's tolerance."""
    if masked(shown) != masked(actual):
        return False
    for a, b in zip(NUMBER.findall(uncounted(shown)), NUMBER.findall(uncounted(actual))):
        if abs(float(a) - float(b)) > 1.001 * max(last_digit(a), last_digit(b)) + RTOL * abs(float(b)):
            return False
    return True


def no_figure(fig, caption: str) -> str:
    """The report's figures are tested in tests/test_report.py; here only its text."""
    import matplotlib.pyplot as plt

    plt.close(fig)
    return "<figure></figure>"


def test_output_comparison_ignores_counters_but_not_numbers():
    """Another BLAS kernel gave 2094 evaluations where the README shows 2096."""
    assert same("baseline 2012-2060 (RK45, 2096 evaluations)", "baseline 2012-2060 (RK45, 2094 evaluations)")
    assert same("pause: 1000 runs, seed 1 (1.3 s)", "pause: 1000 runs, seed 1 (2.7 s)")
    assert not same("pause: 1000 runs, seed 1 (1.3 s)", "pause: 1200 runs, seed 1 (1.3 s)")
    assert same("automation >= 100%    2034.2", "automation >= 100%    2034.3")  # a rounding flip
    assert not same("automation >= 100%    2034.2", "automation >= 100%    2034.4")
    assert same("peak growth   7.53e+09x", "peak growth   7.54e+09x")
    assert not same("peak growth   7.53e+09x", "peak growth   7.63e+09x")
    assert not same("blow-up cause  flop_per_s_per_chip", "blow-up cause  gwp")


def test_ci_runs_the_readme_commands_verbatim():
    setup = README.split("## Set up", 1)[1].split("##", 1)[0]
    commands = [line for line in re.findall(r"```bash\n(.*?)```", setup, re.S)[0].splitlines()
                if line and not line.startswith("#")]
    assert len(commands) == 2
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    for command in commands:
        assert command in ci


def test_readme_python_blocks_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for block in re.findall(r"```python\n(.*?)```", README, re.S):
        exec(compile(block, "README.md", "exec"), {})
    assert not (tmp_path / "aiscale.py").exists()  # it would shadow the package on the next run here


def test_every_aiscale_command_in_the_readme_parses():
    from aiscale.cli import build_parser

    parser = build_parser()
    commands = [command for command, _ in sessions()]
    for block in re.findall(r"```bash\n(.*?)```", README, re.S):
        commands += [re.sub(r"^(\.venv/bin/)", "", line.split("#")[0].split("&&")[-1].strip())
                     for line in block.splitlines() if re.match(r"(\S+ && )*(\.venv/bin/)?aiscale ", line)]
    inline = [c.split("&&")[0].strip() for c in re.findall(r"`(aiscale [a-z]+(?:\s[^`\[\]|]*?)?)`", README)]
    commands += [c for c in inline if not re.search(r"\b[A-Z][A-Z0-9_]*\b", c)]  # no placeholders (VERB, N, ...)
    assert len(commands) >= 20
    for command in commands:
        parser.parse_args(shlex.split(command)[1:])  # exits 2 on an option the CLI no longer has


@pytest.mark.parametrize("command,shown", sessions(), ids=[c for c, _ in sessions()])
def test_readme_session_output_is_real(command, shown, tmp_path, monkeypatch, capsys):
    from aiscale import report
    from aiscale.cli import main

    argv = shlex.split(command)[1:]
    if argv[0] in PARSE_ONLY:
        pytest.skip(f"aiscale {argv[0]} takes minutes (parsed in test_every_aiscale_command_in_the_readme_parses)")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(report, "figure", no_figure)
    run = cheaper(argv)
    status = 1 if any("(exit code 1)" in line for line in shown) else 0  # aiscale check with a failure
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(run) == status, run
    actual = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    shown = [line for line in shown if line.strip() and line.strip() != "..."]
    if run == argv:  # line by line, in order, numbers equal
        position = 0
        for line in shown:
            matches = [i for i in range(position, len(actual)) if same(line, actual[i])]
            assert matches, f"README line not in the output of `{command}`:\n{line}\n\nactual:\n" + "\n".join(actual)
            position = matches[0] + 1
    else:  # cheaper: the same rows and the same text around the numbers
        labels = {label(line) for line in actual}
        texts = {masked(line) for line in actual}
        for line in shown:
            if re.search(r"\S\s{2,}\S", line.strip()):  # a table row
                assert label(line) in labels, (command, line)
            else:
                assert masked(line) in texts, (command, line)
