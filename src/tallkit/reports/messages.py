"""The hovedbilde: which 3–6 things matter most for a school (or a kommune) this year, and in
what order.

The Læringsspeil's rule (also in the README and in the report's «Om tallene»):

1. Only what is beyond the uncertainty becomes a message: a test above or below the nation (or,
   if not, the kommune), a development over 3–5 years whose weighted slope is further from
   zero than its uncertainty, value added or a cohort's change against the nation, a test that
   stands out in the school's profile, an Elevundersøkelsen index better or worse than the
   nation. Grunnskolepoeng has no spread in Udir's export, so its message says so and comes
   last; a suppressed year says so first.
2. One message per theme and trinn (tests that point the same way are named together).
3. Ordered by how far beyond the uncertainty they are (|z|), improvements and problems alike;
   for an ungdomsskole the school's own contribution (8→9, value added) comes first.
4. At most six.

The kommune report's rule (:func:`choose_balanced`; README and its «Om tallene» too): the same
candidates (1., 2.), but a kommune's Elevundersøkelsen has thousands of answers, so its
intervals are narrow and its |z| large: ranked by |z| alone, small differences in the survey
could fill page 1 and push the national tests off it. So:

3. The themes (level against the nation, development over years, læringsmiljø) take turns:
   first the strongest message of each theme, then the second strongest of each, the themes
   of a turn in order of |z|.
4. At most two from one theme (a third only when fewer than three would be shown) and at
   most six in all, shown in the order they were chosen: the strongest of all comes first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from tallkit import norsk, stats
from tallkit.reports.document import Message
from tallkit.reports.verdicts import direction, sureness, trend_change, z_score
from tallkit.reports.words import Words

MAX_MESSAGES: Final = 6
MAX_PER_THEME: Final = 2  # the kommune report's balance (choose_balanced) ...
MIN_MESSAGES: Final = 3  # ... which takes a third from a theme only to show at least three
TREND_YEARS: Final = 5
TEST_NAMES: Final = {"engelsk": "engelsk", "lesing": "lesing", "regning": "regning"}
# ties in |z| are broken by theme, in this order
THEME_ORDER: Final = (
    "skjermet",
    "progresjon",
    "utvikling",
    "niva",
    "laeringsmiljo",
    "fagprofil",
    "grunnskolepoeng",
)


def _join(names: list[str], words: Words) -> str:
    if len(names) < 2:
        return "".join(names)
    return f"{', '.join(names[:-1])} {words.text('ord', 'og')} {names[-1]}"


def level(tests: list[dict[str, Any]], year: str, words: Words) -> list[Message]:
    """Per trinn and direction: the tests above/below the nation (else the kommune)."""
    out = []
    for trinn in sorted({t["trinn"] for t in tests}):
        rows = [t for t in tests if t["trinn"] == trinn]
        for against, flag_key, low_key, high_key, value_key in (
            ("landet", "flagg_landet", "mot_landet_lav", "mot_landet_hoy", "mot_landet"),
            ("kommunen", "flagg_kommune", "mot_kommune_lav", "mot_kommune_hoy", "mot_kommune"),
        ):
            found = []
            for flag in (stats.OVER, stats.UNDER):
                hits = [r for r in rows if r[flag_key] == flag]
                if not hits:
                    continue
                z = max(z_score(r[value_key], r[low_key], r[high_key]) for r in hits)
                text = words.text(
                    "hovedbilde",
                    "niva",
                    trinn=trinn,
                    sikkerhet=sureness(z, words),
                    dom=words.text("dom", "over" if flag == stats.OVER else "under"),
                    mot=words.text("ord", against),
                    prover=_join([TEST_NAMES.get(r["prove"], r["prove"]) for r in hits], words),
                    aar=year,
                )
                maal = hits[0]["prove"] if len(hits) == 1 else None
                found.append(
                    Message(
                        text,
                        "niva",
                        "nasjonale_prover",
                        trinn,
                        maal,
                        direction(flag),
                        year,
                        z,
                    )
                )
            if found:
                out.extend(found)
                break  # the nation when it says something; the kommune only otherwise
    return out


def development(trend: list[dict[str, Any]], year: str, words: Words) -> list[Message]:
    """A tested development over the last 3–5 years of the current series, per trinn and test."""
    out = []
    for trinn, test in sorted({(r["trinn"], r["prove"]) for r in trend}):
        rows = sorted(
            (r for r in trend if (r["trinn"], r["prove"]) == (trinn, test)),
            key=lambda r: r["skoleaar"],
        )
        if not rows or rows[-1]["skoleaar"] != year:
            continue
        series = rows[-1]["serie"]
        window = [
            r
            for r in rows
            if r["serie"] == series and r["skalapoeng"] is not None and r["lav"] is not None
        ][-TREND_YEARS:]
        points = [
            (
                int(r["skoleaar"][:4]),
                float(r["skalapoeng"]),
                ((r["hoy"] - r["lav"]) / (2 * stats.Z95)) ** 2,
            )
            for r in window
        ]
        fitted = trend_change(points)
        if fitted is None:
            continue
        slope, se = fitted
        z = abs(slope) / se
        first, last = window[0], window[-1]
        falling = slope < 0
        if z < stats.Z95 or (last["skalapoeng"] < first["skalapoeng"]) != falling:
            continue
        name = TEST_NAMES.get(test, test)
        text = words.text(
            "hovedbilde",
            "utvikling_ned" if falling else "utvikling_opp",
            Prove=name.capitalize(),
            trinn=trinn,
            fra=_fmt(first["skalapoeng"]),
            til=_fmt(last["skalapoeng"]),
            fra_aar=first["skoleaar"],
            til_aar=last["skoleaar"],
            sikkerhet=sureness(z, words),
        )
        out.append(
            Message(
                text,
                "utvikling",
                "nasjonale_prover",
                trinn,
                test,
                "svakere" if falling else "bedre",
                year,
                z,
            )
        )
    return out


def progression(
    value_added: list[dict[str, Any]], cohort: list[dict[str, Any]], words: Words
) -> list[Message]:
    """Value added (pupil data) where there is some, else the published cohort's change."""
    out = []
    covered = set()
    for r in value_added:
        if r["flagg"] not in (stats.OVER, stats.UNDER):
            continue
        z = z_score(r["restledd"], r["restledd_lav"], r["restledd_hoy"])
        better = r["flagg"] == stats.OVER
        text = words.text(
            "hovedbilde",
            "verdiskaping_bedre" if better else "verdiskaping_svakere",
            fra_trinn=r["fra_trinn"],
            til_trinn=r["til_trinn"],
            prove=TEST_NAMES.get(r["prove"], r["prove"]),
            sikkerhet=sureness(z, words),
            forskjell=_fmt(abs(r["restledd"])),
            aar=r["til_aar"],
        )
        covered.add((r["til_trinn"], r["prove"]))
        out.append(
            Message(
                text,
                "progresjon",
                "elevresultat",
                r["til_trinn"],
                r["prove"],
                "bedre" if better else "svakere",
                r["til_aar"],
                z,
            )
        )
    for r in cohort:
        if r["flagg"] not in (stats.OVER, stats.UNDER) or (r["til_trinn"], r["prove"]) in covered:
            continue
        z = z_score(
            r["endring_mot_landet"], r["endring_mot_landet_lav"], r["endring_mot_landet_hoy"]
        )
        better = r["flagg"] == stats.OVER
        text = words.text(
            "hovedbilde",
            "kull_bedre" if better else "kull_svakere",
            fra_trinn=r["fra_trinn"],
            til_trinn=r["til_trinn"],
            fra_aar=r["fra_aar"],
            til_aar=r["til_aar"],
            prove=TEST_NAMES.get(r["prove"], r["prove"]),
            sikkerhet=sureness(z, words),
            forskjell=_fmt(r["endring_mot_landet"], signed=True),
        )
        out.append(
            Message(
                text,
                "progresjon",
                "nasjonale_prover",
                r["til_trinn"],
                r["prove"],
                "bedre" if better else "svakere",
                r["til_aar"],
                z,
            )
        )
    return out


