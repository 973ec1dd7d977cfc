// unrest live view: one simulation per tab, driven over a WebSocket.
// Protocol: docs/web.md. No libraries, no network beyond this server.
"use strict";

const $ = (id) => document.getElementById(id);

// Cell codes (protocol) -> colour and legend label. Codes 7 and 8 are Model
// II's second ethnic group ("group B"), drawn in their own colours.
const CELLS = [
  { code: 0, name: "empty", color: "#f4f3ef", legend: false },
  { code: 1, name: "quiet", color: "#5b8fd6" },
  { code: 2, name: "active", color: "#e0452b" },
  { code: 3, name: "jailed (on site)", color: "#8a8a8a", rare: true },
  { code: 4, name: "police", color: "#1d1d1f" },
  { code: 5, name: "foreign forces", color: "#8d3fd1", rare: true },
  { code: 6, name: "killed (last 10 steps)", color: "#a36f00", rare: true },
  { code: 7, name: "quiet, group B", color: "#3fa36b", group: true },
  { code: 8, name: "active, group B", color: "#f08c1a", group: true },
];
// States marked `rare` are listed in the legend only once a frame shows them
// (jailed agents stay on their site only under some rules, and so on);
// those marked `group` only in a run with two ethnic groups.
const RGB = CELLS.map((c) => [1, 3, 5].map((i) => parseInt(c.color.slice(i, i + 2), 16)));

// Chart series: index into a counts row [step, quiet, active, jailed, dead,
// cops, arrests, kills, killed]; `dead` includes Model II's deaths from old
// age, `killed` is the running total of killings. `on`: drawn (the boxes
// under the chart).
// `panel: "protest"`: on the protest panel when the chart is split;
// `country`: only a country has it (`detained`, row[10], people detained so
// far in agents).
const SERIES = [
  { name: "quiet", idx: 1, color: "#5b8fd6", on: true },
  { name: "active", idx: 2, color: "#e0452b", on: true, panel: "protest" },
  { name: "jailed", idx: 3, color: "#8a8a8a", on: true, panel: "protest" },
  { name: "police", idx: 5, color: "#1d1d1f", on: true },
  { name: "killed", idx: 8, color: "#a36f00", on: true, panel: "protest" },
  { name: "detained", idx: 10, color: "#2e7d32", on: true, panel: "protest", country: true },
];
const isCountry = () => !!state.info && state.info.kind === "country";
// The series this run has.
const seriesHere = () => SERIES.filter((s) => !s.country || isCountry());
// Legitimacy L over time (row[9]; the mean over constituencies on a
// country), drawn on its own 0–1 axis at the right.
const LEGIT = { name: "legitimacy L (right axis)", color: "#00796b", on: true };
const CHART_CAP = 20000;

const state = {
  session: null,
  ws: null,
  generation: 0,
  counts: [],
  stride: 1,
  seenCells: {},
  events: [],
  regionHistory: [],
  playing: false,
  policy: {},
  info: null,
  chartDirty: false,
  retries: 0,
};

function setConnection(text, bad) {
  const el = $("connection");
  el.textContent = text;
  el.classList.toggle("bad", !!bad);
}

function notice(text) {
  $("notice").textContent = text;
}

// Sends a command; a command clears the last notice (its answer, if any,
// comes as a new one). `raw` is the JSON text when it cannot be built by
// JSON.stringify (a seed above 2^53).
function send(msg, raw) {
  if (state.ws && state.ws.readyState === WebSocket.OPEN) {
    notice("");
    state.ws.send(raw || JSON.stringify(msg));
  } else {
    notice("not connected to the server: that was not sent");
  }
}

async function errorText(resp) {
  try {
    const body = await resp.json();
    return body.error && body.error.message ? body.error.message : resp.statusText;
  } catch (_) {
    return resp.statusText;
  }
}

// ----- session and socket ---------------------------------------------------

// Starts a session (on `scenario` with `seed` if given) and connects to it.
// On a busy server, an error or no server at all it tries again later, so a
// tab always comes back once the server can take it.
async function startSession(scenario, seed) {
  let resp;
  try {
    const req = {};
    if (scenario) req.scenario = scenario;
    let body = Object.keys(req).length ? JSON.stringify(req) : "";
    if (seed !== undefined && seed !== null) body = `{"scenario": ${JSON.stringify(scenario)}, "seed": ${seed}}`;
    resp = await fetch("/api/sessions", { method: "POST", body, headers: { "Content-Type": "application/json" } });
  } catch (_) {
    setConnection("disconnected — reconnecting…", true);
    setTimeout(() => startSession(scenario, seed), 2000);
    return false;
  }
  if (!resp.ok) {
    const msg = await errorText(resp);
    const busy = resp.status === 503;
    setConnection(busy ? "server busy — retrying…" : "no session", true);
    notice(msg);
    if (busy) setTimeout(() => startSession(scenario, seed), 5000);
    else if (scenario) setTimeout(() => startSession(), 2000);
    return false;
  }
  const { id } = await resp.json();
  state.session = id;
  state.retries = 0;
  connect();
  return true;
}

// The tab's simulation is gone (the server restarted, or dropped it after
// being idle): start the same scenario again with the same seed, an
// uploaded one from its text, and say so.
async function restartSession() {
  const info = state.info;
  const upload = state.upload;
  const builtin = info && !upload && [...$("scenario-picker").options].some((o) => o.value === info.name);
  state.restored = info ? { name: info.name, seed: info.seedText, upload: !builtin && upload } : null;
  if (builtin) await startSession(info.name, info.seedText);
  else await startSession();
}

function connect() {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(`${proto}//${location.host}/api/sessions/${state.session}/ws`);
  ws.binaryType = "arraybuffer";
  state.ws = ws;
  ws.onopen = () => {
    setConnection("connected");
    // The server's speed is this tab's choice (a new session starts at 10/s).
    $("speed").dispatchEvent(new Event("change"));
  };
  ws.onmessage = (ev) => {
    if (typeof ev.data === "string") {
      const m = JSON.parse(ev.data);
      // Seeds may exceed 2^53: keep the digits as sent.
      if (m.type === "scenario") m.info.seedText = (ev.data.match(/"seed":(\d+)/) || [])[1] || String(m.info.seed);
      onMessage(m);
    } else drawFrame(ev.data);
  };
  ws.onclose = () => {
    if (state.ws !== ws) return;
    setConnection("disconnected — reconnecting…", true);
    state.playing = false;
    $("play").textContent = "▶ Play";
    $("play").classList.remove("on");
    state.retries += 1;
    // The session may have been dropped while the tab slept: start a new one.
    if (state.retries > 3) {
      state.retries = 0;
      setTimeout(restartSession, 1000);
    } else {
      setTimeout(connect, 1000);
    }
  };
}

function onMessage(m) {
  if (m.type === "scenario") {
    state.generation = m.generation;
    const before = state.info ? state.info.name : null;
    state.info = m.info;
    state.counts = [];
    state.stride = 1;
    state.seenCells = {};
    drawLegend(m.legend, m.info);
    state.events = [];
    state.regionHistory = [];
    state.stripDirty = true;
    $("strip-box").hidden = m.info.kind !== "country";
    $("event-log").replaceChildren();
    $("scenario-title").textContent = `${m.info.name} — ${m.info.width}×${m.info.height}, seed ${m.info.seedText || m.info.seed}`;
    buildRegions(m.info);
    // A country's quiet count dwarfs its actives: log scale by default there.
    $("log-scale").checked = m.info.kind === "country";
    // And its protest (active, jailed, killed, detained) gets a panel of its own.
    $("split-panel").checked = m.info.kind === "country";
    for (const l of $("series").querySelectorAll("label[data-country]")) l.hidden = m.info.kind !== "country";
    // People are a choice only where one agent stands for more than one.
    const ppa = m.info.people_per_agent || 1;
    const people = $("units").querySelector('option[value="people"]');
    people.disabled = ppa === 1;
    people.textContent = ppa === 1 ? "people (1 agent = 1 person here)" : `people (1 agent = ${short(ppa)})`;
    if ($("units").value === "people" && ppa === 1) $("units").value = "agents";
    $("inspect").textContent = "Hover or tap a site to read its agent.";
    state.tableDirty = true;
    $("scenario-desc").textContent = m.info.description;
    $("sampling").textContent = `Lattice: ${m.info.sampling}.`;
    // The stop step: a lattice's own (or the one set here); a country ends with its calendar.
    const stop = $("stop-at");
    const country = m.info.kind === "country";
    stop.disabled = country;
    if (!stop.dataset.help) stop.dataset.help = stop.title;
    stop.title = country ? `${stop.dataset.help}. Off on a country: its run ends with its calendar.` : stop.dataset.help;
    if (document.activeElement !== stop) stop.value = country ? "" : m.info.steps;
    // Not while the user is typing a seed of their own.
    if (document.activeElement !== $("seed")) $("seed").value = m.info.seedText || m.info.seed;
    $("upload-error").hidden = true;
    followPicker(m.info.name, before);
    const r = state.restored;
    if (r) {
      state.restored = null;
      if (r.upload && r.upload.text) {
        uploadText(r.upload.name, r.upload.text, `the server lost this tab's simulation (restarted, or idle too long); ${r.upload.name} was uploaded again and starts from step 0`);
      } else if (r.name === m.info.name) {
        notice(`the server lost this tab's simulation (restarted, or idle too long): ${r.name} was started again from step 0 with seed ${r.seed}; sliders and policies are back to the scenario's values`);
      } else {
        notice(`the server lost this tab's simulation (restarted, or idle too long); ${r.name} could not be restored: this is a new ${m.info.name} run`);
      }
    }
  } else if (m.type === "state") {
    if (m.generation !== state.generation) return;
    for (const row of m.counts) pushRow(row);
    for (const e of m.events) addEvent(e);
    state.playing = m.playing;
    state.policy = m.policy || {};
    updateReadouts(m);
    updateRegions(m);
    for (const n of m.notices) notice(n);
    state.chartDirty = true;
  } else if (m.type === "inspect") {
    showInspect(m.site);
  } else if (m.type === "error") {
    notice(m.message);
  }
}

