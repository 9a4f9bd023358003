"""newsmon: watch Chinese financial and policy news spread and measure the market reaction.

As a library (for notebooks)::

    import newsmon

    with newsmon.open("data/newsmon.db") as m:
        m.stories(date="2022-07-08")
        m.reactions(date="2022-07-08")

Importing newsmon loads nothing heavy: pandas and the database code load when a
database is opened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from newsmon.library import Newsmon

__all__ = ["open"]


def open(path: Any, *, busy_timeout_ms: int | None = None) -> Newsmon:  # noqa: A001 - newsmon.open reads best
    """Open an existing newsmon database: m.articles(), m.stories(), m.story(id),
    m.reactions(), m.prices(...) return pandas DataFrames. FileNotFoundError when
    the file does not exist (no empty database is made)."""
    from newsmon.library import open_database

    return open_database(path, busy_timeout_ms=busy_timeout_ms)
