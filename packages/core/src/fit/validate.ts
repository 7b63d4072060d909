/**
 * Open-loop validation of a parameter set against a measured file: the model is driven by the measured current
 * (and, where the file has it, the measured cell temperature) from a known starting SOC, and its terminal voltage
 * is compared with the measured one over the whole file.
 */
import type { CellModel } from "../cell/params.ts";
import { type SimulationResult, simulateCell } from "../cell/simulate.ts";

export interface ValidationFigures {
  rows: number;
  durationS: number;
  /** Charge moved over the file, A·h (negative = net discharge). */
  chargeAh: number;
  rmseV: number;
  maxErrV: number;
  /** Mean error (simulated − measured), V: a bias shows an OCV or capacity problem rather than dynamics. */
  meanErrV: number;
}

export interface ValidationRun {
  figures: ValidationFigures;
  simulation: SimulationResult;
  measuredV: Float64Array;
}

export function validateAgainst(
  model: CellModel,
  data: { timeS: Float64Array; currentA: Float64Array; voltageV: Float64Array; tempK?: Float64Array },
  initialSoc: number,
): ValidationRun {
  const sim = simulateCell(model, data, { initialSoc, useProfileTemperature: data.tempK !== undefined });
  const n = data.timeS.length;
  let se = 0;
  let sum = 0;
  let max = 0;
  let ah = 0;
  for (let k = 0; k < n; k++) {
    const e = sim.voltageV[k] - data.voltageV[k];
    se += e * e;
    sum += e;
    max = Math.max(max, Math.abs(e));
    if (k > 0) ah += (data.currentA[k] * (data.timeS[k] - data.timeS[k - 1])) / 3600;
  }
  return {
    figures: {
      rows: n,
      durationS: data.timeS[n - 1] - data.timeS[0],
      chargeAh: ah,
      rmseV: Math.sqrt(se / n),
      maxErrV: max,
      meanErrV: sum / n,
    },
    simulation: sim,
    measuredV: data.voltageV,
  };
}
