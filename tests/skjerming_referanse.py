"""The suppression plan as first written (session 2): every piece re-counted from scratch after
every hide, every cell re-checked. Slow (minutes for one large kommune) but plain, so it is the
oracle the fast plan in ``tallkit.skjerming`` must equal exactly (tests/test_avsloring.py).

``candidates`` here builds the sets with tuple records straight from the pupil rows, in a second,
independent way from ``tallkit.skjerming.candidates`` (which works on integer ids in polars).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

# the priorities, the families of values and the name for pupils without a group are the
# product's choices, not the algorithm's: the oracle uses the same ones
from tallkit.skjerming import FAMILIES, NO_GROUP, PRIORITY

Key = tuple[Any, ...]
Record = tuple[str, str, int, str, str]  # pupil, school year, trinn, test, family


@dataclass(frozen=True)
class Candidate:
    """One shown number's pupil set. ``depends`` (for a kommune cell) lists the rows whose
    showing reveals the cell's total: the cell is shown exactly while one of them is."""

    key: Key
    kind: str
    members: frozenset[Record]
    depends: tuple[Key, ...] = ()

    @property
    def pupils(self) -> int:
        return len({m[0] for m in self.members})


@dataclass(frozen=True)
class Plan:
    hidden: frozenset[Key] = field(default_factory=frozenset)

    def shows(self, key: Key) -> bool:
        return key not in self.hidden


def plan(sets: Sequence[Candidate], minimum: int) -> Plan:
    """Hide sets until every piece of every year, trinn, test and family of values has 0 or
    ≥ minimum pupils."""
    by_key = {c.key: c for c in sets}
    shown = {c.key for c in sets if c.pupils >= minimum and not c.depends}
    cells = [c for c in sets if c.depends]
    # each row -> the cells it reveals: a hide re-checks only those cells (rechecking every cell
    # at every hide was quadratic, minutes on a national database). Exact as long as no cell
    # depends on another cell's total; otherwise every cell is re-checked as before.
    nested = {c.key for c in cells} & {d for c in cells for d in c.depends}
    dependents: dict[Key, list[Candidate]] | None = None if nested else defaultdict(list)
    if dependents is not None:
        for cell in cells:
            for d in cell.depends:
                dependents[d].append(cell)
    for cell in cells:
        if any(d in shown for d in cell.depends):
            shown.add(cell.key)
    containing: dict[Record, list[Key]] = defaultdict(list)
    for c in sorted(sets, key=lambda c: _order(c.key)):
        for record in c.members:
            containing[record].append(c.key)
    regions = _regions(containing)
    touches: dict[Key, set[int]] = defaultdict(set)
    for index, records in enumerate(regions):
        for record in records:
            for key in containing[record]:
                touches[key].add(index)
    pending = set(range(len(regions)))
    while pending:
        index = min(pending)
        victim = _too_small(regions[index], containing, shown, by_key, minimum)
        if victim is None:
            pending.discard(index)
            continue
        for key in _hide(victim, shown, by_key, cells, None):  # the full rescan
            pending |= touches[key]  # a hide can leave a piece too small where the set was
    return Plan(frozenset(by_key) - frozenset(shown))


def _order(key: Key) -> tuple[str, ...]:
    return tuple(str(k) for k in key)


def _regions(containing: dict[Record, list[Key]]) -> list[list[Record]]:
    """Records of one year, trinn, test and family, split into parts no shown set joins."""
    parent: dict[Any, Any] = {}

    def find(x: Any) -> Any:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for record, keys in containing.items():
        space = record[1:]
        for key in keys:
            parent[find((space, key))] = find(record)
    grouped: dict[Any, list[Record]] = defaultdict(list)
    for record in sorted(containing):
        grouped[find(record)].append(record)
    return [grouped[r] for r in sorted(grouped, key=lambda r: grouped[r][0])]


