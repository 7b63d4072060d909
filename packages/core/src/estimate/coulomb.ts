/**
 * Coulomb counting with current-offset compensation, rest detection and OCV recalibration.
 *
 * - Counting: z += η(I)·(I − offset)·dt / (3600·Q), with the current of a sample applied over the interval that
 *   ends at its own time stamp (time-aligned samples; see alignSamples and docs/estimation.md).
 * - Offset: a known offset is subtracted; while the current is known to be zero (contactors open) the offset is
 *   learned as a running mean of what the sensor reads.
 * - Rest: once |I| (averaged over a minute, so sensor noise does not break a rest) has stayed below the rest
 *   threshold for three of the slowest RC time constants, or less once the modelled RC voltage is so small that
 *   even its uncertainty is within the model error (an hours-long pair need not hold a rest for hours), and at
 *   least `restMinS`, the terminal voltage minus the modelled RC and hysteresis voltages is an OCV; the OCV table at
 *   the measured temperature turns it into a SOC, which is fused with the count by their variances. Later checks
 *   in the same rest refine that fusion instead of counting the same evidence twice.
 */
import { ocvSlope } from "../cell/model.ts";
import type { CellModel } from "../cell/params.ts";
import { StepCoefficients, signThreshold, socFromOcv, stepCoefficients } from "./cellstep.ts";
import { type FilterTuning, resolveTuning, socProcessVariance } from "./tuning.ts";

export interface CoulombCounterOptions {
  soc: number;
  socSigma?: number;
  capacityAh?: number;
  /** Known current-sensor offset, A (subtracted from every reading). */
  currentOffsetA?: number;
  /** |I| below this counts as rest, A (default C/100). */
  restCurrentA?: number;
  /** Shortest rest before an OCV reading is trusted, s. */
  restMinS?: number;
  /** Time constant of the offset learning while the current is known to be zero, s. */
  offsetLearnS?: number;
  tuning?: Partial<FilterTuning>;
}

export class CoulombCounter {
  readonly model: CellModel;
  readonly tuning: FilterTuning;
  readonly capacityAh: number;
  soc: number;
  /** Variance of the SOC. */
  socVariance: number;
  currentOffsetA: number;
  /** Modelled RC voltages and hysteresis, tracked open-loop from the current to correct rest voltages. */
  readonly vrc: Float64Array;
  h = 0;
  private s = 0;
  private readonly restCurrentA: number;
  private readonly restMinS: number;
  private readonly offsetLearnS: number;
  private readonly coef: StepCoefficients;
  private readonly signThresholdA: number;
  private restS = 0;
  /** Moving average of |I| (time constant 60 s): sensor noise alone must not break a rest. */
  private absCurrentAvg = 0;
  private nextCheckS = 0;
  private socAtRestStart = 0;
  private varAtRestStart = 0;
  private countedInRest = 0;
  /** Number of OCV recalibrations so far. */
  recalibrations = 0;
  /** Charge counted so far (η and offset applied), A·h, and its variance from the current error model, A·h². */
  chargeAh = 0;
  chargeVarianceAh2 = 0;
  /**
   * The OCV reading of the latest finished rest: SOC from the OCV alone, its variance and the part of it that
   * does not average out over many rests (OCV table, sensor offset, hysteresis law, relaxation left), chargeAh then.
   */
  readonly lastRest = {
    count: 0,
    ocvSoc: 0,
    ocvSocVariance: 0,
    ocvSocSystematicVariance: 0,
    chargeAh: 0,
    chargeVarianceAh2: 0,
  };
  private readingInRest: { ocvSoc: number; ocvSocVariance: number } | null = null;
  /**
   * Running sums over the relaxed part of the current rest (from the first OCV check on, quiet samples only) of
   * the model-corrected rest voltage u = V − RC − hysteresis against rest time τ: the rest's OCV reading for
   * capacity is their mean, and the slope of u over τ says how much relaxation the model has not accounted for.
   */
  private readonly relaxed = { n: 0, sumT: 0, sumU: 0, sumTT: 0, sumTU: 0, sumVar: 0, lastT: 0 };

