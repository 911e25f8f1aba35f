"""A seeded simulation of a nation's national tests with known truth, for coverage tests.

It writes the files a kommune downloads (Udir's statistikkbank NP exports and a pupil file in
tallkit's plain layout) and returns the truth **from the simulation's parameters**, never from
tallkit's output, so ``tests/test_dekning.py`` and ``bench/dekning.py`` can check whether
tallkit's intervals cover what they claim to.

The data-generating model (issue 7), for pupil i in class c of school s, year y, trinn t, test p:

    score = 50 + skift[y, t, p] + u[s, p] (+ vekst + g[s] on 9. trinn)
            + klasse[c, y, p] + elev[i, p] + støy

* ``u[s, p]`` school lasting effect: a general part N(0, 2.5) plus a subject part N(0, 1.6) per
  test (SD about 3), so some schools have a real subject profile of about 3 points. It belongs to
  the school (a pupil who changes school gets the new school's effect).
* ``klasse[c, y, p]`` class-year effect, SD 2: a new draw for every class every year (9. trinn is
  the same class as 8. trinn a year before, with a new draw), shared by the class's pupils and
  by default by all tests of that year (``class_test_corr`` = 1; lower it for subject-specific
  class effects).
* ``elev[i, p]`` pupil lasting effect, SD 7, correlated 0.9 between tests, the same on 8. and
  9. trinn (the same pupils a year later).
* ``støy`` measurement noise SD 5, new at every test occasion.
* 9. trinn takes the 8. trinn test a year later on the same scale: common gain ``vekst`` (4) plus
  the school's growth effect ``g[s]`` N(0, 1.5).
* Mobility: between 8. and 9. trinn 1.5 % move out, 1 % change school within the kommune, and
  new pupils (1.5 %) move in; 4 % do not take part in a test (F, I, A).

The nation has kommuner of four kinds: towns (many schools), middle-sized kommuner, small
kommuner where one school holds most of the pupils (often ≥ 0.8) beside one or two small ones,
and single-school kommuner. Schools are barneskoler (5. trinn), ungdomsskoler (8. and 9.) or
1–10-skoler; 1–4 classes per trinn of 15–28 pupils, and small schools with one class of 4–14
(published as ``*`` under 10 pupils, but inside their kommune's numbers as in Udir's tables).

Published numbers are computed from the participating pupils exactly as Udir publishes them:
the mean **rounded to whole points** (half away from zero), ``Usikkerhet`` = 1.96 · SD / √n with
one decimal (pupils as independent), n; ``*`` in all three cells under 10 pupils.
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import ModuleType
from typing import Any, Final

import numpy as np
import polars as pl

ROOT: Final = Path(__file__).resolve().parent.parent


def year_label(year: int) -> str:
    return f"{year}-{(year + 1) % 100:02d}"


def _sample_generator() -> ModuleType:
    """``sample_data/generate.py`` as a module (its Udir writers), without running its main."""
    name = "tallkit_sample_generate"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "sample_data" / "generate.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up while being defined
        spec.loader.exec_module(module)
    return sys.modules[name]


GEN: Final = _sample_generator()

TESTS: Final = ("ENG", "LES", "REG")  # index 0, 1, 2 in every per-test array
PROVE: Final = {"ENG": "engelsk", "LES": "lesing", "REG": "regning"}  # tallkit's names
TESTS_BY_TRINN: Final = {5: (0, 1, 2), 8: (0, 1, 2), 9: (1, 2)}
KINDS: Final = {"B": (5,), "U": (8, 9), "K": (5, 8, 9)}  # barneskole, ungdomsskole, 1-10
FYLKER: Final = ("91", "92", "93", "94")  # fictional fylke numbers


@dataclass(frozen=True)
class Parametre:
    """Everything the simulation draws from; the defaults are issue 7's model."""

    seed: int = 2026
    years: tuple[int, ...] = (2022, 2023, 2024)  # start years of the skoleår written
    # number of kommuner of each kind
    byer: int = 8
    mellom: int = 36
    smaa: int = 90
    enskole: int = 30
    school_general_sd: float = 2.5
    school_subject_sd: float = 1.6
    class_sd: float = 2.0
    class_test_corr: float = 1.0
    pupil_sd: float = 7.0
    pupil_test_corr: float = 0.9
    noise_sd: float = 5.0
    growth_sd: float = 1.5
    gain: float = 4.0  # 8. -> 9. trinn, same scale
    year_shift_sd: float = 0.5  # national drift per year, trinn and test
    move_out_89: float = 0.015
    move_within_89: float = 0.01
    move_in_89: float = 0.015
    not_taking_part: float = 0.04
    min_published: int = 10

    @property
    def school_sd(self) -> float:
        return float(np.hypot(self.school_general_sd, self.school_subject_sd))


