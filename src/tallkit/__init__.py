"""tallkit: fra tall til tiltak.

Norwegian school indicator exports (nasjonale prøver, grunnskolepoeng, Elevundersøkelsen and a
kommune's own pupil-level results) into one DuckDB database, analyses with honest uncertainty,
and a Læringsspeil per school. The library functions here are what the CLI calls, one per
command: ``ingest``, ``status``, ``skoler``, ``sql`` / ``named_query`` / ``query_list``,
``progresjon``, ``fag``, ``variasjon``, ``speil`` and ``konfig``.

>>> import tallkit
>>> tallkit.ingest(["sample_data"], db="fjordvik.duckdb")           # doctest: +SKIP
>>> tallkit.variasjon("skoler", aar="2025-26", db="fjordvik.duckdb")  # doctest: +SKIP

Heavy modules (duckdb, polars) are imported on first use, so ``import tallkit`` and
``tallkit --help`` stay fast; typer and rich are only ever imported by the CLI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_API = (
    "fag",
    "ingest",
    "konfig",
    "named_query",
    "progresjon",
    "query_list",
    "resolve_school",
    "skoler",
    "speil",
    "sql",
    "status",
    "variasjon",
)
__all__ = ["__version__", *_API]

if TYPE_CHECKING:
    from tallkit.api import (
        fag as fag,
    )
    from tallkit.api import (
        ingest as ingest,
    )
    from tallkit.api import (
        konfig as konfig,
    )
    from tallkit.api import (
        named_query as named_query,
    )
    from tallkit.api import (
        progresjon as progresjon,
    )
    from tallkit.api import (
        query_list as query_list,
    )
    from tallkit.api import (
        resolve_school as resolve_school,
    )
    from tallkit.api import (
        skoler as skoler,
    )
    from tallkit.api import (
        speil as speil,
    )
    from tallkit.api import (
        sql as sql,
    )
    from tallkit.api import (
        status as status,
    )
    from tallkit.api import (
        variasjon as variasjon,
    )


def __getattr__(name: str) -> Any:
    if name in _API:
        from tallkit import api

        return getattr(api, name)
    raise AttributeError(f"module 'tallkit' has no attribute {name!r}")
