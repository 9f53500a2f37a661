/* app.js - the corridor dashboard: polls this node's /api/overview, its
 * /api/region (the peers' monitors, gathered by the node itself when it
 * has http_peers) and /api/corridors, and draws the corridor as an SVG
 * graph coloured by link health, the links table with sparklines, the
 * corridor figures with their times, the movements that are late (the
 * region's on a hub), incidents, and a journey search by MRN.
 * No framework and no external asset: plain DOM and SVG. */
'use strict';

(function () {
  const SVGNS = 'http://www.w3.org/2000/svg';
  const state = { config: null, overview: null, peers: {}, prev: {}, selected: null, timer: null };


  /* Language for people: French or English, from ?lang= or the browser.
   * Texts are written in English; FR holds their French (the same table
   * idea as the adapters' catalogue, adapters/i18n.c, kept to this page). */
  const FR = {
    "connecting…": "connexion…",
    "Find": "Chercher",
    "Corridor": "Corridor",
    "flowing": "fluide",
    "queue ageing or dead letters": "file qui vieillit ou lettres mortes",
    "queue too old": "file trop ancienne",
    "link down": "liaison coupée",
    "idle adapter": "adaptateur inactif",
    "Links": "Liaisons",
    "link": "liaison",
    "role": "rôle",
    "state": "état",
    "queue": "file",
    "oldest": "le plus ancien",
    "in flight": "en vol",
    "dead": "mortes",
    "last minutes": "dernières minutes",
    "last seen": "vu pour la dernière fois",
    "Corridors": "Corridors",
    "corridor": "corridor",
    "released": "mainlevées",
    "discharged": "apurés",
    "in transit": "en transit",
    "discrepancy": "divergence",
    "overdue / enquiry": "en retard / enquête",
    "release → arrival": "mainlevée → arrivée",
    "arrival → discharge": "arrivée → apurement",
    "border crossings": "passages de frontière",
    "by day": "par jour",
    "Adapters": "Adaptateurs",
    "adapter": "adaptateur",
    "program": "programme",
    "outbox": "à envoyer",
    "files": "fichiers",
    "rejected": "rejetés",
    "handed on": "transmis",
    "webhooks pending": "webhooks en attente",
    "failing": "en échec",
    "officer actions": "actions des agents",
    "Movements": "Mouvements",
    "Stuck: overdue, under enquiry, discrepancy": "Bloqués : en retard, en enquête, divergence",
    "time limit": "délai",
    "destination": "destination",
    "office": "bureau",
    "Incidents": "Incidents",
    "Journey of": "Trajet de",
    "close": "fermer",
    "read-only view": "vue en lecture seule",
    "never": "jamais",
    "none": "aucun",
    "idle": "inactif",
    "down": "coupée",
    "connected": "connecté",
    "no incidents since the node started": "aucun incident depuis le démarrage du nœud",
    "no movement released yet": "aucun mouvement en mainlevée pour l'instant",
    "searching…": "recherche…",
    "overdue": "en retard",
    "under enquiry": "en enquête",
    "region discrepancy": "divergences de la région",
    "movement tracking is not installed on this node": "le suivi des mouvements n'est pas installé sur ce nœud",
    "search an MRN, e.g. 24CI000000000001A5": "chercher un MRN, p. ex. 24CI000000000001A5",
    "messages waiting (database)": "messages en attente (base de données)",
    "age of the oldest waiting message": "âge du plus ancien message en attente",
    "live": "en direct",
    "database unreachable: queue numbers are stale": "base de données injoignable : les files ne sont plus à jour",
    "updated": "mis à jour",
    "cannot reach the node:": "nœud injoignable :"
    };
  const LANG = ((new URLSearchParams(location.search).get('lang') || navigator.language || 'en')
    .slice(0, 2).toLowerCase() === 'fr') ? 'fr' : 'en';
  function T(text) { return LANG === 'fr' && Object.prototype.hasOwnProperty.call(FR, text) ? FR[text] : text; }
  /* The page's own texts and titles, once at start. */
  function translatePage() {
    document.documentElement.lang = LANG;
    if (LANG === 'en') return;
    const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = w.nextNode(); n; n = w.nextNode()) {
      const t = n.nodeValue.trim();
      if (t && T(t) !== t) n.nodeValue = n.nodeValue.replace(t, T(t));
    }
    document.querySelectorAll('[title], [placeholder]').forEach(e => {
      ['title', 'placeholder'].forEach(a => { if (e.hasAttribute(a)) e.setAttribute(a, T(e.getAttribute(a))); });
    });
  }

  function $(sel) { return document.querySelector(sel); }
  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined && text !== null) e.textContent = T(String(text));
    return e;
  }
  function sv(tag, attrs, text) {
    const e = document.createElementNS(SVGNS, tag);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function age(s) {
    if (!s || s < 0) return '–';
    if (s < 60) return Math.round(s) + ' s';
    if (s < 3600) return Math.round(s / 60) + ' min';
    if (s < 172800) return (s / 3600).toFixed(1) + ' h';
    return Math.round(s / 86400) + ' d';
  }
  function ago(unix, now) { return unix ? (LANG === 'fr' ? 'il y a ' + age(now / 1000 - unix) : age(now / 1000 - unix) + ' ago') : T('never'); }
  function clock(unix) { return unix ? new Date(unix * 1000).toLocaleTimeString() : ''; }
  function fmtRate(r) { return r === null ? '–' : r < 10 ? r.toFixed(1) : String(Math.round(r)); }

  async function getJSON(url) {
    const r = await fetch(url, { cache: 'no-store' });
    if (!r.ok) {
      let msg = r.status + ' ' + r.statusText;
      try { msg = (await r.json()).error || msg; } catch (e) { /* not JSON */ }
      throw new Error(msg);
    }
    return r.json();
  }

  /* Rate per second over the last two history samples of series. */
  function lastRate(h, key) {
    if (!h || !h.t || h.t.length < 2) return null;
    const n = h.t.length, dt = (h.t[n - 1] - h.t[n - 2]) / 1000;
    if (dt <= 0) return null;
    return Math.max(0, (h[key][n - 1] - h[key][n - 2]) / dt);
  }

  function sparkline(h) {
    const w = 130, ht = 26, s = sv('svg', { class: 'spark', viewBox: `0 0 ${w} ${ht}`, preserveAspectRatio: 'none' });
    if (!h || !h.t || h.t.length < 2) return s;
    const n = h.t.length, rates = [];
    for (let i = 1; i < n; i++) {
      const dt = (h.t[i] - h.t[i - 1]) / 1000;
      rates.push(dt > 0 ? Math.max(0, (h.out[i] - h.out[i - 1]) / dt) : 0);
    }
    const maxR = Math.max(1, ...rates), maxD = Math.max(1, ...h.depth), bw = w / rates.length;
    rates.forEach((r, i) => {
      const bh = (r / maxR) * (ht - 2);
      if (bh > 0) s.appendChild(sv('rect', { class: 'rate', x: (i * bw).toFixed(1), y: (ht - bh).toFixed(1), width: Math.max(1, bw - 0.5).toFixed(1), height: bh.toFixed(1) }));
    });
    const pts = h.depth.map((d, i) => `${(i * w / (n - 1)).toFixed(1)},${(ht - 1 - (d / maxD) * (ht - 3)).toFixed(1)}`);
    s.appendChild(sv('polyline', { class: 'depth', points: pts.join(' ') }));
    s.appendChild(sv('title', {}, `queue ${h.depth[n - 1]} (max ${maxD}), out up to ${fmtRate(maxR)}/s`));
    return s;
  }

  /* ---- the corridor graph ------------------------------------------------ */

  function layout(self, links, remote) {
    const W = 800, H = 360, cx = W / 2, cy = H / 2;
    const pos = {};
    pos[self] = { x: cx, y: cy, kind: 'self' };
    const nodes = links.filter(l => l.role !== 'adapter'), adapters = links.filter(l => l.role === 'adapter');
    nodes.forEach((l, i) => {
      const a = nodes.length === 1 ? 0 : nodes.length === 2 ? (i ? 0 : Math.PI) : (2 * Math.PI * i) / nodes.length - Math.PI / 2;
      pos[l.name] = { x: cx + Math.cos(a) * 250, y: cy + Math.sin(a) * 120, kind: 'node', angle: a };
    });
    adapters.forEach((l, i) => {
      const a = Math.PI / 2 + (i - (adapters.length - 1) / 2) * 0.55;
      pos[l.name] = { x: cx + Math.cos(a) * 120, y: cy + Math.sin(a) * 125, kind: 'adapter' };
    });
    /* Peers' own links that reach nodes we do not peer with: put those
     * beyond the peer, away from us. */
    Object.keys(remote).forEach(peer => {
      const p = pos[peer];
      if (!p) return;
      const far = remote[peer].filter(l => !pos[l.name] && l.name !== self);
      far.forEach((l, i) => {
        const a = (p.angle || 0) + (i - (far.length - 1) / 2) * 0.6;
        pos[l.name] = { x: Math.min(W - 45, Math.max(45, p.x + Math.cos(a) * 120)), y: Math.min(H - 20, Math.max(20, p.y + Math.sin(a) * 110)),
          kind: l.role === 'adapter' ? 'adapter' : 'node' };
      });
    });
    return pos;
  }

  function drawGraph(ov) {
    const svg = $('#graph');
    const self = ov.config.node, links = ov.links;
    const remote = {};
    Object.keys(state.peers).forEach(k => { const p = state.peers[k]; if (p.links) remote[p.node] = p.links; });
    const pos = layout(self, links, remote);
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    const gEdges = sv('g'), gBadges = sv('g'), gNodes = sv('g');
    svg.append(gEdges, gBadges, gNodes);
    const drawn = {};
    function edge(a, b, l, remoteOf) {
      const key = [a, b].sort().join('|');
      if (drawn[key] && remoteOf) return;
      drawn[key] = true;
      const pa = pos[a], pb = pos[b];
      if (!pa || !pb) return;
      const path = sv('path', { class: `edge ${l.health}${remoteOf ? ' remote' : ''}`, d: `M${pa.x},${pa.y} L${pb.x},${pb.y}`,
        'data-link': remoteOf ? `${remoteOf}:${l.name}` : l.name, 'data-health': l.health });
      path.appendChild(sv('title', {}, `${a} → ${b}: ${l.health}, queue ${l.queue.depth}` + (l.queue.oldest_age_s ? `, oldest ${age(l.queue.oldest_age_s)}` : '')));
      if (!remoteOf) path.addEventListener('click', () => select(l.name));
      gEdges.appendChild(path);
      const mx = pa.x + (pb.x - pa.x) * 0.55, my = pa.y + (pb.y - pa.y) * 0.55;
      const label = String(l.queue.depth) + (l.queue.dead ? ` · ${l.queue.dead}✗` : '');
      const w = 8 + label.length * 7;
      const g = sv('g', { class: 'badge', 'data-link': remoteOf ? `${remoteOf}:${l.name}` : l.name });
      g.append(sv('rect', { class: 'badge-bg', x: mx - w / 2, y: my - 9, width: w, height: 17, rx: 8 }),
        sv('text', { class: 'badge', x: mx, y: my + 4 }, label));
      gBadges.appendChild(g);
    }
    links.forEach(l => edge(self, l.name, l, null));
    Object.keys(remote).forEach(peer => remote[peer].forEach(l => edge(peer, l.name, l, peer)));
    Object.keys(pos).forEach(name => {
      const p = pos[name], l = links.find(x => x.name === name);
      const down = l && (l.health === 'down');
      const g = sv('g', { class: `node ${p.kind}${down ? ' down' : ''}`, 'data-node': name, transform: `translate(${p.x},${p.y})` });
      if (p.kind === 'adapter') g.appendChild(sv('rect', { x: -42, y: -13, width: 84, height: 26, rx: 5 }));
      else g.appendChild(sv('circle', { r: p.kind === 'self' ? 30 : 25 }));
      g.appendChild(sv('text', { class: 'name' }, name.length > 12 ? name.slice(0, 11) + '…' : name));
      g.appendChild(sv('title', {}, name + (l ? ` (${l.role || 'hop'}, ${l.up ? 'up' : 'down'}, last seen ${ago(l.last_seen, ov.now)})` : name === self ? ' (this node)' : '')));
      if (l) g.addEventListener('click', () => select(name));
      gNodes.appendChild(g);
    });
    const np = Object.keys(remote).length;
    const lost = Object.keys(state.peers).filter(k => state.peers[k].error).map(k => state.peers[k].node || k);
    $('#corridor-note').textContent = `as seen from ${self}` + (np ? ` and ${np} peer monitor${np > 1 ? 's' : ''}` : '') +
      (lost.length ? ` · monitor unreachable: ${lost.join(', ')}` : '');
  }

  /* ---- tables -------------------------------------------------------------- */

  function select(name) {
    state.selected = state.selected === name ? null : name;
    document.querySelectorAll('#links tbody tr').forEach(tr => tr.classList.toggle('selected', tr.dataset.link === state.selected));
  }

  function drawLinks(ov) {
    const tb = $('#links tbody');
    const rows = [];
    ov.links.slice().sort((a, b) => (a.role === b.role ? a.name.localeCompare(b.name) : a.role === 'node' ? -1 : 1)).forEach(l => {
      const tr = el('tr', { 'data-link': l.name });
      if (l.name === state.selected) tr.classList.add('selected');
      const h = l.history;
      const pill = el('span', { class: `pill bg-${l.health}` }, l.up ? l.health : (l.health === 'idle' ? 'idle' : 'down'));
      const cells = [
        el('td', { class: 'name' }, l.name), el('td', {}, l.role || 'hop'), el('td', { class: 'health' }),
        el('td', { class: 'num depth' }, l.queue.depth), el('td', { class: 'num' }, age(l.queue.oldest_age_s)),
        el('td', { class: 'num' }, l.queue.inflight), el('td', { class: 'num dead' }, l.queue.dead),
        el('td', { class: 'num' }, fmtRate(lastRate(h, 'in'))), el('td', { class: 'num' }, fmtRate(lastRate(h, 'out'))),
        el('td', {}), el('td', { class: 'muted' }, ago(l.last_seen, ov.now)),
      ];
      cells[2].appendChild(pill);
      cells[9].appendChild(sparkline(h));
      cells.forEach(c => tr.appendChild(c));
      tr.addEventListener('click', () => select(l.name));
      rows.push(tr);
    });
    tb.replaceChildren(...rows);
  }

  function drawMovements(ov, late) {
    const chips = $('#states');
    const m = ov.movements;
    const rt = (state.region && state.region.totals) || { overdue: 0, under_enquiry: 0, discrepancy: 0 };
    const hasRegion = state.region && (state.region.peers || []).length > 0;
    if (!ov.lifecycle && !hasRegion) {
      chips.replaceChildren(el('span', { class: 'muted' }, 'movement tracking is not installed on this node'));
    } else {
      const od = (ov.lifecycle ? m.overdue : 0) + rt.overdue, ue = (ov.lifecycle ? m.under_enquiry : 0) + rt.under_enquiry;
      const list = [el('span', { class: 'chip' + (od ? ' hot' : ''), id: 'overdue' }, 'overdue'), el('span', { class: 'chip' + (ue ? ' hot' : ''), id: 'enquiry' }, 'under enquiry')];
      list[0].appendChild(el('b', {}, od));
      list[1].appendChild(el('b', {}, ue));
      if (hasRegion) {
        const d = el('span', { class: 'chip' + (rt.discrepancy ? ' hot' : ''), id: 'discrepancy' }, 'region discrepancy');
        d.appendChild(el('b', {}, rt.discrepancy));
        list.push(d);
      }
      ((ov.lifecycle && m.by_state) || []).forEach(s => {
        const c = el('span', { class: 'chip', title: s.role }, (s.role ? s.role.slice(0, 3).toLowerCase() + ' ' : '') + s.state);
        c.appendChild(el('b', {}, s.n));
        list.push(c);
      });
      chips.replaceChildren(...list);
    }
    const tb = $('#late tbody');
    const rows = (late || []).map(mv => {
      const tr = el('tr', { 'data-mrn': mv.mrn, 'data-state': mv.state });
      const a = el('a', { href: '#' + mv.mrn }, mv.mrn);
      a.addEventListener('click', ev => { ev.preventDefault(); search(mv.mrn); });
      const td = el('td');
      td.appendChild(a);
      tr.append(td, el('td', {}, mv.state), el('td', {}, mv.node || ''), el('td', {}, mv.office || mv.departure || ''), el('td', {}, mv.destination || ''), el('td', {}, mv.time_limit || ''));
      return tr;
    });
    if (!rows.length) {
      const tr = el('tr');
      tr.appendChild(el('td', { colspan: 6, class: 'muted' }, ov.lifecycle || hasRegion ? 'none' : '–'));
      rows.push(tr);
    }
    tb.replaceChildren(...rows);
  }

  function drawIncidents(ov) {
    const items = [];
    (ov.incidents || []).forEach(i => items.push({ at: i.at, kind: i.kind, text: (i.link && !i.text.includes(i.link) ? i.link + ': ' : '') + i.text, mrn: i.mrn }));
    ((ov.movements && ov.movements.incidents) || []).forEach(i => items.push({ at: Date.parse(i.recorded) / 1000, kind: 'inc', text: `${i.office} ${i.code}: ${i.description}`, mrn: i.mrn }));
    items.sort((a, b) => b.at - a.at);
    const lis = items.slice(0, 40).map(i => {
      const li = el('li');
      li.append(el('time', {}, clock(i.at)), document.createTextNode(' '), el('span', { class: 'kind ' + i.kind }, i.kind), document.createTextNode(' ' + i.text + ' '));
      if (i.mrn) {
        const a = el('a', { href: '#' + i.mrn }, i.mrn);
        a.addEventListener('click', ev => { ev.preventDefault(); search(i.mrn); });
        li.appendChild(a);
      }
      return li;
    });
    if (!lis.length) lis.push(el('li', { class: 'muted' }, 'no incidents since the node started'));
    $('#incidents').replaceChildren(...lis);
  }

  /* ---- adapters ------------------------------------------------------------ */

  function drawAdapters(list) {
    $('#adapters-panel').hidden = !list || !list.length;
    if (!list || !list.length) return;
    const n = v => (v === undefined || v === null ? '–' : Math.round(v));
    const rows = list.map(a => {
      const tr = el('tr', { 'data-adapter': a.name || a.url });
      if (!a.ok) {
        tr.append(el('td', { class: 'name' }, a.url), el('td', { colspan: 11, class: 'hot' }, 'unreachable: ' + a.error));
        return tr;
      }
      const conn = el('td', { class: 'health' });
      conn.appendChild(el('span', { class: 'pill bg-' + (a.node_connected ? 'ok' : 'down') }, a.node_connected ? 'connected' : 'down'));
      const hot = v => (v ? ' hot' : '');
      tr.append(el('td', { class: 'name' }, a.name || a.url), el('td', {}, a.program || ''), conn,
        el('td', { class: 'num outbox' }, n(a.outbox_depth)), el('td', { class: 'num' }, age(a.outbox_oldest_age_seconds)),
        el('td', { class: 'num' }, n(a.files_processed_total)), el('td', { class: 'num rejected' + hot(a.files_rejected) }, n(a.files_rejected)),
        el('td', { class: 'num' }, n(a.inbox_writes_total)), el('td', { class: 'num' }, n(a.webhooks_pending)),
        el('td', { class: 'num failing' + hot(a.webhooks_failing) }, n(a.webhooks_failing)), el('td', { class: 'num' }, a.webhooks_pending === undefined ? '–' : age(a.webhooks_oldest_age_seconds)),
        el('td', { class: 'num' }, n(a.officer_actions_total)));
      return tr;
    });
    $('#adapters tbody').replaceChildren(...rows);
  }

  /* ---- corridors ----------------------------------------------------------- */

  function dur(d, key) { return d && d.count ? age(d[key]) : '–'; }

  /* Released per day (bars) and the median release -> arrival (dots). */
  function dayChart(rows) {
    const w = 150, ht = 28, s = sv('svg', { class: 'spark days', viewBox: `0 0 ${w} ${ht}`, preserveAspectRatio: 'none' });
    rows = rows.slice(-30);
    if (!rows.length) return s;
    const maxN = Math.max(1, ...rows.map(r => r.released));
    const maxT = Math.max(1, ...rows.map(r => r.release_to_arrival.count ? r.release_to_arrival.p50_s : 0));
    const bw = w / rows.length;
    rows.forEach((r, i) => {
      const bh = (r.released / maxN) * (ht - 2);
      s.appendChild(sv('rect', { class: 'rate', x: (i * bw).toFixed(1), y: (ht - bh).toFixed(1), width: Math.max(1, bw - 1).toFixed(1), height: bh.toFixed(1) }));
      if (r.release_to_arrival.count)
        s.appendChild(sv('circle', { class: 'p50', cx: (i * bw + bw / 2).toFixed(1), cy: (ht - 2 - (r.release_to_arrival.p50_s / maxT) * (ht - 5)).toFixed(1), r: 1.8 }));
    });
    s.appendChild(sv('title', {}, rows.map(r => `${r.period_start}: ${r.released} released, median release→arrival ${dur(r.release_to_arrival, 'p50_s')}`).join('\n')));
    return s;
  }

  function drawCorridors(all, days) {
    const tb = $('#corridors tbody');
    if (!all) return;
    const byKey = {};
    ((days && days.corridors) || []).forEach(r => { const k = r.departure + '>' + r.destination; (byKey[k] = byKey[k] || []).push(r); });
    const rows = (all.corridors || []).map(c => {
      const key = c.departure + '>' + c.destination;
      const tr = el('tr', { 'data-corridor': key });
      const dwell = (c.border_dwell || []).map(b => `${b.office} ${age(b.p50_s)}`).join(' · ') || '–';
      const cells = [
        el('td', { class: 'name' }, `${c.departure} → ${c.destination}`), el('td', {}, c.node),
        el('td', { class: 'num released' }, c.released), el('td', { class: 'num discharged' }, c.discharged),
        el('td', { class: 'num transit' }, c.in_transit + c.arrived), el('td', { class: 'num discrepancy' + (c.discrepancy ? ' hot' : '') }, c.discrepancy),
        el('td', { class: 'num late' + (c.overdue + c.under_enquiry ? ' hot' : '') }, c.overdue + c.under_enquiry),
        el('td', { class: 'num ra', title: `p90 ${dur(c.release_to_arrival, 'p90_s')}, max ${dur(c.release_to_arrival, 'max_s')}` }, dur(c.release_to_arrival, 'p50_s')),
        el('td', { class: 'num ad' }, dur(c.arrival_to_discharge, 'p50_s')),
        el('td', { class: 'dwell' }, dwell), el('td', {}),
      ];
      cells[10].appendChild(dayChart((byKey[key] || []).slice().sort((a, b) => a.period_start.localeCompare(b.period_start))));
      cells.forEach(x => tr.appendChild(x));
      return tr;
    });
    if (!rows.length) {
      const tr = el('tr');
      tr.appendChild(el('td', { colspan: 11, class: 'muted' }, 'no movement released yet'));
      rows.push(tr);
    }
    tb.replaceChildren(...rows);
    const lost = (all.peers || []).filter(p => !p.ok).map(p => p.url);
    $('#corridors-note').textContent = (all.scope === 'region' ? 'the region: this node and its peers' : 'movements leaving this node\'s offices') +
      ' · times on the lifecycle clock' + (lost.length ? ` · unreachable: ${lost.join(', ')}` : '');
  }

  /* ---- journey ------------------------------------------------------------- */

  async function search(mrn) {
    mrn = (mrn || '').trim().toUpperCase();
    if (!/^[A-Z0-9]{1,35}$/.test(mrn)) return;
    $('#mrn').value = mrn;
    const panel = $('#journey-panel'), box = $('#journey');
    panel.hidden = false;
    $('#journey-mrn').textContent = mrn;
    box.replaceChildren(el('p', { class: 'muted' }, 'searching…'));
    try {
      const j = await getJSON('api/movements/' + encodeURIComponent(mrn));
      drawJourney(j);
    } catch (e) {
      box.replaceChildren(el('p', { class: 'muted' }, 'search failed: ' + e.message));
    }
  }

  function drawJourney(j) {
    const box = $('#journey');
    const parts = [];
    const offices = [];
    function addOffice(o) { if (o && !offices.includes(o)) offices.push(o); }
    (j.movement || []).forEach(m => { addOffice(m.departure); (m.transit || []).forEach(addOffice); addOffice(m.destination); });
    j.messages.forEach(m => { addOffice(m.sender); addOffice(m.recipient); });
    if (!offices.length && !j.events.length) {
      box.replaceChildren(el('p', { class: 'muted', id: 'journey-empty' }, 'this node has no message for ' + j.mrn));
      return;
    }
    const chain = el('div', { class: 'journey-offices' });
    offices.forEach((o, i) => {
      if (i) chain.appendChild(el('span', { class: 'arrow' }, '→'));
      chain.appendChild(el('span', { class: 'office', 'data-office': o }, o));
    });
    parts.push(chain);
    (j.movement || []).forEach(m => parts.push(el('p', {}, `${m.role || 'view'} at ${m.office || ''}: ${m.state}` + (m.time_limit ? `, time limit ${m.time_limit}` : ''))));
    const steps = el('ol', { class: 'steps' });
    const items = [];
    j.messages.forEach(m => items.push({ at: m.received, m }));
    j.events.forEach(e => items.push({ at: Date.parse(e.at) / 1000, e }));
    (j.incidents || []).forEach(i => items.push({ at: Date.parse(i.recorded) / 1000, i }));
    items.sort((a, b) => a.at - b.at);
    items.forEach(it => {
      const li = el('li', { class: 'step' });
      li.appendChild(el('time', {}, new Date(it.at * 1000).toLocaleString()));
      li.appendChild(document.createTextNode(' '));
      if (it.m) {
        const m = it.m;
        li.dataset.type = m.type;
        li.dataset.office = m.sender;
        li.append(el('span', { class: 'type' }, m.type), document.createTextNode(`${m.sender} → ${m.recipient}`));
        const via = (m.from_peer ? `from ${m.from_peer}` : 'made here') + (m.deliveries || []).map(d => ` · to ${d.next_hop}: ${d.state}${d.attempts > 1 ? ` (${d.attempts} tries)` : ''}${d.nak_code ? ` NAK ${d.nak_code}` : ''}`).join('');
        li.appendChild(el('span', { class: 'hop muted' }, via));
      } else if (it.e) {
        li.append(el('span', { class: 'type' }, it.e.msg_type || 'event'), document.createTextNode(`${it.e.from_state || '∅'} → ${it.e.to_state} at ${it.e.at_office || it.e.office || ''}`));
      } else {
        li.append(el('span', { class: 'type' }, 'INCIDENT'), document.createTextNode(`${it.i.office} ${it.i.code}: ${it.i.description}`));
      }
      steps.appendChild(li);
    });
    parts.push(steps);
    box.replaceChildren(...parts);
  }

  /* ---- polling ------------------------------------------------------------- */

  /* The peers' monitors, as this node gathered them (no token of theirs
   * ever reaches the browser). */
  async function pollRegion() {
    const r = await getJSON('api/region');
    state.region = r;
    state.peers = {};
    (r.peers || []).forEach(p => {
      state.peers[p.url] = p.ok ? { node: p.node, links: p.links || [] } : { node: p.node || p.url, links: null, error: p.error };
    });
  }

  async function pollCorridors() {
    const [all, days] = await Promise.all([getJSON('api/corridors'), getJSON('api/corridors?period=day')]);
    state.corridors = all;
    state.days = days;
  }

  let tick = 0;
  async function poll() {
    try {
      const ov = await getJSON('api/overview');
      state.config = ov.config;
      state.overview = ov;
      $('#node-name').textContent = ov.config.node;
      document.title = 'sigmat · ' + ov.config.node;
      if (tick % 3 === 0) {
        await pollRegion();
        if (ov.lifecycle) {
          const [a, b] = await Promise.all([getJSON('api/movements?overdue=1&limit=50'), getJSON('api/movements?state=UNDER_ENQUIRY,DISCREPANCY&limit=50')]);
          state.late = a.items.concat(b.items).map(m => Object.assign({ node: ov.config.node }, m));
        } else state.late = [];
        state.late = state.late.concat((state.region && state.region.late) || []);
        await pollCorridors();
      }
      tick++;
      drawGraph(ov);
      drawLinks(ov);
      drawMovements(ov, state.late);
      drawCorridors(state.corridors, state.days);
      drawAdapters(ov.adapters);
      drawIncidents(ov);
      const st = $('#status');
      st.classList.toggle('bad', !ov.db_up);
      st.textContent = T(ov.db_up ? 'live' : 'database unreachable: queue numbers are stale') + ' · ' + T('updated') + ' ' + new Date(ov.now).toLocaleTimeString();
    } catch (e) {
      const st = $('#status');
      st.classList.add('bad');
      st.textContent = T('cannot reach the node:') + ' ' + e.message;
    }
    const every = Math.max(1000, Math.min(5000, (state.config && state.config.sample_ms) || 2000));
    state.timer = setTimeout(poll, every);
  }

  $('#search').addEventListener('submit', ev => { ev.preventDefault(); search($('#mrn').value); });
  $('#journey-close').addEventListener('click', () => { $('#journey-panel').hidden = true; });
  translatePage();
  if (window.location.hash.length > 1) search(decodeURIComponent(window.location.hash.slice(1)));
  poll();
})();
