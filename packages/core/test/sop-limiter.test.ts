/**
 * The predictive limiter's own bookkeeping from measurement frames: SOC from the OCV of the first frame, RC
 * voltages following the measured current in closed form, the nearest sensor's temperature per group, and host
 * limits equal to the pack SOP on those states.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ocvAt } from "../src/cell/model.ts";
import { PredictiveLimiter } from "../src/sop/limiter.ts";
import { PackSop } from "../src/sop/pack.ts";
import { GroupStates, sopWindowFromModel } from "../src/sop/predict.ts";
import type { Measurements, PackInfo } from "../src/twin/interfaces.ts";
import { celsiusToKelvin } from "../src/units.ts";
import { testCell } from "./fixtures.ts";

const model = testCell({ hysteresis: undefined });
const T = celsiusToKelvin(20);
const NS = 6;
const NP = 3;

const pack: PackInfo = {
  seriesGroups: NS,
  parallelCells: NP,
  cellCapacityAh: model.capacityAh,
  cellVoltageMinV: 2.5,
  cellVoltageMaxV: 4.2,
  cellChargeCurrentMaxA: 3,
  cellDischargeCurrentMaxA: 10,
  chargeTempMinK: model.limits.chargeTempMinK,
  chargeTempMaxK: model.limits.chargeTempMaxK,
  dischargeTempMinK: model.limits.dischargeTempMinK,
  dischargeTempMaxK: model.limits.dischargeTempMaxK,
  tempSensors: [
    { group: 0, cell: 0 },
    { group: 4, cell: 1 },
  ],
  transferConverters: 0,
  bleedOhm: 33,
  samplePeriodS: 0.1,
};

function frame(timeS: number, voltages: number[], temps: number[], currentA: number): Measurements {
  const bank = (v: number[]) => ({
    value: Float64Array.from(v),
    valid: new Uint8Array(v.length).fill(1),
    ageS: new Float64Array(v.length),
  });
  const reading = (value: number) => ({ value, valid: true, ageS: 0 });
  return {
    timeS,
    groupVoltageV: bank(voltages),
    temperatureK: bank(temps),
    packCurrentA: reading(currentA),
    packVoltageV: reading(voltages.reduce((a, b) => a + b, 0)),
    linkVoltageV: reading(0),
    insulationOhm: reading(1e7),
    coolantInletK: reading(T),
    contactors: { positive: true, negative: true, precharge: false },
    commsOk: true,
  };
}

test("SOC from the first frame's OCV, RC voltages in closed form, nearest-sensor temperatures, limits = pack SOP", () => {
  const window = sopWindowFromModel(model);
  const limiter = new PredictiveLimiter(model, pack, window);
  const socs = [0.3, 0.35, 0.4, 0.45, 0.5, 0.55];
  const temps = [T, T + 6];
  // Groups 0–2 are nearest sensor 0, groups 3–5 nearest sensor 1 (group 4); rested, each at its OCV.
  const groupT = [T, T, T, T + 6, T + 6, T + 6];
  const rested = socs.map((z, g) => ocvAt(model, z, groupT[g]));
  limiter.update(frame(0, rested, temps, 0));
  for (let g = 0; g < NS; g++) assert.ok(Math.abs(limiter.states.soc[g] - socs[g]) < 1e-6, `group ${g}`);
  assert.deepEqual(Array.from(limiter.states.caseTempK), groupT);

  // Hold −6 A (−2 A per cell) for 20 s in 0.1 s frames: each RC branch → R·I·(1 − e^(−t/τ)).
  const iCell = -2;
  for (let k = 1; k <= 200; k++) limiter.update(frame(0.1 * k, rested, temps, iCell * NP));
  const rc = model.rc[0];
  const g = 0;
  const z = limiter.states.soc[g];
  const tK = limiter.states.tempK[g];
  const r = rc.r.at(z, tK, -1);
  const expected = r * iCell * (1 - Math.exp(-20 / (r * rc.c.at(z, tK))));
  assert.ok(
    Math.abs(limiter.states.vrc[0][g] - expected) < 2e-4,
    `${limiter.states.vrc[0][g]} vs ${expected}`,
  );
  // SOC fell by the charge counted.
  assert.ok(Math.abs(limiter.states.soc[g] - (socs[g] + (iCell * 20) / (3600 * model.capacityAh))) < 1e-9);

  // The host limits are the pack SOP of those states at 10 s.
  const copy = new GroupStates(model, NS, { soc: 0.5, tempK: T });
  copy.soc.set(limiter.states.soc);
  copy.tempK.set(limiter.states.tempK);
  copy.caseTempK.set(limiter.states.caseTempK);
  for (let k = 0; k < model.rc.length; k++) copy.vrc[k].set(limiter.states.vrc[k]);
  const sop = new PackSop(model, NS, NP, window).update(copy);
  assert.equal(limiter.dischargeCurrentMaxA, sop.discharge.currentA[1]);
  assert.equal(limiter.chargeCurrentMaxA, sop.charge.currentA[1]);
  assert.equal(limiter.dischargeReason, sop.discharge.reason[1]);
});