def profile(rows: list[dict[str, Any]], words: Words) -> list[Message]:
    out = []
    for r in rows:
        if r["flagg"] not in (stats.OVER, stats.UNDER):
            continue
        z = z_score(r["profil"], r["profil_lav"], r["profil_hoy"])
        stronger = r["flagg"] == stats.OVER
        text = words.text(
            "hovedbilde",
            "fagprofil",
            trinn=r["trinn"],
            prove=TEST_NAMES.get(r["prove"], r["prove"]),
            sikkerhet=sureness(z, words),
            ord=words.text("ord", "sterkere" if stronger else "svakere"),
            aar=r["skoleaar"],
        )
        out.append(
            Message(
                text,
                "fagprofil",
                "nasjonale_prover",
                r["trinn"],
                r["prove"],
                "bedre" if stronger else "svakere",
                r["skoleaar"],
                z,
            )
        )
    return out


def environment(indicators: list[dict[str, Any]], words: Words) -> list[Message]:
    """Elevundersøkelsen's indices (newest year) better or worse than the nation."""
    out = []
    for r in indicators:
        if r["kilde"] != "elevundersokelsen" or r["flagg_landet"] not in (stats.OVER, stats.UNDER):
            continue
        z = z_score(r["mot_landet"], r["mot_landet_lav"], r["mot_landet_hoy"])
        retning = direction(r["flagg_landet"], r["indikator_kode"])
        text = words.text(
            "hovedbilde",
            "laeringsmiljo",
            aar=r["skoleaar"],
            indikator=r["indikator"],
            trinn=r["trinn"],
            sikkerhet=sureness(z, words),
            ord=words.text("ord", "bedre" if retning == "bedre" else "svakere"),
            skolen=_one_decimal(r["verdi"]),
            landet=_one_decimal(r["landet"]),
        )
        out.append(
            Message(
                text,
                "laeringsmiljo",
                "elevundersokelsen",
                r["trinn"],
                r["indikator_kode"],
                retning,
                r["skoleaar"],
                z,
            )
        )
    return out


