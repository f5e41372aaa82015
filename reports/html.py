"""HTML scaffolding: page shell, tables, sections (plain strings, escaped)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

CSS = """
:root{--text:#1a1a1a;--muted:#595959;--link:#005a8c;--rule:#d0d0d0;--flag:#8a3b00}
*{box-sizing:border-box}
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--text);
 margin:0;background:#fff}
header.site{background:#00355c;color:#fff;padding:.6rem 1rem}
header.site a{color:#fff}
main{max-width:1100px;margin:0 auto;padding:0 1rem 2rem}
a{color:var(--link)}
a:focus,input:focus{outline:3px solid #E69F00;outline-offset:2px}
h1{font-size:1.8rem;margin:.8rem 0 .2rem}h2{font-size:1.35rem;margin:1.6rem 0 .4rem;border-bottom:2px solid var(--rule)}
h3{font-size:1.05rem;margin:1rem 0 .3rem}
.lede{color:var(--muted);margin:.2rem 0 1rem}
.pair{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr);gap:1rem;align-items:start}
.pair>figure{margin:0}
.numbers{overflow-x:auto;min-width:0}
figure svg{max-width:100%;height:auto;display:block}
figcaption{font-size:.9rem;color:var(--muted)}
table{border-collapse:collapse;font-size:.85rem;width:100%}
caption{text-align:left;font-weight:600;padding:.2rem 0}
th,td{border-bottom:1px solid var(--rule);padding:.2rem .4rem;text-align:left;vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.flag{color:var(--flag);font-weight:600}
.note{font-size:.9rem;color:var(--muted)}
.cards{display:flex;flex-wrap:wrap;gap:.6rem;margin:.6rem 0}
.card{border:1px solid var(--rule);border-radius:4px;padding:.4rem .8rem;min-width:9rem}
.card b{display:block;font-size:1.4rem}
.search{margin:1rem 0}.search input{font-size:1rem;padding:.4rem;width:min(28rem,100%);border:2px solid #595959}
#results li{margin:.2rem 0}
nav.toc ul{display:flex;flex-wrap:wrap;gap:.2rem 1rem;padding:0;list-style:none}
.cols{columns:3 14rem}
footer{border-top:1px solid var(--rule);margin-top:2rem;padding:1rem;font-size:.85rem;color:var(--muted)}
.restricted{border:3px solid #8a3b00;background:#fff4e5;padding:.6rem 1rem;margin:1rem 0}
header.site.partner{background:#5c2700}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:.5rem;background:#fff;color:#000;padding:.3rem}
@media (max-width:800px){.pair{grid-template-columns:1fr}}
@media print{
 @page{size:A4;margin:14mm 12mm}
 body{font-size:10.5pt}
 header.site,.search,nav.toc,.skip,footer .nav{display:none}
 main{max-width:none;padding:0}
 a{color:var(--text);text-decoration:none}
 h2{break-after:avoid;page-break-after:avoid}
 section,figure,table{break-inside:avoid;page-break-inside:avoid}
 .pair{grid-template-columns:3fr 2fr}
 .page-break{break-before:page;page-break-before:always}
}
"""


OPEN_FOOTER = ("Built from the published Common Ground warehouse only; counts of people are protected\n"
               "there (perturbed and rounded, or suppressed) before anything reaches this site.")


def page(title: str, body: str, *, root: str, description: str, site_name: str = "Common Ground area reports",
         header_class: str = "site", footer: str = OPEN_FOOTER) -> str:
    """A whole HTML document; ``root`` is the relative path back to the site root ('' or '../').

    ``site_name``, ``header_class`` and ``footer`` (HTML) label a partner's restricted site.
    """
    return f"""<!doctype html>
<html lang="en-GB"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="description" content="{escape(description)}">
<title>{escape(title)} · {escape(site_name)}</title>
<link rel="stylesheet" href="{root}style.css">
</head><body>
<a class="skip" href="#content">Skip to content</a>
<header class="{header_class}"><a href="{root}index.html">{escape(site_name)}</a></header>
<main id="content">
{body}
</main>
<footer><p>{footer} <span class="nav"><a href="{root}index.html">All areas</a></span></p></footer>
</body></html>
"""


def fmt(v: Any, places: int = 1, unit: str = "") -> str:
    """A number for a table cell; blank-safe."""
    if v is None or (isinstance(v, float) and v != v):
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int) or (isinstance(v, float) and places == 0):
        return f"{round(v):,}{unit}"
    if isinstance(v, float):
        return f"{v:,.{places}f}{unit}"
    try:
        return f"{int(v):,}{unit}"
    except (TypeError, ValueError):
        return escape(str(v))


def table(caption: str, headers: Sequence[str], rows: Sequence[Sequence[Any]], numeric: Sequence[bool] = (),
          cls: str = "data") -> str:
    """A data table; cells are pre-formatted strings (escaped here) or numbers (formatted here)."""
    numeric = list(numeric) or [False] * len(headers)
    head = "".join(f'<th scope="col"{" class=n" if n else ""}>{escape(h)}</th>' for h, n in zip(headers, numeric,
                                                                                                 strict=True))
    body = []
    for row in rows:
        cells = []
        for v, n in zip(row, numeric, strict=True):
            text = v if isinstance(v, Markup) else (escape(v) if isinstance(v, str) else fmt(v))
            cells.append(f'<td{" class=n" if n else ""}>{text}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<table class="{cls}"><caption>{escape(caption)}</caption><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table>')


class Markup(str):
    """A string already safe to put in HTML."""


def link(href: str, text: str) -> Markup:
    return Markup(f'<a href="{escape(href)}">{escape(text)}</a>')


def figure(svg: str, caption: str, data_table: str) -> str:
    """A picture first, with its numbers beside it."""
    return (f'<div class="pair"><figure>{svg}<figcaption>{escape(caption)}</figcaption></figure>'
            f'<div class="numbers" tabindex="0" role="region" aria-label="Numbers: {escape(caption)}">'
            f'{data_table}</div></div>')
