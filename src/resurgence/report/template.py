"""The report's page: one Jinja2 template with autoescape on.

Every value the template receives is escaped by Jinja2 (autoescape=True), whatever its
origin. The only values marked safe (`markupsafe.Markup`) are the constant
Content-Security-Policy below, the plotly.js bundle, and the chart snippets Plotly writes:
their data is JSON with `<`, `>` and `/` escaped as `\\u003c` etc. (so no string in them
can close the script), and their text was escaped by `resurgence.report.style` before it
reached Plotly.

The page loads nothing: a Content-Security-Policy forbids every network fetch (scripts,
styles, images, connections), plotly.js is inlined once, and the styles are inline.
"""

from __future__ import annotations

import jinja2
from markupsafe import Markup

CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data: blob:; font-src data:; connect-src 'none'; base-uri 'none'; "
    "form-action 'none'"
)

TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{{ csp }}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="resurgence {{ generator_version }}">
<title>{{ page_title }}</title>
<style>
  :root { --ink: #1d1d1f; --muted: #5a5a5f; --rule: #d8d8dc; --panel: #f6f6f8;
          --accent: #0072B2; }
  * { box-sizing: border-box; }
  body { margin: 0; color: var(--ink); background: #fff;
         font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue",
               Arial, sans-serif; }
  main { max-width: 1240px; margin: 0 auto; padding: 20px 24px 48px; }
  header.top { border-bottom: 3px solid var(--accent); padding-bottom: 12px;
               margin-bottom: 14px; }
  .kind { text-transform: uppercase; letter-spacing: .06em; font-size: 12px;
          color: var(--muted); margin: 0; }
  h1 { font-size: 26px; line-height: 1.25; margin: 2px 0 6px; overflow-wrap: anywhere; }
  h2 { font-size: 20px; margin: 30px 0 6px; padding-top: 6px;
       border-top: 1px solid var(--rule); }
  p { margin: 6px 0; max-width: 75em; }
  .description { color: var(--muted); }
  dl.meta { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr));
            gap: 6px 18px; margin: 10px 0; }
  dl.meta div { min-width: 0; }
  dl.meta dt { font-size: 12px; color: var(--muted); }
  dl.meta dd { margin: 0; font-weight: 600; overflow-wrap: anywhere; }
  .command { background: var(--panel); border: 1px solid var(--rule); border-radius: 4px;
             padding: 8px 10px; margin: 8px 0 0; font-size: 13px; }
  .command code { white-space: pre-wrap; overflow-wrap: anywhere;
                  font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
  .command .label { font-size: 12px; color: var(--muted); display: block; }
  nav { font-size: 13px; margin: 10px 0 0; }
  nav a { color: var(--accent); margin-right: 14px; text-decoration: none; }
  .callout { display: inline-block; background: var(--panel); border-left: 4px solid #D55E00;
             padding: 8px 14px; margin: 8px 0; }
  .callout .big { font-size: 22px; font-weight: 700; }
  .notes { background: #fff8e6; border: 1px solid #f0d58a; border-radius: 4px;
           padding: 6px 12px; margin: 10px 0; font-size: 14px; }
  .notes ul { margin: 4px 0; padding-left: 20px; }
  .grid2 { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 14px; }
  figure { margin: 10px 0 14px; min-width: 0; }
  figcaption { font-size: 13px; color: var(--muted); margin-top: 2px; }
  .chart { border: 1px solid var(--rule); border-radius: 4px; min-height: 200px; }
  table { border-collapse: collapse; font-size: 13px; margin: 8px 0 14px; }
  th, td { border-bottom: 1px solid var(--rule); padding: 3px 10px 3px 0; text-align: left;
           vertical-align: top; }
  th { font-weight: 600; border-bottom: 2px solid #999; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  details { margin: 8px 0; }
  summary { cursor: pointer; color: var(--accent); }
  footer { margin-top: 36px; font-size: 12px; color: var(--muted);
           border-top: 1px solid var(--rule); padding-top: 8px; }
  @media (max-width: 900px) { .grid2, dl.meta { grid-template-columns: 1fr; } }
</style>
<script>{{ plotlyjs }}</script>
</head>
<body>
<main>
<header class="top">
  <p class="kind">resurgence report: {{ kind_label }}</p>
  <h1 id="title">{{ title }}</h1>
  {% if description %}<p class="description">{{ description }}</p>{% endif %}
  <dl class="meta">
  {% for label, value in meta %}
    <div><dt>{{ label }}</dt><dd>{{ value }}</dd></div>
  {% endfor %}
  </dl>
  <div class="command"><span class="label">The command that reproduces this run</span>
    <code id="command">{{ command }}</code></div>
  {% if sections|length > 1 %}
  <nav>{% for section in sections %}<a href="#{{ section.id }}">{{ section.title }}</a>
  {% endfor %}</nav>
  {% endif %}
</header>
{% if notes %}
<div class="notes" id="notes"><strong>Notes</strong><ul>
{% for note in notes %}<li>{{ note }}</li>
{% endfor %}</ul></div>
{% endif %}
{% for section in sections %}
<section id="{{ section.id }}">
  <h2>{{ section.title }}</h2>
  {% for block in section.blocks %}
    {% if block.kind == "text" %}
      <p>{{ block.text }}</p>
    {% elif block.kind == "callout" %}
      <div class="callout"><div class="big">{{ block.big }}</div><div>{{ block.text }}</div></div>
    {% elif block.kind == "grid" %}
      <div class="grid2">
      {% for chart in block.charts %}
        <figure><div class="chart">{{ chart.html }}</div>
        {% if chart.caption %}<figcaption>{{ chart.caption }}</figcaption>{% endif %}</figure>
      {% endfor %}
      </div>
    {% elif block.kind == "chart" %}
      <figure><div class="chart">{{ block.chart.html }}</div>
      {% if block.chart.caption %}<figcaption>{{ block.chart.caption }}</figcaption>{% endif %}
      </figure>
    {% elif block.kind == "table" %}
      {% if block.open is none %}<table>{% else %}
      <details{% if block.open %} open{% endif %}><summary>{{ block.summary }}</summary>
      <table>{% endif %}
        <thead><tr>{% for column in block.columns %}<th{% if column in block.numeric %}
          class="num"{% endif %}>{{ column }}</th>{% endfor %}</tr></thead>
        <tbody>
        {% for row in block.rows %}<tr>{% for cell in row %}<td{% if block.columns[loop.index0]
          in block.numeric %} class="num"{% endif %}>{{ cell }}</td>{% endfor %}</tr>
        {% endfor %}
        </tbody>
      </table>{% if block.open is not none %}</details>{% endif %}
    {% endif %}
  {% endfor %}
</section>
{% endfor %}
<footer>
  Written by resurgence {{ generator_version }} on {{ generated }} from {{ run_dir }}.
  One self-contained file: the charts (Plotly {{ plotly_version }}) are embedded and the
  page loads nothing from the network. Hover a chart for values; click a legend entry to
  hide or show a series.
</footer>
</main>
</body>
</html>
"""

_ENV = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)


def render(context: dict) -> str:
    """The page, with every value of `context` escaped unless it is `Markup`."""
    return _ENV.from_string(TEMPLATE).render(csp=Markup(CSP), **context)
