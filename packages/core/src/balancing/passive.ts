/**
 * Passive balancing: close the bleed resistor across the groups that hold more than the lowest one, until they
 * are within a band of it.
 *
 * Groups are compared by a quantity that temperature alone does not move, so a warm group is never bled for a
 * "phantom" difference:
 *  - "voltage": the group voltage corrected to a common reference temperature and to zero current,
 *      V* = V − R0(z, T)·I − (T − T_ref)·∂OCV/∂T(z, T)
 *    (R0 falls as a group warms, and OCV moves with the entropic coefficient; both are removed);
 *  - "soc": the estimated SOC;
 *  - "charge": the charge each group still takes to full, (1 − z)·Q; groups that need less are bled, so that
 *    groups of different capacity reach full together (top balancing).
 * A group starts bleeding when it is `startThreshold` above the lowest and stops at `stopThreshold` (hysteresis,
 * so a switch does not chatter); at most `maxSimultaneous` groups bleed at once, the largest excesses first (the
 * bleed heat and the monitoring chip's budget); no group bleeds while hotter than `tempMaxK`, below
 * `voltageMinV`, or while the pack current is above `currentMaxA` (voltage mode needs a near-rest voltage).
 */
import { dOcvdT } from "../cell/model.ts";
import type { CellModel } from "../cell/params.ts";
import { literal, number, object, optional, refine, type Schema, validate } from "../schema.ts";
import { celsiusToKelvin } from "../units.ts";

export type BalancingMode = "voltage" | "soc" | "charge";

export interface PassiveBalancingConfig {
  mode: BalancingMode;
  /** Excess over the lowest group that starts bleeding: V (voltage), fraction (soc), A·h (charge). */
  startThreshold: number;
  /** Excess at which a bleeding group stops (≤ startThreshold). */
  stopThreshold: number;
  maxSimultaneous: number;
  tempMaxK: number;
  voltageMinV: number;
  /** Largest pack current magnitude at which bleeding is allowed, A. */
  currentMaxA: number;
}

/** The file form (temperatures in °C), validated with field, value and range in every message. */
export const passiveBalancingSchema: Schema<PassiveBalancingConfig> = refine(
  object({
    mode: literal("voltage", "soc", "charge"),
    startThreshold: number({ gt: 0 }),
    stopThreshold: number({ min: 0 }),
    maxSimultaneous: number({ integer: true, min: 1 }),
    tempMaxC: optional(number({ min: -40, max: 150 }), 50),
    voltageMinV: optional(number({ min: 0, max: 10 }), 3.0),
    currentMaxA: optional(number({ min: 0 }), Number.POSITIVE_INFINITY),
  }),
  (c) =>
    c.stopThreshold > c.startThreshold
      ? [
          {
            path: "stopThreshold",
            value: c.stopThreshold,
            expected: `a value ≤ startThreshold (${c.startThreshold})`,
          },
        ]
      : undefined,
) as unknown as Schema<PassiveBalancingConfig>;

/** Validates a passive-balancing configuration from a file (°C at the edge, K inside). */
export function parsePassiveBalancing(json: unknown, source = "passive balancing"): PassiveBalancingConfig {
  const c = validate(passiveBalancingSchema, json, source) as unknown as {
    mode: BalancingMode;
    startThreshold: number;
    stopThreshold: number;
    maxSimultaneous: number;
    tempMaxC: number;
    voltageMinV: number;
    currentMaxA: number;
  };
  return {
    mode: c.mode,
    startThreshold: c.startThreshold,
    stopThreshold: c.stopThreshold,
    maxSimultaneous: c.maxSimultaneous,
    tempMaxK: celsiusToKelvin(c.tempMaxC),
    voltageMinV: c.voltageMinV,
    currentMaxA: c.currentMaxA,
  };
}

/** What the balancer needs per group (estimator outputs and measurements), struct-of-arrays. */
export interface BalancingInputs {
  /** Measured group voltages, V. */
  voltageV: ArrayLike<number>;
  /** Group temperatures, K. */
  tempK: ArrayLike<number>;
  /** Estimated SOC per group. */
  soc: ArrayLike<number>;
  /** Estimated group capacity, A·h (charge mode). */
  capacityAh: ArrayLike<number>;
  /** Pack current, A, charge-positive. */
  currentA: number;
}

export class PassiveBalancer {
  readonly config: PassiveBalancingConfig;
  readonly model: CellModel;
  readonly parallelCells: number;
  /** 1 = bleed this group now. */
  readonly bleed: Uint8Array;
  /** The compared quantity per group and its excess over the lowest, from the last update. */
  readonly level: Float64Array;
  readonly excess: Float64Array;
  private readonly order: Int32Array;

  constructor(model: CellModel, groups: number, parallelCells: number, config: PassiveBalancingConfig) {
    if (!(Number.isInteger(groups) && groups >= 1))
      throw new Error(`groups: got ${groups}, expected an integer ≥ 1`);
    if (config.stopThreshold > config.startThreshold)
      throw new Error(
        `stopThreshold: got ${config.stopThreshold}, expected a value ≤ startThreshold (${config.startThreshold})`,
      );
    this.model = model;
    this.config = config;
    this.parallelCells = parallelCells;
    this.bleed = new Uint8Array(groups);
    this.level = new Float64Array(groups);
    this.excess = new Float64Array(groups);
    this.order = new Int32Array(groups);
  }

  /** Voltage of group g corrected to the reference temperature and zero current (per-cell view: I/Np). */
  correctedVoltage(v: number, z: number, tK: number, packCurrentA: number): number {
    const m = this.model;
    const i = packCurrentA / this.parallelCells;
    const dir = i > 0 ? 1 : -1;
    return v - m.r0.at(z, tK, dir) * i - (tK - m.refTempK) * dOcvdT(m, z, tK);
  }

  /** Decides which groups bleed; returns the bleed mask (owned by the balancer). */
  update(x: BalancingInputs): Uint8Array {
    const c = this.config;
    const n = this.bleed.length;
    let lowest = Number.POSITIVE_INFINITY;
    for (let g = 0; g < n; g++) {
      let q: number;
      if (c.mode === "voltage") q = this.correctedVoltage(x.voltageV[g], x.soc[g], x.tempK[g], x.currentA);
      else if (c.mode === "soc") q = x.soc[g];
      else q = -(1 - x.soc[g]) * x.capacityAh[g];
      this.level[g] = q;
      if (Number.isFinite(q) && q < lowest) lowest = q;
    }
    const allowed = Math.abs(x.currentA) <= c.currentMaxA && Number.isFinite(lowest);
    let candidates = 0;
    for (let g = 0; g < n; g++) {
      const e = this.level[g] - lowest;
      this.excess[g] = e;
      const threshold = this.bleed[g] ? c.stopThreshold : c.startThreshold;
      const ok =
        allowed &&
        Number.isFinite(e) &&
        e > threshold &&
        x.tempK[g] < c.tempMaxK &&
        x.voltageV[g] > c.voltageMinV;
      this.bleed[g] = 0;
      if (ok) this.order[candidates++] = g;
    }
    // The largest excesses first, up to the cap (insertion sort: a handful of candidates at a time).
    const ord = this.order;
    for (let a = 1; a < candidates; a++) {
      const g = ord[a];
      let b = a - 1;
      while (b >= 0 && this.excess[ord[b]] < this.excess[g]) {
        ord[b + 1] = ord[b];
        b--;
      }
      ord[b + 1] = g;
    }
    const on = Math.min(candidates, c.maxSimultaneous);
    for (let k = 0; k < on; k++) this.bleed[ord[k]] = 1;
    return this.bleed;
  }
}
