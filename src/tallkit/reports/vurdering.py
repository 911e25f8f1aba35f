"""The school's own part of the Læringsspeil: what we see, what we will do, how we will know.

One file per school and year in a folder (``--vurdering MAPPE``), named as the blank template
``speil --vurderingsmal`` writes: ``2026-27_Solåsen_skole_996566048.toml`` — or any name that
holds the school's orgnr, or its name. A Markdown file (``.md``) is taken as free text and kept
as written (paragraphs and lists; no HTML, links or images). Last year's file in the same folder
(its name starting with last year's skoleår) is shown beside this year's development of the
indicators its tiltak named.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from tallkit.errors import InputError, UsageError
from tallkit.reports.document import Assessment
from tallkit.reports.verdicts import published_decimals

SUFFIXES = (".toml", ".md")


def read(path: Path) -> Assessment:
    """One school's assessment from a TOML or Markdown file."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{path}: ikke UTF-8. Lagre filen som UTF-8 og prøv igjen.") from None
    except OSError as exc:
        raise UsageError(f"{path}: kan ikke lese vurderingen ({exc.strerror}).") from None
    if path.suffix.lower() != ".toml":
        return Assessment(fritekst=text.strip(), kilde=path.name)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: ugyldig TOML ({exc}). Se malen fra --vurderingsmal.") from None
    part = data.get("vurdering", {})
    measures = data.get("tiltak", [])
    if not isinstance(part, dict) or not isinstance(measures, list):
        raise InputError(f"{path}: [vurdering] og [[tiltak]] har feil form. Se malen.")
    tiltak = []
    for index, m in enumerate(measures, start=1):
        if not isinstance(m, dict):
            raise InputError(f"{path}: tiltak nr. {index} må være en tabell ([[tiltak]]).")
        named = m.get("indikatorer", [])
        if not isinstance(named, list) or not all(isinstance(i, str) for i in named):
            raise InputError(
                f"{path}: tiltak nr. {index}: indikatorer må være en liste av tekster."
            )
        hva = str(m.get("hva", "")).strip()
        if hva:
            tiltak.append(
                {"hva": hva, "indikatorer": named, "vite": str(m.get("vite", "")).strip()}
            )
    return Assessment(
        ser=str(part.get("hva_vi_ser", "")).strip(),
        tiltak=tiltak,
        vite=str(part.get("hvordan_vi_vet", "")).strip(),
        kilde=path.name,
    )


def previous_year(year: str) -> str:
    start = int(year[:4]) - 1
    return f"{start}-{(start + 1) % 100:02d}"


def _norm(text: str) -> str:
    return re.sub(r"[\W_]+", " ", text.casefold()).strip()


def find(folder: Path, orgnr: str, name: str, year: str) -> tuple[Path | None, Path | None]:
    """(this year's file, last year's file) for one school in ``folder``."""
    candidates = sorted(p for p in folder.iterdir() if p.suffix.lower() in SUFFIXES)
    wanted = _norm(name)

    def is_school(p: Path) -> bool:
        named = re.findall(r"(?<!\d)\d{9}(?!\d)", p.stem)
        if named:  # an orgnr in the name decides: «Åsen skole» is not «Solåsen skole»
            return orgnr in named
        return (
            bool(wanted) and re.search(rf"(^| ){re.escape(wanted)}( |$)", _norm(p.stem)) is not None
        )

    mine = [p for p in candidates if is_school(p)]
    last = previous_year(year)
    previous = next((p for p in mine if p.name.startswith(last)), None)
    current = next((p for p in mine if p.name.startswith(year)), None)
    if current is None:
        # a file without a year in its name is this year's
        current = next((p for p in mine if not re.match(r"\d{4}-\d{2}", p.name)), None)
    return current, previous


def template(name: str, orgnr: str, year: str, indicators: list[str]) -> str:
    """A blank assessment for a rektor to fill in (TOML; comments explain each part)."""
    examples = ", ".join(f'"{i}"' for i in indicators[:2]) or '"lesing 5"'
    return f'''# Skolens vurdering: {name} ({orgnr}), Læringsspeil {year}
# Fyll inn tekstene mellom de tredoble anførselstegnene. Lister med «-» blir lister i rapporten.
# Lagre filen i mappen du gir til «tallkit speil --vurdering MAPPE».

[vurdering]
hva_vi_ser = """
"""
hvordan_vi_vet = """
"""

# Ett [[tiltak]] per tiltak. «indikatorer» sier hvilke resultater som skal vise om tiltaket
# virker, slik de står i rapporten: prøve og trinn («lesing 5», «regning 9») eller
# Elevundersøkelsens indeks («Mobbing på skolen»). Neste år viser Læringsspeilet utviklingen
# i dem ved siden av tiltaket.
[[tiltak]]
hva = """
"""
indikatorer = [{examples}]
vite = """
"""
'''


def parse_indicator(text: str) -> tuple[str, int | None]:
    """«lesing 5» → (``lesing``, 5); «Mobbing på skolen» → (``mobbing på skolen``, None)."""
    match = re.fullmatch(r"\s*(.+?)\s+(\d{1,2})\.?\s*(trinn)?\s*", text, flags=re.IGNORECASE)
    if match:
        return match.group(1).casefold(), int(match.group(2))
    return text.strip().casefold(), None


def follow_up(previous: Assessment, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Last year's tiltak beside this year's development of the indicators they named.

    ``rows``: the school's indicator values per year (``kilde``, ``indikator``,
    ``indikator_kode``, ``trinn``, ``skoleaar``, ``verdi``).
    """
    out = []
    for measure in previous.tiltak:
        for named in measure["indikatorer"]:
            key, trinn = parse_indicator(named)
            hits = sorted(
                (
                    r
                    for r in rows
                    if key in (str(r["indikator"]).casefold(), str(r["indikator_kode"]).casefold())
                    and (trinn is None or r["trinn"] == trinn)
                    and r["verdi"] is not None
                ),
                key=lambda r: r["skoleaar"],
            )
            out.append(
                {
                    "tiltak": measure["hva"],
                    "indikator": named,
                    "utvikling": [(r["skoleaar"], r["verdi"]) for r in hits[-3:]],
                    # an index 4,0 -> 4,2 as the tables write it, not 4 -> 4,2
                    "desimaler": published_decimals(hits[-1]["kilde"]) if hits else None,
                }
            )
    return out
