"""The README's set-up commands are the ones CI runs, and its Python examples run."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


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
