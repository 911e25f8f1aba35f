"""Charts as self-contained SVG text: no network, no JavaScript, prints cleanly, and the same
input gives the same bytes. Written by hand because a plotting library would add a heavy
dependency and cost time per chart in ``speil --alle``; every label is escaped.

Every chart is 640 units wide (it fits a 60rem column and an A4 page at about 1:1), carries its
title and a legend inside the SVG, and uses Norwegian number format (decimal comma, real minus).
Nothing is clipped: value ranges are padded, and a value outside a given range widens it. The
colours are from the Okabe–Ito palette (colour-blind safe); every distinction that matters also
has a shape, a dash pattern or a lightness step, so the charts read in greyscale print.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 640
HEIGHT = 260
FUNNEL_HEIGHT = 280
FONT = "Arial, Helvetica, sans-serif"

_TITLE_SIZE = 14
_TEXT_SIZE = 12
_SMALL_SIZE = 11
_GROUP_GAP = 0.6  # the gap between groups of columns, in column slots
_GROUP_LABEL_ROOM = 16  # the extra height for a line of group names under the year labels
_LEFT, _RIGHT = 60, 16  # plot area's margins: tick labels and the rotated axis label on the left
_INSET = 10  # the value range starts this far inside the plot frame, so no marker touches it
_INK = "#1d1d1d"
_MUTED = "#595959"
_GRID = "#e6e6e6"
_FRAME = "#bdbdbd"
_SCHOOL = "#0072b2"
_BAND = "#b9d7ee"
_LINES = "#4d4d4d"  # the funnel's limits
# The kommune a broad light-grey line, the nation a thin dark dashed one drawn on top: where the
# two coincide, both stay visible.
_KOMMUNE, _KOMMUNE_WIDTH = "#8c8c8c", "3"
_NATION, _NATION_WIDTH = "#333333", "1.5"
_NATION_DASH = "6 4"
_BREAK = "#d55e00"
_OTHERS = "#a6a6a6"
_FUNNEL_FILL = "#f0f0f0"
_DASH_95 = "5 3"
_DASH_998 = "1.5 3"
MINUS = "\u2212"

# Mastery levels: one blue ramp with even lightness steps (L* 92, 80, 64, 45, 24), so the levels
# stay in order in greyscale; three-level scales (5. trinn) use the first, middle and last.
LEVEL_COLOURS = ("#dbe9f6", "#a5cbe5", "#5fa2d0", "#2b6ea8", "#0d3b66")
_DARK_LEVELS = frozenset({"#2b6ea8", "#0d3b66"})

# The school's marker in the funnel, by verdict: colour, shape and the legend's words.
VERDICTS: dict[str, tuple[str, str, str]] = {
    "over": ("#0072b2", "up", "over kommunen"),
    "under": ("#d55e00", "down", "under kommunen"),
    "ikke_sikker": (_INK, "diamond", "ingen sikker forskjell"),
}


# ---------------------------------------------------------------------------------------------
# Numbers and text


def _num(x: float) -> str:
    """A coordinate: one decimal, so the same input always gives the same bytes."""
    text = f"{x:.1f}"
    return "0.0" if text == "-0.0" else text


def format_number(value: float, decimals: int = 0) -> str:
    """Norwegian number format: decimal comma, a real minus, a no-break space for thousands."""
    text = f"{abs(value):,.{decimals}f}".replace(",", "\u00a0").replace(".", ",")
    if round(value, decimals) < 0:
        text = MINUS + text
    return text


def _text_width(text: str, size: float) -> float:
    """A generous estimate of a text's width in a sans-serif font, for layout only."""
    return len(text) * size * 0.52


def _text(
    x: float,
    y: float,
    text: str,
    *,
    size: int = _TEXT_SIZE,
    anchor: str = "start",
    fill: str = _INK,
    extra: str = "",
) -> str:
    anchor_attr = "" if anchor == "start" else f' text-anchor="{anchor}"'
    fill_attr = "" if fill == _INK else f' fill="{fill}"'
    return (
        f'<text x="{_num(x)}" y="{_num(y)}" font-size="{size}"{anchor_attr}{fill_attr}{extra}>'
        f"{escape(text)}</text>"
    )


# ---------------------------------------------------------------------------------------------
# Value ranges and ticks


def _step(span: float, most: int = 6) -> float:
    """The smallest of 1, 2, 5 times a power of ten that cuts ``span`` into at most ``most``."""
    if span <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(span / most))
    for factor in (1.0, 2.0, 5.0, 10.0):
        if span / (factor * power) <= most + 1e-9:
            return factor * power
    return 10.0 * power  # pragma: no cover - the loop always returns


def shared_range(values: Iterable[float | None], pad: float = 2.0) -> tuple[float, float]:
    """A value range around every given value, padded and rounded outward to whole ticks.

    The lead gives every chart of a trinn the same range: collect the values (results, interval
    ends, kommune, nation) of all the school's tests on that trinn and pass them here. With no
    values at all, the NP scale's middle (40–60) is returned.
    """
    present = [float(v) for v in values if v is not None and math.isfinite(v)]
    if not present:
        return (40.0, 60.0)
    lo, hi = min(present) - pad, max(present) + pad
    if hi - lo < 1e-9:
        lo, hi = lo - 1, hi + 1
    return _round_out(lo, hi)


