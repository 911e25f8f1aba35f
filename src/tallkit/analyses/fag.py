"""Cross-subject comparison (PRODUCT.md §4.2).

- ``prover``: each school's result per test against its kommune (part–whole corrected) and the
  nation, flagged ``over``/``under``/``ikke_sikker``.
- ``profil``: which test stands out relative to the school's other tests, beyond the uncertainty.
- ``sammenheng``: from pupil data, the correlation between tests and the pupils at the lowest
  mastery level in one test but not the other, or in both.
- ``indikatorer``: national tests beside Elevundersøkelsen and grunnskolepoeng for the same year.
"""

from __future__ import annotations

import math
from typing import Any, Final

import polars as pl

from tallkit import skjerming, stats
from tallkit.analyses import (
    Analysis,
    Filters,
    frame_of,
    group_rows,
    run_query,
    school_rows,
    school_se,
    suppression_plan,
)
from tallkit.formats.cells import MISSING, OK, SUPPRESSED
from tallkit.store import Store

# Higher is better for every indicator except bullying (a share of pupils bullied).
LOWER_IS_BETTER: Final = frozenset({"EUIndeks_1398"})

TEST_SCHEMA: Final = {
    "skoleaar": pl.String,
    "aar_slatt_sammen": pl.Int32,
    "trinn": pl.Int16,
    "prove": pl.String,
    "kommunenr": pl.String,
    "enhet_id": pl.String,
    "navn": pl.String,
    "antall": pl.Int64,
    "skalapoeng": pl.Float64,
    "se": pl.Float64,
    "usikkerhet_kilde": pl.String,
    "kommune": pl.Float64,
    "mot_kommune": pl.Float64,
    "mot_kommune_lav": pl.Float64,
    "mot_kommune_hoy": pl.Float64,
    "flagg_kommune": pl.String,
    "landet": pl.Float64,
    "mot_landet": pl.Float64,
    "mot_landet_lav": pl.Float64,
    "mot_landet_hoy": pl.Float64,
    "flagg_landet": pl.String,
}
PROFILE_SCHEMA: Final = {
    "skoleaar": pl.String,
    "aar_slatt_sammen": pl.Int32,
    "trinn": pl.Int16,
    "enhet_id": pl.String,
    "navn": pl.String,
    "prove": pl.String,
    "antall": pl.Int64,
    "mot_landet": pl.Float64,
    "profil": pl.Float64,
    "profil_lav": pl.Float64,
    "profil_hoy": pl.Float64,
    "flagg": pl.String,
}
LINK_SCHEMA: Final = {
    "skoleaar": pl.String,
    "trinn": pl.Int16,
    "enhet_id": pl.String,
    "navn": pl.String,
    "prove_a": pl.String,
    "prove_b": pl.String,
    "antall": pl.Int64,
    "korrelasjon": pl.Float64,
    "korrelasjon_lav": pl.Float64,
    "korrelasjon_hoy": pl.Float64,
    "lav_bare_a": pl.Int64,
    "lav_bare_b": pl.Int64,
    "lav_begge": pl.Int64,
    "andel_lav_bare_a": pl.Float64,
    "andel_lav_bare_b": pl.Float64,
    "andel_lav_begge": pl.Float64,
}
INDICATOR_SCHEMA: Final = {
    "skoleaar": pl.String,
    "enhet_id": pl.String,
    "navn": pl.String,
    "kilde": pl.String,
    "trinn": pl.Int16,
    "indikator_kode": pl.String,
    "indikator": pl.String,
    "retning": pl.String,
    "status": pl.String,
    "antall": pl.Int64,
    "verdi": pl.Float64,
    "se": pl.Float64,
    "usikkerhet_kilde": pl.String,
    "kommune": pl.Float64,
    "landet": pl.Float64,
    "mot_landet": pl.Float64,
    "mot_landet_lav": pl.Float64,
    "mot_landet_hoy": pl.Float64,
    "flagg_landet": pl.String,
}


def _interval(diff: float, se: float) -> tuple[float, float, str]:
    return diff - stats.Z95 * se, diff + stats.Z95 * se, stats.flag(diff, se)


def by_test(store: Store, filters: Filters, min_group: int) -> pl.DataFrame:
    """Each test against the kommune (part–whole) and the nation."""
    out = []
    for row in school_rows(store, filters, min_group):
        if filters.skole is not None and row["enhet_id"] != filters.skole:
            continue
        se, source = school_se(row)
        keys = ("skoleaar", "aar_slatt_sammen", "trinn", "prove", "kommunenr", "enhet_id", "navn")
        result = {k: row[k] for k in keys}
        result |= {"antall": row["antall"], "skalapoeng": row["skalapoeng"], "se": se}
        result |= {
            "usikkerhet_kilde": source,
            "kommune": row["kommune_snitt"],
            "landet": row["land_snitt"],
        }
        if row["kommune_snitt"] is not None and row["kommune_antall"]:
            weight = min(row["antall"] / row["kommune_antall"], 0.99)
            k_se = stats.se_from_half_width(row["kommune_usikkerhet"] or 0.0)
            diff = row["skalapoeng"] - row["kommune_snitt"]
            low, high, flag = _interval(diff, stats.part_whole_se(se, k_se, weight))
            result |= {"mot_kommune": diff, "mot_kommune_lav": low, "mot_kommune_hoy": high}
            result["flagg_kommune"] = flag
        if row["land_snitt"] is not None:
            l_se = stats.se_from_half_width(row["land_usikkerhet"] or 0.0)
            diff = row["skalapoeng"] - row["land_snitt"]
            low, high, flag = _interval(diff, math.hypot(se, l_se))
            result |= {"mot_landet": diff, "mot_landet_lav": low, "mot_landet_hoy": high}
            result["flagg_landet"] = flag
        out.append(result)
    return frame_of(out, TEST_SCHEMA)


