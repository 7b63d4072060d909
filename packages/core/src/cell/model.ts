/**
 * The equivalent-circuit cell model of DESIGN.md §4, for many cells at once (struct-of-arrays, no allocation per
 * step). Current is positive when charging.
 *
 * One step of length dt with the current I held constant (zero-order hold):
 *   z' = z + (η(I)·I − I_leak)·dt / (3600·Q)
 *   v_k' = a_k·v_k + R_k·(1 − a_k)·I,            a_k = exp(−dt / (R_k·C_k))
 *   h' = A_h·h + (1 − A_h)·sgn(I),              A_h = exp(−|η·I·γ·dt / (3600·Q)|)
 *   s' = sgn(I) if |I| > threshold, else s
 *   V  = OCV(z', T) + M0·s' + M·h + Σ v_k' + R0·I
 * Parameters and temperature are taken at the start of the step; the hysteresis state enters the voltage from
 * the start of the step, so for a known current direction V is affine in I (V = E + R·I, exact up to an OCV
 * breakpoint crossed inside the step), which makes parallel current sharing a closed-form solve.
 *
 * Energy is accounted exactly within each step from the continuous solution (RC branches and hysteresis relax
 * exponentially, SOC moves linearly), so electrical energy in = stored enthalpy + heat holds to rounding:
 *   heat = R0·I²·dt + Σ∫v_k²/R_k dt + ∫(M0·s + M·h)·I dt + (η·I − I_leak)·T·∫dU/dT dt
 *          + (1 − η)·I·∫OCV dt + I_leak·∫OCV dt
 * (ohmic, polarisation, hysteresis, reversible, coulombic-inefficiency and self-discharge heat).
 *
 * A set with a current axis (`r0CurrentScale`, `rc[k].rCurrentScale`) makes R0 and R_k depend on |I| (R_k at a
 * fixed τ_k: the pulses show the fast pair's time constant independent of current, and the relaxation after a
 * pulse then keeps the pulse's τ, as the per-pulse fits assume). To keep V
 * affine in I over a step (the parallel current split needs it), linearize() evaluates them at a current given in
 * advance: by default the cell's current of the previous step (an explicit one-step lag, kept per cell in
 * `lastCurrentA`); a caller that knows the step's current (a simulation with a current profile) passes it. The
 * resistances of the step are used for both its voltage and its heat, so the energy balance holds either way.
 */
import { SECONDS_PER_HOUR } from "../units.ts";
import type { CellModel } from "./params.ts";

/** Open-circuit voltage at (soc, T). */
export function ocvAt(m: CellModel, z: number, tK: number): number {
  if (m.ocv.tempK.length > 1) return m.ocv.at(z, tK);
  return m.ocv.at(z, m.refTempK) + (tK - m.refTempK) * m.dUdT.at(z, m.refTempK);
}

/** Entropic coefficient ∂OCV/∂T at (soc, T), V/K. */
export function dOcvdT(m: CellModel, z: number, tK: number): number {
  return m.ocv.tempK.length > 1 ? m.ocv.dT(z, tK) : m.dUdT.at(z, m.refTempK);
}

/** ∂OCV/∂SOC at (soc, T), V per unit SOC. */
export function ocvSlope(m: CellModel, z: number, tK: number): number {
  if (m.ocv.tempK.length > 1) return m.ocv.dSoc(z, tK);
  return m.ocv.dSoc(z, m.refTempK) + (tK - m.refTempK) * m.dUdT.dSoc(z, m.refTempK);
}

/** ∫ OCV dz from z0 to z1 at temperature T (exact for the piecewise-linear tables), V. */
export function ocvIntegral(m: CellModel, z0: number, z1: number, tK: number): number {
  if (m.ocv.tempK.length > 1) return m.ocv.integrateSoc(z0, z1, tK);
  return m.ocv.integrateSoc(z0, z1, m.refTempK) + (tK - m.refTempK) * m.dUdT.integrateSoc(z0, z1, m.refTempK);
}

/** ∫ dU/dT dz from z0 to z1, V/K. */
function dUdTIntegral(m: CellModel, z0: number, z1: number, tK: number): number {
  if (m.ocv.tempK.length > 1) return dOcvdT(m, 0.5 * (z0 + z1), tK) * (z1 - z0);
  return m.dUdT.integrateSoc(z0, z1, m.refTempK);
}

