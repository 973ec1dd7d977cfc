// unrest live view: one simulation per tab, driven over a WebSocket.
// Protocol: docs/web.md. No libraries, no network beyond this server.
"use strict";

const $ = (id) => document.getElementById(id);

// Cell codes (protocol) -> colour and legend label.
const CELLS = [
  { code: 0, name: "empty", color: "#f4f3ef", legend: false },
  { code: 1, name: "quiet", color: "#5b8fd6" },
  { code: 2, name: "active", color: "#e0452b" },
  { code: 3, name: "jailed (on site)", color: "#8a8a8a" },
  { code: 4, name: "police", color: "#1d1d1f" },
  { code: 5, name: "foreign forces", color: "#8d3fd1" },
  { code: 6, name: "killed (last 10 steps)", color: "#f2b705" },
];
const RGB = CELLS.map((c) => [1, 3, 5].map((i) => parseInt(c.color.slice(i, i + 2), 16)));

// Chart series: index into a counts row [step, quiet, active, jailed, dead, cops, arrests, kills].
const SERIES = [
  { name: "quiet", idx: 1, color: "#5b8fd6" },
  { name: "active", idx: 2, color: "#e0452b" },
  { name: "jailed", idx: 3, color: "#8a8a8a" },
  { name: "police", idx: 5, color: "#1d1d1f" },
  { name: "killed", idx: 4, color: "#d4a000" },
];
const CHART_CAP = 20000;

