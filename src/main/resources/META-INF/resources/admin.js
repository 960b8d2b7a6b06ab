// Kiln's admin page: reads the API every 5 s, acts through it with the admin token kept in this
// tab's session storage. No framework, nothing fetched from outside the service.
'use strict';

const TOKEN_KEY = 'kiln-admin-token';
const state = { models: [], telemetry: {}, history: {}, sort: { key: 'name', dir: 1 }, asked: false };
const $ = (id) => document.getElementById(id);

function token() { return sessionStorage.getItem(TOKEN_KEY); }

function showTokenState() {
  $('token-state').textContent = token() ? 'token set for this tab' : 'no token set';
}

function message(text, isError) {
  const m = $('message');
  m.textContent = text;
  m.hidden = !text;
  m.className = isError ? 'error' : '';
}

/** What to tell an operator for an answer the API refused. */
function explain(status, body) {
  const detail = body && (typeof body.error === 'string' ? body.error : body.error && body.error.message);
  if (status === 401) {
    return 'Not authorised (401): the admin token is missing or wrong. Click "Admin token…" and enter the value of '
      + 'AI_MODELS_ADMIN_TOKEN.';
  }
  if (status === 403) {
    return 'Forbidden (403): ' + (detail || 'this action is not allowed') ;
  }
  return 'Failed (' + status + '): ' + (detail || 'no details');
}

async function api(method, path, body) {
  const headers = { 'Accept': 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && token()) headers['Authorization'] = 'Bearer ' + token();
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  let json = null;
  const text = await res.text();
  if (text) { try { json = JSON.parse(text); } catch (e) { json = { error: text }; } }
  return { ok: res.ok, status: res.status, json, location: res.headers.get('Location') };
}

/** Asks for the token once per tab before the first action; cancelling lets the server decide. */
function ensureToken() {
  if (token() || state.asked) return Promise.resolve();
  state.asked = true;
  return openTokenDialog();
}

function openTokenDialog() {
  return new Promise((resolve) => {
    const d = $('token-dialog');
    $('token-input').value = '';
    d.addEventListener('close', function done() {
      d.removeEventListener('close', done);
      if (d.returnValue === 'save' && $('token-input').value) sessionStorage.setItem(TOKEN_KEY, $('token-input').value);
      if (d.returnValue === 'clear') sessionStorage.removeItem(TOKEN_KEY);
      showTokenState();
      resolve();
    });
    d.showModal();
    $('token-input').focus();
  });
}

async function act(label, method, path, body) {
  await ensureToken();
  message(label + '…', false);
  const r = await api(method, path, body);
  message(r.ok ? label + ': done' : label + ': ' + explain(r.status, r.json), !r.ok);
  await refresh();
  return r;
}

function fmtBytes(b) {
  if (!b) return '–';
  return b >= 1e9 ? (b / 1e9).toFixed(2) + ' GB' : (b / 1e6).toFixed(1) + ' MB';
}

function fmtAgo(iso) {
  if (!iso) return 'never';
  const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  return s < 60 ? Math.round(s) + ' s ago' : s < 3600 ? Math.round(s / 60) + ' min ago' : Math.round(s / 3600) + ' h ago';
}

function spark(points) {
  const w = 110, h = 26;
  if (!points || points.length < 2) return '<span class="muted">–</span>';
  const rate = points.map((p) => p.requests_per_second);
  const lat = points.map((p) => p.p95_ms || 0);
  const line = (vals) => {
    const max = Math.max(...vals, 1e-9);
    return vals.map((v, i) => (i * w / (vals.length - 1)).toFixed(1) + ',' + (h - 2 - v / max * (h - 4)).toFixed(1)).join(' ');
  };
  const last = points[points.length - 1];
  const title = 'requests/s (solid) and p95 ms (dashed); now ' + last.requests_per_second + ' req/s';
  return '<svg class="spark" width="' + w + '" height="' + h + '" role="img" aria-label="' + title + '"><title>' + title
    + '</title><polyline class="rate" points="' + line(rate) + '"/><polyline class="lat" points="' + line(lat) + '"/></svg>';
}

