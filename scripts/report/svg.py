"""Hand-written SVG horizontal bar charts for the report (no plotting dependency).

One chart = rows of labelled groups; each group has one bar per series. A log scale is used
when the values span more than a decade, so a 0.5 ms and a 300 ms bar both stay readable.
"""

import math
from xml.sax.saxutils import escape

COLOURS = ["#d1495b", "#2e86ab", "#8fb339", "#edae49", "#6c5b7b", "#999999"]
BAR_H, GAP, LABEL_W, PLOT_W, RIGHT_W = 12, 8, 190, 460, 90


def _ticks(lo, hi, log):
    if log:
        a, b = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
        return [10.0**e for e in range(a, b + 1)]
    step = 10 ** math.floor(math.log10(hi)) if hi > 0 else 1
    if hi / step < 3:
        step /= 2
    return [i * step for i in range(0, int(hi / step) + 2)]


def hbars(title, series, rows, fmt, note=""):
    """series: names; rows: [(label, [value or None per series])]; fmt: value -> text."""
    values = [v for _, vs in rows for v in vs if v is not None and v > 0]
    if not values:
        return _empty(title)
    lo, hi = min(values), max(values)
    log = hi / lo > 10
    ticks = _ticks(lo, hi, log)
    t0, t1 = (ticks[0], ticks[-1]) if log else (0.0, max(ticks[-1], hi))

    def x(v):
        if log:
            f = (math.log10(v) - math.log10(t0)) / (math.log10(t1) - math.log10(t0))
        else:
            f = (v - t0) / (t1 - t0) if t1 > t0 else 0
        return LABEL_W + max(0.0, min(1.0, f)) * PLOT_W

    group_h = len(series) * BAR_H + GAP
    top = 46
    height = top + len(rows) * group_h + 40
    width = LABEL_W + PLOT_W + RIGHT_W
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="10" y="18" font-size="14" font-weight="bold">{escape(title)}</text>',
    ]
    # Legend.
    lx = LABEL_W
    for i, name in enumerate(series):
        out.append(f'<rect x="{lx}" y="26" width="10" height="10" fill="{COLOURS[i % len(COLOURS)]}"/>')
        out.append(f'<text x="{lx + 14}" y="35">{escape(name)}</text>')
        lx += 24 + 7 * len(name)
    # Grid and tick labels.
    bottom = top + len(rows) * group_h
    for t in ticks:
        if t < t0 or t > t1:
            continue
        gx = x(t) if (t > 0 or not log) else LABEL_W
        out.append(f'<line x1="{gx:.1f}" y1="{top - 4}" x2="{gx:.1f}" y2="{bottom}" stroke="#ddd"/>')
        out.append(f'<text x="{gx:.1f}" y="{bottom + 14}" text-anchor="middle" fill="#555">{escape(fmt(t))}</text>')
    scale = "log scale" if log else "linear scale"
    out.append(
        f'<text x="{LABEL_W + PLOT_W / 2}" y="{bottom + 30}" text-anchor="middle" fill="#555">'
        f"{scale}{escape(' · ' + note if note else '')}</text>"
    )
    # Bars.
    for r, (label, vs) in enumerate(rows):
        gy = top + r * group_h
        out.append(
            f'<text x="{LABEL_W - 6}" y="{gy + len(series) * BAR_H / 2 + 4:.1f}" '
            f'text-anchor="end">{escape(label)}</text>'
        )
        for i, v in enumerate(vs):
            y = gy + i * BAR_H
            if v is None or v <= 0:
                out.append(f'<text x="{LABEL_W + 4}" y="{y + BAR_H - 3}" fill="#999">n/a</text>')
                continue
            w = x(v) - LABEL_W
            out.append(
                f'<rect x="{LABEL_W}" y="{y}" width="{max(w, 1):.1f}" height="{BAR_H - 2}" '
                f'fill="{COLOURS[i % len(COLOURS)]}"/>'
            )
            out.append(f'<text x="{LABEL_W + w + 4:.1f}" y="{y + BAR_H - 3}">{escape(fmt(v))}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _empty(title):
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="40" font-family="sans-serif">'
        f'<text x="10" y="24">{escape(title)}: no data</text></svg>\n'
    )
