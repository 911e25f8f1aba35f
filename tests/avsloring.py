"""Disclosure audit (issue 7, item 9): can a reader add and subtract shown numbers until they
have the sum or mean of fewer pupils than the minimum group?

Every number tallkit shows from pupil data is modelled as a linear functional over unknown
per-pupil values, reconstructed here from the raw pupil rows and the README's definitions
(independently of tallkit's own suppression code):

- a mean with its n is the sum of the pupils' scores over the group (``skalapoeng``);
- a share at a mastery level with its n is the count of pupils at that level (``nivaa_k``,
  one 0/1 variable per pupil result);
- a paired change is Σ(til − fra) over the pairs; a level transition share counts pairs
  (``opp``/``samme``/``ned``);
- centred or regression values (5→8 position change, value added) are taken with their
  centring constants *known* (the slope and constant are shown; a kommune mean is public
  knowledge to within rounding): the school's row is Σ(til − b·fra) over its pupils, and the
  kommune cell's total (which the centring makes zero, or N·konstant) is one more known row.

Numbers Udir publishes (rounded means) and second moments (SD, correlation, variance shares)
are not modelled. A *leak* is a non-zero vector in the row space whose support holds fewer
than ``minimum`` distinct pupils. The search works per family on *atoms* (pupil values with
identical coefficient patterns: every vector in the row space is constant on them): it
restricts the row space to the small atoms (null space of the other columns) and looks for
low-weight vectors in what is left — exhaustively (elementary vectors) when that subspace is
small, else by reduced echelon forms under several column orders (then the count is a lower
bound).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from tallkit import api
from tallkit.config import Settings

Key = tuple[Any, ...]
TOL = 1e-7


@dataclass
class Functional:
    label: str  # which shown number: part and row key
    family: str
    coefs: dict[Key, float]


@dataclass
class Leak:
    family: str
    pupils: int  # distinct pupils in the support
    values: int  # pupil values (records) in the support
    rows: list[str]  # shown rows the combination uses (largest weights first)


@dataclass
class Audit:
    functionals: list[Functional] = field(default_factory=list)
    leaks: list[Leak] = field(default_factory=list)
    exhaustive: bool = True

    def summary(self) -> str:
        def count(leaks: list[Leak]) -> str:
            single = sum(1 for leak in leaks if leak.pupils == 1)
            return f"{len(leaks)} ({single} av dem én elev)"

        scores = [leak for leak in self.leaks if leak.family == "skalapoeng"]
        others = [leak for leak in self.leaks if leak.family != "skalapoeng"]
        by_part: dict[str, int] = defaultdict(int)
        for leak in self.leaks:
            for part in sorted({r.split(" ")[0] for r in leak.rows}):
                by_part[part] += 1
        parts = ", ".join(f"{k} {v}" for k, v in sorted(by_part.items()))
        bound = "" if self.exhaustive else " (nedre grense)"
        return (
            f"{len(self.functionals)} viste tall fra elevdata; avledbare summer av færre enn "
            f"minste gruppe{bound}: skalapoeng {count(scores)}, mestringsnivå/overganger "
            f"{count(others)}; viste rader i lekkasjene per del: {parts or 'ingen'}"
        )


# -- the pupil data, independently of tallkit's analyses ------------------------------------


def pupil_rows(settings: Settings) -> pl.DataFrame:
    # straight from the file, as an analyst with DuckDB would: «tallkit sql» has no pupil rows
    import duckdb

    con = duckdb.connect(str(settings.db_path), read_only=True)
    try:
        frame: pl.DataFrame = con.sql(
            "select r.elev, r.enhet_id, e.kommunenr, coalesce(r.gruppe, '(uten gruppe)') as gruppe, "
            "r.skoleaar, cast(substr(r.skoleaar, 1, 4) as integer) as start, r.trinn, r.prove, "
            "r.skalapoeng, r.mestringsnivaa, r.avgiverskole "
            "from elevresultat r left join enhet e using (enhet_id) where r.deltatt_status = 'D'"
        ).pl()
    finally:
        con.close()
    return frame


def pairs_of(rows: pl.DataFrame) -> pl.DataFrame:
    """Pupil pairs as the README defines them (8→9 lesing/regning; 5→8 followed from the
    school the pupil came from)."""
    scored = rows.filter(pl.col("skalapoeng").is_not_null())
    pieces = []
    for fra, til, gap in ((8, 9, 1), (5, 8, 3)):
        f = scored.filter(pl.col("trinn") == fra).select(
            "elev",
            "prove",
            pl.col("start") + gap,
            fra_aar="skoleaar",
            fra_enhet="enhet_id",
            fra_nivaa="mestringsnivaa",
        )
        t = scored.filter(pl.col("trinn") == til)
        if fra == 8:
            t = t.filter(pl.col("prove").is_in(["lesing", "regning"]))
        joined = t.join(f, on=["elev", "prove", "start"]).select(
            "elev",
            "prove",
            "fra_aar",
            "fra_nivaa",
            til_aar="skoleaar",
            til_enhet="enhet_id",
            til_gruppe="gruppe",
            kommunenr="kommunenr",
            til_nivaa="mestringsnivaa",
            skole=pl.col("enhet_id")
            if fra == 8
            else pl.coalesce(pl.col("avgiverskole"), pl.col("fra_enhet")),
            gruppe=pl.col("gruppe") if fra == 8 else pl.lit("alle"),
            fra_trinn=pl.lit(fra, dtype=pl.Int64),
            til_trinn=pl.lit(til, dtype=pl.Int64),
        )
        pieces.append(joined)
    return pl.concat(pieces)


def _x(elev: str, year: str, trinn: int, test: str) -> Key:
    return (elev, year, int(trinn), test)


# -- shown numbers as functionals -----------------------------------------------------------


class Builder:
    def __init__(self, rows: pl.DataFrame) -> None:
        self.rows = rows
        self.scored = rows.filter(pl.col("skalapoeng").is_not_null())
        self.levelled = rows.filter(pl.col("mestringsnivaa").is_not_null())
        self.pairs = pairs_of(rows)
        self.out: dict[str, Functional] = {}
        self._groups = self.scored.partition_by(
            ["enhet_id", "skoleaar", "trinn", "prove"], as_dict=True
        )
        self._pair_groups = self.pairs.partition_by(
            ["til_aar", "fra_trinn", "prove", "skole"], as_dict=True
        )

    def add(self, label: str, family: str, coefs: dict[Key, float]) -> None:
        if coefs:
            self.out[f"{label} [{family}]"] = Functional(label, family, coefs)

    def _levels(self, label: str, members: pl.DataFrame, level: int) -> None:
        chosen = members.filter(pl.col("mestringsnivaa").is_not_null())
        self.add(
            label,
            f"nivaa_{level}",
            {
                _x(r["elev"], r["skoleaar"], r["trinn"], r["prove"]): 1.0
                for r in chosen.iter_rows(named=True)
            },
        )

    def grupper(self, frame: pl.DataFrame) -> None:
        for row in frame.filter(pl.col("snitt").is_not_null()).iter_rows(named=True):
            key = (row["enhet_id"], row["skoleaar"], row["trinn"], row["prove"])
            members = self._groups[key]
            if row["gruppe"] != "alle":
                members = members.filter(pl.col("gruppe") == row["gruppe"])
            assert members.height == row["antall"], (row, members.height)
            label = f"grupper {'/'.join(map(str, key))}/{row['gruppe']}"
            self.add(
                label,
                "skalapoeng",
                {
                    _x(r["elev"], r["skoleaar"], r["trinn"], r["prove"]): 1.0
                    for r in members.iter_rows(named=True)
                },
            )
            if row["andel_laveste_nivaa"] is not None:
                self._levels(label, members, 1)
            if row["andel_hoyeste_nivaa"] is not None:
                self._levels(label, members, 3 if row["trinn"] == 5 else 5)

    def _pair_members(self, row: dict[str, Any]) -> pl.DataFrame:
        key = (row["til_aar"], row["fra_trinn"], row["prove"], row["enhet_id"])
        members = self._pair_groups.get(key, self.pairs.head(0))
        if row.get("kommunenr") is not None:
            members = members.filter(pl.col("kommunenr") == row["kommunenr"])
        if row.get("gruppe") not in (None, "alle"):
            members = members.filter(pl.col("gruppe") == row["gruppe"])
        return members

    def _pair_sum(self, members: pl.DataFrame, slope: float) -> dict[Key, float]:
        coefs: dict[Key, float] = {}
        for r in members.iter_rows(named=True):
            coefs[_x(r["elev"], r["til_aar"], r["til_trinn"], r["prove"])] = 1.0
            coefs[_x(r["elev"], r["fra_aar"], r["fra_trinn"], r["prove"])] = -slope
        return coefs

    def _cell_total(self, label: str, members: pl.DataFrame, slope: float) -> None:
        # plain lists: polars 1.20 reads an imploded Series of one list as one value per row
        years = sorted(set(members["til_aar"].drop_nulls()))
        kommuner = sorted(set(members["kommunenr"].drop_nulls()))
        for (aar, fra, prove, kommune), cell in (
            self.pairs.filter(
                pl.col("til_aar").is_in(years)
                & (pl.col("fra_trinn") == members["fra_trinn"][0])
                & (pl.col("prove") == members["prove"][0])
                & pl.col("kommunenr").is_in(kommuner)
            )
            .partition_by(["til_aar", "fra_trinn", "prove", "kommunenr"], as_dict=True)
            .items()
        ):
            self.add(
                f"{label} {aar}/{fra}/{prove}/{kommune}",
                "skalapoeng",
                self._pair_sum(cell, slope),
            )

    def elever(self, frame: pl.DataFrame) -> None:
        for row in frame.filter(pl.col("endring").is_not_null()).iter_rows(named=True):
            members = self._pair_members(row)
            assert members.height == row["antall"], (row, members.height)
            key = "/".join(
                str(row[k]) for k in ("til_aar", "fra_trinn", "prove", "enhet_id", "gruppe")
            )
            label = f"elever {key}"
            self.add(label, "skalapoeng", self._pair_sum(members, 1.0))
            if row["fra_trinn"] == 5:
                self._cell_total("elever-sentrering", members, 1.0)
            if row["andel_opp"] is not None:
                with_levels = members.filter(
                    pl.col("fra_nivaa").is_not_null() & pl.col("til_nivaa").is_not_null()
                )
                for name, sign in (("opp", 1), ("samme", 0), ("ned", -1)):
                    self.add(
                        label,
                        name,
                        {
                            (r["elev"], r["til_aar"], r["fra_trinn"], r["prove"], sign): 1.0
                            for r in with_levels.iter_rows(named=True)
                        },
                    )

    def verdiskaping(self, frame: pl.DataFrame) -> None:
        for row in frame.filter(pl.col("restledd").is_not_null()).iter_rows(named=True):
            members = self._pair_members(row)
            assert members.height == row["antall"], (row, members.height)
            key = "/".join(
                str(row[k]) for k in ("til_aar", "fra_trinn", "prove", "kommunenr", "enhet_id")
            )
            self.add(f"verdiskaping {key}", "skalapoeng", self._pair_sum(members, row["stigning"]))
            self._cell_total("verdiskaping-konstant", members, row["stigning"])

    def sammenheng(self, frame: pl.DataFrame) -> None:
        for row in frame.iter_rows(named=True):
            key = (row["enhet_id"], row["skoleaar"], row["trinn"])
            a = self._groups.get((*key, row["prove_a"]), self.scored.head(0))
            b = self._groups.get((*key, row["prove_b"]), self.scored.head(0))
            both = set(a["elev"]) & set(b["elev"])
            assert len(both) == row["antall"], (row, len(both))
            label = f"sammenheng {'/'.join(map(str, key))}/{row['prove_a']}-{row['prove_b']}"
            for column, members in (("lav_bare_a", a), ("lav_bare_b", b)):
                if row[column] is not None:
                    self._levels(label, members.filter(pl.col("elev").is_in(list(both))), 1)

    def mestring(self, bars: Iterable[tuple[str, str | None, str, int, str, str]]) -> None:
        """Level distributions the Læringsspeil draws: (orgnr, kommunenr, year, trinn, test,
        'skolen'|'kommunen')."""
        for orgnr, kommune, year, trinn, test, unit in bars:
            column, unit_id = ("enhet_id", orgnr) if unit == "skolen" else ("kommunenr", kommune)
            members = self.levelled.filter(
                (pl.col(column) == unit_id)
                & (pl.col("skoleaar") == year)
                & (pl.col("trinn") == trinn)
                & (pl.col("prove") == test)
            )
            label = f"speil-mestring {unit_id}/{year}/{trinn}/{test}"
            # a share with its n is the count at that level: one functional per level
            for level in range(1, (3 if trinn == 5 else 5) + 1):
                self._levels(label, members, level)


# -- what every part and the Læringsspeil show -----------------------------------------------

PUPIL_PARTS = {
    "variasjon": ("grupper", "dekomponering", "skoler", "spredning"),
    "progresjon": ("elever", "verdiskaping", "kull", "trend"),
    "fag": ("prover", "profil", "sammenheng", "indikatorer"),
}


def speil_shown(settings: Settings, years: list[str], out: Path) -> tuple[list[Any], list[Any]]:
    """Run the Læringsspeil for every school and year and capture what it shows from pupil
    data: the mastery bars (from each chart's ``data``: unit, year, trinn, test) and the
    inputs' paired/value-added rows."""
    from tallkit import render
    from tallkit.reports import laeringsspeil

    bars: list[tuple[str, str | None, str, int, str, str]] = []
    inputs: list[Any] = []
    original_build = laeringsspeil.build

    def build(given: Any, orgnr: str, year: str, **kw: Any) -> Any:
        inputs.append(given)
        document = original_build(given, orgnr, year, **kw)
        kommune = document.header["skole"]["kommunenr"]
        for section in document.sections:
            for chart in section.charts:
                for bar in chart.data:
                    unit = "skolen" if bar["enhet_id"] == orgnr else "kommunen"
                    bars.append((orgnr, kommune, bar["skoleaar"], bar["trinn"], bar["prove"], unit))
        return document

    try:
        laeringsspeil.build = build  # type: ignore[assignment]
        render_write, render.write = render.write, lambda *a, **k: []
        out.mkdir(parents=True, exist_ok=True)
        for year in years:
            api.speil(alle=True, aar=year, ut=out, dato="2026-01-01", settings=settings)
    finally:
        laeringsspeil.build = original_build
        render.write = render_write
    return bars, inputs


def collect(settings: Settings, tmp: Path) -> Builder:
    rows = pupil_rows(settings)
    builder = Builder(rows)
    builder.grupper(api.variasjon("grupper", settings=settings))
    builder.elever(api.progresjon("elever", settings=settings))
    builder.verdiskaping(api.progresjon("verdiskaping", settings=settings))
    builder.sammenheng(api.fag("sammenheng", settings=settings))
    for module, parts in PUPIL_PARTS.items():  # every part runs (no unmodelled crash)
        for part in parts:
            getattr(api, module)(part, settings=settings)
    years = sorted(set(rows["skoleaar"]))
    bars, inputs = speil_shown(settings, years, tmp)
    builder.mestring(sorted(set(bars), key=str))
    seen_paired = pl.concat([i.paired for i in inputs], how="diagonal_relaxed")
    seen_value = pl.concat([i.value_added for i in inputs], how="diagonal_relaxed")
    builder.elever(seen_paired.unique(maintain_order=True))
    builder.verdiskaping(seen_value.unique(maintain_order=True))
    return builder


# -- the search ------------------------------------------------------------------------------


def audit(functionals: list[Functional], minimum: int, budget: int = 4000) -> Audit:
    result = Audit(functionals=functionals)
    by_family: dict[str, list[Functional]] = defaultdict(list)
    for f in functionals:
        by_family[f.family].append(f)
    for family, rows in sorted(by_family.items()):
        _audit_family(family, rows, minimum, budget, result)
    return result


def _audit_family(
    family: str, rows: list[Functional], minimum: int, budget: int, result: Audit
) -> None:
    columns: dict[Key, list[tuple[int, float]]] = defaultdict(list)
    for index, row in enumerate(rows):
        for key, coef in row.coefs.items():
            columns[key].append((index, round(coef, 9)))
    atoms: dict[tuple[tuple[int, float], ...], list[Key]] = defaultdict(list)
    for key, pattern in columns.items():
        if any(c != 0 for _, c in pattern):
            atoms[tuple(sorted(pattern))].append(key)
    patterns = list(atoms)
    # components: atoms joined by the rows they share
    parent = list(range(len(patterns)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_of_row: dict[int, int] = {}
    for a, pattern in enumerate(patterns):
        for r, c in pattern:
            if c == 0:
                continue
            if r in first_of_row:
                parent[find(a)] = find(first_of_row[r])
            else:
                first_of_row[r] = a
    components: dict[int, list[int]] = defaultdict(list)
    for a in range(len(patterns)):
        components[find(a)].append(a)
    for members in components.values():
        pupils = [frozenset(k[0] for k in atoms[patterns[a]]) for a in members]
        if all(len(p) >= minimum for p in pupils):
            continue
        row_ids = sorted({r for a in members for r, c in patterns[a] if c != 0})
        where = {r: i for i, r in enumerate(row_ids)}
        matrix = np.zeros((len(row_ids), len(members)))
        for j, a in enumerate(members):
            for r, c in patterns[a]:
                matrix[where[r], j] = c
        _search(
            family, rows, row_ids, matrix, pupils, members, atoms, patterns, minimum, budget, result
        )


def _orth_rows(m: np.ndarray) -> np.ndarray:
    if m.size == 0:
        return np.zeros((0, m.shape[1]))
    _, s, vt = np.linalg.svd(m, full_matrices=False)
    rank = int((s > TOL * max(1.0, s[0] if s.size else 0.0)).sum())
    return vt[:rank]


def _search(
    family: str,
    rows: list[Functional],
    row_ids: list[int],
    matrix: np.ndarray,
    pupils: list[frozenset[str]],
    members: list[int],
    atoms: dict[Any, list[Key]],
    patterns: list[Any],
    minimum: int,
    budget: int,
    result: Audit,
) -> None:
    small = [j for j, p in enumerate(pupils) if len(p) < minimum]
    large = [j for j, p in enumerate(pupils) if len(p) >= minimum]
    if large:
        u, s, _ = np.linalg.svd(matrix[:, large], full_matrices=True)
        rank = int((s > TOL * max(1.0, s[0] if s.size else 0.0)).sum())
        lam = u[:, rank:]
    else:
        lam = np.eye(len(row_ids))
    if lam.shape[1] == 0:
        return
    basis = _orth_rows(lam.T @ matrix[:, small])  # the row space restricted to small atoms
    if basis.shape[0] == 0:
        return
    supports: dict[frozenset[int], np.ndarray] = {}
    dim, n = basis.shape
    combos = sum(1 for _ in itertools.islice(itertools.combinations(range(n), dim - 1), budget + 1))
    if combos <= budget:  # every elementary vector: exhaustive
        for chosen in itertools.combinations(range(n), dim - 1):
            sub = basis[:, list(chosen)]
            null = _left_null(sub) if chosen else np.eye(dim)
            if null.shape[1] != 1:
                continue
            vec = null[:, 0] @ basis
            supports.setdefault(frozenset(int(i) for i in np.flatnonzero(np.abs(vec) > 1e-6)), vec)
    else:
        result.exhaustive = False
        rng = np.random.default_rng(7)
        orders = [sorted(range(n), key=lambda j: -len(pupils[small[j]]))]
        orders += [list(rng.permutation(n)) for _ in range(12)]
        for order in orders:
            for found in _rref_rows(basis[:, order]):
                vec = np.zeros(n)
                vec[order] = found
                supports.setdefault(
                    frozenset(int(i) for i in np.flatnonzero(np.abs(vec) > 1e-6)), vec
                )
    for support, vec in sorted(supports.items(), key=lambda kv: sorted(kv[0])):
        who = frozenset().union(*(pupils[small[j]] for j in support))
        if not support or len(who) >= minimum:
            continue
        values = sum(len(atoms[patterns[members[small[j]]]]) for j in support)
        result.leaks.append(
            Leak(family, len(who), values, _rows_used(rows, row_ids, matrix, small, vec))
        )


def _left_null(m: np.ndarray) -> np.ndarray:
    u, s, _ = np.linalg.svd(m, full_matrices=True)
    rank = int((s > TOL * max(1.0, s[0] if s.size else 0.0)).sum())
    return u[:, rank:]


def _rref_rows(m: np.ndarray) -> list[np.ndarray]:
    a = m.copy()
    rows, cols = a.shape
    r = 0
    for c in range(cols):
        if r == rows:
            break
        pivot = r + int(np.argmax(np.abs(a[r:, c])))
        if abs(a[pivot, c]) < 1e-9:
            continue
        a[[r, pivot]] = a[[pivot, r]]
        a[r] /= a[r, c]
        for i in range(rows):
            if i != r:
                a[i] -= a[i, c] * a[r]
        r += 1
    return [a[i] for i in range(r)]


def _rows_used(
    rows: list[Functional],
    row_ids: list[int],
    matrix: np.ndarray,
    small: list[int],
    vector: np.ndarray,
) -> list[str]:
    """The shown rows a reader combines: the least-norm λ with λᵀM = the leak vector."""
    target = np.zeros(matrix.shape[1])
    target[small] = vector
    lam = np.linalg.lstsq(matrix.T, target, rcond=None)[0]
    order = np.argsort(-np.abs(lam))
    return [rows[row_ids[i]].label for i in order if abs(lam[i]) > 1e-6]


# -- a purpose-built small kommune -------------------------------------------------------------

NUDB_HEADER = (
    "SNR_NUDB;AARGANG;ORGNR;ORGNRBED;SKOLEKOM;SKOLEFYLKE;SKOLETYPE;AVGIVERSKOLE_ORGNR;"
    "AVGIVERSKOLE_ORGNRBED;DELTATTSTATUS;PROVE;MESTRINGSNIVAA;POENG;OPPGAVESETT;ANDELPOENG;"
    "GRUPPENUMMER;SKALAPOENG"
)
KOMMUNE, KOMMUNE_ORG = "9902", "990000012"
SCHOOLS = {  # orgnr: (name, type)
    "990000101": ("Småvik ungdomsskole", "2"),
    "990000202": ("Nordli skole", "1"),
    "990000303": ("Litlevik skole", "1"),  # 7 pupils a year: under the minimum
    "990000404": ("Tverrfjord skole", "3"),  # 1-10, with a class of 6 on 8. trinn
}
TESTS = {5: ("ENG", "LES", "REG"), 8: ("ENG", "LES", "REG"), 9: ("LES", "REG")}
TEST_NAMES = {"ENG": "Engelsk", "LES": "Lesing", "REG": "Regning"}


def _level(trinn: int, score: int) -> int:
    cuts = (42, 56) if trinn == 5 else (37, 45, 54, 62)
    return 1 + sum(score > c for c in cuts)


def write_small_kommune(folder: Path) -> list[Path]:
    """Pupil results (NUDB layout) and the matching published export for a small kommune:
    pupils who move between classes and schools, leave, arrive and miss tests; a school under
    the minimum; a class of 6; a 1-10 school. Fixed seed."""
    import random

    rng = random.Random(20261123)
    u, n, li, t = SCHOOLS
    ability: dict[str, float] = {}
    results: list[
        tuple[str, int, int, str, str, str, str]
    ] = []  # pupil, year, trinn, school, group, avgiver, test status

    def pupil(i: int) -> str:
        key = f"X{i:010x}"
        ability.setdefault(key, rng.gauss(0, 8))
        return key

    def sit(who: str, year: int, trinn: int, school: str, group: str, avgiver: str = "") -> None:
        for test in TESTS[trinn]:
            status = "A" if rng.random() < 0.06 else "D"
            results.append((who, year, trinn, school, group, avgiver, f"{test}:{status}"))

    # cohort B: 5. trinn 2022-23 -> 8. trinn 2025-26
    nordli = [pupil(i) for i in range(24)]
    litle = [pupil(i) for i in range(100, 107)]
    tverr = [pupil(i) for i in range(200, 212)]
    for k, who in enumerate(nordli):
        sit(who, 2022, 5, n, "1" if k < 13 else "2")
    for who in litle:
        sit(who, 2022, 5, li, "1")
    for who in tverr:
        sit(who, 2022, 5, t, "1")
    leaver, to_tverr = nordli[3], nordli[20]
    arrivals = [pupil(i) for i in range(300, 302)]
    to_u = [w for w in nordli if w not in (leaver, to_tverr)] + litle
    for k, who in enumerate(to_u):
        sit(who, 2025, 8, u, "1" if k % 2 == 0 else "2", n if who in nordli else li)
    for k, who in enumerate(arrivals):
        sit(who, 2025, 8, u, str(1 + k))
    for k, who in enumerate([*tverr, to_tverr]):
        sit(who, 2025, 8, t, "1" if k < 7 else "2", t if who in tverr else n)
    # cohort A: 8. trinn 2024-25 -> 9. trinn 2025-26
    cohort_u = [pupil(i) for i in range(400, 430)]
    cohort_t = [pupil(i) for i in range(500, 511)]
    for k, who in enumerate(cohort_u):
        sit(who, 2024, 8, u, "1" if k < 15 else "2", n)
    for who in cohort_t:
        sit(who, 2024, 8, t, "1", t)
    switch = {cohort_u[0], cohort_u[1]}  # 8. trinn class 1 -> 9. trinn class 2
    left, moved = cohort_u[29], cohort_u[28]
    newcomer = pupil(600)
    for k, who in enumerate(cohort_u):
        if who in (left, moved):
            continue
        sit(who, 2025, 9, u, "2" if who in switch or k >= 15 else "1", n)
    sit(newcomer, 2025, 9, u, "1")
    for who in [*cohort_t, moved]:
        sit(who, 2025, 9, t, "1", t if who in cohort_t else n)

    lines = [NUDB_HEADER]
    scores: dict[tuple[str, int, int, str], list[int]] = defaultdict(list)
    for who, year, trinn, school, group, avgiver, test_status in results:
        test, status = test_status.split(":")
        code = f"NP{test}{trinn:02d}"
        if status == "D":
            score = max(15, min(85, round(50 + ability[who] + rng.gauss(0, 5) + 4 * (trinn == 9))))
            level, points = str(_level(trinn, score)), str(score // 2)
            scores[(school, year, trinn, test)].append(score)
            scores[(KOMMUNE, year, trinn, test)].append(score)
        else:
            score, level, points = None, ".", ""
        lines.append(
            ";".join(
                [
                    who,
                    f"{year}09",
                    KOMMUNE_ORG,
                    school,
                    KOMMUNE,
                    "99",
                    SCHOOLS[school][1],
                    KOMMUNE_ORG if avgiver else "",
                    avgiver,
                    status,
                    code,
                    level,
                    points,
                    "1" if status == "D" else "",
                    "0,5" if status == "D" else "",
                    group,
                    "" if score is None else str(score),
                ]
            )
        )
    folder.mkdir(parents=True, exist_ok=True)
    pupils_file = folder / "elevresultater_smavik.csv"
    pupils_file.write_bytes(("\r\n".join(lines) + "\r\n").encode("iso-8859-1"))
    return [pupils_file, _write_published(folder, scores)]


def _write_published(folder: Path, scores: dict[tuple[str, int, int, str], list[int]]) -> Path:
    """The statistikkbank export of the same results: school and kommune means (rounded),
    uncertainty and n; fewer than 10 pupils give «*»."""
    import math

    cells = sorted({(year, test, trinn) for _, year, trinn, test in scores})
    header = [
        "EnhetNivaa", "Nasjonaltkode", "Fylkekode", "Kommunekode", "Organisasjonsnummer",
        "Nasjonalt", "Fylke", "Kommune", "EnhetNavn",
    ]  # fmt: skip
    for year, test, trinn in cells:
        for measure in ("Skalapoeng", "Usikkerhet", "Antall elever deltatt"):
            header.append(
                f"{year}-{(year + 1) % 100:02d}.{TEST_NAMES[test]}.{trinn}. årstrinn."
                f"Alle eierformer.Alle kjønn.{measure}"
            )

    def values(unit: str) -> list[str]:
        out = []
        for year, test, trinn in cells:
            got = scores.get((unit, year, trinn, test), [])
            if len(got) < 10:
                out += ["*", "*", "*"] if got else ["", "", ""]
                continue
            mean = sum(got) / len(got)
            sd = math.sqrt(sum((x - mean) ** 2 for x in got) / (len(got) - 1))
            half = f"{1.96 * sd / math.sqrt(len(got)):.1f}".replace(".", ",")
            out += [str(math.floor(mean + 0.5)), half, str(len(got))]
        return out

    nation = []
    for _ in cells:
        nation += ["50", "0,1", "50 000"]
    rows = [
        ["1", "I", "00", "0000", "I", "Hele landet", "Alle fylker", "Alle kommuner", "Alle skoler", *nation],
        ["3", "I", "99", KOMMUNE, KOMMUNE, "Hele landet", "Eksempelfylke", "Småvik", "Alle skoler", *values(KOMMUNE)],
    ]  # fmt: skip
    for orgnr, (name, _) in sorted(SCHOOLS.items(), key=lambda kv: kv[1][0]):
        rows.append(
            ["4", "I", "99", KOMMUNE, orgnr, "Hele landet", "Eksempelfylke", "Småvik", f"{name} ",
             *values(orgnr)]
        )  # fmt: skip
    text = "sep=\t\n" + "\n".join("\t".join(r) for r in [header, *rows]) + "\n"
    path = folder / "2025-26_20260110-1200_Nasjonale_proever_ungdomstrinn.csv"
    path.write_bytes(text.encode("utf-16-le"))
    return path