def _too_small(
    records: list[Record],
    containing: dict[Record, list[Key]],
    shown: set[Key],
    by_key: dict[Key, Candidate],
    minimum: int,
) -> Key | None:
    """The set to hide for the smallest too-small piece of a region, or None."""
    pieces: dict[tuple[Key, ...], set[str]] = defaultdict(set)
    for record in records:
        signature = tuple(k for k in containing[record] if k in shown)
        if signature:
            pieces[signature].add(record[0])
    small = [s for s, who in pieces.items() if len(who) < minimum]
    if not small:
        return None
    piece = min(small, key=lambda s: (len(pieces[s]), [_order(k) for k in s]))
    mine = set(piece)
    others = [set(s) for s in pieces if s != piece]
    nearest = min((len(mine ^ o) for o in others), default=0)
    choices = mine | {k for o in others if len(mine ^ o) == nearest for k in o - mine}
    return min(
        choices,
        key=lambda k: (PRIORITY[by_key[k].kind], by_key[k].pupils, _order(k)),
    )


def _hide(
    key: Key,
    shown: set[Key],
    by_key: dict[Key, Candidate],
    cells: list[Candidate],
    dependents: dict[Key, list[Candidate]] | None = None,
) -> list[Key]:
    """Hide ``key``, the rows revealing it if it is a cell total, and every cell total none
    of whose rows is shown any more. Returns what was hidden."""
    gone = [key, *(d for d in by_key[key].depends if d in shown)]
    shown.difference_update(gone)
    if dependents is not None:
        # only the cells a hidden row reveals can lose their last shown row
        seen: set[Key] = set()
        affected = []
        for g in list(gone):
            for cell in dependents.get(g, ()):
                if cell.key not in seen:
                    seen.add(cell.key)
                    affected.append(cell)
        cells = affected
    for cell in cells:
        if cell.key in shown and not any(d in shown for d in cell.depends):
            shown.discard(cell.key)
            gone.append(cell.key)
    return gone


# -- the sets the analyses show -------------------------------------------------------------


def _records(frame: pl.DataFrame, kind: str) -> frozenset[Record]:
    """A set's pupil results, once in each family of values its kind shows."""
    return frozenset(
        (e, y, int(t), p, family)
        for e, y, t, p in frame.select("elev", "skoleaar", "trinn", "prove").iter_rows()
        for family in FAMILIES[kind]
    )


def _pair_records(frame: pl.DataFrame, kind: str) -> frozenset[Record]:
    til = frame.select("elev", "til_aar", "til_trinn", "prove").iter_rows()
    fra = frame.select("elev", "fra_aar", "fra_trinn", "prove").iter_rows()
    return frozenset(
        (e, y, int(t), p, family) for e, y, t, p in [*til, *fra] for family in FAMILIES[kind]
    )


def pairs(results: pl.DataFrame) -> pl.DataFrame:
    """The pupil pairs of ``queries/progresjon_elever.sql``: 8→9 (lesing, regning) and 5→8,
    with the school and group each is shown under."""
    scored = results.filter(pl.col("skalapoeng").is_not_null())
    pieces = []
    for fra, til, gap in ((8, 9, 1), (5, 8, 3)):
        earlier = scored.filter(pl.col("trinn") == fra).select(
            "elev",
            "prove",
            start=pl.col("start") + gap,
            fra_aar="skoleaar",
            fra_enhet="enhet_id",
        )
        later = scored.filter(pl.col("trinn") == til)
        if fra == 8:
            later = later.filter(pl.col("prove").is_in(["lesing", "regning"]))
        pieces.append(
            later.join(earlier, on=["elev", "prove", "start"]).select(
                "elev",
                "prove",
                "fra_aar",
                "kommunenr",
                til_aar="skoleaar",
                fra_trinn=pl.lit(fra),
                til_trinn=pl.lit(til),
                skole=pl.col("enhet_id") if fra == 8 else pl.coalesce("avgiverskole", "fra_enhet"),
                gruppe=pl.col("gruppe") if fra == 8 else pl.lit("alle"),
            )
        )
    return pl.concat(pieces)