  constructor(model: CellModel, o: CoulombCounterOptions) {
    if (!(o.soc >= 0 && o.soc <= 1)) throw new Error(`initial SOC ${o.soc} is not a fraction in [0, 1]`);
    this.model = model;
    this.tuning = resolveTuning(model, o.tuning);
    this.capacityAh = o.capacityAh ?? model.capacityAh;
    this.soc = o.soc;
    this.socVariance = (o.socSigma ?? this.tuning.initialSocSigma) ** 2;
    this.currentOffsetA = o.currentOffsetA ?? 0;
    this.restCurrentA = o.restCurrentA ?? model.capacityAh / 100;
    this.restMinS = o.restMinS ?? 300;
    this.offsetLearnS = o.offsetLearnS ?? 60;
    this.vrc = new Float64Array(model.rc.length);
    this.coef = new StepCoefficients(model.rc.length);
    this.signThresholdA = signThreshold(model, this.tuning.currentNoiseA);
  }

  get socSigma(): number {
    return Math.sqrt(this.socVariance);
  }

  /**
   * One sample: dt since the previous one, measured current and voltage, cell temperature. With
   * `currentKnownZero` (contactors open) the reading teaches the offset and nothing is counted.
   */
  step(dt: number, measuredA: number, voltageV: number, tempK: number, currentKnownZero = false): void {
    if (currentKnownZero && dt > 0) {
      const w = dt / (dt + this.offsetLearnS);
      this.currentOffsetA += w * (measuredA - this.currentOffsetA);
    }
    const i = currentKnownZero ? 0 : measuredA - this.currentOffsetA;
    const m = this.model;
    const c = this.coef;
    stepCoefficients(m, this.soc, tempK, i, dt, this.s, this.capacityAh, c, this.signThresholdA);
    // At rest the current direction cannot change: noise spikes must not flip the hysteresis sign.
    if (this.absCurrentAvg < this.restCurrentA) c.s = this.s;
    const dz = c.dzdI * i;
    this.soc += dz;
    const dVar = socProcessVariance(this.tuning, i, c.dzdI, dt);
    this.socVariance += dVar;
    this.chargeAh += dz * this.capacityAh;
    this.chargeVarianceAh2 += dVar * this.capacityAh * this.capacityAh;
    let tauMax = 0;
    let vRc = 0;
    for (let k = 0; k < this.vrc.length; k++) {
      this.vrc[k] = c.a[k] * this.vrc[k] + c.b[k] * i;
      vRc += this.vrc[k];
      // a = exp(−dt/τ) gives τ back without a second table look-up.
      if (c.a[k] > 0 && c.a[k] < 1 && dt > 0) tauMax = Math.max(tauMax, -dt / Math.log(c.a[k]));
    }
    const vHys = c.m0 * c.s + c.m * this.h;
    this.h = c.hDecay * this.h + (1 - c.hDecay) * c.hTarget;
    this.s = c.s;

    if (dt > 0) this.absCurrentAvg += (dt / (dt + 60)) * (Math.abs(i) - this.absCurrentAvg);
    if (this.absCurrentAvg >= this.restCurrentA) {
      if (this.readingInRest) {
        const r = this.lastRest;
        r.count++;
        const averaged = this.relaxedReading(tempK);
        r.ocvSoc = averaged?.ocvSoc ?? this.readingInRest.ocvSoc;
        r.ocvSocVariance = averaged?.ocvSocVariance ?? this.readingInRest.ocvSocVariance;
        r.ocvSocSystematicVariance = averaged?.systematicVariance ?? this.readingInRest.ocvSocVariance;
        // The reading belongs to the rest, before this step's charge.
        r.chargeAh = this.chargeAh - dz * this.capacityAh;
        r.chargeVarianceAh2 = this.chargeVarianceAh2 - dVar * this.capacityAh * this.capacityAh;
        this.readingInRest = null;
      }
      this.restS = 0;
      return;
    }
    if (this.restS === 0) {
      this.socAtRestStart = this.soc - dz;
      this.varAtRestStart = this.socVariance;
      this.countedInRest = 0;
      this.nextCheckS = Math.max(this.restMinS, 3 * tauMax);
      const a = this.relaxed;
      a.n = a.sumT = a.sumU = a.sumTT = a.sumTU = a.sumVar = a.lastT = 0;
    }
    this.restS += dt;
    this.countedInRest += dz;
    // A sample of the relaxed rest: the average window starts with the first OCV check and takes only samples
    // whose own current is quiet (the one-minute average lags the first sample of the next load).
    if (this.readingInRest && Math.abs(i) < this.restCurrentA && Number.isFinite(voltageV))
      this.addRelaxed(voltageV, vHys);
    // Without a voltage reading (none measured, or distrusted) there is nothing to recalibrate from.
    const t = this.tuning;
    const relaxed =
      !this.readingInRest &&
      this.restS >= this.restMinS &&
      t.resistanceErrorFraction * Math.abs(vRc) <= t.modelErrorV;
    if ((this.restS >= this.nextCheckS || relaxed) && Number.isFinite(voltageV)) {
      this.recalibrate(voltageV, vHys, tempK);
      this.nextCheckS = this.restS * 2;
    }
  }