function row(m) {
  const t = state.telemetry.models ? state.telemetry.models[m.name] || {} : {};
  const h = state.history.models ? state.history.models[m.name] || {} : {};
  return {
    name: m.name, category: m.category, state: m.state, reason: m.reason, enabled: m.enabled, lazy: m.lazy_load,
    provider: m.execution_provider || '–', size: m.size_gb, memory: m.memory_bytes, measured: m.memory_measured,
    usage: t.usage_count || 0, lastUsed: t.last_used || '', p50: h.p50_ms, p95: h.p95_ms, coldStarts: t.cold_starts || 0,
    points: h.points, loaded: m.loaded, versions: m.versions || [],
  };
}

// A model of several versions (or with aliases) lists them under its name: state, aliases, share of unversioned calls.
function versionsNote(versions) {
  if (versions.length < 2 && !versions.some((v) => v.aliases.length)) return '';
  return '<ul class="versions">' + versions.map((v) => '<li>v' + esc(v.version) + ' ' + esc(v.state)
    + (v.aliases.length ? ' (' + esc(v.aliases.join(', ')) + ')' : '')
    + (v.traffic_percent ? ' ' + esc(v.traffic_percent) + '%' : '') + (v.shadow ? ' shadow' : '') + '</li>').join('') + '</ul>';
}

