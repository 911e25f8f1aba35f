"""Coverage of tallkit's intervals against the simulation's truth (issue 7).

Shared by ``tests/test_dekning.py`` (assertions) and ``bench/dekning.py`` (the table). Every
measurement joins one tallkit output to the truth that ``simulering.sannhet`` computed from the
simulation's parameters, and reports the share of intervals that cover it (with its Monte Carlo
standard error and the number of intervals).

tallkit's output column names are used in one place only: ``KOLONNER``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Final

import numpy as np
import polars as pl

from simulering import Nasjon
from tallkit import api
from tallkit.config import Settings

# tallkit's output columns, by part. If a column is renamed, change it here only.
KOLONNER: Final = {
    "skoler": {
        "est": "forskjell", "lav": "forskjell_lav", "hoy": "forskjell_hoy", "flagg": "flagg",
        "trakt": "posisjon_998", "kilde": "usikkerhet_kilde", "referanse": "referanse_kilde",
    },
    "prover": {"est": "mot_kommune", "lav": "mot_kommune_lav", "hoy": "mot_kommune_hoy"},
    "landet": {"est": "mot_landet", "lav": "mot_landet_lav", "hoy": "mot_landet_hoy"},
    "spredning": {"tau": "sd_mellom_skoler", "skoler": "antall_skoler"},
    "elever": {"est": "endring", "lav": "endring_lav", "hoy": "endring_hoy", "gruppe": "gruppe"},
    "kull": {"est": "endring", "lav": "endring_lav", "hoy": "endring_hoy", "nivaa": "nivaa"},
    "verdiskaping": {"est": "restledd", "lav": "restledd_lav", "hoy": "restledd_hoy"},
    "profil": {"est": "profil", "lav": "profil_lav", "hoy": "profil_hoy", "flagg": "flagg"},
}  # fmt: skip
OVER, UNDER = "over", "under"

SCENARIOS: Final = {
    # name: (pupil file ingested, kommune Usikkerhet published)
    "elevdata": (True, True),
    "publisert": (False, True),
    "kommune_uten_usikkerhet": (False, False),
}


def bygg(nasjon: Nasjon, folder: Path, scenario: str) -> Settings:
    """Write the scenario's files into ``folder`` and ingest them into a new database."""
    with_pupils, kommune_half_width = SCENARIOS[scenario]
    files = folder / "filer"
    nasjon.write_np(files, kommune_usikkerhet=kommune_half_width)
    if with_pupils:
        nasjon.write_pupils(files)
    settings = Settings(db_path=folder / "sim.duckdb", key_file=folder / "nokkel")
    report = api.ingest([files], settings=settings)
    if report.exit_code != 0:
        raise RuntimeError(f"innlesing feilet: {[f.error for f in report.files]}")
    return settings


@dataclass(frozen=True)
class Andel:
    """A share with its Monte Carlo standard error.

    The SE treats kommuner as independent clusters (a school's tests share its pupils, and the
    schools of a kommune share its mean), so it is larger than the binomial SE."""

    treff: int
    n: int
    se: float

    @property
    def verdi(self) -> float:
        return self.treff / self.n if self.n else math.nan

    def __str__(self) -> str:
        return f"{100 * self.verdi:.1f} % (±{100 * self.se:.1f}, n = {self.n})"


def andel(mask: pl.Series, klynge: pl.Series | None = None) -> Andel:
    """The share of true values in ``mask``, with a cluster-robust SE (clusters ``klynge``)."""
    n = mask.len()
    if n == 0:
        return Andel(0, 0, math.nan)
    hits = int(mask.sum())
    p = hits / n
    if klynge is None:
        return Andel(hits, n, math.sqrt(p * (1 - p) / n))
    per = (
        pl.DataFrame({"x": mask.cast(pl.Float64), "k": klynge})
        .group_by("k")
        .agg(s=pl.col("x").sum(), m=pl.len())
    )
    spread = float(((per["s"] - p * per["m"]) ** 2).sum())
    return Andel(hits, n, math.sqrt(spread) / n)


