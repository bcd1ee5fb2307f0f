"""Draw the app icon: a dark tile holding a 3×3 sample grid with a D (solid) and a G (dashed)
loss curve across it. Writes workbench/gui/icons/gan-workbench.png (256 px, QPainter) and
workbench/gui/icons/gan-workbench.svg (the same shapes as SVG text), so the icon can be
regenerated and tweaked in code instead of in an image editor. They live in the package (package
data) because the app reads them at run time, from a wheel or a bundle as well as a checkout.

    python packaging/make_icons.py
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ICONS = Path(__file__).resolve().parent.parent / "workbench" / "gui" / "icons"
SIZE = 256
BACKGROUND = ("#243b55", "#141e30")  # top, bottom of the gradient
TILE_SHADES = ("#e8e8e8", "#9a9a9a", "#cfcfcf", "#b5b5b5", "#f5f5f5", "#8a8a8a", "#dadada", "#a8a8a8", "#c4c4c4")
D_COLOR, G_COLOR = "#ff9f1c", "#2ec4b6"
_APP = None
D_CURVE = [(36, 150), (80, 118), (124, 132), (168, 124), (220, 128)]
G_CURVE = [(36, 70), (80, 150), (124, 112), (168, 136), (220, 122)]


def tiles() -> list[tuple[int, int, int, str]]:
    """(x, y, side, colour) of the 3×3 grid, like a fixed-noise sample grid."""
    side, gap, start = 52, 10, 46
    return [(start + c * (side + gap), start + r * (side + gap), side, TILE_SHADES[r * 3 + c])
            for r in range(3) for c in range(3)]


def svg_text() -> str:
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{SIZE}" height="{SIZE}" viewBox="0 0 {SIZE} {SIZE}">',
        '  <title>GAN Workbench</title>',
        '  <defs><linearGradient id="bg" x1="0" y1="0" x2="0" y2="1">'
        f'<stop offset="0" stop-color="{BACKGROUND[0]}"/><stop offset="1" stop-color="{BACKGROUND[1]}"/>'
        '</linearGradient></defs>',
        f'  <rect x="8" y="8" width="{SIZE - 16}" height="{SIZE - 16}" rx="44" fill="url(#bg)"/>',
    ]
    for x, y, side, color in tiles():
        parts.append(f'  <rect x="{x}" y="{y}" width="{side}" height="{side}" rx="8" fill="{color}" '
                     f'fill-opacity="0.85"/>')
    for points, color, dash in ((D_CURVE, D_COLOR, ""), (G_CURVE, G_COLOR, ' stroke-dasharray="18 12"')):
        path = " ".join(f"{x},{y}" for x, y in points)
        parts.append(f'  <polyline points="{path}" fill="none" stroke="{color}" stroke-width="12" '
                     f'stroke-linecap="round" stroke-linejoin="round"{dash}/>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def draw_png(path: Path) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QPointF, QRectF, Qt
    from PySide6.QtGui import QColor, QGuiApplication, QImage, QLinearGradient, QPainter, QPen, QPolygonF

    global _APP
    _APP = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # painting needs one, kept alive
    image = QImage(SIZE, SIZE, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    gradient = QLinearGradient(0, 0, 0, SIZE)
    gradient.setColorAt(0, QColor(BACKGROUND[0]))
    gradient.setColorAt(1, QColor(BACKGROUND[1]))
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(gradient)
    p.drawRoundedRect(QRectF(8, 8, SIZE - 16, SIZE - 16), 44, 44)
    for x, y, side, color in tiles():
        c = QColor(color)
        c.setAlphaF(0.85)
        p.setBrush(c)
        p.drawRoundedRect(QRectF(x, y, side, side), 8, 8)
    for points, color, dashed in ((D_CURVE, D_COLOR, False), (G_CURVE, G_COLOR, True)):
        pen = QPen(QColor(color), 12)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        if dashed:
            pen.setDashPattern([1.5, 1.0])  # in pen widths: 18 on, 12 off, as in the SVG
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawPolyline(QPolygonF([QPointF(x, y) for x, y in points]))
    p.end()
    if not image.save(str(path), "PNG"):
        raise OSError(f"could not write {path}")


def main() -> int:
    ICONS.mkdir(exist_ok=True)
    draw_png(ICONS / "gan-workbench.png")
    (ICONS / "gan-workbench.svg").write_text(svg_text(), encoding="utf-8")
    print(f"wrote {ICONS / 'gan-workbench.png'} and {ICONS / 'gan-workbench.svg'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