function esc(s) {
  return String(s == null ? '' : s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

function renderModels() {
  const rows = state.models.map(row);
  const { key, dir } = state.sort;
  rows.sort((a, b) => {
    const x = a[key] == null ? '' : a[key], y = b[key] == null ? '' : b[key];
    return (x > y ? 1 : x < y ? -1 : 0) * dir;
  });
  const body = document.querySelector('#models tbody');
  body.innerHTML = rows.map((r) => '<tr data-model="' + esc(r.name) + '">'
    + '<th scope="row">' + esc(r.name) + versionsNote(r.versions) + '</th><td>' + esc(r.category) + '</td>'
    + '<td class="state state-' + esc(r.state) + '">' + esc(r.state)
    + (r.reason ? '<span class="reason">' + esc(r.reason) + '</span>' : '') + '</td>'
    + '<td>' + (r.enabled ? 'yes' : 'no') + '</td><td>' + (r.lazy ? 'yes' : 'no') + '</td><td>' + esc(r.provider) + '</td>'
    + '<td class="num">' + esc(r.size) + ' GB</td><td class="num">' + fmtBytes(r.memory) + (r.memory && !r.measured ? ' (est.)' : '') + '</td>'
    + '<td class="num">' + r.usage + '</td><td>' + fmtAgo(r.lastUsed) + '</td>'
    + '<td class="num">' + (r.p50 == null ? '–' : r.p50 + ' / ' + r.p95 + ' ms') + '</td><td class="num">' + r.coldStarts + '</td>'
    + '<td>' + spark(r.points) + '</td>'
    + '<td class="actions">'
    + (r.loaded ? '<button type="button" data-act="unload">Unload</button>' : '<button type="button" data-act="load">Load</button>')
    + (r.enabled ? '<button type="button" data-act="disable">Disable</button>' : '<button type="button" data-act="enable">Enable</button>')
    + '<button type="button" data-act="uninstall">Uninstall</button></td></tr>').join('');
  document.querySelectorAll('#models thead button').forEach((b) => {
    const th = b.parentElement;
    th.setAttribute('aria-sort', b.dataset.sort === key ? (dir > 0 ? 'ascending' : 'descending') : 'none');
  });
}

function renderSummary(status, health, setup) {
  const cats = {};
  state.models.forEach((m) => {
    cats[m.category] = cats[m.category] || [0, 0];
    cats[m.category][1]++;
    if (m.loaded) cats[m.category][0]++;
  });
  $('loaded-total').textContent = status.loaded_models_count + ' / ' + status.total_models_count;
  $('per-category').textContent = Object.entries(cats).map(([c, v]) => c + ' ' + v[0] + '/' + v[1]).join(' · ');
  $('health-status').textContent = health.overall_status || '–';
  const items = (health.issues || []).map((i) => '<li>issue: ' + esc(i) + '</li>')
    .concat((health.warnings || []).map((w) => '<li>warning: ' + esc(w) + '</li>'));
  $('health-issues').innerHTML = items.join('') || '<li>no issues, no warnings</li>';
  $('engine').textContent = 'ONNX Runtime on ' + (setup.execution_provider || 'cpu');
  $('replica').textContent = setup.replica ? 'answered by replica ' + setup.replica : '';
  const fallbacks = new Set();
  state.models.forEach((m) => (m.execution_provider_fallbacks || []).forEach((f) => fallbacks.add(f)));
  $('engine-fallbacks').innerHTML = [...fallbacks].map((f) => '<li>' + esc(f) + '</li>').join('')
    || '<li>preferred: ' + esc((setup.preferred_execution_providers || []).join(', ')) + '</li>';
}

function renderRecommendations() {
  const recs = state.telemetry.recommendations || [];
  $('recommendations').innerHTML = recs.length ? recs.map((r) => '<li data-model="' + esc(r.model) + '"><strong>'
    + esc(r.model) + '</strong>: ' + esc(r.recommendation) + '. <span class="muted">' + esc(r.reason) + '</span> '
    + (/unload/i.test(r.recommendation) ? '<button type="button" data-act="unload">Unload</button>'
      : '<button type="button" data-act="load">Load now</button>') + '</li>').join('')
    : '<li class="muted">None: every model is used as it is loaded.</li>';
}

async function refresh() {
  try {
    const [status, telemetry, health, setup, history] = await Promise.all([
      api('GET', '/api/v1/setup/models/status'), api('GET', '/api/v1/setup/ai-models/telemetry'),
      api('GET', '/api/v1/setup/dependencies/health'), api('GET', '/api/v1/setup/status'),
      api('GET', '/api/v1/setup/ai-models/telemetry/history')]);
    if (!status.ok) throw new Error(explain(status.status, status.json));
    state.models = status.json.installed_models;
    state.telemetry = telemetry.json || {};
    state.history = history.json || {};
    renderSummary(status.json, health.json || {}, setup.json || {});
    renderModels();
    renderOcrModels();
    renderRecommendations();
  } catch (e) {
    message('Cannot read the service: ' + e.message, true);
  }
}

function modelAction(name, what) {
  const v2 = '/v2/repository/models/' + encodeURIComponent(name) + '/';
  switch (what) {
    case 'load': return act('Load ' + name, 'POST', v2 + 'load');
    case 'unload': return act('Unload ' + name, 'POST', v2 + 'unload');
    case 'enable': return act('Enable ' + name, 'POST', '/api/v1/setup/ai-models/enable', { name, enabled: true });
    case 'disable': return act('Disable ' + name, 'POST', '/api/v1/setup/ai-models/enable', { name, enabled: false });
    case 'uninstall':
      if (!window.confirm('Uninstall ' + name + '? Its files are deleted once its requests finish.')) return null;
      return act('Uninstall ' + name, 'POST', '/api/v1/setup/ai-models/uninstall', { name });
    default: return null;
  }
}

async function warmUp() {
  await ensureToken();
  const lazy = $('warmup-lazy').checked;
  $('warmup-result').textContent = 'warming up…';
  const r = await api('POST', '/api/v1/setup/ai-models/warm-up' + (lazy ? '?include_lazy=true' : ''));
  $('warmup-result').textContent = r.ok || (r.json && r.json.message) ? (r.json.message || 'done') : explain(r.status, r.json);
  if (!r.ok) message('Warm-up: ' + explain(r.status, r.json), true);
  await refresh();
}

async function install(ev) {
  ev.preventDefault();
  await ensureToken();
  const body = { name: $('install-name').value.trim(), url: $('install-url').value.trim(), category: $('install-category').value };
  if ($('install-sha').value.trim()) body.sha256 = $('install-sha').value.trim();
  const progress = $('install-progress');
  const status = $('install-status');
  const r = await api('POST', '/api/v1/setup/ai-models/install', body);
  if (!r.ok) {
    status.textContent = explain(r.status, r.json);
    message('Install: ' + explain(r.status, r.json), true);
    return;
  }
  progress.hidden = false;
  progress.value = 0;
  const job = r.location || ('/api/v1/setup/ai-models/install/jobs/' + r.json.id);
  for (;;) {
    const j = await api('GET', job);
    if (!j.ok) { status.textContent = explain(j.status, j.json); return; }
    const v = j.json;
    if (v.bytes_total) progress.value = Math.round(100 * v.bytes_done / v.bytes_total);
    status.textContent = v.name + ': ' + v.status + (v.error ? ' — ' + v.error : '');
    if (v.status === 'done' || v.status === 'failed') {
      if (v.status === 'done') progress.value = 100;
      message('Install of ' + v.name + ': ' + v.status + (v.error ? ' — ' + v.error : ''), v.status === 'failed');
      await refresh();
      return;
    }
    await new Promise((res) => setTimeout(res, 300));
  }
}

/** The pipelines that read images, for the "Try it" panel (ppocr first). */
function renderOcrModels() {
  const select = $('ocr-model');
  const names = state.models.filter((m) => m.inference_engine === 'pipeline' && m.category === 'image').map((m) => m.name);
  const wanted = ['ppocr'].concat(names.filter((n) => n !== 'ppocr'));
  if ([...select.options].map((o) => o.value).join() === wanted.join()) return;
  const chosen = select.value;
  select.innerHTML = wanted.map((n) => '<option>' + esc(n) + '</option>').join('');
  if (wanted.includes(chosen)) select.value = chosen;
}

function readAsDataUrl(file) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(r.result);
    r.onerror = () => reject(r.error);
    r.readAsDataURL(file);
  });
}