def _kommune(frame: pl.DataFrame) -> pl.Series:
    return frame["kommunenr"]


def _covers(frame: pl.DataFrame, cols: dict[str, str], truth: str) -> pl.Series:
    return (frame[cols["lav"]] <= frame[truth]) & (frame[truth] <= frame[cols["hoy"]])


def dekning(frame: pl.DataFrame, cols: dict[str, str], truth: str) -> Andel:
    return andel(_covers(frame, cols, truth), _kommune(frame))


@dataclass(frozen=True)
class Regresjon:
    """OLS of an estimate on the true value and the school's true level."""

    koeff: tuple[float, ...]  # constant, true value, level
    se: tuple[float, ...]
    n: int

    def ki(self, i: int) -> tuple[float, float]:
        return self.koeff[i] - 1.96 * self.se[i], self.koeff[i] + 1.96 * self.se[i]


def ols(y: np.ndarray, *xs: np.ndarray) -> Regresjon:
    x = np.column_stack([np.ones(len(y)), *xs])
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    resid = y - x @ beta
    sigma2 = float(resid @ resid) / (len(y) - x.shape[1])
    cov = sigma2 * np.linalg.inv(x.T @ x)
    return Regresjon(
        tuple(float(b) for b in beta), tuple(float(s) for s in np.sqrt(np.diag(cov))), len(y)
    )


