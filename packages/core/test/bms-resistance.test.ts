/**
 * The group-resistance plausibility check on the twin: a warm pack of many low-resistance groups under noisy
 * group-voltage sensors must not raise `group.resistanceHigh` (over a small current step the largest group ΔV
 * is noise), while a group that lost a third of its cells is still found at the first large step.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import {
  type BmsConfig,
  compileBmsConfig,
  compileCellParams,
  defaultBmsConfigFile,
  type PackInfo,
  parseBmsConfig,
  parseCellParams,
  parseScenario,
  runBmsOnTwin,
} from "../src/index.ts";
import { testPack } from "./bms-fixtures.ts";

const model = compileCellParams(
  parseCellParams(
    JSON.parse(readFileSync(new URL("../params/lg-m50-chen2020.json", import.meta.url), "utf8")),
    "lg-m50-chen2020",
  ),
);

const NS = 110;
const NP = 36;
const REST_S = 10;

/** Rest while the host limits rise after closing, then the load alternating between two levels every 0.5 s. */
function scenario(o: { ambientC: number; lowA: number; highA: number; seconds: number; faults?: object[] }) {
  const phases: object[] = [{ kind: "rest", durationS: REST_S }];
  for (let k = 0; k < o.seconds; k++)
    phases.push(
      { kind: "current", currentA: -o.lowA, durationS: 0.5 },
      { kind: "current", currentA: -o.highA, durationS: 0.5 },
    );
  return parseScenario(
    {
      format: "coxswain-scenario/1",
      name: "bms-resistance",
      seed: 3,
      params: "lg-m50-chen2020",
      stepS: 0.01,
      recordEveryS: 10,
      sensors: { samplePeriodS: 0.01 },
      pack: { seriesGroups: NS, parallelCells: NP },
      initial: { soc: 0.3, tempC: o.ambientC },
      ambientC: o.ambientC,
      coolantInletC: o.ambientC,
      phases,
      faults: o.faults ?? [],
    },
    "bms-resistance scenario",
  );
}

/** The baseline controller (the performance functions do not take part in this check). */
function config(pack: PackInfo, voltageNoiseV?: number): BmsConfig {
  const f = defaultBmsConfigFile(pack, model, { performance: false });
  if (voltageNoiseV !== undefined) f.plausibility.voltageNoiseV = voltageNoiseV;
  return compileBmsConfig(f, model);
}

test("a healthy warm 110s36p pack under 45 A load steps and 0.8 mV voltage noise raises no resistance alarm", () => {
  // At 40 °C a group of 36 cells has about 0.2 mΩ over 100 ms: a 45 A step moves it about 9 mV, and the largest
  // of 110 noisy ΔV (σ = 1.1 mV) is often 35 % above the mean. The twin's sensors have 0.8 mV noise per sample.
  const s = scenario({ ambientC: 40, lowA: 100, highA: 145, seconds: 10 });
  const judged = runBmsOnTwin(s, model, { config: (p) => config(p) });
  assert.ok(!Number.isNaN(judged.closedS), "contactors closed");
  assert.equal(judged.firstSetS.get("group.resistanceHigh"), undefined);
  assert.ok(judged.endS > REST_S + 9.9, `ran to the end (${judged.endS} s)`);
  // The same run with every step judged whatever the noise (the check before it knew the noise) alarms.
  const everyStep = runBmsOnTwin(s, model, { config: (p) => config(p, 0) });
  assert.ok(everyStep.firstSetS.has("group.resistanceHigh"), "the scenario does reproduce the false alarm");
});

test("12 of 36 cells of a group open: found at the first 160 A step, in the 100 ms task that sees it", () => {
  // The group's resistance rises to 36/24 = 1.5 × the others. At 40 °C the mean group moves about 28 mV over
  // the step, 20 noise deviations: enough to judge in one step.
  const s = scenario({
    ambientC: 40,
    lowA: 40,
    highA: 200,
    seconds: 3,
    faults: Array.from({ length: 12 }, (_, c) => ({ kind: "open-cell", atS: 5, group: 40, cell: c })),
  });
  const r = runBmsOnTwin(s, model, {
    config: (p) => config(p),
    signature: (twin) => twin.pack.stringCurrentA < -150,
  });
  const set = r.firstSetS.get("group.resistanceHigh");
  assert.ok(set !== undefined, "detected");
  const allowed = 0.1 + 0.03 + 0.01 + 0.01; // task period + sensor latency and jitter + one base period
  assert.ok(set - r.signatureS <= allowed + 1e-9, `set ${(set - r.signatureS).toFixed(3)} s after the step`);
  const a = r.state.diag.location[r.state.table.entries.findIndex((e) => e.id === "group.resistanceHigh")];
  assert.equal(a, 40);
});

test("the resistance check's noise settings are validated with field, value and range", () => {
  const pack = testPack(4, 2, model);
  const bad = structuredClone(defaultBmsConfigFile(pack, model));
  bad.plausibility.voltageNoiseV = -1;
  assert.throws(() => parseBmsConfig(bad), /plausibility\.voltageNoiseV[\s\S]*-1/);
  bad.plausibility.voltageNoiseV = 1e-3;
  bad.plausibility.resistanceMinSnr = Number.NaN;
  assert.throws(() => parseBmsConfig(bad), /plausibility\.resistanceMinSnr/);
});

test("12 of 36 cells open at 40 °C under 45 A steps only: too small to judge one by one, found by the accumulated check", () => {
  // Each 45 A step moves the mean group by about 8 mV, 5.6 noise deviations: never judged alone. Weighted over
  // the last 20 steps the sum is judged, and once enough of them have seen the open cells (the group is then
  // 1.5× the others) the alarm sets, while the steps go on (not at the final drop to rest, a large step).
  const faultS = REST_S + 2;
  const seconds = 25;
  const s = scenario({
    ambientC: 40,
    lowA: 100,
    highA: 145,
    seconds,
    faults: Array.from({ length: 12 }, (_, c) => ({ kind: "open-cell", atS: faultS, group: 40, cell: c })),
  });
  const r = runBmsOnTwin(s, model, { config: (p) => config(p) });
  const set = r.firstSetS.get("group.resistanceHigh");
  assert.ok(set !== undefined, "detected");
  assert.ok(set > faultS && set < REST_S + seconds - 0.5, `set ${set - faultS} s after the cells opened`);
  const k = r.state.table.entries.findIndex((e) => e.id === "group.resistanceHigh");
  assert.equal(r.state.diag.location[k], 40);
});
