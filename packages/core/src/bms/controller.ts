/**
 * The BMS controller: fixed tasks as pure steps of (state, measurements, time) → (state, commands, status).
 *
 * The runner calls `step` every base period (10 ms). Every call runs the 10 ms task; every `mediumEvery`-th call
 * the 100 ms task; every `slowEvery`-th the 1 s task — chosen by counting calls, never by reading a clock:
 *
 *  - 10 ms: current integration, fast diagnosis (current limits, lost or stale data, contactor feedback,
 *    timing), then the contactor state machine, which runs last so that any fault found in this call opens the
 *    contactors in this call's commands.
 *  - 100 ms: estimation, voltage and temperature signals and their diagnosis, host limits, balancing, thermal.
 *  - 1 s: health extremes, energy and charge throughput, coolant check.
 *
 * The model-based performance functions (bms/performance.ts: state of power, predictive cooling and cold
 * derating, charging profile and copper cut-off, balancing by SOC, health estimation) run inside the 100 ms and
 * 1 s tasks when the configuration switches them on; the baseline stays the outer guard.
 *
 * Everything the controller remembers is in the state object, which `step` updates in place and returns (no
 * allocation per step; the returned commands and status belong to the state and change on the next call).
 * A timing monitor measures each task with an injected clock and treats a task over its budget, or a call that
 * comes more than `cycleLate` periods after the previous one, as a fault.
 */

import { balancingCurrents } from "../balancing/current.ts";
import type {
  Commands,
  Controller,
  ControllerOutput,
  ControllerStatus,
  Measurements,
  PackInfo,
} from "../twin/interfaces.ts";
import { idleCommands } from "../twin/interfaces.ts";
import type { BmsConfig } from "./config.ts";
import {
  applyContactorEvent,
  COILS,
  ContactorMachine,
  type ContactorSettings,
  type ContactorWish,
  contactorEvent,
} from "./contactors.ts";
import {
  type Alarm,
  activeAlarms,
  clearLatched,
  type DiagnosisEvent,
  DiagnosisState,
  DiagnosisTable,
  emptyReactions,
  evaluateDiagnosis,
  foldReactions,
  type ReactionSet,
  SignalFrame,
} from "./diagnosis.ts";
import { type BmsSocEstimator, CoulombCountingEstimator, socFromOcvCurve } from "./estimator.ts";
import { HostLimitState, type LimitInputs, updateHostLimits } from "./limits.ts";
import { BmsPerformance } from "./performance.ts";
import { signalIndex as S } from "./signals.ts";

/** Seconds from an arbitrary origin; only differences are used. */
export type Clock = () => number;

export const performanceClock: Clock = () => performance.now() / 1000;

export interface BmsControllerOptions {
  /** The configuration, or how to derive it from the pack the runner gives `init`. */
  config: BmsConfig | ((pack: PackInfo) => BmsConfig);
  /** Clock for the timing monitor (default performance.now). Simulations that must be repeatable inject one. */
  clock?: Clock;
  /** The SOC estimator (default: coulomb counting from an OCV start). */
  estimator?: (pack: PackInfo, config: BmsConfig) => BmsSocEstimator;
  /** Most recent diagnosis events kept in the state's log. */
  logLength?: number;
  /**
   * How often the runner calls `step`, s: the configuration's base period must match (default: that of a
   * fixed configuration, else 0.01).
   */
  periodS?: number;
}

const FAST = 0;
const MEDIUM = 1;
const SLOW = 2;

export interface BmsHealth {
  /** Charge into and out of the pack, A·h (magnitudes). */
  chargeInAh: number;
  chargeOutAh: number;
  energyInWh: number;
  energyOutWh: number;
  /** Charge throughput over twice the pack capacity. */
  equivalentFullCycles: number;
  maxCellVoltageV: number;
  minCellVoltageV: number;
  maxTempK: number;
  minTempK: number;
  faultsSeen: number;
  closedS: number;
  /** State of health (health estimator on): capacity of the weakest group and R0 of the worst, relative to
   *  new; NaN until known. */
  sohCapacity: number;
  sohResistance: number;
  /** State of energy: what the pack can still deliver to the voltage limit at the configured rate, Wh. */
  soeWh: number;
  /** The usable "empty" SOC from cold derating (0 when off). */
  usableEmptySoc: number;
}