def _round_out(lo: float, hi: float) -> tuple[float, float]:
    """Both ends moved outward to whole ticks of the step the range itself gets."""
    for _ in range(10):  # a wider step can round the ends out further; stops within a few
        step = _step(hi - lo)
        new_lo, new_hi = math.floor(lo / step) * step, math.ceil(hi / step) * step
        if (new_lo, new_hi) == (lo, hi):
            break
        lo, hi = new_lo, new_hi
    return (_clean(lo), _clean(hi))


def _clean(x: float) -> float:
    return float(round(x, 9)) + 0.0


def _fit_range(
    values: Sequence[float], given: tuple[float, float] | None, pad: float = 2.0
) -> tuple[float, float]:
    """The given range, widened when a value falls outside it; or one around the values."""
    if given is None:
        return shared_range(values, pad)
    lo, hi = sorted((float(given[0]), float(given[1])))
    if hi - lo < 1e-9:
        lo, hi = shared_range([lo, hi], pad)
    if values and (min(values) < lo or max(values) > hi):
        wide_lo, wide_hi = shared_range(values, pad)
        lo, hi = _round_out(min(lo, wide_lo), max(hi, wide_hi))
    return lo, hi


def _ticks(lo: float, hi: float, most: int = 6) -> tuple[list[float], int]:
    """Tick values inside [lo, hi] and the decimals their labels need."""
    step = _step(hi - lo, most)
    decimals = max(0, -math.floor(math.log10(step) + 1e-9))
    first = math.ceil(lo / step - 1e-9)
    ticks = []
    k = first
    while k * step <= hi + 1e-9:
        ticks.append(_clean(k * step))
        k += 1
    return ticks, decimals


# ---------------------------------------------------------------------------------------------
# Pieces every chart shares


def _open(title: str, height: int) -> list[str]:
    label = escape(title)
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" aria-label="{label}" '
        f'font-family="{FONT}" fill="{_INK}">',
        f"<title>{label}</title>",
        _text(_RIGHT, 20, title, size=_title_size(title), extra=' font-weight="bold"'),
    ]


def _title_size(title: str) -> int:
    """14 units, or smaller (never under 10) when a long title would run past the edge."""
    room = WIDTH - 2 * _RIGHT
    size = _TITLE_SIZE
    while size > 10 and _text_width(title, size) * 1.05 > room:  # bold runs a little wider
        size -= 1
    return size


def _year_labels(
    parts: list[str], years: Sequence[str], x: Callable[[int], float], slot: float, y: float
) -> None:
    """Year labels under the plot: smaller when they are crowded, and every other (or every
    third …) when still too wide, counting back from the newest, which is always labelled."""
    size = _SMALL_SIZE if all(_text_width(t, _SMALL_SIZE) < slot - 4 for t in years) else 10
    every = max(1, math.ceil(max(_text_width(t, size) + 6 for t in years) / slot))
    for i, year in enumerate(years):
        if (len(years) - 1 - i) % every == 0:
            parts.append(_text(x(i), y, year, size=size, anchor="middle"))


def _legend(items: list[tuple[str, str]], x0: float, y0: float) -> tuple[list[str], float]:
    """Legend entries as (glyph, label) flowing left to right, wrapped at the chart's width.
    Glyphs: ``dot``, ``band``, ``line``, ``dash``, ``break``, ``grey``, ``limit95``,
    ``limit998``, ``marker:<verdict>`` and ``level:<colour>``. Returns the parts and the y below.
    """
    parts, below = _legend_drawn(tuple(items), x0, y0)
    return list(parts), below


@functools.lru_cache(maxsize=256)
def _legend_drawn(
    items: tuple[tuple[str, str], ...], x0: float, y0: float
) -> tuple[tuple[str, ...], float]:
    """:func:`_legend`, drawn once per distinct legend: `speil --alle` draws the same few
    legends some 40,000 times."""
    parts = ['<g class="legende">']
    x, y = x0, y0
    row_h = 18
    for glyph, label in items:
        width = 24 + _text_width(label, _SMALL_SIZE)
        if x > x0 and x + width > WIDTH - _RIGHT:
            x, y = x0, y + row_h
        parts.append(_glyph(glyph, x, y))
        parts.append(_text(x + 24, y + 4, label, size=_SMALL_SIZE))
        x += width + 14
    parts.append("</g>")
    return tuple(parts), y + row_h


