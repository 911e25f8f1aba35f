"""Suppression across tables (PRODUCT.md §6, issue 7 item 9): one plan for every number shown
from pupil data, whatever part is run and with whatever filters.

Every such number is a sum (or a mean with its n) over a set of pupil results: a group or a
school in one year, a kommune, the pairs of one school between two years, the pupils with two
tests; a sum of scale points or a count at a mastery level (:data:`FAMILIES`). A reader who
adds and subtracts shown numbers can only ever reach sums over the *pieces* the shown sets cut
each year, trinn, test and family of values into: pupils belonging to exactly the same shown
sets. So the rule is:

    Every piece holds 0 or at least ``minimum`` pupils.

Any combination of shown numbers is then a combination of whole pieces, so it rests on at
least ``minimum`` pupils (tests/test_avsloring.py checks this with linear algebra on every
output together). Sets with fewer than ``minimum`` pupils are hidden first; while a piece is
too small, one set that cuts it off is hidden, the least important first (pairs and tests
side by side before kommune bars, those before classes, classes before whole schools), the
smallest first among equals. Hiding a set only merges pieces, so the plan ends, and it hides
a superset of what the parts' own complementary suppression hides within one table.

Pure functions: :func:`candidates` shapes pupil rows into the sets the analyses show, and
:func:`plan` decides. No I/O (the rows come from ``queries/skjerming.sql``). Both work on
integer ids and move whole pieces per hide: a national database has some 400,000 sets over two
million pupil results. ``tests/skjerming_referanse.py`` keeps the plain version (tuples,
everything re-counted after every hide) as the oracle the fast one must equal.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from heapq import heappop, heappush
from typing import Any, Final

import polars as pl

Key = tuple[Any, ...]
Record = tuple[str, str, int, str, str]  # pupil, school year, trinn, test, family

# Hidden first when a piece is too small: the lower, the sooner.
PRIORITY: Final = {
    # lower is hidden first. The pupils' own progression (paired change, value added) is what
    # the reports are for; a class's yearly mean from pupil data matters less, and a school's
    # yearly mean is Udir's published number anyway. So classes give way first.
    "grupper-gruppe": 0,  # a class (variasjon --del grupper)
    "sammenheng": 1,  # pupils with two tests (fag --del sammenheng)
    "mestring-kommune": 1,  # the kommune's mastery bar in the Læringsspeil
    "grupper": 2,  # a school's row in variasjon --del grupper
    "elever": 3,  # paired change (progresjon --del elever, Læringsspeil)
    "verdiskaping": 3,
    "mestring": 3,  # a school's mastery bar
    # A kommune cell's total, known from a regression constant or a centring: shown exactly
    # while one of its rows is, so hiding it hides every school's value added (or 5 -> 8
    # change) in the kommune. It goes no sooner than those rows, and as the largest set of
    # its rank (it holds them all), after them. At 1 (as until 2026-12) it went before them:
    # the plan hid every value-added row of the sample data and 14,802 of 14,806 on the
    # national bench database, for a piece one school's row would have merged.
    "celle": 3,
}
# What a kind's shown numbers are sums of (tests/avsloring.py's families): the pupils' scale
# points, or their counts at a mastery level. No combination of scale sums and level counts
# can cancel one into the other (they share no unknown), so each family is cut into pieces of
# its own: a year's mastery bar and the same pupils' paired change no longer make one small
# piece of the pupils in only one of them (as until 2026-12, when one plan for all values hid
# half of the sample data's mastery bars to keep the value added).
# - «grupper» rows show a mean and the shares at the lowest and highest level;
# - «sammenheng» shows, beside a correlation (a second moment, not a sum), counts of pupils at
#   the lowest level in one test or both;
# - a paired change is a sum of scale points over two years; its shares up, same and down count
#   pairs of the same sets, so a piece of pairs is a union of scale pieces (each 0 or ≥ the
#   minimum) and needs no family of its own.
FAMILIES: Final = {
    "grupper-gruppe": ("nivaa", "skala"),
    "grupper": ("nivaa", "skala"),
    "sammenheng": ("nivaa",),
    "mestring": ("nivaa",),
    "mestring-kommune": ("nivaa",),
    "elever": ("skala",),
    "verdiskaping": ("skala",),
    "celle": ("skala",),
}
# in name order, so a record's id (record × families + family) sorts as its key does
_FAMILY_NAMES: Final = sorted({f for families in FAMILIES.values() for f in families})
NO_GROUP: Final = "(uten gruppe)"
_RECORD: Final = ["elev", "skoleaar", "trinn", "prove"]


@dataclass(frozen=True)
class Sets:
    """Every shown number's pupil set, as integer ids (a national database has some 400,000
    sets over two million pupil results: Python objects per record were the plan's cost).

    Set ``i`` is ``keys[i]``; ids follow :func:`_order`, so a sorted tuple of ids sorts as the
    keys do. Record ``r`` is row ``r`` of ``records`` (sorted, one row per pupil, year, trinn,
    test and family of values, :data:`FAMILIES`). ``depends`` (for a kommune cell) lists the
    rows whose showing reveals the cell's total: the cell is shown exactly while one of them
    is.
    """

    keys: list[Key]
    kinds: list[str]
    pupils: list[int]  # distinct pupils per set
    depends: dict[int, tuple[int, ...]]
    member_set: pl.Series  # membership rows (set id, record id), sorted by record then set
    member_record: pl.Series
    records: pl.DataFrame

    def members(self, index: int) -> list[int]:
        return self.member_record.filter(self.member_set == index).to_list()


class Plan:
    """The sets the plan hides, as keys ``(kind, *values)``.

    Held either as the keys or column-wise, one frame per kind (columns ``v1`` … in the key's
    order), whichever it was made from, and turned into the other only when asked: a national
    plan hides some 240,000 sets, and building, hashing and freeing that many tuples cost each
    command that reads a stored plan about 0.3 s, where the analyses that apply it column-wise
    (:func:`hidden_rows`) need only the frames."""

    def __init__(
        self, hidden: Iterable[Key] = (), *, frames: dict[str, pl.DataFrame] | None = None
    ) -> None:
        self._hidden: frozenset[Key] | None = None if frames is not None else frozenset(hidden)
        self._frames: dict[str, pl.DataFrame] | None = frames

    @property
    def hidden(self) -> frozenset[Key]:
        if self._hidden is None:
            assert self._frames is not None
            self._hidden = frozenset(
                (kind, *values)
                for kind, frame in self._frames.items()
                for values in frame.iter_rows()
            )
        return self._hidden

    def frames(self) -> dict[str, pl.DataFrame]:
        """The hidden keys of each kind as a frame (columns ``v1`` … after the kind)."""
        if self._frames is None:
            by_kind: dict[str, list[Key]] = defaultdict(list)
            for key in self.hidden:
                by_kind[key[0]].append(key[1:])
            self._frames = {
                kind: pl.DataFrame(
                    values,
                    schema=[f"v{i}" for i in range(1, len(values[0]) + 1)],
                    orient="row",
                    infer_schema_length=None,
                )
                for kind, values in sorted(by_kind.items())
            }
        return self._frames

    def shows(self, key: Key) -> bool:
        return key not in self.hidden

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Plan) and self.hidden == other.hidden

    __hash__ = None  # type: ignore[assignment]  # equal by content, mutable caches

    def __repr__(self) -> str:
        return f"Plan({len(self.hidden)} skjult)"

    def __getstate__(self) -> dict[str, Any]:
        # sent between processes as its frames (Arrow buffers), not as tuples
        return {"_hidden": None, "_frames": self.frames()}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)


def plan(sets: Sets, minimum: int) -> Plan:
    """Hide sets until every piece of every year, trinn, test and family of values has 0 or
    ≥ minimum pupils.

    A *region* is the records of one year, trinn, test and family that shown-or-hidden sets
    join; a *piece* is the records of a region in exactly the same shown sets. Regions are
    taken in order of their first record; in the smallest too-small piece of a region, the least
    important set that merges it with its nearest neighbour piece is hidden, and every region
    the hidden sets touch is looked at again. The pieces are kept up to date per hide (only
    the pieces holding a hidden set move), so a hide costs those pieces, not its region: the
    plan as first written (tests/skjerming_referanse.py) re-counted the whole region after
    every hide and took minutes for one large kommune. It must hide exactly the same (tested).
    Only regions with a too-small piece are queued at the start: a region without one hides
    nothing when its turn comes, so leaving it out changes no decision.
    """
    state = _State(sets, minimum)
    pending = sorted(state.regions_with_small_pieces())
    queued = set(pending)
    while pending:
        region = heappop(pending)
        queued.discard(region)
        victim = state.victim(region)
        if victim is None:
            continue
        for touched in state.hide(victim):
            if touched not in queued:  # a hide can leave a piece too small where the set was
                queued.add(touched)
                heappush(pending, touched)
    return Plan(frozenset(k for k, on in zip(sets.keys, state.shown, strict=True) if not on))


def _order(key: Key) -> tuple[str, ...]:
    return tuple(str(k) for k in key)


class _State:
    """The shown sets and every region's pieces while the plan hides.

    A piece is kept as its signature (the sorted ids of the shown sets its records are in)
    and its count. Hiding sets only removes ids from signatures, and records with the same
    signature stay together, so a hide moves whole pieces: those whose signature holds a
    hidden set (``holding``), never a record at a time.
    """

    def __init__(self, sets: Sets, minimum: int) -> None:
        self.sets = sets
        self.minimum = minimum
        self.rank = [(PRIORITY[kind], n) for kind, n in zip(sets.kinds, sets.pupils, strict=True)]
        shown = [n >= minimum for n in sets.pupils]
        cells = list(sets.depends)
        for cell in cells:
            shown[cell] = False
        for cell in cells:
            shown[cell] = any(shown[d] for d in sets.depends[cell])
        self.shown = shown
        self.cells = cells
        # each row -> the cells it reveals: a hide re-checks only those cells. Exact as long as
        # no cell depends on another cell's total; otherwise every cell is re-checked.
        nested = set(cells) & {d for c in cells for d in sets.depends[c]}
        self.dependents: dict[int, list[int]] | None = None if nested else defaultdict(list)
        if self.dependents is not None:
            for cell in cells:
                for d in sets.depends[cell]:
                    self.dependents[d].append(cell)
        self._count_pieces(sets, shown)

    def _count_pieces(self, sets: Sets, shown: list[bool]) -> None:
        """Every region's pieces, counted set-wise once. Piece ``p`` is ``signature[p]``
        (sorted set ids) with ``count[p]`` records (0 once merged away) in ``region_of[p]``;
        ``pieces[region]`` maps a signature to its piece; ``holding`` lists the pieces whose
        signature holds a set (those made at the start as compressed rows, later ones in
        ``holding_new``)."""
        frame = pl.DataFrame({"record": sets.member_record, "set": sets.member_set})
        frame = frame.filter(pl.Series(shown, dtype=pl.Boolean).gather(frame["set"]))
        frame = frame.with_columns(region=_regions(sets).gather(frame["record"]))
        counted = (
            frame.group_by("record", maintain_order=True)  # sorted: each record's sets in a run
            .agg("set", pl.col("region").first())
            .group_by("region", "set")
            .len()
            .with_row_index("piece")
        )
        self.signature: list[tuple[int, ...]] = [tuple(s) for s in counted["set"].to_list()]
        self.count: list[int] = counted["len"].to_list()
        self.region_of: list[int] = counted["region"].to_list()
        self.frozen: list[frozenset[int] | None] = [None] * len(self.count)
        self.pieces: dict[int, dict[tuple[int, ...], int]] = defaultdict(dict)
        self.small: dict[int, set[int]] = defaultdict(set)
        for piece, (region, signature, count) in enumerate(
            zip(self.region_of, self.signature, self.count, strict=True)
        ):
            self.pieces[region][signature] = piece
            if count < self.minimum:
                self.small[region].add(piece)
        holding = (
            counted.select("piece", "set").explode("set").sort("set", "piece", maintain_order=True)
        )
        self.holding_piece: list[int] = holding["piece"].to_list()  # sliced per hide: a list
        self.holding_start = (
            holding["set"].search_sorted(pl.int_range(len(sets.keys) + 1, eager=True)).to_list()
        )
        self.holding_new: dict[int, list[int]] = defaultdict(list)
        self.holding_live: dict[int, list[int]] = {}

    def _holding(self, key: int) -> list[int]:
        """The live pieces whose signature holds ``key``. A merged piece never comes back (a
        signature seen again is a new piece), so each answer is kept as the start of the next
        one: filtering every dead piece of the set's history again and again was the plan's
        largest single cost on a national database (a million calls)."""
        found = self.holding_live.get(key)
        if found is None:
            start, end = self.holding_start[key], self.holding_start[key + 1]
            found = self.holding_piece[start:end]
        count = self.count
        live = [p for p in found if count[p]]
        live.extend(p for p in self.holding_new.pop(key, ()) if count[p])
        self.holding_live[key] = live
        return live

    def _add(self, region: int, signature: tuple[int, ...], count: int) -> None:
        pieces = self.pieces[region]
        piece = pieces.get(signature)
        if piece is None:
            piece = pieces[signature] = len(self.count)
            self.signature.append(signature)
            self.count.append(0)
            self.region_of.append(region)
            self.frozen.append(None)
            for k in signature:
                self.holding_new[k].append(piece)
        total = self.count[piece] = self.count[piece] + count
        if total < self.minimum:
            self.small[region].add(piece)
        else:
            self.small[region].discard(piece)

    def _remove(self, piece: int) -> int:
        region, count = self.region_of[piece], self.count[piece]
        del self.pieces[region][self.signature[piece]]
        self.small[region].discard(piece)
        self.count[piece] = 0
        return count

    def _frozen(self, piece: int) -> frozenset[int]:
        found = self.frozen[piece]
        if found is None:
            found = self.frozen[piece] = frozenset(self.signature[piece])
        return found

    def regions_with_small_pieces(self) -> list[int]:
        return [region for region, small in self.small.items() if small]

    def victim(self, region: int) -> int | None:
        """The set to hide for the smallest too-small piece of a region, or None."""
        small = self.small[region]
        if not small:
            return None
        count, signature, region_of = self.count, self.signature, self.region_of
        piece = min(small, key=lambda p: (count[p], signature[p]))
        mine = signature[piece]
        # |A ^ B| = |A| + |B| - 2|A & B|: the pieces sharing a set with this one are found
        # through ``holding``; any other piece is at least |A| + 1 away (no piece is empty), so
        # when a sharing piece is nearer, no other piece can tie with it.
        shared: dict[int, int] = defaultdict(int)
        for k in mine:
            for other in self._holding(k):
                if other != piece and region_of[other] == region:
                    shared[other] += 1
        size = len(mine)
        distance = {o: size + len(signature[o]) - 2 * c for o, c in shared.items()}
        if min(distance.values(), default=size + 1) > size:
            # the nearest may share nothing: measure every piece of the region
            frozen = self._frozen(piece)
            distance = {
                other: len(frozen ^ self._frozen(other))
                for other in self.pieces[region].values()
                if other != piece
            }
        nearest = min(distance.values(), default=0)
        choices = set(mine)
        for other, d in distance.items():
            if d == nearest:
                choices.update(signature[other])
        return min(choices, key=lambda k: (*self.rank[k], k))

    def hide(self, key: int) -> set[int]:
        """Hide ``key``, the rows revealing it if it is a cell total, and every cell total none
        of whose rows is shown any more; move the pieces holding what was hidden. Returns the
        regions touched."""
        shown, depends = self.shown, self.sets.depends
        gone = [key, *(d for d in depends.get(key, ()) if shown[d])]
        for g in gone:
            shown[g] = False
        if self.dependents is not None:
            # only the cells a hidden row reveals can lose their last shown row
            affected = list(dict.fromkeys(c for g in gone for c in self.dependents.get(g, ())))
        else:
            affected = self.cells
        for cell in affected:
            if shown[cell] and not any(shown[d] for d in depends[cell]):
                shown[cell] = False
                gone.append(cell)
        hidden = set(gone)
        moving = sorted({p for g in gone for p in self._holding(g)})
        touched = set()
        for piece in moving:
            region, signature = self.region_of[piece], self.signature[piece]
            touched.add(region)
            count = self._remove(piece)
            rest = tuple(k for k in signature if k not in hidden)
            if rest:
                self._add(region, rest, count)
        return touched


def _regions(sets: Sets) -> pl.Series:
    """Region index per record: records of one year, trinn, test and family joined by any set,
    in the order of their first record (null for a record in no set). Minimum-label
    propagation over the graph of records and (set, year-trinn-test-family) parts, set-wise in
    polars."""
    space = sets.records.select(
        pl.struct("skoleaar", "trinn", "prove", "familie").rank("dense").cast(pl.Int64)
    ).to_series()
    spaces = (space.max() or 0) + 1  # type: ignore[operator]
    edges = pl.DataFrame({"set": sets.member_set, "record": sets.member_record}).select(
        pl.col("record").set_sorted(),
        part=pl.col("set") * spaces + space.gather(sets.member_record),
    )
    # the edges once more in part order, with a dense part number: both directions of the
    # propagation are then sorted group-bys (fast), not hash groupings
    by_part = (
        edges.with_row_index("edge").sort("part").select("edge", dense=pl.col("part").rle_id())
    )
    dense = pl.zeros(edges.height, dtype=pl.UInt32, eager=True).scatter(
        by_part["edge"], by_part["dense"]
    )
    by_part = by_part.with_columns(pl.col("dense").set_sorted())
    label = pl.int_range(sets.records.height, dtype=pl.Int64, eager=True)
    while True:
        of_edge = label.gather(edges["record"])
        part_label = (
            by_part.with_columns(label=of_edge.gather(by_part["edge"]))
            .group_by("dense", maintain_order=True)
            .agg(pl.col("label").min())["label"]
        )
        lowest = (
            edges.with_columns(label=part_label.gather(dense))
            .group_by("record", maintain_order=True)
            .agg(pl.col("label").min())
        )
        if lowest.filter(pl.col("label") < label.gather(lowest["record"])).is_empty():
            break
        label = label.scatter(lowest["record"], lowest["label"])
    region = pl.repeat(None, sets.records.height, dtype=pl.Int64, eager=True)
    present = edges["record"].unique()
    return region.scatter(present, label.gather(present).rank("dense").cast(pl.Int64) - 1)


# -- the sets the analyses show -------------------------------------------------------------


def pairs(results: pl.DataFrame) -> pl.DataFrame:
    """The pupil pairs of ``queries/progresjon_elever.sql``: 8→9 (lesing, regning) and 5→8,
    with the school and group each is shown under and both records' ids."""
    scored = results.filter(pl.col("skalapoeng").is_not_null())
    pieces = []
    for fra, til, gap in ((8, 9, 1), (5, 8, 3)):
        earlier = scored.filter(pl.col("trinn") == fra).select(
            "pupil",
            "prove",
            start=pl.col("start") + gap,
            fra_aar="skoleaar",
            fra_enhet="enhet_id",
            fra_post="post",
        )
        later = scored.filter(pl.col("trinn") == til)
        if fra == 8:
            later = later.filter(pl.col("prove").is_in(["lesing", "regning"]))
        pieces.append(
            later.join(earlier, on=["pupil", "prove", "start"]).select(
                "pupil",
                "prove",
                "fra_aar",
                "kommunenr",
                "fra_post",
                til_aar="skoleaar",
                fra_trinn=pl.lit(fra, dtype=pl.Int64),
                til_trinn=pl.lit(til, dtype=pl.Int64),
                skole=pl.col("enhet_id") if fra == 8 else pl.coalesce("avgiverskole", "fra_enhet"),
                gruppe=pl.col("gruppe") if fra == 8 else pl.lit("alle"),
                til_post="post",
            )
        )
    return pl.concat(pieces)


