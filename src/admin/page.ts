/**
 * The live page of the flock: one HTML document with its style and script inline (no build step, no
 * asset from anywhere else), fed by server-sent events from `status/stream`. Every value is set with
 * textContent, never parsed as HTML, since host names, labels and errors come from outside.
 */
export const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>flocker</title>
<style>
  :root { color-scheme: light dark; --ok: #1a7f37; --bad: #cf222e; --wait: #9a6700; --line: #8884; }
  * { box-sizing: border-box; }
  body { font: 15px/1.4 system-ui, sans-serif; margin: 0; padding: 1rem; max-width: 80rem; margin-inline: auto; }
  header { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: baseline; }
  h1 { font-size: 1.4rem; margin: 0; }
  h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
  .muted { opacity: .7; font-size: .9em; }
  #hosts { display: grid; grid-template-columns: repeat(auto-fill, minmax(16rem, 1fr)); gap: .75rem; }
  .host { border: 1px solid var(--line); border-left: 6px solid var(--wait); border-radius: 6px; padding: .6rem .8rem; }
  .host.healthy { border-left-color: var(--ok); }
  .host.unhealthy { border-left-color: var(--bad); }
  .host h3 { margin: 0; font-size: 1.05rem; display: flex; justify-content: space-between; gap: .5rem; }
  .badge { font-size: .8rem; padding: 0 .4rem; border-radius: 3px; color: #fff; background: var(--wait); }
  .healthy .badge { background: var(--ok); }
  .unhealthy .badge { background: var(--bad); }
  dl { display: grid; grid-template-columns: auto 1fr; gap: .1rem .6rem; margin: .4rem 0 0; }
  dt { opacity: .7; } dd { margin: 0; overflow-wrap: anywhere; }
  .bar { height: .45rem; background: var(--line); border-radius: 3px; margin-top: .15rem; }
  .bar > span { display: block; height: 100%; background: currentColor; border-radius: 3px; opacity: .6; }
  .error { color: var(--bad); }
  .scroll { overflow-x: auto; }
  table { border-collapse: collapse; width: 100%; font-size: .9rem; }
  th, td { text-align: left; padding: .25rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
  td.reason { min-width: 14rem; }
  #live.off { color: var(--bad); }
</style>
</head>
<body>
<header>
  <h1>flocker</h1>
  <span id="summary" class="muted"></span>
  <span id="live" class="muted off">connecting…</span>
</header>
<p id="config" class="muted"></p>
<section><h2>Hosts</h2><div id="hosts"></div></section>
<section><h2>Recent placements</h2><div class="scroll"><table>
  <thead><tr><th>time</th><th>container</th><th>image</th><th>host</th><th>why</th></tr></thead>
  <tbody id="placements"></tbody></table></div></section>
<section><h2>Recent errors</h2><div class="scroll"><table>
  <thead><tr><th>time</th><th>what</th><th>message</th></tr></thead>
  <tbody id="errors"></tbody></table></div></section>
<script>
'use strict'
const $ = (id) => document.getElementById(id)
function el(tag, props, ...children) {
  const node = document.createElement(tag)
  Object.assign(node, props || {})
  for (const child of children) node.append(child instanceof Node ? child : String(child ?? ''))
  return node
}
const time = (iso) => iso ? new Date(iso).toLocaleTimeString() : '-'
const bytes = (n) => n >= 2 ** 30 ? (n / 2 ** 30).toFixed(1) + ' GiB' : (n / 2 ** 20).toFixed(0) + ' MiB'
function bar(used, total) {
  const b = el('div', { className: 'bar' })
  b.append(el('span', { style: 'width:' + Math.min(100, total ? 100 * used / total : 0) + '%' }))
  return b
}
function hostCard(h) {
  const card = el('article', { className: 'host ' + h.status })
  card.dataset.host = h.name
  card.append(el('h3', {}, el('span', { className: 'name' }, h.name), el('span', { className: 'badge' }, h.status)))
  const dl = el('dl')
  const row = (k, ...v) => dl.append(el('dt', {}, k), el('dd', {}, ...v))
  row('address', h.address)
  row('since', time(h.since))
  if (h.engine) row('engine', h.engine.version + ' (API ' + h.engine.apiVersion + ')')
  if (h.containers) row('containers', el('span', { className: 'containers' }, h.containers.running + ' running / ' + h.containers.total))
  if (h.cpus) row('CPUs', (h.cpus.reserved ?? '?') + ' / ' + h.cpus.total + ' reserved', bar(h.cpus.reserved || 0, h.cpus.total))
  if (h.memory) row('memory', bytes(h.memory.reserved || 0) + ' / ' + bytes(h.memory.total), bar(h.memory.reserved || 0, h.memory.total))
  const labels = Object.entries(h.labels || {}).map(([k, v]) => k + '=' + v).join(', ')
  if (labels) row('labels', labels)
  if (h.lastError) row('error', el('span', { className: 'error' }, h.lastError))
  card.append(dl)
  return card
}
function render(s) {
  const healthy = s.hosts.filter((h) => h.status === 'healthy').length
  $('summary').textContent = healthy + ' of ' + s.hosts.length + ' hosts healthy · flocker ' + s.flocker.version + ' on ' + s.flocker.runtime
  const c = s.config
  $('config').textContent = c ? 'config ' + (c.file || '') + ': ' + c.state + ' at ' + time(c.at) + (c.error ? ' (' + c.error + '; the previous config is running)' : '') : ''
  $('config').className = c && c.state === 'failed' ? 'error' : 'muted'
  $('hosts').replaceChildren(...s.hosts.map(hostCard))
  $('placements').replaceChildren(...s.recent.placements.map((p) => el('tr', { className: 'placement ' + p.outcome },
    el('td', {}, time(p.time)), el('td', { className: 'container' }, p.name || '(' + p.kind + ')'), el('td', {}, p.image || ''),
    el('td', { className: 'to' }, p.outcome === 'placed' ? p.host : 'refused'), el('td', { className: 'reason' }, p.by + ': ' + p.reason))))
  $('errors').replaceChildren(...s.recent.errors.map((e) => el('tr', {},
    el('td', {}, time(e.time)), el('td', {}, e.what), el('td', { className: 'error' }, e.message))))
}
function connect() {
  const source = new EventSource('status/stream')
  source.onopen = () => { $('live').textContent = 'live'; $('live').className = 'muted' }
  source.onmessage = (event) => render(JSON.parse(event.data))
  source.onerror = () => { $('live').textContent = 'reconnecting…'; $('live').className = 'muted off' }
}
connect()
</script>
</body>
</html>
`
