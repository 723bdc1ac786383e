"""README honesty: the commands it promises are the ones CI runs and they name real things."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands() -> list[str]:
    return re.findall(r"```sh\n(.*?)\n```", README, flags=re.S)


def test_ci_runs_the_readme_test_command() -> None:
    test_command = next(c for c in _commands() if "pytest" in c)
    assert test_command in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_try_it_command_points_at_files_in_the_repo() -> None:
    try_it = _commands()[0]
    assert "--dry-run" in try_it
    config = re.search(r"--config (\S+)", try_it)
    assert config is not None and (ROOT / config.group(1)).is_file()


def test_config_example_keys_are_documented() -> None:
    example = (ROOT / "config.example.yaml").read_text(encoding="utf-8")
    for key in re.findall(r"^\s*([a-z_]+):", example, flags=re.M):
        assert f"{key}:" in README, key
