/**
 * State of power against the exact plant: the twin's pack (every cell its own state and spread, exact parallel
 * sharing, interconnect resistances, thermal network). From seeded random states the predicted 10 s discharge
 * limit is applied as a constant string current; the quantity that binds must end within 2 % of its limit and
 * never pass it. The estimator's group states are taken from the plant's truth (a perfect estimator), so the
 * test isolates the prediction.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { loadCellModel } from "../src/cell/params.ts";
import { Rng } from "../src/random.ts";
import { PackSop } from "../src/sop/pack.ts";
import { GroupStates, type SopReason, sopWindowFromModel } from "../src/sop/predict.ts";
import { groupStatesFromPack } from "../src/sop/truth.ts";
import { defaultPackConfig, type HostDemand, Pack } from "../src/twin/pack.ts";
import { celsiusToKelvin } from "../src/units.ts";

const model = loadCellModel(
  JSON.parse(readFileSync(new URL("../params/lg-m50-chen2020.json", import.meta.url), "utf8")),
  "lg-m50-chen2020",
);
const CLOSED = { positive: true, negative: true, precharge: false };
const NS = 4;
const NP = 3;
const SOC_MIN = 0.02;
const PEAK_CELL_A = 20;
/** The lumped group model cannot see the SOC spread inside a group: at the empty end that costs a few mV. */
const VOLTAGE_MARGIN_V = 0.01;

function demand(a: number): HostDemand {
  return { currentA: a, currentMinA: -1e9, currentMaxA: 1e9, voltageMinV: 0, voltageMaxV: 1e9 };
}

interface Outcome {
  reason: SopReason;
  limit: number;
  /** Extreme of the binding quantity over the horizon in the plant. */
  reached: number;
}

/**
 * A random plant state inside the safe window: random SOC and temperature, then a few random pulses (charge and
 * discharge) so the RC branches start anywhere. Histories that leave the window are drawn again: a BMS would
 * have stopped them.
 */
function randomState(rng: Rng): Pack {
  for (;;) {
    const pack = drawState(rng);
    const c = pack.cells;
    let inside = true;
    for (let g = 0; g < NS; g++)
      if (
        pack.groupVoltageV[g] < model.limits.voltageMinV ||
        pack.groupVoltageV[g] > model.limits.voltageMaxV
      )
        inside = false;
    for (let i = 0; i < pack.nCells; i++)
      if (c.soc[i] < 0 || c.soc[i] > 1 || c.tCellK[i] >= model.limits.dischargeTempMaxK) inside = false;
    if (inside) return pack;
  }
}

function drawState(rng: Rng): Pack {
  const tempK = celsiusToKelvin(rng.uniform() < 0.4 ? rng.range(-19, 0) : rng.range(0, 59.8));
  // Enough states near the empty end and in the cold for the voltage and SOC limits to bind often.
  const u = rng.uniform();
  const soc =
    u < 0.1
      ? rng.range(SOC_MIN, SOC_MIN + 0.006)
      : u < 0.5
        ? rng.range(SOC_MIN, 0.2)
        : rng.range(SOC_MIN, 0.98);
  const config = defaultPackConfig(NS, NP);
  const pack = new Pack(model, config, { soc, tempK, ambientK: tempK, coolantInletK: tempK }, rng.fork());
  pack.command(CLOSED, new Uint8Array(NS), new Float64Array(NS - 1), 0, 0);
  const segments = 1 + rng.int(3);
  for (let k = 0; k < segments; k++) {
    const cellA = rng.range(-7, 3);
    const steps = 1 + rng.int(30);
    for (let j = 0; j < steps; j++) pack.step(1, demand(cellA * NP));
  }
  return pack;
}

