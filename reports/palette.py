"""Colour-blind-safe colours (Okabe–Ito; cividis-like sequential) that pass WCAG AA where they carry text."""

from __future__ import annotations

# Okabe–Ito, reordered so the first colours are the most distinct; used for categories.
CATEGORICAL = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
# Light tints of the same hues for map fills (text is never drawn on them).
TINTS = ("#99c7e0", "#f5d699", "#99d8c7", "#ebc9dc", "#f9f4a6", "#eeb799", "#bbe1f6", "#b3b3b3")
# Sequential, colour-blind safe (cividis-like), dark = most deprived (IMD decile 1).
DECILES = ("#00204d", "#00306f", "#2a406c", "#48526b", "#5f636e", "#767676", "#8e8a79", "#a89f77",
           "#c3b56f", "#e0cb5e")
AREA = "#0072B2"        # the area being described (contrast 5.1:1 on white)
AUTHORITY = "#B35900"   # its authority (dark orange, 4.6:1)
PARTNERSHIP = "#4d4d4d"  # the partnership (8.6:1)
TEXT = "#1a1a1a"
MUTED = "#595959"       # 7:1 on white


def relative_luminance(hex_colour: str) -> float:
    """WCAG 2 relative luminance of ``#rrggbb``."""
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two colours."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)
