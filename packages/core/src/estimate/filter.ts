/**
 * What the SOC filters share: state and covariance storage, the robust scalar measurement update (innovation
 * gating, covariance inflation on large innovations, symmetrisation, clamping), the hysteresis move after the
 * update (see cellstep.ts for why it comes last) and the consistency outputs (σ, innovation, NIS).
 *
 * Each filter (extended Kalman, central-difference sigma-point) supplies only how it predicts the state and the
 * measurement with their covariances.
 */

import { ocvSlope } from "../cell/model.ts";
import type { CellModel } from "../cell/params.ts";
import { StepCoefficients, signThreshold, socFromOcv, stateSize, stepCoefficients } from "./cellstep.ts";
import {
  type FilterTuning,
  modelErrorVariance,
  resolveTuning,
  socProcessVariance,
  voltageNoiseVariance,
} from "./tuning.ts";

export interface SocFilterInit {
  /** Initial SOC estimate, fraction. */
  soc: number;
  /** σ of that estimate (default from the tuning). */
  socSigma?: number;
  /** Capacity the filter counts with, A·h (default the parameter set's). */
  capacityAh?: number;
  /**
   * Where to keep the state (n values) and covariance (n² values): views into a pack's contiguous buffers, so
   * hundreds of group filters live in two arrays. Default: own arrays.
   */
  storage?: { x: Float64Array; p: Float64Array };
}

/** One step of a SOC filter: time step, measured current (A, charge +), voltage (V) and cell temperature (K). */
export interface SocFilter {
  readonly soc: number;
  readonly socSigma: number;
  step(dt: number, currentA: number, voltageV: number, tempK: number): void;
  /** Last step's consistency outputs. */
  readonly innovationV: number;
  readonly innovationVariance: number;
  readonly nis: number;
  readonly skipped: boolean;
  readonly inflated: boolean;
}

export abstract class SocFilterBase implements SocFilter {
  readonly model: CellModel;
  readonly tuning: FilterTuning;
  /** Number of states: SOC, RC voltages, hysteresis. */
  readonly n: number;
  readonly nRc: number;
  readonly hasHysteresis: boolean;
  /** Index of the model-error state e (voltage error at rest). */
  readonly ie: number;
  /** Index of the overpotential-error state ρ (relative error of R0·I + Σ v_k). */
  readonly ir: number;
  /** State [z, v_1 … v_n, e, ρ, h]. */
  readonly x: Float64Array;
  /** Covariance, row-major n × n. */
  readonly p: Float64Array;
  capacityAh: number;
  /** Multiplier on the set's R0 (a resistance estimator's result; 1 = as new). */
  resistanceScale = 1;

  innovationV = 0;
  innovationVariance = 0;
  nis = 0;
  skipped = false;
  inflated = false;
  /** Predicted terminal voltage of the last step, V. */
  voltagePredictedV = 0;

  /** Decay of the model-error state over the current step, and its stationary variance at the last step. */
  protected errorDecay = 1;
  private errorVariance = 0;
  /** Instantaneous hysteresis sign held between steps. */
  protected s = 0;
  protected readonly signThresholdA: number;
  protected readonly coef: StepCoefficients;
  /** P·Hᵀ (cross-covariance of state and voltage) of the current step. */
  protected readonly pxy: Float64Array;
  private skippedRun = 0;
  private started = false;
  private lastDt = 0;
  private lastCurrentA = 0;
  private lastTempK: number;
  private nisAverage = 0;

  constructor(model: CellModel, init: SocFilterInit, tuning: Partial<FilterTuning> = {}) {
    if (!(init.soc >= 0 && init.soc <= 1))
      throw new Error(`initial SOC ${init.soc} is not a fraction in [0, 1] (give 0.8, not 80)`);
    this.model = model;
    this.tuning = resolveTuning(model, tuning);
    this.n = stateSize(model);
    this.nRc = model.rc.length;
    this.hasHysteresis = model.hysteresis !== null;
    this.ie = 1 + this.nRc;
    this.ir = 2 + this.nRc;
    this.lastTempK = model.refTempK;
    this.capacityAh = init.capacityAh ?? model.capacityAh;
    this.x = init.storage?.x ?? new Float64Array(this.n);
    this.p = init.storage?.p ?? new Float64Array(this.n * this.n);
    if (this.x.length !== this.n || this.p.length !== this.n * this.n)
      throw new Error(`filter storage must hold ${this.n} states and ${this.n * this.n} covariances`);
    this.x.fill(0);
    this.p.fill(0);
    this.x[0] = init.soc;
    const sz = init.socSigma ?? this.tuning.initialSocSigma;
    this.p[0] = sz * sz;
    // RC voltages start relaxed but unknown to a few mV; hysteresis unknown within its range.
    for (let k = 1; k <= this.nRc; k++) this.p[k * this.n + k] = 1e-5;
    this.errorVariance = modelErrorVariance(this.tuning, 0);
    this.p[this.ie * this.n + this.ie] = this.errorVariance;
    this.p[this.ir * this.n + this.ir] = this.tuning.resistanceErrorFraction ** 2;
    if (this.hasHysteresis) this.p[this.n * this.n - 1] = 0.25;
    this.coef = new StepCoefficients(this.nRc);
    this.signThresholdA = signThreshold(model, this.tuning.currentNoiseA);
    this.pxy = new Float64Array(this.n);
  }