/** One random state: predict the limit, apply it for the horizon, report the binding quantity. */
function trial(seed: number, horizonS: number): Outcome {
  const rng = new Rng(seed);
  const pack = randomState(rng);
  const tempK = pack.cells.tCellK[0];
  // A 4 C peak-pulse current limit (the datasheet's continuous 1.45 C would bind almost always).
  const window = { ...sopWindowFromModel(model, SOC_MIN, 1), dischargeCurrentMaxA: PEAK_CELL_A };
  const states = new GroupStates(model, NS, { soc: 0.5, tempK });
  groupStatesFromPack(pack, states);
  const sop = new PackSop(model, NS, NP, window, {
    horizonsS: [horizonS],
    solver: { voltageMarginV: VOLTAGE_MARGIN_V },
  });
  sop.update(states);
  const limitA = sop.discharge.currentA[0];
  const reason = sop.discharge.reason[0];

  let vMin = Number.POSITIVE_INFINITY;
  let tMax = Number.NEGATIVE_INFINITY;
  let iMax = 0;
  const dt = 0.1;
  for (let k = 0; k < Math.round(horizonS / dt); k++) {
    pack.step(dt, demand(-limitA));
    for (let j = 0; j < NS; j++) vMin = Math.min(vMin, pack.groupVoltageV[j]);
    for (let i = 0; i < pack.nCells; i++) tMax = Math.max(tMax, pack.cells.tCellK[i]);
    iMax = Math.max(iMax, Math.abs(pack.groupCurrentA[0]) / NP);
  }
  groupStatesFromPack(pack, states);
  let zMin = Number.POSITIVE_INFINITY;
  for (let j = 0; j < NS; j++) zMin = Math.min(zMin, states.soc[j]);
  // No discharge limit can stop a relaxing voltage that falls past the limit at rest: the prediction must say 0.
  if (limitA === 0) return { reason, limit: Number.NaN, reached: Number.NaN };
  switch (reason) {
    case "cell voltage":
      return { reason, limit: window.voltageMinV, reached: vMin };
    case "cell current":
      return { reason, limit: window.dischargeCurrentMaxA, reached: iMax };
    case "state of charge":
      return { reason, limit: window.socMin, reached: zMin };
    case "temperature high":
      return { reason, limit: window.dischargeTempMaxK, reached: tMax };
    case "temperature low":
      return { reason, limit: window.dischargeTempMinK, reached: tMax };
  }
}

test("1000 seeded random states: the 10 s discharge limit, held in the plant, ends within 2 % of its binding limit and never past it", () => {
  const counts: Record<string, number> = {};
  let worstGap = 0;
  for (let seed = 1; seed <= 1000; seed++) {
    const o = trial(seed, 10);
    counts[o.reason] = (counts[o.reason] ?? 0) + 1;
    if (Number.isNaN(o.limit)) {
      counts.zero = (counts.zero ?? 0) + 1;
      continue;
    }
    const at = `seed ${seed}: ${o.reason} limit ${o.limit}, reached ${o.reached}`;
    switch (o.reason) {
      case "cell voltage": {
        assert.ok(o.reached >= o.limit - 1e-9, `past the limit: ${at}`);
        const gap = (o.reached - o.limit) / o.limit;
        worstGap = Math.max(worstGap, gap);
        assert.ok(gap <= 0.02, `not within 2 %: ${at}`);
        break;
      }
      case "cell current":
        assert.ok(Math.abs(o.reached - o.limit) <= 1e-9 * o.limit, at);
        break;
      case "state of charge":
        // Within 2 % of the SOC scale, never below (but for self-discharge, ~1e-8 here, which no BMS sees).
        assert.ok(o.reached >= o.limit - 1e-7 && o.reached <= o.limit + 0.02, at);
        break;
      case "temperature high":
        assert.ok(o.reached <= o.limit + 1e-9, `past the limit: ${at}`);
        assert.ok((o.limit - o.reached) / o.limit <= 0.02, at);
        break;
      case "temperature low":
        break;
    }
  }
  // Every constraint must actually have been exercised.
  for (const r of ["cell voltage", "cell current", "state of charge", "temperature high"])
    assert.ok((counts[r] ?? 0) > 5, `too few cases bound by ${r}: ${JSON.stringify(counts)}`);
  assert.ok(worstGap > 0);
  console.log(JSON.stringify({ counts, worstVoltageGapFraction: worstGap }));
});