@dataclass
class Skole:
    orgnr: str
    navn: str
    kommune: int  # index into Nasjon.kommuner
    kind: str  # B, U or K
    classes: dict[int, int]  # trinn -> number of classes (0: one small class)


@dataclass
class Nasjon:
    """The simulated world: structure, parameters drawn, pupils' results and the truth."""

    parametre: Parametre
    kommuner: list[tuple[str, str, str]]  # (kommunenr, navn, fylkesnr)
    kommune_kind: list[str]
    skoler: list[Skole]
    u: np.ndarray  # (schools, 3) lasting effect per test
    g: np.ndarray  # (schools,) growth effect 8 -> 9
    shift: dict[tuple[int, int, int], float]  # (year, trinn, test) -> national shift
    results: pl.DataFrame  # one row per pupil, year, trinn and test
    truth: dict[str, pl.DataFrame] = field(default_factory=dict)

    # -- files --------------------------------------------------------------------------

    def write_np(self, folder: Path, *, kommune_usikkerhet: bool = True) -> list[Path]:
        """The two statistikkbank exports (5. trinn, ungdomstrinn) as Udir writes them.

        ``kommune_usikkerhet=False`` leaves the kommune rows' Usikkerhet empty (the measure not
        there for the kommune)."""
        folder.mkdir(parents=True, exist_ok=True)
        cells = published(self)
        last = self.parametre.years[-1]
        files = {
            f"{GEN.year_label(last)}_20990101-1200_Nasjonale_proever_5._trinn.csv": (5,),
            f"{GEN.year_label(last)}_20990101-1201_Nasjonale_proever_ungdomstrinn.csv": (8, 9),
        }
        written = []
        for name, trinns in files.items():
            data = self._np_export(cells, trinns, kommune_usikkerhet)
            (folder / name).write_bytes(data)
            written.append(folder / name)
        return written

    def _np_export(
        self, cells: dict[tuple[str, int, int, int], tuple[int, float, float]],
        trinns: tuple[int, ...], kommune_usikkerhet: bool,
    ) -> bytes:  # fmt: skip
        groups = [
            (year, test, trinn)
            for year in self.parametre.years
            for test in range(3)
            for trinn in trinns
            if test in TESTS_BY_TRINN[trinn]
        ]
        header = list(GEN.UNIT_HEADER) + [
            f"{GEN.year_label(y)}.{GEN.SUBJECT_NAMES[TESTS[p]]}.{t}. årstrinn"
            f".Alle eierformer.Alle kjønn.{measure}"
            for y, p, t in groups
            for measure in GEN.NP_MEASURES
        ]
        rows = []
        for level, unit_id, fylke, kommune, kname, name in self._units(trinns):
            row = [str(level), "I", fylke, kommune, unit_id, "Hele landet"]
            row += [
                "Alle fylker" if level == 1 else f"Fylke {fylke}",
                kname,
                name + (" " if level == 4 else ""),
            ]
            for y, p, t in groups:
                stat = cells.get((unit_id, y, t, p))
                drop_half = level == 3 and not kommune_usikkerhet
                row += _np_cells(stat, self.parametre.min_published, drop_half)
            rows.append(row)
        return GEN.encode_statistikkbank(header, rows, GEN.CURRENT_STYLE)

    def _units(self, trinns: tuple[int, ...]) -> list[tuple[int, str, str, str, str, str]]:
        units = [(1, "I", "00", "0000", "Alle kommuner", "Alle skoler")]
        for fylke in FYLKER:
            units.append((2, fylke, fylke, "0000", "Alle kommuner", "Alle skoler"))
            for k, (knr, kname, kf) in enumerate(self.kommuner):
                if kf != fylke:
                    continue
                units.append((3, knr, fylke, knr, kname, "Alle skoler"))
                schools = [
                    s for s in self.skoler
                    if s.kommune == k and any(t in KINDS[s.kind] for t in trinns)
                ]  # fmt: skip
                for s in sorted(schools, key=lambda s: s.navn):
                    units.append((4, s.orgnr, fylke, knr, kname, s.navn))
        return units

    def write_pupils(self, folder: Path) -> Path:
        """All pupils' results in tallkit's plain layout (UTF-8, ``;``), one row per test."""
        folder.mkdir(parents=True, exist_ok=True)
        r = self.results
        cuts = {t: GEN.MASTERY_CUTS[t] for t in (5, 8, 9)}
        level = pl.lit(1)
        for t, bounds in cuts.items():
            expr = pl.lit(1)
            for b in bounds:
                expr = expr + (pl.col("score") > b).cast(pl.Int32)
            level = pl.when(pl.col("trinn") == t).then(expr).otherwise(level)
        frame = r.select(
            elev=pl.format("S{}", pl.col("pupil").cast(pl.String).str.zfill(7)),
            orgnr=pl.col("orgnr"),
            skoleaar=pl.col("year").map_elements(GEN.year_label, return_dtype=pl.String),
            prove=pl.format(
                "NP{}{}",
                pl.col("test").replace_strict(dict(enumerate(TESTS)), return_dtype=pl.String),
                pl.col("trinn").cast(pl.String).str.zfill(2),
            ),
            deltatt=pl.col("status"),
            skalapoeng=pl.when(pl.col("status") == "D").then(pl.col("score")),
            mestringsnivaa=pl.when(pl.col("status") == "D").then(level),
            gruppe=pl.format("{}{}", pl.col("trinn"), pl.col("klasse")),
        )
        path = folder / "elevresultater_simulert.csv"
        frame.write_csv(path, separator=";", null_value="")
        return path


