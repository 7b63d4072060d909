/**
 * Predictive host limits in a BMS controller: a wrapper that runs the BMS controller (`bms/`) as it is and
 * replaces its derated host limits by the state of power of a `PredictiveLimiter`, re-predicted at the
 * controller's 100 ms task, except where the BMS stops a direction outright (open contactors, no data, faults,
 * RSL alarms): those stand. Optionally the coolant flow is replaced by the delay-aware decision of `thermal/`.
 *
 * Why it may use more of the cell than the baseline: the baseline derates toward its maximum operating limits
 * (MOL) and keeps the band up to the recommended safety limits (RSL) as a buffer because it only reacts to what
 * it measures. The SOP predicts where the next seconds take each group, so its window can be the RSL (less a
 * voltage margin), and it still never reaches an RSL, let alone a maximum safety limit (MSL).
 */
import type { BmsConfig } from "../bms/config.ts";
import type { BmsState } from "../bms/controller.ts";
import type { LimitReason } from "../bms/limits.ts";
import type { CellModel } from "../cell/params.ts";
import type { CoolingController } from "../thermal/cooling.ts";
import type { Controller, PackInfo } from "../twin/interfaces.ts";
import { PredictiveLimiter, type PredictiveLimiterOptions } from "./limiter.ts";
import type { SopReason, SopWindow } from "./predict.ts";

/**
 * The SOP window at the BMS's recommended safety limits (per cell) for voltage and temperature, and its maximum
 * operating limit for current (the SOP does not predict current-sensor error; the host rides this limit).
 */
export function sopWindowFromBms(cfg: BmsConfig, parallelCells: number): SopWindow {
  const L = cfg.limits;
  return {
    voltageMinV: L.cellVoltageLow.rsl,
    voltageMaxV: L.cellVoltageHigh.rsl,
    socMin: 0,
    socMax: 1,
    chargeCurrentMaxA: L.chargeCurrent.mol / parallelCells,
    dischargeCurrentMaxA: L.dischargeCurrent.mol / parallelCells,
    chargeTempMinK: L.chargeTempLow.rsl,
    chargeTempMaxK: L.chargeTempHigh.rsl,
    dischargeTempMinK: L.dischargeTempLow.rsl,
    dischargeTempMaxK: L.dischargeTempHigh.rsl,
  };
}

/** BMS limit reasons that stop a direction outright; everything else is derating, which the SOP replaces. */
export const BMS_HARD_STOPS: ReadonlySet<LimitReason> = new Set<LimitReason>([
  "contactors not closed",
  "no valid data",
  "fault: contactors opening",
  "RSL alarm",
]);

export interface PredictiveBmsOptions {
  model: CellModel;
  /** The BMS configuration for a pack (the one the inner controller runs on). */
  config: (pack: PackInfo) => BmsConfig;
  /** The SOP window for a pack (default: `sopWindowFromBms`). */
  window?: (pack: PackInfo, config: BmsConfig) => SopWindow;
  /** Limiter options (horizons, candidates, solver: bias budget, cooling delay, voltage margin). */
  limiter?: PredictiveLimiterOptions;
  /** Core temperatures per group to feed the SOP instead of its estimate (a better temperature estimate). */
  coreTempK?: () => ArrayLike<number> | undefined;
  /** Delay-aware cooling that replaces the BMS's coolant flow. */
  cooling?: (pack: PackInfo, config: BmsConfig) => CoolingController;
}

/** The wrapped controller, with the reason behind its last discharge limit (for experiments and the record). */
export interface PredictiveBmsController extends Controller<BmsState> {
  /** The SOP's binding reason, or the controller's own when it stops discharging outright. */
  readonly dischargeReason: LimitReason | SopReason;
  readonly chargeReason: LimitReason | SopReason;
}

/**
 * Wraps a BMS controller (state `BmsState`) so that its host limits come from the state of power. Voltage
 * limits follow the SOP window too: the pack may move only as far as its extreme measured group may still move
 * before the window's voltage (less the margin), as the baseline does toward its MOL.
 */
