/**
 * The graphite anode's potential versus Li/Li⁺ under current, from the electrode-split OCV of the parameter set
 * (the `anode` curve and its stoichiometry window, e.g. Chen 2020 for the LG M50) and the coxswain cell model.
 *
 * Model and assumptions:
 *   φ_a = U_a(sto(z)) − f·η,   η = V − OCV(z, T) = R0·I + Σ v_k (+ hysteresis),   sto = sto0 + z·(sto1 − sto0)
 * The cell's overpotential η (positive on charge) is split between the electrodes; the anode takes the share f
 * (`anodeShare`, an assumption: the ECM does not say how η divides; graphite's charge-transfer and solid
 * diffusion overpotentials dominate in the cold, so f = 0.6 by default). On charge φ_a falls below its OCP and
 * lithium plates when it reaches 0 V; a margin above 0 V absorbs the model's error. On deep discharge φ_a rises
 * with the emptying graphite toward the potential at which the copper current collector dissolves (about
 * 3.3 V vs Li/Li⁺); the Chen 2020 curve ends at 1.82 V (stoichiometry 0), so the cut-off sits on the steep rise
 * of the curve, where the anode is nearly empty and the potential runs away faster than any model tracks.
 */
import { anodePotential, ocvAt } from "../cell/model.ts";
import type { CellModel } from "../cell/params.ts";
import type { GroupStates } from "../sop/predict.ts";
import { SECONDS_PER_HOUR } from "../units.ts";

export const DEFAULT_ANODE_SHARE = 0.6;

/** Anode potential for a known terminal voltage (a measured or simulated cell): U_a(z) − f·(V − OCV(z, T)). */
export function anodePotentialAt(
  m: CellModel,
  z: number,
  tK: number,
  voltageV: number,
  anodeShare: number,
): number {
  const u = anodePotential(m, z);
  if (u === null)
    throw new Error(`cell parameter set "${m.name}" has no anode curve (needed for the anode potential)`);
  return u - anodeShare * (voltageV - ocvAt(m, z, tK));
}

/** The model's anode potential needs an anode curve; say so by name when it is missing. */
export function requireAnode(m: CellModel): void {
  if (!m.anode)
    throw new Error(
      `cell parameter set "${m.name}": no "anode" electrode curve, needed for plating-aware charging and the copper cut-off`,
    );
}

const CHECKS = 3;

/**
 * Largest charge current (per cell, A, ≥ 0, at most a cap) that keeps a group's predicted anode potential at or
 * above a margin over a horizon at constant current, from the closed-form response of the cell model (the same
 * as the state of power's: SOC linear, RC branches exponential). Resistances are taken at the group's present
 * temperature: the cell only warms while charging, which lowers them, so the answer is conservative. Checked at
 * the first control step, mid-horizon and the end. No allocation per call.
 */
export class PlatingLimiter {
  readonly model: CellModel;
  marginV: number;
  anodeShare: number;
  firstCheckS: number;
  private readonly rk: Float64Array;
  private readonly tau: Float64Array;
  private readonly vk0: Float64Array;
  private z0 = 0;
  private q = 1;
  private r0 = 0;
  private m0 = 0;
  private mh = 0;
  private h0 = 0;
  private horizonS = 0;

  constructor(model: CellModel, marginV: number, anodeShare = DEFAULT_ANODE_SHARE, firstCheckS = 0.1) {
    requireAnode(model);
    this.model = model;
    this.marginV = marginV;
    this.anodeShare = anodeShare;
    this.firstCheckS = firstCheckS;
    const n = model.rc.length;
    this.rk = new Float64Array(n);
    this.tau = new Float64Array(n);
    this.vk0 = new Float64Array(n);
  }

  limit(s: GroupStates, g: number, horizonS: number, capA: number): number {
    const m = this.model;
    const z0 = s.soc[g];
    const tK = s.tempK[g];
    const rs = s.resistanceScale[g];
    this.z0 = z0;
    this.q = SECONDS_PER_HOUR * m.capacityAh * s.capacityScale[g];
    this.r0 = m.r0.at(z0, tK, 1) * rs;
    this.horizonS = horizonS;
    for (let k = 0; k < m.rc.length; k++) {
      const b = m.rc[k];
      this.rk[k] = b.r.at(z0, tK, 1) * rs;
      this.tau[k] = this.rk[k] * b.c.at(z0, tK);
      this.vk0[k] = s.vrc[k][g];
    }
    const hy = m.hysteresis;
    if (hy) {
      this.m0 = hy.m0.at(z0, tK);
      this.mh = hy.m.at(z0, tK);
      this.h0 = s.h[g];
    }
    if (this.worstPotential(capA) >= this.marginV) return capA;
    if (this.worstPotential(0) < this.marginV) return 0;
    // Bisection on a monotone function: 40 halvings resolve the current to capA·1e-12.
    let lo = 0;
    let hi = capA;
    for (let i = 0; i < 40; i++) {
      const mid = 0.5 * (lo + hi);
      if (this.worstPotential(mid) >= this.marginV) lo = mid;
      else hi = mid;
    }
    return lo;
  }

  /** Lowest predicted anode potential over the check times at charge current x (decreasing in x). */
  private worstPotential(x: number): number {
    const m = this.model;
    const eta = m.coulombicEfficiency;
    const hy = m.hysteresis;
    let worst = Number.POSITIVE_INFINITY;
    for (let j = 0; j < CHECKS; j++) {
      const h = this.horizonS;
      const t = j === 0 ? Math.min(this.firstCheckS, h) : j === 1 ? 0.5 * h : h;
      let over = this.r0 * x;
      for (let k = 0; k < this.rk.length; k++) {
        const a = this.tau[k] > 0 ? Math.exp(-t / this.tau[k]) : 0;
        over += this.vk0[k] * a + this.rk[k] * x * (1 - a);
      }
      if (hy && x > 0) {
        const kappa = (eta * x * hy.gamma) / this.q;
        over += this.m0 + this.mh * (1 + (this.h0 - 1) * Math.exp(-kappa * t));
      }
      const u = anodePotential(m, this.z0 + (eta * x * t) / this.q) as number;
      const v = u - this.anodeShare * over;
      if (v < worst) worst = v;
    }
    return worst;
  }
}