  private addRelaxed(voltageV: number, vHys: number): void {
    let vRc = 0;
    for (let k = 0; k < this.vrc.length; k++) vRc += this.vrc[k];
    const u = voltageV - vHys - vRc;
    const t = this.tuning;
    const a = this.relaxed;
    const tau = this.restS;
    a.n++;
    a.sumT += tau;
    a.sumU += u;
    a.sumTT += tau * tau;
    a.sumTU += tau * u;
    // Per-sample variance of the parts that do not average out: what is left of the RC correction, the
    // hysteresis law (the state h and magnitude M known to a fraction), the OCV table and sensor offsets.
    const hysUnc = this.model.hysteresis ? t.hysteresisErrorFraction * Math.abs(vHys) : 0;
    const rcUnc = t.resistanceErrorFraction * vRc;
    a.sumVar += t.modelErrorV ** 2 + rcUnc * rcUnc + hysUnc * hysUnc;
    a.lastT = tau;
  }

  /**
   * The rest's OCV reading for capacity: the mean model-corrected voltage over the relaxed rest, as a SOC with
   * its variance. Sensor noise averages down over the window; the systematic parts (mean of the per-sample
   * allowances) do not; relaxation the model does not explain (the fitted drift of u, extrapolated as an
   * exponential tail whose time constant is at most the rest's age) is added. null without relaxed samples.
   */
  private relaxedReading(
    tempK: number,
  ): { ocvSoc: number; ocvSocVariance: number; systematicVariance: number } | null {
    const a = this.relaxed;
    if (a.n === 0) return null;
    const meanU = a.sumU / a.n;
    const sTT = a.sumTT - (a.sumT * a.sumT) / a.n;
    const slope = a.n > 2 && sTT > 0 ? (a.sumTU - (a.sumT * a.sumU) / a.n) / sTT : 0;
    const z = socFromOcv(this.model, meanU, tempK);
    const ocvSlopeV = Math.max(ocvSlope(this.model, z, tempK), 1e-3);
    const t = this.tuning;
    // Relaxation left after the window: the drift times the rest's age bounds an exponential tail's remainder.
    // The window's mean sits half its length before its end, so that part of the drift is in the mean too.
    const meanT = a.sumT / a.n;
    const left = Math.abs(slope) * (a.lastT + (a.lastT - meanT));
    const systematic = a.sumVar / a.n + left * left;
    const s2 = ocvSlopeV * ocvSlopeV;
    return {
      ocvSoc: z,
      ocvSocVariance: (t.voltageNoiseV ** 2 / a.n + systematic) / s2,
      systematicVariance: systematic / s2,
    };
  }

