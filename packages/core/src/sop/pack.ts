/**
 * Pack state of power: for each horizon (2, 10 and 30 s by default) and each direction, the largest constant
 * string current every series group can carry, the group that binds it and why, and the pack power at that
 * current.
 *
 * Every group carries the string current, so the pack limit is the smallest group limit times Np. To keep the
 * cost bounded on large packs, only candidate groups are solved: per direction, the k groups nearest their SOC
 * limit, with the highest resistance, the hottest and the coldest (k = `candidatesPerCriterion`; 0 solves every
 * group). Power is the limit current times the pack voltage at the end of the horizon (every group's
 * closed-form response at its present parameters). A discharge limit beyond the binding group's maximum-power
 * current is cut back to it: past that point more current only makes heat.
 */
import type { CellModel } from "../cell/params.ts";
import { type GroupStates, type SopOptions, type SopReason, SopSolver, type SopWindow } from "./predict.ts";

export const SOP_HORIZONS_S: readonly number[] = [2, 10, 30];

export interface PackSopOptions {
  horizonsS: readonly number[];
  /** Candidates per criterion and direction; 0 = solve every group. */
  candidatesPerCriterion: number;
  solver: Partial<SopOptions>;
}

/** One direction's limits, one entry per horizon. */
export interface DirectionLimits {
  /** String current magnitude, A. */
  currentA: Float64Array;
  /** Pack terminal power magnitude at that current at the end of the horizon, W. */
  powerW: Float64Array;
  reason: SopReason[];
  /** The binding group. */
  group: Int32Array;
}

export class PackSop {
  readonly model: CellModel;
  readonly parallelCells: number;
  readonly groups: number;
  readonly horizonsS: Float64Array;
  readonly solver: SopSolver;
  readonly charge: DirectionLimits;
  readonly discharge: DirectionLimits;
  /** Group solves done by the last update (for benchmarks and cost accounting). */
  solves = 0;
  private readonly k: number;
  private readonly listed: Uint8Array;
  private readonly taken: Uint8Array;
  private readonly list: Int32Array;
  private listLength = 0;

  constructor(
    model: CellModel,
    groups: number,
    parallelCells: number,
    window: SopWindow,
    options: Partial<PackSopOptions> = {},
  ) {
    if (!(Number.isInteger(groups) && groups >= 1))
      throw new Error(`groups: got ${groups}, expected an integer ≥ 1`);
    if (!(Number.isInteger(parallelCells) && parallelCells >= 1))
      throw new Error(`parallelCells: got ${parallelCells}, expected an integer ≥ 1`);
    const horizons = options.horizonsS ?? SOP_HORIZONS_S;
    for (const [i, h] of horizons.entries())
      if (!(h > 0 && Number.isFinite(h))) throw new Error(`horizonsS[${i}]: got ${h}, expected a time > 0 s`);
    const k = options.candidatesPerCriterion ?? 0;
    if (!(Number.isInteger(k) && k >= 0))
      throw new Error(`candidatesPerCriterion: got ${k}, expected an integer ≥ 0 (0 = every group)`);
    this.model = model;
    this.groups = groups;
    this.parallelCells = parallelCells;
    this.horizonsS = Float64Array.from(horizons);
    this.solver = new SopSolver(model, window, options.solver);
    this.k = k;
    this.listed = new Uint8Array(groups);
    this.taken = new Uint8Array(groups);
    this.list = new Int32Array(groups);
    const dir = (): DirectionLimits => ({
      currentA: new Float64Array(horizons.length),
      powerW: new Float64Array(horizons.length),
      reason: horizons.map(() => "cell current" as SopReason),
      group: new Int32Array(horizons.length),
    });
    this.charge = dir();
    this.discharge = dir();
  }

  /** Recomputes both directions at every horizon from the group states. */
  update(s: GroupStates): this {
    if (s.n !== this.groups) throw new Error(`group states: got ${s.n} groups, expected ${this.groups}`);
    this.solves = 0;
    this.direction(s, 1, this.charge);
    this.direction(s, -1, this.discharge);
    return this;
  }

  private direction(s: GroupStates, d: 1 | -1, out: DirectionLimits): void {
    this.selectCandidates(s, d);
    const sol = this.solver;
    const np = this.parallelCells;
    for (let h = 0; h < this.horizonsS.length; h++) {
      const horizon = this.horizonsS[h];
      let best = Number.POSITIVE_INFINITY;
      let bestG = 0;
      let reason: SopReason = "cell current";
      let vEnd = 0;
      let rEnd = 0;
      for (let c = 0; c < this.listLength; c++) {
        const g = this.list[c];
        const x = sol.limit(s, g, horizon, d);
        this.solves++;
        if (x < best) {
          best = x;
          bestG = g;
          reason = sol.reason;
          vEnd = sol.endVoltageV;
          rEnd = sol.endResistance;
        }
      }
      // Beyond the maximum-power current of the binding group, more current gives less power.
      if (d < 0 && rEnd > 0) {
        const xPeak = (vEnd + rEnd * best) / (2 * rEnd);
        if (xPeak < best) best = xPeak;
      }
      let vPack = 0;
      for (let g = 0; g < this.groups; g++) vPack += sol.quickVoltage(s, g, horizon, d * best);
      out.currentA[h] = best * np;
      out.powerW[h] = best * np * Math.max(0, vPack);
      out.reason[h] = reason;
      out.group[h] = bestG;
    }
  }

  /** Fills `list` with the candidate groups for direction d. */
  private selectCandidates(s: GroupStates, d: number): void {
    const n = this.groups;
    if (this.k === 0 || 4 * this.k >= n) {
      for (let g = 0; g < n; g++) this.list[g] = g;
      this.listLength = n;
      return;
    }
    this.listed.fill(0);
    this.listLength = 0;
    // Nearest the SOC limit (lowest SOC for discharge, highest for charge), highest resistance, hottest, coldest.
    this.pick(s.soc, d);
    this.pick(s.resistanceScale, 1);
    this.pick(s.tempK, 1);
    this.pick(s.tempK, -1);
  }

  /** Lists the k groups with the largest sign·value (each group once across criteria). */
  private pick(values: Float64Array, sign: number): void {
    const taken = this.taken;
    taken.fill(0);
    for (let r = 0; r < this.k; r++) {
      let best = -1;
      let bestV = Number.NEGATIVE_INFINITY;
      for (let g = 0; g < this.groups; g++) {
        const v = sign * values[g];
        if (!taken[g] && v > bestV) {
          bestV = v;
          best = g;
        }
      }
      if (best < 0) return;
      taken[best] = 1;
      if (!this.listed[best]) {
        this.listed[best] = 1;
        this.list[this.listLength++] = best;
      }
    }
  }
}
