"""Parsing of repeatable ``KEY=VALUE`` command-line options, shared by every verb."""

from __future__ import annotations

from typing import Any

import typer
import yaml


def parse_key_values(pairs: list[str] | None, option: str, *, as_yaml: bool = False) -> dict[str, Any]:
    """``KEY=VALUE`` pairs as a mapping; with ``as_yaml`` values are read as YAML (``4``, ``0.5``, ``[4,4]``),
    else kept as strings. Malformed pairs raise ``typer.BadParameter`` naming ``option``."""
    settings: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(f"expected KEY=VALUE, got {pair!r}", param_hint=option)
        if not as_yaml:
            settings[key.strip()] = value.strip()
            continue
        try:
            settings[key.strip()] = yaml.safe_load(value)
        except yaml.YAMLError as error:
            message = f"{pair!r}: value is not valid YAML ({error})"
            raise typer.BadParameter(message, param_hint=option) from None
    return settings