def _glyph(glyph: str, x: float, y: float) -> str:
    """A legend's 18 × 12 sample, centred vertically on ``y``."""
    mid = x + 9
    if glyph == "dot":
        return (
            f'<line x1="{_num(x)}" x2="{_num(x + 18)}" y1="{_num(y)}" y2="{_num(y)}" '
            f'stroke="{_SCHOOL}" stroke-width="2"/>'
            f'<circle cx="{_num(mid)}" cy="{_num(y)}" r="4" fill="{_SCHOOL}"/>'
        )
    if glyph == "band":
        return (
            f'<rect x="{_num(x)}" y="{_num(y - 6)}" width="18" height="12" fill="{_BAND}"/>'
            f'<line x1="{_num(mid)}" x2="{_num(mid)}" y1="{_num(y - 6)}" y2="{_num(y + 6)}" '
            f'stroke="{_SCHOOL}" stroke-width="1.5"/>'
        )
    if glyph in ("line", "dash", "limit95", "limit998"):
        colour, width, dash = {
            "line": (_KOMMUNE, _KOMMUNE_WIDTH, ""),
            "dash": (_NATION, _NATION_WIDTH, _NATION_DASH),
            "limit95": (_LINES, "1.5", _DASH_95),
            "limit998": (_LINES, "1.5", _DASH_998),
        }[glyph]
        pattern = f' stroke-dasharray="{dash}"' if dash else ""
        return (
            f'<line x1="{_num(x)}" x2="{_num(x + 18)}" y1="{_num(y)}" y2="{_num(y)}" '
            f'stroke="{colour}" stroke-width="{width}"{pattern}/>'
        )
    if glyph == "break":
        return (
            f'<line x1="{_num(mid)}" x2="{_num(mid)}" y1="{_num(y - 7)}" y2="{_num(y + 7)}" '
            f'stroke="{_BREAK}" stroke-width="2" stroke-dasharray="3 2"/>'
        )
    if glyph == "grey":
        return f'<circle cx="{_num(mid)}" cy="{_num(y)}" r="4" fill="{_OTHERS}"/>'
    if glyph.startswith("marker:"):
        return _marker(glyph.removeprefix("marker:"), mid, y, 6)
    colour = glyph.removeprefix("level:")
    return (
        f'<rect x="{_num(x)}" y="{_num(y - 6)}" width="18" height="12" fill="{colour}" '
        f'stroke="{_MUTED}" stroke-width="0.5"/>'
    )


def _marker(verdict: str | None, cx: float, cy: float, size: float, extra: str = "") -> str:
    """The school's funnel marker: ▲ over, ▼ under, ◆ no sure difference, ● no verdict."""
    colour, shape, _ = VERDICTS.get(verdict or "", (_SCHOOL, "circle", ""))
    outline = f'fill="{colour}" stroke="#fff" stroke-width="1.5"{extra}'
    if shape == "circle":
        return f'<circle cx="{_num(cx)}" cy="{_num(cy)}" r="{_num(size)}" {outline}/>'
    if shape == "up":
        corners = [(cx, cy - size), (cx + size, cy + size * 0.8), (cx - size, cy + size * 0.8)]
    elif shape == "down":
        corners = [(cx, cy + size), (cx + size, cy - size * 0.8), (cx - size, cy - size * 0.8)]
    else:
        corners = [(cx, cy - size), (cx + size, cy), (cx, cy + size), (cx - size, cy)]
    points = " ".join(f"{_num(a)},{_num(b)}" for a, b in corners)
    return f'<polygon points="{points}" {outline}/>'


@dataclass(frozen=True)
class _Axis:
    """A linear map from values to pixels, ``_INSET`` inside the plot frame at both ends."""

    lo: float
    hi: float
    start: float  # pixel of ``lo``'s frame edge
    end: float  # pixel of ``hi``'s frame edge

    def __call__(self, value: float) -> float:
        inner_start = self.start + (_INSET if self.end > self.start else -_INSET)
        inner_end = self.end - (_INSET if self.end > self.start else -_INSET)
        return inner_start + (inner_end - inner_start) * (value - self.lo) / (self.hi - self.lo)


def _value_axis(
    parts: list[str], y: _Axis, left: float, right: float, label: str | None = "Skalapoeng"
) -> None:
    """Horizontal grid lines with Norwegian tick labels, and the rotated axis label."""
    parts.extend(_value_axis_drawn(y, left, right, label))


@functools.lru_cache(maxsize=1024)
def _value_axis_drawn(y: _Axis, left: float, right: float, label: str | None) -> tuple[str, ...]:
    """:func:`_value_axis` drawn once per distinct axis (most charts share a few ranges)."""
    parts: list[str] = []
    ticks, decimals = _ticks(y.lo, y.hi)
    for tick in ticks:
        at = y(tick)
        parts.append(
            f'<line x1="{_num(left)}" x2="{_num(right)}" y1="{_num(at)}" y2="{_num(at)}" '
            f'stroke="{_GRID}"/>'
        )
        parts.append(_text(left - 6, at + 4, format_number(tick, decimals), anchor="end"))
    if label:
        middle = (y.start + y.end) / 2
        parts.append(
            _text(
                16,
                middle,
                label,
                anchor="middle",
                fill=_MUTED,
                extra=f' transform="rotate(-90 16 {_num(middle)})"',
            )
        )
    return tuple(parts)


def _frame(left: float, top: float, right: float, bottom: float) -> str:
    return (
        f'<rect x="{_num(left)}" y="{_num(top)}" width="{_num(right - left)}" '
        f'height="{_num(bottom - top)}" fill="none" stroke="{_FRAME}" class="plott"/>'
    )


# ---------------------------------------------------------------------------------------------
# Trend


@dataclass(frozen=True)
class TrendPoint:
    year: str
    value: float | None
    low: float | None
    high: float | None
    nation: float | None
    series: int
    kommune: float | None = None