/**
 * Ohmic resistance at (soc, T) for a current I (A, charge-positive): the direction picks the table, and a set with
 * a current axis scales it by |I|. Without one this is exactly r0.at(z, T, I).
 */
export function r0At(m: CellModel, z: number, tK: number, currentA: number): number {
  const r0 = m.r0.at(z, tK, currentA);
  const cs = m.r0CurrentScale;
  return cs ? r0 * cs.at(z, tK, currentA) : r0;
}

/** Graphite anode potential versus Li/Li⁺ at a SOC, V (null when the set has no anode curve). */
export function anodePotential(m: CellModel, z: number): number | null {
  const a = m.anode;
  if (!a) return null;
  const sto = a.stoAtSoc0 + z * (a.stoAtSoc1 - a.stoAtSoc0);
  return interpClamped(a.sto, a.ocpV, sto);
}

function interpClamped(xs: Float64Array, ys: Float64Array, x: number): number {
  const n = xs.length;
  if (x <= xs[0]) return ys[0];
  if (x >= xs[n - 1]) return ys[n - 1];
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] <= x) lo = mid;
    else hi = mid;
  }
  return ys[lo] + ((x - xs[lo]) / (xs[hi] - xs[lo])) * (ys[hi] - ys[lo]);
}

export interface CellInit {
  soc: number;
  tempK: number;
}

/** Exact zero-order-hold matrices of the two-node thermal model for one dt. */
interface ThermalStep {
  dt: number;
  p11: number;
  p12: number;
  p21: number;
  p22: number;
  g1: number;
  g2: number;
}

/**
 * A bank of cells sharing one parameter set, each with its own state and multipliers (the twin's spread and
 * ageing). Index i selects the cell.
 */
export class CellArray {
  readonly n: number;
  readonly nRc: number;
  readonly model: CellModel;

  // State.
  readonly soc: Float64Array;
  /** RC voltages, vrc[k][i]. */
  readonly vrc: Float64Array[];
  /** Dynamic hysteresis state in [−1, 1]. */
  readonly h: Float64Array;
  /** Instantaneous hysteresis sign (−1, 0, 1). */
  readonly s: Float64Array;
  readonly tCellK: Float64Array;
  readonly tCaseK: Float64Array;

  // Per-cell multipliers and leakage.
  readonly capacityScale: Float64Array;
  readonly resistanceScale: Float64Array;
  /** Self-discharge (internal leakage) current, A, positive drains the cell. */
  readonly leakA: Float64Array;
  /** Current of each cell's last committed step, A: where a current-dependent R0 is evaluated by default. */
  readonly lastCurrentA: Float64Array;

  // Accumulated energies, J.
  readonly electricalJ: Float64Array;
  readonly heatJ: Float64Array;

  // Linearisation of the current step (see linearize/commit).
  readonly emf: Float64Array;
  readonly resistance: Float64Array;
  /** Heat of the last committed step as a mean power, W. */
  readonly heatW: Float64Array;

  private readonly kR: Float64Array;
  private readonly kA: Float64Array;
  private readonly kTau: Float64Array;
  private r0 = 0;
  private thermalStep: ThermalStep | null = null;

  /** `alloc` makes the state arrays (the pack twin puts them in the WebAssembly kernel's memory). */
  constructor(
    model: CellModel,
    n: number,
    init: CellInit,
    alloc: (n: number) => Float64Array = (k) => new Float64Array(k),
  ) {
    this.model = model;
    this.n = n;
    this.nRc = model.rc.length;
    const f = (v: number) => alloc(n).fill(v);
    this.soc = f(init.soc);
    this.vrc = model.rc.map(() => f(0));
    this.h = f(0);
    this.s = f(0);
    this.tCellK = f(init.tempK);
    this.tCaseK = f(init.tempK);
    this.capacityScale = f(1);
    this.resistanceScale = f(1);
    this.leakA = f(0);
    this.lastCurrentA = f(0);
    this.electricalJ = f(0);
    this.heatJ = f(0);
    this.emf = f(0);
    this.resistance = f(0);
    this.heatW = f(0);
    this.kR = new Float64Array(this.nRc);
    this.kA = new Float64Array(this.nRc);
    this.kTau = new Float64Array(this.nRc);
  }

  capacityAh(i: number): number {
    return this.model.capacityAh * this.capacityScale[i];
  }

