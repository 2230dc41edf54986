// wahook serve's page: a form that starts runs, the deliveries live from /v1/events, and one
// delivery's every byte. Everything a receiver or a payload sent is hostile: it only ever reaches
// the page as text (textContent, text nodes), never as markup, and the server's CSP allows no inline
// script.
"use strict";

const $ = (id) => document.getElementById(id);
const el = (tag, text, cls) => {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
};

const state = {
  catalogue: null,
  rows: new Map(),   // seq -> {row, tr}
  runs: new Map(),   // id -> run
  selected: 0,
  detail: null,
  clockSkew: 0,      // server clock minus the browser's, in ms
  oldest: 0,
  generation: 0,     // counts the resets, so that rows put in later know when the list was replaced
};
// Timings the browser test reads: how long applying the first update (its first screen of rows) and
// the last one took, and how long until the first update's whole list was in.
window.wahookStats = { firstRenderMs: -1, firstRenderAt: -1, wholeListMs: -1, lastUpdateMs: -1, updates: 0, rows: 0 };

// clock writes a time as 15:04:05.000, by hand: toLocaleTimeString costs a thousand rows dearly.
const two = (n) => (n < 10 ? "0" : "") + n;
const clock = (t) => {
  const d = new Date(t);
  const m = d.getMilliseconds();
  return two(d.getHours()) + ":" + two(d.getMinutes()) + ":" + two(d.getSeconds()) + "." + (m < 10 ? "00" : m < 100 ? "0" : "") + m;
};
const ms = (v) => (v ? (v < 1 ? (v * 1000).toFixed(0) + "µs" : v < 1000 ? v.toFixed(2) + "ms" : (v / 1000).toFixed(2) + "s") : "–");

async function api(method, path, body) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const resp = await fetch(path, init);
  const data = await resp.json().catch(() => ({}));
  if (!resp.ok) throw new Error(data.error || resp.status + " " + resp.statusText);
  return data;
}

// ---- the form ----

function setupForm(cat) {
  const prov = $("f-provider");
  for (const p of cat.providers) prov.append(new Option(p.name, p.name));
  for (const f of cat.mediaFaults) $("f-mediafault").append(new Option(f, f));
  for (const p of cat.providers) $("q-provider").append(new Option(p.name, p.name));
  const types = new Set(cat.providers.flatMap((p) => p.types));
  for (const t of [...types].sort()) $("q-type").append(new Option(t, t));

  const saved = JSON.parse(localStorage.getItem("wahook.form") || "{}");
  $("f-target").value = saved.target || "";
  if (saved.provider && cat.providers.some((p) => p.name === saved.provider)) prov.value = saved.provider;
  prov.addEventListener("change", () => { showTypes(); showMutations(); });
  $("f-alltypes").addEventListener("change", () => { showTypes(); showMutations(); });
  $("f-mutsearch").addEventListener("input", showMutations);
  $("f-mutation").addEventListener("change", describeMutation);
  $("send").addEventListener("submit", (ev) => { ev.preventDefault(); submit(); });
  showTypes();
  showMutations();
}

const provider = () => state.catalogue.providers.find((p) => p.name === $("f-provider").value);

function showTypes() {
  const list = $("f-typelist");
  list.replaceChildren();
  list.hidden = $("f-alltypes").checked;
  for (const t of provider().types) {
    const box = el("input");
    box.type = "checkbox";
    box.value = t;
    box.addEventListener("change", showMutations);
    const l = el("label");
    l.append(box, document.createTextNode(t));
    list.append(l);
  }
}

function chosenTypes() {
  if ($("f-alltypes").checked) return [];
  return [...$("f-typelist").querySelectorAll("input:checked")].map((b) => b.value);
}

