/* yrdopt workbench: hand-written vanilla JavaScript (no libraries, nothing loaded from the network).
 * The page holds a draft of the instance as JSON; edits are validated by the server with the same
 * schema as instance files; Solve queues a background job and polls its progress; every solve is a
 * scenario on disk, shown on an SVG map drawn from the region boundaries the package ships. */
"use strict";

const S = {
  boot: null, draft: null, draftSource: "opened instance", scenarios: [], current: null, view: null, baseView: null,
  fullView: null, period: null,
  panelKey: null, region: null, job: null, problems: [], validateTimer: null, placementSeg: null, cmp: null,
  explained: {}, // "scenario@period" -> the last "why here?" job answered about it (its question and answer)
  priced: {}, // "scenario@period" -> the last "what each limit costs" job asked about it (running or ended)
  fieldErrors: {}, // path -> {text, message}: what the page itself refuses before the server sees it
};
const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));
const SVGNS = "http://www.w3.org/2000/svg";

function el(tag, attrs = {}, ...children) {
  const e = tag.startsWith("svg:") ? document.createElementNS(SVGNS, tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (k === "style") e.style.cssText = v; // CSSOM: allowed by the page's Content-Security-Policy
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c.nodeType ? c : document.createTextNode(String(c)));
  return e;
}

function fmt(v, digits = 4) {
  if (v === null || v === undefined || Number.isNaN(v)) return "–";
  if (typeof v === "boolean") return v ? "yes" : "no";
  if (typeof v !== "number") return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e7)) return v.toExponential(2);
  return v.toLocaleString("en-US", { maximumSignificantDigits: Math.max(digits, Math.ceil(Math.log10(a + 1)) + 2) });
}
// an amount in its unit (activity), in decimals: 0.0004139, not 4.14e-4
const amount = (v) => (v === null || v === undefined || Number.isNaN(v) ? "–"
  : v.toLocaleString("en-US", { maximumSignificantDigits: 4 }));
// a cost that adds up as printed (the objective's terms and total): two decimals, round-off as 0.00
const money = (v) => (v === null || v === undefined || Number.isNaN(v) ? "–"
  : (Math.abs(v) < 1e-6 ? 0 : v).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 }));
