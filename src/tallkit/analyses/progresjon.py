"""Progression: the same pupils over time (PRODUCT.md §4.1).

- ``kull``: published results, same cohort: 8. trinn (Y) -> 9. trinn (Y+1) on the same scale, and
  5. trinn (Y) -> 8. trinn (Y+3) as the change in position against the nation.
- ``elever``: pupil pairs: the mean paired change per school (and group), and the mastery-level
  transitions (up / same / down). For 5 -> 8 the pupils are followed from the school they came
  from (avgiverskole).
- ``verdiskaping``: value added: each pupil's later result against what a regression pooled over
  the kommune expects from the earlier result; the school's mean residual with interval and
  empirical Bayes shrinkage. Not SSB's «skolebidrag», which also adjusts for family background.
- ``trend``: a school's results over the years with intervals; every series break is marked.
"""

from __future__ import annotations

import math
from typing import Any, Final

import polars as pl

from tallkit import skjerming, stats
from tallkit.analyses import (
    NATIONAL_SD,
    Analysis,
    Filters,
    frame_of,
    group_rows,
    run_query,
    suppression_plan,
)
from tallkit.brudd import SeriesBreak, breaks_between
from tallkit.formats.cells import MISSING, OK, SUPPRESSED
from tallkit.store import Store

VALUE_ADDED_METHOD: Final = (
    "lineær regresjon av senere resultat på tidligere, samlet for kommunen; skolens snitt av "
    "restleddene, krympet med empirisk Bayes (DerSimonian–Laird). Ikke SSBs skolebidrag, som "
    "også justerer for familiebakgrunn."
)
COHORT_SCHEMA: Final = {
    "til_aar": pl.String,
    "fra_aar": pl.String,
    "fra_trinn": pl.Int16,
    "til_trinn": pl.Int16,
    "prove": pl.String,
    "nivaa": pl.String,
    "kommunenr": pl.String,
    "enhet_id": pl.String,
    "navn": pl.String,
    "fra_antall": pl.Int64,
    "til_antall": pl.Int64,
    "fra_skalapoeng": pl.Float64,
    "til_skalapoeng": pl.Float64,
    "endring": pl.Float64,
    "endring_lav": pl.Float64,
    "endring_hoy": pl.Float64,
    "fra_mot_landet": pl.Float64,
    "til_mot_landet": pl.Float64,
    "endring_mot_landet": pl.Float64,
    "endring_mot_landet_lav": pl.Float64,
    "endring_mot_landet_hoy": pl.Float64,
    "flagg": pl.String,
    "fra_mot_kommune": pl.Float64,
    "til_mot_kommune": pl.Float64,
    "endring_mot_kommune": pl.Float64,
    "sammenligning": pl.String,
}
PAIRED_SCHEMA: Final = {
    "til_aar": pl.String,
    "fra_trinn": pl.Int16,
    "til_trinn": pl.Int16,
    "prove": pl.String,
    "enhet_id": pl.String,
    "gruppe": pl.String,
    "status": pl.String,
    "antall": pl.Int64,
    "endring": pl.Float64,
    "endring_lav": pl.Float64,
    "endring_hoy": pl.Float64,
    "andel_opp": pl.Float64,
    "andel_samme": pl.Float64,
    "andel_ned": pl.Float64,
}
VALUE_ADDED_SCHEMA: Final = {
    "til_aar": pl.String,
    "fra_trinn": pl.Int16,
    "til_trinn": pl.Int16,
    "prove": pl.String,
    "kommunenr": pl.String,
    "enhet_id": pl.String,
    "antall": pl.Int64,
    "restledd": pl.Float64,
    "restledd_lav": pl.Float64,
    "restledd_hoy": pl.Float64,
    "krympet": pl.Float64,
    "krympet_lav": pl.Float64,
    "krympet_hoy": pl.Float64,
    "flagg": pl.String,
    "stigning": pl.Float64,
    "konstant": pl.Float64,
    "metode": pl.String,
}
TREND_SCHEMA: Final = {
    "enhet_id": pl.String,
    "trinn": pl.Int16,
    "prove": pl.String,
    "skoleaar": pl.String,
    "status": pl.String,
    "antall": pl.Int64,
    "skalapoeng": pl.Float64,
    "lav": pl.Float64,
    "hoy": pl.Float64,
    "usikkerhet_kilde": pl.String,
    "landet": pl.Float64,
    "serie": pl.Int32,
    "brudd_for": pl.String,
}