// The chart keeps at most CHART_CAP rows from the first step on: when full,
// every other row goes and only every `stride`-th step is kept from then on
// (as the server does), so a long run is thinned rather than cut.
function pushRow(row) {
  const c = state.counts;
  const last = c[c.length - 1];
  if (c.length > 1 && last[0] % state.stride !== 0) c.pop();
  c.push(row);
  if (c.length > CHART_CAP) {
    state.stride *= 2;
    state.counts = c.filter((r, i) => i === 0 || i === c.length - 1 || r[0] % state.stride === 0);
  }
}

// The date and time at the end of `step` on a country's calendar (UTC, as
// the scenario writes its dates), or null for a lattice.
function dateOf(step) {
  const cal = state.info && state.info.calendar;
  if (!cal) return null;
  const t0 = Date.parse(cal.start + "Z");
  return Number.isNaN(t0) ? null : new Date(t0 + step * cal.step_hours * 3600e3);
}

// "2022-01-05 06:00" (UTC), or "" without a calendar.
function dateText(step) {
  const d = dateOf(step);
  return d ? d.toISOString().slice(0, 16).replace("T", " ") : "";
}

// An event's label with its target regions and note, as the list and the
// chart's hover text give it; its source goes on a line of its own.
function eventText(e) {
  let t = e.label;
  if (e.regions && e.regions !== "all") t += ` [${e.regions}]`;
  if (e.note) t += ` — ${e.note}`;
  return t;
}

function addEvent(e) {
  state.events.push(e);
  const li = document.createElement("li");
  const d = dateText(e.step);
  li.textContent = `step ${e.step}${d ? ` (${d})` : ""}: ${eventText(e)}`;
  if (e.source) {
    const src = document.createElement("span");
    src.className = "src";
    src.textContent = `source: ${e.source}`;
    li.appendChild(src);
  }
  li.dataset.event = e.event;
  $("event-log").appendChild(li);
  li.scrollIntoView({ block: "nearest" });
}

// ----- country view: regions as a heat map -------------------------------------

function buildRegions(info) {
  const box = $("regions");
  box.replaceChildren();
  const country = info.kind === "country";
  box.hidden = !country;
  for (const name of ["cop_density", "risk_aversion_scale", "vision"]) {
    const input = $(name);
    input.disabled = country;
    const typed = $(`${name}-val`).querySelector("button");
    if (typed) typed.disabled = country;
    // A disabled control says why (its title is its tooltip).
    if (!input.dataset.help) input.dataset.help = input.title;
    input.title = country ? `${input.dataset.help}. Off on a country: the country model sets it per region.` : input.dataset.help;
  }
  $("disabled-why").hidden = !country;
  $("region-counts").textContent = "";
  $("region-counts").hidden = !country;
  const key = $("heat-key");
  key.hidden = !country;
  if (country) {
    key.replaceChildren("Tile colour: active share of free citizens, 0%");
    const bar = document.createElement("span");
    bar.className = "heat-bar";
    bar.style.background = `linear-gradient(to right, ${[0, 0.25, 0.5, 0.75, 1].map((t) => heat(0.2 * t * t)).join(", ")})`;
    key.append(bar, "20% and more (square-root scale).");
  }
  state.regionsNow = null;
  buildMap(info);
  if (!country) return;
  info.regions.forEach((name, i) => {
    const b = document.createElement("button");
    b.type = "button";
    b.dataset.region = i;
    b.title = `open ${name}'s lattice`;
    b.append(name, document.createElement("b"));
    b.onclick = () => send({ cmd: "region", index: i });
    box.appendChild(b);
  });
}

// White to red as the active share of free citizens goes from 0 to 20% and above.
function heat(share) {
  const t = Math.min(1, Math.sqrt(Math.max(0, share) / 0.2));
  const mix = (a, b) => Math.round(a + (b - a) * t);
  return `rgb(${mix(250, 224)}, ${mix(249, 69)}, ${mix(246, 43)})`;
}

// ----- country view: the map ---------------------------------------------------
// A country with boundaries (info.map: the built-ins ship Natural Earth's
// admin-1 units; docs/web.md) is drawn as a map: each unit in its region's
// colour on a log scale of the active share (0.1% to 30%: 1% and 10% fall far
// apart), hover to read the region's numbers, click (or Enter) to open its
// lattice. Regions too small to see, and those with no boundary of their own
// (a Point), get a disc. Without a map the tiles alone show the regions.

const MAP_STOPS = ["#fff7d6", "#fee391", "#fec44f", "#fe9929", "#ec7014", "#cc4c02", "#993404", "#5c1a02"];
const MAP_LO = 0.001, MAP_HI = 0.3;

// The colour of an active share on the map's log scale.
function mapColor(share) {
  const t = share <= MAP_LO ? 0 : Math.min(1, Math.log10(share / MAP_LO) / Math.log10(MAP_HI / MAP_LO));
  const x = t * (MAP_STOPS.length - 1);
  const i = Math.min(MAP_STOPS.length - 2, Math.floor(x));
  const f = x - i;
  const a = MAP_STOPS[i], b = MAP_STOPS[i + 1];
  const ch = (c, k) => parseInt(c.slice(1 + 2 * k, 3 + 2 * k), 16);
  return `rgb(${[0, 1, 2].map((k) => Math.round(ch(a, k) + (ch(b, k) - ch(a, k)) * f)).join(", ")})`;
}

// Where on the key's bar (0 to 1) a share falls.
function mapT(share) {
  return share <= MAP_LO ? 0 : Math.min(1, Math.log10(share / MAP_LO) / Math.log10(MAP_HI / MAP_LO));
}

// Keeps the map beside the lattice, or, on a phone, at the top of the chart
// panel (after the run controls, so Play stays on the first screen).
const phone = window.matchMedia("(max-width: 700px)");
function placeMap() {
  const box = $("map-box");
  const home = phone.matches ? $("chart-panel") : $("lattice-panel");
  if (box.parentElement !== home) home.prepend(box);
}
phone.addEventListener("change", placeMap);