// a figure and its "%" never part across lines (a no-break space)
// a count with its noun in agreement, as words.counted (Python) says it: "1 segment", "0 segments"
const counted = (n, one, many) => `${n} ${n === 1 ? one : (many === undefined ? one + "s" : many)}`;
const pct = (v) => (v === null || v === undefined ? "–" : (100 * v).toFixed(1) + "\u00a0%");
// a gap is a percentage everywhere (a small one keeps two significant digits: 0.0095 %, not 0.0 %)
// (below 1e-9 it is round-off of a proven optimum: 0.0 %, not 1.4e-14 %)
const gapPct = (v) => (v === null || v === undefined ? "–" : Math.abs(v) < 1e-9 ? pct(0) : Math.abs(v) < 1e-3 ? (100 * v).toPrecision(2) + "\u00a0%" : pct(v));
// the planner's words for ids and keys, from the server (app/wording.py: one mapping)
const termWords = (k) => (S.boot && S.boot.term_words[k]) || String(k).replace(/_/g, " ");
const regionName = (id) => (S.boot && S.boot.region_names[id]) || id;
// a segment ("chain/segment") by its chain's and its own names (schema.segment_names); the id stays the value
const segmentName = (key) => (S.boot && S.boot.segment_names && S.boot.segment_names[key]) || key;
const resourceUnit = (k) => (S.boot && S.boot.resource_units[k]) || "";
const withUnit = (k) => (resourceUnit(k) ? `${k} (${resourceUnit(k)})` : k);
// a status in words (summary.json's status_text), short: its first clause ("optimal", "interrupted by the user")
const statusWords = (text, status) => (text ? text.split(/: | \(/)[0] : status || "");
// a status's gap, said after it ("<sep>0.42 %"): none where there is none, nor for a layout the checker
// rejected ("not_verified": the solver's gap is of a layout that breaks a limit, no solve result to trust)
const gapSaid = (status, gap, sep = ", gap\u00a0") => (status === "not_verified" || gap === null || gap === undefined ? "" : sep + gapPct(gap));

async function api(method, path, body) {
  const opts = { method, headers: { "X-Yrdopt": "1" }, credentials: "same-origin" };
  if (body !== undefined) { opts.body = JSON.stringify(body); opts.headers["Content-Type"] = "application/json"; }
  const r = await fetch("/api/" + path, opts);
  const j = await r.json();
  if (!r.ok) { const e = new Error(j.error || r.statusText); e.status = r.status; e.problems = j.problems || []; throw e; }
  return j;
}

/* --------------------------------------------------------------------- numbers typed */
// Every number field of the page is a text field read here. A browser's number input hides what
// was typed: "5e", "--3" and "1e400" read as blank (which meant "unlimited" or "the default") and
// "1,5" as 15. Here a typo is an error beside its field, never a silent value.
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
function parseNumber(text) {
  const t = String(text ?? "").trim();
  if (t === "") return { value: null };
  if (!NUMBER.test(t)) return { error: t.includes(",") ? "not a number (decimals take a point: 1.5)" : "not a number" };
  const v = Number(t);
  return Number.isFinite(v) ? { value: v } : { error: "not a number (too large)" };
}

// The numeric fields of a job's form, [key, selector, label, {required}] each: {key: value} (blank:
// null, the server's default), or the fields refused, marked beside them ("Label: not a number").
function formNumbers(fields) {
  const values = {}, errors = [];
  for (const [key, sel, label, { required = false } = {}] of fields) {
    const error = formFieldError($(sel), required);
    if (error) errors.push(`${label}: ${error}`); else values[key] = parseNumber($(sel).value).value;
  }
  return errors.length ? { errors } : { values };
}
function formFieldError(input, required = input.dataset.required === "1") {
  const r = parseNumber(input.value);
  const error = r.error || (required && r.value === null ? "a number is needed" : null);
  const next = input.nextElementSibling;
  if (next && next.classList.contains("form-error")) next.remove();
  input.classList.toggle("invalid-form", !!error);
  if (error) input.insertAdjacentElement("afterend", el("span", { class: "field-error form-error", text: error }));
  return error;
}
function refuse(box, errors) {
  box.replaceChildren(el("p", { class: "bad", text: "Not started: " + errors.join("; ") + "." }));
}

/* ------------------------------------------------------------------------------ tabs */
function tabs(navId, prefix) {
  $$("#" + navId + " button[data-tab]").forEach((b) => b.addEventListener("click", () => showTab(navId, prefix, b.dataset.tab)));
}
function showTab(navId, prefix, name) {
  $$("#" + navId + " button[data-tab]").forEach((x) => x.classList.toggle("active", x.dataset.tab === name));
  const sections = navId === "side-tabs" ? ["whatif", "scenarios"] : ["summary", "region", "changes", "compare", "why", "limits", "alternatives"];
  sections.forEach((s) => $("#" + prefix + s).classList.toggle("active", s === name));
}

/* ----------------------------------------------------------------------------- schema */
function resolve(schema) {
  if (!schema) return {};
  if (schema.$ref) return resolve(S.boot.schema.$defs[schema.$ref.split("/").pop()]);
  if (schema.anyOf) {
    const nonNull = schema.anyOf.filter((s) => s.type !== "null");
    if (nonNull.length === 1) return { ...resolve(nonNull[0]), nullable: true, default: schema.default, description: schema.description, title: schema.title };
  }
  return schema;
}
const defs = (name) => S.boot.schema.$defs[name];
function pathString(path) {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : (out ? "." : "") + p;
  return out;
}
function getAt(obj, path) { return path.reduce((o, k) => (o === undefined || o === null ? undefined : o[k]), obj); }
function setAt(obj, path, value) {
  let o = obj;
  for (let i = 0; i < path.length - 1; i++) {
    if (o[path[i]] === undefined || o[path[i]] === null) o[path[i]] = typeof path[i + 1] === "number" ? [] : {};
    o = o[path[i]];
  }
  const last = path[path.length - 1];
  if (value === undefined) { if (Array.isArray(o)) o.splice(last, 1); else delete o[last]; } else o[last] = value;
}
function defaultFor(schema) {
  const s = resolve(schema);
  if (s.default !== undefined) return JSON.parse(JSON.stringify(s.default));
  if (s.enum) return s.enum[0];
  if (s.const !== undefined) return s.const;
  switch (s.type) {
    case "number": case "integer": return 0;
    case "boolean": return false;
    case "string": return "";
    case "array": return [];
    case "object": {
      const o = {};
      for (const k of s.required || []) o[k] = defaultFor(s.properties[k]);
      return o;
    }
  }
  return null;
}

// an enclave park without a name of its own by its host's and partner's, as schema.park_names says it
// ("park in Jiangsu co-built with Shanghai"; "…, no. 2" where two unnamed parks share both)
function parkName(parks, i) {
  const unnamed = (p) => !(p && typeof p.name === "string" && p.name.trim());
  const said = (p) => (unnamed(p) ? `park in ${regionName(p && p.host) || "…"} co-built with ${regionName(p && p.partner) || "…"}` : p.name.trim());
  const name = said(parks[i]);
  if (parks.filter((p) => said(p) === name).length < 2) return name;
  return `${name}, no. ${parks.slice(0, i + 1).filter((p) => unnamed(p) && said(p) === name).length}`;
}

/* A form for any part of the instance, generated from its JSON Schema: new fields of the schema
 * (province guarantees, parks, change budgets, ...) appear here without page changes. */
function genericField(path, schema, label, { exclude = [] } = {}) {
  const s = resolve(schema);
  const value = getAt(S.draft, path);
  const ps = pathString(path);
  const title = label || s.title || String(path[path.length - 1]);
  const help = s.description ? el("span", { class: "muted small", text: " " + s.description }) : null;
  const changed = () => { onDraftChanged(); };
  if (s.type === "object" && s.properties) {
    // an object's own description is a paragraph (shown once, not per list item); its fields say enough
    const fs = el("fieldset", { "data-path": ps }, el("legend", { text: title, title: s.description || "" }));
    for (const [k, sub] of Object.entries(s.properties)) {
      // provenance and prose are not what-if material; file references are the server's business
      if (exclude.includes(k) || k === "sources" || k === "description" || k.endsWith("_csv")) continue;
      fs.append(genericField([...path, k], sub));
    }
    return fs;
  }
  if (s.type === "object") { // a dict: key -> value
    const box = el("fieldset", { "data-path": ps }, el("legend", { text: title }), help);
    const obj = value || {};
    const valSchema = resolve(s.additionalProperties || { type: "number" });
    for (const k of Object.keys(obj)) {
      const row = el("div", { class: "kv" }, el("code", { text: k }));
      row.append(scalarInput([...path, k], valSchema, obj[k], { blank: valSchema.nullable ? "null" : "remove" }));
      row.append(el("button", { type: "button", text: "×", title: "remove", onclick: () => { setAt(S.draft, [...path, k], undefined); renderEditor(); changed(); } }));
      box.append(row);
    }
    const keyIn = el("input", { type: "text", placeholder: "key", class: "new-key" });
    box.append(el("div", { class: "kv" }, keyIn, el("button", { type: "button", text: "add", onclick: () => {
      if (!keyIn.value) return;
      if (!getAt(S.draft, path)) setAt(S.draft, path, {});
      setAt(S.draft, [...path, keyIn.value], defaultFor(valSchema)); renderEditor(); changed();
    } })));
    return box;
  }
  if (s.type === "array") {
    const box = el("fieldset", { "data-path": ps }, el("legend", { text: title }), help);
    (value || []).forEach((x, i) => {
      // an item by its name or description where it has one (a park: its name; a guarantee: "Anhui hosts R&D
      // in at least one chain")
      const said = (k) => x && typeof x === "object" && typeof x[k] === "string" && x[k].trim();
      const named = said("name") || (ps === "enclaves" ? parkName(value, i) : said("description"));
      // a kind of a guarantee's list by the word for one ("kind 1", not "Kinds 1")
      const one = /\.kinds$/.test(ps) ? "kind" : title;
      const item = el("div", { class: "item" }, genericField([...path, i], s.items, named || `${one} ${i + 1}`));
      item.append(el("button", { type: "button", text: "remove", onclick: () => { setAt(S.draft, [...path, i], undefined); renderEditor(); changed(); } }));
      box.append(item);
    });
    box.append(el("button", { type: "button", text: "add", onclick: () => {
      if (!getAt(S.draft, path)) setAt(S.draft, path, []);
      getAt(S.draft, path).push(defaultFor(s.items)); renderEditor(); changed();
    } }));
    return box;
  }
  return el("label", {}, title + " ", scalarInput(path, s, value), help);
}

// blank: what an emptied number field means: "null" (none: the schema allows it), "remove" (an entry
// of a table, e.g. a quota: unlimited) or "error" (a value is needed: no silent fallback to a default)
// a share the instance keeps as a fraction (0–1) shown and typed as a percentage: 0.12 is "12"
const asPercent = (v) => (typeof v === "number" ? String(Number((100 * v).toPrecision(12))) : v);

// ``percent``: the field takes a percentage (0–100) and the draft keeps the fraction (the instance's unit)
function scalarInput(path, s, value, { blank = s.nullable ? "null" : "error", percent = false } = {}) {
  const ps = pathString(path);
  let input;
  if (s.enum) {
    // a guarantee's measure in words (bootstrap.measure_words), the id its value
    const words = /\.measure$/.test(ps) ? S.boot.measure_words : {};
    input = el("select", { "data-path": ps }, s.enum.map((v) => el("option", { value: v, text: words[v] || v, selected: v === value })));
    input.addEventListener("change", () => { setAt(S.draft, path, input.value); onDraftChanged(); });
  } else if (s.type === "boolean") {
    input = el("input", { type: "checkbox", "data-path": ps, checked: !!value });
    input.addEventListener("change", () => { setAt(S.draft, path, input.checked); onDraftChanged(); });
  } else if (s.type === "number" || s.type === "integer") {
    input = el("input", { type: "text", inputmode: s.type === "integer" ? "numeric" : "decimal", class: "number",
      "data-path": ps, value: (percent ? asPercent(value) : value) ?? "" });
    input.addEventListener("input", () => {
      const r = parseNumber(input.value);
      const error = r.error || (r.value === null && blank === "error" ? "a number is needed" : null)
        || (percent && r.value !== null && !(r.value >= 0 && r.value <= 100) ? "not a percentage from 0 to 100" : null);
      if (error) { // the draft keeps the value the field was drawn with until the field holds a number
        S.fieldErrors[ps] = { text: input.value + (percent ? " %" : ""), message: error };
        setAt(S.draft, path, value);
      } else {
        delete S.fieldErrors[ps];
        const v = r.value !== null && percent ? r.value / 100 : r.value;  // the instance keeps the fraction
        setAt(S.draft, path, v !== null ? v : blank === "null" ? null : undefined);
      }
      showProblems();
      onDraftChanged();
    });
  } else if (/\.kinds\[\d+\]$/.test(ps) && S.boot.kind_words) {
    // a segment kind: one of the instance's, by its name ("R&D"; the id is the value), a kind typed elsewhere kept
    const kinds = { ...(value in S.boot.kind_words ? {} : { [value ?? ""]: value || "(pick a kind)" }), ...S.boot.kind_words };
    input = el("select", { "data-path": ps }, Object.entries(kinds).map(([k, w]) => el("option", { value: k, text: w, selected: k === value })));
    input.addEventListener("change", () => { setAt(S.draft, path, input.value); onDraftChanged(); });
  } else {
    input = el("input", { type: "text", "data-path": ps, value: value ?? "" });
    input.addEventListener("input", () => { setAt(S.draft, path, input.value === "" && s.nullable ? null : input.value); onDraftChanged(); });
  }
  return input;
}

/* ----------------------------------------------------------------------------- editor */
const GUARANTEE_FIELD = /guarantee/;
const KNOWN_TOP = ["name", "description", "resources", "regions", "chains", "economic_distance", "policy", "weights", "sources"];
const REGION_SHOWN_ELSEWHERE = ["id", "name_en", "name_zh", "province", "kind", "lon", "lat", "sources", "quotas"];

function renderEditor() {
  const d = S.draft;
  S.fieldErrors = {}; // every field is drawn anew from the draft
  // quotas: region x resource
  const res = d.resources.map((r) => r.id);
  const qt = el("table", { class: "grid edit" }, el("tr", {}, el("th", { text: "region" }), res.map((r) => el("th", { text: withUnit(r) }))));
  d.regions.forEach((r, i) => {
    qt.append(el("tr", { "data-region": r.id }, el("td", { text: r.name_en }),
      res.map((k) => el("td", {}, scalarInput(["regions", i, "quotas", k], { type: "number" }, r.quotas ? r.quotas[k] : undefined, { blank: "remove" })))));
  });
  $("#ed-quotas").replaceChildren(qt, el("p", { class: "muted small", text: "Blank = unlimited." }));
  // weights: every field of the schema's Weights
  const w = el("div", { class: "generic" });
  for (const [k, sub] of Object.entries(defs("Weights").properties)) w.append(genericField(["weights", k], sub, termWords(k)));
  $("#ed-weights").replaceChildren(w);
  // province guarantees: the shorthand table when the schema has it, and every guarantee-like policy field
  const polSchema = resolve(S.boot.schema.properties.policy);
  const shares = el("div", { class: "generic" });
  if ((polSchema.properties || {}).province_min_share) {
    const provinces = [...new Set(d.regions.map((r) => r.province))];
    // a minimum share set by a guarantee below (as the Summary's "guaranteed" column counts it) is said
    // beside the shorthand's field, which is blank then
    const byGuarantee = (p) => (d.policy.guarantees || []).filter((g) => g && g.province === p && g.measure === "min_share"
      && (g.penalty === null || g.penalty === undefined) && !(g.kinds || []).length);
    const st = el("table", { class: "grid edit" }, el("tr", {}, el("th", { text: "province" }), el("th", { text: "min share (%)" }),
      el("th", { text: "set by a guarantee below" })));
    provinces.forEach((p) => st.append(el("tr", { "data-province": p }, el("td", { text: p }),
      el("td", {}, scalarInput(["policy", "province_min_share", p], { type: "number" }, (d.policy.province_min_share || {})[p], { blank: "remove", percent: true }), " %"),
      el("td", { class: "small", text: byGuarantee(p).map((g) => `≥ ${pct(g.value)}`).join(", "),
        title: byGuarantee(p).map((g) => g.description || "").join("; ") }))));
    shares.append(st);
  }
  for (const [k, sub] of Object.entries(polSchema.properties || {})) if (GUARANTEE_FIELD.test(k)) shares.append(genericField(["policy", k], sub, resolve(sub).description || k.replace(/_/g, " ")));
  $("#ed-shares").replaceChildren(shares);
  renderPlacements();
  renderRegionEditor();
  // everything else the schema has: other policy fields, unknown top-level fields
  const other = el("div", { class: "generic" });
  for (const [k, sub] of Object.entries(polSchema.properties || {})) {
    if (["fixed", "forbidden", "province_min_share"].includes(k) || GUARANTEE_FIELD.test(k)) continue;
    other.append(genericField(["policy", k], sub, "policy." + k));
  }
  for (const [k, sub] of Object.entries(S.boot.schema.properties)) {
    if (KNOWN_TOP.includes(k)) continue;
    other.append(genericField([k], sub, k));
  }
  $("#ed-other").replaceChildren(other);
  showProblems();
}

function segmentKeys() { return S.draft.chains.flatMap((c) => c.segments.map((s) => `${c.id}/${s.id}`)); }

function placementState(seg, region) {
  const [c, s] = seg.split("/");
  const m = (p) => p.chain === c && p.segment === s && p.region === region;
  if ((S.draft.policy.fixed || []).some(m)) return "fixed";
  if ((S.draft.policy.forbidden || []).some(m)) return "forbidden";
  return "free";
}
function setPlacement(seg, region, state) {
  const [c, s] = seg.split("/");
  const pol = S.draft.policy;
  const keep = (p) => !(p.chain === c && p.segment === s && p.region === region);
  pol.fixed = (pol.fixed || []).filter(keep);
  pol.forbidden = (pol.forbidden || []).filter(keep);
  if (state === "fixed") pol.fixed.push({ chain: c, segment: s, region });
  if (state === "forbidden") pol.forbidden.push({ chain: c, segment: s, region });
  renderPlacements(); onDraftChanged();
}

function renderPlacements() {
  const keys = segmentKeys();
  if (!S.placementSeg || !keys.includes(S.placementSeg)) S.placementSeg = keys[0];
  const sel = el("select", { id: "placement-segment" }, keys.map((k) => el("option", { value: k, text: segmentName(k), selected: k === S.placementSeg })));
  sel.addEventListener("change", () => { S.placementSeg = sel.value; renderPlacements(); });
  const t = el("table", { class: "grid edit" }, el("tr", {}, el("th", { text: "region" }), el("th", { text: segmentName(S.placementSeg) })));
  for (const r of S.draft.regions) {
    const st = placementState(S.placementSeg, r.id);
    const s = el("select", { "data-placement": r.id }, ["free", "fixed", "forbidden"].map((v) => el("option", { value: v, text: v, selected: v === st })));
    s.addEventListener("change", () => setPlacement(S.placementSeg, r.id, s.value));
    t.append(el("tr", {}, el("td", { text: r.name_en }), el("td", {}, s)));
  }
  const list = el("ul", { class: "small" });
  for (const kind of ["fixed", "forbidden"]) {
    (S.draft.policy[kind] || []).forEach((p, i) => list.append(el("li", { "data-path": `policy.${kind}[${i}]` },
      `${segmentName(`${p.chain}/${p.segment}`)} ${kind === "fixed" ? "fixed in" : "not allowed in"} ${regionName(p.region)} `,
      el("button", { type: "button", text: "×", onclick: () => setPlacement(`${p.chain}/${p.segment}`, p.region, "free") }))));
  }
  const mapMode = el("label", { class: "small" }, el("input", { type: "checkbox", id: "placement-map-mode", checked: S.placementMapMode }),
    " clicking a region on the map cycles free → fixed → forbidden");
  mapMode.firstChild.addEventListener("change", (e) => { S.placementMapMode = e.target.checked; });
  $("#ed-placements").replaceChildren(el("div", { class: "row" }, "Segment ", sel), mapMode, t, list);
  showProblems();
}

function renderRegionEditor() {
  const i = S.draft.regions.findIndex((r) => r.id === S.region);
  if (i < 0) { $("#ed-region").replaceChildren(el("p", { class: "muted", text: "Click a region on the map." })); return; }
  const box = el("div", { class: "generic" },
    genericField(["regions", i], defs("Region"), S.draft.regions[i].name_en, { exclude: REGION_SHOWN_ELSEWHERE }));
  $("#ed-region").replaceChildren(box);
}

/* Unsaved what-if edits survive a reload: kept in the browser (localStorage, one entry per opened
 * instance, by its content hash) until they are solved into a scenario or reset.  An entry holds the
 * edits against the opened instance, not the draft itself (a whole yrd-cities draft is ~215 KB);
 * nothing is kept while the draft is the opened instance, and at most MAX_DRAFTS instances' drafts
 * are kept: the one least recently edited is forgotten first. */
const DRAFT_PREFIX = "yrdopt-draft:";
const SENT = ":sent"; // the edits a solve sent, until its scenario settles the draft
const MAX_DRAFTS = 5;
const draftKey = () => DRAFT_PREFIX + S.boot.instance_hash;
const isObject = (x) => x !== null && typeof x === "object";
// the edits that turn `base` into `value`: [path, value] pairs, [path] alone for a field removed; a
// list that changed length is one edit (the list), but for the placement lists, whose order means
// nothing: [path, null, {add, remove}], the placements added and removed (yrd-cities forbids 680:
// one more forbidden kept the whole 38.6 KB list). A draft kept before as [path, list] still loads.
const PLACEMENT_LISTS = ["policy.fixed", "policy.forbidden"];
function draftEdits(base, value, path = [], out = []) {
  if (base === value) return out;
  if (PLACEMENT_LISTS.includes(path.join(".")) && (Array.isArray(base) || base == null) && Array.isArray(value)) {
    const before = (base || []).map((x) => JSON.stringify(x)), after = value.map((x) => JSON.stringify(x));
    const add = value.filter((_, i) => !before.includes(after[i]));
    const remove = (base || []).filter((_, i) => !after.includes(before[i]));
    if (add.length || remove.length || before.length !== after.length) out.push([path, null, { add, remove }]);
    return out;
  }
  if (isObject(base) && isObject(value) && Array.isArray(base) === Array.isArray(value)
      && (!Array.isArray(base) || base.length === value.length)) {
    const keys = Array.isArray(base) ? base.map((_, i) => i) : [...new Set([...Object.keys(base), ...Object.keys(value)])];
    for (const k of keys) {
      if (!Array.isArray(value) && !(k in value)) out.push([[...path, k]]);
      else draftEdits(base[k], value[k], [...path, k], out);
    }
  } else if (JSON.stringify(base) !== JSON.stringify(value)) out.push([path, value]);
  return out;
}
function withEdits(base, edits) {
  let out = JSON.parse(JSON.stringify(base));
  for (const [path, ...value] of edits) {
    if (value.length === 2) { // a placement list's additions and removals
      const gone = new Set(value[1].remove.map((x) => JSON.stringify(x)));
      const kept = (getAt(out, path) || []).filter((x) => !gone.has(JSON.stringify(x)));
      setAt(out, path, [...kept, ...JSON.parse(JSON.stringify(value[1].add))]);
    } else if (!path.length) out = JSON.parse(JSON.stringify(value[0]));
    else setAt(out, path, value.length ? JSON.parse(JSON.stringify(value[0])) : undefined);
  }
  return out;
}
const sentEdits = () => JSON.stringify(draftEdits(S.boot.instance, S.draft));
function storedDrafts() {
  const out = [];
  for (let i = 0; i < localStorage.length; i++) {
    const k = localStorage.key(i);
    if (k && k.startsWith(DRAFT_PREFIX) && !k.endsWith(SENT)) out.push(k);
  }
  return out;
}
// keep the MAX_DRAFTS drafts edited last (this one included); forget the others and their sent edits
// (an entry of an earlier page that held the whole draft goes at once)
function capDrafts() {
  const at = {};
  for (const k of storedDrafts()) {
    let kept = null;
    try { kept = JSON.parse(localStorage.getItem(k)); } catch (e) { /* unreadable: forgotten */ }
    if (kept && Array.isArray(kept.edits)) at[k] = kept.at || 0;
    else { localStorage.removeItem(k); localStorage.removeItem(k + SENT); }
  }
  const keys = Object.keys(at).sort((a, b) => at[b] - at[a]);
  for (const k of keys.slice(MAX_DRAFTS)) { localStorage.removeItem(k); localStorage.removeItem(k + SENT); }
  for (let i = localStorage.length - 1; i >= 0; i--) { // sent edits of a draft no longer kept
    const k = localStorage.key(i);
    if (k && k.startsWith(DRAFT_PREFIX) && k.endsWith(SENT) && k !== draftKey() + SENT
        && localStorage.getItem(k.slice(0, -SENT.length)) === null) localStorage.removeItem(k);
  }
}
function keepDraft() {
  const name = $("#scenario-name").value;
  try {
    const edits = draftEdits(S.boot.instance, S.draft);
    if (!name && !edits.length) localStorage.removeItem(draftKey());
    else {
      localStorage.setItem(draftKey(), JSON.stringify({ edits, name, source: $("#draft-source").textContent, at: Date.now() }));
      capDrafts();
    }
  } catch (e) { /* storage off or full: the edits live in this page only */ }
}
function forgetDraft() { try { localStorage.removeItem(draftKey()); } catch (e) { /* nothing kept */ } }
// a solve of the draft ended with a scenario: the draft is forgotten only if it is still what was sent
// (edits made while it ran are kept), the name only if it is still the one it was saved under; the
// label says what the draft now is: the scenario saved (before: "unsaved edits" of a draft just saved)
function settleDraft(sent, name, saved) {
  if (name && $("#scenario-name").value.trim() === name) $("#scenario-name").value = "";
  const same = sent !== null && sentEdits() === sent;
  if (saved) $("#draft-source").textContent = same ? `saved as scenario “${saved}”` : `from scenario “${saved}”, edited since it was solved`;
  if (same) forgetDraft();
  else keepDraft();
  try { localStorage.removeItem(draftKey() + SENT); } catch (e) { /* nothing kept */ }
}

/* The time limit typed survives a reload and a solve: kept in the browser per opened instance (its
 * content hash), as the draft is; blank or the server's default keeps nothing. */
const TIME_LIMIT_PREFIX = "yrdopt-time-limit:";
function keepTimeLimit() {
  const text = $("#time-limit").value.trim();
  try {
    if (!text || text === String(S.boot.time_limit)) localStorage.removeItem(TIME_LIMIT_PREFIX + S.boot.instance_hash);
    else localStorage.setItem(TIME_LIMIT_PREFIX + S.boot.instance_hash, text);
  } catch (e) { /* storage off: this page only */ }
}
function restoreTimeLimit() {
  let text = null;
  try { text = localStorage.getItem(TIME_LIMIT_PREFIX + S.boot.instance_hash); } catch (e) { /* none kept */ }
  $("#time-limit").value = text !== null ? text : S.boot.time_limit;
  if (text !== null) formFieldError($("#time-limit"));
}
function restoreDraft() {
  let kept = null;
  try { kept = JSON.parse(localStorage.getItem(draftKey()) || "null"); } catch (e) { return false; }
  if (!kept || !Array.isArray(kept.edits)) { // none, or an earlier page's whole draft: not kept any more
    try { capDrafts(); } catch (e) { /* storage off */ }
    return false;
  }
  try { S.draft = withEdits(S.boot.instance, kept.edits); } catch (e) { return false; }
  $("#scenario-name").value = kept.name || "";
  const source = String(kept.source || "").replace(/ \(unsaved edits[^)]*\)$/, "");
  $("#draft-source").textContent = `${source} (unsaved edits kept from your last visit)`;
  return true;
}

