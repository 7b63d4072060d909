/**
 * State of power of one series group: the largest constant current it can carry for a horizon T without
 * leaving its safe window, and the constraint that binds.
 *
 * A group of Np parallel cells is seen as the estimator sees it: one cell of the parameter set carrying 1/Np of
 * the string current, with its own SOC, RC voltages, hysteresis state, temperatures and resistance/capacity
 * multipliers. Every current here is that per-cell current (charge-positive); the pack multiplies by Np.
 *
 * Over a horizon at constant current I the coxswain cell model (cell/model.ts) has a closed-form response:
 *   z(t)   = z0 + η·I·t / (3600·Q)
 *   v_k(t) = v_k0·e^(−t/τ_k) + R_k·I·(1 − e^(−t/τ_k))
 *   h(t)   = s + (h0 − s)·e^(−κ·t),  s = sgn(I),  κ = η·|I|·γ / (3600·Q)
 *   V(t)   = OCV(z(t), T) + M0·s + M·h(t) + Σ v_k(t) + R0·I
 * V is non-decreasing in I at every t (every term is), so each constraint defines a largest current, which a
 * bracketing root finder returns, always on the safe side of the limit.
 *
 * Constraints, per direction: the cell voltage window (checked at the first control step, mid-horizon and the
 * end, since RC branches relaxing in opposite directions can put the extreme inside the horizon), the SOC
 * window at the end, the cell current limit, and the cell temperature window (core temperature at the end of
 * max(T, θ), the heat a current makes before a delayed cooling command can act, with core and case taken as
 * insulated: an upper bound). No charging below the charge temperature minimum, no discharging below the
 * discharge minimum.
 *
 * Conservative by construction, so that the plant never passes a predicted limit: resistances are the larger
 * of their values at the start and at the SOC the horizon would reach at full current, and at the temperature
 * lowered by the sensor-bias budget; the heat budget counts the heat stored in the RC branches; the temperature
 * window is checked from the estimate raised by the bias budget.
 */
import { dOcvdT, ocvAt, ocvSlope } from "../cell/model.ts";
import type { CellModel } from "../cell/params.ts";
import { SECONDS_PER_HOUR } from "../units.ts";

export const SOP_REASONS = [
  "cell voltage",
  "state of charge",
  "cell current",
  "temperature high",
  "temperature low",
] as const;
export type SopReason = (typeof SOP_REASONS)[number];

/** The window a group must stay inside, per cell. Temperatures in K. */
export interface SopWindow {
  voltageMinV: number;
  voltageMaxV: number;
  socMin: number;
  socMax: number;
  chargeCurrentMaxA: number;
  dischargeCurrentMaxA: number;
  chargeTempMinK: number;
  chargeTempMaxK: number;
  dischargeTempMinK: number;
  dischargeTempMaxK: number;
}

/** The cell's own limits as a window (SOC 0…1 unless given). */
export function sopWindowFromModel(m: CellModel, socMin = 0, socMax = 1): SopWindow {
  const l = m.limits;
  return {
    voltageMinV: l.voltageMinV,
    voltageMaxV: l.voltageMaxV,
    socMin,
    socMax,
    chargeCurrentMaxA: l.chargeCurrentMaxA,
    dischargeCurrentMaxA: l.dischargeCurrentMaxA,
    chargeTempMinK: l.chargeTempMinK,
    chargeTempMaxK: l.chargeTempMaxK,
    dischargeTempMinK: l.dischargeTempMinK,
    dischargeTempMaxK: l.dischargeTempMaxK,
  };
}

/** Estimated states of the series groups, struct-of-arrays, in the per-cell view described above. */
export class GroupStates {
  readonly n: number;
  readonly soc: Float64Array;
  /** RC voltages, vrc[k][g]. */
  readonly vrc: Float64Array[];
  /** Hysteresis state in [−1, 1]. */
  readonly h: Float64Array;
  /** Core (cell) temperature estimate, K. */
  readonly tempK: Float64Array;
  /** Case temperature estimate, K (the core exchanges heat with it). */
  readonly caseTempK: Float64Array;
  /** Resistance and capacity relative to the parameter set (from the health estimators), 1 = nominal. */
  readonly resistanceScale: Float64Array;
  readonly capacityScale: Float64Array;