export interface BmsState {
  readonly pack: PackInfo;
  readonly config: BmsConfig;
  readonly table: DiagnosisTable;
  readonly diag: DiagnosisState;
  readonly frame: SignalFrame;
  readonly reactions: ReactionSet;
  readonly contactors: ContactorMachine;
  readonly estimator: BmsSocEstimator;
  readonly limits: HostLimitState;
  /** The performance functions (null when the configuration switches them all off). */
  readonly performance: BmsPerformance | null;
  /** Pack state of health (capacity) for the dashboard: `health.sohCapacity`. */
  soh: number;
  /** Each group's own balancing charge over the last 100 ms interval (bleeding: negative), C. */
  readonly balancingChargeC: Float64Array;
  /** Reused inputs of the host limits and the contactor machine (no allocation per call). */
  readonly limitInputs: LimitInputs;
  readonly contactorWish: ContactorWish;
  readonly health: BmsHealth;
  readonly log: DiagnosisEvent[];
  /** Calls so far. */
  tick: number;
  lastTimeS: number;
  /** Pack charge since the last 100 ms task, C; and since the last 1 s task, split by direction. */
  chargeSinceMediumC: number;
  chargeInC: number;
  chargeOutC: number;
  energyInJ: number;
  energyOutJ: number;
  /** 100 ms aggregates used by limits and balancing. */
  cellVoltageMaxV: number;
  cellVoltageMinV: number;
  tempMaxK: number;
  tempMinK: number;
  /** Stuck-sensor detection: last value per group, the pack current when it last changed, its last age. */
  readonly lastGroupV: Float64Array;
  readonly currentAtChangeA: Float64Array;
  readonly lastAgeS: Float64Array;
  /** Group voltages and pack current at the previous 100 ms task, for the group-resistance check. */
  readonly prevGroupV: Float64Array;
  prevCurrentA: number;
  /** The same check accumulated over recent steps (exponentially weighted least squares of ΔV_g on ΔI):
   *  Σw·ΔV_g·ΔI per group, Σw·ΔI² and Σw²·ΔI². */
  readonly resistanceSxy: Float64Array;
  resistanceSxx: number;
  resistanceSww: number;
  /** Scratch: OCV-equivalent SOC per group. */
  readonly groupOcvSoc: Float64Array;
  /** Pack current through a first-order low-pass (currentFilterS), for the charging decision, A. */
  filteredCurrentA: number;
  heaterOn: boolean;
  /** Since when the coolant flow has been commanded at full (NaN while it is not), s. */
  fullFlowSinceS: number;
  /** Worst task-time / budget ratio of the previous call, and which task. */
  overrunRatio: number;
  overrunTask: number;
  readonly lastTaskS: Float64Array;
  /** Host or operator requests. */
  openRequested: boolean;
  resetRequested: boolean;
  startupDone: boolean;
  readonly commands: Commands;
  readonly status: ControllerStatus;
  readonly output: ControllerOutput<BmsState>;
  alarmsVersion: number;
  /** Time stamp for log entries of the current call. */
  nowS: number;
  /** Hears diagnosis transitions (made once, so evaluation does not allocate a callback per call). */
  onDiagnosisChange: (entry: number, set: boolean) => void;
}

export interface BmsController extends Controller<BmsState> {
  /** The active alarms with what, where, since when and why. */
  alarms(state: BmsState): Alarm[];
  /** Operator reset: releases latched faults and a faulted contactor machine (they set again if still true). */
  requestReset(state: BmsState): void;
  /** Host shutdown: open the contactors (true) or allow closing again (false). */
  requestOpen(state: BmsState, open: boolean): void;
}