function showMutations() {
  const sel = $("f-mutation");
  const keep = sel.value;
  const q = $("f-mutsearch").value.trim().toLowerCase();
  const types = chosenTypes();
  sel.replaceChildren(new Option("(none: valid payloads)", ""));
  for (const m of provider().mutations) {
    if (types.length && !m.types.some((t) => types.includes(t))) continue;
    if (q && !(m.id.toLowerCase().includes(q) || m.description.toLowerCase().includes(q))) continue;
    const o = new Option(m.id + " (" + m.expect + ")", m.id);
    o.title = m.description;
    sel.append(o);
  }
  sel.value = [...sel.options].some((o) => o.value === keep) ? keep : "";
  describeMutation();
}

function describeMutation() {
  const id = $("f-mutation").value;
  const m = provider().mutations.find((x) => x.id === id);
  $("f-mutdesc").textContent = m
    ? m.description + " · expect " + m.expect + " · schema " + m.schema + (m.pointer ? " · edits " + m.pointer : "") + " · types: " + m.types.join(", ")
    : provider().mutations.length + " mutations in the catalogue; search by id or description.";
}

function request() {
  const v = (id) => $(id).value.trim();
  const req = { wait: false, target: v("f-target"), provider: $("f-provider").value };
  const types = chosenTypes();
  if (types.length) req.types = types;
  if (v("f-mutation")) req.mutation = v("f-mutation");
  if (v("f-count")) req.count = Number(v("f-count"));
  if (v("f-seed")) req.seed = Number(v("f-seed"));
  if (v("f-authuser")) req.authUser = $("f-authuser").value;
  if (v("f-authtoken")) req.authToken = $("f-authtoken").value;
  if (v("f-appsecret")) req.appSecret = $("f-appsecret").value;
  const header = {};
  for (const line of $("f-headers").value.split("\n")) {
    if (!line.trim()) continue;
    const i = line.indexOf(":");
    if (i <= 0) throw new Error("extra header " + JSON.stringify(line) + ": want Name: value");
    const name = line.slice(0, i).trim();
    (header[name] = header[name] || []).push(line.slice(i + 1).trim());
  }
  if (Object.keys(header).length) req.header = header;
  if (v("f-retries")) req.retries = v("f-retries");
  if (v("f-timescale")) req.timeScale = Number(v("f-timescale"));
  if (v("f-duplicates")) req.duplicates = Number(v("f-duplicates"));
  if ($("f-shuffle").checked) req.shuffle = true;
  if (v("f-mediafault")) req.mediaFault = v("f-mediafault");
  return req;
}

async function submit() {
  const status = $("f-status");
  try {
    const req = request();
    localStorage.setItem("wahook.form", JSON.stringify({ target: req.target, provider: req.provider }));
    status.textContent = "starting…";
    const run = await api("POST", "/v1/send", req);
    status.textContent = "started " + run.run;
  } catch (e) {
    status.textContent = e.message;
  }
}

// ---- runs ----

function showRuns() {
  const list = $("runs");
  const runs = [...state.runs.values()].sort((a, b) => b.created.localeCompare(a.created)).slice(0, 12);
  list.replaceChildren();
  const q = $("q-run");
  const known = new Set([...q.options].map((o) => o.value));
  for (const r of [...state.runs.values()]) if (!known.has(r.id)) q.append(new Option(r.id, r.id));
  for (const r of runs) {
    const p = r.progress;
    const li = el("li");
    li.dataset.run = r.id;
    li.append(el("b", r.id), el("span", r.kind + " · " + r.state), el("span", p.acked + " acked, " + p.failed + " failed, " + p.cancelled + " cancelled" +
      (p.sending || p.waiting ? ", " + p.sending + " sending, " + p.waiting + " waiting" : "") + (p.payloads ? " of " + p.payloads : "")));
    if (r.interrupted) li.append(el("span", r.interrupted, "hint"));
    if (r.kind !== "timer" && (r.state === "queued" || r.state === "running")) {
      const b = el("button", "cancel");
      b.type = "button";
      b.addEventListener("click", () => api("DELETE", r.url).catch((e) => ($("f-status").textContent = e.message)));
      li.append(b);
    }
    list.append(li);
  }
}

// ---- the list ----

const columns = ["time", "run", "provider", "type", "outcome", "status", "mutation", "target", "id", "latency", "attempts", "error"];
const optional = new Set(["id", "target", "latency", "attempts", "error"]);