  constructor(model: CellModel, n: number, init: { soc: number; tempK: number }) {
    const f = (v: number) => new Float64Array(n).fill(v);
    this.n = n;
    this.soc = f(init.soc);
    this.vrc = model.rc.map(() => f(0));
    this.h = f(0);
    this.tempK = f(init.tempK);
    this.caseTempK = f(init.tempK);
    this.resistanceScale = f(1);
    this.capacityScale = f(1);
  }
}

export interface SopOptions {
  /** The first instant the voltage is checked (the controller's period), s. */
  firstCheckS: number;
  /** Temperature-sensor bias budget, K: resistances from T − bias, temperature window from T + bias. */
  tempBiasK: number;
  /** Cooling actuation delay θ, s: the temperature window is checked at max(horizon, θ). */
  coolingDelayS: number;
  /**
   * Voltage kept in hand at both voltage limits, V: what the group model cannot see (the SOC spread inside a
   * parallel group sags its voltage faster than the lumped group on the steep ends of the OCV curve).
   */
  voltageMarginV: number;
}

export const DEFAULT_SOP_OPTIONS: SopOptions = {
  firstCheckS: 0.1,
  tempBiasK: 0,
  coolingDelayS: 0,
  voltageMarginV: 0,
};

const CHECKS = 3;
const VOLT_TOL = 1e-5;

/**
 * Solves group limits. One instance per model and window; no allocation per call. After `limit`, the fields
 * `reason`, `endVoltageV`, `endSoc` and `endResistance` describe the solution just found.
 */
export class SopSolver {
  readonly model: CellModel;
  window: SopWindow;
  options: SopOptions;
  reason: SopReason = "cell current";
  /** Predicted voltage and SOC at the end of the horizon at the limit current. */
  endVoltageV = 0;
  endSoc = 0;
  /** Small-signal resistance dV/dI at the end of the horizon, Ω (for power). */
  endResistance = 0;

  // Per-solve constants; parameters per check time j (they follow the cell's warming, see warm()).
  private readonly tChecks = new Float64Array(CHECKS);
  private readonly r0J = new Float64Array(CHECKS);
  private readonly rkJ: Float64Array; // [j·nRc + k]
  private readonly decayJ: Float64Array; // e^(−t_j/τ_k)
  private readonly vk0: Float64Array;
  private readonly nRc: number;
  private z0 = 0;
  private zFar = 0;
  private tK = 0;
  private q = 0;
  private eta = 1;
  private rs = 1;
  private mH = 0;
  private m0H = 0;
  private h0 = 0;
  private gammaQ = 0;
  private dir = 1;
  private vLimit = 0;

  constructor(model: CellModel, window: SopWindow, options: Partial<SopOptions> = {}) {
    this.model = model;
    this.window = window;
    this.options = { ...DEFAULT_SOP_OPTIONS, ...options };
    const n = model.rc.length;
    this.nRc = n;
    this.rkJ = new Float64Array(CHECKS * n);
    this.decayJ = new Float64Array(CHECKS * n);
    this.vk0 = new Float64Array(n);
  }

  /**
   * Largest current magnitude (per cell, A, ≥ 0) group g may carry in `direction` (+1 charge, −1 discharge)
   * for `horizonS` seconds.
   */
  limit(s: GroupStates, g: number, horizonS: number, direction: 1 | -1): number {
    const w = this.window;
    const o = this.options;
    const d = direction;
    const charge = d > 0;
    const tEst = s.tempK[g];
    const tHot = tEst + o.tempBiasK;
    const tCold = tEst - o.tempBiasK;
    const xCap = charge ? w.chargeCurrentMaxA : w.dischargeCurrentMaxA;
    this.setup(s, g, horizonS, d, tCold, xCap);

    // Temperature window: no current at all outside it.
    const tMin = charge ? w.chargeTempMinK : w.dischargeTempMinK;
    const tMax = charge ? w.chargeTempMaxK : w.dischargeTempMaxK;
    if (tCold < tMin) return this.done(0, "temperature low");
    if (tHot >= tMax) return this.done(0, "temperature high");

    // Current limit, then SOC, then temperature rise: closed forms.
    let x = xCap;
    let reason: SopReason = "cell current";
    const zLim = charge ? w.socMax : w.socMin;
    const xSoc = Math.max(0, (d * (zLim - this.z0) * this.q) / (this.eta * horizonS));
    if (xSoc < x) {
      x = xSoc;
      reason = "state of charge";
    }
    const thermalS = Math.max(horizonS, o.coolingDelayS);
    const xHeat = this.heatLimit(thermalS, tHot, s.caseTempK[g] + o.tempBiasK, tMax);
    if (xHeat < x) {
      x = xHeat;
      reason = "temperature high";
    }

    // Voltage: the largest x ≤ the other limits with F(x) ≤ 0.
    this.vLimit = charge ? w.voltageMaxV - o.voltageMarginV : w.voltageMinV + o.voltageMarginV;
    if (this.excess(x) <= 0) return this.done(x, reason);
    if (this.excess(0) > 0) return this.done(0, "cell voltage");
    // At the start temperature first; then with the resistances of a cell warmed by no more than the current
    // just found would warm it (any larger current warms it more, so the answer stays on the safe side).
    const xCold = this.solveVoltage(x);
    this.warm(xCold, tCold, s.caseTempK[g] - o.tempBiasK);
    if (this.excess(x) <= 0) return this.done(x, reason);
    return this.done(this.solveVoltage(x), "cell voltage");
  }

