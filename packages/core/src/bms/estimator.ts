/**
 * The estimation seam of the controller: per-group state of charge for limits and balancing.
 *
 * The built-in estimator is coulomb counting from the measured pack current, started from the OCV of each group
 * at the first frame with every group voltage valid (the contactors are open then, so the terminal voltage is an
 * OCV). `filterSocEstimator` puts the per-group Kalman filters of `estimate/` (PackSocEstimator) behind the
 * same interface; pass it as `BmsControllerOptions.estimator`.
 */
import type { CellModel } from "../cell/params.ts";
import { PackSocEstimator } from "../estimate/pack.ts";
import type { Measurements, PackInfo } from "../twin/interfaces.ts";
import { SECONDS_PER_HOUR } from "../units.ts";
import type { BmsConfig } from "./config.ts";

export interface BmsSocEstimator {
  readonly name: string;
  /** State of charge per series group, 0 … 1 (valid once `ready`). */
  readonly soc: Float64Array;
  readonly ready: boolean;
  socMin: number;
  socMax: number;
  /**
   * One estimation step: `chargeC` is the pack charge that flowed since the last call (∫I dt, charge-positive,
   * from the 10 ms integration), `dtS` the time since the last call, `groupChargeC` (when given) the charge
   * each group carried on top of the string's: its balancing current (a bleed resistor draws, so negative).
   */
  update(m: Measurements, chargeC: number, dtS: number, groupChargeC?: ArrayLike<number>): void;
}

/** SOC at which the OCV curve reaches `v` (inverse of a non-decreasing piecewise-linear curve, clamped). */
export function socFromOcvCurve(soc: Float64Array, ocvV: Float64Array, v: number): number {
  const n = soc.length;
  if (v <= ocvV[0]) return soc[0];
  if (v >= ocvV[n - 1]) return soc[n - 1];
  // Bisection for the first point at or above v.
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (ocvV[mid] < v) lo = mid;
    else hi = mid;
  }
  const dv = ocvV[hi] - ocvV[lo];
  return dv > 0 ? soc[lo] + ((v - ocvV[lo]) / dv) * (soc[hi] - soc[lo]) : soc[hi];
}

export class CoulombCountingEstimator implements BmsSocEstimator {
  readonly name = "coulomb counting, OCV start";
  readonly soc: Float64Array;
  ready = false;
  socMin = Number.NaN;
  socMax = Number.NaN;
  private readonly groupCapacityC: number;
  private readonly ocvSoc: Float64Array;
  private readonly ocvV: Float64Array;

  constructor(pack: PackInfo, config: BmsConfig) {
    this.soc = new Float64Array(pack.seriesGroups);
    this.groupCapacityC = pack.parallelCells * config.estimation.cellCapacityAh * SECONDS_PER_HOUR;
    this.ocvSoc = config.estimation.ocvSoc;
    this.ocvV = config.estimation.ocvV;
  }

  update(m: Measurements, chargeC: number, _dtS: number, groupChargeC?: ArrayLike<number>): void {
    const v = m.groupVoltageV;
    if (!this.ready) {
      for (let g = 0; g < this.soc.length; g++) if (v.valid[g] === 0) return;
      for (let g = 0; g < this.soc.length; g++)
        this.soc[g] = socFromOcvCurve(this.ocvSoc, this.ocvV, v.value[g]);
      this.ready = true;
    } else {
      const c = this.groupCapacityC;
      for (let g = 0; g < this.soc.length; g++) this.soc[g] += (chargeC + (groupChargeC?.[g] ?? 0)) / c;
    }
    let lo = Infinity;
    let hi = -Infinity;
    for (let g = 0; g < this.soc.length; g++) {
      const z = this.soc[g];
      if (z < lo) lo = z;
      if (z > hi) hi = z;
    }
    this.socMin = lo;
    this.socMax = hi;
  }
}

/**
 * The per-group SOC filters of `estimate/pack.ts` (EKF or SPKF) behind the controller's seam. Started like the
 * coulomb counter (OCV of every group at the first all-valid frame); each 100 ms step feeds the mean pack current
 * of the interval, every group's voltage (an invalid reading is predicted only) and the temperature of the sensor
 * nearest the group (the mean of the valid sensors when that one is invalid), and each group's balancing current.
 */
export function filterSocEstimator(
  model: CellModel,
  filter: "ekf" | "spkf" = "spkf",
): (pack: PackInfo, config: BmsConfig) => BmsSocEstimator {
  return (pack, config) => new FilterSocEstimator(model, filter, pack, config);
}

class FilterSocEstimator implements BmsSocEstimator {
  readonly name: string;
  readonly soc: Float64Array;
  ready = false;
  socMin = Number.NaN;
  socMax = Number.NaN;
  private inner: PackSocEstimator | null = null;
  private readonly nearestSensor: Int32Array;
  private readonly groupTempK: Float64Array;
  /** Balancing current of each group over the last interval, A (on top of the string current). */
  private readonly groupExtraA: Float64Array;

  constructor(
    private readonly model: CellModel,
    private readonly filter: "ekf" | "spkf",
    private readonly pack: PackInfo,
    private readonly config: BmsConfig,
  ) {
    this.name = `${filter} per group`;
    const ns = pack.seriesGroups;
    this.soc = new Float64Array(ns);
    this.groupTempK = new Float64Array(ns);
    this.groupExtraA = new Float64Array(ns);
    this.nearestSensor = Int32Array.from({ length: ns }, (_, g) => {
      let best = -1;
      let dist = Infinity;
      pack.tempSensors.forEach((s, k) => {
        if (Math.abs(s.group - g) < dist) {
          dist = Math.abs(s.group - g);
          best = k;
        }
      });
      return best;
    });
  }

  update(m: Measurements, chargeC: number, dtS: number, groupChargeC?: ArrayLike<number>): void {
    const v = m.groupVoltageV;
    const ns = this.soc.length;
    if (!this.inner) {
      for (let g = 0; g < ns; g++) if (v.valid[g] === 0) return;
      const e = this.config.estimation;
      const initial = Float64Array.from(v.value, (x) => socFromOcvCurve(e.ocvSoc, e.ocvV, x));
      this.inner = new PackSocEstimator(this.model, ns, {
        filter: this.filter,
        initialSoc: initial,
        parallelCells: this.pack.parallelCells,
      });
      this.soc.set(this.inner.soc);
      this.ready = true;
    } else {
      const t = m.temperatureK;
      let sum = 0;
      let n = 0;
      for (let k = 0; k < t.value.length; k++)
        if (t.valid[k] === 1) {
          sum += t.value[k];
          n++;
        }
      const fallback = n > 0 ? sum / n : this.model.refTempK;
      for (let g = 0; g < ns; g++) {
        const k = this.nearestSensor[g];
        this.groupTempK[g] = k >= 0 && t.valid[k] === 1 ? t.value[k] : fallback;
        this.inner.voltageTrusted[g] = v.valid[g];
      }
      if (groupChargeC && dtS > 0) for (let g = 0; g < ns; g++) this.groupExtraA[g] = groupChargeC[g] / dtS;
      else this.groupExtraA.fill(0);
      this.inner.step(dtS, dtS > 0 ? chargeC / dtS : 0, v.value, this.groupTempK, this.groupExtraA);
      this.soc.set(this.inner.soc);
    }
    let lo = Infinity;
    let hi = -Infinity;
    for (let g = 0; g < ns; g++) {
      if (this.soc[g] < lo) lo = this.soc[g];
      if (this.soc[g] > hi) hi = this.soc[g];
    }
    this.socMin = lo;
    this.socMax = hi;
  }
}