/** Creates the controller. The same object runs against the twin and, later, real transports. */
export function createBmsController(options: BmsControllerOptions): BmsController {
  const clock = options.clock ?? performanceClock;
  const logLength = options.logLength ?? 1000;
  const period = (c: BmsConfig) => c.timing.basePeriodS;
  const fixed = typeof options.config === "function" ? null : options.config;

  const controller: BmsController = {
    name: "coxswain-bms",
    periodS: options.periodS ?? (fixed ? period(fixed) : 0.01),
    init(pack: PackInfo): BmsState {
      const config = typeof options.config === "function" ? options.config(pack) : options.config;
      if (Math.abs(period(config) - controller.periodS) > 1e-12)
        throw new Error(
          `timing.basePeriodS: got ${period(config)} s, expected the controller's call period ${controller.periodS} s`,
        );
      const t = config.timing;
      const p = t.basePeriodS;
      const table = new DiagnosisTable(config.entries, [p, p * t.mediumEvery, p * t.slowEvery]);
      const ns = pack.seriesGroups;
      const commands = idleCommands(pack);
      const status: ControllerStatus = { mode: "startup", alarms: [] };
      const state = {
        pack,
        config,
        table,
        diag: new DiagnosisState(table.n),
        frame: new SignalFrame(),
        reactions: emptyReactions(),
        contactors: new ContactorMachine(),
        estimator: (options.estimator ?? ((pk, c) => new CoulombCountingEstimator(pk, c)))(pack, config),
        limits: new HostLimitState(),
        performance:
          anyPerformance(config) && config.model ? new BmsPerformance(config, config.model, pack) : null,
        soh: Number.NaN,
        balancingChargeC: new Float64Array(ns),
        limitInputs: {
          cellVoltageMaxV: Number.NaN,
          cellVoltageMinV: Number.NaN,
          tempMaxK: Number.NaN,
          tempMinK: Number.NaN,
          socMax: Number.NaN,
          socMin: Number.NaN,
          packVoltageV: Number.NaN,
          closed: false,
          socEmpty: 0,
        },
        contactorWish: { emergency: false, close: false, reset: false },
        health: {
          chargeInAh: 0,
          chargeOutAh: 0,
          energyInWh: 0,
          energyOutWh: 0,
          equivalentFullCycles: 0,
          maxCellVoltageV: -Infinity,
          minCellVoltageV: Infinity,
          maxTempK: -Infinity,
          minTempK: Infinity,
          faultsSeen: 0,
          closedS: 0,
          sohCapacity: Number.NaN,
          sohResistance: Number.NaN,
          soeWh: Number.NaN,
          usableEmptySoc: 0,
        },
        log: [] as DiagnosisEvent[],
        tick: 0,
        lastTimeS: Number.NaN,
        chargeSinceMediumC: 0,
        chargeInC: 0,
        chargeOutC: 0,
        energyInJ: 0,
        energyOutJ: 0,
        cellVoltageMaxV: Number.NaN,
        cellVoltageMinV: Number.NaN,
        tempMaxK: Number.NaN,
        tempMinK: Number.NaN,
        lastGroupV: new Float64Array(ns).fill(Number.NaN),
        currentAtChangeA: new Float64Array(ns),
        lastAgeS: new Float64Array(ns).fill(Infinity),
        prevGroupV: new Float64Array(ns).fill(Number.NaN),
        prevCurrentA: Number.NaN,
        resistanceSxy: new Float64Array(ns),
        resistanceSxx: 0,
        resistanceSww: 0,
        groupOcvSoc: new Float64Array(ns),
        filteredCurrentA: 0,
        heaterOn: false,
        fullFlowSinceS: Number.NaN,
        overrunRatio: 0,
        overrunTask: -1,
        lastTaskS: new Float64Array(3),
        openRequested: false,
        resetRequested: false,
        startupDone: false,
        commands,
        status,
        output: { state: undefined as unknown as BmsState, commands, status },
        alarmsVersion: -1,
        nowS: 0,
        onDiagnosisChange: (_entry: number, _set: boolean) => {},
      } satisfies BmsState;
      state.output.state = state;
      state.onDiagnosisChange = (entry, set) => {
        state.log.push({
          timeS: state.nowS,
          id: table.entries[entry].id,
          set,
          value: state.diag.value[entry],
          location: state.diag.location[entry],
        });
        if (set && table.entries[entry].severity === "fault") state.health.faultsSeen++;
        // Trim in blocks so the log does not shift on every event.
        if (state.log.length > 2 * logLength) state.log.splice(0, state.log.length - logLength);
      };
      return state;
    },
    step(state: BmsState, m: Measurements, timeS: number): ControllerOutput<BmsState> {
      const cfg = state.config;
      const t = cfg.timing;
      const c0 = clock();
      state.tick++;
      const gap = Number.isNaN(state.lastTimeS) ? t.basePeriodS : timeS - state.lastTimeS;
      state.lastTimeS = timeS;
      state.nowS = timeS;
      fastTask(state, m, timeS, gap);
      const c1 = clock();
      const medium = state.tick % t.mediumEvery === 0;
      if (medium) mediumTask(state, m, timeS);
      const c2 = clock();
      const slow = state.tick % t.slowEvery === 0;
      if (slow) slowTask(state, m, timeS);
      const c3 = clock();
      contactorTask(state, m);
      const c4 = clock();
      // Timing monitor: judged in the next call's 10 ms diagnosis.
      state.lastTaskS[FAST] = c1 - c0 + (c4 - c3);
      state.lastTaskS[MEDIUM] = medium ? c2 - c1 : 0;
      state.lastTaskS[SLOW] = slow ? c3 - c2 : 0;
      state.overrunRatio = 0;
      state.overrunTask = -1;
      for (let k = 0; k < 3; k++) {
        const ratio =
          state.lastTaskS[k] / (k === FAST ? t.fastBudgetS : k === MEDIUM ? t.mediumBudgetS : t.slowBudgetS);
        if (ratio > state.overrunRatio) {
          state.overrunRatio = ratio;
          state.overrunTask = k;
        }
      }
      return state.output;
    },
    alarms: (state) => activeAlarms(state.table, state.diag),
    requestReset(state) {
      state.resetRequested = true;
    },
    requestOpen(state, open) {
      state.openRequested = open;
    },
  };
  return controller;
}

