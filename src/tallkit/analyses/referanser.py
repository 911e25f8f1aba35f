"""Comparison kommuner as references beside the nation: Udir's published kommune rows.

``fag --del prover|indikatorer`` and ``variasjon --del skoler`` with ``--sammenligning``, and
the kommune report's key figures, read a comparison kommune's numbers here and nowhere else.
They are Udir's own kommune rows (:func:`tallkit.analyses.fag.kommune_indicators`, with the
SE a kommune's trend uses: Udir's «Usikkerhet», the class component and the rounding); nothing
is computed from the comparison kommune's schools.

A row is looked up under the kommune's current number, then under a former number from a pure
renumbering (:mod:`tallkit.sammenligning`) for the years that number was in use. A row that is
not there is never a 0: it is ``mangler`` with a note that says why (not in the database, or a
year before a merger that gave the kommune other borders); a suppressed one is ``skjermet``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Final

import polars as pl

from tallkit import sammenligning, stats
from tallkit.analyses import Filters, in_schema
from tallkit.formats.cells import MISSING, OK, SUPPRESSED
from tallkit.store import Store

REFERENCE: Final = "sammenligningskommune"  # radtype of a reference row


def _date(iso: str) -> str:
    """2024-01-01 -> «1. januar 2024» (SSB's changes all take effect on 1 January)."""
    year, month, day = iso.split("-")
    if (month, day) != ("01", "01"):
        return iso
    return f"1. januar {year}"


def _names(items: Iterable[str]) -> str:
    listed = list(items)
    return ", ".join(listed[:-1]) + f" og {listed[-1]}" if len(listed) > 1 else "".join(listed)


def area_note(change: sammenligning.AreaChange) -> str:
    """The merger or split in plain words: «sammenslått med Songdalen og Søgne 1. januar 2020»."""
    if change.kind == "sammenslått":
        return f"sammenslått med {_names(change.others)} {_date(change.date)}"
    return f"delt {_date(change.date)} ({_names(change.others)} ble egen kommune)"


def missing_note(kommunenr: str, year: str) -> str:
    """Why a kommune has no row for ``year``: another area then, or not in the database."""
    change = sammenligning.history(kommunenr).area_change
    if change is not None and year <= change.last_year:
        return f"ingen sammenlignbare tall: kommunen fikk nye grenser ({area_note(change)})"
    return "ingen tall i databasen (les inn en eksport som har med kommunen)"


@dataclass(frozen=True)
class Reference:
    """One comparison kommune's published row for one indicator and year (or why not)."""

    kommunenr: str  # the current number, as asked for
    navn: str
    row: dict[str, Any] | None  # Udir's row (fag.INDICATOR_SCHEMA); None when not in the data
    kilde_kommunenr: str | None  # the number Udir published it under
    status: str  # ok | skjermet | mangler
    merknad: str | None

    @property
    def value(self) -> float | None:
        return None if self.row is None else self.row["verdi"]

    @property
    def se(self) -> float | None:
        return None if self.row is None or self.row["verdi"] is None else self.row["se"]


@dataclass
class References:
    """Udir's kommune rows for the comparison kommuner (and their former numbers) of a run."""

    rows: pl.DataFrame  # fag.kommune_indicators over current and former numbers
    names: dict[str, str]  # kommunenr -> name (the database's, else SSB's)
    _index: dict[tuple[Any, ...], dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for row in self.rows.iter_rows(named=True):
            key = (row["enhet_id"], row["kilde"], row["indikator_kode"], row["trinn"])
            self._index[(*key, row["skoleaar"])] = row

    def name(self, kommunenr: str) -> str:
        return self.names.get(kommunenr) or sammenligning.name(kommunenr) or kommunenr

    def find(self, kommunenr: str, kilde: str, kode: str, trinn: int, year: str) -> Reference:
        """The kommune's row for one indicator and school year (see the module docstring)."""
        history = sammenligning.history(kommunenr)
        name = self.name(kommunenr)
        for number in history.numbers_for(year):
            row = self._index.get((number, kilde, kode, trinn, year))
            if row is None:
                continue
            notes = []
            if number != kommunenr:
                notes.append(f"Udirs tall under tidligere kommunenummer {number}")
            change = history.area_change
            if change is not None and change.before_under(number, year):
                notes.append(f"tallet gjelder kommunen før den ble {area_note(change)}")
            status = OK if row["verdi"] is not None else row["status"] or SUPPRESSED
            if status == SUPPRESSED:
                notes.append("skjermet (Udir viser ikke tall for små grupper)")
            return Reference(kommunenr, name, row, number, status, "; ".join(notes) or None)
        return Reference(kommunenr, name, None, None, MISSING, missing_note(kommunenr, year))

    def difference(
        self, reference: Reference, own: dict[str, Any] | None
    ) -> tuple[float, float, float, str] | None:
        """The comparison kommune minus ``own`` (Udir's row of the run's kommune) with a 95 %
        interval and flag: independent samples, each SE with its own rounding, so the
        variance is the sum. None when either has no value or no spread."""
        if own is None or own["verdi"] is None or own["se"] is None:
            return None
        if reference.value is None or reference.se is None:
            return None
        diff = reference.value - own["verdi"]
        se = (reference.se**2 + own["se"] ** 2) ** 0.5
        return diff, diff - stats.Z95 * se, diff + stats.Z95 * se, stats.flag(diff, se)


def numbers_to_read(kommuner: Iterable[str]) -> list[str]:
    """Each kommune's current number and its former ones (pure renumberings)."""
    out: list[str] = []
    for number in kommuner:
        out.append(number)
        out.extend(f.number for f in sammenligning.history(number).formers)
    return list(dict.fromkeys(out))


def load(store: Store, filters: Filters, kommuner: Iterable[str], min_group: int) -> References:
    """Udir's rows for ``kommuner`` (comparison kommuner and the run's own) and their former
    numbers, every year (or ``filters.aar``)."""
    from tallkit.analyses.fag import kommune_indicators

    numbers = numbers_to_read(kommuner)
    rows = kommune_indicators(store, filters, numbers, min_group)
    known = store.query(
        "select enhet_id, navn from enhet where nivaa = 'kommune' and list_contains($n, enhet_id) "
        "order by enhet_id",
        {"n": numbers},
    )
    names = {str(r["enhet_id"]): str(r["navn"]) for r in known.iter_rows(named=True)}
    return References(rows, names)


def own_kommune(store: Store, filters: Filters) -> str | None:
    """The kommune a run is about: --kommune, the school's kommune, else [kommune] nummer."""
    from tallkit.analyses import scope_kommune

    found = scope_kommune(store, filters)
    if found is None and filters.uncertainty_settings is not None:
        found = filters.uncertainty_settings.kommunenr
    return found


# Columns every part that takes --sammenligning adds (README: «Sammenligningskommuner i fag og
# variasjon»); an ordinary row is a school (or a kommune) with status ok and nothing to note.
COLUMNS: Final = {
    "radtype": pl.String,
    "status": pl.String,
    "kilde_kommunenr": pl.String,
    "merknad": pl.String,
}


@dataclass(frozen=True)
class Run:
    """The comparison of one analysis run: whom to add, and the run's own kommune."""

    references: References
    kommuner: tuple[str, ...]  # the comparison kommuner, without the run's own
    own: str | None

    def own_row(self, kilde: str, kode: str, trinn: int, year: str) -> dict[str, Any] | None:
        """Udir's row of the run's own kommune (None without one, or when it has none)."""
        if self.own is None:
            return None
        return self.references.find(self.own, kilde, kode, trinn, year).row


def prepare(store: Store, filters: Filters, min_group: int) -> Run | None:
    """The comparison kommuner of ``filters`` and Udir's rows for them, or None without any."""
    if not filters.comparison:
        return None
    own = own_kommune(store, filters)
    kommuner = tuple(k for k in filters.comparison if k != own)
    wanted = [*kommuner, *([own] if own is not None else [])]
    return Run(load(store, filters, wanted, min_group), kommuner, own)


def test_rows(
    run: Run, cell: dict[str, Any], difference_names: tuple[str, str, str, str]
) -> Iterator[tuple[dict[str, Any], Reference, dict[str, Any] | None]]:
    """The comparison kommuner's rows for one year, trinn and test (none for pooled years:
    Udir publishes no pooled kommune row), with the columns ``fag --del prover`` and
    ``variasjon --del skoler`` share: the cell, the kommune, Udir's n, mean and SE where it
    published them, and the difference from the run's own kommune (Udir's row; two
    independent published means, so the variance is the sum) under ``difference_names``.
    Each comes with its reference and the own kommune's row, for what a part adds."""
    if cell["aar_slatt_sammen"] != 1:
        return
    year, trinn, test = cell["skoleaar"], cell["trinn"], cell["prove"]
    own = run.own_row("nasjonale_prover", test, trinn, year)
    for kommunenr in run.kommuner:
        found = run.references.find(kommunenr, "nasjonale_prover", test, trinn, year)
        row: dict[str, Any] = {
            "skoleaar": year,
            "aar_slatt_sammen": 1,
            "trinn": trinn,
            "prove": test,
            "kommunenr": kommunenr,
            "enhet_id": kommunenr,
            "navn": found.navn,
            **reference_fields(found),
        }
        if found.value is not None and found.row is not None:
            row |= {
                "antall": found.row["antall"],
                "skalapoeng": found.row["verdi"],
                "se": found.row["se"],
                "usikkerhet_kilde": found.row["usikkerhet_kilde"],
            }
            difference = run.references.difference(found, own)
            if difference is not None:
                row |= dict(zip(difference_names, difference, strict=True))
        yield row, found, own


def reference_fields(found: Reference) -> dict[str, Any]:
    return {
        "radtype": REFERENCE,
        "status": found.status,
        "kilde_kommunenr": found.kilde_kommunenr,
        "merknad": found.merknad,
    }


def with_references_frame(
    frame: pl.DataFrame,
    keys: tuple[str, ...],
    make: Any,
    run: Run | None,
    schema: dict[str, Any],
    kind: str = "skole",
) -> pl.DataFrame:
    """:func:`with_references` for a frame, in ``schema``'s columns and types. Without a
    comparison (the common run) the rows are only marked, column-wise: a national run has
    60,000 of them."""
    if run is not None:
        rows = with_references(frame.to_dicts(), keys, make, kind)
        return (
            pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)
        )
    status = pl.col("status").fill_null(OK) if "status" in frame.columns else pl.lit(OK)
    return in_schema(frame.with_columns(radtype=pl.lit(kind), status=status), schema)


def with_references(
    rows: list[dict[str, Any]],
    keys: tuple[str, ...],
    make: Any,
    kind: str = "skole",
) -> list[dict[str, Any]]:
    """``rows`` (marked as ``kind``, status from the row or ok) with the reference rows of each
    cell (``make(cell_rows)`` -> rows) right after the cell's last row, so a table read top to
    bottom shows the schools and then the comparison kommuner of the same year, trinn and test."""
    cells: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for row in rows:
        cells.setdefault(tuple(row[k] for k in keys), []).append(row)
    last = {id(members[-1]): key for key, members in cells.items()}
    out: list[dict[str, Any]] = []
    for row in rows:
        out.append({**row, "radtype": kind, "status": row.get("status") or OK})
        key = last.get(id(row))
        if key is not None:
            out.extend(make(cells[key]))
    return out