function onDraftChanged() {
  keepDraft();
  clearTimeout(S.validateTimer);
  S.validateTimer = setTimeout(validateDraft, 200);
}

async function validateDraft() {
  try {
    const r = await api("POST", "validate", { instance: S.draft });
    S.problems = r.problems;
    // each edit in the planner's words ("Shanghai land quota 28.48 → 15.0 km2": wording.change_words)
    $("#changes").replaceChildren(...(r.change_words || r.changes || []).map((c) => el("li", { text: c })));
  } catch (e) { S.problems = [{ path: "", message: e.message }]; }
  showProblems();
}

// the places of the problems that follow from one, under it, as the command line lists them
// (yrdopt.errors.Problem.follows; the first FOLLOWS_SHOWN, then how many more)
const FOLLOWS_SHOWN = 8;
function knockOnList(follows) {
  if (!follows.length) return null;
  const n = follows.length, more = n - FOLLOWS_SHOWN;
  return el("div", { class: "follows" }, `${counted(n, "more problem follows", "more problems follow")} from this one:`,
    el("ul", {}, follows.slice(0, FOLLOWS_SHOWN).map((f) => el("li", { text: f.where || f.path })),
      more > 0 ? el("li", { class: "muted", text: `… and ${more} more` }) : null));
}

// a field typed wrong, named as the planner knows it ("Jiangsu energy quota", "weight of site cost", "Shanghai
// minimum share": the server's wording.field_words says the same of the problems it finds), else by its path
function fieldLabel(path) {
  let m;
  if ((m = /^regions\[(\d+)\]\.(quotas|extra_quota)\.(\w+)$/.exec(path))) {
    const r = (S.draft.regions || [])[Number(m[1])];
    return `${r ? regionName(r.id) : `region ${Number(m[1]) + 1}`} ${m[3]} ${m[2] === "quotas" ? "quota" : "extra quota"}`;
  }
  if ((m = /^weights\.(\w+)$/.exec(path))) return `weight of ${termWords(m[1])}`;
  if ((m = /^policy\.province_min_share\.(.+)$/.exec(path))) return `${m[1]} minimum share`;
  return path;
}

function showProblems() {
  $$(".field-error:not(.form-error)").forEach((x) => x.remove());
  $$(".invalid").forEach((x) => x.classList.remove("invalid"));
  const box = $("#validation");
  const typed = Object.entries(S.fieldErrors).map(([path, e]) => ({ path, value: e.text, expected: "a number", message: e.message,
    where: fieldLabel(path), said: e.text.trim() === "" ? e.message : `“${e.text}” is ${e.message}` }));
  const problems = [...typed, ...(S.problems || []).filter((p) => !S.fieldErrors[p.path])];
  box.hidden = problems.length === 0;
  const knockOns = problems.reduce((n, p) => n + (p.follows || []).length, 0);
  box.replaceChildren(el("b", { text: `${counted(problems.length, "problem")}: fix before solving`
      + (knockOns ? ` (${counted(knockOns, "more follows", "more follow")} from ${problems.length === 1 ? "it" : "them"}, `
        + "listed under the one each follows from)" : "") }),
    el("ul", {}, problems.map((p) => el("li", {}, `${p.where || p.path || "(instance)"}: `
      + (p.said || `got ${p.got ?? JSON.stringify(p.value)}; expected ${p.expected}`),
      knockOnList(p.follows || [])))));
  for (const p of problems) {
    // beside the field: the input with this path, else the closest enclosing block that has one
    let target = null, path = p.path;
    while (path && !target) {
      target = document.querySelector(`[data-path="${CSS.escape(path)}"]`);
      // up one step; a top-level field with no input of its own ("regions") ends the search (it
      // stayed as it was and the page froze: a region's id edited in the draft)
      const up = target ? path : path.replace(/(\.[^.[\]]+|\[[^\]]*\])$/, "");
      path = up === path && !target ? "" : up;
    }
    if (!target) continue;
    target.classList.add("invalid");
    target.insertAdjacentElement("afterend", el("span", { class: "field-error", text: p.message && !p.file ? p.message : `expected ${p.expected}` }));
  }
  $("#solve-btn").disabled = problems.length > 0 || $("#time-limit").classList.contains("invalid-form");
}

/* ------------------------------------------------------------------------------- maps */
function allPanels(view) { return view ? view.panels : []; }

function drawMap(svg, view, panel, { vmax = null, onClick = true } = {}) {
  const g = S.boot.geometry;
  svg.setAttribute("viewBox", `0 0 ${g.width} ${g.height}`);
  svg.replaceChildren();
  for (const d of g.context) svg.append(el("svg:path", { d, class: "context" }));
  const byId = {};
  for (const r of g.regions) {
    byId[r.id] = r;
    const cat = panel ? panel.region_category[r.id] : "none";
    const fill = panel ? panel.colours[cat] : "#e9e9e9";
    const attrs = { class: "region" + (r.id === S.region ? " selected" : ""), fill, "data-region": r.id, "data-category": cat };
    let shape;
    if (r.d) shape = el("svg:path", { ...attrs, d: r.d });
    else if (r.point) shape = el("svg:circle", { ...attrs, class: attrs.class + " point", cx: r.point[0], cy: r.point[1], r: 6 });
    else continue;
    shape.addEventListener("mousemove", (e) => hover(e, r, view, panel));
    shape.addEventListener("mouseleave", () => { $("#tooltip").hidden = true; });
    if (onClick) shape.addEventListener("click", () => clickRegion(r.id));
    svg.append(shape);
  }
  for (const d of g.outlines) svg.append(el("svg:path", { d, class: "outline" }));
  if (panel && panel.flows.length) {
    const vm = vmax || Math.max(...panel.flows.map((f) => f.volume));
    for (const f of panel.flows) {
      const a = byId[f.from] && byId[f.from].anchor, b = byId[f.to] && byId[f.to].anchor;
      if (!a || !b || vm <= 0) continue;
      svg.append(el("svg:line", { class: "flow", x1: a[0], y1: a[1], x2: b[0], y2: b[1], "stroke-width": (0.8 + 7 * f.volume / vm).toFixed(2),
        "data-from": f.from, "data-to": f.to, "data-volume": f.volume }));
    }
  }
  if (g.regions.length <= 12) {
    for (const r of g.regions) if (r.label) svg.append(el("svg:text", { x: r.label[0], y: r.label[1], "text-anchor": "middle", text: r.name }));
  }
}

