/**
 * The diagnosis table: entries evaluated by their task with set and reset debounce and a reset threshold.
 *
 * Debounce counts evaluations, never wall time, so a timeline is exact: with the entry's task period P and
 * setTicks = ⌈setDelayS / P⌉, an entry whose signal is past its threshold at evaluations k0 … k0 + setTicks
 * becomes active at evaluation k0 + setTicks (setDelayS after the first violating sample). An active entry resets
 * once the signal has been back past its reset threshold for resetTicks + 1 consecutive evaluations; a value
 * between the reset threshold and the threshold holds it. A NaN signal (no valid data) holds the state and
 * restarts both counts. An entry whose gate is closed (e.g. a charge limit while discharging) counts as clear.
 * Latching entries stay active until `clearLatched`.
 */
import type { DiagnosisEntry, Gate, Reaction, Severity } from "./config.ts";
import { SIGNAL_INFO, SIGNALS, type SignalName, TASK_NAMES, type TaskName } from "./signals.ts";

const GATE_CODE: Record<Gate, number> = { always: 0, charging: 1, notCharging: 2, discharging: 3 };

/** The compiled, array-form table. */
export class DiagnosisTable {
  readonly entries: readonly DiagnosisEntry[];
  readonly n: number;
  readonly signal: Int32Array;
  readonly above: Uint8Array;
  readonly threshold: Float64Array;
  readonly resetThreshold: Float64Array;
  readonly setTicks: Int32Array;
  readonly resetTicks: Int32Array;
  readonly task: Uint8Array;
  readonly gate: Uint8Array;
  readonly latching: Uint8Array;
  /** Entry indices per task, in table order. */
  readonly byTask: readonly Int32Array[];

  /** `taskPeriodS[t]` is the period of task t ("10ms", "100ms", "1s"). */
  constructor(entries: readonly DiagnosisEntry[], taskPeriodS: readonly [number, number, number]) {
    this.entries = entries;
    const n = entries.length;
    this.n = n;
    this.signal = new Int32Array(n);
    this.above = new Uint8Array(n);
    this.threshold = new Float64Array(n);
    this.resetThreshold = new Float64Array(n);
    this.setTicks = new Int32Array(n);
    this.resetTicks = new Int32Array(n);
    this.task = new Uint8Array(n);
    this.gate = new Uint8Array(n);
    this.latching = new Uint8Array(n);
    entries.forEach((e, i) => {
      const t = TASK_NAMES.indexOf(e.task);
      const p = taskPeriodS[t];
      this.signal[i] = SIGNALS.indexOf(e.signal);
      this.above[i] = e.above ? 1 : 0;
      this.threshold[i] = e.threshold;
      this.resetThreshold[i] = e.resetThreshold;
      // Delays are whole task periods, rounded up; the epsilon keeps 0.05 / 0.01 from becoming 6.
      this.setTicks[i] = Math.ceil(e.setDelayS / p - 1e-9);
      this.resetTicks[i] = Math.ceil(e.resetDelayS / p - 1e-9);
      this.task[i] = t;
      this.gate[i] = GATE_CODE[e.when];
      this.latching[i] = e.latching ? 1 : 0;
    });
    this.byTask = TASK_NAMES.map((_, t) =>
      Int32Array.from(entries.flatMap((_, i) => (this.task[i] === t ? [i] : []))),
    );
  }

  indexOf(id: string): number {
    return this.entries.findIndex((e) => e.id === id);
  }
}

/** Per-entry debounce state and what the alarm reports. */
export class DiagnosisState {
  readonly active: Uint8Array;
  readonly setCount: Int32Array;
  readonly resetCount: Int32Array;
  /** Time the entry became active, s (NaN while inactive). */
  readonly sinceS: Float64Array;
  /** Time of the first sample of the violation that set it (sinceS − violatingSinceS ≈ the set delay). */
  readonly violatingSinceS: Float64Array;
  /** Start of the current violation streak while not yet active, s. */
  readonly streakStart: Float64Array;
  /** Worst signal value while active (the value at activation, then any worse one). */
  readonly value: Float64Array;
  /** Group, sensor, contactor or task index of the worst value (−1 for pack-level signals). */
  readonly location: Int32Array;
  /** Number of set and reset transitions so far (for logging; changes when the alarm list changes). */
  transitions = 0;

