"""Charts and maps as inline SVG strings, drawn at build time (no JavaScript, no network).

Every figure carries ``role="img"``, a <title> and a <desc> (its alt text) and ``data-marks`` (how many
data marks it drew) so the browser tests can check it was drawn.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from itertools import count

from reports.palette import MUTED, TEXT

_ids = count(1)
Ring = list[tuple[float, float]]


def _open(kind: str, width: float, height: float, title: str, desc: str, marks: int, role: str = "img") -> str:
    n = next(_ids)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {kind}" viewBox="0 0 {width:.0f} {height:.0f}" '
            f'width="100%" role="{role}" aria-labelledby="t{n} d{n}" data-chart="{kind}" data-marks="{marks}">'
            f'<title id="t{n}">{escape(title)}</title><desc id="d{n}">{escape(desc)}</desc>')


def _text(x: float, y: float, s: str, *, anchor: str = "start", size: int = 12, fill: str = TEXT,
          weight: str = "normal") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}" '
            f'font-weight="{weight}">{escape(s)}</text>')


def short(label: str, width_px: float, size: int = 12) -> str:
    """Cut a label to fit ``width_px`` (the full text stays in the mark's <title> and the data table)."""
    chars = max(6, int(width_px / (size * 0.56)))
    return label if len(label) <= chars else label[: chars - 1].rstrip() + "…"


def _fmt(v: float | None, unit: str = "%") -> str:
    return "n/a" if v is None else f"{v:.1f}{unit}"


def grouped_bars(title: str, desc: str, categories: Sequence[str], series: Sequence[tuple[str, str]],
                 values: dict[tuple[str, str], float | None], unit: str = "%") -> str:
    """Horizontal bars: one group per category, one bar per series (name, colour)."""
    label_w, bar_h, gap, width = 190, 12, 10, 640
    plot_w = width - label_w - 70
    vmax = max([v for v in values.values() if v is not None] + [1.0])
    group_h = bar_h * len(series) + gap
    legend_h = 24
    height = legend_h + group_h * len(categories) + 10
    marks = sum(1 for v in values.values() if v is not None)
    out = [_open("bars", width, height, title, desc, marks)]
    x = label_w
    for name, colour in series:
        out.append(f'<rect x="{x}" y="4" width="12" height="12" fill="{colour}"/>')
        out.append(_text(x + 16, 14, name, size=12))
        x += 24 + 7.5 * len(name)
    for i, cat in enumerate(categories):
        y0 = legend_h + i * group_h
        out.append(_text(label_w - 8, y0 + group_h / 2, short(cat, label_w - 12), anchor="end", size=12))
        for j, (name, colour) in enumerate(series):
            v = values.get((cat, name))
            y = y0 + j * bar_h
            if v is None:
                out.append(_text(label_w + 4, y + bar_h - 2, "not published", size=10, fill=MUTED))
                continue
            w = max(0.5, plot_w * v / vmax)
            out.append(f'<rect class="mark" x="{label_w}" y="{y:.1f}" width="{w:.1f}" height="{bar_h - 2}" '
                       f'fill="{colour}"><title>{escape(f"{cat}, {name}: {_fmt(v, unit)}")}</title></rect>')
            out.append(_text(label_w + w + 4, y + bar_h - 2.5, _fmt(v, unit), size=10))
    out.append("</svg>")
    return "".join(out)


@dataclass
class Interval:
    label: str
    estimate: float | None
    lower: float | None
    upper: float | None
    comparators: dict[str, float | None] = field(default_factory=dict)
    flag: str = ""


def intervals(title: str, desc: str, rows: Sequence[Interval], colours: dict[str, str], area_colour: str,
              area_name: str, lo: float = 0.0, hi: float = 100.0) -> str:
    """Dot-and-whisker: each row's estimate with its 95 % interval, comparators as open diamonds."""
    label_w, row_h, width = 230, 26, 640
    plot_w = width - label_w - 40
    height = 30 + row_h * len(rows) + 24

    def sx(v: float) -> float:
        return label_w + plot_w * (v - lo) / (hi - lo)

    marks = sum(1 for r in rows if r.estimate is not None)
    out = [_open("intervals", width, height, title, desc, marks)]
    x = label_w
    out.append(f'<circle cx="{x + 6}" cy="10" r="5" fill="{area_colour}"/>')
    out.append(_text(x + 16, 14, f"{area_name} (line: 95% interval)"))
    x += 40 + 7 * len(area_name) + 120
    for name, colour in colours.items():
        out.append(f'<path d="M{x + 6},4 l6,6 l-6,6 l-6,-6 z" fill="white" stroke="{colour}" stroke-width="2"/>')
        out.append(_text(x + 16, 14, name))
        x += 30 + 7 * len(name)
    base = 30 + row_h * len(rows)
    for t in range(int(lo), int(hi) + 1, 25 if hi - lo > 50 else 2):
        out.append(f'<line x1="{sx(t):.1f}" x2="{sx(t):.1f}" y1="26" y2="{base}" stroke="#d9d9d9"/>')
        out.append(_text(sx(t), base + 16, f"{t}", anchor="middle", size=10, fill=MUTED))
    for i, r in enumerate(rows):
        y = 30 + i * row_h + row_h / 2
        out.append(_text(label_w - 8, y + 4, short(r.label, label_w - 24, 11) + (f" {r.flag}" if r.flag else ""),
                         anchor="end", size=11))
        if r.estimate is None:
            out.append(_text(label_w + 4, y + 4, "not published (too few answers)", size=10, fill=MUTED))
            continue
        if r.lower is not None and r.upper is not None:
            out.append(f'<line x1="{sx(r.lower):.1f}" x2="{sx(r.upper):.1f}" y1="{y}" y2="{y}" '
                       f'stroke="{area_colour}" stroke-width="3"/>')
        tip = f"{r.label}: {_fmt(r.estimate)} ({_fmt(r.lower)}–{_fmt(r.upper)})"
        out.append(f'<circle class="mark" cx="{sx(r.estimate):.1f}" cy="{y}" r="5" fill="{area_colour}">'
                   f'<title>{escape(tip)}</title></circle>')
        for name, v in r.comparators.items():
            if v is not None:
                out.append(f'<path d="M{sx(v):.1f},{y - 6} l6,6 l-6,6 l-6,-6 z" fill="white" '
                           f'stroke="{colours[name]}" stroke-width="2"><title>{escape(f"{name}: {_fmt(v)}")}'
                           '</title></path>')
    out.append("</svg>")
    return "".join(out)


def ratio_bars(title: str, desc: str, rows: Sequence[tuple[str, float | None]], colour: str,
               highlight: set[str]) -> str:
    """Representation ratio (respondent share ÷ population share) per group; 1 = heard in proportion."""
    label_w, row_h, width = 230, 20, 640
    plot_w = width - label_w - 60
    vmax = max([v for _, v in rows if v is not None] + [2.0])
    height = 10 + row_h * len(rows) + 24
    marks = sum(1 for _, v in rows if v is not None)
    out = [_open("ratio", width, height, title, desc, marks)]
    one = label_w + plot_w / vmax
    for i, (label, v) in enumerate(rows):
        y = 10 + i * row_h
        weight = "bold" if label in highlight else "normal"
        out.append(_text(label_w - 8, y + 13, short(label, label_w - 24, 11) + (" ▼" if label in highlight else ""),
                         anchor="end", size=11, weight=weight))
        if v is None:
            out.append(_text(label_w + 4, y + 13, "not published", size=10, fill=MUTED))
            continue
        w = max(0.5, plot_w * v / vmax)
        out.append(f'<rect class="mark" x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row_h - 6}" '
                   f'fill="{colour}"><title>{escape(f"{label}: {v:.2f}")}</title></rect>')
        out.append(_text(label_w + w + 4, y + 14, f"{v:.2f}", size=10))
    base = 10 + row_h * len(rows)
    out.append(f'<line x1="{one:.1f}" x2="{one:.1f}" y1="6" y2="{base}" stroke="{TEXT}" stroke-dasharray="4 3"/>')
    out.append(_text(one, base + 16, "1 = heard in proportion", anchor="middle", size=10, fill=MUTED))
    out.append("</svg>")
    return "".join(out)


@dataclass
class Shape:
    """One map feature: polygons (lon/lat rings), fill, optional link and tooltip, optional group for borders."""

    rings: list[Ring]
    fill: str
    label: str
    href: str | None = None
    group: str | None = None


@dataclass
class Point:
    lon: float
    lat: float
    fill: str
    label: str


class Projection:
    """Equirectangular projection fitted to a lon/lat box (good enough at county scale)."""

    def __init__(self, rings: Sequence[Ring], width: float = 640, height: float = 520, pad: float = 8) -> None:
        xs = [x for r in rings for x, _ in r] or [0.0, 1.0]
        ys = [y for r in rings for _, y in r] or [0.0, 1.0]
        self.k = math.cos(math.radians((min(ys) + max(ys)) / 2))
        self.x0, self.y1 = min(xs) * self.k, max(ys)
        span_x = max(1e-9, (max(xs) - min(xs)) * self.k)
        span_y = max(1e-9, max(ys) - min(ys))
        self.s = min((width - 2 * pad) / span_x, (height - 2 * pad) / span_y)
        self.pad = pad
        self.width = span_x * self.s + 2 * pad
        self.height = span_y * self.s + 2 * pad

    def __call__(self, lon: float, lat: float) -> tuple[float, float]:
        return self.pad + (lon * self.k - self.x0) * self.s, self.pad + (self.y1 - lat) * self.s


def _path(rings: Sequence[Ring], proj: Projection, digits: int = 1) -> str:
    """Rings as path data; with ``digits=0`` (whole pixels, for maps of thousands of areas) points that
    fall on the same pixel are dropped and rings smaller than a pixel are drawn as one."""
    parts = []
    for ring in rings:
        pts = [f"{x:.{digits}f},{y:.{digits}f}" for x, y in (proj(x, y) for x, y in ring)]
        if digits == 0:
            pts = [q for i, q in enumerate(pts) if i == 0 or q != pts[i - 1]]
            if len(pts) < 3:
                x, y = map(float, pts[0].split(","))
                pts = [pts[0], f"{x + 1:.0f},{y:.0f}", f"{x + 1:.0f},{y + 1:.0f}", f"{x:.0f},{y + 1:.0f}"]
        parts.append("M" + "L".join(pts) + "Z")
    return "".join(parts)


def _outline(shapes: Sequence[Shape], proj: Projection, digits: int = 1) -> str:
    """Edges used by exactly one shape of a group = that group's outline (shared edges cancel)."""
    edges: Counter[tuple[tuple[float, float], tuple[float, float]]] = Counter()
    for shape in shapes:
        for ring in shape.rings:
            pts = [(round(x, 5), round(y, 5)) for x, y in ring]
            if pts[0] == pts[-1]:
                pts = pts[:-1]
            for a, b in zip(pts, pts[1:] + pts[:1], strict=True):
                edges[(min(a, b), max(a, b))] += 1
    segs = []
    for (a, b), n in edges.items():
        if n == 1:
            (x1, y1), (x2, y2) = proj(*a), proj(*b)
            seg = f"M{x1:.{digits}f},{y1:.{digits}f}L{x2:.{digits}f},{y2:.{digits}f}"
            if digits or seg[1:].split("L")[0] != seg.split("L")[1]:  # a zero-length edge draws nothing
                segs.append(seg)
    return "".join(segs)


def area_map(title: str, desc: str, shapes: Sequence[Shape], *, points: Sequence[Point] = (),
             legend: Sequence[tuple[str, str]] = (), context: Sequence[Shape] = (), width: float = 640,
             height: float = 480, digits: int = 1) -> str:
    """Shapes (optionally linked) with group outlines, optional grey context shapes and points.

    ``digits`` is the precision of coordinates in pixels (0 for maps of thousands of areas)."""
    proj = Projection([r for s in shapes for r in s.rings], width, height)
    cols = 5 if len(legend) > 6 else 3
    legend_h = 22 * math.ceil(len(legend) / cols) if legend else 0
    w, h = proj.width, proj.height + legend_h
    linked = any(s.href for s in shapes)  # a picture with links inside is a group, not an image (axe)
    out = [_open("map", w, h, title, desc, len(shapes) + len(points), "group" if linked else "img")]
    out.append(f'<rect x="0" y="0" width="{w:.0f}" height="{proj.height:.0f}" fill="#f7f7f7"/>')
    for shape in context:
        out.append(f'<path d="{_path(shape.rings, proj, digits)}" fill="#e6e6e6" stroke="#ffffff" stroke-width="0.6"/>')
    for shape in shapes:
        body = (f'<path class="mark shape" d="{_path(shape.rings, proj, digits)}" fill="{shape.fill}" '
                f'stroke="{shape.fill}" stroke-width="0.6"><title>{escape(shape.label)}</title></path>')
        if shape.href:
            body = f'<a href="{escape(shape.href)}" aria-label="{escape(shape.label)}">{body}</a>'
        out.append(body)
    groups: dict[str | None, list[Shape]] = {}
    for shape in shapes:
        groups.setdefault(shape.group, []).append(shape)
    for key, members in groups.items():
        if key is not None:
            edges = _outline(members, proj, digits)
            out.append(f'<path d="{edges}" fill="none" stroke="#ffffff" stroke-width="1.6"/>')
            out.append(f'<path d="{edges}" fill="none" stroke="{TEXT}" stroke-width="0.6"/>')
    for p in points:
        x, y = proj(p.lon, p.lat)
        out.append(f'<circle class="mark point" cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{p.fill}" stroke="#ffffff" '
                   f'stroke-width="1"><title>{escape(p.label)}</title></circle>')
    for i, (name, colour) in enumerate(legend):
        lx, ly = 8 + (i % cols) * (w / cols), proj.height + 6 + 22 * (i // cols)
        out.append(f'<rect x="{lx:.1f}" y="{ly:.1f}" width="12" height="12" fill="{colour}"/>')
        out.append(_text(lx + 16, ly + 11, short(name, w / cols - 22, 11), size=11))
    out.append("</svg>")
    return "".join(out)
