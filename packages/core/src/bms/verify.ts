/**
 * Proving the controller on its twin: runs a scenario with the BMS controller in the loop and scores it against
 * the truth the controller never sees — every cell's terminal voltage and core temperature, the string current
 * — checked every plant step against the maximum safety limits (MSL) of the configuration:
 *
 *  - cell voltage within [cellVoltageLow.msl, cellVoltageHigh.msl];
 *  - core temperature at most dischargeTempHigh.msl and at least dischargeTempLow.msl while the cell
 *    discharges; within the charge window [chargeTempLow.msl, chargeTempHigh.msl] while it charges (a cell
 *    counts as charging or discharging when its electrochemical current — terminal current less any internal
 *    short's leak — exceeds C/20 and the string current, which the BMS controls, exceeds Np·C/20 the same way;
 *    the currents that equalise parallel cells inside a group are physics no BMS can switch);
 *  - string current within the pack current MSLs.
 *
 * It records when every diagnosis entry first set and when the contactors were first commanded open after
 * having been closed, so fault campaigns can measure detection and reaction times.
 */
import type { CellModel } from "../cell/params.ts";
import type { Controller, PackInfo } from "../twin/interfaces.ts";
import { Twin, type TwinResources } from "../twin/runner.ts";
import type { Scenario } from "../twin/scenario.ts";
import { type BmsConfig, defaultBmsConfig } from "./config.ts";
import {
  type BmsController,
  type BmsControllerOptions,
  type BmsState,
  createBmsController,
} from "./controller.ts";

/** How far the truth went past a maximum safety limit (≤ 0: never reached it; the margin left). */
export interface Excursion {
  /** Largest value of (truth − MSL) for upper limits, (MSL − truth) for lower ones, in the limit's unit. */
  byV: number;
  byK: number;
  byA: number;
  /** What and where the worst excursion (or the smallest margin) was. */
  worst: string;
}

export interface BmsRunResult {
  config: BmsConfig;
  info: PackInfo;
  /** Entry id → time it first set, s. */
  firstSetS: Map<string, number>;
  /** First time the contactors were commanded open after having been closed (NaN if never). */
  openedS: number;
  /** First time the contactors reached "closed" (NaN if never). */
  closedS: number;
  /** First time `signature` held (NaN if never). */
  signatureS: number;
  excursion: Excursion;
  /** Whether any fault-severity entry ever set. */
  faultSeen: boolean;
  endS: number;
  twin: Twin;
  state: BmsState;
}

export interface BmsRunOptions {
  /** Configuration from the pack (default: defaultBmsConfig for the scenario's cell). */
  config?: (pack: PackInfo) => BmsConfig;
  /** The controller's call period, s (default 0.01; must match the configuration's base period). */
  periodS?: number;
  /** The SOC estimator (default: the controller's coulomb counter). */
  estimator?: BmsControllerOptions["estimator"];
  resources?: TwinResources;
  /** Called before every plant step (e.g. to request a host shutdown at some time). */
  beforeStep?: (twin: Twin, controller: BmsController, state: BmsState) => void;
  /** A truth condition that makes the fault detectable; its first time is reported. */
  signature?: (twin: Twin) => boolean;
  /** Stop this long after the contactors opened, s (default: run the scenario to its end). */
  stopAfterOpenS?: number;
  /** Stop when this holds after a step (state, time). */
  stopWhen?: (state: BmsState, timeS: number) => boolean;
}