  /**
   * A quick estimate of group g's terminal voltage after `t` s at per-cell current I (charge-positive), with
   * the parameters at its present state: for the pack voltage behind a power figure, not for a limit.
   */
  quickVoltage(s: GroupStates, g: number, t: number, currentA: number): number {
    const m = this.model;
    const z0 = s.soc[g];
    const tK = s.tempK[g];
    const d = currentA > 0 ? 1 : -1;
    const eta = d > 0 ? m.coulombicEfficiency : 1;
    const q = SECONDS_PER_HOUR * m.capacityAh * s.capacityScale[g];
    const rs = s.resistanceScale[g];
    let v = ocvAt(m, z0 + (eta * currentA * t) / q, tK) + m.r0.at(z0, tK, d) * rs * currentA;
    for (let k = 0; k < this.nRc; k++) {
      const b = m.rc[k];
      const rk = b.r.at(z0, tK, d) * rs;
      const tau = rk * b.c.at(z0, tK);
      const a = tau > 0 ? Math.exp(-t / tau) : 0;
      v += s.vrc[k][g] * a + rk * currentA * (1 - a);
    }
    const hy = m.hysteresis;
    if (hy && currentA !== 0) v += (hy.m0.at(z0, tK) + hy.m.at(z0, tK)) * d;
    return v;
  }

  /** Predicted terminal voltage of group g after `t` s at per-cell current I (charge-positive). */
  predictVoltage(s: GroupStates, g: number, t: number, currentA: number): number {
    const d = currentA > 0 ? 1 : -1;
    this.setup(s, g, t, d, s.tempK[g] - this.options.tempBiasK, Math.abs(currentA));
    return this.voltageAtCheck(CHECKS - 1, Math.abs(currentA));
  }

  /**
   * Loads group g's state and its conservative parameters at temperature tParamK: resistances the larger of
   * their values at the start and at the SOC that current `reachA` would reach by the end of the horizon.
   */
  private setup(
    s: GroupStates,
    g: number,
    horizonS: number,
    d: number,
    tParamK: number,
    reachA: number,
  ): void {
    const m = this.model;
    const charge = d > 0;
    this.dir = d;
    const z0 = s.soc[g];
    this.z0 = z0;
    this.tK = s.tempK[g];
    this.q = SECONDS_PER_HOUR * m.capacityAh * s.capacityScale[g];
    this.eta = charge ? m.coulombicEfficiency : 1;
    this.zFar = Math.min(1, Math.max(0, z0 + (d * this.eta * reachA * horizonS) / this.q));
    this.rs = s.resistanceScale[g];
    const t = this.tChecks;
    t[0] = Math.min(this.options.firstCheckS, horizonS);
    t[1] = 0.5 * horizonS;
    t[2] = horizonS;
    this.loadParams(0, tParamK, tParamK);
    // Same temperature at every check time: only the RC decay differs.
    const n = this.nRc;
    for (let j = 1; j < CHECKS; j++) {
      this.r0J[j] = this.r0J[0];
      for (let k = 0; k < n; k++) {
        const rk = this.rkJ[k];
        this.rkJ[j * n + k] = rk;
        const tau = rk * m.rc[k].c.at(z0, tParamK);
        this.decayJ[j * n + k] = tau > 0 ? Math.exp(-t[j] / tau) : 0;
      }
    }
    for (let k = 0; k < this.nRc; k++) this.vk0[k] = s.vrc[k][g];
    const hy = m.hysteresis;
    if (hy) {
      this.mH = hy.m.at(z0, this.tK);
      this.m0H = hy.m0.at(z0, this.tK);
      this.h0 = s.h[g];
      this.gammaQ = (this.eta * hy.gamma) / this.q;
    }
  }

