"""The HTML report's template, stylesheet and script (kept apart from the data shaping in html.py)."""

from __future__ import annotations

STYLE = """
:root { color-scheme: light; --fg: #111827; --muted: #4b5563; --line: #d1d5db; --bg-alt: #f3f4f6; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); margin: 0 1.5rem 3rem; }
header { border-bottom: 2px solid var(--line); padding: 1rem 0; }
h1 { font-size: 1.5rem; margin: 0 0 .5rem; }
h2 { font-size: 1.2rem; margin: 2rem 0 .5rem; }
h3 { font-size: 1.05rem; margin: 1.25rem 0 .25rem; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: 0; }
dl.meta dt { color: var(--muted); }
dl.meta dd { margin: 0; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; overflow-wrap: anywhere; }
table { border-collapse: collapse; margin: .5rem 0; }
caption { text-align: left; color: var(--muted); padding: .25rem 0; }
th, td { border: 1px solid var(--line); padding: .3rem .5rem; text-align: left; vertical-align: top; }
thead th { background: var(--bg-alt); }
td.num, th.num { text-align: center; }
#matrix td, #matrix thead th { white-space: nowrap; }
.sev { display: inline-block; border-radius: .25rem; padding: 0 .4rem; font-weight: 600; color: #fff; white-space: nowrap; }
.sev-critical { background: #7f1d1d; }
.sev-high { background: #b91c1c; }
.sev-medium { background: #92400e; }
.sev-low { background: #1e40af; }
.sev-info { background: #374151; }
td.cell-critical { background: #fecaca; }
td.cell-high { background: #fee2e2; }
td.cell-medium { background: #fef3c7; }
td.cell-low { background: #dbeafe; }
td.cell-info { background: #f3f4f6; }
td.cell-none { color: var(--muted); }
.status-unreadable { color: #b91c1c; font-weight: 600; }
.filters { display: flex; flex-wrap: wrap; gap: 1rem; align-items: end; padding: .75rem; background: var(--bg-alt); border-radius: .4rem; }
.filters label { display: flex; flex-direction: column; font-weight: 600; gap: .2rem; }
.filters select, .filters input { font: inherit; padding: .2rem .4rem; min-width: 12rem; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; overflow-wrap: anywhere; }
.matrix-wrap, .table-wrap { overflow-x: auto; }
section.team { border-left: 4px solid var(--line); padding-left: .75rem; }
.muted { color: var(--muted); }
[hidden] { display: none !important; }
"""

SCRIPT = """
(function () {
  "use strict";
  var team = document.getElementById("filter-team");
  var severity = document.getElementById("filter-severity");
  var search = document.getElementById("filter-text");
  var status = document.getElementById("filter-status");
  var rows = Array.prototype.slice.call(document.querySelectorAll("[data-finding]"));
  var sections = Array.prototype.slice.call(document.querySelectorAll("section[data-team-section]"));

  function readHash() {
    var params = new URLSearchParams(window.location.hash.replace(/^#/, ""));
    function pick(select, value) {
      if (value === null) { return; }
      for (var i = 0; i < select.options.length; i++) {
        if (select.options[i].value === value) { select.value = value; return; }
      }
    }
    pick(team, params.get("team"));
    pick(severity, params.get("severity"));
    if (params.get("q") !== null) { search.value = params.get("q"); }
  }

  function writeHash() {
    var params = new URLSearchParams();
    if (team.value) { params.set("team", team.value); }
    if (severity.value) { params.set("severity", severity.value); }
    if (search.value) { params.set("q", search.value); }
    var text = params.toString();
    try { history.replaceState(null, "", text ? "#" + text : window.location.pathname + window.location.search); } catch (e) { /* file: URLs in some browsers */ }
  }

  function apply() {
    var wantTeam = team.value;
    var minRank = severity.value ? Number(severity.options[severity.selectedIndex].getAttribute("data-rank")) : -1;
    var needle = search.value.trim().toLowerCase();
    var shown = 0, total = 0;
    rows.forEach(function (row) {
      var ok = (!wantTeam || row.getAttribute("data-team") === wantTeam) &&
        Number(row.getAttribute("data-rank")) >= minRank &&
        (!needle || row.textContent.toLowerCase().indexOf(needle) !== -1);
      row.hidden = !ok;
      if (row.hasAttribute("data-count")) { total++; if (ok) { shown++; } }
    });
    sections.forEach(function (section) {
      var visible = section.querySelectorAll("[data-finding]:not([hidden])").length > 0;
      section.hidden = !visible || (wantTeam !== "" && section.getAttribute("data-team") !== wantTeam);
    });
    status.textContent = shown === total ? "Showing all " + total + " findings." : "Showing " + shown + " of " + total + " findings.";
  }

  function onChange() { apply(); writeHash(); }
  team.addEventListener("change", onChange);
  severity.addEventListener("change", onChange);
  search.addEventListener("input", onChange);
  window.addEventListener("hashchange", function () { readHash(); apply(); });
  readHash();
  apply();
  document.documentElement.setAttribute("data-filters-ready", "true");
})();
"""

TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{{ csp }}">
<meta name="generator" content="fleet-intent {{ version }}">
<title>fleet-intent report: {{ intent_path }}</title>
<style>{{ style }}</style>
</head>
<body>
<header>
  <h1>fleet-intent report</h1>
  <dl class="meta">
    <dt>Intent</dt><dd id="intent-path">{{ intent_path }}</dd>
    <dt>Intent sha256</dt><dd id="intent-sha256">{{ intent_sha256 }}</dd>
    <dt>Checked at</dt><dd id="generated-at">{{ generated_at or "not recorded" }}</dd>
    <dt>Clusters</dt><dd>{{ clusters|length }} ({{ unreadable }} unreadable)</dd>
    {% if revisions %}
    <dt>Revisions</dt><dd id="revisions">{% for line in revisions %}{{ line }}{% if not loop.last %}<br>{% endif %}{% endfor %}</dd>
    {% endif %}
    <dt>Findings</dt><dd id="totals">{{ findings|length }}{% for sev, n in counts %}{% if n %} · {{ n }} {{ sev }}{% endif %}{% endfor %}</dd>
  </dl>
</header>
<main>
<section aria-labelledby="matrix-heading">
  <h2 id="matrix-heading">Clusters × rules</h2>
  {% if matrix_rules %}
  <div class="matrix-wrap">
  <table id="matrix" aria-describedby="matrix-caption">
    <caption id="matrix-caption">Each cell: number of findings and the worst severity among them (all findings, filters do not apply).</caption>
    <thead><tr><th scope="col">Cluster</th><th scope="col">Status</th>
      {% for rule in matrix_rules %}<th scope="col" class="num"><abbr title="{{ rule.title }}">{{ rule.id }}</abbr></th>{% endfor %}
    </tr></thead>
    <tbody>
    {% for row in matrix %}
      <tr data-cluster="{{ row.name }}">
        <th scope="row">{{ row.label }}{% if row.provider %} <span class="muted">({{ row.provider }})</span>{% endif %}</th>
        <td class="status-{{ row.status }}">{{ row.status }}</td>
        {% for cell in row.cells %}
        {% if cell.count %}
        <td class="num cell-{{ cell.worst }}" data-rule="{{ cell.rule }}" data-count="{{ cell.count }}" data-worst="{{ cell.worst }}"
            aria-label="{{ row.label }}, {{ cell.rule }}: {{ cell.count }} finding{{ 's' if cell.count != 1 }}, worst {{ cell.worst }}">{{ cell.count }} <span class="sev sev-{{ cell.worst }}">{{ cell.worst }}</span></td>
        {% else %}
        <td class="num cell-none" data-rule="{{ cell.rule }}" data-count="0" aria-label="{{ row.label }}, {{ cell.rule }}: no findings">–</td>
        {% endif %}
        {% endfor %}
      </tr>
    {% endfor %}
    </tbody>
  </table>
  </div>
  {% else %}
  <p id="matrix-empty">No findings on {{ clusters|length }} cluster{{ 's' if clusters|length != 1 }}.</p>
  {% endif %}
</section>