function cells(row) {
  const oc = row.state === "settled" ? row.outcome : row.state === "waiting" ? "retry due" : "sending";
  return [clock(row.time), row.run, row.provider, row.type, oc, row.status || "–", row.mutation || "", row.target,
    row.id + (row.duplicate ? " (dup)" : ""), ms(row.latencyMs), row.attempts, row.error || ""];
}

// rowTemplate is an empty row, cloned for each delivery: cheaper than making its cells one by one.
const rowTemplate = (() => {
  const tr = document.createElement("div");
  tr.setAttribute("role", "row");
  for (const c of columns) {
    const td = document.createElement("span");
    td.setAttribute("role", "cell");
    const cls = [optional.has(c) ? "opt" : "", c === "outcome" ? "oc" : "", c === "error" ? "err" : ""].join(" ").trim();
    if (cls) td.className = cls;
    td.append(document.createTextNode(""));
    tr.append(td);
  }
  return tr;
})();

function makeRow(row) {
  const tr = rowTemplate.cloneNode(true);
  tr.dataset.seq = row.seq;
  const cs = cells(row);
  let td = tr.firstChild;
  for (let i = 0; i < cs.length; i++, td = td.nextSibling) td.firstChild.data = String(cs[i]);
  return tr;
}

function paint(entry) {
  const { row, tr } = entry;
  tr.className = "row " + (row.state === "settled" ? row.outcome : row.state) + (row.seq === state.selected ? " sel" : "");
  tr.hidden = !matches(row);
}

function fillRow(entry) {
  const cs = cells(entry.row);
  let td = entry.tr.firstChild;
  for (let i = 0; i < cs.length; i++, td = td.nextSibling) {
    const text = String(cs[i]);
    if (td.firstChild.data !== text) td.firstChild.data = text;
  }
  paint(entry);
}

function matches(row) {
  const f = state.filter;
  if (f.run && row.run !== f.run) return false;
  if (f.provider && row.provider !== f.provider) return false;
  if (f.type && row.type !== f.type) return false;
  if (f.outcome === "underway") return row.state !== "settled";
  if (f.outcome && row.outcome !== f.outcome) return false;
  return true;
}

function readFilter() {
  state.filter = { run: $("q-run").value, provider: $("q-provider").value, type: $("q-type").value, outcome: $("q-outcome").value };
}

function refilter() {
  readFilter();
  for (const e of state.rows.values()) paint(e);
  count();
}

function count() {
  let shown = 0;
  for (const e of state.rows.values()) if (!e.tr.hidden) shown++;
  $("shown").textContent = shown + " of " + state.rows.size + " shown";
  $("empty").hidden = state.rows.size > 0;
  window.wahookStats.rows = state.rows.size;
}

// apply brings the list up to date with one update of /v1/events.
// t0 is when the event came, so that the timings count decoding it too.
function apply(u, t0) {
  const body = $("rows");
  state.clockSkew = Date.parse(u.now) - Date.now();
  if (u.reset) {
    state.generation++;
    state.rows.clear();
    state.runs.clear();
    body.replaceChildren();
  }
  for (const r of u.runs) state.runs.set(r.id, r);
  // Rows come newest first; new ones go on top, oldest of them first. Of a long list of new rows,
  // the first screenful goes in now and the rest in the frames after, below it, so that the page
  // shows the newest deliveries at once whatever the history holds.
  const fresh = document.createDocumentFragment();
  const later = [];
  let selectedChanged = false;
  for (const row of u.rows) {
    const e = state.rows.get(row.seq);
    if (e) {
      e.row = row;
      fillRow(e);
    } else if (u.reset && fresh.childNodes.length >= firstScreen) {
      later.push(row);
    } else {
      fresh.append(add(row).tr);
    }
    if (row.seq === state.selected) selectedChanged = true;
  }
  body.prepend(fresh);
  for (const [seq, e] of state.rows) {
    if (seq < u.oldest || u.oldest === 0) {
      e.tr.remove();
      state.rows.delete(seq);
    }
  }
  state.oldest = u.oldest;
  $("kept").textContent = state.rows.size + " of at most " + u.capacity + " deliveries kept";
  showRuns();
  count();
  void body.offsetHeight; // lay out now, so that the timing counts it
  const took = performance.now() - t0;
  const st = window.wahookStats;
  if (st.firstRenderMs < 0 && u.rows.length > 0) {
    st.firstRenderMs = took;
    st.firstRenderAt = performance.now();
  }
  st.lastUpdateMs = took;
  st.lastUpdateRows = u.rows.length;
  st.updates++;
  if (selectedChanged) openDetail(state.selected);
  if (later.length) {
    appendLater(later, t0);
  } else if (u.reset && st.wholeListMs < 0) {
    st.wholeListMs = took;
  }
}

