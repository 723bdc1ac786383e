"""The feedbot CLI as a subprocess: a config mistake of issue 10 (a boolean as a number, NaN, a
number past its bound, a key given twice, a secret typed as a number) exits 2 with one line
naming the key, no traceback, and no secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bot_process import run_cli

pytestmark = pytest.mark.process

CHANNEL = "telegram: {channel: '@my_ai_news'}\n"
SECRET = "4839201756"


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        (
            CHANNEL + "schedule: {interval_seconds: 1e12}\n",
            "schedule.interval_seconds: expected a number of at most 604800",
        ),
        (CHANNEL + "publish: {min_heat: .nan}\n", "publish.min_heat: expected a finite number"),
        (
            "telegram: {channel: '@my_ai_news', admins: [yes]}\n",
            "telegram.admins[0]: expected a number, not true/false",
        ),
        (
            CHANNEL + "delivery: {max_messages_per_second: true}\n",
            "delivery.max_messages_per_second: expected a number, not true/false",
        ),
        (
            CHANNEL + "publish: {min_heat: 10}\npublish: {min_heat: 20}\n",
            "publish: given twice (lines 2 and 3); keep one",
        ),
        (
            f"telegram: {{channel: '@my_ai_news', token: {SECRET}}}\n",
            "telegram.token: expected text: put the token in quotes",
        ),
    ],
)
def test_config_mistakes_exit_2_naming_the_key(
    tmp_path: Path, yaml_text: str, message: str
) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(yaml_text)
    result = run_cli("run", "--config", str(path), "--dry-run")
    assert result.returncode == 2, result.stderr[-2000:]
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert SECRET not in result.stderr + result.stdout
