"""docker-compose.yml, Dockerfile and .dockerignore, checked without a Docker engine: the compose
file parses and wires what README promises, and the image installs what README installs."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import yaml

from bot.config_env import DATABASE_URL_ENV, TOKEN_ENV

ROOT = Path(__file__).resolve().parent.parent


def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    joined = re.sub(r"\\\n\s*", " ", text)
    found = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def stages() -> list[list[tuple[str, str]]]:
    result: list[list[tuple[str, str]]] = []
    for instruction in dockerfile_instructions():
        if instruction[0] == "FROM":
            result.append([])
        if result:
            result[-1].append(instruction)
    return result


def test_compose_has_the_bot_and_a_healthy_postgres() -> None:
    services = compose()["services"]
    assert set(services) == {"bot", "worker", "postgres"}

    postgres = services["postgres"]
    assert re.fullmatch(r"postgres:\d+(\.\d+)?(-[a-z0-9.]+)?", postgres["image"]), (
        "pin the major version"
    )
    (data_volume,) = postgres["volumes"]
    volume_name, _, target = data_volume.partition(":")
    assert volume_name in compose()["volumes"] and target == "/var/lib/postgresql/data"
    check = postgres["healthcheck"]
    assert "pg_isready" in " ".join(check["test"])
    assert check["interval"] and check["retries"] >= 3

    bot = services["bot"]
    assert bot["build"] == "."
    assert bot["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert bot["env_file"] in (".env", [".env"])
    assert bot["restart"] in ("unless-stopped", "always")
    assert "./config.yaml:/app/config.yaml:ro" in bot["volumes"]
    assert any(v.startswith("./articles:/app/articles") for v in bot["volumes"])
    url = bot["environment"][DATABASE_URL_ENV]
    assert url.startswith("postgresql://") and "@postgres:5432/" in url
    assert f"/{postgres['environment']['POSTGRES_DB']}" in url
    assert "/healthz" in " ".join(bot["healthcheck"]["test"])


def test_compose_scales_delivery_workers_beside_the_bot() -> None:
    """`docker compose up -d --scale worker=3`: the same image and database as the bot, running
    `feedbot worker`, and nothing that would keep two replicas from running side by side."""
    services = compose()["services"]
    bot, worker = services["bot"], services["worker"]
    assert worker["build"] == bot["build"]
    assert worker["command"] == ["feedbot", "worker", "--config", "/app/config.yaml"]
    assert worker["environment"][DATABASE_URL_ENV] == bot["environment"][DATABASE_URL_ENV]
    assert worker["env_file"] == bot["env_file"] and worker["restart"] == bot["restart"]
    assert "./config.yaml:/app/config.yaml:ro" in worker["volumes"]
    assert worker["depends_on"]["postgres"] == {"condition": "service_healthy"}
    assert "bot" in worker["depends_on"]  # the bot upgrades the schema; workers wait for it
    # Replicas need no fixed name or host port, and time to hand their claims back on stop.
    assert not {"container_name", "ports", "hostname"} & set(worker)
    assert worker["stop_grace_period"] == bot["stop_grace_period"]
    assert worker["deploy"]["replicas"] == 0  # none unless asked for
    assert "--scale worker=" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_env_example_names_every_secret_and_is_kept_out_of_git_and_the_image() -> None:
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    assert re.search(rf"^{TOKEN_ENV}=\s*$", example, re.M)
    assert re.search(r"^POSTGRES_PASSWORD=\s*$", example, re.M)
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert ".env" in ignored and "config.yaml" in ignored
    assert ".env" in (ROOT / ".gitignore").read_text(encoding="utf-8").split()


def test_dockerfile_is_multi_stage_and_runs_as_a_non_root_user() -> None:
    builder, final = stages()
    assert builder[0][1].endswith("AS builder")
    args = dict(
        a.partition("=")[::2] for keyword, a in dockerfile_instructions() if keyword == "ARG"
    )
    final_base = final[0][1].replace("${PYTHON_IMAGE}", args.get("PYTHON_IMAGE", ""))
    assert re.fullmatch(r"python:3\.1[1-9]-slim(-\w+)?", final_base), final_base
    # The final stage installs nothing: it copies the builder's virtualenv, so no pip cache,
    # compiler or source tree comes along.
    final_runs = [args for keyword, args in final if keyword == "RUN"]
    assert not any(re.search(r"\b(pip|apt-get|apk)\b", args) for args in final_runs)
    assert ("COPY", "--from=builder /opt/venv /opt/venv") in final
    users = [args for keyword, args in final if keyword == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert [k for k, _ in final].index("USER") < [k for k, _ in final].index("CMD")
    (cmd,) = [args for keyword, args in final if keyword == "CMD"]
    assert cmd.startswith("[") and '"run"' in cmd, "exec form, so SIGTERM reaches feedbot"


def test_the_image_installs_what_readme_installs() -> None:
    """README's try-it command is `.venv/bin/pip install -e .`: the project and its runtime
    dependencies, no extras. The image must install that same project, from the files that
    pyproject says make it up."""
    builder, _ = stages()
    (install,) = [args for keyword, args in builder if keyword == "RUN" and "pip install" in args]
    assert re.search(r"pip install \.$", install), install  # no extras, no -e
    assert "pip install -e ." in (ROOT / "README.md").read_text(encoding="utf-8")

    copied = " ".join(args for keyword, args in builder if keyword == "COPY")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["readme"] in copied.split()
    assert "pyproject.toml" in copied.split()
    for pattern in project["tool"]["setuptools"]["packages"]["find"]["include"]:
        package = pattern.rstrip("*")
        assert f"{package} ./{package}" in copied, f"package {package} not copied"
        assert (ROOT / package / "__init__.py").is_file()
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    for needed in ("pyproject.toml", "README.md", "bot", "jobs", "storage"):
        assert needed not in ignored


def test_config_example_serves_the_port_the_compose_healthcheck_asks() -> None:
    config = yaml.safe_load((ROOT / "config.example.yaml").read_text(encoding="utf-8"))
    probe = " ".join(compose()["services"]["bot"]["healthcheck"]["test"])
    port = re.search(r"127\.0\.0\.1:(\d+)/healthz", probe)
    assert port is not None
    assert config["health"]["port"] == int(port.group(1)), "the container would be unhealthy"


def test_readme_compose_walk_through_is_in_order() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Running with docker compose", 1)[1].split("\n## ", 1)[0]
    steps = ["BotFather", "`.env`", "`config.yaml`", "`docker compose up`"]
    positions = [section.find(f"**{step}") for step in steps]
    assert -1 not in positions and positions == sorted(positions), positions
    commands = re.findall(r"```sh\n(.*?)\n```", section, flags=re.S)
    lines = [line.split("#")[0].strip() for line in commands[0].splitlines()]
    order = ["cp .env.example .env", "cp config.example.yaml config.yaml", "docker compose up -d"]
    assert [lines.index(line) for line in order] == sorted(lines.index(line) for line in order)
