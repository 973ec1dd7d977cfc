import { chromium } from "/work/wt-live/web-tests/node_modules/playwright-core/index.mjs";
const b = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--headless"] });
const [w, h, scen, out] = process.argv.slice(2);
const page = await b.newPage({ viewport: { width: Number(w), height: Number(h) } });
page.on("pageerror", (e) => console.log("PAGEERR", String(e)));
await page.goto("http://127.0.0.1:18931/");
await page.waitForFunction(() => document.getElementById("connection").textContent === "connected");
if (scen) { await page.selectOption("#scenario-picker", scen); await page.click("#load"); await page.waitForTimeout(500); }
await page.selectOption("#speed", "max");
await page.click("#play");
await page.waitForTimeout(3000);
await page.click("#play");
await page.waitForTimeout(300);
const box = await page.locator("#chart").boundingBox();
await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5);
await page.waitForTimeout(200);
await page.screenshot({ path: out, fullPage: false });
await b.close();
