/**
 * The health estimator inside the BMS controller, on the twin: the pack of the health-estimation test (3s2p test
 * cells, the middle group aged to 0.9× capacity and 1.25× resistance behind the BMS's back, 10 partial cycles
 * with rests), now with the BMS in the loop (balancing on, its bleed current counted). The SOH the controller
 * reports must be within the estimator's documented accuracy (docs/estimation.md: capacity within 1 %, 1.5 %
 * for a group whose cells differ; R0 within 5 %), and the live session shows it instead of "–".
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  type BmsConfig,
  compileBmsConfig,
  defaultBmsConfigFile,
  type PackInfo,
  parseBmsConfig,
  parseScenario,
  runBmsOnTwin,
} from "../src/index.ts";
import { controllerFor } from "../src/live/controllers.ts";
import { TwinSimulation } from "../src/live/twin-session.ts";
import { testCell } from "./fixtures.ts";

const model = testCell();
const NP = 2;

function partialCycles(cycles: number) {
  const phases: unknown[] = [];
  for (let c = 0; c < cycles; c++) {
    for (let k = 0; k < 4; k++)
      phases.push(
        { kind: "current", currentA: -2.4 * NP, durationS: 420 },
        { kind: "current", currentA: -0.8 * NP, durationS: 300 },
      );
    phases.push({ kind: "rest", durationS: 3600 });
    phases.push({ kind: "current", currentA: 1.5 * NP, durationS: 3328 });
    phases.push({ kind: "rest", durationS: 3600 });
  }
  return phases;
}

/** The BMS told its sensors: the small pack's ±20 A-class current sensor, 1 mV voltage noise. */
function config(pack: PackInfo): BmsConfig {
  const f = structuredClone(defaultBmsConfigFile(pack, model, { basePeriodS: 1 }));
  const perf = f.performance;
  assert.ok(perf);
  // Only what this test is about (health, and balancing whose bleed it must count): the run is 40 h.
  perf.sop.enabled = false;
  perf.thermal.enabled = false;
  perf.thermal.coldDerating.enabled = false;
  perf.charging.enabled = false;
  const h = perf.health;
  h.currentNoiseA = 0.01;
  h.currentOffsetA = 0.005;
  h.currentGainError = 0.001;
  h.modelErrorV = 0.002;
  return compileBmsConfig(parseBmsConfig(f), model);
}

test("SOH from the BMS on an aged twin group: capacity within 1.5 % and R0 within 5 % of the truth per group", () => {
  const scenario = parseScenario({
    format: "coxswain-scenario/1",
    name: "bms-health",
    seed: 11,
    params: "test-cell",
    stepS: 1,
    recordEveryS: 600,
    pack: {
      seriesGroups: 3,
      parallelCells: NP,
      interconnectOhm: 1e-6,
      spread: { capacity: 0.01, resistance: 0.02, soc: 0, leakA: 0, leakSdA: 0, interconnect: 0 },
    },
    initial: { soc: 0.9, tempC: 25 },
    ambientC: 25,
    sensors: {
      samplePeriodS: 1,
      timeoutS: 3,
      current: { noise: 0.01, offsetSd: 0.005, gainSd: 0.001, lsb: 0.001 },
    },
    phases: partialCycles(10),
  });
  let aged = false;
  const r = runBmsOnTwin(scenario, model, {
    periodS: 1,
    config,
    beforeStep: (twin) => {
      if (aged) return;
      for (let p = 0; p < NP; p++) {
        const i = NP + p;
        twin.pack.cells.capacityScale[i] = 0.9;
        twin.pack.cells.resistanceScale[i] = 1.25;
        twin.pack.fast.invalidate(i);
      }
      aged = true;
    },
  });
  const cells = r.twin.pack.cells;
  const health = r.state.performance?.health;
  assert.ok(health, "the health estimators run");
  let weakest = Number.POSITIVE_INFINITY;
  for (let g = 0; g < 3; g++) {
    let q = 0;
    let rs = 0;
    for (let p = 0; p < NP; p++) {
      q += (cells.capacityScale[g * NP + p] * model.capacityAh) / NP;
      rs += cells.resistanceScale[g * NP + p] / NP;
    }
    weakest = Math.min(weakest, q / model.capacityAh);
    const h = health[g];
    const qErr = h.capacity.capacityAh / q - 1;
    const rErr = h.resistance.scale / rs - 1;
    assert.ok(Math.abs(qErr) < 0.015, `group ${g}: capacity ${(qErr * 100).toFixed(2)} % off`);
    assert.ok(Math.abs(rErr) < 0.05, `group ${g}: R0 ${(rErr * 100).toFixed(2)} % off`);
  }
  // The pack's SOH is its weakest group's capacity; the state carries it for the dashboard.
  const soh = r.state.health.sohCapacity;
  assert.ok(Math.abs(soh / weakest - 1) < 0.015, `SOH ${soh} vs ${weakest}`);
  assert.equal(r.state.soh, soh);
  assert.ok(r.state.health.sohResistance > 1.15, `worst R0 ${r.state.health.sohResistance}`);
  assert.ok(r.state.health.soeWh > 0, "SOE reported");
});

test("the live session shows the BMS's SOH (and none with the reference controller)", () => {
  const scenario = parseScenario({
    format: "coxswain-scenario/1",
    name: "bms-live",
    seed: 1,
    params: "test-cell",
    stepS: 0.01,
    pack: { seriesGroups: 4, parallelCells: 2 },
    initial: { soc: 0.5, tempC: 25 },
    ambientC: 25,
    phases: [{ kind: "rest", durationS: 60 }],
  });
  const frameAfter = (choice: "bms" | "reference") => {
    const s = new TwinSimulation({
      scenario,
      model,
      resources: { speedSchedules: {} },
      ...controllerFor(choice, model),
      repeatPhases: 1,
    });
    s.advance(3);
    return s.frame();
  };
  const bms = frameAfter("bms").pack.soh;
  assert.ok(bms !== null && bms > 0.5 && bms <= 1.2, `SOH ${bms}`);
  assert.equal(frameAfter("reference").pack.soh, null);
});