class Maaling:
    """Lazily runs tallkit on one ingested scenario and joins every part to the truth."""

    def __init__(self, nasjon: Nasjon, settings: Settings) -> None:
        self.nasjon = nasjon
        self.settings = settings
        self.truth = nasjon.truth

    def _run(self, command: Callable[..., pl.DataFrame], part: str) -> pl.DataFrame:
        return command(part, settings=self.settings)

    def _run_estimator(self, command: Callable[..., pl.DataFrame], part: str) -> pl.DataFrame:
        """The estimator itself, below cross-table suppression: with pupils moving, most paired
        rows are (rightly) hidden at the real minimum, which would leave too few to measure
        coverage on. Rows under the real minimum are dropped again, as the plain rule would."""
        import dataclasses

        unsuppressed = dataclasses.replace(self.settings, min_group=1)
        return command(part, settings=unsuppressed).filter(
            pl.col("antall") >= self.settings.min_group
        )

    # -- variasjon --del skoler: school − kommune -----------------------------------------

    @cached_property
    def skoler(self) -> pl.DataFrame:
        """Every row of ``variasjon --del skoler`` with its truth."""
        out = self._run(api.variasjon, "skoler")
        return out.join(
            self.truth["skoler"].drop("kommunenr", "antall"),
            on=["enhet_id", "skoleaar", "trinn", "prove"],
            how="left",
        )

    @cached_property
    def skoler_flere(self) -> pl.DataFrame:
        """Rows whose kommune has more than one school with pupils in the cell."""
        c = KOLONNER["skoler"]
        return self.skoler.filter(
            (pl.col("skoler_i_kommunen") > 1) & pl.col(c["est"]).is_not_null()
        )

    def gap_dekning(self, min_vekt: float = 0.0) -> Andel:
        c = KOLONNER["skoler"]
        rows = self.skoler_flere.filter(pl.col("vekt") >= min_vekt)
        return dekning(rows, c, "gap_kommune")

    def null_bredde(self, part: str = "skoler") -> Andel:
        """Intervals of zero width among the shown comparisons (also single-school kommuner)."""
        c = KOLONNER[part]
        frame = self.skoler if part == "skoler" else self.prover
        shown = frame.filter(pl.col(c["lav"]).is_not_null() & pl.col(c["hoy"]).is_not_null())
        return andel((shown[c["hoy"]] - shown[c["lav"]]) <= 1e-9, _kommune(shown))

    def falske_flagg(self, grense: float = 0.5) -> Andel:
        """Flagged over/under although the school's true |gap| to its kommune is under 0.5."""
        c = KOLONNER["skoler"]
        rows = self.skoler_flere.filter(pl.col("gap_kommune").abs() < grense)
        return andel(rows[c["flagg"]].is_in([OVER, UNDER]), _kommune(rows))

    def feil_retning(self) -> Andel:
        """Among flagged schools: the share whose true gap has the opposite sign."""
        c = KOLONNER["skoler"]
        flagged = self.skoler_flere.filter(pl.col(c["flagg"]).is_in([OVER, UNDER]))
        wrong = ((flagged[c["flagg"]] == OVER) & (flagged["gap_kommune"] < 0)) | (
            (flagged[c["flagg"]] == UNDER) & (flagged["gap_kommune"] > 0)
        )
        return andel(wrong, _kommune(flagged))

    def enskole(self) -> pl.DataFrame:
        """Rows of schools alone in their kommune (the cell): what is shown for them."""
        return self.skoler.filter(pl.col("skoler_i_kommunen") == 1)

    def enskole_uten_referanse(self) -> pl.DataFrame:
        """Single-school rows with no comparison whose ``referanse_kilde`` does not say that
        the school is compared with the nation only (they must say so)."""
        c = KOLONNER["skoler"]
        return self.enskole().filter(
            pl.col(c["est"]).is_null() & ~pl.col(c["referanse"]).str.contains("landet")
        )

    def enskole_dekning(self) -> Andel:
        """Schools alone in their kommune: a shown school − kommune interval must cover the
        truth of what it compares with (the nation when ``referanse_kilde`` says so, else the
        kommune: gap 0), and ``fag --del prover``'s ``mot_landet`` the gap to the nation."""
        c = KOLONNER["skoler"]
        rows = self.enskole().filter(pl.col(c["est"]).is_not_null())
        truth = (
            pl.when(pl.col(c["referanse"]).str.contains("land"))
            .then(pl.col("gap_landet"))
            .otherwise(pl.col("gap_kommune"))
        )
        shown = _covers(rows.with_columns(_sann=truth), c, "_sann")
        nation = self.prover.filter(
            (pl.col("skoler_i_kommunen") == 1) & pl.col(KOLONNER["landet"]["est"]).is_not_null()
        )
        both = pl.concat([shown, _covers(nation, KOLONNER["landet"], "gap_landet")])
        return andel(both, pl.concat([_kommune(rows), _kommune(nation)]))

    def landet_dekning(self) -> Andel:
        """``fag --del prover``: school − nation covers the gap to the nation's pupil-weighted
        mean of the lasting effects (every published school)."""
        c = KOLONNER["landet"]
        rows = self.prover.filter(pl.col(c["est"]).is_not_null())
        return dekning(rows, c, "gap_landet")

    def trakt_utenfor(self) -> Andel:
        """Schools outside the 99.8 % funnel limits."""
        c = KOLONNER["skoler"]
        rows = self.skoler.filter(pl.col(c["trakt"]).is_not_null())
        return andel(rows[c["trakt"]] != "innenfor", _kommune(rows))

    def kilder(self) -> list[str]:
        return sorted(set(self.skoler[KOLONNER["skoler"]["kilde"]].drop_nulls().to_list()))

    # -- fag --del prover: school − kommune ---------------------------------------------

    @cached_property
    def prover(self) -> pl.DataFrame:
        out = self._run(api.fag, "prover")
        return out.join(
            self.truth["skoler"].drop("kommunenr", "antall"),
            on=["enhet_id", "skoleaar", "trinn", "prove"],
            how="left",
        )

    def prover_dekning(self, min_vekt: float = 0.0) -> Andel:
        c = KOLONNER["prover"]
        rows = self.prover.filter(
            (pl.col("skoler_i_kommunen") > 1)
            & pl.col(c["est"]).is_not_null()
            & (pl.col("vekt") >= min_vekt)
        )
        return dekning(rows, c, "gap_kommune")

    # -- variasjon --del spredning ------------------------------------------------------

    def spredning(self, min_skoler: int = 4) -> tuple[float, float, int]:
        """(mean τ̂² / mean true between-school variance, the same against the model, cells)."""
        c = KOLONNER["spredning"]
        out = self._run(api.variasjon, "spredning")
        joined = out.join(
            self.truth["spredning"], on=["kommunenr", "skoleaar", "trinn", "prove"]
        ).filter(pl.col(c["skoler"]) >= min_skoler)
        tau2 = (joined[c["tau"]] ** 2).mean()
        assert isinstance(tau2, float)
        real = joined["var_sann"].mean()
        model = joined["var_modell"].mean()
        assert isinstance(real, float) and isinstance(model, float)
        return tau2 / real, tau2 / model, joined.height

    # -- progresjon ---------------------------------------------------------------------

    @cached_property
    def elever(self) -> pl.DataFrame:
        c = KOLONNER["elever"]
        out = self._run_estimator(api.progresjon, "elever").filter(
            (pl.col("fra_trinn") == 8) & (pl.col(c["gruppe"]) == "alle")
            & pl.col(c["est"]).is_not_null()
        )  # fmt: skip
        return out.join(self.truth["vekst"], on=["enhet_id", "til_aar", "prove"], how="inner")

    def vekst_dekning(self) -> Andel:
        return dekning(self.elever, KOLONNER["elever"], "vekst")

    @cached_property
    def kull(self) -> pl.DataFrame:
        c = KOLONNER["kull"]
        out = self._run(api.progresjon, "kull").filter(
            (pl.col("fra_trinn") == 8) & pl.col(c["est"]).is_not_null()
        )
        return out.join(self.truth["kull"], on=["enhet_id", "til_aar", "prove"], how="inner")

    def kull_dekning(self, nivaa: str) -> Andel:
        c = KOLONNER["kull"]
        rows = self.kull.filter(pl.col(c["nivaa"]) == nivaa)
        return dekning(rows, c, "vekst")

    @cached_property
    def verdiskaping(self) -> pl.DataFrame:
        """Value added rows of kommuner with at least two schools (alone, it is 0 by design)."""
        c = KOLONNER["verdiskaping"]
        out = self._run_estimator(api.progresjon, "verdiskaping").filter(
            (pl.col("fra_trinn") == 8) & pl.col(c["est"]).is_not_null()
        )
        return out.join(
            self.truth["vekst"].drop("kommunenr"), on=["enhet_id", "til_aar", "prove"]
        ).filter(pl.col("skoler_i_kommunen") > 1)

    def verdiskaping_dekning(self) -> Andel:
        return dekning(self.verdiskaping, KOLONNER["verdiskaping"], "verdiskaping")

    def verdiskaping_regresjon(self) -> Regresjon:
        """restledd = a + b · true value added + c · true level against the kommune."""
        rows = self.verdiskaping
        return ols(
            rows[KOLONNER["verdiskaping"]["est"]].to_numpy(),
            rows["verdiskaping"].to_numpy(),
            rows["nivaa_mot_kommune"].to_numpy(),
        )

    # -- fag --del profil ---------------------------------------------------------------

    @cached_property
    def profil(self) -> pl.DataFrame:
        c = KOLONNER["profil"]
        out = self._run(api.fag, "profil").filter(pl.col(c["est"]).is_not_null())
        truth = self.truth["skoler"].select(
            "enhet_id", "kommunenr", "skoleaar", "trinn", "prove", sann_profil="profil"
        )
        return out.join(truth, on=["enhet_id", "skoleaar", "trinn", "prove"]).filter(
            pl.col("sann_profil").is_not_null()
        )

    def profil_dekning(self) -> Andel:
        return dekning(self.profil, KOLONNER["profil"], "sann_profil")

    def profil_oppdaget(self, grense: float = 3.0) -> Andel:
        """Real profiles of at least ``grense`` points flagged in their own direction."""
        f = KOLONNER["profil"]["flagg"]
        rows = self.profil.filter(pl.col("sann_profil").abs() >= grense)
        right = ((rows[f] == OVER) & (rows["sann_profil"] > 0)) | (
            (rows[f] == UNDER) & (rows["sann_profil"] < 0)
        )
        return andel(right, _kommune(rows))