function buildMap(info) {
  const svg = $("map");
  const NS = "http://www.w3.org/2000/svg";
  svg.replaceChildren();
  state.mapShapes = [];
  const map = info.kind === "country" ? info.map : null;
  $("map-box").hidden = !map;
  $("map-note").hidden = !info.map_note;
  $("map-note").textContent = info.map_note || "";
  if (!map) return;
  placeMap();
  // Equirectangular, x shrunk by cos(mid-latitude): shapes look as on a map.
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  const eachPos = (f, fn) => {
    if (f.type === "Point") fn(f.coordinates);
    else for (const poly of f.type === "Polygon" ? [f.coordinates] : f.coordinates) for (const ring of poly) for (const p of ring) fn(p);
  };
  for (const f of map.features) eachPos(f, ([x, y]) => { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); });
  const kx = Math.cos(((y0 + y1) / 2) * Math.PI / 180);
  const W = 1000, pad = 12;
  const k = (W - 2 * pad) / Math.max(1e-9, (x1 - x0) * kx);
  const H = Math.round((y1 - y0) * k + 2 * pad);
  const P = ([x, y]) => [pad + (x - x0) * kx * k, pad + (y1 - y) * k];
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
  const shapes = [], discs = [];
  const first = {};
  const add = (el, f, i) => {
    el.dataset.unit = f.unit;
    if (i >= 0) {
      el.dataset.region = i;
      // One shape per region takes focus and speaks for it; the others are its parts.
      if (first[i] === undefined) {
        first[i] = el;
        el.setAttribute("tabindex", "0");
        el.setAttribute("role", "button");
      } else el.setAttribute("aria-hidden", "true");
    } else {
      el.classList.add("none");
      el.setAttribute("aria-hidden", "true");
    }
    state.mapShapes.push(el);
  };
  const disc = (f, i, [cx, cy]) => {
    const c = document.createElementNS(NS, "circle");
    c.setAttribute("cx", cx.toFixed(1));
    c.setAttribute("cy", cy.toFixed(1));
    c.setAttribute("r", "11");
    c.setAttribute("class", "unit disc");
    add(c, f, i);
    discs.push(c);
  };
  for (const f of map.features) {
    const i = f.region === null ? -1 : info.regions.indexOf(f.region);
    if (f.type === "Point") {
      disc(f, i, P(f.coordinates));
      continue;
    }
    let d = "";
    let bx0 = Infinity, bx1 = -Infinity, by0 = Infinity, by1 = -Infinity;
    for (const poly of f.type === "Polygon" ? [f.coordinates] : f.coordinates) {
      for (const ring of poly) {
        ring.forEach((p, j) => {
          const [x, y] = P(p);
          bx0 = Math.min(bx0, x); bx1 = Math.max(bx1, x); by0 = Math.min(by0, y); by1 = Math.max(by1, y);
          d += `${j ? "L" : "M"}${x.toFixed(1)} ${y.toFixed(1)}`;
        });
        d += "Z";
      }
    }
    const path = document.createElementNS(NS, "path");
    path.setAttribute("d", d);
    path.setAttribute("fill-rule", "evenodd");
    path.setAttribute("class", "unit");
    add(path, f, i);
    shapes.push(path);
    // A city a few pixels across: a disc over it, so it can be seen and hit.
    if (i >= 0 && Math.max(bx1 - bx0, by1 - by0) < 18) disc(f, i, [(bx0 + bx1) / 2, (by0 + by1) / 2]);
  }
  svg.append(...shapes, ...discs);
  state.mapShown = undefined;
  // The key: the log scale's bar with 0.1%, 1%, 10% and 30% marked, then
  // what the other marks mean.
  const key = $("map-key");
  key.replaceChildren();
  const el = (tag, cls, text) => Object.assign(document.createElement(tag), cls ? { className: cls } : {}, text ? { textContent: text } : {});
  const scale = el("span", "scale");
  const bar = el("span", "bar");
  bar.style.background = `linear-gradient(to right, ${Array.from({ length: 11 }, (_, j) => mapColor(MAP_LO * Math.pow(MAP_HI / MAP_LO, j / 10))).join(", ")})`;
  const ticks = el("span", "ticks");
  for (const [v, label] of [[0.001, "0.1%"], [0.01, "1%"], [0.1, "10%"], [0.3, "30%+"]]) {
    const t = el("span", "", label);
    t.style.left = `${100 * mapT(v)}%`;
    ticks.appendChild(t);
  }
  scale.append(bar, ticks);
  const line1 = el("div", "key-row");
  line1.append(el("span", "", "Active share of free citizens, log scale:"), scale);
  const line2 = el("div", "key-row");
  const swatch = (color, text) => {
    const sw = el("span", "low");
    sw.style.background = color;
    line2.append(sw, el("span", "", text));
  };
  swatch(mapColor(0), "below 0.1%");
  if (map.features.some((f) => f.region === null)) swatch("#d9d7d0", "not a region of the scenario");
  if (discs.length) {
    const kinds = [];
    if (map.features.some((f) => f.type !== "Point" && discs.some((d) => d.dataset.unit === f.unit))) kinds.push("a city too small to see");
    if (map.features.some((f) => f.type === "Point")) kinds.push("a region with no boundary in the source, at its centre");
    line2.append(el("span", "low round"), el("span", "", `disc: ${kinds.join("; ")}`));
  }
  key.append(line1, line2);
  $("map-credit").textContent = map.attribution || "";
  // Hover or focus reads a region; click, Enter or Space opens its lattice.
  const regionOf = (ev) => {
    const el = ev.target.closest && ev.target.closest("[data-region]");
    return el ? Number(el.dataset.region) : null;
  };
  svg.onmousemove = (ev) => showMapTip(regionOf(ev), ev.target.dataset ? ev.target.dataset.unit : "", ev);
  svg.onmouseleave = () => showMapTip(null);
  svg.onclick = (ev) => {
    const i = regionOf(ev);
    if (i !== null) send({ cmd: "region", index: i });
  };
  svg.onkeydown = (ev) => {
    const i = regionOf(ev);
    if (i !== null && (ev.key === "Enter" || ev.key === " ")) {
      ev.preventDefault();
      send({ cmd: "region", index: i });
    }
  };
  svg.onfocusin = (ev) => showMapTip(regionOf(ev), "", null, ev.target);
  svg.onfocusout = () => showMapTip(null);
  if (state.regionsNow) updateMap(state.regionsNow, state.viewRegion);
}

// A region's numbers as the map's hover text gives them.
function regionText(r, unit) {
  const ppa = (state.info && state.info.people_per_agent) || 1;
  let t = `${r.name}${unit && unit !== r.name ? ` (${unit})` : ""}: ${(100 * r.share).toFixed(2)}% active — ${r.active} active of ${r.free} free citizens`;
  if (ppa !== 1) t += ` (≈ ${short(r.active * ppa)} of ${short(r.free * ppa)} people)`;
  return t;
}

function showMapTip(i, unit, ev, el) {
  const tip = $("map-tip");
  const shapes = state.mapShapes || [];
  for (const s of shapes) s.classList.toggle("hover", i !== null && s.dataset.region === String(i));
  const r = i !== null && state.regionsNow ? state.regionsNow[i] : null;
  if (!r) {
    tip.hidden = true;
    return;
  }
  tip.replaceChildren();
  tip.append(Object.assign(document.createElement("div"), { textContent: regionText(r, unit) }));
  const open = state.viewRegion === i ? "its lattice is shown below" : "click to open its lattice";
  tip.append(Object.assign(document.createElement("div"), { className: "ev", textContent: open }));
  tip.hidden = false;
  const box = $("map").parentElement.getBoundingClientRect();
  let px, py;
  if (ev) {
    px = ev.clientX - box.left;
    py = ev.clientY - box.top;
  } else {
    const b = el.getBoundingClientRect();
    px = b.left + b.width / 2 - box.left;
    py = b.top + b.height / 2 - box.top;
  }
  tip.style.left = `${Math.max(0, Math.min(px + 12, box.width - tip.offsetWidth))}px`;
  tip.style.top = `${Math.max(0, py + 12)}px`;
}

function updateMap(regions, shown) {
  // The open region's shapes on top of their neighbours, so its outline shows whole.
  if (state.mapShown !== shown) {
    state.mapShown = shown;
    const svg = $("map");
    const firstDisc = svg.querySelector("circle");
    for (const p of svg.querySelectorAll(`path[data-region="${shown}"]`)) svg.insertBefore(p, firstDisc);
  }
  for (const s of state.mapShapes || []) {
    if (s.dataset.region === undefined) continue;
    const i = Number(s.dataset.region);
    const r = regions[i];
    if (!r) continue;
    s.setAttribute("fill", mapColor(r.share));
    s.classList.toggle("sel", i === shown);
    if (s.getAttribute("role") === "button") s.setAttribute("aria-label", `${regionText(r, "")}${i === shown ? ", shown" : ", press to open its lattice"}`);
  }
}

function updateRegions(m) {
  // Each region's active share at this step, for the strip under the chart.
  if (m.regions && m.regions.length && typeof m.step === "number") {
    const h = state.regionHistory;
    const last = h[h.length - 1];
    const shares = m.regions.map((r) => r.share);
    if (!last || last[0] !== m.step) h.push([m.step, shares]);
    else last[1] = shares;
    if (h.length > 4000) state.regionHistory = h.filter((_, i) => i % 2 === 0 || i === h.length - 1);
    state.stripDirty = true;
  }
  if (m.view) {
    $("sampling").textContent = `Lattice: ${m.view.sampling}.`;
    if (state.info) $("scenario-title").textContent = `${state.info.name} — ${m.view.width}×${m.view.height}, seed ${state.info.seedText || state.info.seed}`;
  }
  if (m.regions && m.regions.length) {
    state.regionsNow = m.regions;
    state.viewRegion = m.view ? m.view.region : null;
    updateMap(m.regions, state.viewRegion);
  }
  const buttons = $("regions").querySelectorAll("button");
  (m.regions || []).forEach((r, i) => {
    const b = buttons[i];
    if (!b) return;
    b.style.background = heat(r.share);
    // Black text stays above 4.5:1 on every tile colour, the darkest red too.
    b.querySelector("b").textContent = `${(100 * r.share).toFixed(1)}% active`;
    b.setAttribute("aria-label", `${r.name}: ${(100 * r.share).toFixed(1)}% of ${r.free} free citizens active${m.view && m.view.region === i ? ", shown" : ""}`);
    const sel = !!m.view && m.view.region === i;
    if (sel) $("region-counts").textContent = `${r.name}: ${r.active} active of ${r.free} free citizens (${(100 * r.share).toFixed(2)}%); the counts and chart are national`;
    b.classList.toggle("sel", sel);
    if (sel) b.setAttribute("aria-current", "true");
    else b.removeAttribute("aria-current");
  });
}

// ----- readouts and controls ----------------------------------------------------

const SLIDERS = ["legitimacy", "cop_density", "risk_aversion_scale", "vision"];
let dragging = null;
// A slider the user just moved (by drag, key, click or tap) keeps its value
// until the server reports it back, or for HOLD_MS after the last input, so
// that state messages sent before the server applied it do not undo it.
const HOLD_MS = 1500;
const held = {};

