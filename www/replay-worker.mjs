// Module worker for the log replay: parses an access log and has the engine (pkg/) decide every line, off the
// page's main thread. It keeps the results so the page can ask for pages of lines by filter.
//
// Messages in:  {type: 'run', id, policy: "<policy JSON text>", source: string | Blob}
//               {type: 'page', id, filter: 'all' | 'sendcloud' | 'action:<a>' | 'reason:<r>', offset, limit}
// Messages out: {type: 'progress', id, done, total, lines}
//               {type: 'done', id, summary}
//               {type: 'page', id, rows, total, offset}
//               {type: 'error', id, message}

import { loadEngine } from './engine.mjs';
import { parseLogLine, truncate } from './logparse.mjs';

const ACTIONS = ['allow', 'deny', 'pass'];
const UNPARSED_LISTED = 1000;

let store = null;

self.onmessage = async (e) => {
  const msg = e.data;
  try {
    if (msg.type === 'run') await run(msg);
    else if (msg.type === 'page') page(msg);
  } catch (err) {
    self.postMessage({ type: 'error', id: msg.id, message: String(err?.message ?? err) });
  }
};

function interned(table, map, s) {
  let i = map.get(s);
  if (i === undefined) {
    i = table.length;
    table.push(s);
    map.set(s, i);
  }
  return i;
}

async function run({ id, policy: policyText, source }) {
  const t0 = performance.now();
  const engine = await loadEngine();
  const policy = engine.compilePolicy(policyText);
  let shown = policy.show();
  if (typeof shown === 'string') shown = JSON.parse(shown);
  // Which decisions are "Sendcloud traffic": the partners that come from the sendcloud preset, and their claims.
  const sendcloudIds = new Set();
  const claims = new Set(['sendcloud']);
  for (const p of shown?.partners || []) {
    if (p.preset === 'sendcloud' || p.provenance?.preset === 'sendcloud') {
      sendcloudIds.add(p.id);
      for (const c of p.claims || []) if (c) claims.add(String(c).toLowerCase());
    }
  }
  const claimList = [...claims];

  const text = typeof source === 'string' ? source : await source.text();
  const total = text.length;
  const s = {
    text, lineNo: [], start: [], end: [], action: [], reason: [], rule: [], sendcloud: [],
    reasons: [], reasonIdx: new Map(), rules: [null], ruleIdx: new Map([[null, 0]]),
  };
  const unparsedList = [];
  let unparsed = 0;
  let lines = 0;
  let pos = 0;
  let n = 0;
  let nextReport = performance.now() + 40;
  while (pos < total) {
    let end = text.indexOf('\n', pos);
    if (end === -1) end = total;
    n++;
    let lineEnd = end;
    if (lineEnd > pos && text.charCodeAt(lineEnd - 1) === 13) lineEnd--;
    const lineStart = pos;
    pos = end + 1;
    if (lineEnd === lineStart) continue;
    const line = text.slice(lineStart, lineEnd);
    if (line.trim() === '') continue;
    lines++;
    const parsed = parseLogLine(line);
    let d = null;
    let error = parsed.ok ? null : parsed.error;
    if (parsed.ok) {
      try {
        d = policy.decide(parsed.request);
      } catch (err) {
        error = `the engine did not take it: ${err?.message ?? err}`;
      }
    }
    if (!d) {
      unparsed++;
      if (unparsedList.length < UNPARSED_LISTED) unparsedList.push({ n, error, text: truncate(line, 240) });
    } else {
      const ua = parsed.ua ? parsed.ua.toLowerCase() : '';
      const isSc = sendcloudIds.has(d.rule) || (ua !== '' && claimList.some((c) => ua.includes(c)));
      s.lineNo.push(n);
      s.start.push(lineStart);
      s.end.push(lineEnd);
      s.action.push(ACTIONS.indexOf(d.action));
      s.reason.push(interned(s.reasons, s.reasonIdx, d.reason));
      s.rule.push(interned(s.rules, s.ruleIdx, d.rule ?? null));
      s.sendcloud.push(isSc ? 1 : 0);
    }
    if ((lines & 1023) === 0) {
      const now = performance.now();
      if (now >= nextReport) {
        nextReport = now + 40;
        self.postMessage({ type: 'progress', id, done: pos, total, lines });
      }
    }
  }
  policy.free?.();
  store = s;

  const actions = { allow: 0, deny: 0, pass: 0 };
  const groups = new Map();
  let sendcloudNotAllowed = 0;
  for (let i = 0; i < s.lineNo.length; i++) {
    const a = ACTIONS[s.action[i]];
    actions[a]++;
    if (s.sendcloud[i] && a !== 'allow') sendcloudNotAllowed++;
    const key = `${s.action[i]}|${s.reason[i]}|${s.rule[i]}`;
    const g = groups.get(key);
    if (g) g.count++;
    else groups.set(key, { action: a, reason: s.reasons[s.reason[i]], rule: s.rules[s.rule[i]], count: 1 });
  }
  const summary = {
    lines, decided: s.lineNo.length, unparsed, unparsedList, actions, sendcloudNotAllowed,
    groups: [...groups.values()].sort((x, y) => y.count - x.count || x.reason.localeCompare(y.reason)),
    ms: performance.now() - t0,
  };
  self.postMessage({ type: 'progress', id, done: total, total, lines });
  self.postMessage({ type: 'done', id, summary });
}

function matches(s, i, filter) {
  if (filter === 'all') return true;
  if (filter === 'sendcloud') return s.sendcloud[i] === 1 && s.action[i] !== 0;
  if (filter.startsWith('action:')) return ACTIONS[s.action[i]] === filter.slice(7);
  if (filter.startsWith('reason:')) return s.reasons[s.reason[i]] === filter.slice(7);
  return false;
}

function page({ id, filter, offset, limit }) {
  const s = store;
  if (!s) return;
  const rows = [];
  let total = 0;
  for (let i = 0; i < s.lineNo.length; i++) {
    if (!matches(s, i, filter)) continue;
    if (total >= offset && rows.length < limit) {
      const p = parseLogLine(s.text.slice(s.start[i], s.end[i]));
      rows.push({
        n: s.lineNo[i],
        remote: p.request.remote_addr,
        method: p.request.method,
        uri: p.request.uri,
        ua: p.ua,
        xff: p.xff,
        action: ACTIONS[s.action[i]],
        reason: s.reasons[s.reason[i]],
        rule: s.rules[s.rule[i]],
      });
    }
    total++;
  }
  self.postMessage({ type: 'page', id, rows, total, offset });
}
