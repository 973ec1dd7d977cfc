// unrest live view: one simulation per tab, driven over a WebSocket.
// Protocol: docs/web.md. No libraries, no network beyond this server.
"use strict";

const $ = (id) => document.getElementById(id);

// Cell codes (protocol) -> colour and legend label.
const CELLS = [
  { code: 0, name: "empty", color: "#f4f3ef", legend: false },
  { code: 1, name: "quiet", color: "#5b8fd6" },
  { code: 2, name: "active", color: "#e0452b" },
  { code: 3, name: "jailed (on site)", color: "#8a8a8a", rare: true },
  { code: 4, name: "police", color: "#1d1d1f" },
  { code: 5, name: "foreign forces", color: "#8d3fd1", rare: true },
  { code: 6, name: "killed (last 10 steps)", color: "#f2b705", rare: true },
];
// States marked `rare` are listed in the legend only once a frame shows them
// (jailed agents stay on their site only under some rules, and so on).
const RGB = CELLS.map((c) => [1, 3, 5].map((i) => parseInt(c.color.slice(i, i + 2), 16)));

// Chart series: index into a counts row [step, quiet, active, jailed, dead,
// cops, arrests, kills, killed]; `dead` includes Model II's deaths from old
// age, `killed` is the running total of killings.
const SERIES = [
  { name: "quiet", idx: 1, color: "#5b8fd6" },
  { name: "active", idx: 2, color: "#e0452b" },
  { name: "jailed", idx: 3, color: "#8a8a8a" },
  { name: "police", idx: 5, color: "#1d1d1f" },
  { name: "killed", idx: 8, color: "#d4a000" },
];
const CHART_CAP = 20000;

