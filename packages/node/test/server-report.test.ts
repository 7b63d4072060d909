import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { niceTicks } from "../src/report/svg-plot.ts";
import { recordRun, reportHtml } from "../src/report/twin-report.ts";
import { createLiveSimulation } from "../src/server/default-session.ts";

const dir = mkdtempSync(join(tmpdir(), "coxswain-report-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const bin = fileURLToPath(new URL("../../cli/bin/coxswain.mjs", import.meta.url));

// A small pack discharged at a constant current, then resting.
const scenarioPath = join(dir, "small.json");
writeFileSync(
  scenarioPath,
  JSON.stringify({
    format: "coxswain-scenario/1",
    name: "small-discharge",
    seed: 7,
    params: "lg-m50-chen2020",
    pack: { seriesGroups: 4, parallelCells: 2 },
    initial: { soc: 0.7, tempC: 25 },
    ambientC: 25,
    coolantInletC: 25,
    phases: [
      { kind: "current", currentA: -5, durationS: 600 },
      { kind: "rest", durationS: 120 },
    ],
  }),
);

test("tick values are round (1, 2 or 5 × 10^k), evenly spaced and cover the range", () => {
  fc.assert(
    fc.property(
      fc.double({ min: -1e6, max: 1e6, noNaN: true }),
      fc.double({ min: 1e-3, max: 1e6, noNaN: true }),
      (lo, span) => {
        const ticks = niceTicks(lo, lo + span);
        assert.ok(ticks.length >= 2 && ticks.length <= 11, `${ticks.length} ticks`);
        const step = ticks[1] - ticks[0];
        const mantissa = step / 10 ** Math.floor(Math.log10(step));
        assert.ok(
          [1, 2, 5, 10].some((m) => Math.abs(mantissa - m) < 1e-6),
          `step ${step}`,
        );
        for (let i = 1; i < ticks.length; i++)
          assert.ok(Math.abs(ticks[i] - ticks[i - 1] - step) < 1e-6 * step);
        assert.ok(ticks[0] >= lo - 1e-9 * Math.abs(lo) - 1e-12 && ticks[0] - step < lo);
        assert.ok(
          ticks[ticks.length - 1] <= lo + span + step * 1e-6 && ticks[ticks.length - 1] + step > lo + span,
        );
      },
    ),
  );
});

test("the report's run conserves charge: the SOC truth falls by the charge drawn, and the BMS estimate follows", () => {
  const run = recordRun(createLiveSimulation({ scenario: scenarioPath, controller: "bms", repeatPhases: 1 }));
  const { timeS, values } = run;
  assert.ok(Math.abs(timeS[timeS.length - 1] - 720) < 1.5, `ran to ${timeS[timeS.length - 1]} s`);
  // Independent expectation: ΔSOC = ∫I dt / (Np · Q · 3600), trapezoid over the 1 s samples.
  let chargeAs = 0;
  for (let i = 1; i < timeS.length; i++) {
    chargeAs +=
      (((values.packCurrentA[i] ?? 0) + (values.packCurrentA[i - 1] ?? 0)) / 2) * (timeS[i] - timeS[i - 1]);
  }
  const expected = chargeAs / (2 * run.info.pack.cellCapacityAh * 3600);
  const socTrue = values.socTrue as number[];
  const measured = socTrue[socTrue.length - 1] - socTrue[0];
  assert.ok(expected < -0.07, `drew ${chargeAs} A·s`);
  assert.ok(Math.abs(measured - expected) < 0.02 * Math.abs(expected), `ΔSOC ${measured} vs ${expected}`);
  const estimate = values.socEstimate[values.socEstimate.length - 1] as number;
  assert.ok(Math.abs(estimate - socTrue[socTrue.length - 1]) < 0.03, `estimate ${estimate}`);

  const html = reportHtml(run);
  assert.equal(html.match(/<svg /g)?.length, 5);
  assert.match(html, /SOC estimate error, RMSE \/ max<\/th><td>\d+\.\d\d \/ \d+\.\d\d pp/);
  assert.match(html, /coxswain-bms/);
  // Self-contained: nothing to fetch (the only URL is the SVG namespace).
  assert.doesNotMatch(html, /\b(src|href)=/);
  assert.deepEqual([...new Set(html.match(/https?:\/\/[^\s"]+/g))], ["http://www.w3.org/2000/svg"]);
});

test("coxswain report writes the HTML report, and refuses a bad option by name", () => {
  const out = join(dir, "report.html");
  const r = spawnSync(
    process.execPath,
    [bin, "report", scenarioPath, "--controller", "reference", "--out", out],
    {
      encoding: "utf8",
    },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /small-discharge with the reference controller: 0\.20 h simulated/);
  assert.match(readFileSync(out, "utf8"), /^<!doctype html>/);
  const bad = spawnSync(process.execPath, [bin, "report", scenarioPath, "--out", out, "--seed", "-3"], {
    encoding: "utf8",
  });
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /--seed/);
});