def _np_cells(
    stat: tuple[int, float, float] | None, minimum: int, drop_half_width: bool
) -> list[str]:
    if stat is None:
        return ["", "", ""]
    n, mean, sd = stat
    if n < minimum:
        return ["*", "*", "*"]
    half = "" if drop_half_width else GEN.fmt_decimal(float(1.96 * sd / np.sqrt(n)), 1)
    return [GEN.fmt_decimal(mean, 0), half, GEN.fmt_count(n)]


# -- structure --------------------------------------------------------------------------------


def _orgnrs(rng: np.random.Generator, count: int) -> list[str]:
    found: list[str] = []
    seen: set[str] = set()
    while len(found) < count:
        body = "98" + "".join(str(d) for d in rng.integers(0, 10, 6))
        check = GEN.mod11_check_digit(body)
        if check is not None and body + str(check) not in seen:
            seen.add(body + str(check))
            found.append(body + str(check))
    return found


def _structure(p: Parametre, rng: np.random.Generator) -> tuple[list[str], list[list[tuple[str, dict[int, int]]]]]:  # fmt: skip
    """Per kommune its kind and its schools as (kind, classes per trinn; 0 = one small class)."""
    kinds = ["by"] * p.byer + ["mellom"] * p.mellom + ["liten"] * p.smaa + ["en"] * p.enskole
    out: list[list[tuple[str, dict[int, int]]]] = []
    for kind in kinds:
        schools: list[tuple[str, dict[int, int]]] = []
        if kind == "by":
            for _ in range(rng.integers(6, 11)):
                schools.append(("B", {5: int(rng.integers(1, 5))}))
            for _ in range(rng.integers(3, 6)):
                c = int(rng.integers(2, 5))
                schools.append(("U", {8: c, 9: c}))
            if rng.random() < 0.5:
                c = int(rng.integers(1, 3))
                schools.append(("K", {5: c, 8: c, 9: c}))
        elif kind == "mellom":
            for _ in range(rng.integers(2, 5)):
                schools.append(("B", {5: int(rng.integers(1, 4))}))
            for _ in range(rng.integers(1, 3)):
                c = int(rng.integers(2, 5))
                schools.append(("U", {8: c, 9: c}))
            if rng.random() < 0.6:
                c = int(rng.integers(0, 2))
                schools.append(("K", {5: c, 8: c, 9: c}))
        elif kind == "liten":
            c = int(rng.integers(2, 5))  # the dominant school
            schools.append(("K", {5: c, 8: c, 9: c}))
            for _ in range(rng.integers(1, 3)):
                small = int(rng.random() < 0.3)  # mostly one small class, sometimes a full one
                schools.append(("K", {5: small, 8: small, 9: small}))
        else:
            c = int(rng.integers(1, 4))
            schools.append(("K", {5: c, 8: c, 9: c}))
        out.append(schools)
    return kinds, out


