/**
 * Pack SOC estimation: one filter per series group, because the BMS measures each group's voltage. A group of
 * Np parallel cells is estimated as one cell of the parameter set carrying 1/Np of the string current (the cells
 * of a group share their voltage and split the current). All group states and covariances live in two contiguous
 * Float64Arrays; a step allocates nothing.
 */
import type { CellModel } from "../cell/params.ts";
import { stateSize } from "./cellstep.ts";
import { SocEkf } from "./ekf.ts";
import type { SocFilterBase } from "./filter.ts";
import { SocSpkf } from "./spkf.ts";
import type { FilterTuning } from "./tuning.ts";

export interface PackEstimatorOptions {
  filter: "ekf" | "spkf";
  /** Initial SOC of every group, or one per group. */
  initialSoc: number | ArrayLike<number>;
  initialSocSigma?: number;
  parallelCells?: number;
  tuning?: Partial<FilterTuning>;
}

export class PackSocEstimator {
  readonly groups: number;
  readonly parallelCells: number;
  /** Per group: SOC, its σ, the last NIS and whether the last voltage was not used. */
  readonly soc: Float64Array;
  readonly socSigma: Float64Array;
  readonly nis: Float64Array;
  readonly skipped: Uint8Array;
  /** Per group: false when that group's voltage is not to be trusted (sensor plausibility); it is then predicted only. */
  readonly voltageTrusted: Uint8Array;
  readonly filters: readonly SocFilterBase[];
  /** Contiguous state (groups × n) and covariance (groups × n²) of all group filters. */
  readonly stateBuffer: Float64Array;
  readonly covarianceBuffer: Float64Array;

  constructor(model: CellModel, groups: number, o: PackEstimatorOptions) {
    if (!(Number.isInteger(groups) && groups >= 1))
      throw new Error(`groups must be a positive integer, got ${groups}`);
    const np = o.parallelCells ?? 1;
    if (!(Number.isInteger(np) && np >= 1))
      throw new Error(`parallelCells must be a positive integer, got ${np}`);
    this.groups = groups;
    this.parallelCells = np;
    const n = stateSize(model);
    this.stateBuffer = new Float64Array(groups * n);
    this.covarianceBuffer = new Float64Array(groups * n * n);
    const filters: SocFilterBase[] = [];
    const Filter = o.filter === "ekf" ? SocEkf : SocSpkf;
    for (let g = 0; g < groups; g++) {
      const soc = typeof o.initialSoc === "number" ? o.initialSoc : o.initialSoc[g];
      const storage = {
        x: this.stateBuffer.subarray(g * n, (g + 1) * n),
        p: this.covarianceBuffer.subarray(g * n * n, (g + 1) * n * n),
      };
      filters.push(new Filter(model, { soc, socSigma: o.initialSocSigma, storage }, o.tuning));
    }
    this.filters = filters;
    this.soc = new Float64Array(groups);
    this.socSigma = new Float64Array(groups);
    this.nis = new Float64Array(groups);
    this.skipped = new Uint8Array(groups);
    this.voltageTrusted = new Uint8Array(groups).fill(1);
    for (let g = 0; g < groups; g++) {
      this.soc[g] = filters[g].soc;
      this.socSigma[g] = filters[g].socSigma;
    }
  }

  /**
   * One BMS cycle: string current (A, charge +), group voltages (V) and group temperatures (K); `groupExtraA`
   * (when given) is the current each group carries on top of the string's — its balancing current (a bleed
   * resistor draws, so negative) — which flows through the group's cells and so moves its SOC and its voltage.
   */
  step(
    dt: number,
    stringCurrentA: number,
    groupVoltageV: ArrayLike<number>,
    groupTempK: ArrayLike<number>,
    groupExtraA?: ArrayLike<number>,
  ): void {
    const np = this.parallelCells;
    for (let g = 0; g < this.groups; g++) {
      const f = this.filters[g];
      const i = (stringCurrentA + (groupExtraA ? groupExtraA[g] : 0)) / np;
      f.step(dt, i, this.voltageTrusted[g] ? groupVoltageV[g] : Number.NaN, groupTempK[g]);
      this.soc[g] = f.soc;
      this.socSigma[g] = f.socSigma;
      this.nis[g] = f.nis;
      this.skipped[g] = f.skipped ? 1 : 0;
    }
  }

  /** Pack SOC for the host: the series string is empty when its emptiest group is, full when its fullest is. */
  packSoc(): { min: number; max: number; mean: number } {
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    let sum = 0;
    for (let g = 0; g < this.groups; g++) {
      const z = this.soc[g];
      if (z < min) min = z;
      if (z > max) max = z;
      sum += z;
    }
    return { min, max, mean: sum / this.groups };
  }
}
