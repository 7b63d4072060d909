/**
 * Sensor plausibility on the digital twin: the plant, its sensor models (noise, offsets, quantisation, latency)
 * and its injected faults come from packages/core/src/twin; the estimators see only the measurement frames.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  maxTemperatureRate,
  PackSocEstimator,
  SENSOR_TOO_FAST,
  TemperaturePlausibility,
  VoltagePlausibility,
} from "../src/estimate/index.ts";
import { parseScenario, Twin } from "../src/twin/index.ts";
import { testCell } from "./fixtures.ts";

const model = testCell();

/** A 12s4p pack of the test cell: discharge, rest, charge, discharge; faults as given. */
function scenario(seed: number, faults: unknown[] = []) {
  return parseScenario({
    format: "coxswain-scenario/1",
    name: "plausibility",
    seed,
    params: "test-cell",
    stepS: 0.1,
    recordEveryS: 10,
    pack: { seriesGroups: 12, parallelCells: 4 },
    initial: { soc: 0.9, tempC: 25 },
    ambientC: 25,
    phases: [
      { kind: "current", currentA: -30, durationS: 900 },
      { kind: "current", currentA: 0, durationS: 300 },
      { kind: "current", currentA: 10, durationS: 600 },
      { kind: "current", currentA: -20, durationS: 600 },
    ],
    faults,
  });
}

interface Watch {
  temps: TemperaturePlausibility;
  volts: VoltagePlausibility;
  twin: Twin;
}

/** Runs the scenario with the BMS-side checks fed every second from the measurement frames. */
function watch(seed: number, faults: unknown[] = [], untilS = 2400): Watch {
  const twin = new Twin(scenario(seed, faults), model, { speedSchedules: {} });
  const nT = twin.info.tempSensors.length;
  const temps = new TemperaturePlausibility(nT);
  const volts = new VoltagePlausibility(12);
  let pack: PackSocEstimator | null = null;
  const innovations = new Float64Array(12);
  const groupTempK = new Float64Array(12);
  let last = 0;
  while (!twin.done && twin.timeS < untilS) {
    twin.advance(1);
    const m = twin.measurements;
    if (!m) continue;
    const dt = m.timeS - last;
    last = m.timeS;
    const rate = maxTemperatureRate(model, m.packCurrentA.value / 4, temps.substituteK[0] || 298.15);
    temps.step(dt, m.temperatureK.value, m.temperatureK.valid, rate);
    // Each group's temperature: its nearest sensor's trusted value (or substitute).
    for (let g = 0; g < 12; g++) {
      let best = 0;
      for (let s = 1; s < nT; s++)
        if (Math.abs(twin.info.tempSensors[s].group - g) < Math.abs(twin.info.tempSensors[best].group - g))
          best = s;
      groupTempK[g] = temps.substituteK[best];
    }
    if (!pack) pack = new PackSocEstimator(model, 12, { filter: "ekf", initialSoc: 0.9, parallelCells: 4 });
    pack.voltageTrusted.set(volts.trusted);
    pack.step(dt, m.packCurrentA.value, m.groupVoltageV.value, groupTempK);
    for (let g = 0; g < 12; g++) innovations[g] = pack.filters[g].innovationV;
    volts.step(dt, m.groupVoltageV.value, innovations, m.packCurrentA.value, m.packVoltageV.value);
  }
  return { temps, volts, twin };
}

test("plausibility: no false alarm in nominal noisy twin runs (three seeds)", () => {
  for (const seed of [1, 2, 3]) {
    const w = watch(seed);
    assert.ok(w.twin.timeS >= 2399, `ran to ${w.twin.timeS} s`);
    assert.deepEqual(
      [...w.temps.flags],
      new Array(w.temps.sensors).fill(0),
      `seed ${seed} temperature flags`,
    );
    assert.deepEqual([...w.volts.flags], new Array(12).fill(0), `seed ${seed} voltage flags`);
  }
});

test("plausibility: a 15 K temperature spoof is detected within 60 s and replaced by a plausible value", () => {
  const w = watch(4, [{ kind: "temperature-bias", atS: 600, index: 2, biasK: 15 }], 900);
  const at = w.temps.flaggedAtS[2];
  assert.ok(at >= 600 && at <= 660, `flagged at ${at} s`);
  assert.equal(w.temps.trusted[2], 0);
  // No other sensor was blamed, and the substitute sits with the others, not 15 K above them.
  for (let s = 0; s < w.temps.sensors; s++) if (s !== 2) assert.equal(w.temps.trusted[s], 1, `sensor ${s}`);
  const others = [...w.temps.substituteK].filter((_, s) => s !== 2);
  const mean = others.reduce((a, b) => a + b, 0) / others.length;
  assert.ok(
    Math.abs(w.temps.substituteK[2] - mean) < 3,
    `substitute ${w.temps.substituteK[2]} vs others ${mean}`,
  );
});

test("plausibility: a spoof of every temperature sensor at once contradicts the thermal model and is caught", () => {
  // The neighbours agree with each other here; only the thermal model (no cell heats 15 K in a second) objects.
  const n = 7;
  const faults = Array.from({ length: n }, (_, index) => ({
    kind: "temperature-bias",
    atS: 600,
    index,
    biasK: 15,
  }));
  const w = watch(6, faults, 700);
  assert.equal(w.temps.sensors, n);
  for (let s = 0; s < n; s++) {
    assert.ok(
      w.temps.flaggedAtS[s] >= 600 && w.temps.flaggedAtS[s] <= 602,
      `sensor ${s} at ${w.temps.flaggedAtS[s]} s`,
    );
    assert.ok(w.temps.flags[s] & SENSOR_TOO_FAST);
  }
});

test("plausibility: a stuck group-voltage channel is flagged and its group is no longer updated from it", () => {
  const w = watch(5, [{ kind: "sensor-stuck", atS: 200, signal: "group-voltage", index: 7 }], 600);
  const at = w.volts.flaggedAtS[7];
  assert.ok(at > 200 && at <= 300, `flagged at ${at} s`);
  for (let g = 0; g < 12; g++) if (g !== 7) assert.equal(w.volts.trusted[g], 1, `group ${g}`);
});

test("plausibility: bad options are named", () => {
  assert.throws(() => new TemperaturePlausibility(2), /at least 3 sensors/);
  assert.throws(() => new TemperaturePlausibility(5, { deviationK: -1 }), /deviationK: got -1/);
});
