/*
 * app.js: the dashboard.  Polls the JSON API every REFRESH_MS (status, projects, the
 * latest jobs; the selected job's detail and log tail) and draws what it gets: no
 * framework, no build step, nothing from the network but this service.
 *
 * The token (when the service has one) comes from "#token=..." in the address or from
 * a prompt shown on a 401, and is kept in localStorage; every API call sends it as
 * "Authorization: Bearer ...".
 */
'use strict';

const REFRESH_MS = 1500;
const $ = (id) => document.getElementById(id);

const ui = {
  token: '',
  project: null,     /* the selected project's name */
  projectChosen: false, /* the user chose it: do not follow the selected job */
  job: null,         /* the selected job's id */
  pinned: false,     /* the user chose the job: do not follow the newest */
  jobs: [],
  timer: null,
};

/* ---- the API ---- */

function readToken() {
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (m) {
    ui.token = decodeURIComponent(m[1]);
    try { localStorage.setItem('scraperToken', ui.token); } catch (e) { /* private mode */ }
    return;
  }
  try { ui.token = localStorage.getItem('scraperToken') || ''; } catch (e) { ui.token = ''; }
}

class AuthError extends Error {}

async function call(path, options) {
  const opts = Object.assign({ headers: {} }, options || {});
  if (ui.token) opts.headers.Authorization = 'Bearer ' + ui.token;
  const res = await fetch(path, opts);
  if (res.status === 401) {
    $('auth').classList.remove('hidden');
    throw new AuthError('token needed');
  }
  return res;
}

async function getJSON(path) {
  const res = await call(path);
  const body = await res.json();
  if (!res.ok) throw new Error(body.error || res.statusText);
  return body;
}

/* ---- formatting ---- */

function fmtInt(n) { return (n || 0).toLocaleString('en-US'); }
function fmtRate(x) { return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : (x || 0).toFixed(2); }

function fmtDuration(s) {
  if (s === null || s === undefined) return '';
  s = Math.max(0, Math.round(s));
  if (s < 60) return s + 's';
  if (s < 3600) return Math.floor(s / 60) + 'm ' + String(s % 60).padStart(2, '0') + 's';
  return Math.floor(s / 3600) + 'h ' + String(Math.floor(s / 60) % 60).padStart(2, '0') + 'm';
}

function fmtTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  const now = new Date();
  const hm = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hour12: false });
  if (d.toDateString() === now.toDateString())
    return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
  return d.toLocaleDateString([], { month: 'short', day: 'numeric' }) + ' ' + hm;
}

function ago(iso) {
  if (!iso) return '';
  const s = (Date.now() - new Date(iso).getTime()) / 1000;
  return s < 0 ? 'in ' + fmtDuration(-s) : fmtDuration(s) + ' ago';
}

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'data') for (const [dk, dv] of Object.entries(v)) e.dataset[dk] = dv;
    else e.setAttribute(k, v);
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function badge(state) { return el('span', { class: 'badge job-state ' + state }, state); }

/* ---- actions ---- */

async function startJob(name, button) {
  button.disabled = true;
  try {
    const res = await call('/api/v1/projects/' + encodeURIComponent(name) + '/jobs', { method: 'POST' });
    const body = await res.json();
    if (res.ok) { ui.job = body.id; ui.pinned = true; }
    else button.title = body.error || res.statusText;
  } catch (e) { /* shown by the next refresh */ }
  refreshSoon();
}

async function cancelJob(id) {
  try { await call('/api/v1/jobs/' + id + '/cancel', { method: 'POST' }); } catch (e) { /* next refresh shows it */ }
  refreshSoon();
}