def _class_sizes(rng: np.random.Generator, classes: int) -> list[int]:
    if classes == 0:
        return [int(rng.integers(4, 15))]
    return [int(x) for x in rng.integers(15, 29, classes)]


def _correlated(rng: np.random.Generator, n: int, k: int, sd: float, corr: float) -> np.ndarray:
    """n draws of k normal variables with SD ``sd`` and equal correlation ``corr``."""
    common = rng.standard_normal((n, 1))
    own = rng.standard_normal((n, k))
    return sd * (np.sqrt(corr) * common + np.sqrt(1.0 - corr) * own)


# -- simulation -------------------------------------------------------------------------------


def simuler(p: Parametre | None = None) -> Nasjon:
    """Simulate the nation; deterministic for a given ``Parametre``."""
    p = p or Parametre()
    rng = np.random.default_rng(p.seed)
    kinds, structure = _structure(p, rng)
    n_schools = sum(len(s) for s in structure)
    orgnrs = _orgnrs(rng, n_schools)
    kommuner, skoler = [], []
    for k, schools in enumerate(structure):
        fylke = FYLKER[k % len(FYLKER)]
        kommuner.append((f"{fylke}{k // len(FYLKER) + 1:02d}", f"Simkommune {k + 1}", fylke))
        for j, (kind, classes) in enumerate(schools):
            orgnr = orgnrs[len(skoler)]
            skoler.append(Skole(orgnr, f"Sim {k + 1}-{j + 1} skole", k, kind, classes))
    general = rng.normal(0.0, p.school_general_sd, (n_schools, 1))
    u = general + rng.normal(0.0, p.school_subject_sd, (n_schools, 3))
    g = rng.normal(0.0, p.growth_sd, n_schools)
    years = p.years
    all_years = (years[0] - 1, *years)  # the 8. trinn of the year before feeds the first 9.
    shift = {
        (y, t, test): float(rng.normal(0.0, p.year_shift_sd))
        for y in all_years
        for t in (5, 8, 9)
        for test in range(3)
    }
    # occasions: one row per pupil, year, trinn (school, class)
    occ: dict[str, list[np.ndarray]] = {
        k: [] for k in ("pupil", "year", "trinn", "school", "klasse")
    }
    next_pupil = 0

    def add(pupils: np.ndarray, year: int, trinn: int, school: np.ndarray, klasse: np.ndarray) -> None:  # fmt: skip
        occ["pupil"].append(pupils)
        occ["year"].append(np.full(len(pupils), year))
        occ["trinn"].append(np.full(len(pupils), trinn))
        occ["school"].append(school)
        occ["klasse"].append(klasse)

    by_kommune: dict[int, list[int]] = {}
    for s, sk in enumerate(skoler):
        by_kommune.setdefault(sk.kommune, []).append(s)
    for year in all_years:
        for trinn in (5, 8):
            for s, sk in enumerate(skoler):
                if trinn not in KINDS[sk.kind]:
                    continue
                sizes = _class_sizes(rng, sk.classes[trinn])
                n = sum(sizes)
                pupils = np.arange(next_pupil, next_pupil + n)
                next_pupil += n
                klasse = np.repeat(np.arange(len(sizes)), sizes)
                add(pupils, year, trinn, np.full(n, s), klasse)
    pupil_effect = _correlated(rng, next_pupil + 100_000, 3, p.pupil_sd, p.pupil_test_corr)
    # 9. trinn: last year's 8. trinn, with mobility
    eighth = {k: np.concatenate(v) for k, v in occ.items()}
    is8 = eighth["trinn"] == 8
    for year in years:
        prev = is8 & (eighth["year"] == year - 1)
        pupils, school, klasse = (
            eighth["pupil"][prev],
            eighth["school"][prev],
            eighth["klasse"][prev],
        )
        draw = rng.random(len(pupils))
        stay = draw >= p.move_out_89
        move = (draw >= p.move_out_89) & (draw < p.move_out_89 + p.move_within_89)
        school = school.copy()
        klasse = klasse.copy()
        for i in np.flatnonzero(move):
            options = [o for o in by_kommune[skoler[school[i]].kommune] if o != school[i] and 9 in KINDS[skoler[o].kind]]  # fmt: skip
            if options:
                school[i] = options[int(rng.integers(len(options)))]
                klasse[i] = int(rng.integers(max(skoler[school[i]].classes[9], 1)))
        pupils, school, klasse = pupils[stay], school[stay], klasse[stay]
        # newcomers, spread over the schools with 9. trinn
        n_in = round(p.move_in_89 * len(pupils))
        if n_in:
            idx = rng.integers(0, len(pupils), n_in)  # a newcomer joins a random pupil's class
            new = np.arange(next_pupil, next_pupil + n_in)
            next_pupil += n_in
            pupils = np.concatenate([pupils, new])
            school = np.concatenate([school, school[idx]])
            klasse = np.concatenate([klasse, klasse[idx]])
        add(pupils, year, 9, school, klasse)
    o = {k: np.concatenate(v) for k, v in occ.items()}
    keep = np.isin(o["year"], years)
    o = {k: v[keep] for k, v in o.items()}
    # class-year effects: one per (year, trinn, school, class), correlated over tests
    class_key = ((o["year"] * 10 + o["trinn"]) * 100_000 + o["school"]) * 10 + o["klasse"]
    uniq, inverse = np.unique(class_key, return_inverse=True)
    class_effect = _correlated(rng, len(uniq), 3, p.class_sd, p.class_test_corr)[inverse]
    rows: dict[str, list[np.ndarray]] = {k: [] for k in ("pupil", "year", "trinn", "school", "klasse", "test", "score", "status")}  # fmt: skip
    n_occ = len(o["pupil"])
    noise = rng.normal(0.0, p.noise_sd, (n_occ, 3))
    status_draw = rng.random((n_occ, 3))
    status_kind = rng.integers(0, 3, (n_occ, 3))
    for test in range(3):
        on = np.isin(o["trinn"], [t for t, tests in TESTS_BY_TRINN.items() if test in tests])
        shifts = np.array([shift[(int(y), int(t), test)] for y, t in zip(o["year"], o["trinn"], strict=True)])  # fmt: skip
        growth = np.where(o["trinn"] == 9, p.gain + g[o["school"]], 0.0)
        score = (
            50.0 + shifts + u[o["school"], test] + growth + class_effect[:, test]
            + pupil_effect[o["pupil"], test] + noise[:, test]
        )  # fmt: skip
        status = np.where(
            status_draw[:, test] < p.not_taking_part, np.array(["F", "I", "A"])[status_kind[:, test]], "D"
        )  # fmt: skip
        for key, value in (
            ("pupil", o["pupil"]), ("year", o["year"]), ("trinn", o["trinn"]),
            ("school", o["school"]), ("klasse", o["klasse"]),
            ("test", np.full(n_occ, test)), ("score", np.floor(score + 0.5).astype(np.int64)),
            ("status", status),
        ):  # fmt: skip
            rows[key].append(value[on])
    flat = {k: np.concatenate(v) for k, v in rows.items()}
    results = pl.DataFrame(
        {
            "pupil": flat["pupil"],
            "year": flat["year"].astype(np.int32),
            "trinn": flat["trinn"].astype(np.int16),
            "school": flat["school"].astype(np.int32),
            "orgnr": np.array([s.orgnr for s in skoler])[flat["school"]],
            "kommune": np.array([s.kommune for s in skoler])[flat["school"]].astype(np.int32),
            "klasse": np.array(list("ABCD"))[flat["klasse"]],
            "test": flat["test"].astype(np.int8),
            "score": flat["score"],
            "status": flat["status"],
        }
    ).sort("year", "trinn", "school", "test", "pupil")
    nasjon = Nasjon(p, kommuner, kinds, skoler, u, g, shift, results)
    nasjon.truth = sannhet(nasjon)
    return nasjon


