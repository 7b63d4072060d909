/**
 * A bank of SOC hypotheses for a filter (re)started while a current flows. Under load the filters trust the
 * voltage little (the model's error allowance e grows with the overpotential and persists for minutes), so one
 * filter started far off drifts back only slowly. The bank runs a few copies of the filter side by side, started
 * at the given SOC and at offsets from it (default ±10 and ±20 points), and scores each copy by how well it
 * explains the voltage WITHOUT its model-error state: the innovation plus e, against the error the model is
 * allowed at the present overpotential (voltage noise and modelErrorVariance). A copy whose SOC is off has to
 * carry the OCV difference in e; that is cheap under load and dear whenever the cell comes near rest. Model
 * errors shared by all copies cost them alike; a SOC error does not. When one copy's score beats every other's by
 * a decisive log-ratio (after a minimum time), the bank keeps that copy alone; without a decision within the
 * window it keeps the copy started at the given SOC. A start below C/10 needs no bank (the filters take the cell
 * as unpolarised and the voltage settles the SOC), so the bank then keeps that copy from the first sample and is
 * the plain filter, bit for bit.
 *
 * The scores count every `evidenceTimeS` of data as one independent look. The model error is in truth correlated
 * for minutes (modelErrorCorrelationS); counting it that way, the bank decided on no Panasonic drive cycle within
 * an hour. Counting every second, it decides after its minimum window on most, mostly right (docs/estimation.md).
 */
import type { CellModel } from "../cell/params.ts";
import type { SocFilter, SocFilterBase } from "./filter.ts";
import { modelErrorVariance } from "./tuning.ts";

export interface HypothesisBankOptions {
  /** SOC offsets of the hypotheses from the given start (fractions); 0 is always included. */
  offsets?: readonly number[];
  /** Natural log of the likelihood ratio that decides (default ln 1000). */
  decisiveLogRatio?: number;
  /** No decision before this much time has passed, s (default 300). */
  minWindowS?: number;
  /** Without a decision by then, the copy started at the given SOC is kept, s (default 3600). */
  maxWindowS?: number;
  /** Data time that counts as one independent look at the voltage, s (default 1). */
  evidenceTimeS?: number;
}

export class SocHypothesisBank implements SocFilter {
  /** The copies still in the race; the first is the one started at the given SOC. */
  private members: SocFilterBase[];
  private readonly logLikelihood: Float64Array;
  private readonly gate: number;
  private readonly decisive: number;
  private readonly minWindowS: number;
  private readonly maxWindowS: number;
  private readonly evidenceTimeS: number;
  private readonly loadA: number;
  private elapsedS = 0;
  private started = false;
  /** Index (into the offsets) of the copy that won, −1 while undecided. */
  winner = -1;
  readonly offsets: readonly number[];

  /**
   * `make(soc)` builds one copy started at `soc`; `gate` caps what one sample can cost a copy (the filters'
   * innovation gate: a spike must not decide the race).
   */
  constructor(
    model: CellModel,
    soc: number,
    make: (soc: number) => SocFilterBase,
    gate: number,
    o: HypothesisBankOptions = {},
  ) {
    if (!(soc >= 0 && soc <= 1))
      throw new Error(`initial SOC ${soc} is not a fraction in [0, 1] (give 0.8, not 80)`);
    const offsets = [0, ...(o.offsets ?? [-0.2, -0.1, 0.1, 0.2]).filter((d) => d !== 0)];
    if (!offsets.every((d) => Number.isFinite(d) && Math.abs(d) <= 1))
      throw new Error(`hypothesis offsets must be SOC fractions in [−1, 1], got ${offsets.join(", ")}`);
    const starts: number[] = [];
    const kept: number[] = [];
    for (const d of offsets) {
      const z = Math.min(1, Math.max(0, soc + d));
      // Offsets clamped onto the same SOC at the ends of the range are one hypothesis.
      if (starts.some((s) => Math.abs(s - z) < 1e-9)) continue;
      starts.push(z);
      kept.push(d);
    }
    this.offsets = kept;
    this.members = starts.map(make);
    this.logLikelihood = new Float64Array(starts.length);
    this.gate = gate;
    this.decisive = o.decisiveLogRatio ?? Math.log(1000);
    this.minWindowS = o.minWindowS ?? 300;
    this.maxWindowS = o.maxWindowS ?? 3600;
    this.evidenceTimeS = o.evidenceTimeS ?? 1;
    if (!(this.evidenceTimeS > 0)) throw new Error(`evidenceTimeS must be > 0 s, got ${this.evidenceTimeS}`);
    if (!(this.decisive > 0)) throw new Error(`decisiveLogRatio must be > 0, got ${this.decisive}`);
    if (!(this.minWindowS >= 0 && this.maxWindowS >= this.minWindowS))
      throw new Error(
        `hypothesis window must satisfy 0 ≤ minWindowS ≤ maxWindowS, got ${this.minWindowS} and ${this.maxWindowS}`,
      );
    this.loadA = 0.1 * model.capacityAh;
  }

