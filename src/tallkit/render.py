"""Render a :class:`~tallkit.report.Mirror` to Markdown (with SVG image files beside it) and to
one self-contained HTML file. Jinja2 with ``StrictUndefined``; HTML is autoescaped, and only the
SVG that :mod:`tallkit.charts` built (labels escaped there) is inserted as markup.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jinja2

from tallkit.errors import OutputError
from tallkit.output import md_cell, md_paragraphs
from tallkit.report import Mirror
from tallkit.resources import resource_dir

FORMATS = ("md", "html")
_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f]+')


def environment(override: Path | None = None) -> jinja2.Environment:
    """Templates from the kommune's own folder first (file by file), then tallkit's."""
    folders = [str(p) for p in (override, resource_dir("templates")) if p is not None]
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folders),
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["tall"] = number
    env.filters["mdcelle"] = md_cell
    env.filters["vurdering"] = md_paragraphs
    return env


def number(value: Any) -> str:
    """Norwegian number: decimal comma, one decimal unless whole; empty as a dash."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "ja" if value else "nei"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return f"{value:.1f}".replace(".", ",").replace("-", "−")
    return str(value)


# A name is at most 255 bytes on every common file system; the longest suffix added to a stem
# is a chart's («_trend_9_regning.svg», 21 bytes). 120 bytes also leaves Windows' 260-character
# paths room for the folder.
MAX_STEM_BYTES = 120


def file_stem(mirror: Mirror) -> str:
    """Sorts by year, kommune and name; æøå kept; nothing Windows refuses in a file name; a
    long name shortened (the orgnr always kept, so two schools never share a file)."""
    head = _safe_part(f"{mirror.skoleaar}_{_cut(mirror.kommune, 40)}_")
    tail = f"_{mirror.orgnr}"
    budget = MAX_STEM_BYTES - len(head.encode()) - len(tail.encode())
    return (head + _cut(_safe_part(mirror.navn), budget, in_bytes=True)).strip("._") + tail


def _safe_part(text: str) -> str:
    # letters (æøå too), digits, «-», «_» and «.» only: nothing a shell, a URL, a Markdown
    # link or Windows reads as syntax («#» would cut a link, «)» end it)
    return re.sub(r"[^\w.-]+", "_", _UNSAFE.sub("_", text))


def _cut(text: str, limit: int, *, in_bytes: bool = False) -> str:
    """At most ``limit`` characters (or UTF-8 bytes), never splitting a character."""
    if not in_bytes:
        return text[:limit]
    data = text.encode()[: max(limit, 0)]
    return data.decode("utf-8", errors="ignore").rstrip("._")


def write(
    mirror: Mirror,
    folder: Path,
    formats: tuple[str, ...],
    *,
    date: str,
    env: jinja2.Environment,
) -> list[Path]:
    """Write the report in each format; return the files written."""
    stem = file_stem(mirror)
    written: list[Path] = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if "md" in formats:
            images = {}
            for section in mirror.sections:
                for chart in section.charts:
                    image = folder / f"{stem}_{chart.name}.svg"
                    image.write_text(chart.svg + "\n", encoding="utf-8")
                    images[chart.name] = image.name
                    written.append(image)
            text = env.get_template("laeringsspeil.md.j2").render(
                speil=mirror, dato=date, bilder=images
            )
            written.append(_write(folder / f"{stem}.md", text))
        if "html" in formats:
            text = env.get_template("laeringsspeil.html.j2").render(speil=mirror, dato=date)
            written.append(_write(folder / f"{stem}.html", text))
    except jinja2.TemplateError as exc:
        raise OutputError(f"malfeil: {exc}. Sjekk malene (--maler).") from None
    except OSError as exc:
        raise OutputError(f"{folder}: kan ikke skrive ({exc.strerror}).") from None
    return written


def write_index(
    entries: list[dict[str, Any]],
    skipped: list[tuple[str, str]],
    folder: Path,
    formats: tuple[str, ...],
    *,
    year: str,
    name: str,
    date: str,
    env: jinja2.Environment,
) -> list[Path]:
    """The kommune's index page linking every school's report, and listing who has none."""
    written = []
    try:
        for fmt in formats:
            text = env.get_template(f"indeks.{fmt}.j2").render(
                aar=year,
                dato=date,
                skoler=[
                    {**e, "filer": [f for f in e["filer"] if f.endswith(fmt)]} for e in entries
                ],
                hoppet_over=skipped,
            )
            written.append(
                _write(folder / f"{_safe_part(_cut(f'{year}_{name}', 60))}_indeks.{fmt}", text)
            )
    except jinja2.TemplateError as exc:
        raise OutputError(f"malfeil: {exc}. Sjekk malene (--maler).") from None
    except OSError as exc:
        raise OutputError(f"{folder}: kan ikke skrive ({exc.strerror}).") from None
    return written


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8", newline="\n")
    return path