const state = {
  session: null,
  ws: null,
  generation: 0,
  counts: [],
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

function send(msg) {
  if (state.ws && state.ws.readyState === WebSocket.OPEN) {
    state.ws.send(JSON.stringify(msg));
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

async function startSession(scenario) {
  const body = scenario ? JSON.stringify({ scenario }) : "";
  const resp = await fetch("/api/sessions", { method: "POST", body, headers: { "Content-Type": "application/json" } });
  if (!resp.ok) {
    const msg = await errorText(resp);
    setConnection(resp.status === 503 ? "server busy" : "no session", true);
    notice(msg);
    return false;
  }
  const { id } = await resp.json();
  state.session = id;
  state.retries = 0;
  connect();
  return true;
}

function connect() {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(`${proto}//${location.host}/api/sessions/${state.session}/ws`);
  ws.binaryType = "arraybuffer";
  state.ws = ws;
  ws.onopen = () => setConnection("connected");
  ws.onmessage = (ev) => {
    if (typeof ev.data === "string") onMessage(JSON.parse(ev.data));
    else drawFrame(ev.data);
  };
  ws.onclose = () => {
    if (state.ws !== ws) return;
    setConnection("disconnected — reconnecting…", true);
    state.retries += 1;
    // The session may have been dropped while the tab slept: start a new one.
    if (state.retries > 3) {
      state.retries = 0;
      setTimeout(() => startSession(), 1000);
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
    state.events = [];
    $("event-log").replaceChildren();
    $("scenario-title").textContent = `${m.info.name} — ${m.info.width}×${m.info.height}`;
    buildRegions(m.info);
    $("scenario-desc").textContent = m.info.description;
    $("sampling").textContent = `Lattice: ${m.info.sampling}.`;
    $("seed").value = m.info.seed;
    const picker = $("scenario-picker");
    if ([...picker.options].some((o) => o.value === m.info.name)) picker.value = m.info.name;
  } else if (m.type === "state") {
    if (m.generation !== state.generation) return;
    for (const row of m.counts) state.counts.push(row);
    if (state.counts.length > CHART_CAP) state.counts.splice(0, state.counts.length - CHART_CAP);
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

function addEvent(e) {
  state.events.push(e);
  const li = document.createElement("li");
  li.textContent = `step ${e.step}: ${e.label}`;
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
    b.classList.toggle("sel", m.view && m.view.region === i);
  });
}

// ----- readouts and controls ----------------------------------------------------

const SLIDERS = ["legitimacy", "cop_density", "risk_aversion_scale", "vision"];
let dragging = null;

function updateReadouts(m) {
  const last = state.counts[state.counts.length - 1];
  if (last) {
    $("step-count").textContent = last[0];
    $("count-quiet").textContent = last[1];
    $("count-active").textContent = last[2];
    $("count-jailed").textContent = last[3];
    $("count-dead").textContent = last[4];
    $("count-cops").textContent = last[5];
  }
  $("play").textContent = state.playing ? "❚❚ Pause" : "▶ Play";
  $("play").classList.toggle("on", state.playing);
  const c = m.controls || {};
  for (const name of SLIDERS) {
    const v = c[name];
    if (v === undefined) continue;
    const input = $(name);
    if (dragging !== name) {
      if (name === "cop_density" && v > Number(input.max)) input.max = Math.min(0.5, v * 2).toFixed(3);
      input.value = v;
    }
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
    send({ cmd: "reset", seed: raw === "" ? null : Number(raw) });
  };
  for (const name of SLIDERS) {
    const input = $(name);
    let timer = null;
    input.addEventListener("pointerdown", () => (dragging = name));
    input.addEventListener("pointerup", () => (dragging = null));
    input.addEventListener("input", () => {
      $(`${name}-val`).textContent = Number(input.value).toFixed(name === "cop_density" ? 3 : 2);
      clearTimeout(timer);
      timer = setTimeout(() => send({ cmd: "set", param: name, value: Number(input.value) }), 80);
    });
  }
  for (const b of document.querySelectorAll("button.event")) {
    b.onclick = () => {
      const on = b.dataset.flag && state.policy[b.dataset.flag];
      send({ cmd: "fire", event: on ? b.dataset.off : b.dataset.on });
    };
  }
  $("load").onclick = () => send({ cmd: "load", scenario: $("scenario-picker").value });
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
  const box = $("upload-error");
  box.hidden = true;
  if (file.size > 256 * 1024) {
    showUploadError(`${file.name}: the file is ${file.size} bytes; at most 262144 are accepted`);
    return;
  }
  const text = await file.text();
  const resp = await fetch(`/api/sessions/${state.session}/scenario?name=${encodeURIComponent(file.name)}`, {
    method: "POST",
    body: text,
    headers: { "Content-Type": "text/plain; charset=utf-8" },
  });
  if (resp.ok) {
    notice(`loaded ${file.name}`);
    return;
  }
  let body = {};
  try {
    body = await resp.json();
  } catch (_) {}
  const err = body.error || { message: resp.statusText };
  let msg = err.message;
  if (err.line) {
    msg = `${err.origin || file.name}: line ${err.line}, column ${err.column}: ${err.message}`;
    if (err.snippet !== undefined && err.snippet !== null) {
      msg += `\n  ${err.line} | ${err.snippet}\n  ${" ".repeat(String(err.line).length)} | ${" ".repeat(Math.max(0, err.column - 1))}^`;
    }
  }
  showUploadError(msg);
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
  const pad = { l: 48, r: 10, t: 26, b: 26 };
  const pw = W - pad.l - pad.r, ph = H - pad.t - pad.b;
  const data = state.counts;
  if (data.length === 0) return;
  const x0 = data[0][0], x1 = Math.max(data[data.length - 1][0], x0 + 10);
  let ymax = 10;
  for (const row of data) for (const s of SERIES) ymax = Math.max(ymax, row[s.idx]);
  ymax = niceCeil(ymax);
  const X = (step) => pad.l + ((step - x0) / (x1 - x0)) * pw;
  const Y = (v) => pad.t + ph - (v / ymax) * ph;

  // Axes and grid.
  ctx.strokeStyle = "#e4e2dc";
  ctx.fillStyle = "#6b6b70";
  ctx.font = "11px system-ui, sans-serif";
  ctx.lineWidth = 1;
  for (let k = 0; k <= 4; k++) {
    const v = (ymax * k) / 4, y = Y(v);
    ctx.beginPath(); ctx.moveTo(pad.l, y); ctx.lineTo(pad.l + pw, y); ctx.stroke();
    ctx.textAlign = "right"; ctx.fillText(String(Math.round(v)), pad.l - 4, y + 4);
  }
  ctx.textAlign = "center";
  for (let k = 0; k <= 5; k++) {
    const s = Math.round(x0 + ((x1 - x0) * k) / 5);
    ctx.fillText(String(s), X(s), H - 8);
  }

  // Fired events: dashed vertical lines with their labels.
  ctx.save();
  ctx.setLineDash([4, 3]);
  ctx.strokeStyle = "#8d3fd1";
  ctx.fillStyle = "#8d3fd1";
  ctx.textAlign = "left";
  let labelRow = 0;
  for (const e of state.events) {
    if (e.step < x0) continue;
    const x = X(e.step);
    ctx.beginPath(); ctx.moveTo(x, pad.t - 4); ctx.lineTo(x, pad.t + ph); ctx.stroke();
    const tw = ctx.measureText(e.label).width;
    ctx.fillText(e.label, Math.max(pad.l, Math.min(x + 3, W - tw - 2)), 11 + 12 * (labelRow % 2));
    labelRow++;
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
