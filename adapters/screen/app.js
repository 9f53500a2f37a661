// app.js - the officer screen of sigmat-asycuda and sigmat-generic:
// movements expected at the officer's office, a movement's history, forms
// for the officer's verbs. Talks to the adapter's API (/v1/...) with the
// officer's token; the two adapters' APIs differ in their field names, so
// the few calls go through `backend` below. Every text comes from the
// catalogue (French by default, English, Portuguese), and the API is asked
// for its errors in the same language.
'use strict';

const T = {
  fr: {
    title: 'Poste de douane', office: 'Bureau', token: "Jeton de l'agent", connect: 'Afficher',
    search: 'Rechercher un MRN', find: 'Chercher', expected: 'Attendus à mon bureau',
    mrn: 'MRN', state: 'État', from: 'Départ', plate: 'Véhicule', seals: 'Scellés',
    limit: 'Délai', upstream: 'En amont', movement: 'Mouvement', history: 'Historique',
    action: 'Action', crossing: 'Passage de frontière', arrival: 'Arrivée',
    control: 'Résultat du contrôle', incident: 'Incident', 'enquiry-answer': "Réponse à l'enquête",
    location: 'Lieu des marchandises', result: 'Résultat', A1: 'A1 – conforme',
    A2: 'A2 – considéré conforme', B1: 'B1 – divergences', seals_intact: 'Scellés intacts',
    yes: 'oui', no: 'non', discrepancies: 'Divergences',
    seals_found: 'Scellés constatés (comparés aux scellés actuels)', type: 'Type', SB: 'Scellés rompus',
    TS: 'Transbordement', AC: 'Accident', RD: "Déviation de l'itinéraire", OT: 'Autre',
    new_seals: 'Nouveaux scellés (séparés par des espaces)',
    new_means: 'Nouveau véhicule (immatriculation)',
    new_nationality: "Pays d'immatriculation (2 lettres)", answer: 'Réponse',
    AR: 'Marchandises arrivées', NP: 'Non présentées', UN: 'Inconnu ici', text: 'Texte',
    record: 'Enregistrer', destination: 'Destination', transit: 'Transit', role: 'Rôle',
    none: 'Aucun mouvement attendu.', loading: 'Chargement…', done: 'Enregistré : {type} envoyé.',
    replayed: 'Déjà enregistré (même demande).', need_login: "Indiquez le bureau et le jeton.",
    notfound: 'Mouvement inconnu ici.', neterr: 'Adaptateur injoignable : {e}',
    ANTICIPATED: 'attendu', OVERDUE: 'en retard', UNDER_ENQUIRY: 'en enquête', CROSSED: 'passé',
    ARRIVED: 'arrivé', CONTROLLED: 'contrôlé', DISCREPANCY: 'divergences', DISCHARGED: 'apuré',
    CANCELLED: 'annulé', RECOVERY: 'recouvrement', EN_ROUTE: 'en route', RELEASED: 'mainlevée',
    REGISTERED: 'enregistré', RECORD_REQUESTED: 'dossier demandé',
    DEPARTURE: 'départ', TRANSIT: 'transit', DESTINATION: 'destination',
  },
  en: {
    title: 'Customs post', office: 'Office', token: "Officer's token", connect: 'Show',
    search: 'Search an MRN', find: 'Search', expected: 'Expected at my office',
    mrn: 'MRN', state: 'State', from: 'Departure', plate: 'Vehicle', seals: 'Seals',
    limit: 'Time limit', upstream: 'Upstream', movement: 'Movement', history: 'History',
    action: 'Action', crossing: 'Frontier crossing', arrival: 'Arrival',
    control: 'Control results', incident: 'Incident', 'enquiry-answer': 'Enquiry answer',
    location: 'Where the goods are', result: 'Result', A1: 'A1 – satisfactory',
    A2: 'A2 – considered satisfactory', B1: 'B1 – discrepancies', seals_intact: 'Seals intact',
    yes: 'yes', no: 'no', discrepancies: 'Discrepancies',
    seals_found: 'Seals found (compared with the current seals)', type: 'Type', SB: 'Seals broken',
    TS: 'Transhipment', AC: 'Accident', RD: 'Deviation from the itinerary', OT: 'Other',
    new_seals: 'New seals (separated by spaces)', new_means: 'New vehicle (registration)',
    new_nationality: 'Country of registration (2 letters)', answer: 'Answer',
    AR: 'Goods arrived', NP: 'Not presented', UN: 'Unknown here', text: 'Text',
    record: 'Record', destination: 'Destination', transit: 'Transit', role: 'Role',
    none: 'No movement expected.', loading: 'Loading…', done: 'Recorded: {type} sent.',
    replayed: 'Already recorded (same request).', need_login: 'Give the office and the token.',
    notfound: 'Movement unknown here.', neterr: 'Adapter unreachable: {e}',
    ANTICIPATED: 'expected', OVERDUE: 'overdue', UNDER_ENQUIRY: 'under enquiry', CROSSED: 'crossed',
    ARRIVED: 'arrived', CONTROLLED: 'controlled', DISCREPANCY: 'discrepancy',
    DISCHARGED: 'discharged', CANCELLED: 'cancelled', RECOVERY: 'recovery', EN_ROUTE: 'en route',
    RELEASED: 'released', REGISTERED: 'registered', RECORD_REQUESTED: 'record requested',
    DEPARTURE: 'departure', TRANSIT: 'transit', DESTINATION: 'destination',
  },
  pt: {
    title: 'Posto aduaneiro', office: 'Estância', token: 'Código do funcionário', connect: 'Mostrar',
    search: 'Procurar um MRN', find: 'Procurar', expected: 'Esperados na minha estância',
    mrn: 'MRN', state: 'Estado', from: 'Partida', plate: 'Veículo', seals: 'Selos',
    limit: 'Prazo', upstream: 'A montante', movement: 'Movimento', history: 'Histórico',
    action: 'Ação', crossing: 'Passagem de fronteira', arrival: 'Chegada',
    control: 'Resultado do controlo', incident: 'Incidente', 'enquiry-answer': 'Resposta ao inquérito',
    location: 'Local das mercadorias', result: 'Resultado', A1: 'A1 – conforme',
    A2: 'A2 – considerado conforme', B1: 'B1 – divergências', seals_intact: 'Selos intactos',
    yes: 'sim', no: 'não', discrepancies: 'Divergências',
    seals_found: 'Selos encontrados (comparados com os selos atuais)', type: 'Tipo', SB: 'Selos quebrados',
    TS: 'Transbordo', AC: 'Acidente', RD: 'Desvio do itinerário', OT: 'Outro',
    new_seals: 'Novos selos (separados por espaços)', new_means: 'Novo veículo (matrícula)',
    new_nationality: 'País de matrícula (2 letras)', answer: 'Resposta',
    AR: 'Mercadorias chegaram', NP: 'Não apresentadas', UN: 'Desconhecido aqui', text: 'Texto',
    record: 'Registar', destination: 'Destino', transit: 'Trânsito', role: 'Papel',
    none: 'Nenhum movimento esperado.', loading: 'A carregar…', done: 'Registado: {type} enviado.',
    replayed: 'Já registado (mesmo pedido).', need_login: 'Indique a estância e o código.',
    notfound: 'Movimento desconhecido aqui.', neterr: 'Adaptador inacessível: {e}',
    ANTICIPATED: 'esperado', OVERDUE: 'atrasado', UNDER_ENQUIRY: 'em inquérito', CROSSED: 'passou',
    ARRIVED: 'chegou', CONTROLLED: 'controlado', DISCREPANCY: 'divergências',
    DISCHARGED: 'apurado', CANCELLED: 'anulado', RECOVERY: 'cobrança', EN_ROUTE: 'em trânsito',
    RELEASED: 'autorizado', REGISTERED: 'registado', RECORD_REQUESTED: 'processo pedido',
    DEPARTURE: 'partida', TRANSIT: 'trânsito', DESTINATION: 'destino',
  },
};

