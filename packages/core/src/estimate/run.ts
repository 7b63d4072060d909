/**
 * Runs a SOC estimator over a measured (or simulated) time series. Time convention as in cell/simulate.ts: the
 * current of row k flows over (t[k−1], t[k]], the voltage and temperature of row k are those at t[k].
 */
import type { CellModel } from "../cell/params.ts";
import { type HypothesisBankOptions, SocHypothesisBank } from "./bank.ts";
import { alignSamples, CoulombCounter } from "./coulomb.ts";
import { SocEkf } from "./ekf.ts";
import type { SocFilter } from "./filter.ts";
import { SocSpkf } from "./spkf.ts";
import { type FilterTuning, resolveTuning } from "./tuning.ts";

export const ESTIMATORS = ["ekf", "spkf", "cc"] as const;
export type EstimatorKind = (typeof ESTIMATORS)[number];

export interface EstimateInput {
  timeS: ArrayLike<number>;
  currentA: ArrayLike<number>;
  voltageV?: ArrayLike<number>;
  /** Cell temperature per row, K. */
  tempK?: ArrayLike<number>;
}

export interface EstimateOptions {
  filter: EstimatorKind;
  initialSoc: number;
  initialSocSigma?: number;
  /** Temperature used when the data have none, K (default the set's reference temperature). */
  tempK?: number;
  /** Capacity to count with, A·h (default the set's). */
  capacityAh?: number;
  /** How long the current samples lag the voltage samples, s (they are re-aligned; default 0). */
  currentLagS?: number;
  tuning?: Partial<FilterTuning>;
  /**
   * Filters started while a current flows race a bank of SOC hypotheses (bank.ts) for a while; false turns it off.
   * A start at rest is unaffected either way.
   */
  hypothesisBank?: boolean | HypothesisBankOptions;
}

export interface EstimateResult {
  timeS: Float64Array;
  soc: Float64Array;
  socSigma: Float64Array;
  /** Filters only: predicted voltage, innovation, NIS per row; counts of skipped and inflated rows. */
  voltagePredictedV: Float64Array | null;
  innovationV: Float64Array | null;
  nis: Float64Array | null;
  skippedRows: number;
  inflatedRows: number;
}

export function estimateSoc(model: CellModel, data: EstimateInput, o: EstimateOptions): EstimateResult {
  const n = data.timeS.length;
  const t = data.timeS;
  const current = o.currentLagS ? alignSamples(t, data.currentA, o.currentLagS) : data.currentA;
  const fallbackK = o.tempK ?? model.refTempK;
  const temp = (k: number) => (data.tempK ? data.tempK[k] : fallbackK);
  const out: EstimateResult = {
    timeS: Float64Array.from(t),
    soc: new Float64Array(n),
    socSigma: new Float64Array(n),
    voltagePredictedV: null,
    innovationV: null,
    nis: null,
    skippedRows: 0,
    inflatedRows: 0,
  };
  const init = { soc: o.initialSoc, socSigma: o.initialSocSigma, capacityAh: o.capacityAh };
  if (o.filter === "cc") {
    const cc = new CoulombCounter(model, { ...init, tuning: o.tuning });
    for (let k = 0; k < n; k++) {
      const dt = k === 0 ? 0 : t[k] - t[k - 1];
      checkDt(dt, k, t);
      cc.step(dt, current[k], data.voltageV ? data.voltageV[k] : Number.NaN, temp(k));
      out.soc[k] = cc.soc;
      out.socSigma[k] = cc.socSigma;
    }
    return out;
  }
  const v = data.voltageV;
  if (!v) throw new Error(`the ${o.filter} filter needs a voltage column; use --filter cc without one`);
  const make = (soc: number) =>
    o.filter === "ekf"
      ? new SocEkf(model, { ...init, soc }, o.tuning)
      : new SocSpkf(model, { ...init, soc }, o.tuning);
  const bank = o.hypothesisBank ?? true;
  const f: SocFilter =
    bank === false
      ? make(o.initialSoc)
      : new SocHypothesisBank(
          model,
          o.initialSoc,
          make,
          resolveTuning(model, o.tuning).nisGate,
          bank === true ? {} : bank,
        );
  out.voltagePredictedV = new Float64Array(n);
  out.innovationV = new Float64Array(n);
  out.nis = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const dt = k === 0 ? 0 : t[k] - t[k - 1];
    checkDt(dt, k, t);
    f.step(dt, current[k], v[k], temp(k));
    out.soc[k] = f.soc;
    out.socSigma[k] = f.socSigma;
    out.innovationV[k] = f.innovationV;
    out.voltagePredictedV[k] = v[k] - f.innovationV;
    out.nis[k] = f.nis;
    if (f.skipped) out.skippedRows++;
    if (f.inflated) out.inflatedRows++;
  }
  return out;
}

function checkDt(dt: number, k: number, t: ArrayLike<number>): void {
  if (!(dt >= 0))
    throw new Error(`time goes backwards or is not a number at row ${k}: ${t[k - 1]} s then ${t[k]} s`);
}