function hover(e, r, view, panel) {
  const tip = $("#tooltip");
  const info = view && view.regions ? view.regions[r.id] : null;
  const lines = [el("b", { text: `${r.name}${r.name_zh ? " " + r.name_zh : ""}` }), el("br")];
  if (panel && panel.region_hosts && panel.region_hosts[r.id] && panel.region_hosts[r.id].length) lines.push(`${panel.title}: ${panel.region_hosts[r.id].map((h) => (panel.labels || {})[h] || h).join(", ")}`, el("br"));
  if (info) {
    lines.push(`${counted(info.segments.length, "segment")}, value ${fmt(info.value)}`, el("br"));
    for (const u of info.resources) lines.push(`${u.resource}: ${fmt(u.use)} / ${u.quota === null ? "∞" : fmt(u.quota)}${u.unit ? " " + u.unit : ""} (${pct(u.share)})`, el("br"));
  }
  tip.replaceChildren(...lines);
  tip.hidden = false;
  tip.style.left = e.clientX + 14 + "px";
  tip.style.top = e.clientY + 10 + "px";
}

function clickRegion(rid) {
  if (S.placementMapMode && S.placementSeg) {
    const next = { free: "fixed", fixed: "forbidden", forbidden: "free" }[placementState(S.placementSeg, rid)];
    setPlacement(S.placementSeg, rid, next);
  }
  S.region = rid;
  renderRegionInfo();
  renderRegionEditor();
  $$("svg.map [data-region]").forEach((p) => p.classList.toggle("selected", p.dataset.region === rid));
  showTab("main-tabs", "tab-", "region");
}

function currentPanel(view) {
  return allPanels(view).find((p) => p.key === S.panelKey) || allPanels(view)[0];
}

// the main map's caption before any scenario: a solve queued or running (the start-up solve of the
// opened instance) is said as such, not "press Solve"
function pendingSolve() {
  const open = (j) => j && j.kind === "solve" && !FINISHED.includes(j.state);
  if (S.job) return open(S.job) ? S.job : null;
  return (S.boot && S.boot.jobs || []).find(open) || null;
}
function noScenarioWords() {
  const job = pendingSolve();
  if (!job && S.deleted) return `“${S.deleted}” was deleted and no other scenario is left: press Solve`;
  if (!job) return "no scenario yet: press Solve";
  return `solving ${job.title || "the opened instance"}… its layout appears here when the solve ends`;
}

// every raise and conflicting limit a diagnosis named, each list folded under its count (its reason names
// the first ten, "and 846 more (all listed below)"; server: wording.failure_lists)
function listedLimits(listed) {
  return Object.entries(listed || {}).filter(([, items]) => items && items.length).map(([what, items]) =>
    el("details", { class: "small listed", "data-list": what }, el("summary", { text: `all ${items.length} ${what}` }),
      el("ol", {}, items.map((t) => el("li", { text: t })))));
}

// a solve that failed: its reason where its layout would have been (above the maps), not in the job bar only
function showSolveFailure(job) {
  const box = $("#solve-failure");
  if (!job) { box.hidden = true; box.replaceChildren(); return; }
  const what = job.title ? `“${job.title}”` : "the what-if";
  // proven without a layout, stopped while finding why (server.STOPPED_EXPLAINING): its message says so
  const said = job.state === "failed" || (job.error && job.error.infeasible);
  box.replaceChildren(el("b", { text: `The solve of ${what} found no layout` + (said ? ":" : ` (${job.state}).`) }),
    job.error ? " " + job.error.message : "", ...listedLimits(job.error && job.error.listed));
  box.dataset.job = job.id || "";
  box.hidden = false;
  if (!S.view) $("#map-main-title").textContent = noScenarioWords();
}

function renderMaps() {
  const pm = currentPanel(S.view), pb = currentPanel(S.baseView);
  const vols = [pm, pb].filter((p) => p && p.flows.length).flatMap((p) => p.flows.map((f) => f.volume));
  const vmax = vols.length ? Math.max(...vols) : null; // one width scale for both maps
  drawMap($("#map-main"), S.view, pm, { vmax });
  $("#map-main").dataset.scenario = S.current || "";
  $("#map-main-title").textContent = !S.view ? noScenarioWords()
    : S.view.year ? `${S.view.meta.name} — ${S.view.year} (plan objective ${fmt(S.view.objective)})`
    : `${S.view.meta.name} — objective ${fmt(S.view.objective)}`;
  if (S.baseView) {
    drawMap($("#map-base"), S.baseView, pb, { vmax });
    $("#map-base-title").textContent = `today's layout — objective ${fmt(S.baseView.objective)}`;
  } else {
    $("#map-base").replaceChildren();
    $("#map-base-title").textContent = "no baseline layout for this instance";
  }
  const legendPanel = pm || pb;
  const leg = $("#legend");
  leg.replaceChildren();
  if (legendPanel) {
    const used = new Set([pm, pb].filter(Boolean).flatMap((p) => Object.values(p.region_category)));
    // each colour by what it is (a chain's or segment's name: the panel's labels), not its id
    for (const [cat, col] of Object.entries(legendPanel.colours)) if (used.has(cat)) leg.append(el("span", { "data-category": cat }, el("i", { style: `background:${col}` }), (legendPanel.labels || {})[cat] || cat));
    leg.append(el("span", { class: "muted", text: (pm || pb).by === "overview" ? "pick a chain to see its flows" : "lines: flows, width ~ volume" }));
  }
}

/* --------------------------------------------------------------------------- summary */
function renderSummary() {
  const v = S.view;
  // a phased plan's terms are discounted sums over its periods: not comparable with today's one year
  const b = v && v.periods ? null : S.baseView;
  const objEl = $("#objective-value");
  objEl.textContent = v ? money(v.objective) : "–";
  objEl.dataset.value = v && v.objective !== null ? String(v.objective) : "";
  // what the objective is (a plan's: discounted over its periods), and what each term counts
  $("#objective-words").textContent = v && v.objective_words ? v.objective_words : "";
  const terms = $("#terms");
  terms.replaceChildren(el("tr", {}, el("th", { text: "term" }), el("th", { text: v ? v.meta.name : "scenario" }), el("th", { text: "today" }), el("th", { text: "change" }), el("th", { text: "what it counts" })));
  if (v) {
    const bt = b ? Object.fromEntries(b.terms.map((t) => [t.term, t.value])) : {};
    for (const t of v.terms) terms.append(el("tr", { "data-term": t.term }, el("td", { text: t.label || termWords(t.term) }), el("td", { class: "num", text: money(t.value) }),
      el("td", { class: "num", text: b ? money(bt[t.term]) : "–" }), el("td", { class: "num", text: b ? money(t.value - bt[t.term]) : "–" }),
      el("td", { class: "small", text: t.what || "" })));
    terms.append(el("tr", {}, el("td", {}, el("b", { text: "total" })), el("td", { class: "num", text: money(v.objective) }),
      el("td", { class: "num", text: b ? money(b.objective) : "–" }), el("td", { class: "num", text: b ? money(v.objective - b.objective) : "–" }), el("td", {})));
    terms.append(el("tr", {}, el("td", { text: "duplicated segments" }), el("td", { class: "num", text: v.duplicated_segments }),
      el("td", { class: "num", text: b ? b.duplicated_segments : "–" }), el("td", {})));
    // sites with under 1 % of their segment count as sites: the duplication without them, and how many there are
    // (its label says whose count it is: indented by spaces, which HTML drops, it read as a count of its own)
    terms.append(el("tr", {}, el("td", { text: "duplicated segments, not counting sites < 1 % of their segment" }), el("td", { class: "num", text: v.duplicated_segments_without_token }),
      el("td", { class: "num", text: b ? b.duplicated_segments_without_token : "–" }), el("td", {})));
    terms.append(el("tr", {}, el("td", { text: "sites < 1 % of their segment" }), el("td", { class: "num", text: v.token_sites }),
      el("td", { class: "num", text: b ? b.token_sites : "–" }), el("td", {})));
  }
  const verdict = $("#verdict");
  if (v) {
    // the status words say the gap where a valid bound gives one, or why there is none (solver.summary_status_words):
    // said once (before: "; gap …" added after them, so an optimal layout named its gap twice)
    const c = v.check;
    verdict.replaceChildren(el("p", {}, el("span", { id: "verdict-word", class: c.verified ? "ok" : "bad", text: c.verified ? "VERIFIED" : "NOT VERIFIED" }),
      ` — the independent checker recomputed every constraint and term from the written layout (largest scaled violation ${fmt(c.max_violation)}; objective ${fmt(c.objective)}, ${c.matches_solver ? "matches" : "differs from"} the solver's). Status: ${v.status_text || v.status}.`),
      c.violations.length ? el("ul", {}, c.violations.map((x) => el("li", { text: x.words || `${x.constraint} at ${x.where}: ${x.detail}` }))) : "",
      // summary.json's claims that do not hold (yrdopt check's verdict), in the checker's words
      (c.false_claims || []).length ? el("p", { class: "bad", id: "verdict-claims", text: `Claims of summary.json that do not hold: ${c.false_claims.join("; ")}.` }) : "");
  } else verdict.replaceChildren();
  const pt = $("#provinces");
  pt.replaceChildren(el("tr", {}, el("th", { text: "province" }), el("th", { text: "credited value" }), el("th", { text: "credited share" }), el("th", { text: "today" }), el("th", { text: "guaranteed" })));
  if (v) {
    const bv = S.baseView, bp = bv ? Object.fromEntries(bv.provinces.map((p) => [p.province, p.share])) : {};
    for (const p of v.provinces) pt.append(el("tr", { "data-province": p.province }, el("td", { text: p.province }), el("td", { class: "num", text: fmt(p.value) }),
      el("td", { class: "num", text: pct(p.share) }), el("td", { class: "num", text: bv ? pct(bp[p.province]) : "–" }),
      el("td", { class: "num", text: [p.guaranteed, p.ceiling].map((g, i) => g === null || g === undefined ? "" : (i ? "≤ " : "≥ ") + pct(g)).filter(Boolean)
        .concat(p.other_guarantees || []).join("; ") })));
  }
  const id = S.current;
  for (const [a, suffix] of [["#export-xlsx", "export.xlsx"], ["#export-report", "report.html"]]) {
    const link = $(a);
    // no scenario, no link: an anchor without href is not clickable (href="#" reloaded nothing useful)
    if (id) link.href = `/api/scenarios/${encodeURIComponent(id)}/${suffix}`; else link.removeAttribute("href");
    link.toggleAttribute("aria-disabled", !id);
  }
  const segSel = $("#explain-segment");
  if (v) {
    const keep = segSel.value;
    const segs = [...new Set(v.placements.map((p) => `${p.chain}/${p.segment}`))];
    segSel.replaceChildren(...segs.map((s) => el("option", { value: s, text: segmentName(s), selected: s === keep })));
  }
}

