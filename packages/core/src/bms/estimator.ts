/**
 * The estimation seam of the controller: per-group state of charge for limits and balancing.
 *
 * The built-in estimator is coulomb counting from the measured pack current, started from the OCV of each group
 * at the first frame with every group voltage valid (the contactors are open then, so the terminal voltage is an
 * OCV). A per-group filter from `estimate/` implements the same interface and drops in through
 * `BmsControllerOptions.estimator`.
 */
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
   * from the 10 ms integration), `dtS` the time since the last call.
   */
  update(m: Measurements, chargeC: number, dtS: number): void;
}

/** SOC at which the OCV curve reaches `v` (inverse of a non-decreasing piecewise-linear curve, clamped). */
export function socFromOcvCurve(soc: Float64Array, ocvV: Float64Array, v: number): number {
  const n = soc.length;
  if (v <= ocvV[0]) return soc[0];
  if (v >= ocvV[n - 1]) return soc[n - 1];
  for (let i = 1; i < n; i++)
    if (v <= ocvV[i]) {
      const dv = ocvV[i] - ocvV[i - 1];
      return dv > 0 ? soc[i - 1] + ((v - ocvV[i - 1]) / dv) * (soc[i] - soc[i - 1]) : soc[i];
    }
  return soc[n - 1];
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

  update(m: Measurements, chargeC: number, _dtS: number): void {
    const v = m.groupVoltageV;
    if (!this.ready) {
      for (let g = 0; g < this.soc.length; g++) if (v.valid[g] === 0) return;
      for (let g = 0; g < this.soc.length; g++)
        this.soc[g] = socFromOcvCurve(this.ocvSoc, this.ocvV, v.value[g]);
      this.ready = true;
    } else {
      const dz = chargeC / this.groupCapacityC;
      for (let g = 0; g < this.soc.length; g++) this.soc[g] += dz;
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
