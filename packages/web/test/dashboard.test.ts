import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { createLiveSimulation } from "@coxswain/node/server/default-session";
import { type LiveServer, startLiveServer } from "@coxswain/node/server/run";
import type { Browser } from "playwright-core";
import { buildPage, launchChromium, screenshotPath } from "./browser.ts";

const dir = mkdtempSync(join(tmpdir(), "coxswain-dash-"));
let server: LiveServer;
let browser: Browser;

before(async () => {
  await buildPage("dashboard", join(dir, "www"));
  server = await startLiveServer({
    simulation: createLiveSimulation({ controller: "bms" }),
    speed: 5,
    host: "127.0.0.1",
    port: 0,
    stateDir: join(dir, "state"),
    staticDir: join(dir, "www"),
  });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

test("the dashboard shows the live twin, and a fault injected through the UI with the token raises an alarm and cuts the limits", async () => {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(server.url);
  await page.waitForSelector("#connection:text('live')");
  await page.waitForSelector("#pack-info:has-text('110s36p')");
  const t0 = await page.textContent("#session-time");
  await page.waitForFunction((t) => document.querySelector("#session-time")?.textContent !== t, t0);
  assert.match((await page.textContent("#pack-voltage")) ?? "", /^4\d\d\.\d V$/);
  // The BMS has closed the contactors and gives nominal limits.
  await page.waitForSelector("#reason-discharge:text('nominal')");
  assert.notEqual(await page.textContent("#limit-discharge"), "0.0 A");
  assert.equal(await page.textContent("#alarms"), "no active alarms");

  // Without the token the server refuses, and the page says why.
  await page.selectOption("#fault-kind", "comms-lost");
  await page.click("#inject-fault");
  await page.waitForSelector("#control-error:text('401')");
  assert.equal(server.session.simulation.activeFaults().length, 0);

  const token = readFileSync(server.tokenPath, "utf8").trim();
  await page.fill("#token", token);
  await page.dispatchEvent("#token", "change");
  await page.click("#inject-fault");
  await page.waitForSelector("#active-faults li:has-text('comms-lost')");
  await page.waitForSelector("#alarms li.alarm");
  await page.waitForSelector("#limit-discharge:text('0.0 A')");
  await page.waitForSelector("#limit-charge:text('0.0 A')");
  // The limit and its reason render in the same frame only most of the time: wait for the reason to follow.
  await page.waitForFunction(() => document.querySelector("#reason-discharge")?.textContent !== "nominal");
  assert.notEqual(await page.textContent("#reason-discharge"), "nominal");
  assert.equal(await page.textContent("#control-error"), "");
  await page.screenshot({ path: screenshotPath("dashboard.png"), fullPage: true });
  // A page opened later shows the run so far from the history store (the fault is no longer a live event).
  await page.reload();
  await page.waitForSelector("#events li:has-text('fault comms-lost')");
  assert.deepEqual(errors, []);
});