def trend_values(points: Iterable[TrendPoint]) -> list[float]:
    """Every value a trend chart draws (school, interval ends, kommune, nation): what
    :func:`shared_range` needs so that one range fits all of a trinn's charts."""
    return [
        v for p in points for v in (p.value, p.low, p.high, p.kommune, p.nation) if v is not None
    ]


def trend_svg(
    title: str,
    points: list[TrendPoint],
    *,
    y_range: tuple[float, float] | None = None,
    require_school: bool = True,
    unit_label: str = "Skolen",
) -> str | None:
    """The school's result per year with its 95 % band, the kommune as a solid grey line and
    the nation dashed, series breaks marked (the lines restart after one), a legend and the title.

    ``y_range`` gives the value axis (one per trinn, from :func:`shared_range`); a value outside
    it widens it. Returns ``None`` when there is nothing to draw — with ``require_school`` (the
    default) also when the school has no result at all; without it, a suppressed school's chart
    shows the kommune and the nation alone. ``unit_label`` names the unit drawn with the band
    (the kommune report draws the kommune itself).
    """
    if not points:
        return None
    if require_school and not any(p.value is not None for p in points):
        return None
    values = trend_values(points)
    if not values:
        return None
    lo, hi = _fit_range(values, y_range)
    has_school = any(p.value is not None for p in points)
    has_band = any(p.value is not None and p.low is not None and p.high is not None for p in points)
    has_kommune = any(p.kommune is not None for p in points)
    has_nation = any(p.nation is not None for p in points)
    breaks = [i for i in range(1, len(points)) if points[i].series != points[i - 1].series]

    parts = _open(title, HEIGHT)
    legend: list[tuple[str, str]] = []
    if has_school:
        legend.append(("dot", unit_label))
    if has_band:
        legend.append(("band", "95 % usikkerhet"))
    if has_kommune:
        legend.append(("line", "Kommunen"))
    if has_nation:
        legend.append(("dash", "Landet"))
    if breaks:
        legend.append(("break", "Brudd i tidsserien"))
    legend_parts, below = _legend(legend, _RIGHT, 38)
    parts.extend(legend_parts)

    left, right = _LEFT, WIDTH - _RIGHT
    top, bottom = below + 2, HEIGHT - 26
    y = _Axis(lo, hi, bottom, top)
    slot = (right - left) / len(points)

    def x(i: int) -> float:
        return left + slot * (i + 0.5)

    _value_axis(parts, y, left, right)
    parts.append(_frame(left, top, right, bottom))

    runs: list[list[int]] = []  # consecutive indices of one series
    for i in range(len(points)):
        if i in breaks or not runs:
            runs.append([])
        runs[-1].append(i)

    # The school's line and band stop at a year without a result (suppressed) and at a break.
    banded = [
        i
        for i, p in enumerate(points)
        if p.value is not None and p.low is not None and p.high is not None
    ]
    for band in _stretches(banded, breaks):
        if len(band) > 1:
            upper = " ".join(f"{_num(x(i))},{_num(y(_f(points[i].high)))}" for i in band)
            lower = " ".join(f"{_num(x(i))},{_num(y(_f(points[i].low)))}" for i in reversed(band))
            parts.append(f'<polygon points="{upper} {lower}" fill="{_BAND}" opacity="0.7"/>')
    for run in runs:
        for attr, style in (
            ("kommune", f'stroke="{_KOMMUNE}" stroke-width="{_KOMMUNE_WIDTH}"'),
            (
                "nation",
                f'stroke="{_NATION}" stroke-width="{_NATION_WIDTH}" '
                f'stroke-dasharray="{_NATION_DASH}"',
            ),
        ):
            line = [
                (i, getattr(points[i], attr)) for i in run if getattr(points[i], attr) is not None
            ]
            parts.append(_reference_line(line, x, y, slot, style))
    for i, p in enumerate(points):
        if p.value is not None and p.low is not None and p.high is not None:
            parts.append(
                f'<line x1="{_num(x(i))}" x2="{_num(x(i))}" y1="{_num(y(p.low))}" '
                f'y2="{_num(y(p.high))}" stroke="{_SCHOOL}" stroke-width="1.5"/>'
            )
    present = [i for i, p in enumerate(points) if p.value is not None]
    for line_points in _stretches(present, breaks):
        if len(line_points) > 1:
            coords = " ".join(f"{_num(x(i))},{_num(y(_f(points[i].value)))}" for i in line_points)
            parts.append(
                f'<polyline points="{coords}" fill="none" stroke="{_SCHOOL}" stroke-width="2.5"/>'
            )
    for i, p in enumerate(points):
        if p.value is not None:
            parts.append(
                f'<circle cx="{_num(x(i))}" cy="{_num(y(p.value))}" r="4.5" fill="{_SCHOOL}" '
                'stroke="#fff" stroke-width="1"/>'
            )
    for i in breaks:
        bx = (x(i) + x(i - 1)) / 2
        parts.append(
            f'<line x1="{_num(bx)}" x2="{_num(bx)}" y1="{_num(top)}" y2="{_num(bottom)}" '
            f'stroke="{_BREAK}" stroke-width="2" stroke-dasharray="3 2"/>'
        )
    _year_labels(parts, [p.year for p in points], x, slot, bottom + 16)
    parts.append("</svg>")
    return "".join(parts)


