"""The HTML report's one inline style sheet: readable on a laptop, printable, no web fonts."""

CSS = """
:root { --ink: #1d1d1d; --muted: #5f5f5f; --rule: #d9d9d9; --bad: #b8001f; --good: #006d3c;
        --warn: #8a5a00; --paper: #ffffff; --tint: #f5f6f7; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1180px; padding: 1.2rem 1.6rem 3rem; color: var(--ink);
       background: var(--paper); font: 15px/1.45 "DejaVu Sans", "Segoe UI", Arial, sans-serif; }
h1 { font-size: 1.5rem; margin: .2rem 0 .4rem; }
h2 { font-size: 1.25rem; margin: 2.2rem 0 .6rem; padding-bottom: .2rem; border-bottom: 2px solid var(--ink); }
h3 { font-size: 1.05rem; margin: 1.4rem 0 .4rem; }
nav { margin: .8rem 0 1.2rem; font-size: .92rem; }
nav a { margin-right: .9rem; white-space: nowrap; }
a { color: #0058a3; }
.verdict { display: inline-block; padding: .1rem .6rem; border-radius: 3px; color: #fff; font-weight: bold; }
.verdict.failed { background: var(--bad); } .verdict.passed { background: var(--good); }
.lines p { margin: .25rem 0; }
table { border-collapse: collapse; margin: .4rem 0 1rem; font-size: .88rem; }
caption { caption-side: top; text-align: left; font-weight: bold; padding: .2rem 0; white-space: nowrap; }
.tables { display: flex; flex-wrap: wrap; gap: 0 2.8rem; align-items: flex-start; }
.tables > div { max-width: 100%; overflow-x: auto; }
th, td { border-bottom: 1px solid var(--rule); padding: .22rem .6rem .22rem 0; text-align: left;
         vertical-align: top; }
th { border-bottom: 1.5px solid var(--ink); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.note { color: var(--muted); font-size: .85rem; margin: -.6rem 0 1rem; }
.tally td { font-size: 1rem; padding-right: 1.4rem; }
.tally .n { font-size: 1.4rem; font-weight: bold; }
figure { margin: 1.2rem 0 2rem; page-break-inside: avoid; break-inside: avoid; }
figure svg { width: 100%; max-width: 980px; height: auto; display: block; }
figcaption { color: var(--muted); font-size: .85rem; max-width: 900px; }
.absent { color: var(--muted); font-style: italic; }
details { margin: .3rem 0 .6rem; }
summary { cursor: pointer; }
.cause { border-left: 4px solid var(--rule); padding: .1rem 0 .1rem .8rem; margin: .7rem 0; }
.cause.error { border-color: var(--bad); } .cause.warning { border-color: #d68a00; }
.cause.info { border-color: #7a9cc6; }
.finding { margin: .35rem 0 .55rem; }
.where { font-family: "DejaVu Sans Mono", Consolas, monospace; font-size: .82rem; color: var(--muted); }
pre.quote { margin: .15rem 0; padding: .25rem .5rem; background: var(--tint); overflow-x: auto;
            font: .82rem/1.35 "DejaVu Sans Mono", Consolas, monospace; white-space: pre-wrap; }
.hint { color: var(--muted); font-size: .85rem; }
.sev { font-weight: bold; text-transform: uppercase; font-size: .75rem; }
.sev.error { color: var(--bad); } .sev.warning { color: var(--warn); } .sev.info { color: #2f5d8a; }
code { font-family: "DejaVu Sans Mono", Consolas, monospace; font-size: .88em; }
footer { margin-top: 3rem; color: var(--muted); font-size: .8rem; }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  nav { display: none; }
  h2 { page-break-after: avoid; break-after: avoid; }
  a { color: inherit; text-decoration: none; }
}
"""
