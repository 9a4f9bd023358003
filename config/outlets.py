"""The outlet registry: which outlet a host belongs to, and what readers call it.

The registry is data: ``outlets.toml`` beside this module, one ``[outlets.ID]``
table per outlet (``name``, ``hosts``, ``kind``, ``aliases``). A user extends or
overrides it with a TOML file of the same form named by ``$NEWSMON_OUTLETS``
(``[outlets.caijing] name = "财经网" hosts = ["caijing.com.cn"]``); its tables
are laid over the defaults key by key, so ``[outlets.sina] name = "新浪"`` only
renames.

- ``outlet_for_url(url)`` / ``outlet_for_host(host)``: the outlet whose host
  suffix is the longest one matching (on a dot boundary: ``sina.com.cn`` matches
  ``finance.sina.com.cn``, never ``sina.com.cn.example.com``), or None;
- ``outlet_id(url, site)``: the outlet a record counts as in reach: the
  registry's, else the host itself (so two unknown sites are never one), else
  the site;
- ``display_name(outlet_or_site)``: the outlet's name (``ithome`` -> IT之家), else
  what was given;
- ``outlet_for_source(text)``: the outlet a declared source (来源：新华社) names.
"""

from __future__ import annotations

import functools
import os
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

#: environment variable naming a user's TOML file of extra or changed outlets
OUTLETS_ENV = "NEWSMON_OUTLETS"
KINDS = ("media", "government")
_FIELDS = {"name", "hosts", "kind", "aliases"}


class OutletError(ValueError):
    """An outlet table of the wrong form; the message names the file and key."""


@dataclass(frozen=True)
class Outlet:
    id: str
    name: str
    hosts: tuple[str, ...]
    kind: str = "media"
    aliases: tuple[str, ...] = ()

    @property
    def is_government(self) -> bool:
        return self.kind == "government"


class OutletRegistry:
    def __init__(self, outlets: dict[str, Outlet]) -> None:
        self.outlets = dict(outlets)
        self._by_host: dict[str, str] = {}
        for oid in sorted(self.outlets):
            for host in self.outlets[oid].hosts:
                self._by_host.setdefault(host, oid)
        names = [
            (alias, oid)
            for oid, o in self.outlets.items()
            for alias in {o.name, *o.aliases}
            if alias
        ]
        #: longest name first, so 上海市人民政府办公厅 wins over 上海市人民政府
        self._names = sorted(names, key=lambda x: (-len(x[0]), x[0], x[1]))
        #: answers of outlet_for_source by source text (story detection asks for every
        #: record it reads, and sources repeat)
        self._by_source: dict[str, str | None] = {}

    def __len__(self) -> int:
        return len(self.outlets)

    def __getitem__(self, oid: str) -> Outlet:
        return self.outlets[oid]

    def outlet_for_host(self, host: str | None) -> Outlet | None:
        host = (host or "").lower().strip(".")
        while host:
            oid = self._by_host.get(host)
            if oid is not None:
                return self.outlets[oid]
            _, _, host = host.partition(".")
        return None

    def outlet_for_url(self, url: str | None) -> Outlet | None:
        return self.outlet_for_host(host_of(url))

    def outlet_id(self, url: str | None, site: str | None = None) -> str:
        outlet = self.outlet_for_url(url)
        if outlet is not None:
            return outlet.id
        host = host_of(url)
        if host:
            return host.removeprefix("www.")
        return site or "unknown"

    def display_name(self, outlet_or_site: str | None) -> str:
        if not outlet_or_site:
            return ""
        outlet = self.outlets.get(outlet_or_site)
        return outlet.name if outlet else outlet_or_site

    def outlet_for_source(self, source: str | None) -> Outlet | None:
        """The outlet a declared source names: 来源：新华社 -> xinhua. The source must
        start with the name or alias (新华社记者 counts, 据新华社 does not)."""
        key = source or ""
        if key not in self._by_source:
            text = "".join(key.split())
            for prefix in ("来源：", "来源:", "来源", "稿源："):
                text = text.removeprefix(prefix)
            self._by_source[key] = next(
                (oid for name, oid in self._names if text.startswith(name)), None
            )
        oid = self._by_source[key]
        return self.outlets[oid] if oid is not None else None


def host_of(url: str | None) -> str:
    if not url:
        return ""
    try:
        return (urlsplit(url if "//" in url else "//" + url).hostname or "").lower()
    except ValueError:
        return ""


def _parse(data: dict[str, Any], where: str) -> dict[str, dict[str, Any]]:
    unknown = set(data) - {"outlets"}
    if unknown:
        raise OutletError(
            f"{where}: unknown section {sorted(unknown)[0]!r} (expected [outlets.ID])"
        )
    tables = data.get("outlets", {})
    if not isinstance(tables, dict):
        raise OutletError(f"{where}: outlets must be tables [outlets.ID]")
    for oid, table in tables.items():
        if not isinstance(table, dict):
            raise OutletError(f"{where}: outlets.{oid} must be a table")
        extra = set(table) - _FIELDS
        if extra:
            raise OutletError(
                f"{where}: outlets.{oid}.{sorted(extra)[0]} is not a key (name, hosts, kind, aliases)"
            )
        if "name" in table and not (isinstance(table["name"], str) and table["name"].strip()):
            raise OutletError(f"{where}: outlets.{oid}.name must be a non-empty string")
        for key in ("hosts", "aliases"):
            value = table.get(key, [])
            if not (isinstance(value, list) and all(isinstance(v, str) and v for v in value)):
                raise OutletError(f"{where}: outlets.{oid}.{key} must be a list of strings")
        if "kind" in table and table["kind"] not in KINDS:
            raise OutletError(f"{where}: outlets.{oid}.kind must be one of {', '.join(KINDS)}")
    return tables


def load_outlets(extra: str | os.PathLike | None = None) -> OutletRegistry:
    """The packaged registry with ``extra`` (a TOML file) laid over it."""
    text = (resources.files("newsmon.config") / "outlets.toml").read_text(encoding="utf-8")
    tables = {k: dict(v) for k, v in _parse(tomllib.loads(text), "outlets.toml").items()}
    if extra:
        path = Path(extra)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise OutletError(f"{path}: cannot read ({exc.strerror or exc})") from None
        except tomllib.TOMLDecodeError as exc:
            raise OutletError(f"{path}: {exc}") from None
        for oid, table in _parse(data, str(path)).items():
            tables[oid] = {**tables.get(oid, {}), **table}
    outlets = {}
    for oid, t in tables.items():
        if not t.get("name"):
            raise OutletError(f"outlets.{oid}: a new outlet needs a name")
        outlets[oid] = Outlet(
            id=oid,
            name=t["name"],
            hosts=tuple(h.lower().strip(".") for h in t.get("hosts", [])),
            kind=t.get("kind", "media"),
            aliases=tuple(t.get("aliases", [])),
        )
    return OutletRegistry(outlets)


@functools.cache
def _registry_for(extra: str | None) -> OutletRegistry:
    return load_outlets(extra)


def registry() -> OutletRegistry:
    """The registry in force: the packaged one, with $NEWSMON_OUTLETS laid over it."""
    return _registry_for(os.environ.get(OUTLETS_ENV) or None)


def display_name(outlet_or_site: str | None) -> str:
    return registry().display_name(outlet_or_site)