function renderRegionInfo() {
  const box = $("#region-info");
  const rid = S.region;
  if (!rid) return;
  const r = S.boot.geometry.regions.find((x) => x.id === rid);
  const parts = [el("h3", { text: `${r.name}${r.name_zh ? " " + r.name_zh : ""} (${r.province})` })];
  // a plan's period says its year; today's layout beside it is today's activity, before the growth to that year
  const year = S.view && S.view.year;
  const heads = [[S.view ? S.view.meta.name + (year ? ` in ${year}` : "") : "scenario", S.view],
    [year ? `today's layout (today's activity, not grown to ${year}: not comparable)` : "today's layout", S.baseView]];
  for (const [label, view] of heads) {
    if (!view) continue;
    const info = view.regions[rid];
    parts.push(el("h4", { class: "region-heading", text: `${label}: value ${fmt(info.value)}` }));
    parts.push(el("table", { class: "grid" }, el("tr", {}, ["segment", "kind", "activity", "value"].map((h) => el("th", { text: h }))),
      info.segments.map((s) => el("tr", { "data-segment": `${s.chain}/${s.segment}` }, el("td", { text: s.segment_name || `${s.chain}/${s.segment}` }), el("td", { text: s.kind_name || s.kind }),
        el("td", { class: "num", text: `${amount(s.activity)} ${s.unit || ""}` }), el("td", { class: "num", text: fmt(s.value) })))));
    parts.push(el("table", { class: "grid" }, el("tr", {}, ["resource", "use", "quota", "share"].map((h) => el("th", { text: h }))),
      info.resources.map((u) => el("tr", { "data-resource": u.resource }, el("td", { text: `${u.resource}${u.unit ? " (" + u.unit + ")" : ""}` }),
        el("td", { class: "num", text: fmt(u.use) }), el("td", { class: "num", text: u.quota === null ? "unlimited" : fmt(u.quota) }),
        el("td", {}, el("span", { class: "bar" + ((u.share || 0) > 1 + 1e-6 ? " over" : ""), style: `width:${Math.min(100, 100 * (u.share || 0)).toFixed(0)}px` }), " ", pct(u.share))))));
  }
  box.replaceChildren(...parts);
}

/* --------------------------------------------------------------------------- periods */
// A plan over milestone periods has one layout per period: the maps and panels show the period
// picked in the toolbar (the last by default); the Changes tab lists what changes into it.
function setView(full) {
  S.fullView = full;
  const ps = full && full.periods && full.periods.length ? full.periods : null;
  if (ps && !ps.some((p) => p.year === S.period)) S.period = ps[ps.length - 1].year;
  S.view = ps ? { ...full, ...ps.find((p) => p.year === S.period) } : full;
  $("#period-label").hidden = !ps;
  $("#period-select").replaceChildren(...(ps || []).map((p) => el("option", { value: p.year, text: p.year, selected: p.year === S.period })));
}

function renderChanges() {
  const box = $("#changes-view"), v = S.view;
  if (!v) { box.replaceChildren(el("p", { class: "muted", text: "No scenario shown." })); return; }
  if (!v.changes) return;
  const all = $("#changes-kept").checked;
  // kept: a change below site_change.KEEP_SHARE of the site's activity is none (transition.csv's status)
  const rows = v.changes.filter((c) => (v.year === undefined || c.period === v.year) && (all || !["kept", "grown"].includes(c.status)));
  const tr = v.transition;
  // each cost once, where the objective counts it: opening is its fixed cost, closing and shrinking its cost of change
  const built = v.built_words || [];
  const head = tr ? el("p", { id: "changes-heading" }, `Into ${v.year}: ${tr.opened} opened, ${tr.closed} closed, ${tr.shrunk} shrunk, ${tr.grown} grown, ${tr.kept} kept; `
    + `${pct(tr.moved_share)} of the activity moved. Paid in ${v.year} (undiscounted, in the objective's units): opening ${money(tr.opening_cost)} (${termWords("fixed_cost")}); `
    + `closing ${money(tr.closing_cost)} + shrinking ${money(tr.shrink_cost)} = ${termWords("change")} ${money(tr.closing_cost + tr.shrink_cost)}; `
    + `${termWords("expansion")}: ${built.length ? built.join(", ") : "none"}.`) : "";
  // the report's sentence on the plan solved period by period (report.periods.foresight_text)
  const my = v.foresight_words ? el("p", { class: "small muted", id: "changes-foresight", text: v.foresight_words }) : "";
  // activity in its segment's unit: in the headings when every row has the same one, else a column
  const units = [...new Set(rows.map((c) => c.unit || ""))], one = units.length === 1 ? units[0] : null;
  const of = one ? ` (${one})` : "";
  const cols = [["segment_name", "segment"], ["region_name", "region"], ["status", "status"], ["activity_before", "activity before" + of],
    ["activity_after", "activity after" + of], ...(one === null ? [["unit", "unit of activity"]] : []), ["cost", "cost (objective's units)"]];
  // kept sites are not listed, yet their small changes count in the cost of change (site_change.kept_words)
  const kept = v.kept_words ? el("p", { class: "small", id: "changes-kept-words", text: v.kept_words }) : "";
  box.replaceChildren(head, my, kept, rows.length ? el("table", { class: "grid", id: "changes-table" },
    el("tr", {}, cols.map(([, h]) => el("th", { text: h }))),
    rows.map((c) => el("tr", { "data-status": c.status, "data-segment": `${c.chain}/${c.segment}`, "data-region": c.region },
      cols.map(([k]) => el("td", { class: typeof c[k] === "number" ? "num" : null,
        text: k === "cost" ? money(c[k]) : typeof c[k] === "number" ? amount(c[k]) : (c[k] ?? "") })))))
    : el("p", { class: "muted", text: all ? "No sites." : v.kept_words ? "No site opens, closes or shrinks more than that." : "No site opens, closes or shrinks." }));
}

/* ------------------------------------------------------------------------- scenarios */
// a scenario with a layout to show (a what-if's, an alternative's): not today's layout, nor a solve that found none
const hasPlan = (s) => s.kind !== "baseline" && s.kind !== "failed";

// a scenario's edits under its name: the first three, then how many more, all of them in its tooltip
const LISTED_EDITS = 3;
function editsLine(s) {
  const edits = s.change_words || s.changes || [];
  const more = edits.length - LISTED_EDITS;
  const text = [s.kind === "baseline" ? "baseline" : s.kind === "alternative" ? "alternative" : "", ...edits.slice(0, LISTED_EDITS),
    more > 0 ? `… and ${counted(more, "more edit")} (hover to see all)` : ""].filter(Boolean).join("; ");
  return el("div", { class: "small muted edits", text, title: more > 0 ? edits.join("\n") : "" });
}

async function refreshScenarios() {
  S.scenarios = await api("GET", "scenarios");
  const tb = $("#scenario-table tbody");
  const keepA = S.cmpA, keepB = S.cmpB;
  // a solve that found no layout: listed with its reason, nothing to open or compare, no figures
  const failed = (s) => s.kind === "failed";
  tb.replaceChildren(...S.scenarios.map((s) => el("tr", { "data-id": s.id, "data-kind": s.kind, class: s.id === S.current ? "selected" : "" },
    el("td", {}, failed(s) ? "" : el("input", { type: "radio", name: "cmp-a", class: "cmp-a", value: s.id, checked: s.id === keepA, onchange: () => { S.cmpA = s.id; renderAvailability(); } })),
    el("td", {}, failed(s) ? "" : el("input", { type: "radio", name: "cmp-b", class: "cmp-b", value: s.id, checked: s.id === keepB, onchange: () => { S.cmpB = s.id; renderAvailability(); } })),
    el("td", {}, failed(s) ? el("span", { class: "name", text: s.name })
      : el("a", { href: "#", class: "open", text: s.name, onclick: (e) => { e.preventDefault(); leaveSolveFailure(); openScenario(s.id); } }),
      editsLine(s),
      // its reason folded (an infeasible what-if's runs to a paragraph): the list stays a list
      failed(s) ? el("details", { class: "small reason" }, el("summary", { class: "bad", text: "found no layout: why" }), el("p", { text: s.reason }), ...listedLimits(s.listed)) : "",
      el("div", { class: "small" },
        el("button", { type: "button", text: "edit from here", onclick: () => loadDraftFrom(s.id) }), " ",
        s.kind === "baseline" ? "" : el("button", { type: "button", text: "rename", onclick: () => renameScenario(s) }), " ",
        s.kind === "baseline" ? "" : el("button", { type: "button", text: "delete", onclick: () => deleteScenario(s) }))),
    el("td", { class: "num", text: failed(s) ? "" : fmt(s.objective) }),
    el("td", { title: s.status_text || "", text: failed(s) ? "failed" : `${statusWords(s.status_text, s.status)}${(s.derived_status || s.status) !== "optimal" ? gapSaid(s.status, s.gap) : ""}${s.verified ? " ✓" : ""}` }))));
  const sel = $("#scenario-select");
  sel.replaceChildren(...S.scenarios.filter(hasPlan).map((s) => el("option", { value: s.id, text: s.name, selected: s.id === S.current })));
  renderAvailability();
}

/* ------------------------------------------------------------------- phased analyses */
// The library answers "why here?" and compares plans over milestone periods one period at a
// time; it refuses alternatives of a plan and comparing a plan with a one-period layout. The page
// offers no button that can only fail: those are disabled with the server's reason
// (bootstrap.not_for_phased); Why here? and Compare name the milestone they are about.
const periodsOf = (id) => { const s = S.scenarios.find((x) => x.id === id); return s ? s.periods : null; };

function setUnavailable(button, note, reason) {
  $(button).disabled = !!reason;
  $(button).title = reason || "";
  $(note).hidden = !reason;
  $(note).textContent = reason || "";
}

function renderAvailability() {
  const why = S.boot.not_for_phased;
  const phased = !!(S.fullView && S.fullView.periods);
  setUnavailable("#alt-btn", "#alt-unavailable", phased ? why.alternatives : null);
  const pa = periodsOf(S.cmpA), pb = periodsOf(S.cmpB);
  const years = pa && pb ? pa.filter((y) => pb.includes(y)) : [];
  setUnavailable("#compare-btn", "#compare-unavailable", !(S.cmpA && S.cmpB) || !(pa || pb) ? null
    : !(pa && pb) ? why.compare : years.length ? null : "the two plans share no milestone year");
  const keep = Number($("#compare-period").value) || S.period;
  $("#compare-period-label").hidden = !years.length;
  $("#compare-period").replaceChildren(...years.map((y) => el("option", { value: y, text: y,
    selected: y === (years.includes(keep) ? keep : years[years.length - 1]) })));
  // a layout the checker rejected breaks a limit: nothing is measured against it (server.refuse_rejected)
  const rejected = S.fullView && S.fullView.status === "not_verified" ? S.boot.not_for_rejected : null;
  setUnavailable("#explain-btn", "#explain-unavailable", rejected);
  setUnavailable("#limits-btn", "#limits-unavailable", rejected);
  // a plan is priced per period with its sites fixed: not re-solved (each re-solve would be the whole plan)
  $("#limits-reopt").disabled = phased;
  $("#limits-reopt-label").title = phased ? "a plan over periods is not re-solved (each re-solve would be the whole plan)" : "";
  explainPeriodNote();
}

// what a phased plan's Why here? keeps, as "re-optimise the rest" says (it said "stay as they are" when ticked)
function explainPeriodNote() {
  const note = $("#explain-period");
  const phased = !!(S.fullView && S.fullView.periods);
  note.hidden = !phased;
  note.textContent = !phased ? ""
    : $("#explain-reopt").checked ? `Period ${S.view.year} (the Period picker above): the segment is placed as each move says, and the rest of the plan, its other sites and periods, is re-optimised.`
    : `Period ${S.view.year} (the Period picker above): the plan's other sites and periods stay as they are.`;
}

