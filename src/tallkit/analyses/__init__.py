"""Analyses over the store: each builds one of ``queries/*.sql`` and shapes the result with
:mod:`tallkit.stats`. They return polars frames whose columns are documented in the README."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from tallkit.resources import find_query
from tallkit.store import Store


@dataclass(frozen=True)
class Filters:
    """The CLI's --aar/--trinn/--prove/--kommune/--skole; None means all."""

    aar: str | None = None
    trinn: int | None = None
    prove: str | None = None
    kommune: str | None = None
    skole: str | None = None

    def params(self, *names: str) -> dict[str, Any]:
        return {name: getattr(self, name) for name in names}


def run_query(store: Store, name: str, params: dict[str, Any]) -> pl.DataFrame:
    return store.query(find_query(name).read_text(encoding="utf-8"), params)