def _f(value: float | None) -> float:
    """A value the caller has checked is present (keeps mypy content without casts)."""
    assert value is not None
    return value


def _stretches(indices: list[int], breaks: list[int]) -> list[list[int]]:
    """Runs of consecutive indices, cut at gaps and before every series break."""
    result: list[list[int]] = []
    for i in indices:
        if not result or i != result[-1][-1] + 1 or i in breaks:
            result.append([])
        result[-1].append(i)
    return result


def _reference_line(
    line: list[tuple[int, float]],
    x: Callable[[int], float],
    y: _Axis,
    slot: float,
    stroke: str,
) -> str:
    """The kommune's or the nation's line; a single year is a short level stroke."""
    if not line:
        return ""
    style = f'fill="none" {stroke}'
    if len(line) == 1:
        i, v = line[0]
        half = min(18.0, slot / 3)
        return (
            f'<line x1="{_num(x(i) - half)}" x2="{_num(x(i) + half)}" y1="{_num(y(v))}" '
            f'y2="{_num(y(v))}" {style}/>'
        )
    coords = " ".join(f"{_num(x(i))},{_num(y(v))}" for i, v in line)
    return f'<polyline points="{coords}" {style}/>'


# ---------------------------------------------------------------------------------------------
# Funnel


@dataclass(frozen=True)
class FunnelPoint:
    n: int
    value: float
    low95: float
    high95: float
    low998: float
    high998: float
    is_school: bool
    verdict: str | None = None
    # the school owner's funnel: every school drawn with its verdict and this short label
    label: str | None = None


def funnel_svg(
    title: str,
    reference: float,
    points: list[FunnelPoint],
    *,
    verdict_label: str | None = None,
) -> str | None:
    """School means against their number of pupils, with the 95 % and 99.8 % limits around the
    kommune as steps (each school's limits hold around its own n). The kommune's other schools
    are grey and unnamed; the school is a larger marker whose colour and shape give its verdict
    (▲ over, ▼ under, ◆ no sure difference). ``verdict_label`` replaces the legend's words for
    the verdict, so the chart can say exactly what the report says.
    """
    if len(points) >= 2 and not any(p.is_school for p in points) and all(p.label for p in points):
        return _owner_funnel(title, reference, points)
    if len(points) < 2 or not any(p.is_school for p in points):
        return None
    ordered = sorted(points, key=lambda p: (p.n, p.value, not p.is_school))
    at = next(i for i, p in enumerate(ordered) if p.is_school)
    school = ordered[at]
    parts = _open(title, FUNNEL_HEIGHT)
    words = verdict_label or VERDICTS.get(school.verdict or "", ("", "", ""))[2]
    legend = [
        ("grey", "Andre skoler"),
        (f"marker:{school.verdict or ''}", f"Skolen: {words}" if words else "Skolen"),
        ("line", "Kommunen"),
        ("limit95", "95 %-grense"),
        ("limit998", "99,8 %-grense"),
    ]
    legend_parts, below = _legend(legend, _RIGHT, 38)
    parts.extend(legend_parts)
    # everything but the school's marker is the same for every school of the kommune
    shared = _funnel_shared(
        reference,
        tuple((p.n, p.value, p.low95, p.high95, p.low998, p.high998) for p in ordered),
        below,
    )
    parts.append(shared.body)
    parts.extend(circle for i, circle in enumerate(shared.circles) if i != at)
    left, right = _LEFT, WIDTH - _RIGHT
    sx, sy = shared.x(school.n), shared.y(school.value)
    parts.append(_marker(school.verdict, sx, sy, 8, ' class="skolen"'))
    on_left = sx > (left + right) / 2
    halo = ' stroke="#fff" stroke-width="3" paint-order="stroke"'
    parts.append(
        _text(
            sx - 12 if on_left else sx + 12,
            sy + 4,
            "Skolen",
            anchor="end" if on_left else "start",
            extra=' font-weight="bold"' + halo,
        )
    )
    parts.append(shared.tail)
    return "".join(parts)


@dataclass(frozen=True)
class _FunnelShared:
    body: str  # axes, limits and the kommune's line
    circles: tuple[str, ...]  # one grey dot per point, in the points' order
    tail: str  # the n axis and the end of the SVG
    x: _Axis
    y: _Axis