  private recalibrate(voltageV: number, vHys: number, tempK: number): void {
    let ocv = voltageV - vHys;
    let vRc = 0;
    for (let k = 0; k < this.vrc.length; k++) vRc += this.vrc[k];
    ocv -= vRc;
    const zOcv = socFromOcv(this.model, ocv, tempK);
    const slope = Math.max(ocvSlope(this.model, zOcv, tempK), 1e-3);
    const t = this.tuning;
    // Voltage error of the OCV reading: sensor, OCV table, what is left of the RC and hysteresis corrections.
    const hy = this.model.hysteresis;
    const hysUnc = hy ? t.hysteresisErrorFraction * Math.abs(vHys) : 0;
    const rcUnc = t.resistanceErrorFraction * vRc;
    const ocvVar = t.voltageNoiseV ** 2 + t.modelErrorV ** 2 + rcUnc * rcUnc + hysUnc * hysUnc;
    const zVar = ocvVar / (slope * slope);
    this.readingInRest = { ocvSoc: zOcv, ocvSocVariance: zVar };
    const prior = this.socAtRestStart + this.countedInRest;
    const pVar = this.varAtRestStart;
    const k = pVar / (pVar + zVar);
    this.soc = prior + k * (zOcv - prior);
    this.socVariance = (1 - k) * pVar;
    this.recalibrations++;
  }
}

/**
 * Time alignment: returns the series re-sampled at t_k + lagS (linear interpolation, held at the ends). Use it
 * when one sensor's samples lag another's by a known time, e.g. a filtered current channel lagging the voltage
 * channel, so that the current and voltage of a row describe the same instant.
 */
export function alignSamples(
  timeS: ArrayLike<number>,
  values: ArrayLike<number>,
  lagS: number,
): Float64Array {
  const n = timeS.length;
  const out = new Float64Array(n);
  let j = 0;
  for (let k = 0; k < n; k++) {
    const t = timeS[k] + lagS;
    if (t <= timeS[0]) out[k] = values[0];
    else if (t >= timeS[n - 1]) out[k] = values[n - 1];
    else {
      while (j < n - 2 && timeS[j + 1] <= t) j++;
      while (j > 0 && timeS[j] > t) j--;
      const w = (t - timeS[j]) / (timeS[j + 1] - timeS[j]);
      out[k] = values[j] + w * (values[j + 1] - values[j]);
    }
  }
  return out;
}

/**
 * SOC at the moment of computation when the newest sample is `ageS` old: the estimate belongs to the sample's
 * time stamp, and the charge that flowed since is extrapolated with the newest current.
 */
export function socNow(soc: number, currentA: number, ageS: number, capacityAh: number, eta = 1): number {
  const e = currentA > 0 ? eta : 1;
  return soc + (e * currentA * ageS) / (3600 * capacityAh);
}

/**
 * Estimates how long the current samples lag the voltage samples (for alignSamples): the voltage answers a
 * current step at once through R0, so the lag at which the sample-to-sample changes of current and voltage
 * correlate best is the channels' skew. Searched in steps of a quarter of the median sample interval within
 * ±maxLagS; 0 when the data carry no current steps.
 */
export function estimateCurrentLag(
  timeS: ArrayLike<number>,
  currentA: ArrayLike<number>,
  voltageV: ArrayLike<number>,
  maxLagS = 1,
): number {
  const n = timeS.length;
  if (n < 3) return 0;
  const gaps = Float64Array.from({ length: n - 1 }, (_, k) => timeS[k + 1] - timeS[k]).sort();
  const step = gaps[(gaps.length - 1) >> 1] / 4;
  if (!(step > 0)) return 0;
  const dv = new Float64Array(n - 1);
  for (let k = 1; k < n; k++) dv[k - 1] = voltageV[k] - voltageV[k - 1];
  let best = 0;
  let bestCorr = 0;
  const steps = Math.floor(maxLagS / step);
  for (let s = -steps; s <= steps; s++) {
    const lag = s * step;
    const i = alignSamples(timeS, currentA, lag);
    let sxy = 0;
    let sxx = 0;
    let syy = 0;
    for (let k = 1; k < n; k++) {
      const di = i[k] - i[k - 1];
      sxy += di * dv[k - 1];
      sxx += di * di;
      syy += dv[k - 1] * dv[k - 1];
    }
    const corr = sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : 0;
    if (corr > bestCorr) {
      bestCorr = corr;
      best = lag;
    }
  }
  return best;
}