// firstScreen is how many rows a first render puts in at once: more than any window shows.
const firstScreen = 100;

// add makes the entry of a row the list does not have yet.
function add(row) {
  const entry = { row, tr: makeRow(row) };
  paint(entry);
  state.rows.set(row.seq, entry);
  return entry;
}

// appendLater puts older rows under the list a chunk a frame, those a later update has brought or
// dropped since left out, and then times the first whole list from t0, when its update came.
function appendLater(rows, t0) {
  const body = $("rows");
  const generation = state.generation;
  const chunk = () => {
    if (state.generation !== generation) return; // the list was replaced meanwhile
    const part = document.createDocumentFragment();
    for (const row of rows.splice(0, 250)) {
      if (!state.rows.has(row.seq) && state.oldest !== 0 && row.seq >= state.oldest) part.append(add(row).tr);
    }
    body.append(part);
    count();
    if (rows.length) {
      requestAnimationFrame(chunk);
      return;
    }
    if (window.wahookStats.wholeListMs < 0) window.wahookStats.wholeListMs = performance.now() - t0;
  };
  requestAnimationFrame(chunk);
}

function connect() {
  const src = new EventSource("/v1/events");
  src.addEventListener("update", (ev) => {
    const t0 = performance.now();
    $("conn").textContent = "live";
    $("conn").className = "conn live";
    apply(JSON.parse(ev.data), t0);
  });
  src.addEventListener("error", () => {
    $("conn").textContent = "reconnecting…";
    $("conn").className = "conn down";
  });
}

// ---- a delivery ----

