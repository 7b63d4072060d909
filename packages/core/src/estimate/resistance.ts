/**
 * Ohmic resistance R0 by a dual filter: a scalar Kalman filter on the multiplier ρ (R0 = ρ·R0_set(z, T)) runs
 * beside the SOC filter and feeds ρ back into it. Its measurement is the voltage step across a current step,
 * from which the SOC filter's prediction of everything except the ohmic drop (OCV, RC, hysteresis) is removed:
 *     y = ΔV − ΔV̂_non-ohmic = ρ·Δ(R0_set·I) + noise.
 * Differencing cancels slow errors (OCV table, sensor offsets); only steps with a clear current change are used.
 */
export interface ResistanceEstimatorOptions {
  /** σ of the prior multiplier (default 0.3: R0 of a used cell is known to ±30 %). */
  priorSigma?: number;
  /** Random walk of ρ per used sample (ageing and temperature-model error; default 1e-3). */
  randomWalk?: number;
  /** Voltage noise σ per sample, V (default 2 mV). */
  voltageNoiseV?: number;
  /** Smallest |Δ(R0·I)| used, V (default 10 mV: below it the step says little about R0). */
  minDropV?: number;
}

export class ResistanceEstimator {
  /** Estimated multiplier on the set's R0 and its variance. */
  scale = 1;
  variance: number;
  /** Samples used so far. */
  samples = 0;
  private readonly q: number;
  private readonly r: number;
  private readonly minDropV: number;
  private prevV = Number.NaN;
  private prevNonOhmic = Number.NaN;
  private prevDrop = Number.NaN;

  constructor(o: ResistanceEstimatorOptions = {}) {
    this.variance = (o.priorSigma ?? 0.3) ** 2;
    this.q = (o.randomWalk ?? 1e-3) ** 2;
    // Two voltage samples and the non-ohmic prediction's own step error (≈ 1 mV) enter each difference.
    this.r = 2 * (o.voltageNoiseV ?? 0.002) ** 2 + 0.001 ** 2;
    this.minDropV = o.minDropV ?? 0.01;
  }

  get sigma(): number {
    return Math.sqrt(this.variance);
  }

  /**
   * One sample: measured voltage, the SOC filter's predicted voltage without its ohmic term, and the set's
   * (unscaled) R0 times the current, V.
   */
  update(voltageV: number, nonOhmicV: number, setDropV: number): void {
    const dV = voltageV - this.prevV;
    const dN = nonOhmicV - this.prevNonOhmic;
    const h = setDropV - this.prevDrop;
    this.prevV = voltageV;
    this.prevNonOhmic = nonOhmicV;
    this.prevDrop = setDropV;
    if (!Number.isFinite(dV + dN + h) || Math.abs(h) < this.minDropV) return;
    const y = dV - dN;
    const p = this.variance + this.q;
    const s = h * h * p + this.r;
    const k = (p * h) / s;
    this.scale += k * (y - this.scale * h);
    this.variance = (1 - k * h) * p;
    this.samples++;
  }
}