def _se(half_width: float | None, n: int | None) -> float:
    if half_width is not None and half_width > 0:
        return stats.se_from_half_width(half_width)
    return NATIONAL_SD / math.sqrt(n or 1)


def cohort(store: Store, filters: Filters, min_group: int) -> pl.DataFrame:
    """Published results of the same cohort at two trinn (school and kommune rows)."""
    frame = run_query(store, "progresjon_kull", filters.params("aar", "prove", "kommune"))
    frame = frame.filter((pl.col("fra_antall") >= min_group) & (pl.col("til_antall") >= min_group))
    out = []
    for row in frame.to_dicts():
        if filters.skole is not None and row["enhet_id"] != filters.skole:
            continue
        se_from = _se(row["fra_usikkerhet"], row["fra_antall"])
        se_to = _se(row["til_usikkerhet"], row["til_antall"])
        # Mostly the same pupils at both ends: treating the ends as independent is cautious.
        se = math.hypot(se_from, se_to)
        same_scale = row["fra_trinn"] == 8
        change = row["til_skalapoeng"] - row["fra_skalapoeng"] if same_scale else None
        result = {k: row[k] for k in COHORT_SCHEMA if k in row}
        result["endring"] = change
        if change is not None:
            result |= {
                "endring_lav": change - stats.Z95 * se,
                "endring_hoy": change + stats.Z95 * se,
            }
        if row["fra_landet"] is not None and row["til_landet"] is not None:
            before = row["fra_skalapoeng"] - row["fra_landet"]
            after = row["til_skalapoeng"] - row["til_landet"]
            relative = after - before
            result |= {
                "fra_mot_landet": before,
                "til_mot_landet": after,
                "endring_mot_landet": relative,
                "endring_mot_landet_lav": relative - stats.Z95 * se,
                "endring_mot_landet_hoy": relative + stats.Z95 * se,
                "flagg": stats.flag(relative, se),
            }
        if row["fra_kommune"] is not None and row["til_kommune"] is not None:
            # the school is inside its kommune at both ends: shown as a position, not flagged
            before_k = row["fra_skalapoeng"] - row["fra_kommune"]
            after_k = row["til_skalapoeng"] - row["til_kommune"]
            result |= {
                "fra_mot_kommune": before_k,
                "til_mot_kommune": after_k,
                "endring_mot_kommune": after_k - before_k,
            }
        result["sammenligning"] = (
            "samme skala (8. til 9. trinn)" if same_scale else "posisjon mot landet (ulike skalaer)"
        )
        out.append(result)
    return frame_of(out, COHORT_SCHEMA)


def _pairs(store: Store, filters: Filters) -> pl.DataFrame:
    return run_query(store, "progresjon_elever", filters.params("aar", "prove", "kommune"))


def paired(store: Store, filters: Filters, min_group: int) -> pl.DataFrame:
    """Mean paired change per school (gruppe ``alle``) and group, with level transitions.

    For 8 -> 9 (same scale) the change is in scale points; for 5 -> 8 it is the change in
    position against the pupils' own kommune mean on each test, since the scales differ.
    """
    pairs = _pairs(store, filters)
    if pairs.is_empty():
        return frame_of([], PAIRED_SCHEMA)
    # 5 -> 8 is followed from the school the pupils came from; 8 -> 9 at the school they are in.
    pairs = pairs.with_columns(
        skole=pl.when(pl.col("fra_trinn") == 5)
        .then(pl.col("fra_skole"))
        .otherwise(pl.col("enhet_id")),
        gruppe=pl.when(pl.col("fra_trinn") == 5).then(pl.lit("alle")).otherwise(pl.col("gruppe")),
    )
    centred = pairs.with_columns(
        endring=pl.when(pl.col("fra_trinn") == 8)
        .then(pl.col("til_poeng") - pl.col("fra_poeng"))
        .otherwise(
            (
                pl.col("til_poeng")
                - pl.col("til_poeng").mean().over("til_aar", "prove", "til_trinn", "kommunenr")
            )
            - (
                pl.col("fra_poeng")
                - pl.col("fra_poeng").mean().over("fra_aar", "prove", "fra_trinn", "kommunenr")
            )
        ),
        retning=pl.when(pl.col("fra_trinn") == 8)
        .then((pl.col("til_nivaa") - pl.col("fra_nivaa")).sign())
        .otherwise(None),
    )
    keys = ["til_aar", "fra_trinn", "til_trinn", "prove", "skole"]
    by_group = _summarise(centred, [*keys, "gruppe"]).sort([*keys, "gruppe"])
    by_school = _summarise(centred, keys).with_columns(gruppe=pl.lit("alle")).sort(keys)
    out: list[dict[str, Any]] = []
    for block in group_rows(
        pl.concat(
            [by_school, by_group.filter(pl.col("gruppe") != "alle")], how="diagonal"
        ).to_dicts(),
        keys,
    ).values():
        out.extend(_paired_rows(block, min_group, filters.skole))
    # suppression across tables (skjerming.py)
    out = skjerming.elever_rows(out, suppression_plan(store, min_group), SUPPRESSED)
    return frame_of(out, PAIRED_SCHEMA)