function loadImage(url) {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error('the browser cannot show this image'));
    img.src = url;
  });
}

/** Draws the image, each line's box over it, and the line's number and text above the box. */
function drawOcr(img, lines) {
  const canvas = $('ocr-canvas');
  const scale = Math.min(1, 760 / img.naturalWidth);
  canvas.width = Math.round(img.naturalWidth * scale);
  canvas.height = Math.round(img.naturalHeight * scale);
  const g = canvas.getContext('2d');
  g.drawImage(img, 0, 0, canvas.width, canvas.height);
  const accent = getComputedStyle(document.documentElement).getPropertyValue('--accent').trim() || '#b3451b';
  g.lineWidth = 2;
  g.font = '13px system-ui, sans-serif';
  lines.forEach((l, i) => {
    const pts = l.box.map(([x, y]) => [x * scale, y * scale]);
    g.strokeStyle = accent;
    g.beginPath();
    pts.forEach(([x, y], k) => (k ? g.lineTo(x, y) : g.moveTo(x, y)));
    g.closePath();
    g.stroke();
    const label = (i + 1) + '. ' + l.text;
    const w = g.measureText(label).width + 6;
    const [x0, y0] = pts[0];
    const top = Math.max(0, y0 - 17);
    g.fillStyle = 'rgba(255, 255, 255, 0.85)';
    g.fillRect(x0, top, w, 16);
    g.fillStyle = accent;
    g.fillText(label, x0 + 3, top + 12);
  });
  canvas.dataset.boxes = String(lines.length);
}

async function readImage(ev) {
  ev.preventDefault();
  const file = $('ocr-file').files[0];
  if (!file) return;
  const status = $('ocr-status');
  status.textContent = 'reading…';
  try {
    const dataUrl = await readAsDataUrl(file);
    const r = await api('POST', '/v1/ocr', { image: dataUrl, model: $('ocr-model').value });
    if (!r.ok) {
      status.textContent = explain(r.status, r.json);
      $('ocr-result').hidden = true;
      return;
    }
    const lines = r.json.lines;
    drawOcr(await loadImage(dataUrl), lines);
    $('ocr-lines').innerHTML = lines.map((l) => '<li data-text="' + esc(l.text) + '">' + esc(l.text) + '<span class="score">' + l.score.toFixed(3)
      + '</span></li>').join('');
    $('ocr-result').hidden = false;
    status.textContent = lines.length + ' line' + (lines.length === 1 ? '' : 's') + ' read by ' + r.json.model + ' in '
      + Math.round(r.json.elapsed_ms) + ' ms';
  } catch (e) {
    status.textContent = 'Cannot read the image: ' + e.message;
  }
}

document.addEventListener('click', (ev) => {
  const b = ev.target.closest('button');
  if (!b) return;
  if (b.dataset.sort) {
    state.sort = { key: b.dataset.sort, dir: state.sort.key === b.dataset.sort ? -state.sort.dir : 1 };
    renderModels();
  } else if (b.dataset.act) {
    const holder = b.closest('[data-model]');
    if (holder) modelAction(holder.dataset.model, b.dataset.act);
  }
});
$('warmup').addEventListener('click', warmUp);
$('install-form').addEventListener('submit', install);
$('ocr-form').addEventListener('submit', readImage);
$('token-button').addEventListener('click', () => { state.asked = true; openTokenDialog(); });
showTokenState();
refresh();
setInterval(refresh, 5000);