  /** Parameters of check time j: R0 at temperature t0K, the RC branches at tRcK. */
  private loadParams(j: number, t0K: number, tRcK: number): void {
    const m = this.model;
    const d = this.dir;
    const z0 = this.z0;
    const zf = this.zFar;
    this.r0J[j] = Math.max(m.r0.at(z0, t0K, d), m.r0.at(zf, t0K, d)) * this.rs;
    const n = this.nRc;
    for (let k = 0; k < n; k++) {
      const b = m.rc[k];
      const rk = Math.max(b.r.at(z0, tRcK, d), b.r.at(zf, tRcK, d)) * this.rs;
      const tau = rk * b.c.at(z0, tRcK);
      this.rkJ[j * n + k] = rk;
      this.decayJ[j * n + k] = tau > 0 ? Math.exp(-this.tChecks[j] / tau) : 0;
    }
  }

  /**
   * Re-loads the parameters of every check time at a lower bound of the core temperature under current x: heat
   * no more than R0·x² (R0 at the hottest the core could get) plus reversible cooling, flowing into a case held
   * at its start temperature. R0 is taken at the check time itself; an RC branch, which averages its
   * resistance over its recent past, at the exponentially weighted mean time of that past.
   */
  private warm(x: number, coreK: number, caseK: number): void {
    const m = this.model;
    const th = m.thermal;
    const n = this.nRc;
    const horizon = this.tChecks[CHECKS - 1];
    // Hottest possible end temperature (insulated core and case, all the heat), for the smallest R0.
    let a = this.r0J[0];
    let c = 0;
    for (let k = 0; k < n; k++) {
      a += this.rkJ[k];
      if (this.rkJ[k] > 0) c += (this.vk0[k] * this.vk0[k]) / this.rkJ[k];
    }
    const rev = this.dir * this.eta * coreK * dOcvdT(m, this.z0, this.tK) * x;
    const hot = this.insulatedCoreK(horizon, coreK, caseK, a * x * x + Math.abs(rev) + c);
    const r0Low = Math.min(m.r0.at(this.z0, hot, this.dir), m.r0.at(this.zFar, hot, this.dir)) * this.rs;
    const pLow = Math.max(0, r0Low * x * x + Math.min(0, rev));
    const rate = th.cellToCaseWperK / th.cellHeatCapacityJperK;
    const rise = (t: number) => {
      const e = Math.exp(-rate * t);
      return caseK + (coreK - caseK) * e + (pLow / th.cellToCaseWperK) * (1 - e) - coreK;
    };
    // Parameters lag by one step (a model, like the plant, takes them at the start of each step).
    const lag = this.tChecks[0];
    for (let j = 0; j < CHECKS; j++) {
      const t = Math.max(0, this.tChecks[j] - lag);
      // Mean time of an RC branch's memory over [0, t], weight e^(−(t−s)/τ), τ from the start parameters.
      let sMean = t;
      if (n > 0) {
        const rk = this.rkJ[j * n];
        const tau = rk * m.rc[0].c.at(this.z0, coreK);
        if (tau > 0) {
          const e = Math.exp(-t / tau);
          sMean = e < 1 ? t - tau + (t * e) / (1 - e) : 0.5 * t;
        }
      }
      this.loadParams(j, coreK + Math.max(0, rise(t)), coreK + Math.max(0, rise(sMean)));
    }
  }

  /** Core temperature after t with heat P into core and case insulated from everything else (see heatLimit). */
  private insulatedCoreK(t: number, coreK: number, caseK: number, p: number): number {
    const th = this.model.thermal;
    const c1 = th.cellHeatCapacityJperK;
    const c2 = th.caseHeatCapacityJperK;
    const sum = c1 + c2;
    const k = th.cellToCaseWperK * (1 / c1 + 1 / c2);
    const e = Math.exp(-k * t);
    return (
      (c1 * coreK + c2 * caseK) / sum +
      (c2 / sum) * (coreK - caseK) * e +
      p * (t / sum + ((c2 / sum) * (1 - e)) / (c1 * k))
    );
  }