async function runQuery(ev) {
  if (ev) ev.preventDefault();
  const out = $('query-result'), errBox = $('query-error');
  const project = ui.project;
  out.replaceChildren();
  errBox.classList.add('hidden');
  if (!project) { errBox.textContent = 'Select a project first.'; errBox.classList.remove('hidden'); return; }
  const sql = $('query-sql').value;
  try {
    const res = await call('/api/v1/projects/' + encodeURIComponent(project) + '/query?format=json&sql=' + encodeURIComponent(sql));
    const body = await res.json();
    if (!res.ok) throw new Error(body.error || res.statusText);
    renderRows(out, body);
  } catch (e) {
    if (e instanceof AuthError) return;
    errBox.textContent = e.message;
    errBox.classList.remove('hidden');
  }
}

function renderRows(table, rows) {
  if (rows.length === 0) { table.append(el('tbody', {}, el('tr', {}, el('td', { class: 'null' }, 'no rows')))); return; }
  const cols = Object.keys(rows[0]);
  table.append(el('thead', {}, el('tr', {}, ...cols.map((c) => el('th', {}, c)))));
  const tb = el('tbody');
  for (const r of rows.slice(0, 500)) {
    tb.append(el('tr', {}, ...cols.map((c) => {
      const v = r[c];
      if (v === null) return el('td', { class: 'null' }, 'NULL');
      const text = typeof v === 'object' ? JSON.stringify(v) : String(v);
      return el('td', { class: typeof v === 'number' ? 'num' : '', title: text }, text);
    })));
  }
  table.append(tb);
  if (rows.length > 500) table.append(el('caption', {}, 'first 500 of ' + rows.length + ' rows'));
}

/* ---- rendering ---- */

function renderStatus(s) {
  for (const k of ['running', 'queued', 'finished', 'failed']) $('count-' + k).textContent = fmtInt(s.jobs[k]);
  $('version').textContent = 'v' + s.version;
  $('uptime').textContent = fmtDuration(s.uptime_s);
}

function renderProjects(list) {
  const ul = $('projects');
  $('project-count').textContent = list.length;
  $('no-projects').classList.toggle('hidden', list.length > 0);
  if (!ui.project && list.length > 0) ui.project = list[0].name;
  ul.replaceChildren(...list.map((p) => {
    const last = p.last_job;
    const start = el('button', { class: 'ghost start', title: 'start a crawl of ' + p.name }, 'Start');
    if (p.active_job) { start.disabled = true; start.title = 'job ' + p.active_job + ' is queued or running'; }
    start.addEventListener('click', (ev) => { ev.stopPropagation(); startJob(p.name, start); });
    return el('li', {
      class: 'project project-row' + (p.name === ui.project ? ' selected' : ''),
      data: { project: p.name },
      onclick: () => { ui.project = p.name; ui.projectChosen = true; $('query-project').textContent = 'on ' + p.name; refreshSoon(); },
    },
    el('div', { class: 'row' }, el('span', { class: 'name' }, p.name), last ? badge(last.state) : el('span', { class: 'muted small' }, 'never run')),
    el('div', { class: 'info' },
      last ? 'last job #' + last.id + (last.finished_at ? ', ended ' + ago(last.finished_at) : last.started_at ? ', started ' + ago(last.started_at) : '') : 'no jobs yet'),
    p.schedule ? el('div', { class: 'info' }, el('span', { class: 'sched' }, p.schedule), ' next ', p.next_run ? fmtTime(p.next_run) : '–') : null,
    el('div', { class: 'row' }, el('span', { class: 'info' }, p.notify ? 'notifies on end' : ''), start));
  }));
  $('query-project').textContent = ui.project ? 'on ' + ui.project : '';
}

function progressBar(j) {
  const p = j.progress || {};
  const total = (p.done || 0) + (p.queued || 0);
  const frac = j.state === 'finished' ? 1 : total > 0 ? p.done / total : 0;
  const bar = el('div', { class: 'bar ' + j.state }, el('span'));
  bar.firstChild.style.width = (100 * frac).toFixed(1) + '%';
  return bar;
}