def profile(store: Store, filters: Filters, min_group: int) -> pl.DataFrame:
    """Per school, year and trinn: each test's distance to the nation minus the mean distance of
    the school's other tests. The tests' errors are taken as independent, which is cautious:
    the same pupils take all tests, and a positive correlation would narrow the interval."""
    compared = by_test(store, filters, min_group).filter(pl.col("mot_landet").is_not_null())
    out = []
    for rows in group_rows(compared.to_dicts(), ("skoleaar", "trinn", "enhet_id")).values():
        if len(rows) < 2:
            continue
        for row in rows:
            others = [r for r in rows if r is not row]
            other_mean = math.fsum(r["mot_landet"] for r in others) / len(others)
            var = row["se"] ** 2 + math.fsum(r["se"] ** 2 for r in others) / len(others) ** 2
            diff = row["mot_landet"] - other_mean
            low, high, flag = _interval(diff, math.sqrt(var))
            out.append(
                {
                    "skoleaar": row["skoleaar"],
                    "aar_slatt_sammen": row["aar_slatt_sammen"],
                    "trinn": row["trinn"],
                    "enhet_id": row["enhet_id"],
                    "navn": row["navn"],
                    "prove": row["prove"],
                    "antall": row["antall"],
                    "mot_landet": row["mot_landet"],
                    "profil": diff,
                    "profil_lav": low,
                    "profil_hoy": high,
                    "flagg": flag,
                }
            )
    return frame_of(out, PROFILE_SCHEMA)


def links(store: Store, filters: Filters, min_group: int) -> pl.DataFrame:
    """Pupil-level correlation between tests (Fisher z interval) and low-in-one/both counts."""
    frame = run_query(store, "fag_sammenheng", filters.params("aar", "trinn", "kommune", "skole"))
    out = []
    for row in frame.filter(pl.col("antall") >= min_group).to_dicts():
        n = row["antall"]
        r = _correlation(n, row["sum_a"], row["sum_b"], row["sum_aa"], row["sum_bb"], row["sum_ab"])
        low = high = None
        if r is not None and n > 3 and abs(r) < 1:
            z, half = math.atanh(r), stats.Z95 / math.sqrt(n - 3)
            low, high = math.tanh(z - half), math.tanh(z + half)
        out.append(
            {
                **{k: row[k] for k in LINK_SCHEMA if k in row},
                "korrelasjon": r,
                "korrelasjon_lav": low,
                "korrelasjon_hoy": high,
                "andel_lav_bare_a": row["lav_bare_a"] / n,
                "andel_lav_bare_b": row["lav_bare_b"] / n,
                "andel_lav_begge": row["lav_begge"] / n,
            }
        )
    # suppression across tables (skjerming.py)
    out = skjerming.sammenheng_rows(out, suppression_plan(store, min_group))
    return frame_of(out, LINK_SCHEMA)


def _correlation(n: int, sa: float, sb: float, saa: float, sbb: float, sab: float) -> float | None:
    """Pearson's r from exact sums (None when a test has no spread)."""
    var_a, var_b = n * saa - sa * sa, n * sbb - sb * sb
    if var_a <= 0 or var_b <= 0:
        return None
    return (n * sab - sa * sb) / math.sqrt(var_a * var_b)


def indicators(store: Store, filters: Filters, min_group: int) -> pl.DataFrame:
    """National tests, Elevundersøkelsen and grunnskolepoeng side by side per school and year."""
    frame = run_query(store, "fag_indikatorer", filters.params("aar", "kommune", "skole"))
    out = []
    for row in frame.to_dicts():
        result = {k: row[k] for k in INDICATOR_SCHEMA if k in row}
        code = row["indikator_kode"]
        result["retning"] = "lavere er bedre" if code in LOWER_IS_BETTER else "høyere er bedre"
        if row["status"] != OK or row["verdi"] is None or (row["antall"] or 0) < min_group:
            result |= {"status": SUPPRESSED if row["status"] != MISSING else MISSING}
            result |= {"antall": None, "verdi": None}
            out.append(result)
            continue
        se, source = _indicator_se(row)
        result |= {"se": se, "usikkerhet_kilde": source}
        if row["landet"] is not None:
            diff = row["verdi"] - row["landet"]
            result["mot_landet"] = diff
            if se is not None:
                low, high, flag = _interval(diff, se)
                result |= {"mot_landet_lav": low, "mot_landet_hoy": high, "flagg_landet": flag}
        out.append(result)
    return frame_of(out, INDICATOR_SCHEMA)


def _indicator_se(row: dict[str, Any]) -> tuple[float | None, str]:
    if row["usikkerhet"] is not None:
        return stats.se_from_half_width(row["usikkerhet"]), "udir"
    if row["standardavvik"] is not None and row["antall"]:
        return row["standardavvik"] / math.sqrt(row["antall"]), "standardavvik og n"
    # No spread in the export (grunnskolepoeng): say so rather than invent an interval.
    return None, "ingen (eksporten oppgir ikke spredning)"


PARTS: Final[dict[str, Analysis]] = {
    "prover": by_test,
    "profil": profile,
    "sammenheng": links,
    "indikatorer": indicators,
}
