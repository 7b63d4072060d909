import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { extname, join, normalize } from "node:path";
import { after, before, test } from "node:test";
import type { Browser } from "playwright-core";
import { buildPage, launchChromium, screenshotPath } from "./browser.ts";

const dir = mkdtempSync(join(tmpdir(), "coxswain-static-"));
const www = join(dir, "www");
let http: Server;
let url: string;
let browser: Browser;

// Any static file host will do (the page has no server of its own); this one knows the few types it needs.
const TYPES: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css" };

before(async () => {
  await buildPage("browser", www);
  http = createServer(async (req, res) => {
    const path = join(
      www,
      normalize(new URL(req.url ?? "/", "http://x").pathname).replace(/^\/+/, "") || "index.html",
    );
    try {
      const body = await readFile(path.startsWith(www) ? path : join(www, "index.html"));
      res.writeHead(200, { "content-type": TYPES[extname(path)] ?? "application/octet-stream" }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const addr = http.address();
  assert.ok(addr && typeof addr === "object");
  url = `http://127.0.0.1:${addr.port}/`;
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => http?.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

test("the static page runs the twin and the BMS in the browser alone: live values, a fault from the UI, the BMS reacts", async () => {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("request", (r) => requests.push(r.url()));
  await page.goto(url);
  await page.waitForSelector("#connection:text('live')");
  await page.waitForSelector("#pack-info:has-text('110s36p')");
  await page.waitForSelector("#pack-info:has-text('coxswain-bms')");
  const t0 = await page.textContent("#session-time");
  await page.waitForFunction((t) => document.querySelector("#session-time")?.textContent !== t, t0);
  assert.equal(await page.$("#token"), null, "no token in the browser-only page");
  await page.waitForSelector("#reason-discharge:text('nominal')", { timeout: 60_000 });

  await page.selectOption("#fault-kind", "comms-lost");
  await page.click("#inject-fault");
  await page.waitForSelector("#active-faults li:has-text('comms-lost')");
  await page.waitForSelector("#alarms li.alarm");
  await page.waitForSelector("#limit-discharge:text('0.0 A')");
  // The limit and its reason render in the same frame only most of the time: wait for the reason to follow.
  await page.waitForFunction(() => document.querySelector("#reason-discharge")?.textContent !== "nominal");
  assert.notEqual(await page.textContent("#reason-discharge"), "nominal");
  // A bad request is refused in the page as the server would refuse it.
  await page.selectOption("#fault-kind", "internal-short");
  await page.fill("#fault-target", "500");
  await page.click("#inject-fault");
  await page.waitForSelector("#control-error:has-text('group')");
  await page.screenshot({ path: screenshotPath("static-page.png"), fullPage: true });
  assert.deepEqual(errors, []);
  assert.ok(
    requests.every((r) => r.startsWith(url)),
    `the page fetched only from its own host: ${requests.filter((r) => !r.startsWith(url)).join(", ")}`,
  );
});
