/**
 * Runs one cell over a current or power profile (or measured data) and returns the time series.
 *
 * Time convention of measured data: the current of row k flows over (t[k−1], t[k]] and the voltage of row k is
 * the one at t[k]; row 0 is the starting point (a step of zero length). Rows need not be evenly spaced.
 *
 * A set with a current axis for R0 is evaluated at the row's own current when the profile gives the current, and
 * at the previous row's current when it gives power (the current is then solved from the linearised step).
 */
import { CellArray } from "./model.ts";
import type { CellModel } from "./params.ts";

export interface Profile {
  timeS: ArrayLike<number>;
  /** Current, A, positive = charge. Either this or powerW. */
  currentA?: ArrayLike<number>;
  /** Power at the terminals, W, positive = charge. */
  powerW?: ArrayLike<number>;
  /** Measured cell temperature, K (forces the cell temperature when used). */
  tempK?: ArrayLike<number>;
}

export interface SimulateOptions {
  initialSoc: number;
  /** Initial cell temperature, K (default: the profile's first temperature, else the ambient). */
  initialTempK?: number;
  /** Ambient temperature for the thermal model, K (default: the cell's reference temperature). */
  ambientK?: number;
  /** Force the cell temperature to the profile's measured temperature (default: true when the profile has one). */
  useProfileTemperature?: boolean;
}

export interface SimulationResult {
  timeS: Float64Array;
  currentA: Float64Array;
  voltageV: Float64Array;
  soc: Float64Array;
  tempK: Float64Array;
  /** Electrical energy into the cell (exact within each step), J. */
  electricalJ: number;
  /** Heat generated in the cell, J. */
  heatJ: number;
  /** Where the SOC first left [0, 1], if it did: reported, never clamped away. */
  socLeftRange: { timeS: number; soc: number } | null;
  /** Rows where a power demand exceeded what the cell can deliver (the current was capped at peak power). */
  powerLimitedRows: number;
  warnings: string[];
}

export function simulateCell(model: CellModel, profile: Profile, opts: SimulateOptions): SimulationResult {
  const t = profile.timeS;
  const n = t.length;
  const usePower = profile.powerW !== undefined && profile.currentA === undefined;
  if (!usePower && profile.currentA === undefined) throw new Error("profile needs currentA or powerW");
  const forced = (opts.useProfileTemperature ?? profile.tempK !== undefined) && profile.tempK !== undefined;
  const ambientK = opts.ambientK ?? model.refTempK;
  const t0 = opts.initialTempK ?? (forced && profile.tempK ? profile.tempK[0] : ambientK);
  if (!(opts.initialSoc >= -0.5 && opts.initialSoc <= 1.5))
    throw new Error(`initial SOC ${opts.initialSoc} is not a fraction near [0, 1] (give 0.8, not 80)`);
  const cell = new CellArray(model, 1, { soc: opts.initialSoc, tempK: t0 });
  const out: SimulationResult = {
    timeS: Float64Array.from(t),
    currentA: new Float64Array(n),
    voltageV: new Float64Array(n),
    soc: new Float64Array(n),
    tempK: new Float64Array(n),
    electricalJ: 0,
    heatJ: 0,
    socLeftRange: null,
    powerLimitedRows: 0,
    warnings: [],
  };
  for (let k = 0; k < n; k++) {
    const dt = k === 0 ? 0 : t[k] - t[k - 1];
    if (!(dt >= 0))
      throw new Error(`time goes backwards or is not a number at row ${k}: ${t[k - 1]} s then ${t[k]} s`);
    if (forced && profile.tempK) {
      cell.tCellK[0] = profile.tempK[k];
      cell.tCaseK[0] = profile.tempK[k];
    }
    let current: number;
    if (usePower) {
      const p = (profile.powerW as ArrayLike<number>)[k];
      const dir = p > 0 ? 1 : p < 0 ? -1 : 0;
      cell.linearize(0, dt, dir);
      const e = cell.emf[0];
      const r = cell.resistance[0];
      const disc = e * e + 4 * r * p;
      if (r <= 0) current = p / e;
      else if (disc < 0) {
        current = -e / (2 * r);
        out.powerLimitedRows++;
      } else current = (-e + Math.sqrt(disc)) / (2 * r);
      cell.linearize(0, dt, current > 0 ? 1 : current < 0 ? -1 : 0);
    } else {
      current = (profile.currentA as ArrayLike<number>)[k];
      if (!Number.isFinite(current))
        throw new Error(`current is not a finite number at row ${k} (t = ${t[k]} s)`);
      cell.linearize(0, dt, current > 0 ? 1 : current < 0 ? -1 : 0, current);
    }
    const v = cell.commit(0, current, dt);
    if (!forced) cell.stepThermal(0, dt, ambientK);
    out.currentA[k] = current;
    out.voltageV[k] = v;
    out.soc[k] = cell.soc[0];
    out.tempK[k] = cell.tCellK[0];
    if (out.socLeftRange === null && (cell.soc[0] < 0 || cell.soc[0] > 1))
      out.socLeftRange = { timeS: t[k], soc: cell.soc[0] };
  }
  out.electricalJ = cell.electricalJ[0];
  out.heatJ = cell.heatJ[0];
  if (out.socLeftRange)
    out.warnings.push(
      `SOC left [0, 1] at t = ${out.socLeftRange.timeS} s (SOC ${out.socLeftRange.soc.toFixed(4)}); the tables are held at their edges beyond it`,
    );
  if (out.powerLimitedRows > 0)
    out.warnings.push(
      `${out.powerLimitedRows} rows asked for more power than the cell can give; current capped at peak power`,
    );
  return out;
}