/** Whether the configuration switches on any performance function. */
function anyPerformance(cfg: BmsConfig): boolean {
  const p = cfg.performance;
  return (
    p.sop.enabled ||
    p.thermal.enabled ||
    p.thermal.coldDerating.enabled ||
    p.charging.enabled ||
    p.charging.copperCutoff.enabled ||
    p.balancing.enabled ||
    p.health.enabled
  );
}

/** Charging, judged on the filtered current so that sensor noise at rest does not open charge-only gates. */
function isCharging(state: BmsState, m: Measurements): boolean {
  return m.packCurrentA.valid && state.filteredCurrentA > state.config.restCurrentA;
}

/** 1 charging, −1 discharging, 0 at rest (or unknown), on the filtered current. */
function direction(state: BmsState, m: Measurements): number {
  if (!m.packCurrentA.valid) return 0;
  const r = state.config.restCurrentA;
  return state.filteredCurrentA > r ? 1 : state.filteredCurrentA < -r ? -1 : 0;
}

function fastTask(state: BmsState, m: Measurements, timeS: number, gapS: number): void {
  const f = state.frame;
  const cfg = state.config;
  const dt = cfg.timing.basePeriodS;
  const i = m.packCurrentA;
  // Current integration: the contactors being open means no current can flow, whatever the sensor says.
  if (i.valid && state.contactors.mode !== "open") {
    const q = i.value * dt;
    state.chargeSinceMediumC += q;
    if (q > 0) state.chargeInC += q;
    else state.chargeOutC -= q;
    if (m.packVoltageV.valid) {
      const e = q * m.packVoltageV.value;
      if (e > 0) state.energyInJ += e;
      else state.energyOutJ -= e;
    }
  }
  if (i.valid) {
    const tau = cfg.currentFilterS;
    state.filteredCurrentA +=
      tau > 0 ? (i.value - state.filteredCurrentA) * (dt / (tau + dt)) : i.value - state.filteredCurrentA;
  }
  f.set(S("chargeCurrent"), i.valid ? Math.max(i.value, 0) : Number.NaN);
  f.set(S("dischargeCurrent"), i.valid ? Math.max(-i.value, 0) : Number.NaN);
  f.set(S("currentInvalid"), i.valid ? 0 : 1);
  const v = m.groupVoltageV;
  let invalid = 0;
  let firstInvalid = -1;
  let oldest = -Infinity;
  let oldestAt = -1;
  for (let g = 0; g < v.value.length; g++) {
    if (v.valid[g] === 0) {
      invalid++;
      if (firstInvalid < 0) firstInvalid = g;
    }
    if (v.ageS[g] > oldest) {
      oldest = v.ageS[g];
      oldestAt = g;
    }
  }
  f.set(S("voltageInvalid"), invalid, firstInvalid);
  f.set(S("voltageAge"), oldest, oldestAt);
  f.set(S("commsLost"), m.commsOk ? 0 : 1);
  const c = state.contactors;
  f.set(S("contactorFeedback"), c.feedbackFault ? 1 : 0, c.faultContactor);
  f.set(S("contactorWelded"), c.welded ? 1 : 0, c.faultContactor);
  f.set(S("prechargeFailed"), c.prechargeFailed ? 1 : 0);
  f.set(S("taskOverrun"), state.overrunRatio, state.overrunTask);
  f.set(S("cycleLate"), gapS / cfg.timing.basePeriodS);
  if (state.resetRequested) clearLatched(state.table, state.diag);
  evaluateDiagnosis(state.table, state.diag, FAST, f, direction(state, m), timeS, state.onDiagnosisChange);
  foldReactions(state.table, state.diag, state.reactions);
}