  constructor(n: number) {
    this.active = new Uint8Array(n);
    this.setCount = new Int32Array(n);
    this.resetCount = new Int32Array(n);
    this.sinceS = new Float64Array(n).fill(Number.NaN);
    this.violatingSinceS = new Float64Array(n).fill(Number.NaN);
    this.streakStart = new Float64Array(n).fill(Number.NaN);
    this.value = new Float64Array(n).fill(Number.NaN);
    this.location = new Int32Array(n).fill(-1);
  }
}

/** Signal values and locations of one evaluation, indexed like SIGNALS. */
export class SignalFrame {
  readonly value = new Float64Array(SIGNALS.length).fill(Number.NaN);
  readonly location = new Int32Array(SIGNALS.length).fill(-1);

  set(s: number, value: number, location = -1): void {
    this.value[s] = value;
    this.location[s] = location;
  }
}

/** One transition of an entry, for the log. */
export interface DiagnosisEvent {
  timeS: number;
  id: string;
  set: boolean;
  value: number;
  location: number;
}

/**
 * Evaluates the entries of `task` against the signals. Returns the number of entries that changed state;
 * `onChange` (optional) hears each transition.
 */
export function evaluateDiagnosis(
  table: DiagnosisTable,
  state: DiagnosisState,
  task: number,
  frame: SignalFrame,
  /** The pack's current direction for gated entries: 1 charging, −1 discharging, 0 at rest. */
  direction: number,
  timeS: number,
  onChange?: (entry: number, set: boolean) => void,
): number {
  const idx = table.byTask[task];
  let changes = 0;
  for (let j = 0; j < idx.length; j++) {
    const i = idx[j];
    const s = table.signal[i];
    const g = table.gate[i];
    const gateOpen = g === 0 || (g === 1 ? direction > 0 : g === 2 ? direction <= 0 : direction < 0);
    const v = frame.value[s];
    const above = table.above[i] === 1;
    if (state.active[i] === 0) {
      const violating = gateOpen && (above ? v > table.threshold[i] : v < table.threshold[i]);
      if (violating) {
        if (state.setCount[i] === 0) state.streakStart[i] = timeS;
        state.setCount[i]++;
        if (state.setCount[i] > table.setTicks[i]) {
          state.active[i] = 1;
          state.violatingSinceS[i] = state.streakStart[i];
          state.setCount[i] = 0;
          state.resetCount[i] = 0;
          state.sinceS[i] = timeS;
          state.value[i] = v;
          state.location[i] = frame.location[s];
          changes++;
          onChange?.(i, true);
        }
      } else state.setCount[i] = 0;
      continue;
    }
    // Active: track the worst value, then look for a reset.
    if (gateOpen && (above ? v > state.value[i] : v < state.value[i])) {
      state.value[i] = v;
      state.location[i] = frame.location[s];
    }
    if (table.latching[i] === 1) continue;
    const clear = !gateOpen || (above ? v < table.resetThreshold[i] : v > table.resetThreshold[i]);
    if (clear) {
      state.resetCount[i]++;
      if (state.resetCount[i] > table.resetTicks[i]) {
        state.active[i] = 0;
        state.resetCount[i] = 0;
        state.sinceS[i] = Number.NaN;
        changes++;
        onChange?.(i, false);
      }
    } else state.resetCount[i] = 0;
  }
  state.transitions += changes;
  return changes;
}

/** Releases latched entries (an operator reset); they set again if their condition persists. */
export function clearLatched(table: DiagnosisTable, state: DiagnosisState): number {
  let n = 0;
  for (let i = 0; i < table.n; i++)
    if (table.latching[i] === 1 && state.active[i] === 1) {
      state.active[i] = 0;
      state.setCount[i] = 0;
      state.resetCount[i] = 0;
      state.sinceS[i] = Number.NaN;
      n++;
    }
  state.transitions += n;
  return n;
}

/** The reactions of all active entries, folded. */
export interface ReactionSet {
  openContactors: boolean;
  stopCharge: boolean;
  stopDischarge: boolean;
  derateCharge: boolean;
  derateDischarge: boolean;
  /** Index of the first active entry behind each flag (−1 if none), to give limits a reason. */
  openBy: number;
  stopChargeBy: number;
  stopDischargeBy: number;
  derateChargeBy: number;
  derateDischargeBy: number;
}