# -- published numbers ------------------------------------------------------------------------


def published(nasjon: Nasjon) -> dict[tuple[str, int, int, int], tuple[int, float, float]]:
    """(unit id, year, trinn, test) -> (n, mean, SD) over the participating pupils."""
    d = nasjon.results.filter(pl.col("status") == "D")
    kommune_ids = {k: knr for k, (knr, _, _) in enumerate(nasjon.kommuner)}
    fylke_of = {k: f for k, (_, _, f) in enumerate(nasjon.kommuner)}
    d = d.with_columns(
        knr=pl.col("kommune").replace_strict(kommune_ids, return_dtype=pl.String),
        fnr=pl.col("kommune").replace_strict(fylke_of, return_dtype=pl.String),
        land=pl.lit("I"),
    )
    out: dict[tuple[str, int, int, int], tuple[int, float, float]] = {}
    for unit in ("orgnr", "knr", "fnr", "land"):
        agg = d.group_by(unit, "year", "trinn", "test").agg(
            n=pl.len(), mean=pl.col("score").mean(), sd=pl.col("score").std()
        )
        for row in agg.iter_rows():
            out[(row[0], int(row[1]), int(row[2]), int(row[3]))] = (
                int(row[4]), float(row[5]), float(row[6] or 0.0),
            )  # fmt: skip
    return out