  /** Open-circuit voltage of cell i now. */
  ocv(i: number): number {
    return ocvAt(this.model, this.soc[i], this.tCellK[i]);
  }

  /**
   * Computes emf[i] and resistance[i] such that the terminal voltage at the end of a step of length dt is
   * V = emf + resistance·I for any current I with the sign of `direction` (+1 charge, −1 discharge, 0 rest).
   * A set with a current axis evaluates it at `scaleCurrentA` (default: the cell's last step current, a one-step
   * lag; only its magnitude is used); sets without one ignore it.
   */
  linearize(i: number, dt: number, direction: number, scaleCurrentA = this.lastCurrentA[i]): void {
    const m = this.model;
    const z = this.soc[i];
    const tK = this.tCellK[i];
    const q = SECONDS_PER_HOUR * m.capacityAh * this.capacityScale[i];
    const rs = this.resistanceScale[i];
    const eta = direction > 0 ? m.coulombicEfficiency : 1;
    const zLeak = z - (this.leakA[i] * dt) / q;
    let e = ocvAt(m, zLeak, tK);
    let r = ocvSlope(m, zLeak, tK) * ((eta * dt) / q);
    const cs = m.r0CurrentScale;
    const r0 = m.r0.at(z, tK, direction) * rs * (cs ? cs.at(z, tK, scaleCurrentA) : 1);
    r += r0;
    for (let k = 0; k < this.nRc; k++) {
      const b = m.rc[k];
      const rBase = b.r.at(z, tK, direction) * rs;
      // A current axis scales the pair's R at a fixed time constant (its C scales inversely).
      const tau = rBase * b.c.at(z, tK);
      const rk = b.rCurrentScale ? rBase * b.rCurrentScale.at(z, tK, scaleCurrentA) : rBase;
      const a = tau > 0 ? Math.exp(-dt / tau) : 0;
      this.kR[k] = rk;
      this.kA[k] = a;
      this.kTau[k] = tau;
      e += a * this.vrc[k][i];
      r += rk * (1 - a);
    }
    const hy = m.hysteresis;
    if (hy) {
      const s = direction !== 0 ? direction : this.s[i];
      e += hy.m0.at(z, tK) * s + hy.m.at(z, tK) * this.h[i];
    }
    this.r0 = r0;
    this.emf[i] = e;
    this.resistance[i] = r;
  }

  /**
   * Applies current I (A, charge-positive) to cell i over dt after linearize(i, dt, sign(I)) and returns the
   * terminal voltage at the end of the step. Heat of the step is left in heatW[i]; temperatures are not moved
   * (see stepThermal).
   */
  commit(i: number, currentA: number, dt: number): number {
    const m = this.model;
    const z = this.soc[i];
    const tK = this.tCellK[i];
    const q = SECONDS_PER_HOUR * m.capacityAh * this.capacityScale[i];
    const leak = this.leakA[i];
    const eta = currentA > 0 ? m.coulombicEfficiency : 1;
    const zRate = (eta * currentA - leak) / q;
    const z1 = z + zRate * dt;

    // ∫OCV dt and ∫dU/dT dt over the step, SOC moving linearly.
    let jU: number;
    let jD: number;
    if (zRate !== 0 && dt > 0) {
      jU = ocvIntegral(m, z, z1, tK) / zRate;
      jD = dUdTIntegral(m, z, z1, tK) / zRate;
    } else {
      jU = ocvAt(m, z, tK) * dt;
      jD = dOcvdT(m, z, tK) * dt;
    }
    const i2 = currentA * currentA;
    let elec = currentA * jU + this.r0 * i2 * dt;
    let heat = this.r0 * i2 * dt + (1 - eta) * currentA * jU + leak * jU + (eta * currentA - leak) * tK * jD;
    let vRc = 0;
    for (let k = 0; k < this.nRc; k++) {
      const rk = this.kR[k];
      const a = this.kA[k];
      const tau = this.kTau[k];
      const v0 = this.vrc[k][i];
      const vInf = rk * currentA;
      const v1 = a * v0 + (1 - a) * vInf;
      this.vrc[k][i] = v1;
      vRc += v1;
      if (rk > 0 && dt > 0) {
        const d = v0 - vInf;
        elec += currentA * (vInf * dt + d * tau * (1 - a));
        heat += (vInf * vInf * dt + 2 * vInf * d * tau * (1 - a) + d * d * tau * 0.5 * (1 - a * a)) / rk;
      }
    }
    let vHys = 0;
    const hy = m.hysteresis;
    if (hy) {
      const mh = hy.m.at(z, tK);
      const m0 = hy.m0.at(z, tK);
      const h0 = this.h[i];
      const sgn = currentA > 0 ? 1 : currentA < 0 ? -1 : 0;
      const sNew = Math.abs(currentA) > hy.thresholdA ? sgn : this.s[i];
      const kappa = (eta * Math.abs(currentA) * hy.gamma) / q;
      let hInt: number;
      let h1: number;
      if (kappa > 0 && dt > 0) {
        const decay = Math.exp(-kappa * dt);
        h1 = sgn + (h0 - sgn) * decay;
        hInt = sgn * dt + ((h0 - sgn) * (1 - decay)) / kappa;
      } else {
        h1 = h0;
        hInt = h0 * dt;
      }
      const eHys = currentA * (m0 * sNew * dt + mh * hInt);
      elec += eHys;
      heat += eHys;
      vHys = m0 * sNew + mh * h0;
      this.h[i] = h1;
      this.s[i] = sNew;
    }
    this.soc[i] = z1;
    this.lastCurrentA[i] = currentA;
    this.electricalJ[i] += elec;
    this.heatJ[i] += heat;
    this.heatW[i] = dt > 0 ? heat / dt : 0;
    return ocvAt(m, z1, tK) + vHys + vRc + this.r0 * currentA;
  }

