"""`python -m newsmon.config`: every setting with its default and help, as a TOML file.

The output is a valid user file that changes nothing; copy the lines you want to
change into your own file (--config, $NEWSMON_CONFIG or ./newsmon.toml).
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from newsmon.config.model import Expect, Settings


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return repr(value)


def _expect(info: Any) -> str:
    return next((m.text for m in info.metadata if isinstance(m, Expect)), "")


def _describe_keys(model: type[BaseModel], prefix: str) -> list[str]:
    lines = [f"# {prefix} keys:"]
    for key, info in model.model_fields.items():
        if info.is_required():
            need = "required"
        else:
            need = "not set" if info.default is None else f"default {_value(info.default)}"
        lines.append(f"#   {key}: {info.description} ({need})")
    return lines


def _table(name: str, model: BaseModel) -> list[str]:
    lines = [f"[{name}]"]
    nested: list[str] = []
    for key, info in type(model).model_fields.items():
        value = getattr(model, key)
        if isinstance(value, BaseModel):
            nested += ["", f"# {info.description}", *_table(f"{name}.{key}", value)]
        elif isinstance(value, dict):
            nested += ["", f"# {info.description}", f"[{name}.{key}]"]
            nested += [f"{_value(k)} = {_value(v)}" for k, v in value.items()]
        else:
            expect = _expect(info)
            lines.append(f"# {info.description}" + (f" — {expect}" if expect else ""))
            lines.append(f"{key} = {_value(value)}")
    return lines + nested


def render_defaults() -> str:
    """The default settings as an annotated TOML file."""
    from newsmon.config.model import Job, Member, Sector

    out = ["# newsmon's settings and their defaults (python -m newsmon.config)."]
    defaults = Settings()
    for section, info in Settings.model_fields.items():
        out += ["", f"# {info.description}"]
        if section == "sectors":
            out += ["# [sectors.ID] tables ship in sectors.toml."]
            out += _describe_keys(Sector, "[sectors.ID]") + _describe_keys(Member, "a member's")
            continue
        out += _table(section, getattr(defaults, section))
        if section == "schedule":
            out += ["# [schedule.jobs.NAME] tables ship in schedule.toml."]
            out += _describe_keys(Job, "[schedule.jobs.NAME]")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    print(render_defaults(), end="")