# -- truth ------------------------------------------------------------------------------------


def sannhet(nasjon: Nasjon) -> dict[str, pl.DataFrame]:
    """The truth from the parameters (u, g, shifts), weighted by the realised pupil counts.

    * ``skoler``: per school, year, trinn and test: ``antall`` (participants), ``nivaa`` (the
      school's lasting effect on that trinn: u, plus g on 9. trinn), ``gap_kommune`` (nivaa minus
      the kommune's pupil-weighted mean of nivaa), ``gap_landet``, ``vekt`` (share of the
      kommune's pupils), ``skoler_i_kommunen`` (schools with pupils in the cell),
      ``profil`` (distance to the nation minus the mean distance of the school's other tests).
    * ``vekst``: per school (9. trinn), end year and test: ``vekst`` (true 8 -> 9 growth: gain,
      g and the national shifts), ``verdiskaping`` (g minus the pair-weighted kommune mean of
      g), ``nivaa_mot_kommune`` (u minus its pair-weighted kommune mean), ``par`` (pupils with
      a result at both ends).
    * ``kull``: per school and kommune, end year and test: the published cohort change's truth.
    * ``spredning``: per kommune, year, trinn and test: the realised variance of the schools'
      lasting effects (ddof 1, schools with a published result) and the model's.
    """
    p = nasjon.parametre
    u, g = nasjon.u, nasjon.g
    d = nasjon.results.filter(pl.col("status") == "D")
    counts = d.group_by("school", "kommune", "year", "trinn", "test").agg(antall=pl.len())
    school = counts["school"].to_numpy()
    test = counts["test"].to_numpy()
    trinn = counts["trinn"].to_numpy()
    level = u[school, test] + np.where(trinn == 9, g[school], 0.0)
    cells = counts.with_columns(nivaa=pl.Series(level)).with_columns(
        k_antall=pl.col("antall").sum().over("kommune", "year", "trinn", "test"),
        k_nivaa=((pl.col("nivaa") * pl.col("antall")).sum() / pl.col("antall").sum()).over(
            "kommune", "year", "trinn", "test"
        ),
        l_nivaa=((pl.col("nivaa") * pl.col("antall")).sum() / pl.col("antall").sum()).over(
            "year", "trinn", "test"
        ),
        skoler_i_kommunen=pl.len().over("kommune", "year", "trinn", "test"),
        publiserte_i_kommunen=(pl.col("antall") >= p.min_published)
        .sum()
        .over("kommune", "year", "trinn", "test"),
    )
    cells = cells.with_columns(
        gap_kommune=pl.col("nivaa") - pl.col("k_nivaa"),
        gap_landet=pl.col("nivaa") - pl.col("l_nivaa"),
        vekt=pl.col("antall") / pl.col("k_antall"),
    )
    # profile: distance to the nation minus the mean distance of the other tests (same school)
    published_only = cells.filter(pl.col("antall") >= p.min_published)
    cells = cells.join(
        published_only.group_by("school", "year", "trinn").agg(
            sum_gap=pl.col("gap_landet").sum(), tests=pl.len()
        ),
        on=["school", "year", "trinn"],
        how="left",
    ).with_columns(
        profil=pl.when(pl.col("tests") >= 2).then(
            pl.col("gap_landet")
            - (pl.col("sum_gap") - pl.col("gap_landet")) / (pl.col("tests") - 1)
        )
    )
    ids = _ids(nasjon)
    skoler = _finish(cells, ids)
    return {
        "skoler": skoler,
        "vekst": _growth_truth(nasjon, d, ids),
        "kull": _cohort_truth(nasjon, cells, ids),
        "spredning": _spread_truth(nasjon, cells),
    }