def school_points(indicators: list[dict[str, Any]], words: Words) -> list[Message]:
    """Grunnskolepoeng: shown with honest words, since the export carries no spread."""
    out = []
    for r in indicators:
        if r["kilde"] != "grunnskolepoeng" or r["verdi"] is None or r["landet"] is None:
            continue
        text = words.text(
            "hovedbilde",
            "grunnskolepoeng",
            aar=r["skoleaar"],
            skolen=_one_decimal(r["verdi"]),
            landet=_one_decimal(r["landet"]),
            kommunen=_one_decimal(r["kommune"]),
        )
        out.append(
            Message(
                text,
                "grunnskolepoeng",
                "grunnskolepoeng",
                None,
                r["indikator_kode"],
                "ingen_sikker_forskjell",
                r["skoleaar"],
                0.0,
            )
        )
    return out


def suppressed(year: str, words: Words) -> Message:
    return Message(
        words.text("hovedbilde", "skjermet", aar=year),
        "skjermet",
        "nasjonale_prover",
        None,
        None,
        "ingen_sikker_forskjell",
        year,
        0.0,
    )


def choose(candidates: list[Message], school_kind: str) -> list[Message]:
    """The rule in the module docstring: ordered, at most six."""
    own_first = school_kind == "ungdomsskole"
    return sorted(candidates, key=lambda m: _strength(m, own_first))[:MAX_MESSAGES]


def choose_balanced(
    candidates: list[Message],
    *,
    per_theme: int = MAX_PER_THEME,
    total: int = MAX_MESSAGES,
    minimum: int = MIN_MESSAGES,
) -> list[Message]:
    """The kommune report's rule in the module docstring: the themes take turns, each with its
    strongest message first; at most ``per_theme`` from one theme (more only while fewer than
    ``minimum`` are chosen) and ``total`` in all, shown in the order they were chosen."""
    themes: dict[str, list[Message]] = {}
    for message in sorted(candidates, key=_strength):
        themes.setdefault(message.type, []).append(message)
    chosen: list[Message] = []
    turn = 0
    while len(chosen) < total and (turn < per_theme or len(chosen) < minimum):
        this_round = sorted(
            (found[turn] for found in themes.values() if len(found) > turn), key=_strength
        )
        if not this_round:
            break
        room = total - len(chosen) if turn < per_theme else minimum - len(chosen)
        chosen.extend(this_round[:room])
        turn += 1
    return chosen


def _strength(m: Message, own_first: bool = False) -> tuple[int, int, float, int, str]:
    """The order of the hovedbilde: suppressed first, then (for an ungdomsskole) the school's
    own contribution, grunnskolepoeng last, else by |z|; ties by theme and text."""
    first = 0 if m.type == "skjermet" else 1
    own = 0 if own_first and m.type == "progresjon" else 1
    last = 1 if m.type == "grunnskolepoeng" else 0
    return (first, own + 2 * last, -m.styrke, THEME_ORDER.index(m.type), m.tekst)


def _fmt(value: float | None, *, signed: bool = False) -> str:
    return norsk.signed(value) if signed else norsk.number(value)


def _one_decimal(value: float | None) -> str:
    """An index, a share or grunnskolepoeng as the tables write it (43,0, not 43; see
    laeringsspeil.published_decimals)."""
    return norsk.number(value, 1, fixed=True)


Candidates = Callable[..., list[Message]]