  /**
   * Largest x in [0, hi] with F(x) ≤ 0, given F(0) ≤ 0 < F(hi): false position with the Illinois correction
   * (no derivative needed; exact in one step on a linear stretch), result always on the safe side.
   */
  private solveVoltage(hi: number): number {
    let lo = 0;
    let fLo = this.excess(0);
    let fHi = this.excess(hi);
    let side = 0;
    for (let iter = 0; iter < 60; iter++) {
      let x = lo - (fLo * (hi - lo)) / (fHi - fLo);
      if (!(x > lo && x < hi)) x = 0.5 * (lo + hi);
      const f = this.excess(x);
      if (f <= 0) {
        lo = x;
        fLo = f;
        if (-f < VOLT_TOL) break;
        if (side < 0) fHi *= 0.5;
        side = -1;
      } else {
        hi = x;
        fHi = f;
        if (side > 0) fLo *= 0.5;
        side = 1;
      }
      if (hi - lo <= 1e-9 * (1 + hi)) break;
    }
    return lo;
  }

  /** Voltage at check time j for current magnitude x in the solve's direction. */
  private voltageAtCheck(j: number, x: number): number {
    const m = this.model;
    const d = this.dir;
    const i = d * x;
    const n = this.nRc;
    const t = this.tChecks[j];
    let v = ocvAt(m, this.z0 + ((this.eta * t) / this.q) * i, this.tK) + this.r0J[j] * i;
    for (let k = 0; k < n; k++) {
      const a = this.decayJ[j * n + k];
      v += this.vk0[k] * a + this.rkJ[j * n + k] * i * (1 - a);
    }
    if (m.hysteresis) {
      const h = x > 0 ? d + (this.h0 - d) * Math.exp(-x * this.gammaQ * t) : this.h0;
      v += this.m0H * d + this.mH * h;
    }
    return v;
  }

  /** F(x) = max over the check times of d·(V(t, d·x) − V_limit), non-decreasing in x. */
  private excess(x: number): number {
    let best = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < CHECKS; j++) {
      const f = this.dir * (this.voltageAtCheck(j, x) - this.vLimit);
      if (f > best) best = f;
    }
    return best;
  }

  /**
   * Largest x whose heat keeps the core below tMax after `thermalS`. The core and case nodes of the cell's
   * thermal model are taken as insulated from everything else (an upper bound while the surroundings are not
   * hotter than the case), which has the closed form, linear in the heat P:
   *   T_core(t) = T_m0 + P·t/S + (C2/S)·(Δ∞ + (Δ0 − Δ∞)·e^(−k·t)),  S = C1 + C2,  k = g·(1/C1 + 1/C2),
   *   T_m0 = (C1·T_core0 + C2·T_case0)/S,  Δ0 = T_core0 − T_case0,  Δ∞ = P/(C1·k),
   * with P(x) = (R0 + ΣR_k)·x² + (d·η·T·dU/dT + M0 + M)·x + Σ v_k0²/R_k, an upper bound on the ohmic,
   * polarisation (the heat already stored in the RC branches counts), reversible and hysteresis heat.
   */
  private heatLimit(thermalS: number, coreK: number, caseK: number, tMax: number): number {
    const tFree = this.insulatedCoreK(thermalS, coreK, caseK, 0);
    const perWatt = this.insulatedCoreK(thermalS, coreK, caseK, 1) - tFree;
    const pAllowed = (tMax - tFree) / perWatt;
    let a = this.r0J[0];
    let c = 0;
    for (let k = 0; k < this.nRc; k++) {
      const rk = this.rkJ[k];
      a += rk;
      if (rk > 0) c += (this.vk0[k] * this.vk0[k]) / rk;
    }
    const hy = this.model.hysteresis;
    const b =
      this.dir * this.eta * coreK * dOcvdT(this.model, this.z0, this.tK) + (hy ? this.m0H + this.mH : 0);
    const budget = pAllowed - c;
    if (budget <= 0) return 0;
    if (a <= 0) return b <= 0 ? Number.POSITIVE_INFINITY : budget / b;
    return (-b + Math.sqrt(b * b + 4 * a * budget)) / (2 * a);
  }

  private done(x: number, reason: SopReason): number {
    this.reason = reason;
    const last = CHECKS - 1;
    const n = this.nRc;
    const t = this.tChecks[last];
    this.endVoltageV = this.voltageAtCheck(last, x);
    this.endSoc = this.z0 + (this.dir * this.eta * x * t) / this.q;
    let r = ocvSlope(this.model, this.endSoc, this.tK) * ((this.eta * t) / this.q) + this.r0J[last];
    for (let k = 0; k < n; k++) r += this.rkJ[last * n + k] * (1 - this.decayJ[last * n + k]);
    this.endResistance = r;
    return x;
  }
}
