"""Reading config.yaml's text into plain data: PyYAML's safe loader, except that a key given twice
in one mapping is an error naming it and both lines (PyYAML keeps the last silently), and a
syntax error is told without echoing the line, which may hold the bot token."""

from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

_MERGE_TAG = "tag:yaml.org,2002:merge"  # "<<: *defaults" may be overridden key by key


class ConfigFileError(ValueError):
    """The text is not YAML a config can be read from; the message names the place."""


def read_yaml(text: str) -> Any:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _reject_duplicate_keys(node, "", set())
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        raise ConfigFileError(_describe_yaml_error(exc)) from None
    except yaml.YAMLError as exc:
        raise ConfigFileError(f"not valid YAML: {type(exc).__name__}") from None
    except RecursionError:
        raise ConfigFileError("not valid YAML: nested too deeply") from None
    finally:
        loader.dispose()


def _describe_yaml_error(exc: yaml.MarkedYAMLError) -> str:
    # str(exc) quotes the offending line: a malformed token line would be printed in full.
    mark = exc.problem_mark or exc.context_mark
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    what = exc.problem or exc.context or "syntax error"
    return f"not valid YAML{where}: {what}"


def _reject_duplicate_keys(node: Node, path: str, seen: set[int]) -> None:
    if id(node) in seen:  # an alias to a node already checked
        return
    seen.add(id(node))
    if isinstance(node, SequenceNode):
        for position, item in enumerate(node.value):
            _reject_duplicate_keys(item, f"{path}[{position}]", seen)
    elif isinstance(node, MappingNode):
        lines: dict[str, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                continue
            key = str(key_node.value) if isinstance(key_node, ScalarNode) else "?"
            where = f"{path}.{key}" if path else key
            line = key_node.start_mark.line + 1
            if key in lines:
                raise ConfigFileError(
                    f"{where}: given twice (lines {lines[key]} and {line}); keep one"
                )
            lines[key] = line
            _reject_duplicate_keys(value_node, where, seen)
