"""Charts as self-contained SVG text: no network, no JavaScript, prints cleanly, and the same
input gives the same bytes. Written by hand because a plotting library would add a heavy
dependency for three small chart types; every label is escaped.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 520, 220
_LEFT, _RIGHT, _TOP, _BOTTOM = 44, 16, 16, 34
_SCHOOL = "#1f5f8b"
_BAND = "#9cc3e0"
_NATION = "#6b6b6b"
_BREAK = "#b8432f"


@dataclass(frozen=True)
class TrendPoint:
    year: str
    value: float | None
    low: float | None
    high: float | None
    nation: float | None
    series: int


def _num(x: float) -> str:
    return f"{x:.1f}"


def trend_svg(title: str, points: list[TrendPoint]) -> str | None:
    """A school's result per year with its 95 % band, the nation dashed, breaks marked."""
    shown = [p for p in points if p.value is not None]
    if not shown:
        return None
    values = [v for p in points for v in (p.value, p.low, p.high, p.nation) if v is not None]
    lo, hi = min(values) - 2, max(values) + 2
    n = len(points)
    plot_w, plot_h = WIDTH - _LEFT - _RIGHT, HEIGHT - _TOP - _BOTTOM

    def x(i: int) -> float:
        return _LEFT + (plot_w * (i + 0.5) / n)

    def y(v: float) -> float:
        return _TOP + plot_h * (hi - v) / (hi - lo)

    parts = _canvas(title, plot_w, plot_h, [(tick, y(tick)) for tick in _ticks(lo, hi)])
    for series in sorted({p.series for p in shown}):
        idx = [i for i, p in enumerate(points) if p.series == series and p.value is not None]
        band = [i for i in idx if points[i].low is not None and points[i].high is not None]
        if len(band) > 1:
            upper = " ".join(f"{_num(x(i))},{_num(y(points[i].high))}" for i in band)  # type: ignore[arg-type]
            lower = " ".join(f"{_num(x(i))},{_num(y(points[i].low))}" for i in reversed(band))  # type: ignore[arg-type]
            parts.append(f'<polygon points="{upper} {lower}" fill="{_BAND}" opacity="0.6"/>')
        if len(idx) > 1:
            line = " ".join(f"{_num(x(i))},{_num(y(points[i].value))}" for i in idx)  # type: ignore[arg-type]
            parts.append(
                f'<polyline points="{line}" fill="none" stroke="{_SCHOOL}" stroke-width="2"/>'
            )
    nation = [(i, p.nation) for i, p in enumerate(points) if p.nation is not None]
    if len(nation) > 1:
        line = " ".join(f"{_num(x(i))},{_num(y(v))}" for i, v in nation)
        parts.append(
            f'<polyline points="{line}" fill="none" stroke="{_NATION}" stroke-dasharray="5 4"/>'
        )
    for i, p in enumerate(points):
        if p.value is not None:
            if p.low is not None and p.high is not None:
                parts.append(
                    f'<line x1="{_num(x(i))}" x2="{_num(x(i))}" y1="{_num(y(p.low))}" '
                    f'y2="{_num(y(p.high))}" stroke="{_SCHOOL}"/>'
                )
            parts.append(
                f'<circle cx="{_num(x(i))}" cy="{_num(y(p.value))}" r="3.5" fill="{_SCHOOL}"/>'
            )
        parts.append(
            f'<text x="{_num(x(i))}" y="{HEIGHT - 14}" font-size="11" text-anchor="middle">'
            f"{escape(p.year)}</text>"
        )
        if i > 0 and p.series != points[i - 1].series:
            bx = _num((x(i) + x(i - 1)) / 2)
            parts.append(
                f'<line x1="{bx}" x2="{bx}" y1="{_TOP}" y2="{_TOP + plot_h}" stroke="{_BREAK}" '
                'stroke-dasharray="3 3"/>'
                f'<text x="{bx}" y="{_TOP + 10}" font-size="10" fill="{_BREAK}" '
                'text-anchor="middle">brudd</text>'
            )
    parts.append(
        f'<text x="{_LEFT}" y="{HEIGHT - 2}" font-size="10" fill="{_NATION}">'
        "Heltrukket: skolen med 95 % intervall. Stiplet: landet.</text>"
    )
    parts.append("</svg>")
    return "".join(parts)


def _canvas(
    title: str, plot_w: float, plot_h: float, ticks: list[tuple[float, float]]
) -> list[str]:
    """The opening of a plot: svg element, title, frame and the value axis's labels."""
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<rect x="{_LEFT}" y="{_TOP}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#ccc"/>',
    ]
    for value, at in ticks:
        parts.append(
            f'<text x="{_LEFT - 6}" y="{_num(at + 4)}" font-size="11" text-anchor="end">'
            f"{value:g}</text>"
        )
    return parts