// pretty lays a JSON text out with two-space indents, keeping every token as written (numbers too
// long for a double, escapes, duplicate keys), and says where the value at JSON pointer ptr starts
// and ends in the result. It returns null for text that is not JSON.
function pretty(src, ptr) {
  let i = 0, out = "", depth = 0, from = -1, to = -1;
  const path = [];
  const esc = (k) => String(k).replace(/~/g, "~0").replace(/\//g, "~1");
  const ws = () => { while (i < src.length && " \t\r\n".includes(src[i])) i++; };
  const nl = () => "\n" + "  ".repeat(depth);
  const fail = () => { throw new SyntaxError("not JSON at " + i); };
  const str = () => {
    const start = i++;
    while (i < src.length && src[i] !== '"') i += src[i] === "\\" ? 2 : 1;
    if (i >= src.length) fail();
    i++;
    return src.slice(start, i);
  };
  const lit = /-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?|true|false|null/y;
  function value() {
    ws();
    if (depth > 100) fail();
    const here = path.length ? "/" + path.map(esc).join("/") : "";
    const mark = ptr !== null && here === ptr;
    if (mark) from = out.length;
    const c = src[i];
    if (c === "{" || c === "[") {
      const close = c === "{" ? "}" : "]";
      i++;
      out += c;
      depth++;
      ws();
      if (src[i] === close) {
        i++;
        depth--;
        out += close;
      } else {
        for (let n = 0; ; n++) {
          out += nl();
          if (c === "{") {
            ws();
            if (src[i] !== '"') fail();
            const k = str();
            out += k;
            ws();
            if (src[i] !== ":") fail();
            i++;
            out += ": ";
            path.push(JSON.parse(k));
          } else {
            path.push(n);
          }
          value();
          path.pop();
          ws();
          if (src[i] === ",") { i++; out += ","; continue; }
          if (src[i] === close) { i++; depth--; out += nl() + close; break; }
          fail();
        }
      }
    } else if (c === '"') {
      out += str();
    } else {
      lit.lastIndex = i;
      const m = lit.exec(src);
      if (!m) fail();
      out += m[0];
      i += m[0].length;
    }
    if (mark) to = out.length;
  }
  try {
    value();
    ws();
    if (i !== src.length) fail();
  } catch (e) {
    return null;
  }
  return { out, from, to };
}

// showBody puts a body in pre as text, JSON laid out, the value at ptr marked; a pointer the body
// lacks (a field the mutation removed) marks its parent and says so.
function showBody(pre, text, ptr) {
  pre.replaceChildren();
  let p = pretty(text, ptr || null);
  let note = "";
  if (p && ptr && p.from < 0) {
    const parent = ptr.slice(0, ptr.lastIndexOf("/"));
    note = ptr + " is not in the body (removed): its parent is marked";
    p = pretty(text, parent);
  }
  if (!p) {
    pre.append(document.createTextNode(text));
    return "not JSON: shown as sent";
  }
  if (p.from < 0) {
    pre.append(document.createTextNode(p.out));
  } else {
    pre.append(document.createTextNode(p.out.slice(0, p.from)), el("mark", p.out.slice(p.from, p.to)), document.createTextNode(p.out.slice(p.to)));
  }
  return note;
}

function headerTable(table, fields) {
  table.replaceChildren();
  for (const f of fields) {
    const tr = el("tr");
    tr.append(el("td", f.name), el("td", f.value, f.masked ? "masked" : ""));
    if (f.masked) tr.lastChild.title = "masked: " + f.masked;
    table.append(tr);
  }
}

function fact(dl, name, value) {
  if (value === undefined || value === null || value === "") return;
  dl.append(el("dt", name), el("dd", value));
}

async function openDetail(seq) {
  state.selected = seq;
  for (const e of state.rows.values()) paint(e);
  let d;
  try {
    d = await api("GET", "/v1/deliveries/" + seq);
  } catch (e) {
    $("d-note").textContent = e.message;
    return;
  }
  if (state.selected !== seq) return;
  state.detail = d;
  $("detail").hidden = false;
  document.querySelector("main").classList.add("open");
  const oc = d.state === "settled" ? d.outcome : d.state === "waiting" ? "waiting for a retry" : "sending";
  $("d-title").textContent = "#" + d.seq + " " + d.provider + " " + (d.type || "?") + " · " + oc;
  const facts = $("d-facts");
  facts.replaceChildren();
  fact(facts, "id", d.id);
  fact(facts, "run", d.run);
  fact(facts, "target", d.target);
  fact(facts, "mutation", d.mutation ? d.mutation + (d.pointer ? " at " + d.pointer : "") : "");
  fact(facts, "duplicate", d.duplicate ? "yes: the second copy" : "");
  if (d.cancelledRetryAt) fact(facts, "cancelled retry", "was due " + clock(d.cancelledRetryAt) + ": cancelled with the run");

  schedule(d);

  $("d-note").textContent = d.resendRefused || "";
  $("d-resend").disabled = !!d.resendRefused;
  $("d-curl").disabled = $("d-wahook").disabled = !d.commands;
  $("d-cmd-curl").textContent = d.commands ? d.commands.curl : "";
  $("d-cmd-wahook").textContent = d.commands ? d.commands.wahookSend : "";

  const req = d.request;
  headerTable($("d-reqheaders"), req ? [{ name: "", value: req.method + " " + req.url }, ...req.header] : []);
  const body = $("d-body");
  if (!req) body.textContent = "";
  else if (!req.bodyKept) body.textContent = "(" + req.bodyBytes + " bytes: too large for the history to keep)";
  else if (req.bodyBase64) body.textContent = "(" + req.bodyBytes + " bytes, not UTF-8; base64:)\n" + req.bodyBase64;
  else {
    const note = showBody(body, req.body, d.pointer);
    if (note) body.prepend(el("span", note + "\n", "hint"));
  }

  const list = $("d-attempts");
  list.replaceChildren();
  for (const a of d.attempts) {
    const div = el("div", null, "attempt");
    div.append(el("b", "attempt " + a.attempt), document.createTextNode(" " + clock(a.start) + " · " + (a.status || "no answer") + " · " + ms(a.latencyMs) +
      (a.class ? " · " + a.class : "")));
    if (a.error) div.append(el("p", a.error, "hint"));
    if (a.header) {
      const t = el("table", null, "headers");
      headerTable(t, Object.keys(a.header).sort().flatMap((n) => a.header[n].map((v) => ({ name: n, value: v }))));
      div.append(t);
    }
    const pre = el("pre", null, "body answer");
    pre.textContent = a.body + (a.bodyTruncated ? "\n(… the history keeps the first 1 KiB)" : "");
    div.append(pre);
    list.append(div);
  }
}

function schedule(d) {
  const ol = $("d-schedule");
  ol.replaceChildren();
  const delays = d.retryDelaysMs || [];
  d.attempts.forEach((a, i) => {
    ol.append(el("li", "sent " + clock(a.start) + (i > 0 ? " (retry " + i + ", after " + ms(delays[i - 1]) + ")" : "") + ": " + (a.status || a.class || "no answer")));
  });
  if (d.nextAttemptAt) {
    const li = el("li", null, "due");
    li.dataset.due = Date.parse(d.nextAttemptAt);
    ol.append(li);
    tick();
  }
  for (let i = Math.max(d.attempts.length, 1); i < delays.length; i++) {
    if (d.state === "settled") break;
    ol.append(el("li", "then after " + ms(delays[i]) + " more", "hint"));
  }
  if (!d.attempts.length && !d.nextAttemptAt) ol.append(el("li", d.state === "settled" ? "never sent" : "first attempt under way", "hint"));
}

// tick counts down to the next attempt of the open delivery.
function tick() {
  for (const li of document.querySelectorAll("[data-due]")) {
    const due = Number(li.dataset.due);
    const left = Math.max(0, due - (Date.now() + state.clockSkew));
    li.textContent = "next attempt due " + clock(due) + " (in " + (left / 1000).toFixed(1) + " s)";
  }
}

function closeDetail() {
  state.selected = 0;
  $("detail").hidden = true;
  document.querySelector("main").classList.remove("open");
  for (const e of state.rows.values()) paint(e);
}

async function copy(text, what) {
  try {
    await navigator.clipboard.writeText(text);
    $("d-note").textContent = what + " copied";
  } catch (e) {
    $("d-note").textContent = "the browser refused the clipboard: copy " + what + " from Commands below";
    document.querySelector("#detail details").open = true;
  }
}

async function resend() {
  const d = state.detail;
  try {
    const run = await api("POST", "/v1/deliveries/" + d.seq + "/resend");
    $("d-note").textContent = "resent as " + run.run;
  } catch (e) {
    $("d-note").textContent = e.message;
  }
}

async function main() {
  readFilter();
  for (const id of ["q-run", "q-provider", "q-type", "q-outcome"]) $(id).addEventListener("change", refilter);
  $("rows").addEventListener("click", (ev) => {
    const tr = ev.target.closest(".row");
    if (tr) openDetail(Number(tr.dataset.seq));
  });
  $("d-close").addEventListener("click", closeDetail);
  $("d-resend").addEventListener("click", resend);
  $("d-curl").addEventListener("click", () => copy(state.detail.commands.curl, "the curl command"));
  $("d-wahook").addEventListener("click", () => copy(state.detail.commands.wahookSend, "the wahook send command"));
  setInterval(tick, 200);
  connect(); // the list needs no catalogue: it need not wait for one
  try {
    state.catalogue = await api("GET", "/v1/catalogue");
    setupForm(state.catalogue);
  } catch (e) {
    $("f-status").textContent = "the catalogue: " + e.message;
  }
}

main();
