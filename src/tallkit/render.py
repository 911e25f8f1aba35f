"""Render a :class:`~tallkit.reports.document.Document` to Markdown (with SVG image files beside
it), one self-contained HTML file, and its JSON twin. Jinja2 with ``StrictUndefined``; HTML is
autoescaped, and only the SVG that :mod:`tallkit.charts` built (labels escaped there) is
inserted as markup. The JSON is the same document the other two are rendered from.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import jinja2

from tallkit import norsk
from tallkit.errors import OutputError
from tallkit.output import md_cell
from tallkit.prosesser import interrupts_held
from tallkit.reports.document import Document
from tallkit.resources import keeping_allowed, resource_dir

FORMATS = ("md", "html", "json", "xlsx")
TEMPLATES = {"laeringsspeil": "laeringsspeil", "kommunerapport": "kommunerapport"}
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
    env.filters["mdtekst"] = md_text
    env.filters["avsnitt"] = paragraphs
    if keeping_allowed():
        env.bytecode_cache = _compiled_templates()
    return env


class _KeptTemplates(jinja2.FileSystemBytecodeCache):
    """Compiled templates kept between commands (Jinja's own cache, in its private per-user
    folder under the temporary directory; a template is compiled again when its source
    changes). Compiling the two Læringsspeil templates is 0.05-0.1 s of every speil run; a
    cache that cannot be read or written only means compiling them again."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # a half-written or foreign file: compile anew
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def _compiled_templates() -> jinja2.BytecodeCache | None:
    try:
        return _KeptTemplates()
    except (OSError, RuntimeError):  # no private folder can be made (Jinja checks its owner)
        return None


def number(value: Any, decimals: int | None = None) -> str:
    """Norwegian number for a table cell (:func:`tallkit.norsk.number`); ``decimals``: a float
    with exactly that many (the table's or the row's ``decimals``)."""
    return norsk.written(value, decimals)


# Enough to keep text inert (no HTML, link, image, emphasis or table cell can start without
# [ ] < > * _ ` |), while the Markdown file stays readable where the text is plain.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>&|])")
_MD_LINE_START = re.compile(r"^(\s*)([#>+=-])", flags=re.MULTILINE)
_MD_NUMBERED = re.compile(r"^(\s*\d+)([.)])", flags=re.MULTILINE)


def md_text(text: str) -> str:
    """Text from a file or a user, inert in Markdown: nothing in it can become a heading, a
    link, an image, raw HTML or a table cell."""
    escaped = _MD_SPECIAL.sub(r"\\\1", text)
    escaped = _MD_LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), escaped)
    escaped = _MD_NUMBERED.sub(lambda m: m.group(1) + "\\" + m.group(2), escaped)
    # GFM links bare addresses too: break them so they stay text
    return escaped.replace("://", "\\://").replace("www.", "www\\.")


def paragraphs(text: str) -> list[tuple[str, list[str]]]:
    """A school's own text as ("p", [text]) and ("ul", [items]) blocks: paragraphs and lists
    kept as written, nothing else interpreted."""
    blocks: list[tuple[str, list[str]]] = []
    for chunk in re.split(r"\n\s*\n", text.strip()):
        lines = [line.strip() for line in chunk.splitlines() if line.strip()]
        if not lines:
            continue
        if all(re.match(r"^[-*•]\s+", line) for line in lines):
            blocks.append(("ul", [re.sub(r"^[-*•]\s+", "", line) for line in lines]))
        else:
            blocks.append(("p", [" ".join(lines)]))
    return blocks


# A name is at most 255 bytes on every common file system; the longest suffix added to a stem
# is a chart's (about 25 bytes). 120 bytes also leaves Windows' 260-character paths room for
# the folder.
MAX_STEM_BYTES = 120


def file_stem(document: Document) -> str:
    """Sorts by year, kommune and name; æøå kept; nothing Windows refuses in a file name; a
    long name shortened, the orgnr (or kommunenr) always kept so two reports never collide."""
    school = document.header.get("skole")
    if school is not None:
        head = f"{document.skoleaar}_{str(school['kommune'])[:40]}_"
        return _bounded(head, str(school["navn"]), f"_{school['orgnr']}")
    kommune = document.header["kommune"]
    return _bounded(
        f"{document.skoleaar}_", str(kommune["navn"]), f"_{kommune['kommunenr']}_kommunerapport"
    )


def _bounded(head: str, name: str, tail: str) -> str:
    head, name, tail = _safe(head), _safe(name), _safe(tail)
    budget = max(MAX_STEM_BYTES - len(head.encode()) - len(tail.encode()), 0)
    cut = name.encode()[:budget].decode("utf-8", errors="ignore")  # never half a character
    return (head + cut).strip("._") + tail


