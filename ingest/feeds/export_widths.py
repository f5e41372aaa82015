"""Rows of a declared survey-export layout whose width differs from the header's.

Survey tools and spreadsheets trim trailing empty cells, or add empty ones, so a row can be shorter or
longer than the header without anything being wrong. Under a declared layout (the questionnaire's
``export``):

- a longer row whose extra cells are all empty is trimmed (nothing is lost);
- a longer row with a non-empty extra cell is malformed: which column shifted cannot be told;
- a shorter row is padded with empty cells only if the layout says the tool trims trailing empty columns
  (``export.pad_short_rows: true``), and never when it looks like a fragment: a line of one cell, or two
  consecutive short rows whose widths add up to the header's plus one (one record split by a line break
  in an unquoted cell). Otherwise it is malformed.

Malformed rows are returned with their reason; the reader quarantines them, so counts reconcile.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Widths:
    rows: list[list[str]]  # the rows that were kept, each the header's width
    kept: list[int]  # index into the input rows of each kept row
    problems: dict[int, str] = field(default_factory=dict)  # input index → reason (not kept)
    padded: int = 0
    trimmed: int = 0


def reconcile_widths(rows: list[list[str]], width: int, problems: dict[int, str], *, pad: bool) -> Widths:
    """Fit rows to ``width`` as described in the module docstring; rows already in ``problems`` are not kept."""
    out = Widths(rows=[], kept=[], problems=dict(problems))
    short = [len(r) < width for r in rows]
    for i, row in enumerate(rows):
        if i in out.problems:
            continue
        if len(row) > width:
            extra = sum(1 for c in row[width:] if c.strip())
            if extra:
                out.problems[i] = (f"row has {len(row)} cells, header has {width}: {extra} extra non-empty cell(s), "
                                   "so which column shifted cannot be told")
                continue
            row = row[:width]
            out.trimmed += 1
        elif len(row) < width:
            split = next((j for j in (i - 1, i + 1) if 0 <= j < len(rows) and short[j]
                          and len(rows[j]) + len(row) - 1 == width), None)
            if not pad:
                out.problems[i] = (f"row has {len(row)} cells, header has {width} (if the tool trims trailing empty "
                                   "columns, declare export.pad_short_rows: true)")
                continue
            if split is not None:
                first, second = sorted((i, split))
                out.problems[i] = (f"row has {len(row)} cells, header has {width}: rows {first + 1} and {second + 1} "
                                   "together have the header's width plus one — one record split by a line break "
                                   "in an unquoted cell")
                continue
            if len(row) <= 1 < width:
                out.problems[i] = f"a line of {len(row)} cell where the header has {width}: a fragment, not a record"
                continue
            row = row + [""] * (width - len(row))
            out.padded += 1
        out.rows.append(row)
        out.kept.append(i)
    return out