function mediumTask(state: BmsState, m: Measurements, timeS: number): void {
  const cfg = state.config;
  const f = state.frame;
  const pk = state.pack;
  const dtS = cfg.timing.basePeriodS * cfg.timing.mediumEvery;
  const v = m.groupVoltageV;
  const ns = v.value.length;
  const i = m.packCurrentA;

  // Group voltages: extremes, mean, deviation, stuck readings.
  let vMax = -Infinity;
  let vMin = Infinity;
  let vMaxAt = -1;
  let vMinAt = -1;
  let sum = 0;
  let nValid = 0;
  let stuck = 0;
  let stuckAt = -1;
  const stuckStep = cfg.plausibility.stuckCurrentStepA;
  for (let g = 0; g < ns; g++) {
    if (v.valid[g] === 0) continue;
    const x = v.value[g];
    nValid++;
    sum += x;
    if (x > vMax) {
      vMax = x;
      vMaxAt = g;
    }
    if (x < vMin) {
      vMin = x;
      vMinAt = g;
    }
    // A new sample (its age did not grow) with exactly the old value although the current moved: stuck.
    const fresh = v.ageS[g] <= state.lastAgeS[g];
    state.lastAgeS[g] = v.ageS[g];
    if (!fresh || !i.valid) continue;
    if (x !== state.lastGroupV[g]) {
      state.lastGroupV[g] = x;
      state.currentAtChangeA[g] = i.value;
    } else if (Math.abs(i.value - state.currentAtChangeA[g]) > stuckStep) {
      stuck++;
      if (stuckAt < 0) stuckAt = g;
    }
  }
  // Group resistance over a current step since the last 100 ms task: ΔV_g / ΔI against the mean of all groups.
  // Judged only when the step moves the groups by many times the voltage noise: a large pack of warm cells
  // has well under 1 mΩ per group, and over a small step the largest of its ΔV would be noise.
  let rRatio = Number.NaN;
  let rAt = -1;
  const pl = cfg.plausibility;
  const dI = i.valid ? i.value - state.prevCurrentA : Number.NaN;
  if (nValid === ns && Math.abs(dI) >= pl.resistanceStepA) {
    let rSum = 0;
    let rMax = -Infinity;
    for (let g = 0; g < ns; g++) {
      const r = (v.value[g] - state.prevGroupV[g]) / dI;
      rSum += r;
      if (r > rMax) {
        rMax = r;
        rAt = g;
      }
    }
    const rMean = rSum / ns;
    const dvNoise = Math.SQRT2 * pl.voltageNoiseV;
    if (rMean > 0 && rMean * Math.abs(dI) >= pl.resistanceMinSnr * dvNoise) rRatio = rMax / rMean;
    // Accumulated over the last resistanceMemorySteps steps, so that many steps too small to judge alone
    // (a warm pack in a drive cycle) are judged together, against the noise of the weighted sum: adjacent
    // differences share a sample, which at worst (alternating steps) doubles its variance, hence 2σ, not √2σ.
    const lam = 1 - 1 / pl.resistanceMemorySteps;
    state.resistanceSxx = lam * state.resistanceSxx + dI * dI;
    state.resistanceSww = lam * lam * state.resistanceSww + dI * dI;
    const sxy = state.resistanceSxy;
    let aSum = 0;
    let aMax = -Infinity;
    let aAt = -1;
    for (let g = 0; g < ns; g++) {
      sxy[g] = lam * sxy[g] + (v.value[g] - state.prevGroupV[g]) * dI;
      aSum += sxy[g];
      if (sxy[g] > aMax) {
        aMax = sxy[g];
        aAt = g;
      }
    }
    const aMean = aSum / ns / state.resistanceSxx;
    const noise = 2 * pl.voltageNoiseV * Math.sqrt(state.resistanceSww);
    if (aMean > 0 && aMean * state.resistanceSxx >= pl.resistanceMinSnr * noise) {
      const ratio = aMax / state.resistanceSxx / aMean;
      if (!(rRatio >= ratio)) {
        rRatio = ratio;
        rAt = aAt;
      }
    }
  }
  if (nValid === ns && i.valid) {
    state.prevGroupV.set(v.value);
    state.prevCurrentA = i.value;
  } else state.prevCurrentA = Number.NaN;
  f.set(S("groupResistanceRatio"), rRatio, Number.isNaN(rRatio) ? -1 : rAt);
  // Group deviation in SOC terms (each voltage read through the OCV curve), so that the steep ends of the
  // curve do not make a small imbalance look like a fault.
  const ocvSoc = state.groupOcvSoc;
  let zSum = 0;
  for (let g = 0; g < ns; g++) {
    if (v.valid[g] === 0) continue;
    ocvSoc[g] = socFromOcvCurve(cfg.estimation.ocvSoc, cfg.estimation.ocvV, v.value[g]);
    zSum += ocvSoc[g];
  }
  const zMean = zSum / nValid;
  let dev = nValid > 1 ? 0 : Number.NaN;
  let devAt = -1;
  if (nValid > 1)
    for (let g = 0; g < ns; g++) {
      if (v.valid[g] === 0) continue;
      const d = Math.abs(ocvSoc[g] - zMean);
      if (d > dev) {
        dev = d;
        devAt = g;
      }
    }
  state.cellVoltageMaxV = nValid > 0 ? vMax : Number.NaN;
  state.cellVoltageMinV = nValid > 0 ? vMin : Number.NaN;
  f.set(S("cellVoltageMax"), state.cellVoltageMaxV, vMaxAt);
  f.set(S("cellVoltageMin"), state.cellVoltageMinV, vMinAt);
  f.set(S("socDeviation"), dev, devAt);
  f.set(S("voltageStuck"), stuck, stuckAt);
  const pv = m.packVoltageV;
  f.set(S("packVoltageInvalid"), pv.valid ? 0 : 1);
  f.set(S("packVoltageMismatch"), pv.valid && nValid === ns ? Math.abs(pv.value - sum) : Number.NaN);

  // Temperatures.
  const tb = m.temperatureK;
  let tMax = -Infinity;
  let tMin = Infinity;
  let tMaxAt = -1;
  let tMinAt = -1;
  let tSum = 0;
  let tValid = 0;
  let tInvalid = 0;
  let tInvalidAt = -1;
  let tOld = -Infinity;
  let tOldAt = -1;
  for (let s = 0; s < tb.value.length; s++) {
    if (tb.ageS[s] > tOld) {
      tOld = tb.ageS[s];
      tOldAt = s;
    }
    if (tb.valid[s] === 0) {
      tInvalid++;
      if (tInvalidAt < 0) tInvalidAt = s;
      continue;
    }
    const x = tb.value[s];
    tValid++;
    tSum += x;
    if (x > tMax) {
      tMax = x;
      tMaxAt = s;
    }
    if (x < tMin) {
      tMin = x;
      tMinAt = s;
    }
  }
  let tDev = tValid > 2 ? 0 : Number.NaN;
  let tDevAt = -1;
  if (tValid > 2)
    for (let s = 0; s < tb.value.length; s++) {
      if (tb.valid[s] === 0) continue;
      // Compare with the mean of the others, so one bad reading does not pull its own reference.
      const others = (tSum - tb.value[s]) / (tValid - 1);
      const d = Math.abs(tb.value[s] - others);
      if (d > tDev) {
        tDev = d;
        tDevAt = s;
      }
    }
  state.tempMaxK = tValid > 0 ? tMax : Number.NaN;
  state.tempMinK = tValid > 0 ? tMin : Number.NaN;
  f.set(S("cellTempMax"), state.tempMaxK, tMaxAt);
  f.set(S("cellTempMin"), state.tempMinK, tMinAt);
  f.set(S("tempInvalid"), tInvalid, tInvalidAt);
  f.set(S("tempAge"), tb.value.length ? tOld : 0, tOldAt);
  f.set(S("tempDeviation"), tDev, tDevAt);
  f.set(S("insulation"), m.insulationOhm.valid ? m.insulationOhm.value : Number.NaN);
  f.set(S("coolantInlet"), m.coolantInletK.valid ? m.coolantInletK.value : Number.NaN);

  // Estimation: each group also lost the charge its bleed resistor drew under the previous task's commands.
  const bal = state.balancingChargeC;
  balancingCurrents(v.value, state.commands.bleed, pk.bleedOhm, [], [], 1, bal);
  for (let g = 0; g < ns; g++) bal[g] = v.valid[g] === 1 ? bal[g] * dtS : 0;
  state.estimator.update(m, state.chargeSinceMediumC, dtS, bal);
  const perf = state.performance;
  perf?.medium(m, state.chargeSinceMediumC, bal, state.filteredCurrentA, cfg.restCurrentA, timeS);
  state.chargeSinceMediumC = 0;
  state.startupDone = true;

  evaluateDiagnosis(state.table, state.diag, MEDIUM, f, direction(state, m), timeS, state.onDiagnosisChange);
  foldReactions(state.table, state.diag, state.reactions);

  // Host limits.
  const est = state.estimator;
  const x = state.limitInputs;
  x.cellVoltageMaxV = state.cellVoltageMaxV;
  x.cellVoltageMinV = state.cellVoltageMinV;
  x.tempMaxK = state.tempMaxK;
  x.tempMinK = state.tempMinK;
  x.socMax = est.ready ? est.socMax : Number.NaN;
  x.socMin = est.ready ? est.socMin : Number.NaN;
  x.packVoltageV = pv.valid ? pv.value : nValid === ns ? sum : Number.NaN;
  x.closed = state.contactors.mode === "closed";
  x.socEmpty = perf ? perf.out.usableEmptySoc : 0;
  updateHostLimits(cfg, pk.seriesGroups, x, state.reactions, dtS, state.limits);
  perf?.applyLimits(state.limits);

  // Passive balancing: bleed groups well above the lowest, at rest or while charging, never in a fault; by SOC
  // (balancing/passive.ts) when that is on, else by voltage.
  const b = cfg.balancing;
  const bleed = state.commands.bleed;
  const bySoc = perf ? perf.balance(m) : null;
  const allowed =
    (b.enabled || bySoc !== null) &&
    nValid === ns &&
    i.valid &&
    i.value > -cfg.restCurrentA &&
    state.contactors.mode !== "fault" &&
    !state.reactions.openContactors;
  for (let g = 0; g < ns; g++) {
    if (!allowed) {
      bleed[g] = 0;
      continue;
    }
    if (bySoc) {
      bleed[g] = bySoc[g];
      continue;
    }
    const above = v.value[g] - vMin;
    if (bleed[g] === 1) bleed[g] = above > b.stopBelowV ? 1 : 0;
    else bleed[g] = above > b.startAboveV && v.value[g] > b.minVoltageV ? 1 : 0;
  }

  // Thermal: cooling proportional above its start (full when temperatures are unknown), heater with hysteresis.
  const th = cfg.thermal;
  const cmd = state.commands;
  cmd.coolantFlow = Number.isNaN(state.tempMaxK)
    ? 1
    : Math.min(1, Math.max(0, (state.tempMaxK - th.coolingStartK) / (th.coolingFullK - th.coolingStartK)));
  if (Number.isNaN(state.tempMinK) || state.tempMinK > th.heaterOffAboveK) state.heaterOn = false;
  else if (state.tempMinK < th.heaterOnBelowK) state.heaterOn = true;
  cmd.heaterW = state.heaterOn && !state.reactions.openContactors ? th.heaterW : 0;
  // Predictive cooling and heating only add to the baseline's (thermal/cooling.ts, with the delay θ).
  if (perf?.cooling) {
    cmd.coolantFlow = Math.max(cmd.coolantFlow, perf.out.coolingFlow);
    if (!state.reactions.openContactors) cmd.heaterW = Math.max(cmd.heaterW, perf.out.heaterW);
  }
  // Cooling check: after full flow for the settle time the cells should be near the coolant.
  if (cmd.coolantFlow < 0.9) state.fullFlowSinceS = Number.NaN;
  else if (Number.isNaN(state.fullFlowSinceS)) state.fullFlowSinceS = timeS;
  const settled = timeS - state.fullFlowSinceS >= th.coolingSettleS;
  f.set(
    S("coolingDeltaT"),
    settled && m.coolantInletK.valid ? state.tempMaxK - m.coolantInletK.value : Number.NaN,
    tMaxAt,
  );
}