<section aria-labelledby="filters-heading">
  <h2 id="filters-heading">Filters</h2>
  <form class="filters" role="search" aria-label="Filter findings">
    <label for="filter-team">Team
      <select id="filter-team" name="team">
        <option value="">All teams</option>
        {% for team in teams %}<option value="{{ team.key }}">{{ team.label }}</option>{% endfor %}
      </select>
    </label>
    <label for="filter-severity">Minimum severity
      <select id="filter-severity" name="severity">
        <option value="" data-rank="-1">All severities</option>
        {% for sev, rank in severity_ranks %}<option value="{{ sev }}" data-rank="{{ rank }}">{{ sev }} and above</option>{% endfor %}
      </select>
    </label>
    <label for="filter-text">Search
      <input id="filter-text" name="q" type="search" placeholder="cluster, object, message…" autocomplete="off">
    </label>
  </form>
  <p id="filter-status" role="status" aria-live="polite">Showing all {{ findings|length }} findings.</p>
</section>

<section aria-labelledby="teams-heading">
  <h2 id="teams-heading">By team</h2>
  {% for team in teams %}
  <section class="team" data-team-section data-team="{{ team.key }}" aria-labelledby="team-{{ loop.index }}">
    <h3 id="team-{{ loop.index }}">{{ team.label }} <span class="muted">· {{ team.findings|length }} finding{{ 's' if team.findings|length != 1 }}</span></h3>
    <p>Owner{{ 's' if team.owners|length != 1 }}: {% for owner in team.owners %}<span class="mono">{{ owner }}</span>{{ ", " if not loop.last }}{% else %}<span class="muted">none recorded</span>{% endfor %}</p>
    <div class="table-wrap">
    <table aria-label="Findings of {{ team.label }}">
      <thead><tr><th scope="col">Severity</th><th scope="col">Rule</th><th scope="col">Cluster</th><th scope="col">Object</th><th scope="col">Owner</th></tr></thead>
      <tbody>
      {% for f in team.findings %}
        <tr data-finding data-team="{{ f.team_key }}" data-severity="{{ f.severity }}" data-rank="{{ f.rank }}">
          <td><span class="sev sev-{{ f.severity }}">{{ f.severity }}</span></td>
          <td><abbr title="{{ f.title }}">{{ f.rule }}</abbr></td>
          <td>{{ f.cluster_label }}</td>
          <td class="mono">{{ f.object }}</td>
          <td class="mono">{{ f.owner }}</td>
        </tr>
      {% endfor %}
      </tbody>
    </table>
    </div>
  </section>
  {% else %}
  <p>No findings.</p>
  {% endfor %}
</section>

<section aria-labelledby="findings-heading">
  <h2 id="findings-heading">Findings</h2>
  <div class="table-wrap">
  <table id="findings" aria-labelledby="findings-heading">
    <thead><tr>
      <th scope="col">Severity</th><th scope="col">Rule</th><th scope="col">Cluster</th><th scope="col">Namespace</th>
      <th scope="col">Object</th><th scope="col">Team</th><th scope="col">Owner</th><th scope="col">Expected</th>
      <th scope="col">Actual</th><th scope="col">Message</th><th scope="col">Remediation</th>
    </tr></thead>
    <tbody>
    {% for f in findings %}
      <tr data-finding data-count data-team="{{ f.team_key }}" data-severity="{{ f.severity }}" data-rank="{{ f.rank }}" data-rule="{{ f.rule }}" data-cluster="{{ f.cluster }}">
        <td><span class="sev sev-{{ f.severity }}">{{ f.severity }}</span></td>
        <td><abbr title="{{ f.title }}">{{ f.rule }}</abbr></td>
        <td>{{ f.cluster_label }}</td>
        <td class="mono">{{ f.namespace }}</td>
        <td class="mono">{{ f.object }}{% if f.file %}<br><span class="muted">{{ f.file }}{% if f.line %}:{{ f.line }}{% endif %}</span>{% endif %}</td>
        <td>{{ f.team_label }}</td>
        <td class="mono">{{ f.owner }}</td>
        <td class="mono">{{ f.expected }}</td>
        <td class="mono">{{ f.actual }}</td>
        <td class="message">{{ f.message }}</td>
        <td>{{ f.remediation }}</td>
      </tr>
    {% endfor %}
    </tbody>
  </table>
  </div>
</section>
</main>
<script>{{ script }}</script>
</body>
</html>
"""