function renderJobs(jobs) {
  ui.jobs = jobs;
  $('no-jobs').classList.toggle('hidden', jobs.length > 0);
  if (!ui.pinned || !jobs.some((j) => j.id === ui.job)) {
    const running = jobs.find((j) => j.state === 'running');
    ui.job = running ? running.id : jobs.length ? jobs[0].id : null;
  }
  const selected = jobs.find((j) => j.id === ui.job);
  if (selected && !ui.projectChosen) ui.project = selected.project;
  $('jobs').replaceChildren(...jobs.map((j) => {
    const p = j.progress || {};
    const actions = el('td', { class: 'num' });
    if (j.state === 'queued' || j.state === 'running') {
      actions.append(el('button', { class: 'danger cancel', onclick: (ev) => { ev.stopPropagation(); cancelJob(j.id); } }, j.cancelling ? 'Stopping' : 'Cancel'));
    }
    return el('tr', {
      class: 'job-row' + (j.id === ui.job ? ' selected' : ''),
      data: { job: j.id, state: j.state },
      onclick: () => { ui.job = j.id; ui.pinned = true; refreshSoon(); },
    },
    el('td', { class: 'num muted' }, j.id),
    el('td', {}, el('b', {}, j.project), j.trigger === 'schedule' ? el('span', { class: 'muted small' }, ' ⏱') : null),
    el('td', {}, badge(j.state)),
    el('td', { class: 'muted' }, fmtTime(j.started_at)),
    el('td', { class: 'num' }, fmtDuration(j.duration_s)),
    el('td', { class: 'num job-done' }, fmtInt(p.done)),
    el('td', { class: 'num' }, fmtInt(p.queued)),
    el('td', { class: 'num job-items' }, fmtInt(p.items)),
    el('td', { class: 'num' }, fmtInt(p.errors)),
    el('td', { class: 'num' }, j.state === 'running' ? fmtRate(p.pages_per_s) : '–'),
    el('td', {}, progressBar(j)),
    actions);
  }));
}

function renderJob(j) {
  const p = j.progress || {};
  $('job-detail').classList.remove('hidden');
  $('job-id').textContent = '#' + j.id;
  $('job-project').textContent = j.project;
  const st = $('job-state');
  st.className = 'badge ' + j.state;
  st.textContent = j.state + (j.cancelling ? ' (stopping)' : '');
  $('job-done').textContent = fmtInt(p.done);
  $('job-queued').textContent = fmtInt(p.queued);
  $('job-items').textContent = fmtInt(p.items);
  $('job-errors').textContent = fmtInt(p.errors);
  $('job-pps').textContent = j.state === 'running' ? fmtRate(p.pages_per_s) : fmtRate(p.elapsed_s > 0 ? p.done / p.elapsed_s : 0);
  $('job-sites').textContent = fmtInt(p.sites_active);
  $('job-elapsed').textContent = fmtDuration(j.duration_s);
  const cancel = $('job-cancel');
  cancel.classList.toggle('hidden', !(j.state === 'running' || j.state === 'queued'));
  cancel.onclick = () => cancelJob(j.id);
  $('sites').replaceChildren(...(j.sites || []).map((s) => el('tr', { class: 'site-row' },
    el('td', { title: s.site }, s.site), el('td', { class: 'num' }, fmtInt(s.done)), el('td', { class: 'num' }, fmtInt(s.queued)),
    el('td', { class: 'num' }, fmtInt(s.failed)), el('td', { class: 'num' }, fmtInt(s.items)))));
  if (!(j.sites || []).length) $('sites').append(el('tr', {}, el('td', { class: 'muted', colspan: '5' }, 'no sites yet')));
  drawChart($('chart'), j.history || [], j.state);
}

