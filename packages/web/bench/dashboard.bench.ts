// How much the dashboard costs the browser at 10 telemetry frames per second with the default 110s36p pack:
// time to render a frame (overview, three heat maps, four plots, panels) and the animation frame rate kept.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLiveSimulation } from "@coxswain/node/server/default-session";
import { startLiveServer } from "@coxswain/node/server/run";
import { buildPage, launchChromium } from "../test/browser.ts";

const dir = mkdtempSync(join(tmpdir(), "coxswain-dash-bench-"));
await buildPage("dashboard", join(dir, "www"));
const server = await startLiveServer({
  simulation: createLiveSimulation({ controller: "bms" }),
  host: "127.0.0.1",
  port: 0,
  stateDir: join(dir, "state"),
  staticDir: join(dir, "www"),
  historyPath: null,
});
const browser = await launchChromium();
const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
await page.goto(server.url);
await page.waitForSelector("#connection:text('live')");
await new Promise((r) => setTimeout(r, 2000)); // warm-up
// Plain JavaScript text: tsx would wrap named functions in a helper the page does not have.
const measured = (await page.evaluate(`(async () => {
  const s = window.coxswainStats;
  const start = { ...s, t: performance.now() };
  s.renderMsMax = 0;
  let animationFrames = 0;
  const tick = () => { animationFrames++; requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
  await new Promise((r) => setTimeout(r, 10000));
  const seconds = (performance.now() - start.t) / 1000;
  const renders = s.renders - start.renders;
  return {
    framesPerS: (s.framesIn - start.framesIn) / seconds,
    renderMsMean: (s.renderMsTotal - start.renderMsTotal) / renders,
    renderMsMax: s.renderMsMax,
    animationFps: animationFrames / seconds,
  };
})()`)) as { framesPerS: number; renderMsMean: number; renderMsMax: number; animationFps: number };
const line = (name: string, value: number, unit: string) =>
  process.stdout.write(`${JSON.stringify({ name, value: Math.round(value * 100) / 100, unit })}\n`);
line("dashboard.telemetry_frames_per_s", measured.framesPerS, "1/s");
line("dashboard.render_mean", measured.renderMsMean, "ms");
line("dashboard.render_max", measured.renderMsMax, "ms");
line("dashboard.animation_fps", measured.animationFps, "1/s");
await browser.close();
await server.close();
rmSync(dir, { recursive: true, force: true });
