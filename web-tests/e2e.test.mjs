// End-to-end test of the live view: a real Chromium (Debian's) opens the page
// served by `unrest serve`, plays, fires an event, uploads a broken scenario.
// Run by scripts/e2e-web.sh, which starts the server and sets UNREST_URL.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { spawn } from "node:child_process";
import { chromium } from "playwright-core";

const URL = process.env.UNREST_URL;
const SHOT = process.env.UNREST_SCREENSHOT || "target/e2e/web.png";
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const BIN = process.env.UNREST_BIN;

// A server of the test's own: `unrest serve ARGS... --port PORT` (0: any
// free port); resolves with its URL and port once it prints them.
function startServer(args, port = 0) {
  assert.ok(BIN, "UNREST_BIN must name the unrest binary");
  return new Promise((resolve, reject) => {
    const proc = spawn(BIN, ["serve", ...args, "--port", String(port)], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    const look = (d) => {
      out += d;
      const m = out.match(/http:\/\/127\.0\.0\.1:(\d+)\//);
      if (m) resolve({ proc, url: m[0], port: Number(m[1]) });
    };
    proc.stdout.on("data", look);
    proc.stderr.on("data", look);
    proc.on("exit", (code) => reject(new Error(`unrest serve exited (${code}): ${out}`)));
  });
}
function stopServer(s) {
  return new Promise((resolve) => {
    if (s.proc.exitCode !== null || s.proc.signalCode !== null) return resolve();
    s.proc.removeAllListeners("exit");
    s.proc.on("exit", () => resolve());
    s.proc.kill("SIGTERM");
  });
}

// Pixels of the chart canvas in the event-marker colour (#8d3fd1).
async function markerPixels(page) {
  return page.evaluate(() => {
    const c = document.getElementById("chart");
    const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (Math.abs(d[i] - 141) < 30 && Math.abs(d[i + 1] - 63) < 30 && Math.abs(d[i + 2] - 209) < 30 && d[i + 3] > 100) n++;
    }
    return n;
  });
}

const counts = async (page) => ({
  step: Number(await page.textContent("#step-count")),
  quiet: Number(await page.textContent("#count-quiet")),
  active: Number(await page.textContent("#count-active")),
  jailed: Number(await page.textContent("#count-jailed")),
});

// A fresh browser profile with one page on `url` (the test server by
// default), connected; `fn(page, errors)` runs with it, then all is closed.
async function withPage(fn, url = URL, waitConnected = true) {
  assert.ok(URL, "UNREST_URL must name the running server");
  const profile = mkdtempSync(join(tmpdir(), "unrest-e2e-"));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1500, height: 900 },
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
  const errors = [];
  try {
    const page = ctx.pages()[0] || (await ctx.newPage());
    page.on("pageerror", (e) => errors.push(String(e)));
    // The page must not reach anything but its server.
    const origin = new globalThis.URL(url).origin;
    await page.route("**/*", (route) =>
      route.request().url().startsWith(origin) ? route.continue() : route.abort());
    await page.goto(url);
    // Connected, and the first scenario message is in.
    if (waitConnected) await page.waitForFunction(() => document.getElementById("connection").textContent === "connected" && document.getElementById("scenario-title").textContent !== "");
    await fn(page, errors);
    // Free this tab's session now (a closed context need not send the
    // page's DELETE), so the suite never fills the server's 16 slots.
    const id = await page.evaluate(() => state.session).catch(() => null);
    if (id) await fetch(new globalThis.URL(`/api/sessions/${id}`, url), { method: "DELETE" }).catch(() => {});
  } finally {
    await ctx.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

const stepCount = (page) => page.textContent("#step-count").then(Number);
async function waitSteps(page, n, timeout = 20_000) {
  await page.waitForFunction((n) => Number(document.getElementById("step-count").textContent) >= n, n, { timeout });
}
async function load(page, name) {
  await page.selectOption("#scenario-picker", name);
  await page.click("#load");
  try {
    await page.waitForFunction((n) => document.getElementById("scenario-title").textContent.startsWith(n + " "), name, { timeout: 20_000 });
  } catch (e) {
    // Say what the page showed instead.
    const seen = await page.evaluate(() => ["scenario-title", "connection", "notice"].map((id) => `${id}: ${document.getElementById(id).textContent}`).join("; "));
    throw new Error(`loading ${name} did not show it (${seen})`);
  }
}

test("the live view plays, marks a fired event and shows a broken upload's place", { timeout: 120_000 }, async () => {
  await withPage(async (page, errors) => {
    await page.waitForFunction(() => document.getElementById("scenario-title").textContent.includes("40×40"));
    const before = await counts(page);
    assert.equal(before.step, 0);

    // Play: steps advance and the counts move.
    await page.selectOption("#speed", "25");
    await page.click("#play");
    await page.waitForFunction(() => Number(document.getElementById("step-count").textContent) >= 8, null, { timeout: 20_000 });
    const during = await counts(page);
    assert.ok(during.step >= 8);
    assert.notDeepEqual(
      [during.quiet, during.active, during.jailed],
      [before.quiet, before.active, before.jailed],
      "counts changed while playing");
    assert.equal(await markerPixels(page), 0, "no event marked yet");

    // Internet shutdown: logged, the button shows it in force, the chart marks it.
    await page.click('button[data-on="internet_shutdown"]');
    await page.waitForSelector('#event-log li[data-event="internet_shutdown"]');
    await page.waitForFunction(() => document.querySelector('button[data-on="internet_shutdown"]').classList.contains("on"));
    const fired = Number((await page.textContent('#event-log li[data-event="internet_shutdown"]')).match(/step (\d+)/)[1]);
    await page.waitForFunction((s) => Number(document.getElementById("step-count").textContent) >= s + 10, fired, { timeout: 20_000 });
    assert.ok((await markerPixels(page)) > 20, "the event is drawn on the chart");
    assert.match(await page.textContent("#vision-val"), /→/, "citizens' vision shown reduced");
    await page.click("#play"); // pause
    await page.waitForFunction(() => document.getElementById("play").textContent.includes("Play"));

    // A broken scenario: the error names line and column.
    await page.setInputFiles("#upload", {
      name: "broken.toml",
      mimeType: "text/plain",
      buffer: Buffer.from('name = "broken"\n[params]\nlegitimacy = "high"\n'),
    });
    await page.waitForSelector("#upload-error:not([hidden])");
    const msg = await page.textContent("#upload-error");
    assert.match(msg, /broken\.toml: line 3, column 14/);
    assert.match(msg, /legitimacy/);

    mkdirSync(dirname(SHOT), { recursive: true });
    await page.screenshot({ path: SHOT, fullPage: true });

    // A country: its regions appear as a heat map; clicking one opens its lattice.
    const country = await page.evaluate(async () => {
      const list = await (await fetch("/api/scenarios")).json();
      const c = list.builtins.find((b) => b.kind === "country");
      return c && c.name;
    });
    assert.ok(country, "a country scenario is built in");
    await page.selectOption("#scenario-picker", country);
    await page.click("#load");
    await page.waitForSelector("#regions:not([hidden]) button");
    const regions = await page.$$("#regions button");
    assert.ok(regions.length > 1);
    await page.click("#step");
    await page.waitForFunction(() => Number(document.getElementById("step-count").textContent) >= 1);
    const last = regions.length - 1;
    await page.click(`#regions button[data-region="${last}"]`);
    await page.waitForSelector(`#regions button[data-region="${last}"].sel`);
    const name = (await page.textContent(`#regions button[data-region="${last}"]`)).split(/\d/)[0].trim();
    assert.match(await page.textContent("#sampling"), new RegExp(`region ${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
    // 25 steps/s, not the fastest: the pause lands near step 30, while
    // Mangystau is up (the screenshot shows the map with a region lit).
    await page.selectOption("#speed", "25");
    await page.click("#play");
    await page.waitForFunction(() => Number(document.getElementById("step-count").textContent) >= 30, null, { timeout: 30_000 });
    await page.click("#play");
    await page.waitForFunction(() => document.getElementById("play").textContent.includes("Play"));
    await page.screenshot({ path: SHOT.replace(/\.png$/, "-country.png"), fullPage: true });
    assert.deepEqual(errors, [], "no script errors on the page");
  });
});

test("slider input from the keyboard or a click on the track is kept while playing", { timeout: 60_000 }, async () => {
  await withPage(async (page, errors) => {
    await page.selectOption("#speed", "25");
    await page.click("#play");
    await waitSteps(page, 3);
    await page.focus("#legitimacy");
    for (let i = 0; i < 10; i++) await page.keyboard.press("ArrowLeft");
    await page.waitForTimeout(1500);
    assert.equal(await page.inputValue("#legitimacy"), "0.72", "arrow keys move L from 0.82 to 0.72");
    assert.equal(await page.textContent("#legitimacy-val"), "0.72", "and the server reports it");
    // A click on the track at about 30%.
    const box = await page.locator("#legitimacy").boundingBox();
    await page.mouse.click(box.x + box.width * 0.3, box.y + box.height / 2);
    await page.waitForTimeout(1500);
    const v = Number(await page.textContent("#legitimacy-val"));
    assert.ok(v > 0.2 && v < 0.4, `a click at 30% of the track sets L near 0.3 (server has ${v})`);
    // Paused, the chart is redrawn at its new size when the window is resized.
    await page.click("#play");
    await page.waitForFunction(() => document.getElementById("play").textContent.includes("Play"));
    await page.setViewportSize({ width: 1000, height: 900 });
    await page.waitForFunction(() => {
      const c = document.getElementById("chart");
      return Math.abs(c.width - Math.round(c.clientWidth * (window.devicePixelRatio || 1))) <= 1;
    }, null, { timeout: 5000 });
    assert.deepEqual(errors, []);
  });
});

test("Model II's killed count leaves out deaths from old age", { timeout: 60_000 }, async () => {
  await withPage(async (page, errors) => {
    await load(page, "epstein-run6");
    await page.selectOption("#speed", "max");
    await page.click("#play");
    await waitSteps(page, 400, 30_000);
    await page.click("#play");
    await page.waitForFunction(() => document.getElementById("play").textContent.includes("Play"));
    // Peaceful coexistence: people die of old age, nobody is killed.
    assert.equal(await page.textContent("#count-dead"), "0");
    const yellow = await page.evaluate(() => {
      const c = document.getElementById("lattice");
      const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] === 0xa3 && d[i + 1] === 0x6f && d[i + 2] === 0x00) n++; // killed (#a36f00)
      return n;
    });
    assert.equal(yellow, 0, "no site is marked as a killing");
    assert.equal(await page.isHidden('#legend li[data-code="6"]'), true, "nor listed in the legend");
    assert.equal(await page.isVisible('#legend li[data-code="2"]'), true);
    assert.deepEqual(errors, []);
  });
});

test("after a long server outage the tab reconnects, and its scenario and seed come back", { timeout: 90_000 }, async () => {
  let server = await startServer(["epstein-run2"]);
  try {
    await withPage(async (page, errors) => {
      await load(page, "epstein-run1");
      await page.fill("#seed", "9");
      await page.click("#reset");
      await page.waitForFunction(() => document.getElementById("seed").value === "9");
      await page.selectOption("#speed", "5");
      await page.click("#step");
      await waitSteps(page, 1);
      // Down for 6 s: longer than the page's three quick retries.
      await stopServer(server);
      await page.waitForFunction(() => document.getElementById("connection").textContent.includes("reconnecting"));
      await page.click("#step");
      assert.match(await page.textContent("#notice"), /not connected/, "a command while disconnected is not silently dropped");
      await page.waitForTimeout(6000);
      server = await startServer(["epstein-run2"], server.port);
      await page.waitForFunction(() => document.getElementById("connection").textContent === "connected", null, { timeout: 20_000 });
      await page.waitForFunction(() => document.getElementById("scenario-title").textContent.startsWith("epstein-run1 "));
      assert.equal(await page.inputValue("#seed"), "9");
      assert.match(await page.textContent("#notice"), /lost this tab's simulation.*epstein-run1.*seed 9/);
      assert.equal(await page.inputValue("#scenario-picker"), "epstein-run1");
      // The speed shown is the session's: 5 steps/s.
      await page.click("#play");
      await page.waitForTimeout(2000);
      await page.click("#play");
      const n = await stepCount(page);
      assert.ok(n >= 4 && n <= 16, `about 10 steps in 2 s at 5/s, not ${n}`);
      assert.deepEqual(errors, [], "no uncaught errors (no 'Failed to fetch')");
    }, server.url);
  } finally {
    await stopServer(server);
  }
});

test("a quick server restart brings back an uploaded scenario and says so", { timeout: 60_000 }, async () => {
  let server = await startServer(["epstein-run2"]);
  try {
    await withPage(async (page, errors) => {
      await page.setInputFiles("#upload", {
        name: "my-run.toml",
        mimeType: "text/plain",
        buffer: Buffer.from('name = "my-run"\n[params]\nwidth = 30\nheight = 20\n'),
      });
      await page.waitForFunction(() => document.getElementById("scenario-title").textContent.startsWith("my-run "));
      await stopServer(server);
      server = await startServer(["epstein-run2"], server.port);
      await page.waitForFunction(() => /lost this tab's simulation/.test(document.getElementById("notice").textContent), null, { timeout: 20_000 });
      await page.waitForFunction(() => document.getElementById("scenario-title").textContent.startsWith("my-run "));
      assert.match(await page.textContent("#notice"), /my-run\.toml was uploaded again/);
      assert.deepEqual(errors, []);
    }, server.url);
  } finally {
    await stopServer(server);
  }
});

test("a busy server's tab gets its simulation once a slot frees", { timeout: 60_000 }, async () => {
  const server = await startServer(["epstein-run2", "--max-sessions", "1"]);
  try {
    const first = await (await fetch(server.url + "api/sessions", { method: "POST" })).json();
    await withPage(async (page, errors) => {
      await page.waitForFunction(() => document.getElementById("connection").textContent.includes("busy"));
      await fetch(server.url + "api/sessions/" + first.id, { method: "DELETE" });
      await page.waitForFunction(() => document.getElementById("connection").textContent === "connected", null, { timeout: 20_000 });
      await page.click("#step");
      await waitSteps(page, 1);
      assert.deepEqual(errors, []);
    }, server.url, false);
  } finally {
    await stopServer(server);
  }
});

test("a lattice run stops at its steps, with its own schedule marked on the chart", { timeout: 60_000 }, async () => {
  await withPage(async (page, errors) => {
    await load(page, "epstein-run4"); // steps = 300; legitimacy jumps at t = 77
    await page.selectOption("#speed", "max");
    await page.click("#play");
    await page.waitForFunction(() => /last step/.test(document.getElementById("notice").textContent), null, { timeout: 30_000 });
    assert.match(await page.textContent("#notice"), /last step \(300/);
    await page.waitForFunction(() => document.getElementById("play").textContent.includes("Play"));
    assert.equal(await stepCount(page), 300, "stopped at the scenario's last step");
    const marked = await page.$$eval('#event-log li[data-event="schedule"]', (li) => li.map((x) => x.textContent));
    assert.deepEqual(marked, ["step 76: legitimacy → 0.7 (schedule)"]);
    assert.ok((await markerPixels(page)) > 20, "the jump is drawn on the chart");
    // Slider moves are marked too, once per step.
    await page.click("#reset");
    await page.waitForFunction(() => Number(document.getElementById("step-count").textContent) === 0);
    await page.focus("#legitimacy");
    for (let i = 0; i < 5; i++) await page.keyboard.press("ArrowRight");
    await page.waitForTimeout(300);
    await page.click("#step");
    await page.waitForSelector('#event-log li[data-event="set"]');
    assert.deepEqual(await page.$$eval('#event-log li[data-event="set"]', (li) => li.map((x) => x.textContent)),
      ["step 0: legitimacy → 0.95 (slider)"]);
    assert.deepEqual(errors, []);
  });
});

test("at 25 steps/s every step is drawn", { timeout: 60_000 }, async () => {
  await withPage(async (page, errors) => {
    await page.selectOption("#speed", "25");
    await page.evaluate(() => {
      window.seen = [];
      new MutationObserver(() => window.seen.push(Number(document.getElementById("step-count").textContent)))
        .observe(document.getElementById("step-count"), { childList: true, characterData: true, subtree: true });
    });
    await page.click("#play");
    await page.waitForTimeout(4000);
    await page.click("#play");
    const seen = await page.evaluate(() => window.seen);
    const gaps = seen.slice(1).map((v, i) => v - seen[i]).filter((d) => d > 0);
    const skipped = gaps.filter((d) => d > 1).length;
    assert.ok(gaps.length >= 60, `about 100 updates in 4 s, got ${gaps.length}`);
    assert.ok(skipped <= gaps.length * 0.15, `${skipped} of ${gaps.length} updates skipped a step`);
    assert.deepEqual(errors, []);
  });
});

test("messages do not go stale, the picker follows uploads, odd inputs get clear answers", { timeout: 60_000 }, async () => {
  await withPage(async (page, errors) => {
    // A refused event's notice goes with the next command.
    await page.click('button[data-on="foreign_troops_out"]');
    await page.waitForFunction(() => /no foreign force/.test(document.getElementById("notice").textContent));
    await page.click('button[data-on="concession"]');
    await page.waitForSelector('#event-log li[data-event="concession"]');
    assert.equal(await page.textContent("#notice"), "");
    // A non-UTF-8 file is reported as such.
    await page.setInputFiles("#upload", { name: "latin1.toml", mimeType: "text/plain", buffer: Buffer.from([0x6e, 0x61, 0x6d, 0x65, 0x3d, 0x22, 0xe9, 0x22, 0x0a]) });
    await page.waitForSelector("#upload-error:not([hidden])");
    assert.match(await page.textContent("#upload-error"), /latin1\.toml: .*not UTF-8/);
    // An upload: the picker shows it; Load then starts it again.
    await page.setInputFiles("#upload", { name: "my-run.toml", mimeType: "text/plain", buffer: Buffer.from('name = "my-run"\n[params]\nwidth = 30\nheight = 20\n') });
    await page.waitForFunction(() => document.getElementById("scenario-title").textContent.startsWith("my-run "));
    assert.equal(await page.isHidden("#upload-error"), true, "the old upload error went");
    assert.match(await page.$eval("#scenario-picker", (p) => p.selectedOptions[0].textContent), /my-run/);
    await page.click("#step");
    await waitSteps(page, 1);
    await page.click("#load");
    await page.waitForFunction(() => Number(document.getElementById("step-count").textContent) === 0);
    assert.match(await page.textContent("#scenario-title"), /^my-run /);
    // Choosing another built-in shows its summary before Load.
    await page.selectOption("#scenario-picker", "epstein-run1");
    assert.match(await page.textContent("#scenario-desc"), /press Load/);
    // Large seeds keep every digit; too large ones are refused on the page.
    await load(page, "epstein-run1");
    await page.fill("#seed", "9007199254740993");
    await page.click("#reset");
    // The title names the seed the server runs (the field alone may still hold what was typed).
    await page.waitForFunction(() => document.getElementById("scenario-title").textContent.endsWith("seed 9007199254740993"));
    assert.equal(await page.inputValue("#seed"), "9007199254740993");
    await page.fill("#seed", "18446744073709551615");
    await page.click("#reset");
    await page.waitForFunction(() => document.getElementById("scenario-title").textContent.endsWith("seed 18446744073709551615"));
    assert.equal(await page.inputValue("#seed"), "18446744073709551615");
    await page.fill("#seed", "99999999999999999999999");
    await page.click("#reset");
    assert.match(await page.textContent("#notice"), /at most 18446744073709551615/);
    // The event list's numbers are not cut off from item 10 on.
    for (let i = 0; i < 10; i++) await page.click('button[data-on="concession"]');
    await page.waitForFunction(() => document.querySelectorAll("#event-log li").length >= 10);
    const pad = await page.$eval("#event-log", (ol) => parseFloat(getComputedStyle(ol).paddingLeft));
    assert.ok(pad >= 30, `room for "10." in the list margin (${pad} px)`);
    assert.deepEqual(errors, []);
  });
});

test("a country's chart and event list give dates and units", { timeout: 90_000 }, async () => {
  await withPage(async (page, errors) => {
    await load(page, "kazakhstan-2022");
    await page.selectOption("#speed", "max");
    await page.click("#play");
    await page.waitForSelector("#event-log li", { timeout: 60_000 });
    await page.click("#play");
    assert.match(await page.textContent("#event-log li"), /^step \d+ \(20\d\d-\d\d-\d\d \d\d:\d\d\): /);
    await page.waitForFunction(() => /date/.test(document.getElementById("chart").getAttribute("aria-label")));
    // The selected tile is marked as such, apart from the focus ring.
    await page.click('#regions button[data-region="1"]');
    await page.waitForSelector('#regions button[data-region="1"][aria-current="true"]');
    assert.equal(await page.$$eval("#regions button[aria-current]", (b) => b.length), 1);
    await page.focus('#regions button[data-region="2"]');
    await page.keyboard.press("Tab");
    await page.keyboard.press("Shift+Tab");
    const [sel, foc] = await page.$$eval('#regions button[data-region="1"], #regions button[data-region="2"]',
      (b) => b.map((x) => { const c = getComputedStyle(x); return `${c.outlineStyle} ${c.boxShadow}`; }));
    assert.notEqual(sel, foc, "focus does not look like selection");
    const label = await page.getAttribute("#chart", "aria-label");
    assert.match(label, /x axis: date \(UTC\), end of step; one step = 6 h/);
    assert.match(label, /y axis: agents \(1 agent = 100 people\), log scale/, "log scale by default on a country");
    await page.uncheck("#log-scale");
    await page.waitForFunction(() => !/log scale/.test(document.getElementById("chart").getAttribute("aria-label")));
    assert.deepEqual(errors, []);
  });
});

// Pixels of a canvas in colour `hex` (exactly).
async function pixelsOf(page, id, hex) {
  return page.evaluate(([id, hex]) => {
    const c = document.getElementById(id);
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
    const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] === r && d[i + 1] === g && d[i + 2] === b) n++;
    return n;
  }, [id, hex]);
}

test("Model II's two groups have their own colours, and hovering a site reads its agent", { timeout: 60_000 }, async () => {
  await withPage(async (page, errors) => {
    await load(page, "epstein-run7");
    await page.click("#step");
    await waitSteps(page, 1);
    assert.ok(await pixelsOf(page, "lattice", "#3fa36b") > 0, "group B's quiet citizens are green");
    assert.ok(await pixelsOf(page, "lattice", "#5b8fd6") > 0, "group A's are blue");
    assert.equal(await page.isVisible('#legend li[data-code="7"]'), true);
    assert.match(await page.textContent('#legend li[data-code="1"]'), /group A/);
    // Hover sites until a citizen is read out.
    const box = await page.locator("#lattice").boundingBox();
    let text = "";
    for (let k = 0; k < 40 && !/citizen/.test(text); k++) {
      await page.mouse.move(box.x + ((k % 8) + 0.5) * (box.width / 8), box.y + (Math.floor(k / 8) + 0.5) * (box.height / 8));
      await page.waitForTimeout(150);
      text = await page.textContent("#inspect");
    }
    assert.match(text, /site \(\d+, \d+\): (quiet|active|jailed) citizen, group [AB]\. Hardship H [\d.]+, risk aversion R [\d.]+, grievance G = H\(1 − L\) = [\d.]+/);
    // A single lattice has no groups: no group B in its legend.
    await load(page, "epstein-run1");
    assert.equal(await page.$('#legend li[data-code="7"]'), null);
    assert.deepEqual(errors, []);
  });
});

test("the chart's series hide, its units switch, and hovering it reads counts and an event's note and source", { timeout: 90_000 }, async () => {
  await withPage(async (page, errors) => {
    await load(page, "kazakhstan-2022");
    await page.selectOption("#speed", "max");
    await page.click("#play");
    await page.waitForFunction(() => [...document.querySelectorAll("#event-log li")].some((li) => /source:/.test(li.textContent)), null, { timeout: 60_000 });
    await page.click("#play");
    await page.waitForFunction(() => document.getElementById("play").textContent.includes("Play"));
    // The event list gives the note and the source.
    const li = await page.$$eval("#event-log li", (l) => l.map((x) => x.textContent).find((t) => /source:/.test(t)));
    assert.match(li, /— .+source: cases\.yaml/);
    // Hover each event line until the readout shows an event with its source.
    const box = await page.locator("#chart").boundingBox();
    let tip = "";
    for (let x = 70; x < box.width - 10 && !/source:/.test(tip); x += 2) {
      await page.mouse.move(box.x + x, box.y + box.height / 2);
      tip = (await page.isVisible("#chart-tip")) ? await page.textContent("#chart-tip") : "";
    }
    assert.match(tip, /step \d+ \(20\d\d-\d\d-\d\d \d\d:\d\d UTC\)/, "the step and its date");
    assert.match(tip, /active: /);
    assert.match(tip, /source: cases\.yaml/, "an event's source");
    await page.mouse.move(box.x + 5, box.y - 40);
    await page.waitForSelector("#chart-tip", { state: "hidden" });
    // Hide quiet: it leaves the chart.
    await page.uncheck('#series input[data-series="quiet"]');
    await page.waitForFunction(() => /hidden: quiet/.test(document.getElementById("chart").getAttribute("aria-label")));
    assert.equal(await pixelsOf(page, "chart", "#5b8fd6"), 0, "no quiet line drawn");
    await page.check('#series input[data-series="quiet"]');
    await page.waitForFunction(() => !/hidden/.test(document.getElementById("chart").getAttribute("aria-label")));
    // Units: people at the scenario's scale, and shares of citizens.
    await page.selectOption("#units", "people");
    await page.waitForFunction(() => /y axis: people \(agents × 100\)/.test(document.getElementById("chart").getAttribute("aria-label")));
    await page.selectOption("#units", "share");
    await page.waitForFunction(() => /y axis: % of citizens/.test(document.getElementById("chart").getAttribute("aria-label")));
    // The data table gives the same numbers as text.
    await page.click("#table-box summary");
    await page.waitForFunction(() => document.querySelectorAll("#data-table tbody tr").length > 5);
    assert.match(await page.textContent("#data-table thead"), /date \(UTC\).*quiet.*active/);
    assert.match(await page.textContent("#data-table tbody"), /%/);
    // On a lattice one agent is one person: "people" is not offered.
    await load(page, "epstein-run1");
    assert.equal(await page.$eval('#units option[value="people"]', (o) => o.disabled), true);
    assert.deepEqual(errors, []);
  });
});

test("the run exports as CSV, and the chart as PNG and SVG", { timeout: 60_000 }, async () => {
  await withPage(async (page, errors) => {
    await page.click('button[data-on="concession"]');
    for (let i = 0; i < 5; i++) await page.click("#step");
    await waitSteps(page, 5);
    const [csv] = await Promise.all([page.waitForEvent("download"), page.click("#export-csv")]);
    assert.match(csv.suggestedFilename(), /^epstein-run2-seed\d+\.csv$/);
    const text = await (await import("node:fs/promises")).readFile(await csv.path(), "utf8");
    const lines = text.split("\n");
    assert.equal(lines[1], "step,quiet,active,jailed,dead,cops,arrests,kills,killed,legitimacy");
    assert.match(lines[2], /^0,\d+,\d+,\d+,\d+,\d+,\d+,\d+,\d+,0\.82$/);
    assert.match(lines[3], /,0\.87$/, "the concession's L + 0.05 from step 1 on");
    assert.match(lines[7], /^5,/);
    assert.match(text, /# events\nstep,event,label,regions,note,source\n0,concession,concession,,,/);
    const [png] = await Promise.all([page.waitForEvent("download"), page.click("#export-png")]);
    const bytes = await (await import("node:fs/promises")).readFile(await png.path());
    assert.deepEqual([...bytes.subarray(1, 4)], [0x50, 0x4e, 0x47], "a PNG file");
    const [svg] = await Promise.all([page.waitForEvent("download"), page.click("#export-svg")]);
    const s = await (await import("node:fs/promises")).readFile(await svg.path(), "utf8");
    assert.match(s, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.match(s, /<text[^>]*>step<\/text>/, "the x axis title");
    assert.match(s, /<text[^>]*>concession<\/text>/, "the event's label");
    assert.ok((s.match(/<path /g) || []).length >= 10, "grid, events and series as paths");
    assert.deepEqual(errors, []);
  });
});

test("the page explains itself: help, tooltips, why sliders are off; Space plays", { timeout: 60_000 }, async () => {
  await withPage(async (page, errors) => {
    // Every control has a tooltip or a visible label.
    const bare = await page.$$eval("button, select, input", (els) => els
      .filter((e) => !e.title && !(e.labels && e.labels.length && e.labels[0].textContent.trim()) && !e.getAttribute("aria-label"))
      .map((e) => e.id || e.outerHTML.slice(0, 60)));
    assert.deepEqual(bare, []);
    const untitled = await page.$$eval("main button, main select, main input[type=range]", (els) => els.filter((e) => !e.title).map((e) => e.id || e.textContent));
    assert.deepEqual(untitled.filter((t) => !/^\d+$/.test(t)), [], "buttons, menus and sliders have tooltips");
    assert.equal(await page.isHidden("#help"), true);
    await page.click("#help-toggle");
    assert.match(await page.textContent("#help"), /G = H\(1 − L\)/);
    assert.equal(await page.getAttribute("#help-toggle", "aria-expanded"), "true");
    // Space plays and pauses when no control has focus.
    await page.evaluate(() => document.activeElement && document.activeElement.blur());
    await page.keyboard.press("Space");
    await page.waitForFunction(() => document.getElementById("play").textContent.includes("Pause"));
    await page.evaluate(() => document.activeElement && document.activeElement.blur());
    await page.keyboard.press("Space");
    await page.waitForFunction(() => document.getElementById("play").textContent.includes("Play"));
    // On a country the disabled sliders say why.
    await load(page, "belarus-2020");
    assert.equal(await page.isVisible("#disabled-why"), true);
    assert.match(await page.getAttribute("#vision", "title"), /Off on a country/);
    assert.equal(await page.isVisible("#heat-key"), true);
    await load(page, "epstein-run1");
    assert.equal(await page.isHidden("#disabled-why"), true);
    assert.doesNotMatch(await page.getAttribute("#vision", "title"), /Off on a country/);
    assert.deepEqual(errors, []);
  });
});

// WCAG contrast of two "rgb(r, g, b)" colours.
function contrast(a, b) {
  const lum = (c) => {
    const [r, g, bl] = c.match(/\d+/g).slice(0, 3).map((v) => {
      const x = Number(v) / 255;
      return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

test("layout at 390, 1024 and 2560 px; 44 px targets, AA contrast, visible focus, labelled canvases", { timeout: 90_000 }, async () => {
  await withPage(async (page, errors) => {
    // A phone: the lattice and Play on the first screen together.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(300);
    const lat = await page.locator("#lattice").boundingBox();
    const play = await page.locator("#play").boundingBox();
    assert.ok(lat.y < 844 && play.y + play.height <= 844, `lattice at ${lat.y}, Play at ${play.y}`);
    assert.ok(lat.x + lat.width <= 390, "the lattice fits the width");
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(wide <= 390, `no sideways scrolling (${wide} px)`);
    // A country on a phone: the tiles scroll sideways, Play is still on the first screen.
    await load(page, "kazakhstan-2022");
    const play2 = await page.locator("#play").boundingBox();
    assert.ok(play2.y + play2.height <= 844, `Play at ${play2.y} on a country`);
    const tilesTall = (await page.locator("#regions").boundingBox()).height;
    assert.ok(tilesTall < 140, `tiles in two rows (${tilesTall} px)`);
    await load(page, "epstein-run2");
    // Touch targets.
    const small = await page.$$eval("button, select, input[type=range], input[type=text], summary", (els) => els
      .filter((e) => e.offsetParent !== null)
      .map((e) => [e.id || e.textContent.trim().slice(0, 20), e.getBoundingClientRect().height])
      .filter(([, h]) => h < 44));
    assert.deepEqual(small, [], "every target is at least 44 px high");
    // A laptop window: controls beside the lattice.
    await page.setViewportSize({ width: 1024, height: 768 });
    await page.waitForTimeout(300);
    const ctl = await page.locator("section.controls").boundingBox();
    const lat2 = await page.locator("section.lattice").boundingBox();
    assert.ok(lat2.x >= ctl.x + ctl.width && lat2.y < 200, "two columns at 1024 px");
    // A large screen: the lattice grows.
    await page.setViewportSize({ width: 2560, height: 1440 });
    await page.click("#step");
    await waitSteps(page, 1);
    await page.waitForFunction(() => document.getElementById("lattice").getBoundingClientRect().width >= 700);
    // Contrast of the counts and the notice on white.
    for (const sel of ["#count-quiet", "#count-active", "#count-jailed", "#count-dead", "#notice", ".desc"]) {
      const c = await page.$eval(sel, (e) => getComputedStyle(e).color);
      assert.ok(contrast(c, "rgb(255, 255, 255)") >= 4.5, `${sel}: ${c} has ${contrast(c, "rgb(255, 255, 255)").toFixed(2)}:1`);
    }
    // Focus is visible.
    await page.focus("#step");
    await page.keyboard.press("Shift+Tab");
    await page.keyboard.press("Tab");
    const outline = await page.$eval("#step", (e) => getComputedStyle(e).outlineStyle + " " + getComputedStyle(e).outlineWidth);
    assert.match(outline, /solid 3px/);
    // Canvases say what they show.
    assert.match(await page.getAttribute("#lattice", "aria-label"), /step 1: \d+ quiet, \d+ active/);
    assert.equal(await page.getAttribute("#lattice", "role"), "img");
    assert.deepEqual(errors, []);
  });
});

test("a country's region tiles are readable and keep AA contrast at any share", { timeout: 60_000 }, async () => {
  await withPage(async (page, errors) => {
    await load(page, "kazakhstan-2022");
    await page.click("#step");
    await waitSteps(page, 1);
    const tiles = await page.$$eval("#regions button", (b) => b.map((x) => [getComputedStyle(x).color, x.getAttribute("aria-label")]));
    assert.ok(tiles.length > 5);
    assert.match(tiles[0][1], /: \d+\.\d% of \d+ free citizens active, shown/);
    // The darkest tile (20% active and more) against the tiles' text colour.
    const darkest = await page.evaluate(() => heat(1));
    for (const [c] of tiles) assert.ok(contrast(c, darkest) >= 4.5, `${c} on ${darkest}`);
    assert.deepEqual(errors, []);
  });
});

test("legitimacy is drawn over time, policies in force are shaded, Step while playing says it paused", { timeout: 60_000 }, async () => {
  await withPage(async (page, errors) => {
    // Run 3: salami tactics, L lowered step by step from step 76 on.
    await load(page, "epstein-run3");
    await page.selectOption("#speed", "max");
    await page.click("#play");
    await page.waitForFunction(() => /last step/.test(document.getElementById("notice").textContent), null, { timeout: 30_000 });
    // Every step's L is known, even at full speed: hover before and after the ramp.
    const box = await page.locator("#chart").boundingBox();
    const tipAt = async (f) => {
      const L = await page.evaluate(() => ({ l: state.layout.pad.l, w: state.layout.pw }));
      await page.mouse.move(box.x + L.l + f * L.w, box.y + box.height / 2);
      await page.waitForSelector("#chart-tip:not([hidden])");
      return page.textContent("#chart-tip");
    };
    const early = await tipAt(0.1), late = await tipAt(0.6);
    const lOf = (t) => Number(t.match(/legitimacy L: ([\d.]+)/)[1]);
    assert.equal(lOf(early), 0.9, early);
    assert.ok(lOf(late) < 0.3, `L fell by step 180: ${late}`);
    assert.ok(await pixelsOf(page, "chart", "#00796b") > 50, "the L line is drawn");
    await page.uncheck('#series input[data-series="legitimacy"]');
    await page.waitForFunction(() => /hidden: legitimacy/.test(document.getElementById("chart").getAttribute("aria-label")));
    // An emergency in force is shaded until it is lifted, and the hover says so.
    await load(page, "epstein-run2");
    for (let i = 0; i < 3; i++) await page.click("#step");
    await waitSteps(page, 3);
    await page.click('button[data-on="state_of_emergency"]');
    await page.waitForSelector('#event-log li[data-event="state_of_emergency"]');
    for (let i = 0; i < 6; i++) await page.click("#step");
    await waitSteps(page, 9);
    const t = await tipAt(0.8);
    assert.match(t, /in force: emergency/);
    // Step while playing pauses, and says so (slowly: at full speed the run
    // would reach its 500 steps first).
    await page.selectOption("#speed", "5");
    await page.click("#play");
    await page.waitForFunction(() => document.getElementById("play").textContent.includes("Pause"));
    await page.click("#step");
    await page.waitForFunction(() => /Step paused the run/.test(document.getElementById("notice").textContent));
    assert.deepEqual(errors, []);
  });
});

test("an open region's own counts are shown under the tiles", { timeout: 60_000 }, async () => {
  await withPage(async (page, errors) => {
    await load(page, "belarus-2020");
    await page.click("#step");
    await waitSteps(page, 1);
    await page.click('#regions button[data-region="1"]');
    await page.waitForFunction(() => {
      const name = document.querySelector('#regions button[data-region="1"]').firstChild.textContent;
      return document.getElementById("region-counts").textContent.startsWith(name + ": ");
    });
    assert.match(await page.textContent("#region-counts"), /: \d+ active of \d+ free citizens \(\d+\.\d\d%\)/);
    await load(page, "epstein-run1");
    assert.equal(await page.isHidden("#region-counts"), true);
    assert.deepEqual(errors, []);
  });
});

test("a country's regions over time: a strip of active shares scaled to the largest, with hover", { timeout: 90_000 }, async () => {
  await withPage(async (page, errors) => {
    assert.equal(await page.isHidden("#strip-box"), true, "no strip for a lattice");
    await load(page, "kazakhstan-2022");
    assert.equal(await page.isVisible("#strip-box"), true);
    await page.selectOption("#speed", "max");
    await page.click("#play");
    await waitSteps(page, 40, 60_000);
    await page.click("#play");
    await page.waitForFunction(() => /largest share so far [1-9]\d*\.\d\d%/.test(document.getElementById("strip").getAttribute("aria-label")));
    assert.ok(await pixelsOf(page, "strip", "#e0452b") > 0, "the largest share is full red");
    await page.locator("#strip").scrollIntoViewIfNeeded();
    const box = await page.locator("#strip").boundingBox();
    await page.mouse.move(box.x + box.width - 20, box.y + 10);
    await page.waitForSelector("#strip-tip:not([hidden])");
    const names = await page.evaluate(() => state.info.regions);
    const tip = await page.textContent("#strip-tip");
    assert.ok(names.some((n) => tip.startsWith(n + ", step ")), tip);
    assert.match(tip, /\(20\d\d-\d\d-\d\d \d\d:\d\d UTC\): \d+\.\d\d% active$/);
    assert.deepEqual(errors, []);
  });
});

test("a slider's exact value can be typed; a bad one is refused with its range", { timeout: 60_000 }, async () => {
  await withPage(async (page, errors) => {
    await page.click("#legitimacy-val button");
    await page.keyboard.press("Control+A");
    await page.keyboard.type("0.456");
    await page.keyboard.press("Enter");
    await page.click("#step");
    await page.waitForSelector('#event-log li[data-event="set"]');
    assert.match(await page.textContent('#event-log li[data-event="set"]'), /legitimacy → 0\.456 \(slider\)/);
    assert.equal(await page.textContent("#legitimacy-val"), "0.46");
    // Out of range: refused on the page, with the range.
    await page.click("#vision-val button");
    await page.keyboard.press("Control+A");
    await page.keyboard.type("25");
    await page.keyboard.press("Enter");
    assert.match(await page.textContent("#notice"), /Vision must be a number from 0 to 20, not "25"/);
    await page.keyboard.press("Escape");
    assert.equal(await page.$("#vision-val input"), null, "Escape closes the field");
    // On a country the typed entry is off with its slider.
    await load(page, "belarus-2020");
    assert.equal(await page.isDisabled("#vision-val button"), true);
    assert.equal(await page.isEnabled("#legitimacy-val button"), true);
    assert.deepEqual(errors, []);
  });
});

test("a scenario chosen but not loaded stays chosen when the run is reset meanwhile", { timeout: 60_000 }, async () => {
  await withPage(async (page, errors) => {
    await page.selectOption("#scenario-picker", "epstein-run1");
    await page.click("#step");
    await waitSteps(page, 1);
    await page.click("#reset");
    await page.waitForFunction(() => Number(document.getElementById("step-count").textContent) === 0);
    await page.waitForTimeout(300);
    assert.equal(await page.inputValue("#scenario-picker"), "epstein-run1", "the picker was not swapped back");
    await page.click("#load");
    await page.waitForFunction(() => document.getElementById("scenario-title").textContent.startsWith("epstein-run1 "));
    assert.deepEqual(errors, []);
  });
});

test("a lattice run can be told where to stop; the stop survives Reset and is off on a country", { timeout: 60_000 }, async () => {
  await withPage(async (page, errors) => {
    assert.equal(await page.inputValue("#stop-at"), "500", "the scenario's own steps at first");
    await page.fill("#stop-at", "0");
    await page.press("#stop-at", "Enter");
    assert.match(await page.textContent("#notice"), /whole number from 1/);
    await page.fill("#stop-at", "6");
    await page.press("#stop-at", "Enter");
    await page.selectOption("#speed", "max");
    await page.click("#play");
    await page.waitForFunction(() => /last step \(6,/.test(document.getElementById("notice").textContent));
    assert.equal(await stepCount(page), 6);
    await page.click("#reset");
    await page.waitForFunction(() => Number(document.getElementById("step-count").textContent) === 0);
    assert.equal(await page.inputValue("#stop-at"), "6");
    await load(page, "belarus-2020");
    assert.equal(await page.isDisabled("#stop-at"), true);
    assert.deepEqual(errors, []);
  });
});

// A point inside region `i`'s shape on the map (the first one found on a grid
// over the map), in page coordinates, or null.
async function mapPointOf(page, i) {
  return page.evaluate((i) => {
    const r = document.getElementById("map").getBoundingClientRect();
    for (let gy = 2; gy < 60; gy++) {
      for (let gx = 2; gx < 60; gx++) {
        const x = r.left + (gx / 61) * r.width, y = r.top + (gy / 61) * r.height;
        const el = document.elementFromPoint(x, y);
        if (el && el.dataset && el.dataset.region === String(i)) return { x, y };
      }
    }
    return null;
  }, i);
}

test("a country is drawn as a map of its regions: every built-in, a log-scale key, hover reads a region, click opens it", { timeout: 120_000 }, async () => {
  await withPage(async (page, errors) => {
    assert.equal(await page.isHidden("#map-box"), true, "no map for a lattice");
    for (const name of ["belarus-2020", "euromaidan-2014", "kazakhstan-2022"]) {
      await load(page, name);
      await page.click("#step");
      await waitSteps(page, 1);
      assert.equal(await page.isVisible("#map-box"), true, `${name}: the map is shown`);
      // Every region has a shape (a unit's path, or a disc), filled.
      const drawn = await page.evaluate(() => {
        const els = [...document.querySelectorAll("#map [data-region]")];
        return {
          regions: state.info.regions.length,
          drawn: new Set(els.map((e) => e.dataset.region)).size,
          paths: document.querySelectorAll("#map path").length,
          unfilled: els.filter((e) => !e.getAttribute("fill")).length,
        };
      });
      assert.equal(drawn.drawn, drawn.regions, `${name}: every region drawn (${JSON.stringify(drawn)})`);
      assert.equal(drawn.unfilled, 0, `${name}: every shape coloured`);
      assert.ok(drawn.paths >= 7, `${name}: admin-1 units as paths (${drawn.paths})`);
      assert.match(await page.textContent("#map-credit"), /Natural Earth/);
      const key = await page.textContent("#map-key");
      assert.match(key, /log scale/);
      for (const t of ["0.1%", "1%", "10%", "30%+"]) assert.ok(key.includes(t), `${name}: the key marks ${t}`);
    }
    // Ukraine's macro-regions are unions of oblasts: West is eight of them.
    await load(page, "euromaidan-2014");
    const west = await page.evaluate(() => document.querySelectorAll(`#map path[data-region="${state.info.regions.indexOf("West")}"]`).length);
    assert.equal(west, 8, "West drawn as its eight oblasts");
    // Kazakhstan: the capital and Almaty are cities too small to see, and
    // Shymkent, Abai, Zhetisu and Ulytau have no boundary in the source: discs.
    await load(page, "kazakhstan-2022");
    await page.click("#step");
    await waitSteps(page, 1);
    const discs = await page.evaluate(() => [...document.querySelectorAll("#map circle[data-region]")].map((c) => state.info.regions[c.dataset.region]));
    for (const r of ["Nur-Sultan", "Almaty", "Shymkent", "Abai", "Zhetisu", "Ulytau"]) assert.ok(discs.includes(r), `${r} has a disc (${discs})`);
    // The log scale sets 1% and 10% far apart on the key and in colour.
    const [t1, t10, c1, c10] = await page.evaluate(() => [mapT(0.01), mapT(0.1), mapColor(0.01), mapColor(0.1)]);
    assert.ok(t10 - t1 > 0.3, `1% at ${t1}, 10% at ${t10} of the key`);
    assert.notEqual(c1, c10);
    // Hover a region: its numbers.
    const names = await page.evaluate(() => state.info.regions);
    const target = names.indexOf("Mangystau");
    const at = await mapPointOf(page, target);
    assert.ok(at, "Mangystau is on the map");
    await page.mouse.move(at.x, at.y);
    await page.waitForSelector("#map-tip:not([hidden])");
    const tip = await page.textContent("#map-tip");
    assert.match(tip, /^Mangystau: \d+\.\d\d% active — \d+ active of \d+ free citizens \(≈ [\d.]+[kM]? of [\d.]+[kM]? people\)/, tip);
    assert.match(tip, /click to open its lattice/);
    // Click it: its lattice opens (its tile marked, its counts under the map).
    await page.mouse.click(at.x, at.y);
    await page.waitForSelector(`#regions button[data-region="${target}"][aria-current="true"]`);
    await page.waitForFunction(() => document.getElementById("region-counts").textContent.startsWith("Mangystau: "));
    assert.equal(await page.evaluate((i) => document.querySelector(`#map path[data-region="${i}"]`).classList.contains("sel"), target), true, "the open region is outlined");
    assert.match(await page.textContent("#sampling"), /region Mangystau/);
    // The keyboard reaches it too: focus a region's shape, Enter opens it.
    const other = names.indexOf("Atyrau");
    await page.focus(`#map [data-region="${other}"][tabindex="0"]`);
    await page.keyboard.press("Enter");
    await page.waitForSelector(`#regions button[data-region="${other}"][aria-current="true"]`);
    assert.match(await page.getAttribute(`#map [data-region="${other}"][tabindex="0"]`, "aria-label"), /^Atyrau: \d+\.\d\d% active/);
    await page.mouse.move(5, 5);
    await page.waitForSelector("#map-tip", { state: "hidden" });
    // On a phone the map moves under the run controls: Play stays on the first screen.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(300);
    assert.equal(await page.evaluate(() => document.getElementById("map-box").parentElement.id), "chart-panel");
    const play = await page.locator("#play").boundingBox();
    assert.ok(play.y + play.height <= 844, `Play at ${play.y} with a map`);
    await page.setViewportSize({ width: 1500, height: 900 });
    await page.waitForTimeout(300);
    assert.equal(await page.evaluate(() => document.getElementById("map-box").parentElement.id), "lattice-panel");
    if (process.env.UNREST_MAP_SCREENSHOT) await page.locator("section.lattice").screenshot({ path: process.env.UNREST_MAP_SCREENSHOT });
    assert.deepEqual(errors, []);
  });
});

test("a country with no map of its own is drawn as tiles; an upload's geometry file is not read, and the page says so", { timeout: 60_000 }, async () => {
  await withPage(async (page, errors) => {
    const fs = await import("node:fs/promises");
    const text = await fs.readFile(new globalThis.URL("../crates/unrest-scenario/scenarios/belarus-2020.toml", import.meta.url), "utf8");
    const mine = text.replace(/^name = "belarus-2020"/m, 'name = "my-belarus"\ngeometry = "/etc/passwd"');
    assert.notEqual(mine, text);
    await page.setInputFiles("#upload", { name: "my-belarus.toml", mimeType: "text/plain", buffer: Buffer.from(mine) });
    await page.waitForFunction(() => document.getElementById("scenario-title").textContent.startsWith("my-belarus "));
    assert.equal(await page.isHidden("#map-box"), true, "no map");
    assert.equal(await page.isVisible("#regions"), true, "the tiles instead");
    assert.equal(await page.$$eval("#regions button", (b) => b.length), 7);
    assert.match(await page.textContent("#map-note"), /names the geometry file "\/etc\/passwd", which the server reads only for the scenario `unrest serve` starts with/);
    assert.deepEqual(errors, []);
  });
});

test("a scenario file's own geometry is drawn: unrest serve reads the GeoJSON it names", { timeout: 60_000 }, async () => {
  const fs = await import("node:fs/promises");
  const dir = mkdtempSync(join(tmpdir(), "unrest-geo-"));
  const text = await fs.readFile(new globalThis.URL("../crates/unrest-scenario/scenarios/belarus-2020.toml", import.meta.url), "utf8");
  await fs.writeFile(join(dir, "mine.toml"), text.replace(/^name = "belarus-2020"/m, 'name = "squares"\ngeometry = "squares.geojson"'));
  const square = (x, y) => ({ type: "Polygon", coordinates: [[[x, y], [x + 1, y], [x + 1, y + 1], [x, y + 1], [x, y]]] });
  const fc = {
    type: "FeatureCollection",
    attribution: "two squares of the test's own",
    features: [
      { type: "Feature", properties: { region: "Minsk", unit: "square one" }, geometry: square(27, 53) },
      { type: "Feature", properties: { region: "Brest", unit: "square two" }, geometry: square(25, 52) },
      { type: "Feature", properties: { region: "Gomel" }, geometry: { type: "Point", coordinates: [31, 52.4] } },
    ],
  };
  await fs.writeFile(join(dir, "squares.geojson"), JSON.stringify(fc));
  const server = await startServer([join(dir, "mine.toml")]);
  try {
    await withPage(async (page, errors) => {
      await page.click("#step");
      await waitSteps(page, 1);
      assert.equal(await page.isVisible("#map-box"), true);
      assert.equal(await page.$$eval("#map path[data-region]", (p) => p.length), 2);
      assert.equal(await page.$$eval("#map circle[data-region]", (c) => c.length), 1, "a disc for the point (the squares are large enough to see)");
      assert.equal(await page.textContent("#map-credit"), "two squares of the test's own");
      assert.deepEqual(errors, []);
    }, server.url);
    // A file that does not fit the scenario stops the server with its reason.
    await fs.writeFile(join(dir, "squares.geojson"), JSON.stringify({ ...fc, features: [{ ...fc.features[0], properties: { region: "Atlantis" } }] }));
    await assert.rejects(startServer([join(dir, "mine.toml")]), /region "Atlantis" is not a region of this scenario/);
  } finally {
    await stopServer(server);
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a country's protest is on its own panel: active, jailed, killed and detained, each series can be hidden", { timeout: 90_000 }, async () => {
  await withPage(async (page, errors) => {
    // A lattice: one panel, and no detained series.
    await page.click("#step");
    await waitSteps(page, 1);
    assert.equal(await page.isChecked("#split-panel"), false);
    assert.equal(await page.evaluate(() => state.layout.panels.length), 1);
    assert.equal(await page.isHidden('#series input[data-series="detained"]'), true);
    await load(page, "belarus-2020");
    await page.selectOption("#speed", "max");
    await page.click("#play");
    await waitSteps(page, 60, 60_000);
    await page.click("#play");
    assert.equal(await page.isChecked("#split-panel"), true, "split by default on a country");
    await page.waitForFunction(() => state.layout && state.layout.panels.length === 2);
    const panels = await page.evaluate(() => state.layout.panels);
    assert.deepEqual(panels[0].series, ["quiet", "police"]);
    assert.deepEqual(panels[1].series, ["active", "jailed", "killed", "detained"]);
    assert.ok(panels[1].top > panels[0].top + panels[0].h, "the protest panel is below, apart");
    assert.ok(panels[1].ymax < panels[0].ymax, `its own axis (${panels[1].ymax} < ${panels[0].ymax})`);
    assert.match(await page.getAttribute("#chart", "aria-label"), /panels: population \(quiet, police\), protest and repression \(active, jailed, killed, detained\)/);
    // Detained is counted (Belarus detained thousands in its first days) and drawn.
    const detained = await page.evaluate(() => state.counts[state.counts.length - 1][10]);
    assert.ok(detained > 0, `detained so far: ${detained} agents`);
    assert.ok(await pixelsOf(page, "chart", "#2e7d32") > 20, "the detained line is drawn");
    // Hide detained and jailed: they leave the panel and the chart.
    await page.uncheck('#series input[data-series="detained"]');
    await page.uncheck('#series input[data-series="jailed"]');
    await page.waitForFunction(() => /hidden: jailed, detained/.test(document.getElementById("chart").getAttribute("aria-label")));
    assert.deepEqual(await page.evaluate(() => state.layout.panels[1].series), ["active", "killed"]);
    assert.equal(await pixelsOf(page, "chart", "#2e7d32"), 0, "no detained line");
    // The hover reads the detained count while it is shown.
    await page.check('#series input[data-series="detained"]');
    await page.locator("#chart").scrollIntoViewIfNeeded();
    const box = await page.locator("#chart").boundingBox();
    await page.mouse.move(box.x + box.width - 60, box.y + box.height / 2);
    await page.waitForSelector("#chart-tip:not([hidden])");
    assert.match(await page.textContent("#chart-tip"), /detained: [\d.]+[kM]?/);
    // One panel again when asked.
    await page.uncheck("#split-panel");
    await page.waitForFunction(() => state.layout.panels.length === 1);
    // The data table has the detained column on a country.
    await page.click("#table-box summary");
    await page.waitForFunction(() => /detained/.test(document.querySelector("#data-table thead").textContent));
    assert.deepEqual(errors, []);
  });
});