// the failed solve whose box the planner left by opening a scenario from the list (not shown again on a reload)
// (its own prefix: every "yrdopt-draft:" key is a draft or its sent edits)
const failureSeenKey = () => "yrdopt-failure-seen:" + S.boot.instance_hash;
function leaveSolveFailure() {
  const box = $("#solve-failure");
  if (box.hidden) return;
  try { localStorage.setItem(failureSeenKey(), box.dataset.job || ""); } catch (e) { /* this page only */ }
  showSolveFailure(null);
}

async function openScenario(id) {
  S.current = id;
  setView(await api("GET", `scenarios/${encodeURIComponent(id)}`));
  showScenario();
}

function showScenario() {
  const id = S.current;
  fillPanelSelect();
  renderMaps();
  renderSummary();
  renderRegionInfo();
  renderChanges();
  renderAvailability();
  // the prices and the "why here?" answer of another scenario or period are not this one's
  for (const box of [$("#limits-result"), $("#explain-result")]) {
    if (box.dataset.key && box.dataset.key !== limitsKey()) { box.replaceChildren(); delete box.dataset.key; delete box.dataset.job; }
  }
  // the last "why here?" answered and the limits priced about this scenario and period, back with them
  const answered = S.explained[limitsKey()], why = $("#explain-result");
  if (answered && !why.dataset.key) { showExplainQuestion(answered); showExplainAnswer(answered); }
  const priced = S.priced[limitsKey()] || keptLimits();
  if (priced && !$("#limits-result").dataset.key) showLimitsAnswer(priced);
  keepShown();
  $$("#scenario-table tr[data-id]").forEach((tr) => tr.classList.toggle("selected", tr.dataset.id === id));
  $("#scenario-select").value = id;
}

/* The scenario and period shown survive a reload: kept in the browser per opened instance (its
 * content hash), with the latest scenario then; a scenario solved since (here or elsewhere) is shown
 * instead, as a page opened after a solve shows it. */
const SHOWN_PREFIX = "yrdopt-shown:";
const latestScenario = () => (S.scenarios.filter(hasPlan).pop() || {}).id || null;
function keepShown() {
  try {
    if (!S.current) localStorage.removeItem(SHOWN_PREFIX + S.boot.instance_hash);
    else localStorage.setItem(SHOWN_PREFIX + S.boot.instance_hash, JSON.stringify({ scenario: S.current,
      period: S.fullView && S.fullView.periods ? S.period : null, latest: latestScenario() }));
  } catch (e) { /* storage off: this page only */ }
}
function keptShown() {
  let kept = null;
  try { kept = JSON.parse(localStorage.getItem(SHOWN_PREFIX + S.boot.instance_hash) || "null"); } catch (e) { return null; }
  if (!kept || kept.latest !== latestScenario() || !S.scenarios.some((s) => s.id === kept.scenario && s.kind !== "failed")) return null;
  return kept;
}

function fillPanelSelect() {
  const panels = allPanels(S.view).length ? allPanels(S.view) : allPanels(S.baseView);
  const sel = $("#panel-select");
  if (!S.panelKey && panels.length) S.panelKey = panels[0].key;
  // each panel by what it shows and what its colours are ("Integrated circuits (colour: segment)", "R&D sites (colour: chain)")
  const colours = { chain: "segment", kind: "chain" };
  sel.replaceChildren(...panels.map((p) => el("option", { value: p.key, text: colours[p.by] ? `${p.title} (colour: ${colours[p.by]})` : p.title, selected: p.key === S.panelKey })));
}

async function loadDraftFrom(id) {
  S.draft = await api("GET", `scenarios/${encodeURIComponent(id)}/instance`);
  S.draftSource = "from " + (S.scenarios.find((s) => s.id === id) || {}).name;
  $("#draft-source").textContent = S.draftSource;
  renderEditor(); onDraftChanged();
  showTab("side-tabs", "tab-", "whatif");
}
async function renameScenario(s) {
  const name = prompt("New name", s.name);
  if (!name) return;
  await api("POST", `scenarios/${encodeURIComponent(s.id)}/rename`, { name });
  await refreshScenarios();
  if (S.current === s.id) openScenario(s.id);
}
async function deleteScenario(s) {
  if (!confirm(`Delete scenario "${s.name}" and its files?`)) return;
  await api("DELETE", `scenarios/${encodeURIComponent(s.id)}`);
  // nothing shown may speak of it any more: the comparison it is a side of, its ticks, its answers
  if (S.cmpA === s.id) S.cmpA = null;
  if (S.cmpB === s.id) S.cmpB = null;
  if (S.cmp && [S.cmp.a.id, S.cmp.b.id].includes(s.id)) {
    S.cmp = null;
    $("#compare-view").replaceChildren(el("p", { class: "muted", id: "compare-deleted", text: `The comparison with “${s.name}” is gone: that scenario was deleted.` }));
  }
  for (const k of Object.keys(S.explained)) if (k.startsWith(s.id + "@")) delete S.explained[k];
  const shown = S.current === s.id;
  await refreshScenarios();
  if (!shown) return;
  // the scenario shown is gone: show what the "Showing" list now shows (the latest left), else nothing, said so
  const next = S.scenarios.filter(hasPlan).pop();
  S.deleted = s.name;
  if (next) { await openScenario(next.id); return; }
  S.current = null;
  setView(null);
  showScenario();
}

/* ------------------------------------------------------------------------------- jobs */
const FINISHED = ["done", "failed", "stopped", "cancelled"];

async function runJob(promise, onDone) {
  let job;
  try { job = await promise; } catch (e) { // refused at once (4xx): the job bar and the caller say why
    if (e.problems && e.problems.length) { S.problems = e.problems; showProblems(); }
    job = { state: "failed", title: "", error: { message: e.message } };
    showJob(job);
    await onDone(job);
    return;
  }
  await followJob(job, onDone);
}

// Poll a job until it ends, then onDone. The job bar (and Stop) belong to the latest job the page
// follows: an older one still followed keeps polling for its own onDone without taking the bar back.
async function followJob(job, onDone) {
  S.job = job;
  showJob(job);
  while (!FINISHED.includes(job.state)) {
    await new Promise((r) => setTimeout(r, 120));
    try { job = await api("GET", `jobs/${job.id}`); } catch (e) { continue; }
    if (S.job && S.job.id === job.id) { S.job = job; showJob(job); }
  }
  await onDone(job);
}

// A page opened (or reloaded) while jobs run adopts them: the bar shows the running one, Stop
// stops it, and its scenario is shown when it ends; then the next one queued, if any.
async function adoptJobs(jobs) {
  const pending = jobs.filter((j) => !FINISHED.includes(j.state));
  if (!pending.length) showLastSolveFailure(jobs);
  const job = pending.find((j) => j.state === "running") || pending[0];
  if (!job) return;
  await followJob(job, async (done) => {
    if (!S.job || S.job.id !== done.id) return; // the page has started a job of its own since
    if (done.kind === "solve" && !(done.result && done.result.scenario) && ["failed", "cancelled", "stopped"].includes(done.state)) showSolveFailure(done);
    await refreshScenarios();
    if (done.result && done.result.scenario) {
      await openScenario(done.result.scenario);
      // a solve this browser sent before the reload: its draft is saved, unless edited since
      let sent = null;
      try { sent = localStorage.getItem(draftKey() + SENT); } catch (e) { /* none kept */ }
      if (sent !== null) settleDraft(sent, done.title, done.title);
    }
    try { await adoptJobs(await api("GET", "jobs")); } catch (e) { /* the next reload adopts them */ }
  });
}

// best, bound and gap of the job bar: live while the job runs; once it ended, a solve's from its
// result (server.solve_result), any other job's none (its answer is in its tab)
function jobNumbers(job) {
  if (!FINISHED.includes(job.state)) return job.progress || {};
  const r = job.kind === "solve" && job.result && job.result.scenario ? job.result : null;
  if (!r) return {};
  const rejected = r.status === "not_verified";
  return { best: r.objective, bound: rejected ? null : r.bound, gap: rejected ? null : r.gap };
}

// a page opened (or reloaded) after the latest solve ended without a layout: its reason above the
// maps and its end in the job bar, as the page that sent it showed them (the server keeps the job)
function showLastSolveFailure(jobs) {
  const solves = jobs.filter((j) => j.kind === "solve");
  const last = solves[solves.length - 1];
  if (!last || !["failed", "cancelled", "stopped"].includes(last.state) || (last.result && last.result.scenario)) return;
  let seen = null;
  try { seen = localStorage.getItem(failureSeenKey()); } catch (e) { /* storage off */ }
  if (seen === last.id) return; // the planner has opened another scenario since: the box stays away
  showSolveFailure(last);
  S.job = last;
  showJob(last);
}

function showJob(job) {
  const bar = $("#job-bar");
  bar.dataset.job = job.id || "";
  const where = job.state === "queued" && job.position ? ` (${job.position} ahead in the queue)` : "";
  // a solve that ended without proving its layout best is no green "done": its status says what it is
  const unproven = job.state === "done" && job.result && job.result.status && job.result.status !== "optimal";
  bar.dataset.state = unproven ? "unproven" : job.state;
  const state = unproven
    ? `${statusWords(job.result.status_text, job.result.status)}${gapSaid(job.result.status, job.result.gap)}`
    : job.state === "stopped" && job.error && job.error.infeasible ? "stopped by you while finding why no layout exists"
    : job.state;
  let text = `${job.kind || "job"} ${state}${where}${job.title ? ": " + job.title : ""}`;
  // the bar is one line: a failed solve's reason is said above the maps (showSolveFailure), an
  // analysis's in its tab; a request refused at once (no job) says its reason here
  if (job.error) text += job.kind === "solve" ? " — why: above the maps" : job.kind ? " — why: in its tab" : ` — ${job.error.message}`;
  if (job.stop_too_late) text += " — it had finished before Stop took effect";
  $("#job-status").textContent = text;
  $("#job-status").title = text;
  const p = job.progress || {};
  $("#prog-elapsed").textContent = job.elapsed !== null && job.elapsed !== undefined ? job.elapsed.toFixed(1) + " s" : "–";
  // the solve's phase (greedy start, kernel search, relaxation bound, HiGHS, ...), while it runs
  $("#prog-phase").textContent = job.state === "running" && p.phase ? p.phase : "–";
  // an ended job's numbers are its result's (a solve's: its scenario's objective, bound and gap, as the
  // Summary says them; none for a layout the checker rejected), never the last progress report
  const n = jobNumbers(job);
  $("#prog-best").textContent = fmt(n.best);
  $("#prog-bound").textContent = fmt(n.bound);
  $("#prog-gap").textContent = n.gap !== undefined && n.gap !== null ? gapPct(n.gap) : "–";
  $("#stop-btn").disabled = !["queued", "running"].includes(job.state);
  if (!S.view) $("#map-main-title").textContent = noScenarioWords();
}

// the job forms' fields (blank time limit: the server's default); a number out of range comes back
// as a 400 naming the field, from the same rules on the server (server.job_options)
const TIME_LIMIT = ["time_limit", "#time-limit", "Time limit (s) (What-if tab)"];
const ALT_FIELDS = [["n", "#alt-n", "Layouts", { required: true }], ["slack", "#alt-slack", "within … of the optimum", { required: true }], TIME_LIMIT];

async function solve() {
  performance.mark("solve-clicked"); // benchmarks/app_latency.py reads these marks
  const name = $("#scenario-name").value.trim();
  const form = formNumbers([TIME_LIMIT]);
  if (form.errors) { showProblems(); return; }
  const sent = sentEdits();
  try { localStorage.setItem(draftKey() + SENT, sent); } catch (e) { /* storage off: this page only */ }
  showSolveFailure(null);
  await runJob(api("POST", "solve", { instance: S.draft, name, ...form.values }), async (job) => {
    if (!(job.result && job.result.scenario) && ["failed", "cancelled", "stopped"].includes(job.state)) showSolveFailure({ ...job, title: job.title || name });
    if (job.state === "failed") await refreshScenarios(); // kept among the scenarios with its reason
    if (job.result && job.result.scenario) {
      await refreshScenarios();
      await openScenario(job.result.scenario);
      performance.mark("map-updated");
      const saved = (S.scenarios.find((s) => s.id === job.result.scenario) || {}).name;
      settleDraft(sent, name || null, saved); // saved: the scenario holds it ("edit from here")
    }
    if (job.error && job.error.problems) { S.problems = job.error.problems; showProblems(); }
  });
}