class _Builder:
    """Collects sets kind by kind as (key columns, record, pupil) rows."""

    def __init__(self) -> None:
        self.keys: list[Key] = []
        self.kinds: list[str] = []
        self.pupils: list[int] = []
        self.members: list[pl.DataFrame] = []  # (set, post) per block, post per family

    def add(self, prefix: Key, rows: pl.DataFrame, columns: list[str], kind: str) -> list[Key]:
        """One set per distinct value of ``columns`` in ``rows`` (which has ``post``, the
        record id, and ``pupil``, the pupil's id). A record may come twice (a pupil at two
        schools of a kommune the same year); :meth:`build` keeps it once."""
        grouped = rows.group_by(columns, maintain_order=True).agg(
            "post", pl.col("pupil").n_unique().alias("pupils")
        )
        keys = [(*prefix, *row) for row in grouped.select(columns).iter_rows()]
        first = len(self.keys)
        self.keys.extend(keys)
        self.kinds.extend([kind] * len(keys))
        self.pupils.extend(grouped["pupils"].to_list())
        block = grouped.select(
            pl.int_range(first, first + grouped.height, dtype=pl.Int64).alias("set"),
            pl.col("post").cast(pl.List(pl.Int64)),
        ).explode("post")
        # the set's records once in each family its numbers belong to
        width = len(_FAMILY_NAMES)
        for family in FAMILIES[kind]:
            at = _FAMILY_NAMES.index(family)
            self.members.append(block.with_columns(post=pl.col("post") * width + at))
        return keys

    def add_empty(self, keys: Iterable[Key], kind: str) -> None:
        """Sets a part shows with no pupils in them (hidden, as under the minimum)."""
        for key in keys:
            self.keys.append(key)
            self.kinds.append(kind)
            self.pupils.append(0)

    def build(self, depends: dict[Key, tuple[Key, ...]], records: pl.DataFrame) -> Sets:
        order = sorted(range(len(self.keys)), key=lambda i: _order(self.keys[i]))
        rank = [0] * len(order)
        for position, i in enumerate(order):
            rank[i] = position
        # one number per membership (record × sets + set id), sorted, each kept once: the
        # record-major order lets the plan read each record's sets as one run
        width = max(len(order), 1)
        members = pl.concat(self.members) if self.members else None
        found = pl.Series(
            "both",
            members["post"] * width + pl.Series(rank, dtype=pl.Int64).gather(members["set"])
            if members is not None and members.height
            else [],
            dtype=pl.Int64,
        ).sort()
        both = found.filter(found.diff().fill_null(1) != 0)
        keys = [self.keys[i] for i in order]
        index = {key: i for i, key in enumerate(keys)}
        return Sets(
            keys=keys,
            kinds=[self.kinds[i] for i in order],
            pupils=[self.pupils[i] for i in order],
            depends={index[c]: tuple(index[d] for d in rows) for c, rows in depends.items()},
            member_set=both % width,
            member_record=both // width,
            records=records,
        )