def candidates(results: pl.DataFrame) -> list[Candidate]:
    """Every pupil-data set an analysis or the Læringsspeil can show.

    ``results``: one row per participating pupil result (``queries/skjerming.sql``).
    """
    results = results.with_columns(
        gruppe=pl.col("gruppe").fill_null(NO_GROUP),
        start=pl.col("skoleaar").str.slice(0, 4).cast(pl.Int32),
    )
    scored = results.filter(pl.col("skalapoeng").is_not_null())
    out: list[Candidate] = []
    school = ["enhet_id", "skoleaar", "trinn", "prove"]
    for key, part in _split(scored, school):
        out.append(Candidate(("grupper", *key, "alle"), "grupper", _records(part, "grupper")))
        for (group,), members in _split(part, ["gruppe"]):
            kind = "grupper-gruppe"
            out.append(Candidate(("grupper", *key, group), kind, _records(members, kind)))
    levelled = results.filter(pl.col("mestringsnivaa").is_not_null())
    for key, part in _split(levelled, school):
        out.append(Candidate(("mestring", *key), "mestring", _records(part, "mestring")))
    kommune = ["kommunenr", "skoleaar", "trinn", "prove"]
    for key, part in _split(levelled.filter(pl.col("kommunenr").is_not_null()), kommune):
        kind = "mestring-kommune"
        out.append(Candidate(("mestring", *key), kind, _records(part, kind)))
    out.extend(_pair_sets(pairs(scored)))
    out.extend(_test_pairs(scored))
    return out


def _split(frame: pl.DataFrame, keys: list[str]) -> Iterable[tuple[Key, pl.DataFrame]]:
    parts = frame.partition_by(keys, as_dict=True, maintain_order=True)
    for key in sorted(parts, key=_order):
        yield tuple(int(k) if isinstance(k, int) else k for k in key), parts[key]


def _pair_sets(found: pl.DataFrame) -> list[Candidate]:
    out: list[Candidate] = []
    by_school = ["til_aar", "fra_trinn", "prove", "skole"]
    paired: dict[Key, frozenset[Record]] = {}
    for key, part in _split(found, by_school):
        paired[("elever", *key, "alle")] = _pair_records(part, "elever")
        if key[1] == 8:
            for (group,), members in _split(part, ["gruppe"]):
                paired[("elever", *key, group)] = _pair_records(members, "elever")
    out.extend(Candidate(k, "elever", m) for k, m in paired.items())
    cell = ["til_aar", "fra_trinn", "prove", "kommunenr"]
    for key, part in _split(found.filter(pl.col("kommunenr").is_not_null()), cell):
        added = []
        for (school,), of_school in _split(part, ["skole"]):
            va_key = ("verdiskaping", *key, school)
            out.append(Candidate(va_key, "verdiskaping", _pair_records(of_school, "verdiskaping")))
            added.append(va_key)
        in_cell = _pair_records(part, "celle")
        out.append(Candidate(("celle", "verdiskaping", *key), "celle", in_cell, tuple(added)))
        if key[1] == 5:  # the 5 -> 8 change is centred on the cell's pairs
            centred = tuple(
                k
                for k, m in paired.items()
                if (k[1], k[2], k[3]) == (key[0], 5, key[2]) and m & in_cell
            )
            out.append(Candidate(("celle", "elever", *key), "celle", in_cell, centred))
    return out


def _test_pairs(scored: pl.DataFrame) -> list[Candidate]:
    """Pupils with two tests the same year at the same school (fag --del sammenheng)."""
    out = []
    for key, part in _split(scored, ["enhet_id", "skoleaar", "trinn"]):
        tests = sorted(set(part["prove"]))
        by_test = {t: part.filter(pl.col("prove") == t) for t in tests}
        for i, a in enumerate(tests):
            for b in tests[i + 1 :]:
                both = set(by_test[a]["elev"]) & set(by_test[b]["elev"])
                members = frozenset(
                    (e, key[1], key[2], t, family)
                    for e in both
                    for t in (a, b)
                    for family in FAMILIES["sammenheng"]
                )
                out.append(Candidate(("sammenheng", *key, a, b), "sammenheng", members))
    return out


def from_sets(sets: Any) -> list[Candidate]:
    """The fast plan's integer sets as this module's tuple-record candidates."""
    records = [(e, y, int(t), p, f) for e, y, t, p, f in sets.records.iter_rows()]
    members: dict[int, list[int]] = {}
    for k, r in zip(sets.member_set.to_list(), sets.member_record.to_list(), strict=True):
        members.setdefault(k, []).append(r)
    return [
        Candidate(
            key,
            kind,
            frozenset(records[r] for r in members.get(i, ())),
            tuple(sets.keys[d] for d in sets.depends.get(i, ())),
        )
        for i, (key, kind) in enumerate(zip(sets.keys, sets.kinds, strict=True))
    ]