  /** One step of cell i: linearize (R0 at this step's own current) and commit. Returns the terminal voltage. */
  step(i: number, currentA: number, dt: number): number {
    this.linearize(i, dt, currentA > 0 ? 1 : currentA < 0 ? -1 : 0, currentA);
    return this.commit(i, currentA, dt);
  }

  /**
   * Moves cell i's two thermal nodes over dt with the heat of its last step (exact zero-order hold of the
   * linear two-node model: cell node ↔ case node ↔ ambient).
   */
  stepThermal(i: number, dt: number, ambientK: number): void {
    if (dt <= 0) return;
    let ts = this.thermalStep;
    if (!ts || ts.dt !== dt) ts = this.thermalStep = thermalZoh(this.model, dt);
    const x1 = this.tCellK[i] - ambientK;
    const x2 = this.tCaseK[i] - ambientK;
    const p = this.heatW[i];
    this.tCellK[i] = ambientK + ts.p11 * x1 + ts.p12 * x2 + ts.g1 * p;
    this.tCaseK[i] = ambientK + ts.p21 * x1 + ts.p22 * x2 + ts.g2 * p;
  }
}

/** e^{A·dt} and A⁻¹(e^{A·dt} − I)·b for the two-node thermal model, in closed form (Cayley–Hamilton). */
function thermalZoh(m: CellModel, dt: number): ThermalStep {
  const {
    cellHeatCapacityJperK: c1,
    caseHeatCapacityJperK: c2,
    cellToCaseWperK: g,
    caseToAmbientWperK: ga,
  } = m.thermal;
  const a11 = -g / c1;
  const a12 = g / c1;
  const a21 = g / c2;
  const a22 = -(g + ga) / c2;
  const tr = a11 + a22;
  const det = a11 * a22 - a12 * a21;
  const disc = Math.sqrt(Math.max(0, (tr * tr) / 4 - det));
  const l1 = tr / 2 + disc;
  const l2 = tr / 2 - disc;
  const e1 = Math.exp(l1 * dt);
  const e2 = Math.exp(l2 * dt);
  // disc > 0 always here (a12·a21 > 0), so the eigenvalues are distinct.
  const alpha1 = (e1 - e2) / (l1 - l2);
  const alpha0 = (l1 * e2 - l2 * e1) / (l1 - l2);
  const p11 = alpha0 + alpha1 * a11;
  const p12 = alpha1 * a12;
  const p21 = alpha1 * a21;
  const p22 = alpha0 + alpha1 * a22;
  // Γ = A⁻¹(Φ − I)·[1/c1, 0]ᵀ
  const b1 = 1 / c1;
  const m11 = p11 - 1;
  const m21 = p21;
  const y1 = m11 * b1;
  const y2 = m21 * b1;
  const g1 = (a22 * y1 - a12 * y2) / det;
  const g2 = (-a21 * y1 + a11 * y2) / det;
  return { dt, p11, p12, p21, p22, g1, g2 };
}