async function stopJob() {
  if (!S.job) return;
  try { showJob(await api("POST", `jobs/${S.job.id}/stop`)); } catch (e) { /* already finished */ }
}

/* ---------------------------------------------------------------------------- compare */
async function compareAB() {
  const a = S.cmpA, b = S.cmpB;
  if (!a || !b) { $("#compare-view").replaceChildren(el("p", { class: "bad", text: "Tick one scenario as A and one as B." })); showTab("main-tabs", "tab-", "compare"); return; }
  let c;
  const period = $("#compare-period-label").hidden ? "" : `&period=${encodeURIComponent($("#compare-period").value)}`;
  try { c = await api("GET", `compare?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}${period}`); } catch (e) {
    $("#compare-view").replaceChildren(el("p", { class: "bad", text: e.message })); showTab("main-tabs", "tab-", "compare"); return;
  }
  S.cmp = c;
  const svg = el("svg:svg", { class: "map", id: "map-compare" });
  const hosts = {};
  for (const m of c.moved) {
    for (const r of m.added_in) (hosts[r] = hosts[r] || []).push(`+${m.segment_name}`); // the map's tooltip
    for (const r of m.removed_from) (hosts[r] = hosts[r] || []).push(`−${m.segment_name}`);
  }
  const panel = { title: "moved", colours: c.colours, region_category: c.categories, region_hosts: hosts, flows: [] };
  drawMap(svg, null, panel, { onClick: false });
  const used = new Set(Object.values(c.categories));
  // each colour by what the region does from A to B (the server's words), not its category key
  const legend = el("div", { class: "legend", id: "compare-legend" }, Object.entries(c.colours).filter(([k]) => used.has(k)).map(([k, col]) => el("span", { "data-category": k }, el("i", { style: `background:${col}` }), (c.labels || {})[k] || k)));
  const terms = el("table", { class: "grid", id: "compare-terms" }, el("tr", {}, el("th", { text: "term" }), el("th", { text: "A: " + c.a.name }), el("th", { text: "B: " + c.b.name }), el("th", { text: "B − A" })),
    c.terms.map((t) => el("tr", { "data-term": t.term }, el("td", { text: t.label || termWords(t.term) }), el("td", { class: "num", text: fmt(t.a) }), el("td", { class: "num", text: fmt(t.b) }), el("td", { class: "num", text: fmt(t.change) }))));
  const moved = el("table", { class: "grid", id: "compare-moved" }, el("tr", {}, ["segment", "removed from", "added in", "kept in"].map((h) => el("th", { text: h }))),
    c.moved.map((m) => el("tr", { "data-segment": `${m.chain}/${m.segment}` }, el("td", { text: m.segment_name }), el("td", { text: m.removed_from_names.join(", ") }), el("td", { text: m.added_in_names.join(", ") }), el("td", { text: m.kept_in_names.join(", ") }))));
  const dup = el("table", { class: "grid" }, el("tr", {}, ["layout", "segment", "sites", "regions"].map((h) => el("th", { text: h }))),
    c.duplicated.map((d) => el("tr", {}, el("td", { text: d.layout }), el("td", { text: d.segment_name || d.segment }), el("td", { class: "num", text: d.sites }), el("td", { text: d.regions }))));
  const spec = el("table", { class: "grid" }, el("tr", {}, el("th", { text: "region" }), el("th", { text: "A" }), el("th", { text: "B" })),
    c.relative_specialization.map((r) => el("tr", { "data-region": r.region }, el("td", { text: r.region_name || regionName(r.region) }), el("td", { class: "num", text: fmt(r.a, 3) }), el("td", { class: "num", text: fmt(r.b, 3) }))));
  // each side's status and gap: a difference within them may be the solver's, not the what-if's
  const side = (x) => `${statusWords(x.status_text, x.status)}${gapSaid(x.status, x.gap)}`;
  $("#compare-view").replaceChildren(
    el("h3", { id: "compare-heading", text: `A: ${c.a.name}  →  B: ${c.b.name}${c.period ? " in " + c.period : ""} — ${counted(c.moved.length, "segment")} moved, ${counted(c.distance, "site change")}` }),
    el("p", { id: "compare-status", text: `A: ${side(c.a)}. B: ${side(c.b)}.` }),
    c.warning ? el("p", { id: "compare-warning", class: "bad", text: c.warning }) : "",
    el("div", { class: "cols" }, el("div", {}, svg, legend), el("div", {}, el("h4", { text: c.period ? `Objective terms of ${c.period} (checker; undiscounted)` : "Objective terms (checker)" }), terms)),
    el("h4", { text: "What moved" }), c.moved.length ? moved : el("p", { class: "muted", text: "Nothing moved." }),
    el("div", { class: "cols" },
      el("div", {}, el("h4", { text: "Duplicated segments (more than one site)" }), c.duplicated.length ? dup : el("p", { class: "muted", text: "none" })),
      el("div", {}, el("h4", { text: `Specialization (Krugman): mean inter-regional A ${fmt(c.interregional_mean.a, 3)}, B ${fmt(c.interregional_mean.b, 3)}` }), spec)),
    c.notes.length ? el("ul", { class: "small muted" }, c.notes.map((n) => el("li", { text: n }))) : "");
  showTab("main-tabs", "tab-", "compare");
}

/* ----------------------------------------------------------------- explain, alternatives */
async function explain() {
  if (!S.current) return;
  const seg = $("#explain-segment").value;
  const box = $("#explain-result");
  const form = formNumbers([TIME_LIMIT]);
  if (form.errors) { refuse(box, form.errors); return; }
  const body = { segment: seg, reoptimise: $("#explain-reopt").checked, ...form.values };
  if (S.fullView && S.fullView.periods) body.period = S.view.year; // one milestone of the plan: the one shown
  box.dataset.period = body.period || "";
  box.dataset.key = limitsKey(); // cleared when another scenario or period is shown (showScenario)
  delete box.dataset.job;
  box.replaceChildren(el("p", { class: "muted", text: "working…" }));
  const key = box.dataset.key;
  const sent = api("POST", `scenarios/${encodeURIComponent(S.current)}/explain`, body).then((job) => {
    if (box.dataset.key === key && !box.dataset.job) showExplainQuestion(job); // the box is this job's
    return job;
  });
  await runJob(sent, async (job) => {
    if (job.id) explainEnded(job);
    else if (box.dataset.key === key) showExplainAnswer(job); // refused at once: why, in the tab
  });
}

// the scenario and period a "why here?" job is about, as limitsKey() says the ones shown
const askedKey = (job) => `${job.asked.scenario}@${job.asked.period ?? ""}`;

// the question a "why here?" job answers (job.asked: its scenario, segment, period, re-optimise),
// set in the tab's form; the answer box belongs to that job from now on
function showExplainQuestion(job) {
  const a = job.asked || {}, box = $("#explain-result"), seg = $("#explain-segment");
  if (a.segment && ![...seg.options].some((o) => o.value === a.segment)) seg.append(el("option", { value: a.segment, text: segmentName(a.segment) }));
  if (a.segment) seg.value = a.segment;
  $("#explain-reopt").checked = !!a.reoptimise;
  explainPeriodNote();
  box.dataset.period = a.period ?? "";
  box.dataset.key = askedKey(job);
  box.dataset.job = job.id;
  if (!FINISHED.includes(job.state)) {
    box.replaceChildren(el("p", { class: "muted", id: "explain-question",
      text: `${job.title}${a.reoptimise ? ", the rest re-optimised" : ", all else equal"}: working…` }));
  }
}

function showExplainAnswer(job) {
  const box = $("#explain-result");
  if (!job.result) { box.replaceChildren(el("p", { class: "bad", text: job.error ? job.error.message : job.state })); return; }
  const r = job.result;
  // blocked_by: the instance fields of the rules named in "why" (moves.csv's column)
  const cols = ["region", "change", ...r.columns.filter((c) => c.startsWith("change_")), "why", ...r.columns.filter((c) => c === "blocked_by")];
  const text = r.period
    ? `In ${r.period}, ${r.segment_name || r.segment} sits in ${(r.host_names || r.hosts || []).join(", ")}. Moving all of it to another region in ${r.period} (${r.reoptimise ? "the whole plan re-optimised" : "every other site of the plan as it is"}) changes the plan's discounted objective by:`
    : `${r.segment_name || r.segment} sits in ${(r.host_names || r.hosts || []).join(", ")}. Moving all of it to another region (${r.reoptimise ? "the rest re-optimised" : "all else equal"}) changes the objective by:`;
  const ref = r.base_status && r.base_status !== "optimal"
    ? el("p", { class: "muted", id: "explain-reference", text: "The reference (this layout re-solved the same way) stopped at its share of the time limit: every change is measured against a layout not proven the least." })
    : "";
  // what the Stop left not evaluated, in the server's words (views.explain_view)
  const stopped = r.stopped ? el("p", { class: "bad", id: "explain-stopped", text: r.stopped.text }) : "";
  box.replaceChildren(
    el("p", { id: "explain-heading", text }), stopped, ref,
    el("table", { class: "grid", id: "explain-table" }, el("tr", {}, cols.map((c) => el("th", { text: (r.headers || {})[c] || c.replace("change_", "Δ ").replace("blocked_by", "blocked by") }))),
      // each region by its name (the id: data-region); the rules' instance fields as a tooltip
      r.rows.map((row) => el("tr", { class: row.current ? "selected" : "", "data-region": row.region }, cols.map((c) =>
        c === "region" ? el("td", { text: row.region_name || regionName(row.region) })
        : el("td", { class: typeof row[c] === "number" ? "num" : "", title: c === "blocked_by" && row.blocked_by_fields ? row.blocked_by_fields : null,
            text: typeof row[c] === "number" ? fmt(row[c]) : (row[c] ?? "") }))))));
}

// a "why here?" job ended: kept, to be shown again with its scenario and period; shown now where its
// question is (or, the box empty, its scenario and period are) shown
function explainEnded(job) {
  S.explained[askedKey(job)] = job;
  const box = $("#explain-result");
  if (box.dataset.job === job.id) showExplainAnswer(job);
  else if (!box.dataset.key && askedKey(job) === limitsKey()) { showExplainQuestion(job); showExplainAnswer(job); }
}

// A page opened (or reloaded) during or after a "why here?" shows its question and its answer: the
// latest one, when it still runs or was the last job (its scenario and period shown), else when it
// is about the scenario and period shown. Its answer arrives when it ends, whoever follows the job bar.
async function resumeExplain(jobs) {
  const asked = jobs.filter((j) => j.kind === "explain" && j.asked && j.asked.scenario);
  const job = asked[asked.length - 1];
  if (!job || !S.scenarios.some((s) => s.id === job.asked.scenario)) return; // none, or its scenario deleted
  const a = job.asked, pending = !FINISHED.includes(job.state);
  if (pending || (jobs[jobs.length - 1].id === job.id && !S.keptShown)) { // else: what was shown before the reload
    if (a.period !== null && a.period !== undefined) S.period = a.period;
    if (S.current !== a.scenario) { S.current = a.scenario; setView(await api("GET", `scenarios/${encodeURIComponent(a.scenario)}`)); }
    else setView(S.fullView);
    showScenario();
    showTab("main-tabs", "tab-", "why");
  } else if (askedKey(job) !== limitsKey()) return;
  else if (jobs[jobs.length - 1].id === job.id) showTab("main-tabs", "tab-", "why"); // the last thing asked, on show
  showExplainQuestion(job);
  if (!pending) { explainEnded(job); return; }
  (async () => {
    let done = job;
    while (!FINISHED.includes(done.state)) {
      await new Promise((r) => setTimeout(r, 150));
      try { done = await api("GET", `jobs/${job.id}`); } catch (e) { /* the server is busy: ask again */ }
    }
    explainEnded(done);
  })();
}