def _safe(text: str) -> str:
    # letters (æøå too), digits, «-», «_» and «.» only: nothing a shell, a URL, a Markdown
    # link or Windows reads as syntax («#» would cut a link, «)» end it)
    return re.sub(r"[^\w.-]+", "_", _UNSAFE.sub("_", text))


def safe_name(raw: str) -> str:
    """A file-name stem: æøå kept, nothing Windows refuses, spaces as underscores."""
    return _safe(raw).strip("._")


def write(
    document: Document,
    folder: Path,
    formats: tuple[str, ...],
    *,
    date: str,
    env: jinja2.Environment,
) -> list[Path]:
    """Write the report in each format; return the files written."""
    stem = file_stem(document)
    template = TEMPLATES[document.kind]
    written: list[Path] = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if "md" in formats:
            images = {}
            for section in document.sections:
                for chart in section.charts:
                    image = folder / f"{stem}_{chart.name}.svg"
                    image.write_text(chart.svg + "\n", encoding="utf-8")
                    images[chart.name] = image.name
                    written.append(image)
            text = env.get_template(f"{template}.md.j2").render(
                dok=document, dato=date, bilder=images
            )
            written.append(_write(folder / f"{stem}.md", text))
        if "html" in formats:
            text = env.get_template(f"{template}.html.j2").render(dok=document, dato=date)
            written.append(_write(folder / f"{stem}.html", text))
        if "json" in formats:
            payload = {**document.to_json(), "laget": date}
            text = json.dumps(payload, ensure_ascii=False, indent=2, sort_keys=False) + "\n"
            written.append(_write(folder / f"{stem}.json", text))
        if "xlsx" in formats:
            path = folder / f"{stem}.xlsx"
            path.write_bytes(appendix(document, date))
            written.append(path)
    except jinja2.TemplateError as exc:
        raise OutputError(f"malfeil: {exc}. Sjekk malene (--maler).") from None
    except OSError as exc:
        raise OutputError(f"{folder}: kan ikke skrive ({exc.strerror}).") from None
    return written


Key = TypeVar("Key")
# Below this many reports per worker, starting the worker and sending each document to it
# costs about what it saves.
MIN_REPORTS_PER_WORKER = 40
_worker_job: tuple[Path, tuple[str, ...], str, jinja2.Environment] | None = None


