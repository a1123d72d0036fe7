// ribjournal's operator page: plain ES module, no build step. It uses the GraphQL API only (POST
// /graphql, subscriptions over SSE), the token from sessionStorage when the API asks for one, and uPlot
// (window.uPlot, served from the npm package) for charts. Views: #/ (overview), #/table/VRF,
// #/prefix/VRF/PREFIX, #/live, #/journal. Charts register in window.ribjournal.charts for tests.
const TOKEN_KEY = 'ribjournal.token';
const WINDOW_KEY = 'ribjournal.window';
const WINDOWS = { '1h': '-1h', '24h': '-24h', '7d': '-7d', all: null };
const MARKER_COLORS = { ConfigApplied: '#6366f1', DaemonStarted: '#16a34a', DaemonStopped: '#dc2626' };

const state = {
  window: sessionStorage.getItem(WINDOW_KEY) ?? '24h',
  /** Cleanup of the current view (live subscription, timers). */
  leave: () => {},
};
window.ribjournal = { charts: {}, live: { status: 'idle', received: 0 } };

// ---------------------------------------------------------------- helpers

/** Creates an element: h('td', { class: 'num' }, 'text', child…). Text is never parsed as HTML. */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function main() {
  return document.getElementById('main');
}

function banner(text) {
  const b = document.getElementById('banner');
  b.hidden = !text;
  b.textContent = text ?? '';
}

function authHeaders() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token ? { authorization: `Bearer ${token}` } : {};
}

class ApiError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

/** Runs a query; throws ApiError with the first error's code. */
async function gql(query, variables = {}) {
  const res = await fetch('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...authHeaders() },
    body: JSON.stringify({ query, variables }),
  });
  let body;
  try {
    body = await res.json();
  } catch {
    throw new ApiError(`HTTP ${res.status} from /graphql`, 'HTTP');
  }
  if (body.errors?.length) {
    const e = body.errors[0];
    throw new ApiError(e.message, e.extensions?.code ?? 'ERROR');
  }
  return body.data;
}

function explain(err) {
  if (err instanceof ApiError && (err.code === 'UNAUTHENTICATED' || err.code === 'FORBIDDEN')) {
    return `${err.message} — enter the API token above (it is kept for this tab only).`;
  }
  return err instanceof ApiError ? `${err.code}: ${err.message}` : String(err);
}

const micros = (t) => Date.parse(t) / 1000; // RFC 3339 -> epoch seconds (uPlot's x unit)