function isHeld(name, v) {
  const h = held[name];
  if (!h) return false;
  if (performance.now() - h.at > HOLD_MS || (h.sent && Math.abs(Number(v) - h.value) < 1e-9)) {
    delete held[name];
    return false;
  }
  return true;
}

// A slider's readout is a button: press it to type an exact value.
function showVal(name, text) {
  const b = $(`${name}-val`).querySelector("button");
  if (b) b.textContent = text;
  else $(`${name}-val`).textContent = text;
}

// The readout's button opens a text field; Enter sends the value (checked
// against the slider's range first), Escape or leaving the field cancels.
function wireTyping(name) {
  const out = $(`${name}-val`);
  const slider = $(name);
  const label = document.querySelector(`label[for="${name}"]`).textContent;
  const b = document.createElement("button");
  b.type = "button";
  b.className = "val";
  b.title = `Type an exact value for ${label} (${slider.min} to ${slider.max})`;
  out.replaceChildren(b);
  b.onclick = () => {
    if (slider.disabled) return;
    const field = document.createElement("input");
    field.type = "text";
    field.inputMode = "decimal";
    field.className = "val-entry";
    field.setAttribute("aria-label", `${label}, a number from ${slider.min} to ${slider.max}`);
    field.value = slider.value;
    b.hidden = true;
    out.appendChild(field);
    field.focus();
    field.select();
    let open = true;
    // Once: removing the field blurs it, which calls this again.
    const close = () => {
      if (!open) return;
      open = false;
      b.hidden = false;
      field.remove();
    };
    field.addEventListener("blur", close);
    field.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        close();
        b.focus();
      } else if (e.key === "Enter") {
        const raw = field.value.trim();
        const v = Number(raw);
        const [lo, hi] = [Number(slider.min), Number(slider.max)];
        if (raw === "" || !Number.isFinite(v) || v < lo || v > hi) {
          notice(`${label} must be a number from ${lo} to ${hi}, not "${raw.slice(0, 20)}"`);
          return;
        }
        held[name] = { value: v, at: performance.now(), sent: true };
        slider.value = v;
        showVal(name, v.toFixed(name === "cop_density" ? 3 : 2));
        send({ cmd: "set", param: name, value: v });
        close();
        b.focus();
      }
    });
  };
}

function updateReadouts(m) {
  const last = state.counts[state.counts.length - 1];
  if (last) {
    $("step-count").textContent = last[0];
    $("count-quiet").textContent = last[1];
    $("count-active").textContent = last[2];
    $("count-jailed").textContent = last[3];
    $("count-dead").textContent = last[8];
    $("count-cops").textContent = last[5];
    const d = dateText(last[0]);
    $("date-now").textContent = d ? `${d} UTC` : "";
    // The lattice for a screen reader: what it shows, in words.
    if (state.info) {
      const label = `lattice ${$("scenario-title").textContent}, step ${last[0]}: ${last[1]} quiet, ${last[2]} active, ${last[3]} jailed, ${last[5]} police, ${last[8]} killed. ${$("sampling").textContent}`;
      $("lattice").setAttribute("aria-label", label);
    }
  }
  $("play").textContent = state.playing ? "❚❚ Pause" : "▶ Play";
  $("play").classList.toggle("on", state.playing);
  const c = m.controls || {};
  for (const name of SLIDERS) {
    const v = c[name];
    if (v === undefined) continue;
    const input = $(name);
    if (dragging === name || isHeld(name, v)) continue;
    if (name === "cop_density" && v > Number(input.max)) input.max = Math.min(0.5, v * 2).toFixed(3);
    input.value = v;
    let shown = Number(v).toFixed(name === "cop_density" ? 3 : 2);
    if (name === "vision" && c.citizen_vision !== undefined && c.citizen_vision !== v) {
      shown += `→${Number(c.citizen_vision).toFixed(1)}`;
    }
    showVal(name, shown);
    input.setAttribute("aria-valuetext", shown);
  }
  for (const b of document.querySelectorAll("button.event[data-flag]")) {
    const on = !!state.policy[b.dataset.flag];
    b.classList.toggle("on", on);
    b.setAttribute("aria-pressed", on);
  }
  const troopsOut = document.querySelector('button.event[data-on="foreign_troops_out"]');
  troopsOut.textContent = `Foreign troops out${state.policy.foreign_troops ? ` (${state.policy.foreign_troops})` : ""}`;
}

function wireControls() {
  $("play").onclick = () => send({ cmd: state.playing ? "pause" : "play" });
  $("step").onclick = () => {
    const was = state.playing;
    send({ cmd: "step" });
    if (was) notice("Step paused the run: it advanced one step; press Play to go on");
  };
  $("speed").onchange = (e) => {
    const v = e.target.value;
    send({ cmd: "speed", steps_per_second: v === "max" ? null : Number(v) });
  };
  $("stop-at").addEventListener("keydown", (e) => {
    if (e.key !== "Enter") return;
    const raw = $("stop-at").value.trim();
    if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 1e9) {
      notice("the stop step must be a whole number from 1 to 1000000000");
      return;
    }
    send({ cmd: "stop_at", step: Number(raw) });
    notice(`the run stops at step ${raw}`);
  });
  $("reset").onclick = () => {
    const raw = $("seed").value.trim();
    if (raw !== "" && !/^\d+$/.test(raw)) {
      notice("the seed must be a whole number ≥ 0");
      return;
    }
    if (raw !== "" && BigInt(raw) > 18446744073709551615n) {
      notice("the seed must be at most 18446744073709551615 (2^64 − 1)");
      return;
    }
    // The digits go as they are: a JavaScript number would round them above 2^53.
    send(null, `{"cmd": "reset", "seed": ${raw === "" ? "null" : BigInt(raw).toString()}}`);
  };
  for (const name of SLIDERS) {
    const input = $(name);
    let timer = null;
    wireTyping(name);
    input.addEventListener("pointerdown", () => (dragging = name));
    input.addEventListener("pointerup", () => (dragging = null));
    input.addEventListener("input", () => {
      const value = Number(input.value);
      held[name] = { value, at: performance.now(), sent: false };
      showVal(name, value.toFixed(name === "cop_density" ? 3 : 2));
      clearTimeout(timer);
      timer = setTimeout(() => {
        send({ cmd: "set", param: name, value });
        held[name] = { value, at: performance.now(), sent: true };
      }, 80);
    });
  }
  for (const b of document.querySelectorAll("button.event")) {
    b.onclick = () => {
      const on = b.dataset.flag && state.policy[b.dataset.flag];
      send({ cmd: "fire", event: on ? b.dataset.off : b.dataset.on });
    };
  }
  $("load").onclick = () => {
    $("upload-error").hidden = true;
    const o = $("scenario-picker").selectedOptions[0];
    if (o && o.dataset.upload && state.upload) {
      uploadText(state.upload.name, state.upload.text);
      return;
    }
    state.upload = null;
    for (const x of [...$("scenario-picker").options]) if (x.dataset.upload) x.remove();
    send({ cmd: "load", scenario: $("scenario-picker").value });
  };
  $("scenario-picker").onchange = () => {
    const o = $("scenario-picker").selectedOptions[0];
    if (!o || !state.info) return;
    $("scenario-desc").textContent = o.value === state.info.name
      ? state.info.description
      : `${o.title || o.value} — press Load to start it (now running: ${state.info.name}).`;
  };
  window.addEventListener("resize", () => {
    state.chartDirty = true;
    state.stripDirty = true;
    if (state.lastFrame) drawFrame(state.lastFrame);
  });
  $("log-scale").onchange = () => (state.chartDirty = true);
  $("split-panel").onchange = () => (state.chartDirty = true);
  $("units").onchange = () => {
    state.chartDirty = true;
    state.tableDirty = true;
  };
  $("chart").addEventListener("mousemove", chartHover);
  $("strip").addEventListener("mousemove", stripHover);
  $("strip").addEventListener("mouseleave", () => ($("strip-tip").hidden = true));
  $("chart").addEventListener("mouseleave", () => ($("chart-tip").hidden = true));
  $("table-box").addEventListener("toggle", () => {
    state.tableDirty = true;
    state.tableAt = 0;
  });
  $("export-csv").onclick = () => download(`${baseName()}.csv`, new Blob([runCsv()], { type: "text/csv" }));
  $("export-png").onclick = () => $("chart").toBlob((b) => b && download(`${baseName()}-chart.png`, b), "image/png");
  $("export-svg").onclick = () => {
    const c = $("chart");
    const svg = new SvgContext(c.clientWidth, c.clientHeight);
    plotChart(svg, c.clientWidth, c.clientHeight);
    download(`${baseName()}-chart.svg`, new Blob([svg.toString()], { type: "image/svg+xml" }));
  };
  $("help-toggle").onclick = () => {
    const open = $("help").hidden;
    $("help").hidden = !open;
    $("help-toggle").setAttribute("aria-expanded", String(open));
  };
  // Space plays or pauses, unless a control that uses Space has focus.
  document.addEventListener("keydown", (e) => {
    if (e.key !== " " || e.ctrlKey || e.altKey || e.metaKey) return;
    const t = e.target;
    if (t && t !== document.body && t.matches("button, input, select, textarea, summary, a, [contenteditable]")) return;
    e.preventDefault();
    $("play").click();
  });
  // Hover (or tap) a site to read its agent; at most one question in flight
  // every 100 ms.
  const lattice = $("lattice");
  const ask = (ev) => {
    const f = state.frameInfo;
    if (!f) return;
    const rect = lattice.getBoundingClientRect();
    const cx = Math.floor(((ev.clientX - rect.left) / rect.width) * f.cols);
    const cy = Math.floor(((ev.clientY - rect.top) / rect.height) * f.rows);
    if (cx < 0 || cy < 0 || cx >= f.cols || cy >= f.rows) return;
    const x = Math.min(f.width - 1, cx * f.block + (f.block >> 1));
    const y = Math.min(f.height - 1, cy * f.block + (f.block >> 1));
    const now = performance.now();
    if (state.asked && state.asked.x === x && state.asked.y === y) return;
    if (now - (state.askedAt || 0) < 100) return;
    state.askedAt = now;
    state.asked = { x, y };
    if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(JSON.stringify({ cmd: "inspect", x, y }));
  };
  lattice.addEventListener("mousemove", ask);
  lattice.addEventListener("click", (ev) => {
    state.asked = null;
    state.askedAt = 0;
    ask(ev);
  });
  $("upload").onchange = async (e) => {
    const file = e.target.files[0];
    e.target.value = "";
    if (file) await upload(file);
  };
  window.addEventListener("pagehide", () => {
    if (state.session) fetch(`/api/sessions/${state.session}`, { method: "DELETE", keepalive: true });
  });
}