def _ids(nasjon: Nasjon) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "school": np.arange(len(nasjon.skoler), dtype=np.int32),
            "enhet_id": [s.orgnr for s in nasjon.skoler],
            "kommunenr": [nasjon.kommuner[s.kommune][0] for s in nasjon.skoler],
        }
    )


def _labels(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        skoleaar=pl.col("year").map_elements(GEN.year_label, return_dtype=pl.String),
        prove=pl.col("test").replace_strict(
            {i: PROVE[t] for i, t in enumerate(TESTS)}, return_dtype=pl.String
        ),
    )


def _finish(cells: pl.DataFrame, ids: pl.DataFrame) -> pl.DataFrame:
    return (
        _labels(cells.join(ids, on="school"))
        .select(
            "enhet_id",
            "kommunenr",
            "skoleaar",
            pl.col("trinn").cast(pl.Int16),
            "prove",
            "antall",
            "nivaa",
            "gap_kommune",
            "gap_landet",
            "vekt",
            "skoler_i_kommunen",
            "publiserte_i_kommunen",
            "profil",
        )
        .sort("skoleaar", "trinn", "prove", "enhet_id")
    )


def _growth_truth(nasjon: Nasjon, d: pl.DataFrame, ids: pl.DataFrame) -> pl.DataFrame:
    """Pupils with a result on 8. trinn (year Y) and 9. trinn (Y + 1), same test."""
    p = nasjon.parametre
    eighth = d.filter(pl.col("trinn") == 8).select("pupil", "year", "test", fra_school="school")
    ninth = d.filter(pl.col("trinn") == 9).select(
        "pupil", "test", "school", "kommune", til_year="year"
    )
    pairs = ninth.join(
        eighth.with_columns(til_year=pl.col("year") + 1).drop("year"),
        on=["pupil", "test", "til_year"],
    )
    per_school = pairs.group_by("school", "kommune", "til_year", "test").agg(par=pl.len())
    school = per_school["school"].to_numpy()
    test = per_school["test"].to_numpy()
    year = per_school["til_year"].to_numpy()
    shifts = np.array(
        [
            nasjon.shift[(int(y), 9, int(t))] - nasjon.shift[(int(y) - 1, 8, int(t))]
            for y, t in zip(year, test, strict=True)
        ]
    )
    frame = per_school.with_columns(
        g=pl.Series(nasjon.g[school]),
        u=pl.Series(nasjon.u[school, test]),
        vekst=pl.Series(p.gain + nasjon.g[school] + shifts),
    ).with_columns(
        verdiskaping=pl.col("g")
        - ((pl.col("g") * pl.col("par")).sum() / pl.col("par").sum()).over(
            "kommune", "til_year", "test"
        ),
        nivaa_mot_kommune=pl.col("u")
        - ((pl.col("u") * pl.col("par")).sum() / pl.col("par").sum()).over(
            "kommune", "til_year", "test"
        ),
        skoler_i_kommunen=pl.len().over("kommune", "til_year", "test"),
    )
    return (
        _labels(frame.rename({"til_year": "year"}).join(ids, on="school"))
        .select(
            "enhet_id",
            "kommunenr",
            pl.col("skoleaar").alias("til_aar"),
            "prove",
            "par",
            "vekst",
            "verdiskaping",
            "nivaa_mot_kommune",
            "skoler_i_kommunen",
        )
        .sort("til_aar", "prove", "enhet_id")
    )