export function withPredictiveLimits(
  inner: Controller<BmsState>,
  options: PredictiveBmsOptions,
): PredictiveBmsController {
  let limiter: PredictiveLimiter | null = null;
  let cooling: CoolingController | null = null;
  let every = 1;
  let calls = 0;
  let discharge = 0;
  let charge = 0;
  let vFloor = 0;
  let vCeiling = 0;
  let vLow = 0;
  let vHigh = 0;
  let cellOhm = 0;
  let dischargeReason: LimitReason | SopReason = "contactors not closed";
  let chargeReason: LimitReason | SopReason = "contactors not closed";
  return {
    get dischargeReason() {
      return dischargeReason;
    },
    get chargeReason() {
      return chargeReason;
    },
    name: `${inner.name} + predictive limits`,
    periodS: inner.periodS,
    init(pack: PackInfo) {
      const cfg = options.config(pack);
      const window = options.window ? options.window(pack, cfg) : sopWindowFromBms(cfg, pack.parallelCells);
      limiter = new PredictiveLimiter(options.model, pack, window, options.limiter);
      const margin = limiter.sop.solver.options.voltageMarginV;
      vLow = window.voltageMinV + margin;
      vHigh = window.voltageMaxV - margin;
      every = cfg.timing.mediumEvery;
      cooling = options.cooling ? options.cooling(pack, cfg) : null;
      // The heat of a cell at the limit current, for the cooling decision: R0 + ΣR_k at mid SOC, 25 °C.
      const m = options.model;
      cellOhm = m.r0.at(0.5, m.refTempK, -1);
      for (const b of m.rc) cellOhm += b.r.at(0.5, m.refTempK, -1);
      return inner.init(pack);
    },
    step(state, m, t) {
      const out = inner.step(state, m, t);
      const L = out.commands.limits;
      if (!limiter) return out;
      const reasons = out.state.limits;
      const stopDischarge = BMS_HARD_STOPS.has(reasons.dischargeReason);
      const stopCharge = BMS_HARD_STOPS.has(reasons.chargeReason);
      // The limits and the cooling are 100 ms tasks: between them the last decisions stand.
      if (calls++ % every === 0) {
        limiter.update(m, undefined, options.coreTempK?.());
        discharge = limiter.dischargeCurrentMaxA;
        charge = limiter.chargeCurrentMaxA;
        const v = m.groupVoltageV;
        let lo = Number.POSITIVE_INFINITY;
        let hi = Number.NEGATIVE_INFINITY;
        for (let g = 0; g < v.value.length; g++) {
          if (!v.valid[g]) continue;
          lo = Math.min(lo, v.value[g]);
          hi = Math.max(hi, v.value[g]);
        }
        const ns = v.value.length;
        const pack = m.packVoltageV.value;
        vFloor = Math.max(ns * vLow, pack - ns * (lo - vLow));
        vCeiling = Math.min(ns * vHigh, pack + ns * (vHigh - hi));
        if (cooling) {
          const temps = limiter.states.tempK;
          let hot = Number.NEGATIVE_INFINITY;
          let cold = Number.POSITIVE_INFINITY;
          for (let g = 0; g < temps.length; g++) {
            hot = Math.max(hot, temps[g]);
            cold = Math.min(cold, temps[g]);
          }
          const iMax = Math.max(discharge, charge) / limiter.pack.parallelCells;
          const inlet = m.coolantInletK.valid ? m.coolantInletK.value : hot;
          cooling.update(t, hot, cold, inlet, inlet, limiter.heatW, cellOhm * iMax * iMax);
        }
      }
      dischargeReason = stopDischarge ? reasons.dischargeReason : limiter.dischargeReason;
      chargeReason = stopCharge ? reasons.chargeReason : limiter.chargeReason;
      if (stopDischarge) L.dischargeCurrentMaxA = 0;
      else {
        L.dischargeCurrentMaxA = discharge;
        if (Number.isFinite(vFloor)) L.dischargeVoltageMinV = vFloor;
      }
      if (stopCharge) L.chargeCurrentMaxA = 0;
      else {
        L.chargeCurrentMaxA = charge;
        if (Number.isFinite(vCeiling)) L.chargeVoltageMaxV = vCeiling;
      }
      if (cooling) out.commands.coolantFlow = cooling.flow;
      return out;
    },
  };
}