# -- the oracle: the model's own sampling variance around tallkit's point estimates ----------


class Orakel:
    """Intervals around tallkit's point estimates with the variance the simulation's model
    implies (its parameters and the realised classes; nothing from tallkit's uncertainty).

    If these cover at the target rates on the same data, the targets are reachable and the
    truth is consistent with the point estimates: a method that fails where the oracle passes
    has the wrong uncertainty, not bad luck with the seed."""

    def __init__(self, maaling: Maaling) -> None:
        self.m = maaling
        nasjon = maaling.nasjon
        self.p = nasjon.parametre
        d = nasjon.results.filter(pl.col("status") == "D")
        self.d = d
        keys = ["school", "kommune", "year", "trinn", "test"]
        per_class = d.group_by(*keys, "klasse").agg(m=pl.len())
        self.cells = per_class.group_by(keys).agg(n=pl.col("m").sum(), m2=(pl.col("m") ** 2).sum())

    def _sampling_var(self, n: pl.Expr, m2: pl.Expr) -> pl.Expr:
        within = self.p.pupil_sd**2 + self.p.noise_sd**2
        return within / n + self.p.class_sd**2 * m2 / n**2

    def gap(self) -> pl.DataFrame:
        """``variasjon --del skoler`` rows (several schools in the kommune) with ``orakel_se``:
        var = (1 − w)² (var school + var rest of the kommune) + 2/12 (both means rounded)."""
        keys = ["kommune", "year", "trinn", "test"]
        cells = self.cells.join(
            self.cells.group_by(keys).agg(N=pl.col("n").sum(), M2=pl.col("m2").sum()), on=keys
        ).with_columns(w=pl.col("n") / pl.col("N"), rest=pl.col("N") - pl.col("n"))
        var = (1 - pl.col("w")) ** 2 * (
            self._sampling_var(pl.col("n"), pl.col("m2"))
            + pl.when(pl.col("rest") > 0)
            .then(self._sampling_var(pl.col("rest"), pl.col("M2") - pl.col("m2")))
            .otherwise(0.0)
        ) + 2 / 12
        cells = _keyed(cells.with_columns(orakel_se=var.sqrt()), self.m.nasjon)
        return self.m.skoler_flere.join(cells, on=["enhet_id", "skoleaar", "trinn", "prove"])

    def gap_dekning(self, min_vekt: float = 0.0) -> Andel:
        rows = _interval(self.gap(), KOLONNER["skoler"]["est"]).filter(pl.col("vekt") >= min_vekt)
        return dekning(rows, _ORAKEL, "gap_kommune")

    def falske_flagg(self) -> Andel:
        rows = _interval(self.gap(), KOLONNER["skoler"]["est"]).filter(
            pl.col("gap_kommune").abs() < 0.5
        )
        flagged = (rows["o_lav"] > 0) | (rows["o_hoy"] < 0)
        return andel(flagged, _kommune(rows))

    def feil_retning(self) -> Andel:
        rows = _interval(self.gap(), KOLONNER["skoler"]["est"])
        flagged = rows.filter((pl.col("o_lav") > 0) | (pl.col("o_hoy") < 0))
        wrong = ((flagged["o_lav"] > 0) & (flagged["gap_kommune"] < 0)) | (
            (flagged["o_hoy"] < 0) & (flagged["gap_kommune"] > 0)
        )
        return andel(wrong, _kommune(flagged))

    def vekst_dekning(self) -> Andel:
        """Paired 8 -> 9 change: var = 2 σ²_noise / n + σ²_class (Σ m²_9 + Σ m²_8) / n²."""
        d = self.d
        ninth = d.filter(pl.col("trinn") == 9).select("pupil", "test", "school", "klasse", "year")
        eighth = d.filter(pl.col("trinn") == 8).select(
            "pupil", "test", k8="klasse", s8="school", year=pl.col("year") + 1
        )
        pairs = ninth.join(eighth, on=["pupil", "test", "year"])
        keys = ["school", "year", "test"]
        m9 = pairs.group_by(*keys, "klasse").agg(m=pl.len()).group_by(keys)
        m8 = pairs.group_by(*keys, "s8", "k8").agg(m=pl.len()).group_by(keys)
        cells = m9.agg(n=pl.col("m").sum(), m2=(pl.col("m") ** 2).sum()).join(
            m8.agg(m28=(pl.col("m") ** 2).sum()), on=keys
        )
        var = (
            2 * self.p.noise_sd**2 / pl.col("n")
            + self.p.class_sd**2 * (pl.col("m2") + pl.col("m28")) / pl.col("n") ** 2
        )
        cells = _keyed(
            cells.with_columns(orakel_se=var.sqrt(), trinn=pl.lit(9)), self.m.nasjon
        ).rename({"skoleaar": "til_aar"})
        rows = self.m.elever.join(cells.drop("trinn"), on=["enhet_id", "til_aar", "prove"])
        return dekning(_interval(rows, KOLONNER["elever"]["est"]), _ORAKEL, "vekst")

    def spredning_forhold(self, min_skoler: int = 4) -> float:
        """τ² by DerSimonian–Laird from the published (rounded) school means with the model's
        sampling variance + 1/12, over the true variance, as ``Maaling.spredning``."""
        from tallkit import stats

        keys = ["kommune", "year", "trinn", "test"]
        var = self._sampling_var(pl.col("n"), pl.col("m2")) + 1 / 12
        cells = _keyed(self.cells.with_columns(orakel_se=var.sqrt()), self.m.nasjon)
        rows = self.m.skoler.join(cells, on=["enhet_id", "skoleaar", "trinn", "prove"])
        tau2, real = [], []
        truth = self.m.truth["spredning"]
        for key, block in rows.group_by("kommunenr", "skoleaar", "trinn", "prove"):
            if block.height < min_skoler:
                continue
            fit = stats.shrink(block["skalapoeng"].to_list(), (block["orakel_se"] ** 2).to_list())
            tau2.append(fit.tau2)
            match = truth.filter(
                (pl.col("kommunenr") == key[0]) & (pl.col("skoleaar") == key[1])
                & (pl.col("trinn") == key[2]) & (pl.col("prove") == key[3])
            )  # fmt: skip
            real.append(float(match["var_sann"][0]))
        del keys
        return float(np.mean(tau2) / np.mean(real))

    def profil(self) -> pl.DataFrame:
        """``fag --del profil`` rows with ``orakel_se``: pupils' lasting effects correlated
        ``pupil_test_corr``, class effects ``class_test_corr``, school and nation rounded."""
        p = self.p
        rows = self.m.profil
        k = rows.group_by("enhet_id", "skoleaar", "trinn").agg(k=pl.len())
        rows = rows.join(k, on=["enhet_id", "skoleaar", "trinn"])
        factor = 1 + 1 / (pl.col("k") - 1)  # var of x_t − mean of the other k − 1
        keys = ["enhet_id", "skoleaar", "trinn", "prove"]
        cells = _keyed(
            self.cells.with_columns(orakel_se=pl.col("m2") / pl.col("n") ** 2), self.m.nasjon
        )
        rows = rows.join(cells.rename({"orakel_se": "klasse_vekt"}), on=keys)
        pupils = p.pupil_sd**2 * (1 - p.pupil_test_corr) + p.noise_sd**2
        var = factor * (
            pupils / pl.col("antall")
            + p.class_sd**2 * (1 - p.class_test_corr) * pl.col("klasse_vekt")
            + 2 / 12
        )
        return rows.with_columns(orakel_se=var.sqrt())

    def profil_dekning(self) -> Andel:
        rows = _interval(self.profil(), KOLONNER["profil"]["est"])
        return dekning(rows, _ORAKEL, "sann_profil")

    def profil_oppdaget(self, grense: float = 3.0) -> Andel:
        rows = _interval(self.profil(), KOLONNER["profil"]["est"]).filter(
            pl.col("sann_profil").abs() >= grense
        )
        right = ((rows["o_lav"] > 0) & (rows["sann_profil"] > 0)) | (
            (rows["o_hoy"] < 0) & (rows["sann_profil"] < 0)
        )
        return andel(right, _kommune(rows))