export function emptyReactions(): ReactionSet {
  return {
    openContactors: false,
    stopCharge: false,
    stopDischarge: false,
    derateCharge: false,
    derateDischarge: false,
    openBy: -1,
    stopChargeBy: -1,
    stopDischargeBy: -1,
    derateChargeBy: -1,
    derateDischargeBy: -1,
  };
}

/** Folds the active entries' reactions into `out` (no allocation). */
export function foldReactions(table: DiagnosisTable, state: DiagnosisState, out: ReactionSet): ReactionSet {
  out.openContactors = out.stopCharge = out.stopDischarge = out.derateCharge = out.derateDischarge = false;
  out.openBy = out.stopChargeBy = out.stopDischargeBy = out.derateChargeBy = out.derateDischargeBy = -1;
  for (let i = 0; i < table.n; i++) {
    if (state.active[i] === 0) continue;
    const r: Reaction = table.entries[i].reaction;
    if (r === "openContactors" && !out.openContactors) {
      out.openContactors = true;
      out.openBy = i;
    }
    if ((r === "stopCharge" || r === "stopBoth") && !out.stopCharge) {
      out.stopCharge = true;
      out.stopChargeBy = i;
    }
    if ((r === "stopDischarge" || r === "stopBoth") && !out.stopDischarge) {
      out.stopDischarge = true;
      out.stopDischargeBy = i;
    }
    if ((r === "derateCharge" || r === "derateBoth") && !out.derateCharge) {
      out.derateCharge = true;
      out.derateChargeBy = i;
    }
    if ((r === "derateDischarge" || r === "derateBoth") && !out.derateDischarge) {
      out.derateDischarge = true;
      out.derateDischargeBy = i;
    }
  }
  return out;
}

/** An active alarm as people read it: what, where, since when, and why. */
export interface Alarm {
  id: string;
  severity: Severity;
  signal: SignalName;
  /** "group 17", "sensor 3", "contactor positive", "task 100ms" or "pack". */
  where: string;
  location: number;
  sinceS: number;
  /** When the violation that set it began (sinceS minus the debounce). */
  violatingSinceS: number;
  value: number;
  threshold: number;
  reason: string;
  /** One line: `fault cellVoltageHigh.msl at group 17 since 12.30 s: 4.19 V > 4.185 V (…reason…)`. */
  text: string;
}

function describeLocation(signal: SignalName, location: number): string {
  const where = SIGNAL_INFO[signal].where;
  if (location < 0 || where === "pack") return "pack";
  if (where === "contactor")
    return `contactor ${["positive", "negative", "precharge"][location] ?? location}`;
  if (where === "task") return `task ${TASK_NAMES[location] ?? location}`;
  return `${where} ${location}`;
}

/** The active entries as alarms, most severe first, then by id. */
export function activeAlarms(
  table: DiagnosisTable,
  state: DiagnosisState,
  toDisplay = displayValue,
): Alarm[] {
  const rank: Record<Severity, number> = { fault: 0, alarm: 1, warning: 2 };
  const out: Alarm[] = [];
  for (let i = 0; i < table.n; i++) {
    if (state.active[i] === 0) continue;
    const e = table.entries[i];
    const where = describeLocation(e.signal, state.location[i]);
    const v = toDisplay(e.signal, state.value[i]);
    const th = toDisplay(e.signal, e.threshold);
    out.push({
      id: e.id,
      severity: e.severity,
      signal: e.signal,
      where,
      location: state.location[i],
      sinceS: state.sinceS[i],
      violatingSinceS: state.violatingSinceS[i],
      value: state.value[i],
      threshold: e.threshold,
      reason: e.reason,
      text: `${e.severity} ${e.id} at ${where} since ${state.sinceS[i].toFixed(2)} s: ${v} ${e.above ? ">" : "<"} ${th} (${e.reason})`,
    });
  }
  return out.sort((a, b) => rank[a.severity] - rank[b.severity] || a.id.localeCompare(b.id));
}

/** A value in the units of configuration files, for messages. */
export function displayValue(signal: SignalName, v: number): string {
  const unit = SIGNAL_INFO[signal].unit;
  if (unit === "°C") return `${(v - 273.15).toFixed(2)} °C`;
  if (unit === "count" || unit === "0/1") return String(v);
  if (unit === "ratio") return v.toFixed(2);
  return `${Number(v.toPrecision(5))} ${unit}`;
}

export type { TaskName };