@functools.lru_cache(maxsize=64)
def _funnel_shared(
    reference: float,
    values: tuple[tuple[int, float, float, float, float, float], ...],
    below: float,
) -> _FunnelShared:
    """The part of a school's funnel its kommune's other schools share: built once per
    kommune, trinn and test, not once per school (``speil --alle`` draws each funnel as many
    times as the kommune has schools)."""
    ordered = [FunnelPoint(*v, is_school=False) for v in values]
    lo, hi = shared_range([v for p in values for v in (p[1], p[4], p[5])] + [reference], pad=1.0)
    n_step = _step(max(p.n for p in ordered) * 1.05, 6)
    n_hi = math.ceil(max(p.n for p in ordered) * 1.05 / n_step) * n_step
    parts: list[str] = []
    left, right = _LEFT, WIDTH - _RIGHT
    top, bottom = below + 2, FUNNEL_HEIGHT - 40
    y = _Axis(lo, hi, bottom, top)
    x = _Axis(0.0, float(n_hi), left, right)
    _value_axis(parts, y, left, right)

    groups = _by_n(ordered)
    upper95 = _step_points(groups, 1, x)
    lower95 = _step_points(groups, 0, x)
    fill = " ".join(f"{_num(a)},{_num(y(b))}" for a, b in upper95 + lower95[::-1])
    parts.append(f'<polygon points="{fill}" fill="{_FUNNEL_FILL}"/>')
    parts.append(_frame(left, top, right, bottom))
    for side, dash in ((0, _DASH_95), (1, _DASH_95), (2, _DASH_998), (3, _DASH_998)):
        coords = " ".join(f"{_num(a)},{_num(y(b))}" for a, b in _step_points(groups, side, x))
        parts.append(
            f'<polyline points="{coords}" fill="none" stroke="{_LINES}" stroke-width="1.5" '
            f'stroke-dasharray="{dash}"/>'
        )
    ref_y = y(reference)
    parts.append(
        f'<line x1="{_num(left)}" x2="{_num(right)}" y1="{_num(ref_y)}" y2="{_num(ref_y)}" '
        f'stroke="{_KOMMUNE}" stroke-width="{_KOMMUNE_WIDTH}"/>'
    )
    halo = ' stroke="#fff" stroke-width="3" paint-order="stroke"'
    parts.append(
        # at the left, where n is below the smallest reported group and no school can sit
        _text(left + 4, ref_y - 5, "Kommunen", size=_SMALL_SIZE, extra=halo)
    )
    circles = tuple(
        f'<circle cx="{_num(x(p.n))}" cy="{_num(y(p.value))}" r="4" fill="{_OTHERS}" '
        'stroke="#fff" stroke-width="0.75"/>'
        for p in ordered
    )
    tail: list[str] = []
    ticks, _ = _ticks(0.0, float(n_hi))
    for tick in ticks:
        tail.append(
            _text(x(tick), bottom + 15, format_number(tick), size=_SMALL_SIZE, anchor="middle")
        )
    tail.append(_text((left + right) / 2, bottom + 32, "Elever (n)", anchor="middle", fill=_MUTED))
    tail.append("</svg>")
    return _FunnelShared("".join(parts), circles, "".join(tail), x, y)


def _owner_funnel(title: str, reference: float, points: list[FunnelPoint]) -> str:
    """Every school of the kommune with its verdict marker and its label (the school owner's
    funnel): the same limits as the Læringsspeil's, no school singled out."""
    ordered = sorted(points, key=lambda p: (p.n, p.value, p.label or ""))
    values = [v for p in ordered for v in (p.value, p.low998, p.high998)] + [reference]
    lo, hi = shared_range(values, pad=1.0)
    n_step = _step(max(p.n for p in ordered) * 1.05, 6)
    n_hi = math.ceil(max(p.n for p in ordered) * 1.05 / n_step) * n_step
    parts = _open(title, FUNNEL_HEIGHT)
    legend = [
        ("marker:over", VERDICTS["over"][2]),
        ("marker:under", VERDICTS["under"][2]),
        ("marker:ikke_sikker", VERDICTS["ikke_sikker"][2]),
        ("line", "Kommunen"),
        ("limit95", "95 %-grense"),
        ("limit998", "99,8 %-grense"),
    ]
    legend_parts, below = _legend(legend, _RIGHT, 38)
    parts.extend(legend_parts)
    left, right = _LEFT, WIDTH - _RIGHT
    top, bottom = below + 2, FUNNEL_HEIGHT - 40
    y = _Axis(lo, hi, bottom, top)
    x = _Axis(0.0, float(n_hi), left, right)
    _value_axis(parts, y, left, right)
    groups = _by_n(ordered)
    upper95 = _step_points(groups, 1, x)
    lower95 = _step_points(groups, 0, x)
    fill = " ".join(f"{_num(a)},{_num(y(b))}" for a, b in upper95 + lower95[::-1])
    parts.append(f'<polygon points="{fill}" fill="{_FUNNEL_FILL}"/>')
    parts.append(_frame(left, top, right, bottom))
    for side, dash in ((0, _DASH_95), (1, _DASH_95), (2, _DASH_998), (3, _DASH_998)):
        coords = " ".join(f"{_num(a)},{_num(y(b))}" for a, b in _step_points(groups, side, x))
        parts.append(
            f'<polyline points="{coords}" fill="none" stroke="{_LINES}" stroke-width="1.5" '
            f'stroke-dasharray="{dash}"/>'
        )
    ref_y = y(reference)
    parts.append(
        f'<line x1="{_num(left)}" x2="{_num(right)}" y1="{_num(ref_y)}" y2="{_num(ref_y)}" '
        f'stroke="{_KOMMUNE}" stroke-width="{_KOMMUNE_WIDTH}"/>'
    )
    halo = ' stroke="#fff" stroke-width="3" paint-order="stroke"'
    parts.append(_text(left + 4, ref_y - 5, "Kommunen", size=_SMALL_SIZE, extra=halo))
    for p in ordered:
        px, py = x(p.n), y(p.value)
        parts.append(_marker(p.verdict, px, py, 6, ' class="skole"'))
        on_left = px > (left + right) / 2
        parts.append(
            _text(
                px - 9 if on_left else px + 9,
                py + 4,
                p.label or "",
                size=_SMALL_SIZE,
                anchor="end" if on_left else "start",
                extra=halo,
            )
        )
    ticks, _ = _ticks(0.0, float(n_hi))
    for tick in ticks:
        parts.append(
            _text(x(tick), bottom + 15, format_number(tick), size=_SMALL_SIZE, anchor="middle")
        )
    parts.append(_text((left + right) / 2, bottom + 32, "Elever (n)", anchor="middle", fill=_MUTED))
    parts.append("</svg>")
    return "".join(parts)