/** Runs `scenario` with the BMS controller (a repeatable clock: task durations read as zero). */
export function runBmsOnTwin(scenario: Scenario, model: CellModel, o: BmsRunOptions = {}): BmsRunResult {
  const makeConfig = o.config ?? ((p: PackInfo) => defaultBmsConfig(p, model));
  const bms = createBmsController({
    config: makeConfig,
    clock: () => 0,
    estimator: o.estimator,
    periodS: o.periodS,
  });
  let state: BmsState | null = null;
  // The twin keeps the controller state private; this wrapper keeps a handle on it for scoring.
  const wrapped: Controller<BmsState> = {
    name: bms.name,
    periodS: bms.periodS,
    init(pack) {
      state = bms.init(pack);
      return state;
    },
    step: (s, m, t) => bms.step(s, m, t),
  };
  const twin = new Twin(
    scenario,
    model,
    o.resources ?? { speedSchedules: {} },
    wrapped as Controller<unknown>,
  );
  const st = state as unknown as BmsState;
  const cfg = st.config;
  const L = cfg.limits;
  const p = twin.pack;
  const np = p.np;
  const n = p.nCells;
  const flowing = 0.05 * model.capacityAh;
  let byV = -Infinity;
  let byK = -Infinity;
  let byA = -Infinity;
  let worstV = "";
  let worstK = "";
  let worstA = "";
  const firstSetS = new Map<string, number>();
  let seenTransitions = 0;
  let openedS = Number.NaN;
  let closedS = Number.NaN;
  let signatureS = Number.NaN;
  let faultSeen = false;
  const v = p.cellVoltageV;
  const tk = p.cells.tCellK;
  const ic = p.cellCurrentA;
  const leak = p.cells.leakA;
  while (!twin.done) {
    o.beforeStep?.(twin, bms, st);
    // Checked before the step: faults switch on at the start of a step, as the controller sees them.
    if (Number.isNaN(signatureS) && o.signature?.(twin)) signatureS = twin.timeS;
    twin.step();
    const t = twin.timeS;
    // Truth against the MSLs, every cell, every step. Charge and discharge windows apply to cells that the
    // string current charges or discharges (not to the equalising currents inside a group at rest).
    const packCharging = p.stringCurrentA > np * flowing;
    const packDischarging = p.stringCurrentA < -np * flowing;
    for (let i = 0; i < n; i++) {
      if (p.openCell[i] === 1) continue;
      const over = v[i] - L.cellVoltageHigh.msl;
      const under = L.cellVoltageLow.msl - v[i];
      const dv = over > under ? over : under;
      if (dv > byV) {
        byV = dv;
        worstV = `cell voltage ${v[i].toFixed(4)} V at group ${Math.floor(i / np)} cell ${i % np}, ${t.toFixed(2)} s`;
      }
      // The electrochemical current: terminal current less an internal short's leak.
      const net = ic[i] - leak[i];
      let dk = tk[i] - L.dischargeTempHigh.msl;
      if (net > flowing && packCharging)
        dk = Math.max(dk, tk[i] - L.chargeTempHigh.msl, L.chargeTempLow.msl - tk[i]);
      else if (net < -flowing && packDischarging) dk = Math.max(dk, L.dischargeTempLow.msl - tk[i]);
      if (dk > byK) {
        byK = dk;
        worstK = `core temperature ${(tk[i] - 273.15).toFixed(2)} °C at group ${Math.floor(i / np)} cell ${i % np} (current ${ic[i].toFixed(2)} A), ${t.toFixed(2)} s`;
      }
    }
    const is = p.stringCurrentA;
    const da = is > 0 ? is - L.chargeCurrent.msl : -is - L.dischargeCurrent.msl;
    if (da > byA) {
      byA = da;
      worstA = `string current ${is.toFixed(2)} A at ${t.toFixed(2)} s`;
    }
    // Controller events.
    if (st.diag.transitions !== seenTransitions) {
      seenTransitions = st.diag.transitions;
      for (let k = 0; k < st.table.n; k++)
        if (st.diag.active[k] === 1) {
          const e = st.table.entries[k];
          if (!firstSetS.has(e.id)) firstSetS.set(e.id, st.diag.sinceS[k]);
          if (e.severity === "fault") faultSeen = true;
        }
    }
    const mode = st.contactors.mode;
    if (Number.isNaN(closedS) && mode === "closed") closedS = t;
    if (!Number.isNaN(closedS) && Number.isNaN(openedS) && !st.commands.contactors.positive)
      openedS = st.lastTimeS;
    if (o.stopAfterOpenS !== undefined && !Number.isNaN(openedS) && t >= openedS + o.stopAfterOpenS) break;
    if (o.stopWhen?.(st, t)) break;
  }
  const rel = [
    { by: byV, text: worstV, unit: "V" },
    { by: byK, text: worstK, unit: "K" },
    { by: byA / 100, text: worstA, unit: "A" },
  ].sort((a, b) => b.by - a.by)[0];
  return {
    config: cfg,
    info: twin.info,
    firstSetS,
    openedS,
    closedS,
    signatureS,
    excursion: { byV, byK, byA, worst: rel.text },
    faultSeen,
    endS: twin.timeS,
    twin,
    state: st,
  };
}
