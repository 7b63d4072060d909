/**
 * Capacity samples from long constant-current stretches (a CC charge, a steady discharge): two OCV readings taken
 * under the same current, one when the stretch has settled and one at its end, with the modelled overpotential
 * and hysteresis removed. Under the same current, on the same hysteresis branch, most of the overpotential's
 * error is the same at both ends and cancels in their difference; what is left scales with how much the
 * overpotential and the OCV slope change between them. A parallel group is a good case for it: during a long
 * stretch all its cells sit on the same hysteresis branch and share the current, so the group voltage follows
 * the group's mean SOC — unlike at rest, where the cells' charge exchange moves one off its branch.
 *
 * A stretch settles after three of the slowest RC time constants and once the hysteresis state is on its branch
 * (|h − sgn I| < 0.01). Each reading is the mean over `windowS` of u = V − M0·s − M·h − k·(R0·I + Σ v_k), k the
 * resistance multiplier found by the R0 filter (applied to the whole overpotential: resistances taken to age
 * together), v_k the modelled RC voltages of the coulomb counter.
 */
import { ocvSlope } from "../cell/model.ts";
import type { CellModel } from "../cell/params.ts";
import type { CapacitySample } from "./capacity.ts";
import { socFromOcv } from "./cellstep.ts";
import type { CoulombCounter } from "./coulomb.ts";
import type { FilterTuning } from "./tuning.ts";

export interface LoadedReadingOptions {
  /** Relative σ of the modelled overpotential once the R0 multiplier is applied (default resistanceErrorFraction). */
  overpotentialErrorFraction?: number;
  /** Length of each reading's averaging window, s (default 60). */
  windowS?: number;
}

interface Window {
  n: number;
  u: number;
  chargeAh: number;
  chargeVar: number;
  overpotentialV: number;
  tempK: number;
}

const emptyWindow = (): Window => ({
  n: 0,
  u: 0,
  chargeAh: 0,
  chargeVar: 0,
  overpotentialV: 0,
  tempK: 0,
});
/** Values kept per sample in the ring: u, charge, its variance, overpotential, temperature. */
const FIELDS = 5;

export class LoadedOcvReadings {
  private readonly model: CellModel;
  private readonly tuning: FilterTuning;
  private readonly errorFraction: number;
  private readonly windowS: number;
  private readonly tolA: number;
  /** Mean current of the present stretch and its number of samples. */
  private refA = 0;
  private stretchN = 0;
  private elapsedS = 0;
  private settledS = -1;
  /** SOC of the latest reading (the tables' look-up point). */
  private zRead = 0;
  private readonly first = emptyWindow();
  /** Ring of the latest samples after settling, as many as the first window held. */
  private readonly ring: Float64Array;
  private ringN = 0;
  private ringAt = 0;
  private ringLength = 0;

  constructor(model: CellModel, tuning: FilterTuning, o: LoadedReadingOptions = {}) {
    this.model = model;
    this.tuning = tuning;
    this.errorFraction = o.overpotentialErrorFraction ?? tuning.resistanceErrorFraction;
    this.windowS = o.windowS ?? 60;
    if (!(this.errorFraction >= 0))
      throw new Error(`overpotentialErrorFraction must be ≥ 0, got ${this.errorFraction}`);
    if (!(this.windowS > 0)) throw new Error(`windowS must be > 0 s, got ${this.windowS}`);
    // A stretch holds while the current stays within 5 % (or 6σ of its noise) of the stretch's mean so far.
    this.tolA = 6 * tuning.currentNoiseA;
    // Room for a window sampled at up to 10 Hz.
    this.ring = new Float64Array(FIELDS * Math.ceil(10 * this.windowS));
  }