// "what each limit costs" (yrdopt prices): one table per kind of limit, the columns the page shows
const LIMIT_TABLES = [
  ["quotas", "Quotas", [["region_name", "region"], ["resource", "resource"], ["quota", "quota"], ["extra", "added by expansions and parks"], ["used", "used"], ["slack", "left"],
    ["use", "used to the limit"], ["value_per_unit", "worth per unit (LP)"], ["worth_unit", "unit"], ["resolved", "worth of one more unit (re-solved)"]]],
  ["guarantees", "Guarantees", [["guarantee", "guarantee"], ["required", "required (a minimum) or allowed (a cap)"], ["value", "reached"],
    ["shortfall", "shortfall"], ["use", "binding"], ["worth", "worth (LP, per unit of value or percentage point; n/a: the LP cannot price it)"],
    ["resolved", "worth relaxed by one step (re-solved)"]]],
  ["budgets", "Change budgets", [["budget", "budget"], ["limit", "limit"], ["used", "used"], ["unit", "unit"], ["use", "used to the limit"],
    ["value_per_unit", "worth per unit (LP)"], ["resolved", "worth of one more (re-solved)"]]],
];

function limitCell(v) {
  if (typeof v === "boolean") return el("td", { text: v ? "yes" : "" });
  if (typeof v === "number") return el("td", { class: "num", text: fmt(v) });
  return el("td", { text: v ?? "" });
}

function limitsKey() { return `${S.current}@${S.fullView && S.fullView.periods ? S.view.year : ""}`; }

// the re-solved limits kept in the scenario's folder (server.kept_limits): shown when this page has
// asked nothing newer about the scenario, after a reload and after the server restarted alike
function keptLimits() {
  const kept = S.fullView && S.fullView.limits_kept;
  return kept && kept.asked && `${kept.asked.scenario}@${kept.asked.period ?? ""}` === limitsKey() ? kept : null;
}

async function priceLimits() {
  if (!S.current) return;
  const box = $("#limits-result");
  const form = formNumbers([TIME_LIMIT]);
  if (form.errors) { refuse(box, form.errors); return; }
  const body = { ...form.values };
  if (S.fullView && S.fullView.periods) body.period = S.view.year; // one milestone of the plan: the one shown
  else body.reoptimise = $("#limits-reopt").checked;
  const key = limitsKey();
  box.dataset.key = key;
  box.replaceChildren(el("p", { class: "muted", text: "working…" }));
  await runJob(api("POST", `scenarios/${encodeURIComponent(S.current)}/prices`, body).then((job) => {
    S.priced[key] = job;
    return job;
  }), async (job) => {
    if (job.id) S.priced[key] = job; // refused at once: said here, not kept
    if (box.dataset.key === key) showLimitsAnswer(job); // else another scenario or period is shown: kept for it
  });
}

// "what each limit costs" asked about the scenario and period shown: working, its tables, or why none
function showLimitsAnswer(job) {
  const box = $("#limits-result");
  box.dataset.key = job.asked && job.asked.scenario ? askedKey(job) : limitsKey();
  const again = !!(job.asked && job.asked.reoptimise);
  if (job.asked && job.asked.scenario) $("#limits-reopt").checked = again; // the question the answer is to
  if (!FINISHED.includes(job.state)) {
    box.replaceChildren(el("p", { class: "muted", id: "limits-question", text: `${job.title || "what each limit costs"}: working…` }));
    return;
  }
  if (!job.result) { box.replaceChildren(el("p", { class: "bad", text: job.error ? job.error.message : job.state })); return; }
  const r = job.result;
  const within = job.asked && job.asked.time_limit ? ` within ${fmt(job.asked.time_limit)} s` : "";
  const parts = [el("p", { id: "limits-heading", text: `${r.period ? "In " + r.period + ", w" : "W"}ith this layout's sites kept, the objective${r.period ? " (the plan's, discounted)" : ""} is ${fmt(r.objective)}. What one more unit of each limit is worth${r.reoptimised ? ` (each limit used to the limit also re-solved, the sites free to move${within})` : ""}:` })];
  // the planner's Stop: the re-solves from then on had no time, each row says so
  if (r.stopped) parts.push(el("p", { class: "bad", id: "limits-stopped", text: "Stopped by you: a limit re-solved when Stop came shows the interval its bounds prove, those after it were not re-solved." }));
  // a layout not proven best (today's, one stopped at its time limit): a re-solve's gain is partly the layout's own
  if (r.unproven) parts.push(el("p", { class: "bad", id: "limits-unproven", text: r.unproven }));
  for (const [key, title, cols] of LIMIT_TABLES) {
    const t = r[key];
    if (!t || !t.rows.length) continue;
    const shown = cols.filter(([c]) => t.columns.includes(c));
    parts.push(el("h4", { text: title }), el("table", { class: "grid", id: `limits-${key}` },
      el("tr", {}, shown.map(([, label]) => el("th", { text: label }))),
      t.rows.map((row) => el("tr", { class: row.use ? "selected" : "", "data-region": row.region || null },
        shown.map(([c]) => limitCell(c === "resource" && row.resource_unit ? `${row.resource} (${row.resource_unit})` : row[c]))))),
    r.notes && r.notes[key] ? el("p", { class: "muted small", text: r.notes[key] }) : "");
  }
  if (parts.length === 1) parts.push(el("p", { class: "muted", text: "This instance has no quota, guarantee or change budget with a limit: nothing to price." }));
  box.replaceChildren(...parts);
}

// A page opened (or reloaded) knows the limits priced before, each with its scenario and period: the
// latest per scenario and period, shown with them; one still running is followed to its end.
function resumeLimits(jobs) {
  for (const job of jobs.filter((j) => j.kind === "prices" && j.asked && j.asked.scenario)) {
    if (!S.scenarios.some((s) => s.id === job.asked.scenario)) continue; // its scenario deleted
    const key = askedKey(job);
    S.priced[key] = job;
    if (FINISHED.includes(job.state)) continue;
    (async () => {
      let done = job;
      while (!FINISHED.includes(done.state)) {
        await new Promise((r) => setTimeout(r, 150));
        try { done = await api("GET", `jobs/${job.id}`); } catch (e) { /* the server is busy: ask again */ }
      }
      if (S.priced[key] && S.priced[key].id !== job.id) return; // asked again since
      S.priced[key] = done;
      if (limitsKey() === key) showLimitsAnswer(done);
    })();
  }
  const shown = S.priced[limitsKey()] || keptLimits();
  if (shown) showLimitsAnswer(shown);
}

async function findAlternatives() {
  if (!S.current) return;
  const form = formNumbers(ALT_FIELDS);
  if (form.errors) { refuse($("#alt-result"), form.errors); return; }
  $("#alt-result").replaceChildren(el("p", { class: "muted", text: "working…" }));
  await runJob(api("POST", `scenarios/${encodeURIComponent(S.current)}/alternatives`, form.values), async (job) => {
    await refreshScenarios();
    const r = job.result;
    const saved = r ? `${counted(r.scenarios.length, "alternative")} saved as ${r.scenarios.length === 1 ? "a scenario" : "scenarios"}` : "";
    // each one listed: its name (opens it), its cost, how far above its parent
    const found = r ? S.scenarios.filter((s) => r.scenarios.includes(s.id)) : [];
    $("#alt-result").replaceChildren(el("p", { text: r ? `${saved}${r.stopped ? " (" + r.stopped + ")" : ""}${found.length ? ":" : "."}` : (job.error ? job.error.message : job.state) }),
      found.length ? el("table", { class: "grid", id: "alt-table" }, el("tr", {}, ["scenario", "objective", "status"].map((h) => el("th", { text: h }))),
        found.map((s) => el("tr", { "data-id": s.id },
          el("td", {}, el("a", { href: "#", text: s.name, onclick: (e) => { e.preventDefault(); openScenario(s.id); } })),
          el("td", { class: "num", text: fmt(s.objective) }), el("td", { text: s.status_text || s.status })))) : "");
  });
}

/* ------------------------------------------------------------------------------- start */
async function start() {
  tabs("side-tabs", "tab-");
  tabs("main-tabs", "tab-");
  S.boot = await api("GET", "bootstrap");
  S.draft = JSON.parse(JSON.stringify(S.boot.instance));
  $("#instance-name").textContent = `instance ${S.boot.instance_name} · ${S.boot.geometry.regions.length} regions`;
  restoreTimeLimit();
  $("#draft-source").textContent = "from the opened instance";
  const restored = restoreDraft();
  if (!S.boot.solver.stop) $("#stop-btn").title = "this yrdopt cannot interrupt a running solve; Stop cancels queued jobs";
  $("#solve-btn").addEventListener("click", solve);
  for (const sel of ["#time-limit", "#alt-n", "#alt-slack"]) $(sel).addEventListener("input", () => { formFieldError($(sel)); showProblems(); });
  $("#time-limit").addEventListener("input", keepTimeLimit);
  $("#alt-slack").addEventListener("input", () => { // the slack as the percentage it means (0.05: 5 %)
    const r = parseNumber($("#alt-slack").value);
    $("#alt-slack-pct").textContent = r.value !== null && r.value !== undefined ? `(${fmt(100 * r.value)} %)` : "";
  });
  $("#stop-btn").addEventListener("click", stopJob);
  $("#reset-btn").addEventListener("click", () => { S.draft = JSON.parse(JSON.stringify(S.boot.instance)); $("#draft-source").textContent = "from the opened instance"; $("#scenario-name").value = ""; forgetDraft(); renderEditor(); onDraftChanged(); });
  $("#scenario-name").addEventListener("input", keepDraft);
  $("#compare-btn").addEventListener("click", compareAB);
  $("#explain-btn").addEventListener("click", explain);
  $("#explain-reopt").addEventListener("change", explainPeriodNote);
  $("#alt-btn").addEventListener("click", findAlternatives);
  $("#limits-btn").addEventListener("click", priceLimits);
  $("#panel-select").addEventListener("change", (e) => { S.panelKey = e.target.value; renderMaps(); });
  $("#period-select").addEventListener("change", (e) => { S.period = Number(e.target.value); setView(S.fullView); showScenario(); });
  $("#changes-kept").addEventListener("change", renderChanges);
  $("#scenario-select").addEventListener("change", (e) => { leaveSolveFailure(); openScenario(e.target.value); });
  renderEditor();
  if (restored) onDraftChanged(); // its change list and problems
  S.scenarios = S.boot.scenarios;
  // the scenario and period shown before a reload, else (none kept, or a scenario solved since) the latest
  const kept = keptShown();
  S.keptShown = !!kept;
  if (kept && kept.period !== null && kept.period !== undefined) S.period = kept.period;
  const last = kept ? S.scenarios.find((s) => s.id === kept.scenario) : S.scenarios.filter(hasPlan).pop();
  // today's layout and the latest scenario in parallel
  const [baseView, lastView] = await Promise.all([
    S.boot.baseline_id ? api("GET", `scenarios/${encodeURIComponent(S.boot.baseline_id)}`) : null,
    last ? api("GET", `scenarios/${encodeURIComponent(last.id)}`) : null]);
  S.baseView = baseView;
  if (S.boot.baseline_id) S.cmpB = S.boot.baseline_id;
  await refreshScenarios();
  if (last) { S.current = last.id; setView(lastView); showScenario(); }
  else { fillPanelSelect(); renderMaps(); renderSummary(); }
  await resumeExplain(S.boot.jobs || []);
  resumeLimits(S.boot.jobs || []);
  adoptJobs(S.boot.jobs || []); // not awaited: the page is ready while they run
  document.body.dataset.ready = "1";
  performance.mark("ready");
}

document.addEventListener("DOMContentLoaded", () => start().catch((e) => {
  document.body.prepend(el("div", { class: "problems", text: "The workbench could not start: " + e.message }));
}));