/* The pages/s chart: [t, pages/s, done] points over the job's life. */
function drawChart(canvas, points, state) {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || 600, h = canvas.clientHeight || 180;
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(h * dpr);
  const g = canvas.getContext('2d');
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, w, h);
  const left = 40, right = 10, top = 10, bottom = 22;
  const pw = w - left - right, ph = h - top - bottom;
  g.font = '11px system-ui, sans-serif';
  g.fillStyle = '#8a93a3';
  if (points.length < 2) {
    g.textAlign = 'center';
    g.fillText(state === 'queued' ? 'waiting to start' : 'waiting for progress', w / 2, h / 2);
    return;
  }
  const tmax = Math.max(1, points[points.length - 1][0]);
  let ymax = Math.max(1, ...points.map((p) => p[1]));
  const step = niceStep(ymax / 4);
  ymax = Math.ceil(ymax / step) * step;
  const x = (t) => left + (t / tmax) * pw;
  const y = (v) => top + ph - (v / ymax) * ph;
  g.strokeStyle = '#e6eaf1';
  g.lineWidth = 1;
  g.textAlign = 'right';
  g.textBaseline = 'middle';
  for (let v = 0; v <= ymax + 1e-9; v += step) {
    g.beginPath(); g.moveTo(left, Math.round(y(v)) + 0.5); g.lineTo(w - right, Math.round(y(v)) + 0.5); g.stroke();
    g.fillText(v >= 10 ? v.toFixed(0) : v.toFixed(1), left - 6, y(v));
  }
  g.textAlign = 'center';
  g.textBaseline = 'top';
  for (let i = 0; i <= 4; i++) g.fillText(fmtDuration((tmax * i) / 4), left + (pw * i) / 4, h - bottom + 6);
  const colour = state === 'failed' ? '#d64545' : state === 'finished' ? '#2f9e62' : '#2f6fec';
  const grad = g.createLinearGradient(0, top, 0, top + ph);
  grad.addColorStop(0, colour + '55');
  grad.addColorStop(1, colour + '05');
  g.beginPath();
  g.moveTo(x(points[0][0]), y(0));
  for (const p of points) g.lineTo(x(p[0]), y(p[1]));
  g.lineTo(x(points[points.length - 1][0]), y(0));
  g.closePath();
  g.fillStyle = grad;
  g.fill();
  g.beginPath();
  points.forEach((p, i) => (i ? g.lineTo(x(p[0]), y(p[1])) : g.moveTo(x(p[0]), y(p[1]))));
  g.strokeStyle = colour;
  g.lineWidth = 2;
  g.stroke();
}

function niceStep(raw) {
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

async function renderLog(id) {
  const pre = $('log');
  try {
    const res = await call('/api/v1/jobs/' + id + '/log?tail=8192');
    const text = res.ok ? await res.text() : '';
    const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
    if (pre.textContent !== text) {
      pre.textContent = text || '(empty)';
      if (atBottom) pre.scrollTop = pre.scrollHeight;
    }
  } catch (e) { /* next turn */ }
}

/* ---- the loop ---- */

async function refresh() {
  clearTimeout(ui.timer);
  const conn = $('conn');
  try {
    const [status, projects, jobs] = await Promise.all([
      getJSON('/api/v1/status'), getJSON('/api/v1/projects'), getJSON('/api/v1/jobs?limit=25')]);
    renderStatus(status);
    renderJobs(jobs.jobs);
    renderProjects(projects.projects);
    if (ui.job !== null) {
      const job = await getJSON('/api/v1/jobs/' + ui.job);
      renderJob(job);
      await renderLog(ui.job);
    } else {
      $('job-detail').classList.add('hidden');
    }
    conn.textContent = 'live';
    conn.className = 'conn ok';
  } catch (e) {
    conn.textContent = e instanceof AuthError ? 'token needed' : 'disconnected';
    conn.className = 'conn bad';
  }
  ui.timer = setTimeout(refresh, REFRESH_MS);
}

function refreshSoon() {
  clearTimeout(ui.timer);
  ui.timer = setTimeout(refresh, 50);
}

$('auth-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  ui.token = $('auth-token').value.trim();
  try { localStorage.setItem('scraperToken', ui.token); } catch (e) { /* private mode */ }
  $('auth').classList.add('hidden');
  refreshSoon();
});
$('query-form').addEventListener('submit', runQuery);
readToken();
refresh();