def _by_n(ordered: list[FunnelPoint]) -> list[tuple[float, tuple[float, float, float, float]]]:
    """The limits at each distinct n (averaged when schools of the same size differ)."""
    groups: dict[int, list[FunnelPoint]] = {}
    for p in ordered:
        groups.setdefault(p.n, []).append(p)
    result = []
    for n, group in sorted(groups.items()):
        k = len(group)
        result.append(
            (
                float(n),
                (
                    sum(p.low95 for p in group) / k,
                    sum(p.high95 for p in group) / k,
                    sum(p.low998 for p in group) / k,
                    sum(p.high998 for p in group) / k,
                ),
            )
        )
    return result


def _step_points(
    groups: list[tuple[float, tuple[float, float, float, float]]], side: int, x: _Axis
) -> list[tuple[float, float]]:
    """A step curve in pixels (x) and values (y): each n's limit holds from halfway to the
    previous school's n to halfway to the next one's."""
    ns = [n for n, _ in groups]
    reach = max(x.hi * 0.03, 1.0)
    result: list[tuple[float, float]] = []
    for j, (n, limits) in enumerate(groups):
        start = (ns[j - 1] + n) / 2 if j > 0 else max(x.lo, n - reach)
        end = (n + ns[j + 1]) / 2 if j + 1 < len(ns) else min(x.hi, n + reach)
        result.append((x(start), limits[side]))
        result.append((x(end), limits[side]))
    return result


# ---------------------------------------------------------------------------------------------
# Mastery levels


def _level_colours(levels: int) -> tuple[str, ...]:
    if levels == len(LEVEL_COLOURS):
        return LEVEL_COLOURS
    if levels == 3:
        return (LEVEL_COLOURS[0], LEVEL_COLOURS[2], LEVEL_COLOURS[4])
    picks = [round(i * (len(LEVEL_COLOURS) - 1) / max(levels - 1, 1)) for i in range(levels)]
    return tuple(LEVEL_COLOURS[i] for i in picks)


def _percentages(shares: Sequence[float]) -> list[int]:
    """Whole percentages that add up to the rounded total (largest remainder), so a bar of
    shares that sum to one prints numbers that sum to 100."""
    exact = [max(s, 0.0) * 100 for s in shares]
    floors = [math.floor(e + 1e-9) for e in exact]
    missing = round(sum(exact)) - sum(floors)
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[: max(missing, 0)]:
        floors[i] += 1
    return floors


def _level_legend(levels_seen: Sequence[int]) -> list[tuple[str, str]]:
    """«Nivå 1» … for the widest scale; a chart mixing scales names the narrower one too."""
    widest = max(levels_seen)
    items = [
        (f"level:{colour}", f"Nivå {i}") for i, colour in enumerate(_level_colours(widest), start=1)
    ]
    for other in sorted(set(levels_seen) - {widest}, reverse=True):
        items.extend(
            (f"level:{colour}", f"Nivå {i} av {other}")
            for i, colour in enumerate(_level_colours(other), start=1)
        )
    return items


def _segment_label(value: int, colour: str, cx: float, cy: float) -> str:
    ink = "#fff" if colour in _DARK_LEVELS else _INK
    return _text(cx, cy + 4, f"{value}\u00a0%", size=_SMALL_SIZE, anchor="middle", fill=ink)


_MIN_LABEL_SHARE = 0.08


def levels_svg(
    title: str, bars: list[tuple[str, list[float]]], *, levels: int | None = None
) -> str | None:
    """Stacked bars of the share of pupils at each mastery level (1 left, highest right), with
    a legend and the percentage printed in every segment of at least 8 %. ``levels`` fixes the
    scale (5, or 3 on 5. trinn); by default each bar's own length."""
    if not bars:
        return None
    scales = [levels or len(shares) for _, shares in bars]
    if not any(scales):
        return None
    label_w = min(220.0, max(80.0, max(_text_width(label, _TEXT_SIZE) for label, _ in bars) + 14))
    row_h = 28
    legend_parts, below = _legend(_level_legend([s for s in scales if s]), _RIGHT, 38)
    top = below + 4
    height = int(top + row_h * len(bars) + 8)
    parts = _open(title, height)
    parts.extend(legend_parts)
    left, right = _RIGHT + label_w, WIDTH - _RIGHT
    for row, ((label, shares), scale) in enumerate(zip(bars, scales, strict=True)):
        y0 = top + row * row_h
        parts.append(_text(left - 8, y0 + 15, label, anchor="end"))
        colours = _level_colours(scale)
        labels = _percentages(shares)
        cumulative = 0.0
        for level, (share, colour, shown) in enumerate(
            zip(shares, colours, labels, strict=False), start=1
        ):
            x0 = left + (right - left) * cumulative
            cumulative += max(share, 0.0)
            x1 = left + (right - left) * cumulative
            parts.append(
                f'<rect x="{_num(x0)}" y="{_num(y0)}" width="{_num(x1 - x0)}" '
                f'height="{row_h - 6}" fill="{colour}" stroke="#fff" stroke-width="1">'
                f"<title>nivå {level}: {shown} %</title></rect>"
            )
            if share >= _MIN_LABEL_SHARE:
                parts.append(_segment_label(shown, colour, (x0 + x1) / 2, y0 + (row_h - 6) / 2))
    parts.append("</svg>")
    return "".join(parts)