  get soc(): number {
    return this.x[0];
  }

  get socSigma(): number {
    return Math.sqrt(this.p[0]);
  }

  /** R0 used in the last step (scaled), Ω. */
  get ohmicResistanceOhm(): number {
    return this.coef.r0;
  }

  /** 1 + ρ: the factor the filter applies to the modelled overpotential R0·I + Σ v_k. */
  get overpotentialFactor(): number {
    return 1 + this.x[this.ir];
  }

  step(dt: number, measuredA: number, voltageV: number, tempK: number): void {
    if (!(dt >= 0 && dt < Number.POSITIVE_INFINITY))
      throw new Error(`time step must be a finite number ≥ 0 s, got ${dt}`);
    // A dropped current or temperature reading is held at its last good value (sample and hold).
    const currentA = Number.isFinite(measuredA) ? measuredA : this.lastCurrentA;
    if (Number.isFinite(tempK)) this.lastTempK = tempK;
    this.lastCurrentA = currentA;
    this.stepAt(dt, currentA, voltageV, this.lastTempK);
  }

  private stepAt(dt: number, currentA: number, voltageV: number, tempK: number): void {
    const c = this.coef;
    this.lastDt = dt;
    stepCoefficients(
      this.model,
      this.x[0],
      tempK,
      currentA,
      dt,
      this.s,
      this.capacityAh,
      c,
      this.signThresholdA,
    );
    c.r0 *= this.resistanceScale;
    if (!this.started) this.firstSample(currentA, voltageV, tempK);
    // The model error e is a first-order Gauss–Markov process whose stationary variance follows the overpotential;
    // when that rises (a pulse starts) the variance rises with it at once, since so does the error. The relative
    // overpotential error ρ is a Gauss–Markov process of the same correlation time and a fixed σ: it carries the
    // part of the model error that changes sign with the current (resistances, relaxation speed).
    let overpotential = Math.abs(c.r0 * currentA);
    for (let k = 1; k <= this.nRc; k++) overpotential += Math.abs(this.x[k]);
    const ev = modelErrorVariance(this.tuning, overpotential);
    this.errorDecay = Math.exp(-dt / this.tuning.modelErrorCorrelationS);
    this.predict(currentA);
    const ie = this.ie * this.n + this.ie;
    this.p[ie] += (1 - this.errorDecay ** 2) * ev + Math.max(0, ev - this.errorVariance);
    this.errorVariance = ev;
    this.p[this.ir * this.n + this.ir] +=
      (1 - this.errorDecay ** 2) * this.tuning.resistanceErrorFraction ** 2;
    this.p[0] += socProcessVariance(this.tuning, currentA, c.dzdI, dt);
    this.update(dt, voltageV, voltageNoiseVariance(this.tuning, c.r0), currentA, tempK);
    this.moveHysteresis();
    this.s = c.s;
  }

  /**
   * A filter woken at rest reads the voltage as an OCV, inverted through the whole OCV curve (a single linearised
   * update at a wrong SOC would go only part of the way on a curved OCV), and fuses that SOC with the given one
   * by their variances: the unknown hysteresis state (±M) and the model error at rest set the OCV reading's σ.
   */
  private wakeAtRest(voltageV: number, tempK: number): void {
    if (!Number.isFinite(voltageV)) return;
    const c = this.coef;
    const hIndex = this.n - 1;
    const h = this.hasHysteresis ? this.x[hIndex] : 0;
    const zOcv = socFromOcv(this.model, voltageV - c.m0 * c.s - c.m * h, tempK);
    const slope = Math.max(ocvSlope(this.model, zOcv, tempK), 1e-3);
    const hVar = this.hasHysteresis ? c.m * c.m * this.p[hIndex * this.n + hIndex] : 0;
    const r = (this.tuning.voltageNoiseV ** 2 + this.tuning.modelErrorV ** 2 + hVar) / (slope * slope);
    const p0 = this.p[0];
    const k = p0 / (p0 + r);
    this.x[0] += k * (zOcv - this.x[0]);
    // P is still diagonal here (nothing has been learned yet), so only the SOC variance shrinks.
    this.p[0] = (1 - k) * p0;
  }

  /**
   * A filter that starts while a real current flows (above C/10) does not know how far the cell is polarised: each
   * RC voltage may be anywhere up to its steady state R_k·|I|, so its variance starts there instead of at
   * "relaxed".
   */
  private firstSample(currentA: number, voltageV: number, tempK: number): void {
    this.started = true;
    const oneC = this.model.capacityAh;
    if (Math.abs(currentA) < 0.01 * oneC) this.wakeAtRest(voltageV, tempK);
    if (Math.abs(currentA) < 0.1 * oneC) return;
    const n = this.n;
    const dir = currentA > 0 ? 1 : currentA < 0 ? -1 : 0;
    for (let k = 0; k < this.nRc; k++) {
      const steady = this.model.rc[k].r.at(this.x[0], tempK, dir) * currentA;
      const i = (1 + k) * n + 1 + k;
      this.p[i] = Math.max(this.p[i], steady * steady);
    }
  }

