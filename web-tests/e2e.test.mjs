// End-to-end test of the live view: a real Chromium (Debian's) opens the page
// served by `unrest serve`, plays, fires an event, uploads a broken scenario.
// Run by scripts/e2e-web.sh, which starts the server and sets UNREST_URL.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { chromium } from "playwright-core";

const URL = process.env.UNREST_URL;
const SHOT = process.env.UNREST_SCREENSHOT || "target/e2e/web.png";
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";

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

test("the live view plays, marks a fired event and shows a broken upload's place", { timeout: 120_000 }, async () => {
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
    // The page must not reach anything but this server.
    await page.route("**/*", (route) =>
      route.request().url().startsWith(URL.replace(/\/$/, "")) ? route.continue() : route.abort());
    await page.goto(URL);
    await page.waitForFunction(() => document.getElementById("connection").textContent === "connected");
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
    await page.selectOption("#speed", "max");
    await page.click("#play");
    await page.waitForFunction(() => Number(document.getElementById("step-count").textContent) >= 30, null, { timeout: 30_000 });
    await page.click("#play");
    await page.waitForFunction(() => document.getElementById("play").textContent.includes("Play"));
    await page.screenshot({ path: SHOT.replace(/\.png$/, "-country.png"), fullPage: true });
    assert.deepEqual(errors, [], "no script errors on the page");
  } finally {
    await ctx.close();
    rmSync(profile, { recursive: true, force: true });
  }
});