async function upload(file) {
  $("upload-error").hidden = true;
  notice("");
  if (file.size > 256 * 1024) {
    showUploadError(`${file.name}: the file is ${file.size} bytes; at most 262144 are accepted`);
    return;
  }
  // The bytes as they are: the server says if they are not UTF-8 text.
  await uploadText(file.name, new Uint8Array(await file.arrayBuffer()));
}

// Sends a scenario file's bytes to this tab's session; kept, to load it
// again (the picker's "uploaded" entry, or after the server lost the session).
async function uploadText(name, bytes, okNotice) {
  $("upload-error").hidden = true;
  let resp;
  try {
    resp = await fetch(`/api/sessions/${state.session}/scenario?name=${encodeURIComponent(name)}`, {
      method: "POST",
      body: bytes,
      headers: { "Content-Type": "text/plain; charset=utf-8" },
    });
  } catch (e) {
    showUploadError(`${name}: not sent, the server cannot be reached`);
    return;
  }
  if (resp.ok) {
    let summary = {};
    try {
      summary = (await resp.json()).scenario || {};
    } catch (_) {}
    state.upload = { name, text: bytes };
    showUpload(name, summary.name || name);
    notice(okNotice || `loaded ${name}`);
    return;
  }
  let body = {};
  try {
    body = await resp.json();
  } catch (_) {}
  const err = body.error || { message: resp.statusText };
  let msg = `${name}: ${err.message}`;
  if (err.line) {
    msg = `${err.origin || name}: line ${err.line}, column ${err.column}: ${err.message}`;
    if (err.snippet !== undefined && err.snippet !== null) {
      msg += `\n  ${err.line} | ${err.snippet}\n  ${" ".repeat(String(err.line).length)} | ${" ".repeat(Math.max(0, err.column - 1))}^`;
    }
  }
  showUploadError(msg);
}

// The picker shows what runs: a built-in by its name, an upload as an entry
// of its own (Load then starts the uploaded file again).
function followPicker(name, before) {
  const picker = $("scenario-picker");
  if (state.upload) return; // the upload's entry stays selected
  // A choice the user made but has not loaded yet stays (a reset or
  // reconnect must not swap it back under a pending Load).
  if (before && picker.value !== before) return;
  if ([...picker.options].some((o) => o.value === name)) picker.value = name;
}

function showUpload(name, scenarioName) {
  const picker = $("scenario-picker");
  for (const o of [...picker.options]) if (o.dataset.upload) o.remove();
  const o = document.createElement("option");
  o.value = `upload:${name}`;
  o.textContent = `${scenarioName} (uploaded ${name})`;
  o.title = `the file ${name} you uploaded`;
  o.dataset.upload = "1";
  picker.appendChild(o);
  picker.value = o.value;
}

function showUploadError(msg) {
  const box = $("upload-error");
  box.textContent = msg;
  box.hidden = false;
}

// ----- drawing ----------------------------------------------------------------

// The hover readout of one site: its agent's state and traits.
function showInspect(site) {
  const el = $("inspect");
  const f = state.frameInfo;
  const where = `site (${site.x}, ${site.y})${f && f.block > 1 ? `, in a drawn cell of ${f.block}×${f.block} sites` : ""}`;
  const a = site.agent;
  if (!a) {
    el.textContent = `${where}: empty`;
    return;
  }
  if (a.kind !== "citizen") {
    el.textContent = `${where}: ${a.kind}`;
    return;
  }
  const n = (v) => Number(v).toFixed(3);
  let t = `${where}: ${a.state} citizen${a.group ? `, group ${a.group}` : ""}${a.constituency !== undefined ? `, constituency ${a.constituency}` : ""}. `;
  t += `Hardship H ${n(a.hardship)}, risk aversion R ${n(a.risk_aversion)}, grievance G = H(1 − L) = ${n(a.grievance)} at L ${n(a.legitimacy)}, threshold T ${n(a.threshold)}`;
  if (a.jail_term_left !== undefined) t += `, ${a.jail_term_left} steps of jail left`;
  el.textContent = t + ".";
}

const offscreen = document.createElement("canvas");

function drawFrame(buf) {
  const dv = new DataView(buf);
  if (buf.byteLength < 28) return;
  state.lastFrame = buf;
  state.frameInfo = {
    width: dv.getUint32(8, true),
    height: dv.getUint32(12, true),
    block: dv.getUint32(16, true),
    cols: dv.getUint32(20, true),
    rows: dv.getUint32(24, true),
  };
  const cols = dv.getUint32(20, true);
  const rows = dv.getUint32(24, true);
  const cells = new Uint8Array(buf, 28);
  if (cells.length < cols * rows) return;
  if (offscreen.width !== cols || offscreen.height !== rows) {
    offscreen.width = cols;
    offscreen.height = rows;
  }
  const octx = offscreen.getContext("2d");
  const img = octx.createImageData(cols, rows);
  for (let i = 0; i < cols * rows; i++) {
    if (!state.seenCells[cells[i]]) {
      state.seenCells[cells[i]] = true;
      const li = document.querySelector(`#legend li[data-code="${cells[i]}"]`);
      if (li) li.hidden = false;
    }
    const rgb = RGB[cells[i]] || RGB[0];
    img.data[4 * i] = rgb[0];
    img.data[4 * i + 1] = rgb[1];
    img.data[4 * i + 2] = rgb[2];
    img.data[4 * i + 3] = 255;
  }
  octx.putImageData(img, 0, 0);
  const canvas = $("lattice");
  // A whole number of pixels per cell, as large as the panel allows (and
  // the window's height, so the lattice fits on screen).
  // With lattice and chart stacked beside the controls (a laptop window),
  // the lattice leaves room for the top of the chart.
  const stacked = window.innerWidth <= 1100 && window.innerWidth > 700;
  const tall = stacked ? window.innerHeight * 0.55 : window.innerHeight - 120;
  const room = Math.min(canvas.parentElement.clientWidth - 26, Math.max(240, tall), 1200);
  const scale = Math.max(1, Math.floor(Math.max(room, 100) / Math.max(cols, rows)));
  if (canvas.width !== cols * scale || canvas.height !== rows * scale) {
    canvas.width = cols * scale;
    canvas.height = rows * scale;
  }
  const ctx = canvas.getContext("2d");
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(offscreen, 0, 0, canvas.width, canvas.height);
}

function drawChart() {
  requestAnimationFrame(drawChart);
  const now = performance.now();
  if (state.tableDirty && $("table-box").open && now - (state.tableAt || 0) > 1000) {
    state.tableAt = now;
    state.tableDirty = false;
    fillTable();
  }
  // At most 5 redraws a second while playing; at once when paused.
  if (state.stripDirty && (now - (state.stripAt || 0) > 200 || !state.playing)) {
    state.stripAt = now;
    state.stripDirty = false;
    drawStrip();
  }
  if (!state.chartDirty) return;
  state.chartDirty = false;
  const canvas = $("chart");
  canvas.classList.toggle("split", $("split-panel").checked);
  const dpr = window.devicePixelRatio || 1;
  const W = canvas.clientWidth, H = canvas.clientHeight;
  if (canvas.width !== Math.round(W * dpr) || canvas.height !== Math.round(H * dpr)) {
    canvas.width = Math.round(W * dpr);
    canvas.height = Math.round(H * dpr);
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, W, H);
  state.layout = plotChart(ctx, W, H);
  const aria = state.layout ? state.layout.aria : "counts over time: no data yet";
  if (canvas.getAttribute("aria-label") !== aria) canvas.setAttribute("aria-label", aria);
}

