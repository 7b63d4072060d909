/**
 * The coxswain cell model (DESIGN.md §4, `CellArray.linearize/commit`) written out for the estimators: one step's
 * coefficients at the start-of-step SOC and temperature, and the terminal voltage they imply.
 *
 * Filter state x = [z, v_1 … v_n, e, ρ, h] (h only when the set has hysteresis). Over a step of length dt with
 * current I:
 *   z' = z + dzdI·I                     dzdI = η(I)·dt / (3600·Q)
 *   v_k' = a_k·v_k + b_k·I              a_k = exp(−dt/(R_k·C_k)), b_k = R_k·(1 − a_k)
 *   V  = OCV(z', T) + M0·s' + M·h + (1 + ρ)·(R0·I + Σ v_k') + e
 * e and ρ are the model's own errors, not part of the cell model (0 in it): e the voltage error at rest (OCV table,
 * fit), ρ the relative error of the modelled overpotential, both slowly varying first-order Gauss–Markov processes
 * (see filter.ts).
 *   h' = A_h·h + (1 − A_h)·sgn(I)       A_h = exp(−|η·I·γ·dt/(3600·Q)|)
 * The voltage sees h from the START of the step, so the estimators move z and v, update with V, and only then move
 * h: the same equations as the cell model, in an order that keeps the measurement a function of the state.
 */
import { ocvAt, ocvSlope, r0At } from "../cell/model.ts";
import type { CellModel } from "../cell/params.ts";
import { SECONDS_PER_HOUR } from "../units.ts";

/** Coefficients of one model step, refilled in place (no allocation per step). */
export class StepCoefficients {
  /** SOC change per ampere over the step. */
  dzdI = 0;
  /** RC decay factors and input gains, one per branch. */
  readonly a: Float64Array;
  readonly b: Float64Array;
  /** Ohmic resistance, Ω. */
  r0 = 0;
  /** Hysteresis magnitudes (V), decay factor and target of h over the step, and the instantaneous sign s'. */
  m = 0;
  m0 = 0;
  hDecay = 1;
  hTarget = 0;
  s = 0;

  constructor(nRc: number) {
    this.a = new Float64Array(nRc);
    this.b = new Float64Array(nRc);
  }
}

/**
 * Current above which an estimator lets the instantaneous hysteresis sign follow the measured current: the set's
 * threshold, but at least four σ of the current noise, so that noise at rest does not flip it.
 */
export function signThreshold(m: CellModel, currentNoiseA: number): number {
  return Math.max(m.hysteresis?.thresholdA ?? 0, 4 * currentNoiseA);
}

/** Number of filter states for a cell model: SOC, RC voltages, model error, overpotential error, hysteresis. */
export function stateSize(m: CellModel): number {
  return 3 + m.rc.length + (m.hysteresis ? 1 : 0);
}

/**
 * Fills `c` for a step of length dt at start-of-step SOC z and temperature tK, current I, with the instantaneous
 * hysteresis sign before the step `sPrev`. `capacityAh` lets a health estimator substitute its own capacity;
 * `signThresholdA` (default the set's) lets an estimator demand more than sensor noise before s changes sign.
 */
export function stepCoefficients(
  m: CellModel,
  z: number,
  tK: number,
  currentA: number,
  dt: number,
  sPrev: number,
  capacityAh: number,
  c: StepCoefficients,
  signThresholdA?: number,
): void {
  const dir = currentA > 0 ? 1 : currentA < 0 ? -1 : 0;
  const eta = dir > 0 ? m.coulombicEfficiency : 1;
  const q = SECONDS_PER_HOUR * capacityAh;
  c.dzdI = (eta * dt) / q;
  // The current is a measured input: a current-dependent R0 or R_k changes the prediction, not the state Jacobian.
  c.r0 = r0At(m, z, tK, currentA);
  for (let k = 0; k < m.rc.length; k++) {
    const b = m.rc[k];
    const rBase = b.r.at(z, tK, dir);
    const tau = rBase * b.c.at(z, tK);
    const rk = b.rCurrentScale ? rBase * b.rCurrentScale.at(z, tK, currentA) : rBase;
    const a = tau > 0 ? Math.exp(-dt / tau) : 0;
    c.a[k] = a;
    c.b[k] = rk * (1 - a);
  }
  const hy = m.hysteresis;
  if (hy) {
    c.m = hy.m.at(z, tK);
    c.m0 = hy.m0.at(z, tK);
    const threshold = signThresholdA ?? hy.thresholdA;
    // A current an estimator cannot tell from sensor noise moves neither hysteresis state.
    const moves = signThresholdA === undefined || Math.abs(currentA) > threshold;
    c.hDecay = moves ? Math.exp(-Math.abs((eta * currentA * hy.gamma * dt) / q)) : 1;
    c.hTarget = dir;
    c.s = Math.abs(currentA) > threshold ? dir : sPrev;
  } else {
    c.m = 0;
    c.m0 = 0;
    c.hDecay = 1;
    c.hTarget = 0;
    c.s = 0;
  }
}

/**
 * Terminal voltage at the end of the step from the moved state (z', v', e, ρ) and the start-of-step h. The
 * overpotential R0·I + Σ v_k is scaled by (1 + ρ), the model's relative overpotential error.
 */
export function terminalVoltage(
  m: CellModel,
  c: StepCoefficients,
  x: ArrayLike<number>,
  tK: number,
  currentA: number,
): number {
  const n = m.rc.length;
  let eta = c.r0 * currentA;
  for (let k = 0; k < n; k++) eta += x[1 + k];
  let v = ocvContinued(m, x[0], tK) + (1 + x[2 + n]) * eta + x[1 + n] + c.m0 * c.s;
  if (m.hysteresis) v += c.m * x[3 + n];
  return v;
}

/**
 * The OCV, continued linearly beyond the ends of its table with the end slopes. The cell model holds the table's
 * end values there; the filters' state never leaves [0, 1], but sigma points do, and a flat continuation would
 * tell them the voltage says nothing about SOC near full charge.
 */
export function ocvContinued(m: CellModel, z: number, tK: number): number {
  const axis = m.ocv.soc;
  const lo = axis[0];
  const hi = axis[axis.length - 1];
  if (axis.length < 2 || (z >= lo && z <= hi)) return ocvAt(m, z, tK);
  const edge = z > hi ? hi : lo;
  const inside = z > hi ? hi - 1e-9 : lo + 1e-9;
  return ocvAt(m, edge, tK) + (z - edge) * ocvSlope(m, inside, tK);
}

/**
 * SOC whose OCV at temperature tK equals `ocvV` (bisection on the monotone OCV curve), clamped to [0, 1].
 * Used to anchor the SOC at rest.
 */
export function socFromOcv(m: CellModel, ocvV: number, tK: number): number {
  let lo = 0;
  let hi = 1;
  if (ocvV <= ocvAt(m, lo, tK)) return lo;
  if (ocvV >= ocvAt(m, hi, tK)) return hi;
  for (let i = 0; i < 50; i++) {
    const mid = 0.5 * (lo + hi);
    if (ocvAt(m, mid, tK) < ocvV) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}