def _summarise(pairs: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    return pairs.group_by(keys).agg(
        antall=pl.len(),
        snitt=pl.col("endring").mean(),
        sd=pl.col("endring").std(),
        opp=(pl.col("retning") > 0).sum(),
        samme=(pl.col("retning") == 0).sum(),
        ned=(pl.col("retning") < 0).sum(),
        med_niva=pl.col("retning").is_not_null().sum(),
    )


def _paired_rows(
    block: list[dict[str, Any]], min_group: int, only: str | None
) -> list[dict[str, Any]]:
    total = next(r for r in block if r["gruppe"] == "alle")
    if only is not None and total["skole"] != only:
        return []
    groups = sorted((r for r in block if r["gruppe"] != "alle"), key=lambda r: str(r["gruppe"]))
    hidden = stats.complementary_suppression([g["antall"] for g in groups], min_group)
    rows = []
    for row, is_hidden in [(total, total["antall"] < min_group), *zip(groups, hidden, strict=True)]:
        base = {
            "til_aar": row["til_aar"],
            "fra_trinn": row["fra_trinn"],
            "til_trinn": row["til_trinn"],
            "prove": row["prove"],
            "enhet_id": row["skole"],
            "gruppe": row["gruppe"],
        }
        if is_hidden:
            rows.append({**base, "status": SUPPRESSED})
            continue
        n = row["antall"]
        half = stats.t_quantile(0.975, n - 1) * (row["sd"] or 0.0) / math.sqrt(n)
        levels = row["med_niva"]
        rows.append(
            {
                **base,
                "status": OK,
                "antall": n,
                "endring": row["snitt"],
                "endring_lav": row["snitt"] - half,
                "endring_hoy": row["snitt"] + half,
                "andel_opp": row["opp"] / levels if levels else None,
                "andel_samme": row["samme"] / levels if levels else None,
                "andel_ned": row["ned"] / levels if levels else None,
            }
        )
        if total["antall"] < min_group:
            break  # a hidden school shows no groups either
    return rows


def value_added(store: Store, filters: Filters, min_group: int) -> pl.DataFrame:
    """Mean residual per school from a kommune-pooled regression of later on earlier results."""
    pairs = _pairs(store, filters)
    if pairs.is_empty():
        return frame_of([], VALUE_ADDED_SCHEMA)
    pairs = pairs.with_columns(
        skole=pl.when(pl.col("fra_trinn") == 5)
        .then(pl.col("fra_skole"))
        .otherwise(pl.col("enhet_id"))
    )
    cell = ["til_aar", "fra_trinn", "til_trinn", "prove", "kommunenr"]
    fitted = (
        pairs.with_columns(
            stigning=(pl.cov("fra_poeng", "til_poeng") / pl.col("fra_poeng").var()).over(cell),
        )
        .with_columns(
            konstant=(
                pl.col("til_poeng").mean() - pl.col("stigning") * pl.col("fra_poeng").mean()
            ).over(cell),
        )
        .with_columns(
            rest=pl.col("til_poeng") - pl.col("konstant") - pl.col("stigning") * pl.col("fra_poeng")
        )
    )
    schools = (
        fitted.group_by([*cell, "skole"])
        .agg(
            antall=pl.len(),
            restledd=pl.col("rest").mean(),
            sd=pl.col("rest").std(),
            stigning=pl.col("stigning").first(),
            konstant=pl.col("konstant").first(),
        )
        .filter(pl.col("antall") >= min_group)
        .sort([*cell, "skole"])
    )
    out = []
    for block in group_rows(schools.to_dicts(), cell).values():
        ses = [(r["sd"] or 0.0) / math.sqrt(r["antall"]) for r in block]
        shrunk = (
            stats.shrink([r["restledd"] for r in block], [max(s * s, 1e-9) for s in ses])
            if len(block) > 1
            else None
        )
        for index, (row, se) in enumerate(zip(block, ses, strict=True)):
            if filters.skole is not None and row["skole"] != filters.skole:
                continue
            half = stats.t_quantile(0.975, row["antall"] - 1) * se
            est = shrunk.estimates[index] if shrunk else row["restledd"]
            est_se = shrunk.ses[index] if shrunk else se
            out.append(
                {
                    **{k: row[k] for k in cell},
                    "enhet_id": row["skole"],
                    "antall": row["antall"],
                    "restledd": row["restledd"],
                    "restledd_lav": row["restledd"] - half,
                    "restledd_hoy": row["restledd"] + half,
                    "krympet": est,
                    "krympet_lav": est - stats.Z95 * est_se,
                    "krympet_hoy": est + stats.Z95 * est_se,
                    "flagg": stats.flag(
                        row["restledd"], se, stats.t_quantile(0.975, row["antall"] - 1)
                    ),
                    "stigning": row["stigning"],
                    "konstant": row["konstant"],
                    "metode": VALUE_ADDED_METHOD,
                }
            )
    # suppression across tables (skjerming.py)
    out = skjerming.verdiskaping_rows(out, suppression_plan(store, min_group))
    return frame_of(out, VALUE_ADDED_SCHEMA)


def trend(store: Store, filters: Filters, min_group: int) -> pl.DataFrame:
    """A unit's published results over the years, split into series at every break."""
    frame = run_query(
        store, "progresjon_trend", filters.params("trinn", "prove", "kommune", "skole")
    )
    out = []
    for rows in group_rows(frame.to_dicts(), ("enhet_id", "trinn", "prove")).values():
        series, previous = 1, None
        for row in sorted(rows, key=lambda r: r["skoleaar"]):
            crossed: list[SeriesBreak] = []
            if previous is not None:
                # a school keeps its number through kommune and fylke reforms
                domain_breaks = breaks_between("np", previous, row["skoleaar"])
                crossed = [b for b in domain_breaks if b.domain == "np" or row["nivaa"] != "skole"]
            if crossed:
                series += 1
            previous = row["skoleaar"]
            result = {k: row[k] for k in ("enhet_id", "trinn", "prove", "skoleaar", "landet")}
            result |= {"serie": series, "brudd_for": " ".join(b.text for b in crossed) or None}
            if row["status"] != OK or row["skalapoeng"] is None or (row["antall"] or 0) < min_group:
                out.append(
                    {**result, "status": SUPPRESSED if row["status"] != MISSING else MISSING}
                )
                continue
            se = _se(row["usikkerhet"], row["antall"])
            source = "udir" if row["usikkerhet"] else "tilnærming (nasjonalt SD)"
            out.append(
                {
                    **result,
                    "status": OK,
                    "antall": row["antall"],
                    "skalapoeng": row["skalapoeng"],
                    "lav": row["skalapoeng"] - stats.Z95 * se,
                    "hoy": row["skalapoeng"] + stats.Z95 * se,
                    "usikkerhet_kilde": source,
                }
            )
    return frame_of(out, TREND_SCHEMA)


def _ending_on_trinn(run: Analysis) -> Analysis:
    """The same analysis, keeping only progressions that end on --trinn (for 8->9, trinn 9)."""

    def filtered(store: Store, filters: Filters, min_group: int) -> pl.DataFrame:
        result = run(store, filters, min_group)
        if filters.trinn is None:
            return result
        return result.filter(pl.col("til_trinn") == filters.trinn)

    return filtered


PARTS: Final[dict[str, Analysis]] = {
    "kull": _ending_on_trinn(cohort),
    "elever": _ending_on_trinn(paired),
    "verdiskaping": _ending_on_trinn(value_added),
    "trend": trend,
}