def levels_over_years_svg(
    title: str,
    rows: list[tuple[str, list[float]]],
    levels: int,
    groups: Sequence[str] | None = None,
) -> str | None:
    """The school's mastery distribution over the years: one stacked column per school year,
    oldest left, nivå 1 at the bottom; the same legend and colours as :func:`levels_svg`.

    ``groups`` (one per row, e.g. the test): rows of a group stand together, a gap between
    groups, every column labelled with its year and each group named once below them. (As one
    run of «lesing 2024-25» labels, a crowded chart labelled every other column, and the reader
    could not tell which year or test an unlabelled column was.)"""
    if not rows or levels < 1:
        return None
    if groups is not None and len(groups) != len(rows):
        raise ValueError("groups must name every row")
    colours = _level_colours(levels)
    height = HEIGHT if groups is None else HEIGHT + _GROUP_LABEL_ROOM
    parts = _open(title, height)
    legend_parts, below = _legend(_level_legend([levels]), _RIGHT, 38)
    parts.extend(legend_parts)
    left, right = _LEFT, WIDTH - _RIGHT
    top, bottom = below + 2, HEIGHT - 26
    y = _Axis(0.0, 1.0, bottom, top)
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        at = y(tick)
        parts.append(
            f'<line x1="{_num(left)}" x2="{_num(right)}" y1="{_num(at)}" y2="{_num(at)}" '
            f'stroke="{_GRID}"/>'
        )
        parts.append(_text(left - 6, at + 4, f"{format_number(tick * 100)}\u00a0%", anchor="end"))
    middle = (top + bottom) / 2
    parts.append(
        _text(
            16,
            middle,
            "Andel elever",
            anchor="middle",
            fill=_MUTED,
            extra=f' transform="rotate(-90 16 {_num(middle)})"',
        )
    )
    # a group's index per row (a new group where the name changes), and a gap between groups
    group_index: list[int] = []
    for i in range(len(rows)):
        new = i > 0 and groups is not None and groups[i] != groups[i - 1]
        group_index.append((group_index[-1] if group_index else 0) + (1 if new else 0))
    slot = (right - left) / (len(rows) + _GROUP_GAP * group_index[-1])
    bar_w = min(72.0, slot * 0.62)

    def x(i: int) -> float:
        return left + slot * (i + 0.5 + _GROUP_GAP * group_index[i])

    for i, (year, shares) in enumerate(rows):
        cx = x(i)
        named = year if groups is None else f"{groups[i]} {year}"
        labels = _percentages(shares[:levels])
        cumulative = 0.0
        for level, (share, colour, shown) in enumerate(
            zip(shares, colours, labels, strict=False), start=1
        ):
            y_low = y(cumulative)
            cumulative += max(share, 0.0)
            y_high = y(cumulative)
            parts.append(
                f'<rect x="{_num(cx - bar_w / 2)}" y="{_num(y_high)}" width="{_num(bar_w)}" '
                f'height="{_num(y_low - y_high)}" fill="{colour}" stroke="#fff" stroke-width="1">'
                f"<title>{escape(named)}, nivå {level}: {shown} %</title></rect>"
            )
            # a label where it fits the column: a 5. trinn's twelve columns are narrow, but
            # «44 %» still fits, and the numbers are what a reader reads off the chart
            fits = _text_width(f"{shown}\u00a0%", _SMALL_SIZE) <= bar_w - 2
            if share >= _MIN_LABEL_SHARE and fits:
                parts.append(_segment_label(shown, colour, cx, (y_low + y_high) / 2))
    years = [year for year, _ in rows]
    if groups is None:
        _year_labels(parts, years, x, slot, bottom + 16)
    else:
        # every column its year, shortened («24-25») where the whole one does not fit
        if not all(_text_width(t, _SMALL_SIZE) < slot - 4 for t in years):
            years = [t[2:] if len(t) == 7 and t[4] == "-" else t for t in years]
        _year_labels(parts, years, x, slot, bottom + 16)
        first = 0
        for i in range(1, len(rows) + 1):
            if i == len(rows) or group_index[i] != group_index[first]:
                centre = (x(first) + x(i - 1)) / 2
                parts.append(_text(centre, bottom + 34, groups[first], anchor="middle"))
                first = i
    parts.append("</svg>")
    return "".join(parts)