// A country's regions × time: one row per region, one column per kept
// step, coloured white to red by the region's active share scaled to the
// largest share seen (the key says which), as the CLI's plot does.
function drawStrip() {
  const canvas = $("strip");
  const h = state.regionHistory;
  const names = (state.info && state.info.regions) || [];
  if ($("strip-box").hidden || names.length === 0) return;
  const dpr = window.devicePixelRatio || 1;
  const W = canvas.clientWidth;
  const rowH = Math.max(8, Math.min(16, Math.floor(320 / names.length)));
  const padL = 110, padT = 4, padB = 22;
  const H = padT + rowH * names.length + padB;
  canvas.style.height = `${H}px`;
  if (canvas.width !== Math.round(W * dpr) || canvas.height !== Math.round(H * dpr)) {
    canvas.width = Math.round(W * dpr);
    canvas.height = Math.round(H * dpr);
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, W, H);
  ctx.font = "11px system-ui, sans-serif";
  ctx.fillStyle = "#1d1d1f";
  ctx.textAlign = "right";
  names.forEach((n, i) => ctx.fillText(n.length > 17 ? n.slice(0, 16) + "…" : n, padL - 4, padT + rowH * i + rowH - 3));
  let max = 0;
  for (const [, sh] of h) for (const v of sh) max = Math.max(max, v);
  const pw = W - padL - 6;
  const s0 = h.length ? h[0][0] : 0, s1 = h.length ? Math.max(h[h.length - 1][0], s0 + 1) : 1;
  const X = (st) => padL + ((st - s0) / (s1 - s0)) * pw;
  for (let k = 0; k < h.length; k++) {
    const [st, sh] = h[k];
    const xa = X(st), xb = k + 1 < h.length ? X(h[k + 1][0]) : X(st) + Math.max(1, pw / Math.max(1, s1 - s0));
    sh.forEach((v, i) => {
      ctx.fillStyle = heat(max > 0 ? (0.2 * v) / max : 0);
      ctx.fillRect(xa, padT + rowH * i, Math.max(1, xb - xa + 0.5), rowH - 1);
    });
  }
  ctx.fillStyle = "#5f5f64";
  ctx.textAlign = "left";
  const d0 = dateText(s0), d1 = dateText(s1);
  ctx.fillText(d0 || `step ${s0}`, padL, H - 6);
  ctx.textAlign = "right";
  ctx.fillText(d1 || `step ${s1}`, padL + pw, H - 6);
  const pct = `${(100 * max).toFixed(2)}%`;
  $("strip-key").textContent = `White 0%, full red the largest share so far: ${pct} (square-root scale). Hover for a region's share at a date.`;
  canvas.setAttribute("aria-label", `active share by region over time; ${names.length} regions; largest share so far ${pct}`);
  state.stripLayout = { padL, padT, rowH, pw, s0, s1, n: names.length };
}

function stripHover(ev) {
  const L = state.stripLayout;
  const tip = $("strip-tip");
  const h = state.regionHistory;
  if (!L || !h.length) return;
  const rect = $("strip").getBoundingClientRect();
  const px = ev.clientX - rect.left, py = ev.clientY - rect.top;
  const i = Math.floor((py - L.padT) / L.rowH);
  if (px < L.padL || i < 0 || i >= L.n) {
    tip.hidden = true;
    return;
  }
  const st = L.s0 + ((px - L.padL) / L.pw) * (L.s1 - L.s0);
  let k = 0;
  while (k + 1 < h.length && h[k + 1][0] <= st) k++;
  const d = dateText(h[k][0]);
  tip.textContent = `${state.info.regions[i]}, step ${h[k][0]}${d ? ` (${d} UTC)` : ""}: ${(100 * h[k][1][i]).toFixed(2)}% active`;
  tip.hidden = false;
  tip.style.left = `${Math.max(0, Math.min(px + 12, rect.width - tip.offsetWidth))}px`;
  tip.style.top = `${Math.max(0, py + 12)}px`;
}

// The chart's units: a count as agents, as people (agents × the scenario's
// scale) or as a share of citizens (quiet + active + jailed) in percent.
function units() {
  const ppa = (state.info && state.info.people_per_agent) || 1;
  const u = $("units").value;
  if (u === "people" && ppa !== 1) {
    return { value: (row, i) => row[i] * ppa, title: `people (agents × ${short(ppa)})`, fmt: short, min: 10 };
  }
  if (u === "share") {
    return {
      value: (row, i) => {
        const c = row[1] + row[2] + row[3];
        return c > 0 ? (100 * row[i]) / c : 0;
      },
      title: "% of citizens (quiet + active + jailed)",
      fmt: (v) => `${Number(v.toPrecision(3))}%`,
      min: 1,
    };
  }
  return {
    value: (row, i) => row[i],
    title: ppa !== 1 ? `agents (1 agent = ${short(ppa)} people)` : "agents",
    fmt: short,
    min: 10,
  };
}

