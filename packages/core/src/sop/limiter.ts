/**
 * Predictive host limits from measurement frames: the state of power as a controller uses it.
 *
 * Each period it keeps, per series group, the state the SOP needs and that a plain SOC estimator does not: SOC
 * (coulomb counting from the OCV of the first frame with every group voltage valid, or from an estimator the
 * caller feeds in), the RC voltages (the model's exact zero-order hold under the measured current: they follow
 * from the current alone), and the temperatures: each group takes the reading of the nearest sensored group as
 * its case temperature, and its core is estimated above that by the heat it makes over the core-to-case
 * conductance (smoothed over the core's time constant). Then the pack SOP gives charge and discharge currents
 * for the host at the chosen horizon, with the binding reason; the sensor-bias budget and the cooling delay θ
 * enter through the solver options.
 */
import { ocvAt } from "../cell/model.ts";
import type { CellModel } from "../cell/params.ts";
import type { Measurements, PackInfo } from "../twin/interfaces.ts";
import { SECONDS_PER_HOUR } from "../units.ts";
import { PackSop, type PackSopOptions } from "./pack.ts";
import { GroupStates, type SopReason, type SopWindow } from "./predict.ts";

export interface PredictiveLimiterOptions extends Partial<PackSopOptions> {
  /** Which horizon (index into horizonsS) sets the host current limits (default: 10 s). */
  hostHorizonIndex?: number;
}

export class PredictiveLimiter {
  readonly model: CellModel;
  readonly pack: PackInfo;
  readonly states: GroupStates;
  readonly sop: PackSop;
  readonly hostHorizonIndex: number;
  ready = false;
  chargeCurrentMaxA = 0;
  dischargeCurrentMaxA = 0;
  chargeReason: SopReason = "cell current";
  dischargeReason: SopReason = "cell current";
  /** Smoothed heat per cell, W. */
  heatW = 0;
  private readonly nearestSensor: Int32Array;
  private lastTimeS = Number.NaN;

  constructor(model: CellModel, pack: PackInfo, window: SopWindow, options: PredictiveLimiterOptions = {}) {
    this.model = model;
    this.pack = pack;
    const ns = pack.seriesGroups;
    this.states = new GroupStates(model, ns, { soc: 0.5, tempK: model.refTempK });
    this.sop = new PackSop(model, ns, pack.parallelCells, window, options);
    this.hostHorizonIndex = options.hostHorizonIndex ?? Math.min(1, this.sop.horizonsS.length - 1);
    this.nearestSensor = new Int32Array(ns).fill(-1);
    const sensors = pack.tempSensors;
    for (let g = 0; g < ns; g++) {
      let best = Number.POSITIVE_INFINITY;
      for (let k = 0; k < sensors.length; k++) {
        const d = Math.abs(sensors[k].group - g);
        if (d < best) {
          best = d;
          this.nearestSensor[g] = k;
        }
      }
    }
  }

  /**
   * One period. `soc` optionally overrides the SOC per group (an estimator's); `coreTempK` the core temperature
   * per group (a better temperature estimate, or the truth in an experiment).
   */
  update(m: Measurements, soc?: ArrayLike<number>, coreTempK?: ArrayLike<number>): void {
    const s = this.states;
    const model = this.model;
    const np = this.pack.parallelCells;
    const ns = this.pack.seriesGroups;
    const dt = Number.isNaN(this.lastTimeS) ? 0 : m.timeS - this.lastTimeS;
    this.lastTimeS = m.timeS;
    const cellA = m.packCurrentA.valid ? m.packCurrentA.value / np : 0;
    // Temperatures: case from the nearest valid sensor, core above it by the heat over g(core–case).
    const th = model.thermal;
    let rSum = model.r0.at(0.5, model.refTempK, cellA >= 0 ? 1 : -1);
    for (const b of model.rc) rSum += b.r.at(0.5, model.refTempK, cellA >= 0 ? 1 : -1);
    const tau = th.cellHeatCapacityJperK / th.cellToCaseWperK;
    if (dt > 0) this.heatW += (1 - Math.exp(-dt / tau)) * (rSum * cellA * cellA - this.heatW);
    const t = m.temperatureK;
    for (let g = 0; g < ns; g++) {
      const k = this.nearestSensor[g];
      if (k >= 0 && t.valid[k]) s.caseTempK[g] = t.value[k];
      s.tempK[g] = coreTempK ? coreTempK[g] : s.caseTempK[g] + this.heatW / th.cellToCaseWperK;
    }
    if (!this.ready) {
      const v = m.groupVoltageV;
      for (let g = 0; g < ns; g++) if (!v.valid[g]) return;
      for (let g = 0; g < ns; g++) s.soc[g] = soc ? soc[g] : socAtOcv(model, v.value[g], s.tempK[g]);
      this.ready = true;
    } else if (dt > 0) {
      for (let g = 0; g < ns; g++) {
        const z = s.soc[g];
        const tK = s.tempK[g];
        const dir = cellA > 0 ? 1 : -1;
        for (let k = 0; k < model.rc.length; k++) {
          const b = model.rc[k];
          const rk = b.r.at(z, tK, dir) * s.resistanceScale[g];
          const tauK = rk * b.c.at(z, tK);
          const a = tauK > 0 ? Math.exp(-dt / tauK) : 0;
          s.vrc[k][g] = a * s.vrc[k][g] + rk * (1 - a) * cellA;
        }
        const q = SECONDS_PER_HOUR * model.capacityAh * s.capacityScale[g];
        const eta = cellA > 0 ? model.coulombicEfficiency : 1;
        s.soc[g] = soc ? soc[g] : z + (eta * cellA * dt) / q;
      }
    }
    this.sop.update(s);
    const h = this.hostHorizonIndex;
    this.chargeCurrentMaxA = this.sop.charge.currentA[h];
    this.dischargeCurrentMaxA = this.sop.discharge.currentA[h];
    this.chargeReason = this.sop.charge.reason[h];
    this.dischargeReason = this.sop.discharge.reason[h];
  }
}

/** SOC at which the OCV at temperature T equals v (bisection; OCV is non-decreasing in SOC). */
export function socAtOcv(m: CellModel, v: number, tK: number): number {
  let lo = 0;
  let hi = 1;
  if (v <= ocvAt(m, lo, tK)) return lo;
  if (v >= ocvAt(m, hi, tK)) return hi;
  for (let i = 0; i < 40; i++) {
    const mid = 0.5 * (lo + hi);
    if (ocvAt(m, mid, tK) < v) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}