_ORAKEL: Final = {"lav": "o_lav", "hoy": "o_hoy"}


def _interval(rows: pl.DataFrame, est: str) -> pl.DataFrame:
    return rows.with_columns(
        o_lav=pl.col(est) - 1.959964 * pl.col("orakel_se"),
        o_hoy=pl.col(est) + 1.959964 * pl.col("orakel_se"),
    )


def _keyed(cells: pl.DataFrame, nasjon: Nasjon) -> pl.DataFrame:
    """Simulation indices to tallkit's keys (orgnr, skoleår, trinn, prøve)."""
    from simulering import PROVE, TESTS, year_label

    orgnr = {i: s.orgnr for i, s in enumerate(nasjon.skoler)}
    return cells.select(
        enhet_id=pl.col("school").replace_strict(orgnr, return_dtype=pl.String),
        skoleaar=pl.col("year").map_elements(year_label, return_dtype=pl.String),
        trinn=pl.col("trinn").cast(pl.Int16),
        prove=pl.col("test").replace_strict(
            {i: PROVE[t] for i, t in enumerate(TESTS)}, return_dtype=pl.String
        ),
        orakel_se="orakel_se",
    )


# The targets (issue 7, «Done when», and the table's «should be»), as (lowest, highest) share.
# Where the issue gives only «≈ 95 %», the bounds are ours and say so in ``tabell``.
MAAL: Final[dict[str, tuple[float | None, float | None]]] = {
    "gap": (0.93, 0.97),
    "gap_dominerende": (0.90, None),  # w ≥ 0.5
    "falske_flagg": (None, 0.08),  # flagged although the true |gap| < 0.5
    "feil_retning": (None, 0.05),  # ours (the issue: ≈ 0); the oracle has 2.7 %, today 7.8 %
    "null_bredde": (None, 0.0),
    "enskole": (0.90, None),  # ours
    "trakt_utenfor": (None, 0.02),  # ours: additive τ promises ≈ 0.2 % outside 99.8 %
    "vekst": (0.92, 0.99),  # upper bound ours: wider than 99 % hides real growth
    "kull_skoler": (0.92, 0.99),  # ours (≈ 95 %)
    "kull_kommuner": (0.90, 0.995),  # ours (≈ 95 %); fewer units
    "verdiskaping": (0.90, 0.99),
    "verdiskaping_nivaa": (-0.05, 0.05),  # the level coefficient c
    "profil": (0.92, 0.98),
    "profil_oppdaget": (0.65, None),  # today 57 %, the oracle 77 % on the default run
    "spredning": (0.90, 1.10),  # τ̂² ratio relative to the oracle's (same estimator)
    "publisert": (0.90, 0.98),  # ours: a default design effect cannot fit every kommune
    "publisert_dominerende": (0.90, None),
}