  /** The filter whose estimate is reported: the winner, or while undecided the copy started at the given SOC. */
  get lead(): SocFilter {
    return this.members[0];
  }

  get deciding(): boolean {
    return this.members.length > 1;
  }

  get soc(): number {
    return this.lead.soc;
  }
  get socSigma(): number {
    return this.lead.socSigma;
  }
  get innovationV(): number {
    return this.lead.innovationV;
  }
  get innovationVariance(): number {
    return this.lead.innovationVariance;
  }
  get nis(): number {
    return this.lead.nis;
  }
  get skipped(): boolean {
    return this.lead.skipped;
  }
  get inflated(): boolean {
    return this.lead.inflated;
  }

  step(dt: number, currentA: number, voltageV: number, tempK: number): void {
    if (!this.started) {
      this.started = true;
      // Started at rest or nearly (below C/10, where the filters themselves take the cell as unpolarised, or with
      // no current reading): the voltage settles the SOC, no race needed.
      if (!(Math.abs(currentA) >= this.loadA)) this.keep(0);
    }
    const ms = this.members;
    if (ms.length === 1) {
      ms[0].step(dt, currentA, voltageV, tempK);
      return;
    }
    const looks = dt / this.evidenceTimeS;
    for (let k = 0; k < ms.length; k++) {
      const f = ms[k];
      // e as the copy predicts it for this sample (a Gauss–Markov state only decays in the prediction).
      const ePredicted = f.x[f.ie] * Math.exp(-dt / f.tuning.modelErrorCorrelationS);
      f.step(dt, currentA, voltageV, tempK);
      if (!Number.isFinite(voltageV)) continue;
      // The innovation the copy would have without its model-error state, against the error the model is allowed
      // at the present overpotential: a copy whose SOC is off must carry the OCV difference in e, which is cheap
      // under load and dear whenever the cell comes near rest, however long the filter itself tolerates it.
      const nu = f.innovationV + ePredicted;
      let overpotential = Math.abs(f.ohmicResistanceOhm * currentA);
      for (let j = 1; j <= f.nRc; j++) overpotential += Math.abs(f.x[j]);
      const s2 = f.tuning.voltageNoiseV ** 2 + modelErrorVariance(f.tuning, overpotential);
      this.logLikelihood[k] -= 0.5 * looks * Math.min((nu * nu) / s2, this.gate);
    }
    this.elapsedS += dt;
    if (this.elapsedS < this.minWindowS) return;
    let best = 0;
    for (let k = 1; k < ms.length; k++) if (this.logLikelihood[k] > this.logLikelihood[best]) best = k;
    let margin = Number.POSITIVE_INFINITY;
    for (let k = 0; k < ms.length; k++)
      if (k !== best) margin = Math.min(margin, this.logLikelihood[best] - this.logLikelihood[k]);
    if (margin >= this.decisive) this.keep(best);
    else if (this.elapsedS >= this.maxWindowS) this.keep(0);
  }

  /** Log-likelihood of each hypothesis so far (in the order of `offsets`). */
  scores(): Float64Array {
    return this.logLikelihood.slice();
  }

  private keep(k: number): void {
    this.winner = k;
    this.members = [this.members[k]];
  }
}