def _ticks(lo: float, hi: float) -> list[float]:
    step = 2.0 if hi - lo <= 16 else 5.0
    first = int(lo // step + 1) * step
    ticks = []
    value = first
    while value < hi:
        ticks.append(value)
        value += step
    return ticks


@dataclass(frozen=True)
class FunnelPoint:
    n: int
    mean: float
    low95: float
    high95: float
    low998: float
    high998: float
    this_school: bool


def funnel_svg(title: str, reference: float, points: list[FunnelPoint]) -> str | None:
    """School means against their number of pupils, with the 95 % and 99.8 % limits around the
    kommune. Other schools are grey and unnamed; the report's own school is highlighted."""
    if len(points) < 2 or not any(p.this_school for p in points):
        return None
    ordered = sorted(points, key=lambda p: (p.n, p.mean))
    values = [v for p in ordered for v in (p.mean, p.low998, p.high998)] + [reference]
    lo, hi = min(values) - 1, max(values) + 1
    n_lo, n_hi = 0, max(p.n for p in ordered) * 1.08
    plot_w, plot_h = WIDTH - _LEFT - _RIGHT, HEIGHT - _TOP - _BOTTOM

    def x(n: float) -> float:
        return _LEFT + plot_w * (n - n_lo) / (n_hi - n_lo)

    def y(v: float) -> float:
        return _TOP + plot_h * (hi - v) / (hi - lo)

    parts = _canvas(title, plot_w, plot_h, [(tick, y(tick)) for tick in _ticks(lo, hi)])
    for key, dash in (("95", "4 3"), ("998", "1 3")):
        for side in ("low", "high"):
            line = " ".join(
                f"{_num(x(p.n))},{_num(y(getattr(p, f'{side}{key}')))}" for p in ordered
            )
            parts.append(
                f'<polyline points="{line}" fill="none" stroke="{_NATION}" stroke-dasharray="{dash}"/>'
            )
    parts.append(
        f'<line x1="{_LEFT}" x2="{_LEFT + plot_w}" y1="{_num(y(reference))}" '
        f'y2="{_num(y(reference))}" stroke="{_NATION}"/>'
    )
    for p in ordered:
        colour, radius = (_BREAK, 5) if p.this_school else ("#9a9a9a", 3)
        parts.append(
            f'<circle cx="{_num(x(p.n))}" cy="{_num(y(p.mean))}" r="{radius}" fill="{colour}"/>'
        )
    step = next(s for s in (10, 20, 50, 100, 200, 500, 1000) if n_hi / s <= 8)
    for tick in range(step, int(n_hi) + 1, step):
        parts.append(
            f'<text x="{_num(x(tick))}" y="{_TOP + plot_h + 12}" font-size="10" '
            f'text-anchor="middle">{tick}</text>'
        )
    parts.append(
        f'<text x="{_LEFT + plot_w / 2}" y="{HEIGHT - 12}" font-size="11" text-anchor="middle">'
        "antall elever</text>"
        f'<text x="{_LEFT}" y="{HEIGHT - 2}" font-size="10" fill="{_NATION}">'
        "Rød: skolen. Grå: kommunens andre skoler. Linjer: kommunen, 95 % og 99,8 % grenser.</text>"
    )
    parts.append("</svg>")
    return "".join(parts)


_LEVEL_COLOURS = ("#b8432f", "#e08f62", "#e9d8a6", "#7fb3d5", "#1f5f8b")


def levels_svg(title: str, bars: list[tuple[str, list[float]]]) -> str | None:
    """Stacked bars of the share of pupils at each mastery level (1 left, highest right)."""
    if not bars:
        return None
    row_h, label_w = 26, 150
    height = _TOP + row_h * len(bars) + 40
    plot_w = WIDTH - label_w - _RIGHT
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    for row, (label, shares) in enumerate(bars):
        top = _TOP + row * row_h
        parts.append(
            f'<text x="{label_w - 8}" y="{top + 15}" font-size="11" text-anchor="end">'
            f"{escape(label)}</text>"
        )
        left = float(label_w)
        colours = (
            _LEVEL_COLOURS
            if len(shares) == 5
            else (_LEVEL_COLOURS[0], _LEVEL_COLOURS[2], _LEVEL_COLOURS[4])
        )
        for level, (share, colour) in enumerate(zip(shares, colours, strict=False), start=1):
            width = plot_w * share
            parts.append(
                f'<rect x="{_num(left)}" y="{top}" width="{_num(width)}" height="{row_h - 6}" '
                f'fill="{colour}"><title>nivå {level}: {share * 100:.0f} %</title></rect>'
            )
            if width > 26:
                ink = "#fff" if colour in (_LEVEL_COLOURS[0], _LEVEL_COLOURS[4]) else "#1d1d1d"
                parts.append(
                    f'<text x="{_num(left + width / 2)}" y="{top + 14}" font-size="10" '
                    f'fill="{ink}" text-anchor="middle">{share * 100:.0f}</text>'
                )
            left += width
    parts.append(
        f'<text x="{label_w}" y="{height - 8}" font-size="10" fill="{_NATION}">'
        "Prosent elever per mestringsnivå, nivå 1 til venstre.</text></svg>"
    )
    return "".join(parts)