function slowTask(state: BmsState, m: Measurements, timeS: number): void {
  const h = state.health;
  const pk = state.pack;
  h.chargeInAh = state.chargeInC / 3600;
  h.chargeOutAh = state.chargeOutC / 3600;
  h.energyInWh = state.energyInJ / 3600;
  h.energyOutWh = state.energyOutJ / 3600;
  h.equivalentFullCycles = (h.chargeInAh + h.chargeOutAh) / (2 * pk.parallelCells * pk.cellCapacityAh);
  if (state.cellVoltageMaxV > h.maxCellVoltageV) h.maxCellVoltageV = state.cellVoltageMaxV;
  if (state.cellVoltageMinV < h.minCellVoltageV) h.minCellVoltageV = state.cellVoltageMinV;
  if (state.tempMaxK > h.maxTempK) h.maxTempK = state.tempMaxK;
  if (state.tempMinK < h.minTempK) h.minTempK = state.tempMinK;
  const slowS = state.config.timing.basePeriodS * state.config.timing.slowEvery;
  if (state.contactors.mode === "closed") h.closedS += slowS;
  const perf = state.performance;
  if (perf) {
    perf.slow(m, slowS);
    h.sohCapacity = perf.out.sohCapacity;
    h.sohResistance = perf.out.sohResistance;
    h.soeWh = perf.out.soeWh;
    h.usableEmptySoc = perf.out.usableEmptySoc;
    state.soh = h.sohCapacity;
  }
  evaluateDiagnosis(
    state.table,
    state.diag,
    SLOW,
    state.frame,
    direction(state, m),
    timeS,
    state.onDiagnosisChange,
  );
  foldReactions(state.table, state.diag, state.reactions);
}