def _cohort_truth(nasjon: Nasjon, cells: pl.DataFrame, ids: pl.DataFrame) -> pl.DataFrame:
    """Published 8. trinn (Y) against 9. trinn (Y + 1): school and kommune truths."""
    shift = nasjon.shift
    gain = nasjon.parametre.gain

    def national(year: int, test: int) -> float:
        return gain + shift[(year, 9, test)] - shift[(year - 1, 8, test)]

    c = cells.filter(pl.col("trinn").is_in([8, 9]) & (pl.col("test") > 0))
    fra = c.filter(pl.col("trinn") == 8).select(
        "school", "kommune", "test", "nivaa", "k_nivaa", til_year=pl.col("year") + 1
    )
    til = c.filter(pl.col("trinn") == 9).select(
        "school", "kommune", "test", til_year="year", til_nivaa="nivaa", til_k="k_nivaa"
    )
    both = til.join(fra, on=["school", "kommune", "test", "til_year"])
    base = pl.Series(
        [national(int(y), int(t)) for y, t in zip(both["til_year"], both["test"], strict=True)],
        dtype=pl.Float64,
    )
    both = both.with_columns(
        skole=base + pl.col("til_nivaa") - pl.col("nivaa"),
        kommune_vekst=base + pl.col("til_k") - pl.col("k_nivaa"),
    )
    schools = _labels(both.rename({"til_year": "year"}).join(ids, on="school")).select(
        "enhet_id", pl.col("skoleaar").alias("til_aar"), "prove", vekst="skole"
    )
    kommune_ids = {k: knr for k, (knr, _, _) in enumerate(nasjon.kommuner)}
    kommuner = _labels(
        both.rename({"til_year": "year"})
        .group_by("kommune", "year", "test")
        .agg(vekst=pl.col("kommune_vekst").first())
    ).select(
        enhet_id=pl.col("kommune").replace_strict(kommune_ids, return_dtype=pl.String),
        til_aar="skoleaar",
        prove="prove",
        vekst="vekst",
    )
    return pl.concat([schools, kommuner]).sort("til_aar", "prove", "enhet_id")


def _spread_truth(nasjon: Nasjon, cells: pl.DataFrame) -> pl.DataFrame:
    p = nasjon.parametre
    kommune_ids = {k: knr for k, (knr, _, _) in enumerate(nasjon.kommuner)}
    shown = cells.filter(pl.col("antall") >= p.min_published)
    frame = _labels(
        shown.group_by("kommune", "year", "trinn", "test").agg(
            skoler=pl.len(), var_sann=pl.col("nivaa").var()
        )
    )
    model_9 = p.school_sd**2 + p.growth_sd**2
    return frame.select(
        kommunenr=pl.col("kommune").replace_strict(kommune_ids, return_dtype=pl.String),
        skoleaar="skoleaar",
        trinn=pl.col("trinn").cast(pl.Int16),
        prove="prove",
        skoler="skoler",
        var_sann="var_sann",
        var_modell=pl.when(pl.col("trinn") == 9).then(model_9).otherwise(p.school_sd**2),
    ).sort("skoleaar", "trinn", "prove", "kommunenr")


def med(p: Parametre, **changes: Any) -> Parametre:
    """A copy of ``p`` with some parameters changed (for a larger or smaller run)."""
    return replace(p, **changes)