def workers_for(reports: int, formats: tuple[str, ...], processes: int | None) -> int:
    """How many worker processes should write ``reports`` reports: none for a few reports,
    for xlsx (polars would have to run in a forked process, where its thread pool is gone) or
    where a forked process is not safe; else ``processes`` (TALLKIT_PROSESSER) or one per core
    beyond the first, which keeps building the next reports."""
    if "xlsx" in formats or sys.platform != "linux":
        return 0
    cores = len(os.sched_getaffinity(0))
    wanted = processes - 1 if processes is not None else max(cores - 1, 1)
    return max(0, min(wanted, reports // MIN_REPORTS_PER_WORKER, 8))


class Workers:
    """Forked processes that render and write reports while this one builds the next (the two
    halves of ``speil --alle`` cost about the same). :meth:`start` forks them early, before
    the analyses: a process forked later shares every page of them, and each page the parent
    then touches is copied. The files are the same whichever process writes them."""

    def __init__(self) -> None:
        self._pool: Any = None
        self._count = 0
        self._job: tuple[Path, tuple[str, ...], str, jinja2.Environment] | None = None

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        global _worker_job
        if self._pool is not None:
            if kind is None:
                self._pool.close()
            else:
                self._pool.terminate()
            self._pool.join()
            self._pool = None
        _worker_job = None

    def start(
        self,
        count: int,
        folder: Path,
        formats: tuple[str, ...],
        *,
        date: str,
        env: jinja2.Environment,
    ) -> None:
        """``count`` worker processes (see :func:`workers_for`; 0: write here)."""
        global _worker_job
        self._job = (folder, formats, date, env)
        if count > 0:
            import gc
            import multiprocessing

            _worker_job = self._job  # inherited by the forked workers
            # What this process holds at the fork is never collected in a worker (CPython's
            # advice for fork without exec): garbage of this process collected there would
            # run destructors of DuckDB and polars objects whose threads a forked process
            # does not have, and a destructor that waits for them waits for good.
            gc.collect()
            gc.freeze()
            try:
                with interrupts_held():
                    self._pool = multiprocessing.get_context("fork").Pool(count)
            finally:
                gc.unfreeze()
            self._count = count

    def write_all(
        self, documents: Iterable[tuple[Key, Document]]
    ) -> Iterator[tuple[Key, list[Path]]]:
        """:func:`write` for each document, in order."""
        import gc

        assert self._job is not None, "start() first"
        # What exists now (the run's analyses, split per school) lives until the end: frozen,
        # the full collections that the reports' many small objects set off need not walk it.
        gc.freeze()
        try:
            yield from self._write_each(documents)
        finally:
            gc.unfreeze()

    def _write_each(
        self, documents: Iterable[tuple[Key, Document]]
    ) -> Iterator[tuple[Key, list[Path]]]:
        assert self._job is not None
        folder, formats, date, env = self._job
        if self._pool is None:
            for key, document in documents:
                yield key, write(document, folder, formats, date=date, env=env)
            return
        pending: deque[tuple[Key, Any]] = deque()
        window = 4 * self._count  # keeps the workers busy, few documents held at once
        for key, document in documents:
            pending.append((key, self._pool.apply_async(_write_in_worker, (document,))))
            while len(pending) > window or (pending and pending[0][1].ready()):
                done_key, result = pending.popleft()
                yield done_key, _result(result.get())
        while pending:
            done_key, result = pending.popleft()
            yield done_key, _result(result.get())


def _write_in_worker(document: Document) -> list[Path] | OutputError:
    assert _worker_job is not None
    folder, formats, date, env = _worker_job
    try:
        return write(document, folder, formats, date=date, env=env)
    except OutputError as exc:
        return exc  # raised again in the parent, with its one line


def _result(outcome: list[Path] | OutputError) -> list[Path]:
    if isinstance(outcome, OutputError):
        raise OutputError(outcome.message)
    return outcome


def appendix(document: Document, date: str) -> bytes:
    """Every table of the report as its own sheet (the xlsx appendix): the headers as the
    report prints them, numbers as numbers where a column holds only numbers."""
    import datetime as dt

    import polars as pl

    from tallkit.xlsx import workbook_bytes

    sheets: list[tuple[str, pl.DataFrame]] = []
    for section in document.sections:
        for block in section.blocks:
            for table in block.tables:
                name = " – ".join(t for t in (section.title, block.title, table.title) if t)
                sheets.append((name, _frame(table)))
    if not sheets:
        sheets.append(("Ingen tabeller", pl.DataFrame({"merknad": ["Ingen tall."]})))
    try:
        created = dt.date.fromisoformat(date)
    except ValueError:
        created = None
    return workbook_bytes(sheets, created=created, decimals_shown=True)


def _frame(table: Any) -> Any:
    """One sheet: a column per table column, numbers as numbers. A cell the report writes as
    text around numbers («−3,0», «50,2 (48,1–52,3)») is given by the row's ``_tall`` (see
    :class:`~tallkit.reports.document.Table`): its numbers, as one column or several."""
    import polars as pl

    columns: dict[str, pl.Series] = {}
    taken: set[str] = set()
    for key, label, values in _sheet_columns(table):
        header = label or key
        while header in taken:
            header += " "
        taken.add(header)
        present = [v for v in values if v is not None]
        if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
            columns[header] = pl.Series(header, values, dtype=pl.Int64)
        elif present and all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in present
        ):
            columns[header] = pl.Series(header, values, dtype=pl.Float64)
        else:
            columns[header] = pl.Series(
                header, [None if v is None else str(v) for v in values], dtype=pl.String
            )
    return pl.DataFrame(list(columns.values()))


def _sheet_columns(table: Any) -> list[tuple[str, str, list[Any]]]:
    """(key, header, values) per sheet column: a table column as it stands, or, where rows
    give its numbers in ``_tall``, one column per part («» the value itself, then «fra», «til»
    ... appended to the header)."""
    out: list[tuple[str, str, list[Any]]] = []
    for key, label in table.columns:
        numbers = [row.get("_tall", {}).get(key) for row in table.rows]
        if all(n is None for n in numbers):
            out.append((key, label, [row.get(key) for row in table.rows]))
            continue
        parts: list[str] = []
        for n in numbers:
            for part in n if isinstance(n, dict) else [""] if n is not None else []:
                if part not in parts:
                    parts.append(part)
        parts.sort(key=lambda part: part != "")  # the value itself first
        for part in parts:
            values = [
                (n.get(part) if isinstance(n, dict) else n if part == "" else None) for n in numbers
            ]
            out.append((key, f"{label} {part}" if part else label, values))
    return out


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
        for fmt in [f for f in formats if f != "json"]:
            text = env.get_template(f"indeks.{fmt}.j2").render(
                aar=year,
                dato=date,
                skoler=[
                    {**e, "filer": [f for f in e["filer"] if f.endswith(fmt)]} for e in entries
                ],
                hoppet_over=skipped,
            )
            written.append(
                _write(folder / f"{safe_name(f'{year}_{name}'[:60])}_indeks.{fmt}", text)
            )
    except jinja2.TemplateError as exc:
        raise OutputError(f"malfeil: {exc}. Sjekk malene (--maler).") from None
    except OSError as exc:
        raise OutputError(f"{folder}: kan ikke skrive ({exc.strerror}).") from None
    return written


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8", newline="\n")
    return path
