/**
 * Health estimation on the digital twin: a 3s2p pack whose middle group has aged (capacity 0.9×, resistances
 * 1.25×, unknown to the BMS) does 10 partial cycles with rests. The estimators see only the twin's measurement
 * frames (sensor noise, offsets, gains, quantisation, latency).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { CellHealthEstimator } from "../src/estimate/index.ts";
import { parseScenario, Twin } from "../src/twin/index.ts";
import { testCell } from "./fixtures.ts";

const model = testCell();
const NP = 2;

function partialCycles(cycles: number) {
  const phases: unknown[] = [];
  for (let c = 0; c < cycles; c++) {
    // About 45 % of SOC out in pulses of two sizes (current steps for the R0 filter), an hour of rest, the same
    // charge back in at C/2, an hour of rest. Per cell: 4 × (2.4 A for 420 s + 0.8 A for 300 s) = 1.39 A·h.
    for (let k = 0; k < 4; k++)
      phases.push(
        { kind: "current", currentA: -2.4 * NP, durationS: 420 },
        { kind: "current", currentA: -0.8 * NP, durationS: 300 },
      );
    phases.push({ kind: "rest", durationS: 3600, stepS: 1 });
    phases.push({ kind: "current", currentA: 1.5 * NP, durationS: 3328 });
    phases.push({ kind: "rest", durationS: 3600, stepS: 1 });
  }
  return phases;
}

interface GroupResult {
  capacityAh: number;
  sigmaAh: number;
  trueCapacityAh: number;
  r0Scale: number;
  trueR0Scale: number;
}

/** Runs the pack of one seed and returns each group's estimates and truths (per cell of the group). */
function runTwin(seed: number): GroupResult[] {
  const scenario = parseScenario({
    format: "coxswain-scenario/1",
    name: "health",
    seed,
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
    // No balancing: its bleed currents would make each group's current differ from the string current (a BMS that
    // balances adds its own bleed current to the group's count; this test is about the estimators).
    controller: { kind: "reference", balancing: false },
    // A current sensor sized for this small pack (±20 A class): 5 mA offset, 0.1 % gain, 10 mA noise.
    sensors: {
      samplePeriodS: 1,
      timeoutS: 3,
      current: { noise: 0.01, offsetSd: 0.005, gainSd: 0.001, lsb: 0.001 },
    },
    phases: partialCycles(10),
  });
  const twin = new Twin(scenario, model, { speedSchedules: {} });
  // Age group 1 behind the BMS's back.
  for (let p = 0; p < NP; p++) {
    const i = 1 * NP + p;
    twin.pack.cells.capacityScale[i] = 0.9;
    twin.pack.cells.resistanceScale[i] = 1.25;
    twin.pack.fast.invalidate(i);
  }
  // The BMS is told its sensors (1 mV voltage noise, the current sensor above) and that the twin's cells follow its
  // OCV table (rest-voltage model error 2 mV: sensor offsets and incomplete relaxation), its hysteresis law to the
  // default 30 % (in a parallel group the cells' charge exchange at rest moves them off their branches, so the
  // group's hysteresis voltage at rest is not known better), and its resistances to 5 % once the R0 multiplier
  // is applied (the twin's cells spread by 2 %, and its ageing scales every resistance alike).
  const tuning = {
    voltageNoiseV: 0.001,
    modelErrorV: 0.002,
    currentNoiseA: 0.01 / NP,
    currentOffsetA: 0.005 / NP,
    currentGainError: 0.001,
  };
  const groups = [0, 1, 2].map(
    () =>
      new CellHealthEstimator(model, {
        initialSoc: 0.9,
        tuning,
        loadedReadings: { overpotentialErrorFraction: 0.05 },
      }),
  );
  let last = 0;
  while (!twin.done) {
    twin.advance(1);
    const m = twin.measurements;
    if (!m) continue;
    const dt = m.timeS - last;
    last = m.timeS;
    const iCell = m.packCurrentA.value / NP;
    for (let g = 0; g < 3; g++) groups[g].step(dt, iCell, m.groupVoltageV.value[g], m.temperatureK.value[0]);
  }
  return groups.map((h, g) => {
    let q = 0;
    let rs = 0;
    for (let p = 0; p < NP; p++) {
      q += (twin.pack.cells.capacityScale[g * NP + p] * model.capacityAh) / NP;
      rs += twin.pack.cells.resistanceScale[g * NP + p] / NP;
    }
    return {
      capacityAh: h.capacity.capacityAh,
      sigmaAh: h.capacity.sigmaAh,
      trueCapacityAh: q,
      r0Scale: h.resistance.scale,
      trueR0Scale: rs,
    };
  });
}

const pct = (x: number) => `${(x * 100).toFixed(2)} %`;

// Seed 11 is the scenario this test was written with; seed 2 a second draw of cells and sensors; seed 6 draws a
// group whose two cells differ by 1.7 % in capacity (and in resistance): from its rest readings alone its capacity
// came out 2 % high (docs/estimation.md), and the readings under the constant-current charge bring it back.
for (const seed of [11, 2, 6])
  test(`health on the twin (seed ${seed}): every group's capacity within 1 % and R0 within 5 % after 10 partial cycles`, () => {
    for (const [g, r] of runTwin(seed).entries()) {
      const qErr = r.capacityAh / r.trueCapacityAh - 1;
      const rErr = r.r0Scale / r.trueR0Scale - 1;
      assert.ok(
        Math.abs(qErr) < 0.01,
        `group ${g}: capacity ${r.capacityAh} vs ${r.trueCapacityAh} (${pct(qErr)})`,
      );
      // The σ must cover the error (it counts the readings' shared errors as shared, so it does not shrink with
      // the number of samples).
      assert.ok(Math.abs(r.capacityAh - r.trueCapacityAh) < 2 * r.sigmaAh, `group ${g}: σ ${r.sigmaAh}`);
      assert.ok(
        Math.abs(rErr) < 0.05,
        `group ${g}: R0 multiplier ${r.r0Scale} vs ${r.trueR0Scale} (${pct(rErr)})`,
      );
    }
  });