// French unless the officer chose, or the browser prefers English or Portuguese.
function pickLang() {
  const saved = localStorage.getItem('sigmat.lang');
  if (saved && T[saved]) return saved;
  for (const l of navigator.languages || [navigator.language || 'fr']) {
    const k = String(l).slice(0, 2).toLowerCase();
    if (k === 'fr') return 'fr';
    if (T[k]) return k;
  }
  return 'fr';
}
let lang = pickLang();
const t = (k, v) => String((T[lang][k] !== undefined ? T[lang][k] : T.fr[k]) || k)
  .replace(/\{(\w+)\}/g, (_, n) => (v && v[n] !== undefined ? v[n] : ''));
const $ = s => document.querySelector(s);

function applyLang() {
  document.documentElement.lang = lang;
  document.querySelectorAll('[data-i18n]').forEach(e => { e.textContent = t(e.dataset.i18n); });
  document.querySelectorAll('#langs button').forEach(b =>
    b.setAttribute('aria-pressed', String(b.dataset.lang === lang)));
  document.title = 'sigmat – ' + t('title');
}

function say(text, ok) {
  const m = $('#message');
  m.textContent = text;
  m.className = ok ? 'ok' : 'err';
}

async function api(method, path, body) {
  const token = localStorage.getItem('sigmat.token') || '';
  const r = await fetch('/v1' + path, {
    method,
    headers: { 'Authorization': 'Bearer ' + token, 'Accept-Language': lang,
               'Content-Type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  let j = null;
  try { j = await r.json(); } catch (e) { j = null; }
  return { status: r.status, body: j };
}

// The adapter behind the page: sigmat-asycuda (snake_case callbacks) or
// sigmat-generic (WCO-DM names, office reference numbers), told apart by
// /v1/health. Each answers in the asycuda shape the page draws.
const asycuda = {
  expected: office => api('GET', '/offices/' + encodeURIComponent(office) + '/expected'),
  movement: mrn => api('GET', '/movements/' + encodeURIComponent(mrn)),
  post: (mrn, verb, body) => api('POST', '/movements/' + encodeURIComponent(mrn) + '/' + verb, body),
};
const idOf = o => ({ ID: o });
const generic = {
  view: v => ({
    mrn: v.DeclarationID, office: v.Office, role: v.Role, state: v.State,
    departure: v.DepartureCustomsOffice, destination: v.DestinationCustomsOffice,
    transit: v.TransitCustomsOffice, lrn: v.FunctionalReferenceID,
  }),
  async expected(o) {
    const r = await api('GET', '/offices/' + encodeURIComponent(o) + '/movements?state=expected');
    if (r.status === 200) r.body = { expected: (r.body.Movements || []).map(generic.view) };
    return generic.problem(r);
  },
  async movement(mrn) {
    const r = await api('GET', '/movements/' + encodeURIComponent(mrn));
    if (r.status === 200) {
      const views = (r.body.Views || []).map(generic.view);
      const first = views[0] || {};
      const messages = [];
      for (const v of r.body.Views || [])
        for (const h of v.History || [])
          messages.push({ created: h.At, type: h.Type, sender: h.Direction === 'out' ? v.Office : '',
            recipient: h.Direction === 'in' ? v.Office : '', status: h.NodeStatus || h.Direction });
      r.body = { mrn, departure: first.departure, destination: first.destination,
        transit: first.transit, views, messages };
    }
    return generic.problem(r);
  },
  async post(mrn, verb, b) {
    const o = idOf(b.office);
    const m = {
      crossing: { TransitCustomsOffice: o },
      arrival: { ArrivalCustomsOffice: o, GoodsLocation: { Name: b.location || b.office } },
      control: { ControlCustomsOffice: o, ControlResultCode: b.result,
        SealsIntactIndicator: b.seals_intact !== false, DiscrepanciesDescription: b.discrepancies },
      incident: { IncidentCustomsOffice: o, IncidentTypeCode: b.type, IncidentText: b.text,
        NewSeal: (b.new_seals || []).map((id, i) => ({ SequenceNumeric: i + 1, ID: id })),
        NewBorderTransportMeans: b.new_means
          ? { ID: b.new_means, RegistrationNationalityCode: b.new_nationality, ModeCode: '3' } : undefined },
      'enquiry-answer': { ResponseCode: b.answer, ResponseText: b.text || t('AR') },
    }[verb];
    const r = await api('POST', '/movements/' + encodeURIComponent(mrn) + '/' + verb, m);
    if (r.status === 202) { r.status = 200; r.body = { message: { type: r.body.Type } }; }
    return generic.problem(r);
  },
  problem(r) {
    if (r.status >= 400 && r.body && r.body.title)
      r.body = { error: r.body.title + (r.body.detail ? ' : ' + r.body.detail : '') };
    return r;
  },
};
let backend = asycuda;

async function detect() {
  try {
    const r = await fetch('/v1/health');
    const j = await r.json();
    backend = j && j.node !== undefined ? generic : asycuda;
  } catch (e) { backend = asycuda; }
}

const cell = (tr, text, cls) => {
  const td = document.createElement('td');
  td.textContent = text == null ? '' : text;
  if (cls) td.className = cls;
  tr.appendChild(td);
  return td;
};

async function loadExpected() {
  const office = localStorage.getItem('sigmat.office');
  if (!office || !localStorage.getItem('sigmat.token')) { say(t('need_login'), false); return; }
  let r;
  try { r = await backend.expected(office); }
  catch (e) { say(t('neterr', { e: e.message }), false); return; }
  if (r.status !== 200) { say(r.body && r.body.error ? r.body.error : 'HTTP ' + r.status, false); return; }
  const tb = $('#expected tbody');
  tb.textContent = '';
  const list = r.body.expected || [];
  $('#count').textContent = '(' + list.length + ')';
  if (!list.length) {
    const tr = document.createElement('tr');
    cell(tr, t('none')).colSpan = 7;
    tb.appendChild(tr);
  }
  for (const v of list) {
    const tr = document.createElement('tr');
    tr.dataset.mrn = v.mrn;
    cell(tr, v.mrn);
    cell(tr, t(v.state), 'state state-' + v.state);
    cell(tr, v.departure);
    cell(tr, v.means);
    cell(tr, (v.seals || []).join(' '));
    cell(tr, v.time_limit);
    cell(tr, v.upstream, 'upstream');
    tr.addEventListener('click', () => show(v.mrn));
    tb.appendChild(tr);
  }
}

let current = null;

async function show(mrn) {
  let r;
  try { r = await backend.movement(mrn); }
  catch (e) { say(t('neterr', { e: e.message }), false); return; }
  if (r.status !== 200) { say(r.body && r.body.error ? r.body.error : t('notfound'), false); return; }
  current = r.body;
  $('#detail').hidden = false;
  $('#d-mrn').textContent = mrn;
  const dl = $('#d-info');
  dl.textContent = '';
  const row = (k, v) => {
    const dt = document.createElement('dt');
    dt.textContent = t(k);
    const dd = document.createElement('dd');
    dd.textContent = v == null ? '' : v;
    dl.append(dt, dd);
  };
  row('from', current.departure);
  row('destination', current.destination);
  row('transit', (current.transit || []).join(' '));
  row('limit', current.time_limit);
  for (const v of current.views || []) {
    row('office', v.office + (v.office_name ? ' – ' + v.office_name : '') + ' (' + t(v.role) + ')');
    row('state', t(v.state));
    row('plate', v.means);
    row('seals', (v.seals || []).join(' '));
    if (v.upstream) row('upstream', v.upstream);
  }
  const office = (localStorage.getItem('sigmat.office') || '').toUpperCase();
  const mine = (current.views || []).find(v => v.office === office || v.office_code === office);
  $('#f-seals-found').value = mine ? (mine.seals || []).join(' ') : '';
  const ul = $('#d-history');
  ul.textContent = '';
  for (const m of current.messages || []) {
    const li = document.createElement('li');
    li.textContent = (m.created || '') + ' ' + m.type + ' ' + (m.sender || '') + ' → ' +
      (m.recipient || '') + ' (' + m.status + ')' + (m.nak_reason ? ': ' + m.nak_reason : '');
    ul.appendChild(li);
  }
  $('#detail').scrollIntoView({ block: 'nearest' });
}

function showFields() {
  const a = $('#action').value;
  document.querySelectorAll('#act .f').forEach(d => {
    d.hidden = !d.classList.contains('f-' + a);
  });
}

function newId() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  return 'r-' + Date.now() + '-' + Math.random().toString(16).slice(2);
}

async function record(ev) {
  ev.preventDefault();
  if (!current) return;
  const a = $('#action').value;
  const f = ev.target;
  const body = { request_id: newId(), office: localStorage.getItem('sigmat.office') };
  const val = n => (f.elements[n] ? f.elements[n].value.trim() : '');
  if (a === 'arrival' && val('location')) body.location = val('location');
  if (a === 'control') {
    body.result = val('result');
    // The seals found are compared with the current ones by the adapter.
    if (val('seals_found')) body.seals_found = val('seals_found').split(/[\s,;]+/).filter(Boolean);
    else body.seals_intact = val('seals_intact') === 'true';
    if (val('discrepancies')) body.discrepancies = val('discrepancies');
  }
  if (a === 'incident') {
    body.type = val('type');
    body.text = val('text');
    if (val('new_seals')) body.new_seals = val('new_seals').split(/[\s,;]+/).filter(Boolean);
    if (val('new_means')) { body.new_means = val('new_means'); body.new_nationality = val('new_nationality').toUpperCase(); }
  }
  if (a === 'enquiry-answer') {
    body.answer = val('answer');
    if (val('text')) body.text = val('text');
  }
  let r;
  try { r = await backend.post(current.mrn, a, body); }
  catch (e) { say(t('neterr', { e: e.message }), false); return; }
  if (r.status === 200) {
    say(r.body.replayed ? t('replayed') : t('done', { type: r.body.message.type }), true);
    await show(current.mrn);
    await loadExpected();
  } else {
    say(r.body && r.body.error ? r.body.error : 'HTTP ' + r.status, false);
  }
}

document.addEventListener('DOMContentLoaded', async () => {
  applyLang();
  await detect();
  $('#office').value = localStorage.getItem('sigmat.office') || '';
  document.querySelectorAll('#langs button').forEach(b => b.addEventListener('click', () => {
    lang = b.dataset.lang;
    localStorage.setItem('sigmat.lang', lang);
    applyLang();
    loadExpected();
    if (current) show(current.mrn);
  }));
  $('#login').addEventListener('submit', ev => {
    ev.preventDefault();
    localStorage.setItem('sigmat.office', $('#office').value.trim());
    localStorage.setItem('sigmat.token', $('#token').value.trim());
    $('#token').value = '';
    loadExpected();
  });
  $('#search').addEventListener('submit', ev => {
    ev.preventDefault();
    const m = $('#mrn').value.trim().toUpperCase();
    if (m) show(m);
  });
  $('#action').addEventListener('change', showFields);
  $('#act').addEventListener('submit', record);
  showFields();
  if (localStorage.getItem('sigmat.token')) loadExpected();
});