  /**
   * One sample, after the counter has stepped; returns a capacity sample when a settled stretch has just ended,
   * else null.
   */
  step(
    dt: number,
    currentA: number,
    voltageV: number,
    tempK: number,
    counter: CoulombCounter,
    resistanceScale: number,
  ): CapacitySample | null {
    const m = this.model;
    const steady =
      Math.abs(currentA) >= 0.1 * m.capacityAh &&
      Math.sign(currentA) === Math.sign(this.refA) &&
      Math.abs(currentA - this.refA) <= Math.max(0.05 * Math.abs(this.refA), this.tolA);
    if (!steady) {
      const sample = this.finish();
      this.refA = Math.abs(currentA) >= 0.1 * m.capacityAh ? currentA : 0;
      this.stretchN = 1;
      this.elapsedS = 0;
      this.settledS = -1;
      return sample;
    }
    this.elapsedS += dt;
    this.stretchN++;
    this.refA += (currentA - this.refA) / this.stretchN;
    if (!Number.isFinite(voltageV)) return null;
    const dir = currentA > 0 ? 1 : -1;
    const zc = counter.soc;
    const hy = m.hysteresis;
    const h = counter.h;
    if (this.settledS < 0) {
      let tauMax = 0;
      for (const b of m.rc)
        tauMax = Math.max(tauMax, resistanceScale * b.r.at(zc, tempK, dir) * b.c.at(zc, tempK));
      const locked = !hy || Math.abs(h - dir) < 0.01;
      if (!(locked && this.elapsedS >= 3 * tauMax)) return null;
      this.settledS = 0;
      this.zRead = zc;
      Object.assign(this.first, emptyWindow());
      this.ringN = 0;
      this.ringAt = 0;
      this.ringLength = 0;
    }
    this.settledS += dt;
    // The tables are looked up at the SOC the readings themselves give: the counter counts with the nominal
    // capacity and drifts from the truth between rests. Its RC voltages carry the transient; they are rescaled
    // to the resistances at that SOC.
    const z = this.zRead;
    let vRc = 0;
    for (let k = 0; k < m.rc.length; k++) {
      const rCounter = m.rc[k].r.at(zc, tempK, dir);
      if (rCounter > 0) vRc += (counter.vrc[k] * m.rc[k].r.at(z, tempK, dir)) / rCounter;
    }
    const overpotential = resistanceScale * (m.r0.at(z, tempK, dir) * currentA + vRc);
    const hys = hy ? hy.m0.at(z, tempK) * dir + hy.m.at(z, tempK) * h : 0;
    const u = voltageV - hys - overpotential;
    this.zRead = socFromOcv(m, u, tempK);
    if (this.settledS <= this.windowS) {
      const f = this.first;
      f.n++;
      f.u += u;
      f.chargeAh += counter.chargeAh;
      f.chargeVar += counter.chargeVarianceAh2;
      f.overpotentialV += overpotential;
      f.tempK += tempK;
      return null;
    }
    // After the first window, the latest samples, as many as the first window held, for the end reading.
    if (this.ringLength === 0) this.ringLength = Math.min(this.first.n, this.ring.length / FIELDS);
    const r = this.ring;
    const o = FIELDS * this.ringAt;
    r[o] = u;
    r[o + 1] = counter.chargeAh;
    r[o + 2] = counter.chargeVarianceAh2;
    r[o + 3] = overpotential;
    r[o + 4] = tempK;
    this.ringAt = (this.ringAt + 1) % this.ringLength;
    this.ringN = Math.min(this.ringN + 1, this.ringLength);
    return null;
  }

  /** The sample of the stretch that just ended, if it settled and lasted at least two windows past settling. */
  private finish(): CapacitySample | null {
    if (this.settledS < 2 * this.windowS || this.first.n === 0 || this.ringN === 0) return null;
    const last = emptyWindow();
    for (let j = 0; j < this.ringN; j++) {
      const o = FIELDS * j;
      last.n++;
      last.u += this.ring[o];
      last.chargeAh += this.ring[o + 1];
      last.chargeVar += this.ring[o + 2];
      last.overpotentialV += this.ring[o + 3];
      last.tempK += this.ring[o + 4];
    }
    const a = this.reading(this.first);
    const b = this.reading(last);
    const t = this.tuning;
    // A relative overpotential error ε that persists over the stretch moves each reading by ε·η/slope: the
    // difference keeps ε·(η₂/s₂ − η₁/s₁). The OCV table and sensor errors are counted at both ends.
    const over = this.errorFraction * (b.overpotentialV / b.slope - a.overpotentialV / a.slope);
    const table = t.modelErrorV ** 2 * (1 / a.slope ** 2 + 1 / b.slope ** 2);
    const noise = t.voltageNoiseV ** 2 * (1 / (a.n * a.slope ** 2) + 1 / (b.n * b.slope ** 2));
    const systematic = over * over + table;
    return {
      dSoc: b.soc - a.soc,
      dSocSigma: Math.sqrt(systematic + noise),
      dSocSystematicSigma: Math.sqrt(systematic),
      chargeAh: b.chargeAh - a.chargeAh,
      chargeSigmaAh: Math.sqrt(Math.max(b.chargeVar - a.chargeVar, 1e-12)),
      source: "load",
    };
  }

  private reading(w: Window): {
    n: number;
    soc: number;
    slope: number;
    chargeAh: number;
    chargeVar: number;
    overpotentialV: number;
  } {
    const tempK = w.tempK / w.n;
    const soc = socFromOcv(this.model, w.u / w.n, tempK);
    return {
      n: w.n,
      soc,
      slope: Math.max(ocvSlope(this.model, soc, tempK), 1e-3),
      chargeAh: w.chargeAh / w.n,
      chargeVar: w.chargeVar / w.n,
      overpotentialV: Math.abs(w.overpotentialV / w.n),
    };
  }
}