const state = {
  session: null,
  ws: null,
  generation: 0,
  counts: [],
  stride: 1,
  seenCells: {},
  events: [],
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
    state.info = m.info;
    state.counts = [];
    state.stride = 1;
    state.seenCells = {};
    for (const c of CELLS) {
      const li = document.querySelector(`#legend li[data-code="${c.code}"]`);
      if (li) li.hidden = !!c.rare;
    }
    state.events = [];
    $("event-log").replaceChildren();
    $("scenario-title").textContent = `${m.info.name} — ${m.info.width}×${m.info.height}`;
    buildRegions(m.info);
    // A country's quiet count dwarfs its actives: log scale by default there.
    $("log-scale").checked = m.info.kind === "country";
    $("scenario-desc").textContent = m.info.description;
    $("sampling").textContent = `Lattice: ${m.info.sampling}.`;
    $("seed").value = m.info.seedText || m.info.seed;
    $("upload-error").hidden = true;
    followPicker(m.info.name);
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

function addEvent(e) {
  state.events.push(e);
  const li = document.createElement("li");
  const d = dateOf(e.step);
  li.textContent = `step ${e.step}${d ? ` (${d.toISOString().slice(0, 16).replace("T", " ")})` : ""}: ${e.label}`;
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
  for (const name of ["cop_density", "risk_aversion_scale", "vision"]) $(name).disabled = country;
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

function updateRegions(m) {
  if (m.view) {
    $("sampling").textContent = `Lattice: ${m.view.sampling}.`;
    if (state.info) $("scenario-title").textContent = `${state.info.name} — ${m.view.width}×${m.view.height}`;
  }
  const buttons = $("regions").querySelectorAll("button");
  (m.regions || []).forEach((r, i) => {
    const b = buttons[i];
    if (!b) return;
    b.style.background = heat(r.share);
    b.style.color = r.share > 0.1 ? "#fff" : "";
    b.querySelector("b").textContent = `${(100 * r.share).toFixed(1)}% active`;
    const sel = !!m.view && m.view.region === i;
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

function updateReadouts(m) {
  const last = state.counts[state.counts.length - 1];
  if (last) {
    $("step-count").textContent = last[0];
    $("count-quiet").textContent = last[1];
    $("count-active").textContent = last[2];
    $("count-jailed").textContent = last[3];
    $("count-dead").textContent = last[8];
    $("count-cops").textContent = last[5];
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
    $(`${name}-val`).textContent = shown;
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
  $("step").onclick = () => send({ cmd: "step" });
  $("speed").onchange = (e) => {
    const v = e.target.value;
    send({ cmd: "speed", steps_per_second: v === "max" ? null : Number(v) });
  };
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
    input.addEventListener("pointerdown", () => (dragging = name));
    input.addEventListener("pointerup", () => (dragging = null));
    input.addEventListener("input", () => {
      const value = Number(input.value);
      held[name] = { value, at: performance.now(), sent: false };
      $(`${name}-val`).textContent = value.toFixed(name === "cop_density" ? 3 : 2);
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
  window.addEventListener("resize", () => (state.chartDirty = true));
  $("log-scale").onchange = () => (state.chartDirty = true);
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
function followPicker(name) {
  const picker = $("scenario-picker");
  if (state.upload) return; // the upload's entry stays selected
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

const offscreen = document.createElement("canvas");

function drawFrame(buf) {
  const dv = new DataView(buf);
  if (buf.byteLength < 28) return;
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
  const scale = Math.max(1, Math.floor(600 / Math.max(cols, rows)));
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
  if (!state.chartDirty) return;
  state.chartDirty = false;
  const canvas = $("chart");
  const dpr = window.devicePixelRatio || 1;
  const W = canvas.clientWidth, H = canvas.clientHeight;
  if (canvas.width !== Math.round(W * dpr) || canvas.height !== Math.round(H * dpr)) {
    canvas.width = Math.round(W * dpr);
    canvas.height = Math.round(H * dpr);
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, W, H);
  const data = state.counts;
  if (data.length === 0) return;
  const x0 = data[0][0], x1 = Math.max(data[data.length - 1][0], x0 + 10);
  ctx.font = "11px system-ui, sans-serif";
  // Event labels go on the first of up to LABEL_ROWS rows where they do not
  // overlap an earlier one; a label with no room is left out (its line stays,
  // and the list under the chart has it).
  const LABEL_ROWS = 4;
  const padL = 66, padR = 10;
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
  let ymax = 10;
  for (const row of data) for (const s of SERIES) ymax = Math.max(ymax, row[s.idx]);
  ymax = niceCeil(ymax);
  const X = (step) => pad.l + ((step - x0) / (x1 - x0)) * pw;
  // Log scale: log10(1 + v), so 0 stays at the bottom and small counts
  // (a country's actives next to its quiet millions) get room.
  const log = $("log-scale").checked;
  const f = log ? (v) => Math.log10(1 + v) : (v) => v;
  const Y = (v) => pad.t + ph - (f(v) / f(ymax)) * ph;

  // Axes and grid.
  ctx.strokeStyle = "#e4e2dc";
  ctx.fillStyle = "#6b6b70";
  ctx.font = "11px system-ui, sans-serif";
  ctx.lineWidth = 1;
  const ticks = [];
  if (log) for (let v = 1; v <= ymax; v *= 10) ticks.push(v === 1 ? 0 : v);
  else for (let k = 0; k <= 4; k++) ticks.push((ymax * k) / 4);
  for (const v of ticks) {
    const y = Y(v);
    ctx.beginPath(); ctx.moveTo(pad.l, y); ctx.lineTo(pad.l + pw, y); ctx.stroke();
    ctx.textAlign = "right"; ctx.fillText(short(v), pad.l - 4, y + 4);
  }
  ctx.textAlign = "center";
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
  const ppa = (state.info && state.info.people_per_agent) || 1;
  const xTitle = cal ? `date (UTC), end of step; one step = ${cal.step_hours} h` : "step";
  const yTitle = (ppa !== 1 ? `agents (1 agent = ${short(ppa)} people)` : "agents") + (log ? ", log scale" : "");
  const aria = `counts over time; x axis: ${xTitle}; y axis: ${yTitle}`;
  if (canvas.getAttribute("aria-label") !== aria) canvas.setAttribute("aria-label", aria);
  ctx.fillText(xTitle, pad.l + pw / 2, H - 6);
  ctx.save();
  ctx.translate(12, pad.t + ph / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.fillText(yTitle, 0, 0);
  ctx.restore();

  // Fired events: dashed vertical lines with their labels.
  ctx.save();
  ctx.setLineDash([4, 3]);
  ctx.strokeStyle = "#8d3fd1";
  ctx.fillStyle = "#8d3fd1";
  ctx.textAlign = "left";
  for (const { e, lx, r } of labels) {
    const x = X(e.step);
    ctx.beginPath(); ctx.moveTo(x, pad.t - 4); ctx.lineTo(x, pad.t + ph); ctx.stroke();
    if (lx !== null) ctx.fillText(e.label, lx, 11 + 12 * r);
  }
  ctx.restore();

  // Series; long histories are thinned to about one point per pixel.
  const stride = Math.max(1, Math.floor(data.length / pw));
  ctx.lineWidth = 1.5;
  for (const s of SERIES) {
    ctx.strokeStyle = s.color;
    ctx.beginPath();
    for (let i = 0; i < data.length; i += stride) {
      const row = data[i];
      if (i === 0) ctx.moveTo(X(row[0]), Y(row[s.idx]));
      else ctx.lineTo(X(row[0]), Y(row[s.idx]));
    }
    ctx.stroke();
  }
  // Key.
  let kx = pad.l + 6;
  for (const s of SERIES) {
    ctx.fillStyle = s.color;
    ctx.fillRect(kx, pad.t + 4, 10, 3);
    ctx.fillStyle = "#1d1d1f";
    ctx.textAlign = "left";
    ctx.fillText(s.name, kx + 13, pad.t + 9);
    kx += 20 + ctx.measureText(s.name).width;
  }
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

function drawLegend() {
  const ul = $("legend");
  for (const c of CELLS) {
    if (c.legend === false) continue;
    const li = document.createElement("li");
    li.dataset.code = c.code;
    li.hidden = !!c.rare;
    const sw = document.createElement("i");
    sw.style.background = c.color;
    li.append(sw, c.name);
    ul.appendChild(li);
  }
}

async function main() {
  drawLegend();
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