function contactorTask(state: BmsState, m: Measurements): void {
  const cfg = state.config;
  const c = state.contactors;
  const r = state.reactions;
  const settings = contactorSettings(state);
  const wish = state.contactorWish;
  wish.emergency = r.openContactors;
  wish.close = state.startupDone && state.estimator.ready && !r.openContactors && !state.openRequested;
  wish.reset = state.resetRequested;
  const ev = contactorEvent(c, m, wish, settings);
  if (ev) applyContactorEvent(c, ev, settings.maxRetries);
  state.resetRequested = false;

  const cmd = state.commands;
  const coils = COILS[c.mode];
  cmd.contactors.positive = coils.positive;
  cmd.contactors.negative = coils.negative;
  cmd.contactors.precharge = coils.precharge;
  // Limits: the 100 ms values, cut at once by anything found since.
  const L = state.limits;
  const closed = c.mode === "closed" && !r.openContactors;
  cmd.limits.chargeCurrentMaxA = closed && !r.stopCharge ? L.chargeCurrentMaxA : 0;
  cmd.limits.dischargeCurrentMaxA = closed && !r.stopDischarge ? L.dischargeCurrentMaxA : 0;
  cmd.limits.chargeVoltageMaxV = L.chargeVoltageMaxV;
  cmd.limits.dischargeVoltageMinV = L.dischargeVoltageMinV;

  const st = state.status;
  st.mode =
    c.mode === "closed"
      ? isCharging(state, m)
        ? "charge"
        : m.packCurrentA.valid && state.filteredCurrentA < -cfg.restCurrentA
          ? "discharge"
          : "ready"
      : c.mode === "open"
        ? state.estimator.ready
          ? "idle"
          : "startup"
        : c.mode === "precharging"
          ? "precharge"
          : c.mode;
  if (state.alarmsVersion !== state.diag.transitions) {
    state.alarmsVersion = state.diag.transitions;
    const ids: string[] = [];
    for (let k = 0; k < state.table.n; k++)
      if (state.diag.active[k] === 1) ids.push(state.table.entries[k].id);
    st.alarms = ids;
  }
}

const settingsCache = new WeakMap<BmsConfig, ContactorSettings>();

/** Contactor timings in 10 ms ticks (rounded up), computed once per configuration. */
export function contactorSettings(state: { config: BmsConfig }): ContactorSettings {
  const cfg = state.config;
  let s = settingsCache.get(cfg);
  if (!s) {
    const c = cfg.contactors;
    const ticks = (x: number) => Math.ceil(x / cfg.timing.basePeriodS - 1e-9);
    s = {
      ticks: {
        feedbackDelay: ticks(c.feedbackDelayS),
        prechargeMin: ticks(c.prechargeMinS),
        prechargeTimeout: ticks(c.prechargeTimeoutS),
        retryDelay: ticks(c.retryDelayS),
        openTimeout: ticks(c.openTimeoutS),
      },
      maxRetries: c.prechargeRetries,
      prechargeMatchFraction: c.prechargeMatchFraction,
      prechargeMatchMinV: c.prechargeMatchMinV,
      weldCurrentA: c.weldCurrentA,
    };
    settingsCache.set(cfg, s);
  }
  return s;
}
