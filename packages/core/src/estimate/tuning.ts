/**
 * Noise model of the SOC filters, from physical quantities rather than abstract covariances (docs/estimation.md
 * explains each default). A tuning file is validated like every other configuration.
 */
import type { CellModel } from "../cell/params.ts";
import { number, object, optional, validate } from "../schema.ts";

export const filterTuningSchema = object({
  /** Voltage sensor noise, σ per sample, V. */
  voltageNoiseV: optional(number({ min: 0, max: 1 })),
  /** Model voltage error at rest (OCV table and fit residuals), σ, V. */
  modelErrorV: optional(number({ min: 0, max: 1 })),
  /** Relative error of the modelled overpotential (R0·|I| + Σ|v_k|), σ: resistances and relaxation speed. */
  resistanceErrorFraction: optional(number({ min: 0, max: 2 })),
  /** White current noise, σ per sample, A (default 0.1 % of the 1 C current). */
  currentNoiseA: optional(number({ min: 0, max: 1e4 })),
  /** Slowly varying current sensor offset, σ, A (default 0.2 % of the 1 C current). */
  currentOffsetA: optional(number({ min: 0, max: 1e4 })),
  /** Relative error of the current gain and of the capacity, σ. */
  currentGainError: optional(number({ min: 0, max: 0.5 })),
  /** Correlation time of the offset and gain errors, s: how long they keep the same sign. */
  errorCorrelationS: optional(number({ gt: 0, max: 1e7 })),
  /**
   * Correlation time of the model voltage error, s. Model error is not white: it persists for many minutes. The
   * filters carry it as a state, so that minutes of correlated residuals are not mistaken for thousands of
   * independent readings.
   */
  modelErrorCorrelationS: optional(number({ gt: 0, max: 1e6 })),
  /** Relative error of the modelled hysteresis voltage at rest, σ (used when a rest voltage is read as an OCV). */
  hysteresisErrorFraction: optional(number({ min: 0, max: 10 })),
  /** Random walk of the hysteresis state, σ per step (model error of the hysteresis law). */
  hysteresisNoise: optional(number({ min: 0, max: 1 })),
  /** σ of the initial SOC given to the filter. */
  initialSocSigma: optional(number({ gt: 0, max: 1 })),
  /** Normalised innovation squared above which one sample is treated as an outlier and skipped. */
  nisGate: optional(number({ gt: 0 })),
  /** Averaged NIS above which the SOC variance is inflated (the filter is told it is less sure than it thought). */
  nisInflate: optional(number({ gt: 0 })),
  /** Averaging time of the NIS that triggers inflation, s. */
  nisAverageS: optional(number({ gt: 0, max: 1e5 })),
  /** Factor on the SOC variance per inflated step. */
  inflationFactor: optional(number({ min: 1, max: 100 })),
  /** Consecutive skipped samples after which the filter accepts the measurements again. */
  maxSkipped: optional(number({ min: 0, max: 1e6, integer: true })),
});

export type FilterTuningFile = NonNullable<ReturnType<typeof parseFilterTuning>>;

export function parseFilterTuning(json: unknown, source = "filter tuning") {
  return validate(filterTuningSchema, json, source);
}

export interface FilterTuning {
  voltageNoiseV: number;
  modelErrorV: number;
  resistanceErrorFraction: number;
  currentNoiseA: number;
  currentOffsetA: number;
  currentGainError: number;
  errorCorrelationS: number;
  modelErrorCorrelationS: number;
  hysteresisNoise: number;
  hysteresisErrorFraction: number;
  initialSocSigma: number;
  nisGate: number;
  nisInflate: number;
  nisAverageS: number;
  inflationFactor: number;
  maxSkipped: number;
}

/** Fills every missing field with its documented default for this cell. */
export function resolveTuning(m: CellModel, t: Partial<FilterTuning> = {}): FilterTuning {
  const oneC = m.capacityAh; // the 1 C current, A
  return {
    voltageNoiseV: t.voltageNoiseV ?? 0.002,
    modelErrorV: t.modelErrorV ?? 0.01,
    resistanceErrorFraction: t.resistanceErrorFraction ?? 2,
    currentNoiseA: t.currentNoiseA ?? 0.001 * oneC,
    currentOffsetA: t.currentOffsetA ?? 0.002 * oneC,
    currentGainError: t.currentGainError ?? 0.01,
    errorCorrelationS: t.errorCorrelationS ?? 600,
    modelErrorCorrelationS: t.modelErrorCorrelationS ?? 600,
    hysteresisNoise: t.hysteresisNoise ?? 0.001,
    hysteresisErrorFraction: t.hysteresisErrorFraction ?? 0.3,
    initialSocSigma: t.initialSocSigma ?? 0.1,
    nisGate: t.nisGate ?? 36,
    nisInflate: t.nisInflate ?? 100,
    nisAverageS: t.nisAverageS ?? 60,
    inflationFactor: t.inflationFactor ?? 1.5,
    maxSkipped: t.maxSkipped ?? 5,
  };
}

/**
 * Variance added to the SOC over one step. White current noise integrates as a random walk; offset and gain
 * errors are first-order Gauss–Markov processes with correlation time τ, whose integral grows like a random walk
 * with intensity 2σ²τ — the long-run growth of a correlated error, which a white model would underestimate.
 */
export function socProcessVariance(t: FilterTuning, currentA: number, dzdI: number, dt: number): number {
  const slow = t.currentOffsetA * t.currentOffsetA + (t.currentGainError * currentA) ** 2;
  return (
    dzdI * dzdI * (t.currentNoiseA * t.currentNoiseA + (2 * t.errorCorrelationS * slow) / Math.max(dt, 1e-9))
  );
}

/** White part of the voltage measurement noise: sensor noise and current noise through R0. */
export function voltageNoiseVariance(t: FilterTuning, r0: number): number {
  const iNoise = r0 * t.currentNoiseA;
  return t.voltageNoiseV ** 2 + iNoise * iNoise;
}

/**
 * Stationary variance of the model's voltage error: the error at rest (OCV table, fit residuals) and the error of
 * the modelled overpotential — the ohmic drop R0·|I| plus the RC voltages Σ|v_k| — taken as proportional to it
 * (resistances are uncertain, and so is how fast a cell relaxes after a pulse).
 */
export function modelErrorVariance(t: FilterTuning, overpotentialV: number): number {
  const e = t.resistanceErrorFraction * overpotentialV;
  return t.modelErrorV ** 2 + e * e;
}