// Draws the chart on `ctx` (a canvas's, or the SVG recorder's) of W × H
// CSS pixels; returns its layout for the hover readout, or null if empty.
function plotChart(ctx, W, H) {
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, W, H);
  const data = state.counts;
  if (data.length === 0) return null;
  const x0 = data[0][0], x1 = Math.max(data[data.length - 1][0], x0 + 10);
  const u = units();
  const shown = seriesHere().filter((s) => s.on);
  ctx.font = "11px system-ui, sans-serif";
  // Event labels go on the first of up to LABEL_ROWS rows where they do not
  // overlap an earlier one; a label with no room is left out (its line stays,
  // the hover text and the list under the chart have it).
  const LABEL_ROWS = 4;
  const legit = LEGIT.on && data.length > 0 && data[0].length > 9;
  const padL = 66, padR = legit ? 40 : 10;
  const Xl = (step) => padL + ((step - x0) / (x1 - x0)) * (W - padL - padR);
  const rowEnd = [];
  const labels = [];
  for (const e of state.events) {
    if (e.step < x0) continue;
    const tw = ctx.measureText(e.label).width;
    const lx = Math.max(padL, Math.min(Xl(e.step) + 3, W - tw - 2));
    let r = 0;
    while (r < LABEL_ROWS && rowEnd[r] !== undefined && rowEnd[r] + 6 > lx) r++;
    if (r < LABEL_ROWS) {
      rowEnd[r] = lx + tw;
      labels.push({ e, lx, r });
    } else labels.push({ e, lx: null, r });
  }
  const pad = { l: padL, r: padR, t: 14 + 12 * Math.max(1, rowEnd.length), b: 38 };
  const pw = W - pad.l - pad.r, ph = H - pad.t - pad.b;
  const X = (step) => pad.l + ((step - x0) / (x1 - x0)) * pw;
  // Log scale: log10(1 + v), so 0 stays at the bottom and small counts
  // (a country's actives next to its quiet millions) get room.
  const log = $("log-scale").checked;
  const f = log ? (v) => Math.log10(1 + v) : (v) => v;
  // Panels: one for every series, or (split) quiet and police above, the
  // protest (active, jailed, killed, detained) below on an axis of its own.
  const GAP = 16;
  const split = $("split-panel").checked;
  const groups = split
    ? [
        { name: "population", series: shown.filter((s) => s.panel !== "protest") },
        { name: "protest and repression", series: shown.filter((s) => s.panel === "protest") },
      ]
    : [{ name: "all", series: shown }];
  const panels = [];
  {
    const n = groups.length;
    const each = (ph - GAP * (n - 1)) / n;
    groups.forEach((g, k) => {
      const top = pad.t + k * (each + GAP);
      let ymax = u.min;
      for (const row of data) for (const s of g.series) ymax = Math.max(ymax, u.value(row, s.idx));
      ymax = niceCeil(ymax);
      const Y = (v) => top + each - (f(v) / f(ymax)) * each;
      panels.push({ ...g, top, h: each, ymax, Y });
    });
  }
  const bottom = pad.t + ph;

  ctx.strokeStyle = "#e4e2dc";
  ctx.fillStyle = "#5f5f64";
  ctx.lineWidth = 1;
  for (const p of panels) {
    const ticks = [];
    if (log) {
      ticks.push(0);
      for (let v = u.min === 1 ? 0.1 : 10; v <= p.ymax * 1.0001; v *= 10) ticks.push(v);
    } else for (let k = 0; k <= 4; k++) ticks.push((p.ymax * k) / 4);
    // A short panel keeps every other tick label so they do not overlap.
    const every = p.h / Math.max(1, ticks.length - 1) < 14 ? 2 : 1;
    ticks.forEach((v, k) => {
      const y = p.Y(v);
      ctx.beginPath(); ctx.moveTo(pad.l, y); ctx.lineTo(pad.l + pw, y); ctx.stroke();
      if (k % every === 0 || k === ticks.length - 1) {
        ctx.textAlign = "right"; ctx.fillText(u.fmt(v), pad.l - 4, y + 4);
      }
    });
  }
  const dated = !!dateOf(0);
  const spanH = dated ? (x1 - x0) * state.info.calendar.step_hours : 0;
  for (let k = 0; k <= 5; k++) {
    const s = Math.round(x0 + ((x1 - x0) * k) / 5);
    let label = String(s);
    if (dated) {
      const d = dateOf(s);
      label = d.toLocaleDateString("en-GB", { day: "numeric", month: "short", timeZone: "UTC" });
      if (spanH <= 72) label += " " + d.toISOString().slice(11, 16);
    }
    ctx.textAlign = k === 0 ? "left" : k === 5 ? "right" : "center";
    ctx.fillText(label, X(s), H - 22);
  }
  ctx.textAlign = "center";
  // Axis titles, with units.
  const cal = state.info && state.info.calendar;
  const xTitle = cal ? `date (UTC), end of step; one step = ${cal.step_hours} h` : "step";
  const yTitle = u.title + (log ? ", log scale" : "") + (split ? "; each panel its own axis" : "");
  ctx.fillText(xTitle, pad.l + pw / 2, H - 6);
  ctx.save();
  ctx.translate(12, pad.t + ph / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.fillText(yTitle, 0, 0);
  ctx.restore();

  // Policies in force: a light band from the event that starts one to the
  // one that ends it (or to now), behind the lines.
  const last = data[data.length - 1][0];
  for (const b of policyBands(last)) {
    const xa = X(Math.max(b.from, x0)), xb = X(Math.min(b.to, x1));
    if (xb <= xa) continue;
    ctx.fillStyle = b.color;
    ctx.fillRect(xa, pad.t, xb - xa, ph);
  }
  // Fired events: dashed vertical lines with their labels, across every panel.
  ctx.save();
  ctx.setLineDash([4, 3]);
  ctx.strokeStyle = "#8d3fd1";
  ctx.fillStyle = "#6a2aa3";
  ctx.textAlign = "left";
  for (const { e, lx, r } of labels) {
    const x = X(e.step);
    ctx.beginPath(); ctx.moveTo(x, pad.t - 4); ctx.lineTo(x, bottom); ctx.stroke();
    if (lx !== null) ctx.fillText(e.label, lx, 11 + 12 * r);
  }
  ctx.restore();

  // Series; long histories are thinned to about one point per pixel.
  const stride = Math.max(1, Math.floor(data.length / pw));
  ctx.lineWidth = 1.5;
  for (const p of panels) {
    for (const s of p.series) {
      ctx.strokeStyle = s.color;
      ctx.beginPath();
      for (let i = 0; i < data.length; i += stride) {
        const row = data[i];
        const v = s.idx < row.length ? u.value(row, s.idx) : 0;
        if (i === 0) ctx.moveTo(X(row[0]), p.Y(v));
        else ctx.lineTo(X(row[0]), p.Y(v));
      }
      ctx.stroke();
    }
  }
  // Legitimacy on its own axis, 0 to 1, at the right of the first panel.
  if (legit) {
    const p = panels[0];
    const YL = (v) => p.top + p.h - v * p.h;
    ctx.fillStyle = LEGIT.color;
    ctx.textAlign = "left";
    for (const v of [0, 0.5, 1]) ctx.fillText(`L ${v}`, pad.l + pw + 4, YL(v) + 4);
    ctx.strokeStyle = LEGIT.color;
    ctx.lineWidth = 1.5;
    ctx.save();
    ctx.setLineDash([6, 2]);
    ctx.beginPath();
    for (let i = 0; i < data.length; i += stride) {
      const r = data[i];
      if (i === 0) ctx.moveTo(X(r[0]), YL(r[9]));
      else ctx.lineTo(X(r[0]), YL(r[9]));
    }
    const end = data[data.length - 1];
    ctx.lineTo(X(end[0]), YL(end[9]));
    ctx.stroke();
    ctx.restore();
  }
  // Each panel's key, on a white ground so lines under it do not cross its text.
  panels.forEach((p, k) => {
    const keyed = k === 0 && legit ? [...p.series, LEGIT] : p.series;
    const head = split ? `${p.name}: ` : "";
    let kw = head ? ctx.measureText(head).width + 4 : 0;
    for (const s of keyed) kw += 20 + ctx.measureText(s.name).width;
    if (!keyed.length && !head) return;
    ctx.fillStyle = "rgba(255, 255, 255, 0.9)";
    ctx.fillRect(pad.l + 2, p.top + 1, Math.min(kw + 6, pw - 4), 12);
    let kx = pad.l + 6;
    ctx.textAlign = "left";
    if (head) {
      ctx.fillStyle = "#5f5f64";
      ctx.fillText(head + (keyed.length ? "" : "(no series shown)"), kx, p.top + 9);
      kx += ctx.measureText(head).width + 4;
    }
    for (const s of keyed) {
      ctx.fillStyle = s.color;
      ctx.fillRect(kx, p.top + 4, 10, 3);
      ctx.fillStyle = "#1d1d1f";
      ctx.fillText(s.name, kx + 13, p.top + 9);
      kx += 20 + ctx.measureText(s.name).width;
    }
  });
  const hidden = [...seriesHere(), LEGIT].filter((s) => !s.on).map((s) => s.name);
  const panelText = split ? `; panels: ${panels.map((p) => `${p.name} (${p.series.map((s) => s.name).join(", ") || "none"})`).join(", ")}` : "";
  const aria = `counts over time; x axis: ${xTitle}; y axis: ${yTitle}; series: ${shown.map((s) => s.name).join(", ") || "none"}${hidden.length ? `; hidden: ${hidden.join(", ")}` : ""}${panelText}`;
  return {
    x0, x1, pad, pw, ph, X, u, shown, aria,
    panels: panels.map((p) => ({ name: p.name, top: p.top, h: p.h, ymax: p.ymax, series: p.series.map((s) => s.name) })),
  };
}

// Which event starts and which ends a policy that stays in force, with the
// band colour it gets on the chart (page events and a country's own kinds).
const POLICY_SPANS = [
  { on: ["state_of_emergency", "emergency"], off: ["lift_emergency", "emergency_end"], color: "rgba(224, 69, 43, 0.08)", name: "emergency" },
  { on: ["internet_shutdown"], off: ["internet_restored", "internet_restore"], color: "rgba(29, 29, 31, 0.07)", name: "internet shutdown" },
  { on: ["lethal_force"], off: ["end_lethal_force", "lethal_force_end"], color: "rgba(163, 111, 0, 0.10)", name: "lethal force" },
  { on: ["foreign_troops_in"], off: ["foreign_troops_out"], color: "rgba(141, 63, 209, 0.07)", name: "foreign troops" },
];

// The spans in force, from the fired events: [{from, to, color, name}].
function policyBands(last) {
  const out = [];
  for (const p of POLICY_SPANS) {
    let open = null;
    for (const e of state.events) {
      if (p.on.includes(e.event) && open === null) open = e.step;
      else if (p.off.includes(e.event) && open !== null) {
        out.push({ from: open, to: e.step, color: p.color, name: p.name });
        open = null;
      }
    }
    if (open !== null) out.push({ from: open, to: last, color: p.color, name: p.name });
  }
  return out;
}

// The hover readout of the chart: the counts at the step under the cursor
// and the events marked within a few pixels, with their notes and sources.
function chartHover(ev) {
  const L = state.layout;
  const tip = $("chart-tip");
  if (!L || state.counts.length === 0) {
    tip.hidden = true;
    return;
  }
  const rect = $("chart").getBoundingClientRect();
  const px = ev.clientX - rect.left, py = ev.clientY - rect.top;
  if (px < L.pad.l - 4 || px > L.pad.l + L.pw + 4) {
    tip.hidden = true;
    return;
  }
  const step = L.x0 + ((px - L.pad.l) / L.pw) * (L.x1 - L.x0);
  // The kept row nearest that step (rows are in step order).
  const c = state.counts;
  let lo = 0, hi = c.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (c[mid][0] < step) lo = mid + 1;
    else hi = mid;
  }
  if (lo > 0 && Math.abs(c[lo - 1][0] - step) < Math.abs(c[lo][0] - step)) lo--;
  const row = c[lo];
  tip.replaceChildren();
  const head = document.createElement("div");
  const d = dateText(row[0]);
  head.append(Object.assign(document.createElement("b"), { textContent: `step ${row[0]}` }), d ? ` (${d} UTC)` : "");
  tip.appendChild(head);
  for (const s of L.shown) {
    const line = document.createElement("div");
    line.textContent = `${s.name}: ${L.u.fmt(L.u.value(row, s.idx))}`;
    line.style.color = s.name === "quiet" ? "#2d64b3" : s.name === "active" ? "#c2321a" : s.name === "killed" ? "#8a5f00" : s.name === "detained" ? "#2e7d32" : "#1d1d1f";
    tip.appendChild(line);
  }
  if (LEGIT.on && row.length > 9) {
    const line = document.createElement("div");
    line.textContent = `legitimacy L: ${Number(row[9]).toFixed(3)}`;
    line.style.color = LEGIT.color;
    tip.appendChild(line);
  }
  const inForce = policyBands(c[c.length - 1][0]).filter((b) => b.from <= row[0] && row[0] < b.to).map((b) => b.name);
  if (inForce.length) tip.appendChild(Object.assign(document.createElement("div"), { textContent: `in force: ${inForce.join(", ")}` }));
  const near = state.events.filter((e) => Math.abs(L.X(e.step) - px) <= 5);
  for (const e of near.slice(0, 6)) {
    const line = document.createElement("div");
    line.className = "ev";
    const dd = dateText(e.step);
    line.textContent = `step ${e.step}${dd ? ` (${dd})` : ""}: ${eventText(e)}${e.source ? ` (source: ${e.source})` : ""}`;
    tip.appendChild(line);
  }
  if (near.length > 6) tip.appendChild(Object.assign(document.createElement("div"), { textContent: `and ${near.length - 6} more (see the list below)` }));
  tip.hidden = false;
  // Beside the cursor, inside the chart.
  const tw = tip.offsetWidth, th = tip.offsetHeight;
  tip.style.left = `${Math.max(0, Math.min(px + 12, rect.width - tw))}px`;
  tip.style.top = `${Math.max(0, Math.min(py + 12, rect.height - th))}px`;
}