  /** Moves z and v over the step (coefficients in this.coef) and their covariance, process noise included. */
  protected abstract predict(currentA: number): void;

  /**
   * Predicts the voltage from the moved state: fills this.pxy with cov(x, V) and returns [mean, variance]
   * through the two fields below.
   */
  protected abstract predictVoltage(currentA: number, tempK: number): void;
  protected yMean = 0;
  protected yVar = 0;

  /** Adds the white-current-noise part of the process noise: G·σ_I²·Gᵀ with G = [dzdI, b_1 … b_n, 0]. */
  protected addCurrentNoise(): void {
    const n = this.n;
    const c = this.coef;
    const q = this.tuning.currentNoiseA ** 2;
    // p[0] gets its share from socProcessVariance; the RC rows and the SOC–RC cross terms are added here.
    for (let k = 0; k < this.nRc; k++) {
      const gk = c.b[k];
      const i = 1 + k;
      this.p[i] += c.dzdI * gk * q;
      this.p[i * n] += c.dzdI * gk * q;
      for (let l = 0; l < this.nRc; l++) this.p[i * n + 1 + l] += gk * c.b[l] * q;
    }
  }

  private update(dt: number, voltageV: number, r: number, currentA: number, tempK: number): void {
    const t = this.tuning;
    if (Number.isNaN(voltageV)) {
      this.skipped = true;
      this.inflated = false;
      this.innovationV = 0;
      this.nis = 0;
      return;
    }
    this.predictVoltage(currentA, tempK);
    let s = this.yVar + r;
    const e = voltageV - this.yMean;
    this.voltagePredictedV = this.yMean;
    this.innovationV = e;
    this.innovationVariance = s;
    this.nis = (e * e) / s;
    this.skipped = false;
    this.inflated = false;
    if (this.nis > t.nisGate && this.skippedRun < t.maxSkipped) {
      // A single wild sample (spike, dropout): do not let it move the state.
      this.skipped = true;
      this.skippedRun++;
      return;
    }
    this.skippedRun = 0;
    // Innovations that stay large (NIS averaged over a minute) mean the SOC is further off than P says — a lost
    // track, not a transient — so P's SOC entries are widened, up to the initial uncertainty.
    const w = dt > 0 ? dt / (dt + t.nisAverageS) : 0;
    this.nisAverage += w * (this.nis - this.nisAverage);
    if (this.nisAverage > t.nisInflate && t.inflationFactor > 1 && this.p[0] < t.initialSocSigma ** 2) {
      const f = Math.sqrt(t.inflationFactor);
      const n = this.n;
      for (let j = 0; j < n; j++) {
        this.p[j] *= f;
        this.p[j * n] *= f;
      }
      this.predictVoltage(currentA, tempK);
      s = this.yVar + r;
      this.innovationVariance = s;
      this.inflated = true;
    }
    const n = this.n;
    const p = this.p;
    const g = this.pxy;
    for (let i = 0; i < n; i++) this.x[i] += (g[i] / s) * e;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) p[i * n + j] -= (g[i] * g[j]) / s;
    this.clampAndSymmetrise();
  }

  private moveHysteresis(): void {
    if (!this.hasHysteresis) return;
    const n = this.n;
    const c = this.coef;
    const ih = n - 1;
    const a = c.hDecay;
    this.x[ih] = a * this.x[ih] + (1 - a) * c.hTarget;
    for (let j = 0; j < n; j++) {
      this.p[ih * n + j] *= a;
      this.p[j * n + ih] *= a;
    }
    // Besides the model's own error, a current below the sign threshold (unseen in the noise) may have moved h.
    const hy = this.model.hysteresis;
    const unseen = hy ? (hy.gamma * this.signThresholdA * this.lastDt) / (3600 * this.capacityAh) : 0;
    this.p[ih * n + ih] += this.tuning.hysteresisNoise ** 2 + unseen * unseen;
    if (this.x[ih] > 1) this.x[ih] = 1;
    else if (this.x[ih] < -1) this.x[ih] = -1;
  }

  private clampAndSymmetrise(): void {
    const n = this.n;
    const p = this.p;
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const m = 0.5 * (p[i * n + j] + p[j * n + i]);
        p[i * n + j] = m;
        p[j * n + i] = m;
      }
      // Rounding must never leave a negative variance.
      if (!(p[i * n + i] > 1e-14)) p[i * n + i] = 1e-14;
    }
    if (this.x[0] < 0) this.x[0] = 0;
    else if (this.x[0] > 1) this.x[0] = 1;
    // The overpotential may be off by any factor, but it never vanishes or changes sign.
    if (this.x[this.ir] < -0.9) this.x[this.ir] = -0.9;
    if (this.hasHysteresis) {
      const ih = n - 1;
      if (this.x[ih] > 1) this.x[ih] = 1;
      else if (this.x[ih] < -1) this.x[ih] = -1;
    }
  }
}