def innenfor(navn: str, verdi: float) -> bool:
    low, high = MAAL[navn]
    return (low is None or verdi >= low) and (high is None or verdi <= high)


def maal_tekst(navn: str) -> str:
    low, high = MAAL[navn]
    if (low, high) == (None, 0.0):
        return "0"

    def pct(x: float) -> str:
        return f"{100 * x:g} %".replace(".", ",")

    if low is not None and high is not None:
        return f"{pct(low)}–{pct(high)}" if navn != "verdiskaping_nivaa" else f"|c| ≤ {high:g}"
    return f"≥ {pct(low)}" if low is not None else f"≤ {pct(high or 0.0)}"


@dataclass(frozen=True)
class Rad:
    hva: str
    maalt: str
    maal: str
    ok: bool | None


def tabell(maal: dict[str, Maaling]) -> list[Rad]:
    """The issue's coverage table from the three scenarios, with the oracle beside it."""
    m = maal["elevdata"]
    o = Orakel(m)
    rows: list[Rad] = []

    def share(hva: str, a: Andel, navn: str | None, orakel: Andel | None = None) -> None:
        text = str(a) + (f"; orakel {100 * orakel.verdi:.1f} %" if orakel is not None else "")
        ok = innenfor(navn, a.verdi) if navn is not None else None
        rows.append(Rad(hva, text, maal_tekst(navn) if navn else "høyere enn før", ok))

    share("skoler: skole − kommune dekker varig avstand", m.gap_dekning(), "gap", o.gap_dekning())
    share(
        "  … dominerende skoler (w ≥ 0,5)",
        m.gap_dekning(0.5),
        "gap_dominerende",
        o.gap_dekning(0.5),
    )
    share("  … skoler med w ≥ 0,8", m.gap_dekning(0.8), "gap_dominerende", o.gap_dekning(0.8))
    share(
        "skoler: flagget, sann |avstand| < 0,5", m.falske_flagg(), "falske_flagg", o.falske_flagg()
    )
    share(
        "skoler: flagg i feil retning (av flaggede)",
        m.feil_retning(),
        "feil_retning",
        o.feil_retning(),
    )
    share("skoler: intervall med null bredde", m.null_bredde(), "null_bredde")
    share("skoler: alene i kommunen, dekker", m.enskole_dekning(), "enskole")
    share("fag prover: mot landet dekker", m.landet_dekning(), "gap")
    share("skoler: utenfor 99,8 %-trakten", m.trakt_utenfor(), "trakt_utenfor")
    share("fag prover: mot kommunen dekker", m.prover_dekning(), "gap")
    share("  … dominerende skoler (w ≥ 0,5)", m.prover_dekning(0.5), "gap_dominerende")
    share("progresjon elever 8→9 dekker sann vekst", m.vekst_dekning(), "vekst", o.vekst_dekning())
    share("progresjon kull 8→9, skoler", m.kull_dekning("skole"), "kull_skoler")
    share("progresjon kull 8→9, kommuner", m.kull_dekning("kommune"), "kull_kommuner")
    share("verdiskaping dekker sann verdiskaping", m.verdiskaping_dekning(), "verdiskaping")
    reg = m.verdiskaping_regresjon()
    low, high = reg.ki(2)
    rows.append(
        Rad(
            "verdiskaping: restledd = a + b·sann + c·nivå",
            f"b = {reg.koeff[1]:.2f}, c = {reg.koeff[2]:.3f} [{low:.3f}, {high:.3f}] (n = {reg.n})",
            maal_tekst("verdiskaping_nivaa"),
            innenfor("verdiskaping_nivaa", reg.koeff[2]),
        )
    )
    share("fag profil dekker sann profil", m.profil_dekning(), "profil", o.profil_dekning())
    share(
        "fag profil: ekte profil ≥ 3 poeng oppdaget",
        m.profil_oppdaget(),
        "profil_oppdaget",
        o.profil_oppdaget(),
    )
    ratio, _model, cells = m.spredning(3)
    oracle = o.spredning_forhold(3)
    rows.append(
        Rad(
            "spredning: τ̂² / sann varians (orakelet)",
            f"{ratio:.3f} (orakel {oracle:.3f}, forhold {ratio / oracle:.3f}; {cells} celler)",
            maal_tekst("spredning").replace(" %", "").replace("90–110", "0,90–1,10")
            + " av orakelet",
            innenfor("spredning", ratio / oracle),
        )
    )
    p = maal["publisert"]
    share("bare publiserte tall: skole − kommune dekker", p.gap_dekning(), "publisert")
    share("  … dominerende skoler (w ≥ 0,5)", p.gap_dekning(0.5), "publisert_dominerende")
    share("  … null bredde", p.null_bredde(), "null_bredde")
    k = maal["kommune_uten_usikkerhet"]
    share("kommunens Usikkerhet mangler: dekker", k.gap_dekning(), "publisert")
    share("  … dominerende skoler (w ≥ 0,5)", k.gap_dekning(0.5), "publisert_dominerende")
    share("  … null bredde (variasjon)", k.null_bredde(), "null_bredde")
    share("  … null bredde (fag prover)", k.null_bredde("prover"), "null_bredde")
    return rows
