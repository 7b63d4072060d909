/**
 * Thermal management: the delay-aware cooling decision against a plant with a dead time (integrated here
 * independently, in small Euler steps, with a delay line), compared with a thermostat that reacts to what it
 * sees; and the cold-weather empty point against the exact cell model holding the required power.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { CellArray } from "../src/cell/model.ts";
import { loadCellModel } from "../src/cell/params.ts";
import { sopWindowFromModel } from "../src/sop/predict.ts";
import {
  ColdDerating,
  type CoolingConfig,
  CoolingController,
  parseCoolingConfig,
} from "../src/thermal/index.ts";
import { celsiusToKelvin } from "../src/units.ts";

const model = loadCellModel(
  JSON.parse(readFileSync(new URL("../params/lg-m50-chen2020.json", import.meta.url), "utf8")),
  "lg-m50-chen2020",
);

const config: CoolingConfig = {
  delayS: 10,
  tempBiasK: 2,
  targetK: celsiusToKelvin(45),
  lookaheadS: 20,
  heatCapacityJperK: 70,
  fullFlowWperK: 1.2,
  ambientWperK: 0.05,
  flowExponent: 0.8,
  levels: 11,
  heatBelowK: celsiusToKelvin(-1000),
  heaterMaxW: 0,
  heaterGainWperK: 0,
};

/**
 * A cell with a delayed coolant flow, heated in bursts; the controller sees the temperature 2 K low (sensor bias).
 * Returns the hottest true temperature.
 */
function runPlant(decide: (timeS: number, measuredK: number, heatW: number) => number): number {
  const dt = 0.01;
  const coolantK = celsiusToKelvin(25);
  const ambientK = celsiusToKelvin(40);
  let tK = celsiusToKelvin(40);
  const delaySteps = Math.round(config.delayS / dt);
  const line = new Float64Array(delaySteps); // flows on their way
  let head = 0;
  let command = 0;
  let hottest = 0;
  for (let k = 0; k < 1200 / dt; k++) {
    const time = k * dt;
    // Bursts: 60 s at 12 W, 60 s at 1 W.
    const heatW = Math.floor(time / 60) % 2 === 0 ? 12 : 1;
    if (k % 10 === 0) command = decide(time, tK - 2, heatW);
    const acting = line[head];
    line[head] = command;
    head = (head + 1) % delaySteps;
    const g = config.fullFlowWperK * acting ** config.flowExponent;
    tK +=
      (dt * (heatW - g * (tK - coolantK) - config.ambientWperK * (tK - ambientK))) / config.heatCapacityJperK;
    hottest = Math.max(hottest, tK);
  }
  return hottest;
}

test("with θ = 10 s and a 2 K sensor bias the delay-aware controller keeps the cell at its target; a thermostat overshoots", () => {
  const ctl = new CoolingController(config);
  const predictive = runPlant((t, measured, heat) => {
    // The host may draw up to the limit at any time: 12 W is the heat at the limit current.
    ctl.update(t, measured, measured, celsiusToKelvin(25), celsiusToKelvin(40), heat, 12);
    return ctl.flow;
  });
  let on = false;
  const thermostat = runPlant((_t, measured) => {
    // Full flow above the target (less its bias budget), off 1 K below: the usual hysteresis thermostat.
    if (measured + 2 > config.targetK) on = true;
    else if (measured + 2 < config.targetK - 1) on = false;
    return on ? 1 : 0;
  });
  assert.ok(predictive <= config.targetK + 0.05, `predictive peak ${predictive - 273.15} °C`);
  assert.ok(thermostat > config.targetK + 1, `thermostat peak ${thermostat - 273.15} °C`);
});

test("cooling configuration errors name the field and the value", () => {
  assert.throws(
    () => parseCoolingConfig({ delayS: -1, targetC: 45, heatCapacityJperK: 70, fullFlowWperK: 1 }),
    /delayS: got -1/,
  );
  const c = parseCoolingConfig({ delayS: 10, targetC: 45, heatCapacityJperK: 70, fullFlowWperK: 1 });
  assert.equal(c.targetK, celsiusToKelvin(45));
});

/** Holds a constant discharge power on a rested cell for horizonS; returns its lowest voltage. */
function holdPower(soc: number, tempK: number, powerW: number, horizonS: number): number {
  const cell = new CellArray(model, 1, { soc, tempK });
  let v = model.ocv.at(soc, tempK);
  let vMin = Number.POSITIVE_INFINITY;
  for (let k = 0; k < horizonS / 0.01; k++) {
    cell.linearize(0, 0.01, -1);
    // V = E + R·I and P = −V·I: the current that draws this power from the affine cell.
    const e = cell.emf[0];
    const r = cell.resistance[0];
    const disc = e * e - 4 * r * powerW;
    if (disc < 0) return 0;
    const i = (-e + Math.sqrt(disc)) / (2 * r);
    v = cell.commit(0, i, 0.01);
    cell.stepThermal(0, 0.01, tempK);
    vMin = Math.min(vMin, v);
  }
  return vMin;
}

test("the cold raises the usable empty point, and the exact model confirms it: power held there, not 2 points below", () => {
  // A 4 C peak current and 40 W per cell: 160 kW from the default 110s36p pack.
  const window = { ...sopWindowFromModel(model, 0.02, 1), dischargeCurrentMaxA: 20 };
  const d = new ColdDerating(model, window);
  const powerW = 40;
  const warm = d.usableEmptySoc(celsiusToKelvin(25), powerW, 10);
  const cold = d.usableEmptySoc(celsiusToKelvin(-10), powerW, 10);
  assert.ok(cold > warm + 0.03, `empty point ${warm} at 25 °C, ${cold} at −10 °C`);
  const vAt = holdPower(cold, celsiusToKelvin(-10), powerW, 10);
  assert.ok(vAt >= window.voltageMinV - 1e-6, `at the empty point the cell fell to ${vAt} V`);
  const vBelow = holdPower(cold - 0.02, celsiusToKelvin(-10), powerW, 10);
  assert.ok(vBelow < window.voltageMinV, `2 points below the empty point the cell held ${vBelow} V`);
});