// A canvas-like recorder that writes what plotChart draws as SVG (the
// subset plotChart uses: paths, rectangles, text, dashes, translate/rotate).
class SvgContext {
  constructor(W, H) {
    this.W = W;
    this.H = H;
    this.parts = [];
    this.fillStyle = "#000";
    this.strokeStyle = "#000";
    this.lineWidth = 1;
    this.font = "11px system-ui, sans-serif";
    this.textAlign = "start";
    this.dash = [];
    this.tf = [];
    this.stack = [];
    this.d = "";
    this.measure = document.createElement("canvas").getContext("2d");
  }
  save() {
    const { fillStyle, strokeStyle, lineWidth, font, textAlign, dash } = this;
    this.stack.push({ fillStyle, strokeStyle, lineWidth, font, textAlign, dash, tf: this.tf.slice() });
  }
  restore() {
    Object.assign(this, this.stack.pop());
  }
  translate(x, y) { this.tf.push(`translate(${x} ${y})`); }
  rotate(a) { this.tf.push(`rotate(${(a * 180) / Math.PI})`); }
  setLineDash(d) { this.dash = d; }
  measureText(t) { this.measure.font = this.font; return this.measure.measureText(t); }
  beginPath() { this.d = ""; }
  moveTo(x, y) { this.d += `M${x.toFixed(1)} ${y.toFixed(1)}`; }
  lineTo(x, y) { this.d += `L${x.toFixed(1)} ${y.toFixed(1)}`; }
  attrs() { return this.tf.length ? ` transform="${this.tf.join(" ")}"` : ""; }
  stroke() {
    const dash = this.dash.length ? ` stroke-dasharray="${this.dash.join(" ")}"` : "";
    this.parts.push(`<path d="${this.d}" fill="none" stroke="${this.strokeStyle}" stroke-width="${this.lineWidth}"${dash}${this.attrs()}/>`);
  }
  fillRect(x, y, w, h) { this.parts.push(`<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="${this.fillStyle}"${this.attrs()}/>`); }
  fillText(t, x, y) {
    const anchor = { left: "start", start: "start", center: "middle", right: "end", end: "end" }[this.textAlign] || "start";
    const size = parseFloat(this.font) || 11;
    const esc = String(t).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
    this.parts.push(`<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" font-family="system-ui, sans-serif" font-size="${size}" text-anchor="${anchor}" fill="${this.fillStyle}"${this.attrs()}>${esc}</text>`);
  }
  toString() {
    return `<svg xmlns="http://www.w3.org/2000/svg" width="${this.W}" height="${this.H}" viewBox="0 0 ${this.W} ${this.H}">${this.parts.join("")}</svg>`;
  }
}

// ----- export -----------------------------------------------------------------

function download(name, blob) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

function baseName() {
  const name = (state.info && state.info.name) || "unrest";
  return `${name.replace(/[^A-Za-z0-9_.-]+/g, "_")}-seed${(state.info && state.info.seedText) || ""}`;
}

const csvField = (v) => (/[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));

// The kept counts (with the date on a country, and people when one agent
// stands for more), then the fired events, as CSV text.
function runCsv() {
  const ppa = (state.info && state.info.people_per_agent) || 1;
  const dated = !!dateOf(0);
  // `detained` (people detained so far, in agents) is a country's only.
  const fields = ["step", "quiet", "active", "jailed", "dead", "cops", "arrests", "kills", "killed", "legitimacy", ...(isCountry() ? ["detained"] : [])];
  const head = [...(dated ? ["step", "date"] : ["step"]), ...fields.slice(1)];
  if (ppa !== 1) head.push("people_per_agent");
  const lines = [`# ${state.info ? state.info.name : ""} seed ${state.info ? state.info.seedText : ""}; counts in agents${state.stride > 1 ? `; thinned to every ${state.stride}th step` : ""}`];
  lines.push(head.join(","));
  for (const r of state.counts) {
    const out = [r[0]];
    if (dated) out.push(dateOf(r[0]).toISOString().slice(0, 19));
    out.push(...r.slice(1, fields.length));
    if (ppa !== 1) out.push(ppa);
    lines.push(out.join(","));
  }
  lines.push("");
  lines.push("# events");
  lines.push("step,event,label,regions,note,source");
  for (const e of state.events) lines.push([e.step, e.event, e.label, e.regions || "", e.note || "", e.source || ""].map(csvField).join(","));
  return lines.join("\n") + "\n";
}

// The data table: up to 40 evenly spaced kept rows and the latest.
function fillTable() {
  const table = $("data-table");
  const u = units();
  const dated = !!dateOf(0);
  const head = document.createElement("tr");
  for (const h of [dated ? "date (UTC)" : "step", ...seriesHere().map((s) => s.name), "legitimacy L"]) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = h;
    head.appendChild(th);
  }
  table.tHead.replaceChildren(head);
  const c = state.counts;
  const pick = [];
  const n = Math.min(40, c.length);
  for (let k = 0; k < n; k++) pick.push(Math.round((k * (c.length - 1)) / Math.max(1, n - 1)));
  const rows = [...new Set(pick)].map((i) => {
    const r = c[i];
    const tr = document.createElement("tr");
    const th = document.createElement("th");
    th.scope = "row";
    th.textContent = dated ? `${dateText(r[0])} (step ${r[0]})` : r[0];
    tr.appendChild(th);
    for (const s of seriesHere()) {
      const td = document.createElement("td");
      td.textContent = u.fmt(u.value(r, s.idx));
      tr.appendChild(td);
    }
    const td = document.createElement("td");
    td.textContent = r.length > 9 ? Number(r[9]).toFixed(3) : "";
    tr.appendChild(td);
    return tr;
  });
  table.tBodies[0].replaceChildren(...rows);
}

// 1234567 -> "1.23M", 25000 -> "25k": y labels fit the margin at any size.
function short(v) {
  const a = Math.abs(v);
  const f = (x, u) => `${Number(x.toPrecision(3))}${u}`;
  if (a >= 1e9) return f(v / 1e9, "G");
  if (a >= 1e6) return f(v / 1e6, "M");
  if (a >= 1e4) return f(v / 1e3, "k");
  return String(Math.round(v));
}

function niceCeil(v) {
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

// The lattice's legend: the states the server says it draws (`legend`),
// group B's only in a run with two groups, rare ones once a frame has them.
function drawLegend(legend, info) {
  const ul = $("legend");
  ul.replaceChildren();
  const codes = legend ? legend.map((l) => l.code) : CELLS.map((c) => c.code);
  const groups = info && info.groups === 2;
  for (const c of CELLS) {
    if (c.legend === false || !codes.includes(c.code)) continue;
    if (c.group && !groups) continue;
    const li = document.createElement("li");
    li.dataset.code = c.code;
    li.hidden = !!c.rare && !state.seenCells[c.code];
    const sw = document.createElement("i");
    sw.style.background = c.color;
    let name = c.name;
    if (groups && (c.code === 1 || c.code === 2)) name += ", group A";
    li.append(sw, name);
    ul.appendChild(li);
  }
}

// The boxes that show or hide each chart series.
function buildSeriesBoxes() {
  const box = $("series");
  for (const s of [...SERIES, LEGIT]) {
    const label = document.createElement("label");
    label.title = `show or hide ${s.name} on the chart`;
    const cb = document.createElement("input");
    cb.type = "checkbox";
    cb.checked = s.on;
    cb.dataset.series = s === LEGIT ? "legitimacy" : s.name;
    if (s.country) label.dataset.country = "1";
    cb.onchange = () => {
      s.on = cb.checked;
      state.chartDirty = true;
    };
    const sw = document.createElement("i");
    sw.style.background = s.color;
    label.append(cb, sw, s.name);
    box.appendChild(label);
  }
}

async function main() {
  drawLegend(null, null);
  buildSeriesBoxes();
  wireControls();
  requestAnimationFrame(drawChart);
  try {
    const resp = await fetch("/api/scenarios");
    const list = await resp.json();
    const picker = $("scenario-picker");
    const names = list.builtins.map((b) => b.name);
    if (!names.includes(list.default)) names.unshift(list.default);
    for (const name of names) {
      const o = document.createElement("option");
      o.value = name;
      o.textContent = name;
      const b = list.builtins.find((x) => x.name === name);
      if (b) o.title = b.summary;
      picker.appendChild(o);
    }
    picker.value = list.default;
  } catch (e) {
    notice(`cannot list scenarios: ${e}`);
  }
  await startSession();
}

main();