def candidates(results: pl.DataFrame) -> Sets:
    """Every pupil-data set an analysis or the Læringsspeil can show.

    ``results``: one row per participating pupil result (``queries/skjerming.sql``).
    """
    # integer ids for records (in the order of the records' values, which orders the
    # regions) and pupils: the joins below are on these, not on the long pseudonyms
    results = (
        results.with_columns(
            gruppe=pl.col("gruppe").fill_null(NO_GROUP),
            start=pl.col("skoleaar").str.slice(0, 4).cast(pl.Int32),
            trinn=pl.col("trinn").cast(pl.Int64),
        )
        .sort(_RECORD)
        .with_columns(
            post=pl.struct(_RECORD).rle_id().cast(pl.Int64),
            pupil=pl.col("elev").rle_id().cast(pl.Int64),
        )
    )
    # each record once per family, record after record: row = record id × families + family
    values = results.select(_RECORD).unique(maintain_order=True)
    width = len(_FAMILY_NAMES)
    records = values.select(
        pl.all().gather(pl.int_range(values.height * width, dtype=pl.Int64) // width)
    ).with_columns(familie=pl.Series(_FAMILY_NAMES * values.height, dtype=pl.String))
    scored = results.filter(pl.col("skalapoeng").is_not_null())
    build = _Builder()
    school = ["enhet_id", "skoleaar", "trinn", "prove"]
    build.add(("grupper",), scored.with_columns(alle=pl.lit("alle")), [*school, "alle"], "grupper")
    build.add(("grupper",), scored, [*school, "gruppe"], "grupper-gruppe")
    levelled = results.filter(pl.col("mestringsnivaa").is_not_null())
    build.add(("mestring",), levelled, school, "mestring")
    build.add(
        ("mestring",),
        levelled.filter(pl.col("kommunenr").is_not_null()),
        ["kommunenr", "skoleaar", "trinn", "prove"],
        "mestring-kommune",
    )
    depends = _pair_sets(pairs(scored), build)
    _test_pairs(scored, build)
    return build.build(depends, records)


def _both_records(found: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """A pair's two records as two rows (``post``), with ``columns`` and the pupil."""
    return pl.concat(
        [
            found.select(*columns, "pupil", post="til_post"),
            found.select(*columns, "pupil", post="fra_post"),
        ]
    )


def _pair_sets(found: pl.DataFrame, build: _Builder) -> dict[Key, tuple[Key, ...]]:
    """Paired change per school (and class for 8→9), value added per school, and the kommune
    cells whose totals a regression constant or a centring reveals. Returns the cells'
    ``depends``."""
    by_school = ["til_aar", "fra_trinn", "prove", "skole"]
    both = _both_records(found.with_columns(alle=pl.lit("alle")), [*by_school, "gruppe", "alle"])
    build.add(("elever",), both, [*by_school, "alle"], "elever")
    build.add(("elever",), both.filter(pl.col("fra_trinn") == 8), [*by_school, "gruppe"], "elever")
    cell = ["til_aar", "fra_trinn", "prove", "kommunenr"]
    in_kommune = found.filter(pl.col("kommunenr").is_not_null())
    cell_rows = _both_records(in_kommune, [*cell, "skole"])
    added = build.add(("verdiskaping",), cell_rows, [*cell, "skole"], "verdiskaping")
    depends: dict[Key, list[Key]] = defaultdict(list)
    for key in added:
        depends[("celle", "verdiskaping", *key[1:5])].append(key)
    cells = build.add(("celle", "verdiskaping"), cell_rows, cell, "celle")
    # the 5 -> 8 change is centred on the cell's pairs: every school with a pair in the cell
    # reveals the cell's total
    fives = cell_rows.filter(pl.col("fra_trinn") == 5)
    build.add(("celle", "elever"), fives, cell, "celle")
    of_school = _both_records(found.filter(pl.col("fra_trinn") == 5), by_school).select(
        *by_school, "post"
    )
    centred = (
        of_school.join(fives.select(*cell, "post"), on="post")
        .filter(
            (pl.col("til_aar") == pl.col("til_aar_right"))
            & (pl.col("prove") == pl.col("prove_right"))
        )
        .select(*by_school, "kommunenr")
        .unique()
    )
    for til_aar, fra, prove, skole, kommune in centred.iter_rows():
        depends[("celle", "elever", til_aar, fra, prove, kommune)].append(
            ("elever", til_aar, fra, prove, skole, "alle")
        )
    for key in cells:
        depends.setdefault(key, [])
    return {k: tuple(sorted(v, key=_order)) for k, v in depends.items() if v}


def _test_pairs(scored: pl.DataFrame, build: _Builder) -> None:
    """Pupils with two tests the same year at the same school (fag --del sammenheng)."""
    unit = ["enhet_id", "skoleaar", "trinn"]
    # a pupil's results of one year and trinn are neighbours in record order: joining on that
    # run's number (then checking the school) avoids a join on the long text columns
    taken = scored.select(
        *unit, "prove", "post", "pupil", sitting=pl.struct("elev", "skoleaar", "trinn").rle_id()
    )
    both = taken.join(taken.select("sitting", "enhet_id", "prove", "post"), on="sitting").filter(
        (pl.col("prove") < pl.col("prove_right")) & (pl.col("enhet_id") == pl.col("enhet_id_right"))
    )
    key = [*unit, "prove", "prove_right"]
    rows = pl.concat(
        [
            both.select(*key, "pupil", "post"),
            both.select(*key, "pupil", post="post_right"),
        ]
    )
    keys = set(build.add(("sammenheng",), rows, key, "sammenheng"))
    tests = taken.select(*unit, "prove").unique()
    combos = tests.join(tests, on=unit).filter(pl.col("prove") < pl.col("prove_right"))
    build.add_empty(
        sorted(
            k for row in combos.select(key).iter_rows() if (k := ("sammenheng", *row)) not in keys
        ),
        "sammenheng",
    )


# -- hooks: each part passes its finished rows through one of these ------------------------

_GROUP_VALUES: Final = (
    "antall", "snitt", "lav", "hoy", "sd", "andel_laveste_nivaa", "andel_hoyeste_nivaa",
    "andel_mellom_grupper",
)  # fmt: skip
_PAIRED_VALUES: Final = (
    "antall", "endring", "endring_lav", "endring_hoy", "andel_opp", "andel_samme", "andel_ned",
)  # fmt: skip
LOW_IN_ONE: Final = ("lav_bare_a", "lav_bare_b", "andel_lav_bare_a", "andel_lav_bare_b")


def _blank(row: dict[str, Any], columns: Iterable[str], status: str | None) -> dict[str, Any]:
    blanked = {**row, **dict.fromkeys(columns)}
    if status is not None:
        blanked["status"] = status
    return blanked


def grupper_rows(
    rows: list[dict[str, Any]], shown: Plan, hidden_status: str
) -> list[dict[str, Any]]:
    """variasjon --del grupper: one school's rows (``alle`` and its groups)."""
    out = [
        row
        if shown.shows(
            (
                "grupper",
                row["enhet_id"],
                row["skoleaar"],
                int(row["trinn"]),
                row["prove"],
                row["gruppe"],
            )
        )
        else _blank(row, _GROUP_VALUES, hidden_status)
        for row in rows
    ]
    if any(r["status"] == hidden_status for r in out):  # the share between groups would leak
        out = [{**r, "andel_mellom_grupper": None} for r in out]
    return out


def elever_frame(frame: pl.DataFrame, shown: Plan, hidden_status: str) -> pl.DataFrame:
    """progresjon --del elever: a row the plan hides keeps its key and says ``hidden_status``."""
    hidden = hidden_rows(
        shown, "elever", frame, ["til_aar", "fra_trinn", "prove", "enhet_id", "gruppe"]
    )
    return frame.with_columns(
        *(pl.when(hidden).then(None).otherwise(pl.col(c)).alias(c) for c in _PAIRED_VALUES),
        status=pl.when(hidden).then(pl.lit(hidden_status)).otherwise(pl.col("status")),
    )


def verdiskaping_frame(frame: pl.DataFrame, shown: Plan) -> pl.DataFrame:
    """progresjon --del verdiskaping: a hidden school has no row (as one under the minimum)."""
    hidden = hidden_rows(
        shown,
        "verdiskaping",
        frame,
        ["til_aar", "fra_trinn", "prove", "kommunenr", "enhet_id"],
    )
    return frame.filter(~hidden)


def hidden_rows(shown: Plan, kind: str, rows: pl.DataFrame, key: list[str]) -> pl.Expr:
    """Which of ``rows`` the plan hides among its ``kind`` records, as a boolean column of
    ``rows`` (``key``: the record's columns after its kind, as in the plan's keys): the
    frame-wise form of ``shown.shows((kind, *values))`` for every row."""
    found = shown.frames().get(kind)
    if found is None or found.is_empty():
        return pl.repeat(False, rows.height, dtype=pl.Boolean)
    hidden = (
        found.select(
            pl.col(f"v{i}").cast(rows.schema[name]).alias(name)
            for i, name in enumerate(key, start=1)
        )
        .unique()
        .with_columns(_hidden=pl.lit(True))
    )
    marked = rows.select(key).with_row_index("_i").join(hidden, on=key, how="left")
    return pl.lit(marked.sort("_i")["_hidden"].fill_null(False))


def sammenheng_rows(rows: list[dict[str, Any]], shown: Plan) -> list[dict[str, Any]]:
    """fag --del sammenheng: the correlation and «low in both» stay; «low in only one» is a
    count of the pupils at the lowest level in one test, which beside the school's own
    share at that level would single out the few who sat only that test."""
    return [
        row
        if shown.shows(
            (
                "sammenheng",
                row["enhet_id"],
                row["skoleaar"],
                int(row["trinn"]),
                row["prove_a"],
                row["prove_b"],
            )
        )
        else _blank(row, LOW_IN_ONE, None)
        for row in rows
    ]


HIDDEN_LEVELS_SCHEMA: Final = pl.Schema(
    {"enhet_id": pl.String, "skoleaar": pl.String, "trinn": pl.Int64, "prove": pl.String}
)


def _level_hidden(frame: pl.DataFrame, shown: Plan) -> pl.Expr:
    return hidden_rows(shown, "mestring", frame, list(HIDDEN_LEVELS_SCHEMA))


def levels(frame: pl.DataFrame, shown: Plan) -> pl.DataFrame:
    """The Læringsspeil's mastery counts (``queries/mestring.sql``): hidden units drop out."""
    return frame.filter(~_level_hidden(frame, shown))


def hidden_levels(frame: pl.DataFrame, shown: Plan, minimum: int) -> pl.DataFrame:
    """The bars of ``frame`` (mastery counts) with at least ``minimum`` pupils that the plan
    hides all the same: the Læringsspeil says so where the chart would have been."""
    units = list(HIDDEN_LEVELS_SCHEMA)
    big_enough = frame.group_by(units, maintain_order=True).agg(pl.col("antall").sum())
    big_enough = big_enough.filter(pl.col("antall") >= minimum).select(units)
    return big_enough.filter(_level_hidden(big_enough, shown)).cast(HIDDEN_LEVELS_SCHEMA)
