/**
 * Extended Kalman filter for SOC, RC voltages and hysteresis on the coxswain cell model (equations in
 * cellstep.ts). The state transition is diagonal (F = diag(1, a_1 … a_n, a_e, a_e, 1)), so the covariance
 * prediction is P_ij ← f_i·f_j·P_ij; the measurement Jacobian is H = [dOCV/dz, 1 + ρ … 1 + ρ, 1, R0·I + Σ v_k, M].
 */
import { ocvSlope } from "../cell/model.ts";
import { terminalVoltage } from "./cellstep.ts";
import { SocFilterBase } from "./filter.ts";

export class SocEkf extends SocFilterBase {
  private readonly f = new Float64Array(this.n);
  private readonly h = new Float64Array(this.n);

  protected predict(currentA: number): void {
    const c = this.coef;
    const n = this.n;
    const x = this.x;
    const f = this.f;
    x[0] += c.dzdI * currentA;
    f[0] = 1;
    for (let k = 0; k < this.nRc; k++) {
      x[1 + k] = c.a[k] * x[1 + k] + c.b[k] * currentA;
      f[1 + k] = c.a[k];
    }
    x[this.ie] *= this.errorDecay;
    f[this.ie] = this.errorDecay;
    x[this.ir] *= this.errorDecay;
    f[this.ir] = this.errorDecay;
    if (this.hasHysteresis) f[n - 1] = 1;
    const p = this.p;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) p[i * n + j] *= f[i] * f[j];
    this.addCurrentNoise();
  }

  protected predictVoltage(currentA: number, tempK: number): void {
    const c = this.coef;
    const n = this.n;
    const h = this.h;
    h[0] = ocvSlope(this.model, this.x[0], tempK);
    const factor = 1 + this.x[this.ir];
    let overpotential = c.r0 * currentA;
    for (let k = 0; k < this.nRc; k++) {
      h[1 + k] = factor;
      overpotential += this.x[1 + k];
    }
    h[this.ie] = 1;
    h[this.ir] = overpotential;
    if (this.hasHysteresis) h[n - 1] = c.m;
    const p = this.p;
    let yVar = 0;
    for (let i = 0; i < n; i++) {
      let g = 0;
      for (let j = 0; j < n; j++) g += p[i * n + j] * h[j];
      this.pxy[i] = g;
      yVar += h[i] * g;
    }
    this.yVar = yVar;
    this.yMean = terminalVoltage(this.model, c, this.x, tempK, currentA);
  }
}