function ago(t) {
  if (!t) return '—';
  const s = Math.max(0, (Date.now() - Date.parse(t)) / 1000);
  if (s < 90) return `${Math.round(s)} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  if (s < 172800) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

function shortTime(t) {
  return t ? t.replace('T', ' ').replace(/(\.\d{3})\d*Z$/, '$1Z') : '—';
}

function bytes(n) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

/** A table head: each column a title, or [title, class]. */
function thead(...cols) {
  return h(
    'thead',
    {},
    h(
      'tr',
      {},
      cols.map((c) => (Array.isArray(c) ? h('th', { class: c[1] }, c[0]) : h('th', {}, c))),
    ),
  );
}

/** The cell saying what a route event did. */
function changeCell(type) {
  const found = type === 'RouteDiscovered' || type === 'DISCOVERED';
  return h('td', { class: found ? 'added' : 'removed' }, found ? 'discovered' : 'vanished');
}

const tableLink = (vrf) => h('a', { href: `#/table/${encodeURIComponent(vrf)}` }, vrf);
const prefixLink = (vrf, prefix) =>
  h(
    'a',
    { href: `#/prefix/${encodeURIComponent(vrf)}/${encodeURIComponent(prefix)}`, class: 'mono' },
    prefix,
  );

// ---------------------------------------------------------------- charts

/** Vertical lines for markers (config changes, daemon starts and stops). */
function markerPlugin(markers) {
  return {
    hooks: {
      draw: [
        (u) => {
          const { ctx, bbox } = u;
          ctx.save();
          ctx.lineWidth = 1;
          for (const m of markers) {
            const x = u.valToPos(micros(m.time), 'x', true);
            if (x < bbox.left || x > bbox.left + bbox.width) continue;
            ctx.strokeStyle = MARKER_COLORS[m.kind] ?? '#9ca3af';
            ctx.setLineDash([3, 3]);
            ctx.beginPath();
            ctx.moveTo(x, bbox.top);
            ctx.lineTo(x, bbox.top + bbox.height);
            ctx.stroke();
          }
          ctx.restore();
        },
      ],
    },
  };
}

/**
 * Draws a route count series into `el`. Small: the total only, no axes. Large: total with the min/max
 * band (dips between points), axes, legend, markers, and `onPick(point)` on click.
 */
function countChart(name, el, series, { small = false, width, height, onPick } = {}) {
  const pts = series.points;
  const xs = pts.map((p) => micros(p.time));
  const data = small
    ? [xs, pts.map((p) => p.total)]
    : [xs, pts.map((p) => p.total), pts.map((p) => p.min), pts.map((p) => p.max)];
  const opts = {
    width: width ?? (small ? 240 : Math.max(400, el.clientWidth || 900)),
    height: height ?? (small ? 48 : 280),
    scales: {
      x: { time: true },
      // From just below zero, so that an empty table still draws its line.
      y: { range: (_u, _min, max) => [-Math.max(1, max) * 0.06, Math.max(1, max) * 1.12] },
    },
    series: small
      ? [
          {},
          {
            stroke: '#2563eb',
            width: 1.5,
            fill: 'rgba(37,99,235,0.10)',
            paths: uPlot.paths.stepped({ align: -1 }),
          },
        ]
      : [
          { label: 'time' },
          {
            label: 'routes',
            stroke: '#2563eb',
            width: 2,
            fill: 'rgba(37,99,235,0.08)',
            paths: uPlot.paths.stepped({ align: -1 }),
          },
          // Lowest and highest count between two points: a dip shorter than the step shows here.
          {
            label: 'min',
            stroke: '#dc2626',
            width: 1,
            dash: [4, 4],
            paths: uPlot.paths.stepped({ align: -1 }),
          },
          {
            label: 'max',
            stroke: '#16a34a',
            width: 1,
            dash: [4, 4],
            paths: uPlot.paths.stepped({ align: -1 }),
          },
        ],
    axes: small ? [{ show: false }, { show: false }] : [{}, { size: 60 }],
    legend: { show: !small },
    cursor: small ? { show: false } : { points: { size: 8 } },
    plugins: [markerPlugin(series.markers ?? [])],
  };
  el.replaceChildren();
  const u = new uPlot(opts, data, el);
  el.dataset.points = String(pts.length);
  window.ribjournal.charts[name] = { u, points: pts };
  if (onPick) {
    u.over.style.cursor = 'pointer';
    u.over.addEventListener('click', () => {
      const idx = u.cursor.idx;
      if (idx !== null && idx !== undefined && pts[idx]) onPick(pts[idx], pts[idx - 1]);
    });
  }
  return u;
}

// ---------------------------------------------------------------- views

const SERIES_FIELDS =
  'from to fromSeq toSeq points { time seq total ipv4 ipv6 min max changes exact } markers { seq time kind detail }';

async function overview() {
  const from = WINDOWS[state.window];
  const data = await gql(
    `query($from: SeqOrTime) {
      journal { headSeq lastTime }
      vrfs { name rd configured routeCounts { ipv4 ipv6 total } lastChange
        routeCountSeries(from: $from, points: 60) { ${SERIES_FIELDS} } } }`,
    { from },
  );
  const rows = data.vrfs.map((v) => {
    const spark = h('div', { class: 'spark' });
    const row = h(
      'tr',
      { 'data-vrf': v.name },
      h(
        'td',
        {},
        tableLink(v.name),
        v.configured || v.name === 'global' ? '' : h('span', { class: 'muted' }, ' (not configured)'),
      ),
      h('td', { class: 'mono' }, v.rd ?? '—'),
      h('td', { class: 'num', 'data-family': 'ipv4' }, v.routeCounts.ipv4),
      h('td', { class: 'num', 'data-family': 'ipv6' }, v.routeCounts.ipv6),
      h('td', { class: 'num', 'data-family': 'total' }, v.routeCounts.total),
      h('td', { title: v.lastChange ?? '' }, ago(v.lastChange)),
      h('td', {}, spark),
    );
    return { row, spark, v };
  });
  main().replaceChildren(
    h('h1', {}, 'Tables'),
    h(
      'p',
      { class: 'muted' },
      `Journal head ${data.journal.headSeq}, last event ${ago(data.journal.lastTime)}. Charts: route count over `,
      state.window === 'all' ? 'the whole journal' : `the last ${state.window}`,
      ' (dashed lines: config changes and daemon starts/stops).',
    ),
    h(
      'table',
      { id: 'tables' },
      thead('Table', 'RD', ['IPv4', 'num'], ['IPv6', 'num'], ['Total', 'num'], 'Last change', 'Route count'),
      h(
        'tbody',
        {},
        rows.map((r) => r.row),
      ),
    ),
  );
  for (const r of rows) countChart(`overview:${r.v.name}`, r.spark, r.v.routeCountSeries, { small: true });
}

/** The RIB list with its filter and pager, at `at` (a seq) or now. */
function ribPanel(vrf, { at } = {}) {
  const box = h('div', { class: 'rib' });
  const input = h('input', { placeholder: 'prefix or address', class: 'mono', name: 'prefix' });
  const match = h(
    'select',
    { name: 'match' },
    h('option', { value: 'EXACT' }, 'exact'),
    h('option', { value: 'LONGER' }, 'longer'),
    h('option', { value: 'SHORTER' }, 'shorter'),
    h('option', { value: 'ADDRESS' }, 'address lookup'),
  );
  const body = h('div');
  const cursors = [null];
  let page = 0;
  const load = async () => {
    let prefix = input.value.trim() || null;
    let m = match.value;
    if (prefix && m === 'ADDRESS') {
      // Address lookup: every prefix covering the address, longest last (gobgp's "global rib ADDR").
      if (!prefix.includes('/')) prefix += prefix.includes(':') ? '/128' : '/32';
      m = 'SHORTER';
    }
    if (prefix && !prefix.includes('/')) prefix += prefix.includes(':') ? '/128' : '/32';
    try {
      const d = await gql(
        `query($vrf: String!, $at: SeqOrTime, $prefix: String, $match: PrefixMatch, $after: String) {
          rib(vrf: $vrf, at: $at, prefix: $prefix, match: $match, first: 50, after: $after) {
            seq time totalCount pageInfo { hasNextPage endCursor }
            nodes { prefix interface address best discovered seq } } }`,
        { vrf, at: at ?? null, prefix, match: prefix ? m : null, after: cursors[page] },
      );
      const r = d.rib;
      const next = h('button', { disabled: !r.pageInfo.hasNextPage }, 'next ›');
      const prev = h('button', { disabled: page === 0 }, '‹ prev');
      next.addEventListener('click', () => {
        cursors[page + 1] = r.pageInfo.endCursor;
        page++;
        void load();
      });
      prev.addEventListener('click', () => {
        page--;
        void load();
      });
      body.replaceChildren(
        h(
          'table',
          { class: 'rib-table', 'data-seq': r.seq },
          thead('Prefix', 'Interface', 'Next hop', 'Best', 'Since'),
          h(
            'tbody',
            {},
            r.nodes.map((p) =>
              h(
                'tr',
                {},
                h('td', {}, prefixLink(vrf, p.prefix)),
                h('td', {}, p.interface),
                h('td', { class: 'mono' }, p.address),
                h('td', {}, p.best ? '*' : ''),
                h('td', { title: p.discovered }, `${shortTime(p.discovered)} (seq ${p.seq})`),
              ),
            ),
          ),
        ),
        h(
          'div',
          { class: 'pager' },
          prev,
          next,
          h('span', { class: 'muted' }, `${r.totalCount} paths at seq ${r.seq} — page ${page + 1}`),
        ),
      );
    } catch (err) {
      body.replaceChildren(h('p', { class: 'removed' }, explain(err)));
    }
  };
  const form = h('form', { class: 'filters' }, input, match, h('button', { type: 'submit' }, 'Filter'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    cursors.length = 1;
    page = 0;
    void load();
  });
  box.append(form, body);
  void load();
  return box;
}

async function pointDetail(vrf, point, prev, box) {
  box.replaceChildren(h('p', { class: 'muted' }, `Loading the RIB at seq ${point.seq}…`));
  try {
    const d = await gql(
      `query($vrf: String!, $from: SeqOrTime!) { diff(vrf: $vrf, from: $from, first: 200) {
        from to addedCount removedCount added { prefix interface address } removed { prefix interface address } } }`,
      { vrf, from: point.seq },
    );
    const diff = d.diff;
    const list = (paths, cls, sign) =>
      h(
        'ul',
        { class: cls },
        paths.map((p) =>
          h('li', {}, `${sign} `, prefixLink(vrf, p.prefix), ` via ${p.interface} (${p.address})`),
        ),
      );
    box.replaceChildren(
      h(
        'div',
        { class: 'grid2', id: 'point-detail', 'data-seq': point.seq },
        h(
          'div',
          {},
          h('h2', {}, `RIB at seq ${point.seq}`),
          h(
            'p',
            { class: 'muted' },
            `${point.total} paths (${point.ipv4} IPv4, ${point.ipv6} IPv6) at ${shortTime(point.time)}${point.exact ? '' : ' — resolution coarser than the step here'}`,
          ),
          ribPanel(vrf, { at: point.seq }),
        ),
        h(
          'div',
          {},
          h('h2', {}, `Diff: seq ${diff.from} → now (${diff.to})`),
          h(
            'p',
            {},
            h('span', { class: 'added' }, `+${diff.addedCount}`),
            ' ',
            h('span', { class: 'removed' }, `−${diff.removedCount}`),
          ),
          list(diff.added, 'added', '+'),
          list(diff.removed, 'removed', '−'),
        ),
      ),
      // What changed between the previous point and this one (the minute before the pager went off).
      prev
        ? changesPanel(
            vrf,
            prev.seq,
            point.seq,
            `Changes between ${shortTime(prev.time)} and ${shortTime(point.time)}`,
          )
        : '',
    );
  } catch (err) {
    box.replaceChildren(h('p', { class: 'removed' }, explain(err)));
  }
}

/** The VRF's route events in (afterSeq, toSeq], oldest first, a page at a time ("more" loads the next). */
function changesPanel(vrf, afterSeq, toSeq, title) {
  const box = h('div', { class: 'changes' });
  const tbody = h('tbody');
  const heading = h('h2', {}, title);
  const more = h('button', { hidden: true }, 'more');
  let shown = 0;
  let after = afterSeq;
  const load = async () => {
    more.hidden = true;
    try {
      const d = await gql(
        `query($after: Seq, $vrf: String) { events(after: $after, first: 200, filter: { vrf: $vrf }) {
          nodes { seq time type prefix interface reason } pageInfo { hasNextPage endCursor } } }`,
        { after, vrf },
      );
      const rows = d.events.nodes.filter((e) => Number(e.seq) <= Number(toSeq));
      for (const e of rows) {
        tbody.append(
          h(
            'tr',
            { 'data-seq': e.seq },
            h('td', { class: 'num' }, e.seq),
            h('td', {}, shortTime(e.time)),
            changeCell(e.type),
            h('td', {}, prefixLink(vrf, e.prefix)),
            h('td', {}, e.interface),
            h('td', {}, e.reason ?? ''),
          ),
        );
      }
      shown += rows.length;
      after = d.events.pageInfo.endCursor;
      const beyond = rows.length < d.events.nodes.length;
      more.hidden = !d.events.pageInfo.hasNextPage || beyond;
      heading.textContent = `${title} (${shown}${more.hidden ? '' : '+'})`;
    } catch (err) {
      box.append(h('p', { class: 'removed' }, explain(err)));
    }
  };
  more.addEventListener('click', () => void load());
  box.append(
    heading,
    h('table', {}, thead(['Seq', 'num'], 'Time', 'Change', 'Prefix', 'Interface', 'Reason'), tbody),
    h('div', { class: 'pager' }, more),
  );
  void load();
  return box;
}

async function tableView(vrf, params) {
  const points = Number(params.get('points') ?? 240);
  const d = await gql(
    `query($vrf: String!, $from: SeqOrTime, $points: Int) {
      vrf(name: $vrf) { name rd configured importRts exportRts interfaces routeCounts { ipv4 ipv6 total } lastChange }
      routeCounts(vrf: $vrf, from: $from, points: $points) { ${SERIES_FIELDS} } }`,
    { vrf, from: WINDOWS[state.window], points },
  );
  const v = d.vrf;
  const chartBox = h('div', { class: 'chart', id: 'table-chart' });
  const detail = h(
    'div',
    { id: 'detail' },
    h('p', { class: 'muted' }, 'Click a point of the chart to see the RIB then and the diff against now.'),
  );
  const changes = h('div', { id: 'changes' });
  main().replaceChildren(
    h('h1', {}, `Table ${v.name}`),
    h(
      'dl',
      { class: 'kv card' },
      h('dt', {}, 'RD'),
      h('dd', { class: 'mono' }, v.rd ?? '—'),
      h('dt', {}, 'Route targets'),
      h(
        'dd',
        { class: 'mono' },
        `import ${v.importRts.join(' ') || '—'}; export ${v.exportRts.join(' ') || '—'}`,
      ),
      h('dt', {}, 'Interfaces'),
      h('dd', {}, v.interfaces.join(', ') || '—'),
      h('dt', {}, 'Paths'),
      h('dd', {}, `${v.routeCounts.total} (${v.routeCounts.ipv4} IPv4, ${v.routeCounts.ipv6} IPv6)`),
      h('dt', {}, 'Last change'),
      h('dd', { title: v.lastChange ?? '' }, `${ago(v.lastChange)} (${shortTime(v.lastChange)})`),
    ),
    h('div', { class: 'card' }, chartBox),
    detail,
    changes,
    h('h2', {}, 'RIB now'),
    ribPanel(vrf),
  );
  countChart('table', chartBox, d.routeCounts, {
    onPick: (p, prev) => void pointDetail(vrf, p, prev, detail),
  });
  changes.append(
    changesPanel(vrf, d.routeCounts.fromSeq, d.routeCounts.toSeq, 'Changes in the window, oldest first'),
  );
}

/** Present/absent bands per interface from a prefix's history (oldest first). */
function timeline(entries, start, end) {
  const rows = new Map();
  for (const e of entries) {
    let r = rows.get(e.interface);
    if (!r) {
      r = { bands: [], since: start, present: false, why: 'not yet seen' };
      rows.set(e.interface, r);
    }
    const t = Date.parse(e.time);
    if (e.type === 'RouteDiscovered' && !r.present) {
      r.bands.push({ present: false, from: r.since, to: t, why: r.why });
      r.present = true;
      r.since = t;
      r.why = `discovered (seq ${e.seq}, ${e.address ?? ''})`;
    } else if (e.type === 'RouteVanished' && r.present) {
      r.bands.push({ present: true, from: r.since, to: t, why: r.why });
      r.present = false;
      r.since = t;
      r.why = `vanished: ${e.reason} (seq ${e.seq})`;
    }
  }
  for (const r of rows.values()) r.bands.push({ present: r.present, from: r.since, to: end, why: r.why });
  const width = Math.max(600, main().clientWidth - 40);
  const label = 130;
  const rowH = 26;
  const span = Math.max(1, end - start);
  const x = (t) => label + ((t - start) / span) * (width - label - 10);
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${rows.size * rowH + 24}`);
  svg.setAttribute('height', String(rows.size * rowH + 24));
  const add = (parent, tag, attrs, text) => {
    const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
    if (text !== undefined) el.textContent = text;
    parent.append(el);
    return el;
  };
  let y = 4;
  for (const [iface, r] of rows) {
    add(svg, 'text', { x: 0, y: y + 15 }, iface);
    for (const b of r.bands) {
      if (b.to < b.from) continue;
      const rect = add(svg, 'rect', {
        x: x(b.from),
        y,
        width: Math.max(2, x(b.to) - x(b.from)),
        height: rowH - 8,
        class: b.present ? 'present' : 'absent',
        'data-interface': iface,
      });
      add(
        rect,
        'title',
        {},
        `${iface}: ${b.present ? 'present' : 'absent'} ${new Date(b.from).toISOString()} → ${new Date(b.to).toISOString()} — ${b.why}`,
      );
    }
    y += rowH;
  }
  add(
    svg,
    'text',
    { x: label, y: y + 14, class: 'muted' },
    new Date(start).toISOString().replace(/\.\d+Z/, 'Z'),
  );
  add(svg, 'text', { x: width - 10, y: y + 14, 'text-anchor': 'end' }, 'now');
  return svg;
}

async function prefixView(vrf, prefix) {
  const d = await gql(
    `query($vrf: String!, $prefix: String!) { history(vrf: $vrf, prefix: $prefix, first: 1000) {
      flapCount lastChange secondsSinceLastChange totalCount hasMore
      entries { seq time type interface address reason }
      paths { interface address best } } }`,
    { vrf, prefix },
  );
  const hist = d.history;
  const end = Date.now();
  const windowFrom = WINDOWS[state.window];
  const first = hist.entries.length ? Date.parse(hist.entries[0].time) : end - 3600e3;
  const start = windowFrom
    ? Math.min(end - { '-1h': 3600e3, '-24h': 86400e3, '-7d': 604800e3 }[windowFrom], first)
    : first;
  main().replaceChildren(
    h('h1', {}, h('span', { class: 'mono' }, prefix), ' in ', tableLink(vrf)),
    h(
      'dl',
      { class: 'kv card' },
      h('dt', {}, 'Now'),
      h(
        'dd',
        {},
        hist.paths.length
          ? hist.paths.map((p) => `${p.interface} (${p.address})${p.best ? ' best' : ''}`).join(', ')
          : 'absent',
      ),
      h('dt', {}, 'Flaps'),
      h('dd', { id: 'flap-count' }, hist.flapCount),
      h('dt', {}, 'Last change'),
      h('dd', {}, hist.lastChange ? `${ago(hist.lastChange)} (${shortTime(hist.lastChange)})` : '—'),
      h('dt', {}, 'Events'),
      h('dd', {}, `${hist.totalCount}${hist.hasMore ? ' (the first 1000 drawn)' : ''}`),
    ),
    h('div', { class: 'card timeline', id: 'timeline' }, timeline(hist.entries, start, end)),
    h('h2', {}, 'History'),
    h(
      'table',
      {},
      thead(['Seq', 'num'], 'Time', 'Change', 'Interface', 'Address / reason'),
      h(
        'tbody',
        {},
        hist.entries
          .slice()
          .reverse()
          .map((e) =>
            h(
              'tr',
              {},
              h('td', { class: 'num' }, e.seq),
              h('td', {}, shortTime(e.time)),
              changeCell(e.type),
              h('td', {}, e.interface),
              h('td', { class: 'mono' }, e.address ?? e.reason ?? ''),
            ),
          ),
      ),
    ),
  );
}

/** Reads a GraphQL-over-SSE response: calls onNext with each `next` payload until the stream ends. */
async function readSse(res, onNext) {
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += value;
    let i;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const chunk = buf.slice(0, i);
      buf = buf.slice(i + 2);
      let event = 'message';
      let data = '';
      for (const line of chunk.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data += line.slice(5).trim();
      }
      if (event === 'complete') return;
      if (event === 'next' && data) onNext(JSON.parse(data));
    }
  }
}

/** The live feed; heartbeats every `heartbeat` s (#/live?heartbeat=2), stalled after three missed. */
async function liveView(params) {
  const HEARTBEAT_S = Math.min(60, Math.max(0.1, Number(params.get('heartbeat') ?? 2) || 2));
  const status = h('span', { class: 'badge', id: 'live-status' }, 'connecting');
  const info = h('span', { class: 'muted', id: 'live-info' });
  const tbody = h('tbody');
  main().replaceChildren(
    h('h1', {}, 'Live route changes ', status),
    h('p', {}, info),
    h(
      'table',
      { class: 'feed', id: 'feed' },
      thead(['Seq', 'num'], 'Time', 'Change', 'Table', 'Prefix', 'Interface', 'Next hop / reason'),
      tbody,
    ),
  );
  const live = window.ribjournal.live;
  const setStatus = (s, text) => {
    live.status = s;
    status.className = `badge ${s}`;
    status.textContent = text;
  };
  const head = await gql('{ journal { headSeq } }');
  let after = head.journal.headSeq;
  let lastMessage = Date.now();
  let stopped = false;
  let controller;
  const watchdog = setInterval(() => {
    const quiet = (Date.now() - lastMessage) / 1000;
    if (quiet > HEARTBEAT_S * 3 && live.status === 'live') {
      setStatus('stalled', `stalled: nothing for ${Math.round(quiet)} s`);
      controller?.abort(); // reconnect, resuming after the last seq seen
    }
  }, 500);
  state.leave = () => {
    stopped = true;
    clearInterval(watchdog);
    controller?.abort();
  };
  // Cuts the stream as a network failure would (tests use it to check the resume).
  live.drop = () => controller?.abort();
  let attempt = 0;
  while (!stopped) {
    controller = new AbortController();
    try {
      const res = await fetch('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...authHeaders() },
        body: JSON.stringify({
          query: `subscription($after: Seq, $hb: Float) { routeChanges(after: $after, heartbeatSeconds: $hb) {
            throughSeq headSeq heartbeat changes { seq time type vrf reason path { prefix interface address } } } }`,
          variables: { after, hb: HEARTBEAT_S },
        }),
        signal: controller.signal,
      });
      if (!res.ok) throw new ApiError(`HTTP ${res.status}`, res.status === 401 ? 'UNAUTHENTICATED' : 'HTTP');
      lastMessage = Date.now();
      setStatus('live', 'live');
      attempt = 0;
      await readSse(res, (msg) => {
        lastMessage = Date.now();
        if (msg.errors?.length) throw new ApiError(msg.errors[0].message, msg.errors[0].extensions?.code);
        const batch = msg.data.routeChanges;
        if (live.status !== 'live') setStatus('live', 'live');
        for (const c of batch.changes) {
          live.received++;
          tbody.prepend(
            h(
              'tr',
              { class: 'new', 'data-seq': c.seq },
              h('td', { class: 'num' }, c.seq),
              h('td', {}, shortTime(c.time)),
              changeCell(c.type),
              h('td', {}, tableLink(c.vrf)),
              h('td', {}, prefixLink(c.vrf, c.path.prefix)),
              h('td', {}, c.path.interface),
              h('td', { class: 'mono' }, c.reason ?? c.path.address),
            ),
          );
        }
        while (tbody.childElementCount > 500) tbody.lastElementChild.remove();
        after = batch.throughSeq;
        info.textContent = `through seq ${batch.throughSeq}, journal head ${batch.headSeq}; ${live.received} changes since this page opened`;
      });
      if (!stopped) setStatus('down', 'stream ended; reconnecting');
    } catch (err) {
      if (stopped) return;
      if (live.status !== 'stalled') setStatus('down', `disconnected (${explain(err)}); reconnecting`);
    }
    attempt++;
    await new Promise((r) => setTimeout(r, Math.min(5000, 250 * 2 ** Math.min(attempt, 5))));
  }
}

/**
 * A selection of a type's argument-free fields, from introspection, so the page shows what this API
 * has (retention horizon, damaged ranges, …): scalars, and objects (or lists of them) one level down.
 */
async function selectionOf(typeName, depth = 2) {
  const d = await gql(
    `query($t: String!) { __type(name: $t) { fields { name args { name } type { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }`,
    { t: typeName },
  );
  const base = (t) => (t.ofType ? base(t.ofType) : t);
  const out = [];
  for (const f of d.__type?.fields ?? []) {
    if (f.args.length > 0) continue;
    const b = base(f.type);
    if (b.kind === 'SCALAR' || b.kind === 'ENUM') out.push(f.name);
    else if (b.kind === 'OBJECT' && depth > 1) {
      const sub = await selectionOf(b.name, depth - 1);
      if (sub.length > 0) out.push(`${f.name} { ${sub.join(' ')} }`);
    }
  }
  return out;
}

async function journalView() {
  const order = ['headSeq', 'events', 'firstTime', 'lastTime', 'sizeOnDisk', 'location'];
  const rank = (f) => (order.includes(f) ? order.indexOf(f) : order.length);
  const selection = (await selectionOf('JournalStats')).sort((a, b) => rank(a) - rank(b));
  const fields = selection.map((f) => f.split(' ')[0]);
  const d = await gql(
    `{ journal { ${selection.join(' ')} } routeCounts(vrf: "global", points: 400) { ${SERIES_FIELDS} } }`,
  );
  const j = d.journal;
  const known = {
    headSeq: 'Head seq',
    events: 'Events',
    firstTime: 'First event',
    lastTime: 'Last event',
    sizeOnDisk: 'Size on disk',
    location: 'Location',
  };
  const show = (k, v) => {
    if (k === 'sizeOnDisk') return bytes(v);
    if (Array.isArray(v)) return v.length ? v.map((x) => show('', x)).join('; ') : 'none';
    if (v === null || v === undefined) return '—';
    if (typeof v === 'object')
      return Object.entries(v)
        .map(([a, b]) => `${a} ${show(a, b)}`)
        .join(', ');
    return String(v);
  };
  const chartBox = h('div', { class: 'chart', id: 'journal-chart' });
  const markers = d.routeCounts.markers;
  main().replaceChildren(
    h('h1', {}, 'Journal'),
    h(
      'dl',
      { class: 'kv card', id: 'journal-stats' },
      fields.flatMap((k) => [h('dt', {}, known[k] ?? k), h('dd', { 'data-field': k }, show(k, j[k]))]),
    ),
    h('h2', {}, 'Global table over the whole journal, with config changes and daemon starts/stops'),
    h('div', { class: 'card' }, chartBox),
    h('h2', {}, `Markers (${markers.length})`),
    h(
      'table',
      { id: 'markers' },
      thead(['Seq', 'num'], 'Time', 'Event', 'Detail'),
      h(
        'tbody',
        {},
        markers
          .slice()
          .reverse()
          .map((m) =>
            h(
              'tr',
              {},
              h('td', { class: 'num' }, m.seq),
              h('td', {}, shortTime(m.time)),
              h('td', { style: `color:${MARKER_COLORS[m.kind] ?? 'inherit'}` }, m.kind),
              h('td', {}, m.detail),
            ),
          ),
      ),
    ),
  );
  countChart('journal', chartBox, d.routeCounts);
}

// ---------------------------------------------------------------- routing

async function route() {
  state.leave();
  state.leave = () => {};
  window.ribjournal.charts = {};
  const [path, query] = location.hash.replace(/^#/, '').split('?');
  const params = new URLSearchParams(query ?? '');
  // A link may fix the window: #/table/red?window=7d
  if (params.get('window') in WINDOWS) state.window = params.get('window');
  const parts = (path || '/').split('/').filter(Boolean).map(decodeURIComponent);
  for (const a of document.querySelectorAll('[data-nav]'))
    a.classList.toggle('active', a.dataset.nav === (parts[0] ?? 'overview'));
  for (const b of document.querySelectorAll('[data-window]'))
    b.classList.toggle('active', b.dataset.window === state.window);
  banner(null);
  document.body.dataset.view = 'loading';
  try {
    if (parts.length === 0) await overview();
    else if (parts[0] === 'table' && parts[1]) await tableView(parts[1], params);
    else if (parts[0] === 'prefix' && parts[1] && parts[2])
      await prefixView(parts[1], parts.slice(2).join('/'));
    else if (parts[0] === 'live') {
      document.body.dataset.view = 'live';
      await liveView(params);
      return;
    } else if (parts[0] === 'journal') await journalView();
    else main().replaceChildren(h('p', {}, 'No such page. ', h('a', { href: '#/' }, 'Overview')));
    document.body.dataset.view = parts[0] ?? 'overview';
  } catch (err) {
    banner(explain(err));
    main().replaceChildren(h('p', { class: 'muted' }, 'Could not load this page.'));
    document.body.dataset.view = 'error';
  }
}

document.getElementById('token').value = sessionStorage.getItem(TOKEN_KEY) ?? '';
document.getElementById('token-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const v = document.getElementById('token').value.trim();
  if (v) sessionStorage.setItem(TOKEN_KEY, v);
  else sessionStorage.removeItem(TOKEN_KEY);
  void route();
});
for (const b of document.querySelectorAll('[data-window]')) {
  b.addEventListener('click', () => {
    state.window = b.dataset.window;
    sessionStorage.setItem(WINDOW_KEY, state.window);
    void route();
  });
}
window.addEventListener('hashchange', () => void route());
void route();
