/**
 * Sigma-point Kalman filter (central-difference form, Nørgaard et al. 2000) for SOC, RC voltages and hysteresis
 * on the coxswain cell model. Sigma points x̄ ± h·√P_i (h = √3, the optimum for Gaussian priors) go through the
 * model step and through the OCV curve, so no derivative of any table is needed (the EKF linearises the OCV at a
 * single point; a piecewise-linear OCV has kinks that the sigma points straddle). Covariances use the second-order divided-difference formulas, which stay
 * positive semi-definite for every state dimension.
 */
import type { CellModel } from "../cell/params.ts";
import { terminalVoltage } from "./cellstep.ts";
import { SocFilterBase, type SocFilterInit } from "./filter.ts";
import type { FilterTuning } from "./tuning.ts";

const H = Math.sqrt(3);
const H2 = 3;

export class SocSpkf extends SocFilterBase {
  /** Cholesky factor of P (lower, row-major). */
  private readonly l: Float64Array;
  private readonly plus: Float64Array;
  private readonly minus: Float64Array;
  private readonly centre: Float64Array;
  private readonly point: Float64Array;
  private readonly yPlus: Float64Array;
  private readonly yMinus: Float64Array;

  constructor(model: CellModel, init: SocFilterInit, tuning: Partial<FilterTuning> = {}) {
    super(model, init, tuning);
    const n = this.n;
    this.l = new Float64Array(n * n);
    this.plus = new Float64Array(n * n);
    this.minus = new Float64Array(n * n);
    this.centre = new Float64Array(n);
    this.point = new Float64Array(n);
    this.yPlus = new Float64Array(n);
    this.yMinus = new Float64Array(n);
  }

  /**
   * The model step for one sigma point. The step's parameters (R_k, C_k) are those at the mean's start-of-step SOC,
   * as in the cell model: a parameter table is not a state, and letting its SOC slope steer the SOC through the
   * sigma points' spread made load-dependent model error look like SOC information.
   */
  private move(x: Float64Array, off: number, currentA: number, out: Float64Array, outOff: number): void {
    const c = this.coef;
    out[outOff] = x[off] + c.dzdI * currentA;
    for (let k = 0; k < this.nRc; k++) out[outOff + 1 + k] = c.a[k] * x[off + 1 + k] + c.b[k] * currentA;
    out[outOff + this.ie] = this.errorDecay * x[off + this.ie];
    out[outOff + this.ir] = this.errorDecay * x[off + this.ir];
    if (this.hasHysteresis) out[outOff + this.n - 1] = x[off + this.n - 1];
  }

  protected predict(currentA: number): void {
    const n = this.n;
    this.factor();
    const x = this.x;
    const pt = this.point;
    const l = this.l;
    // Sigma points ± along each column of L, moved through the model.
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) pt[j] = x[j] + H * l[j * n + i];
      this.move(pt, 0, currentA, this.plus, i * n);
      for (let j = 0; j < n; j++) pt[j] = x[j] - H * l[j * n + i];
      this.move(pt, 0, currentA, this.minus, i * n);
    }
    this.move(x, 0, currentA, this.centre, 0);
    this.combine(this.centre, this.plus, this.minus, x, this.p);
    this.addCurrentNoise();
  }

  protected predictVoltage(currentA: number, tempK: number): void {
    const n = this.n;
    const c = this.coef;
    this.factor();
    const x = this.x;
    const pt = this.point;
    const l = this.l;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) pt[j] = x[j] + H * l[j * n + i];
      this.yPlus[i] = terminalVoltage(this.model, c, pt, tempK, currentA);
      for (let j = 0; j < n; j++) pt[j] = x[j] - H * l[j * n + i];
      this.yMinus[i] = terminalVoltage(this.model, c, pt, tempK, currentA);
    }
    const y0 = terminalVoltage(this.model, c, x, tempK, currentA);
    let sum = 0;
    let v = 0;
    for (let j = 0; j < n; j++) this.pxy[j] = 0;
    for (let i = 0; i < n; i++) {
      const d1 = this.yPlus[i] - this.yMinus[i];
      const d2 = this.yPlus[i] + this.yMinus[i] - 2 * y0;
      sum += this.yPlus[i] + this.yMinus[i];
      v += (d1 * d1) / (4 * H2) + ((H2 - 1) / (4 * H2 * H2)) * d2 * d2;
      for (let j = 0; j < n; j++) this.pxy[j] += (l[j * n + i] * d1) / (2 * H);
    }
    this.yMean = ((H2 - n) / H2) * y0 + sum / (2 * H2);
    this.yVar = v;
  }

  /** Mean and covariance from moved sigma points (second-order central differences). */
  private combine(
    c0: Float64Array,
    plus: Float64Array,
    minus: Float64Array,
    mean: Float64Array,
    p: Float64Array,
  ) {
    const n = this.n;
    const w0 = (H2 - n) / H2;
    const w1 = 1 / (2 * H2);
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += plus[i * n + j] + minus[i * n + j];
      mean[j] = w0 * c0[j] + w1 * s;
    }
    p.fill(0);
    const a1 = 1 / (4 * H2);
    const a2 = (H2 - 1) / (4 * H2 * H2);
    for (let i = 0; i < n; i++) {
      const o = i * n;
      for (let r = 0; r < n; r++) {
        const d1r = plus[o + r] - minus[o + r];
        const d2r = plus[o + r] + minus[o + r] - 2 * c0[r];
        for (let q = 0; q < n; q++) {
          const d1q = plus[o + q] - minus[o + q];
          const d2q = plus[o + q] + minus[o + q] - 2 * c0[q];
          p[r * n + q] += a1 * d1r * d1q + a2 * d2r * d2q;
        }
      }
    }
  }

  /** Lower Cholesky factor of P into this.l; a vanishing pivot is floored so the sigma points stay finite. */
  private factor(): void {
    const n = this.n;
    const p = this.p;
    const l = this.l;
    l.fill(0);
    for (let j = 0; j < n; j++) {
      let d = p[j * n + j];
      for (let k = 0; k < j; k++) d -= l[j * n + k] * l[j * n + k];
      const ljj = Math.sqrt(Math.max(d, 1e-14));
      l[j * n + j] = ljj;
      for (let i = j + 1; i < n; i++) {
        let s = p[i * n + j];
        for (let k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
        l[i * n + j] = s / ljj;
      }
    }
  }
}
