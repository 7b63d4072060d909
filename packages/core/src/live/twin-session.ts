/**
 * The twin + controller pair as a live simulation: the twin's step API (`Twin`) advanced on demand, its state
 * read into telemetry frames, faults injected and cleared while it runs.
 *
 * Pure TypeScript (the static in-browser page runs it too). Imports go to the core's modules directly so a
 * browser bundle does not pull in the whole core.
 */
import type { Alarm } from "../bms/diagnosis.ts";
import type { CellModel } from "../cell/params.ts";
import { applyFault, type HostFaults } from "../twin/faults.ts";
import type { Controller, ControllerOutput } from "../twin/interfaces.ts";
import { Twin, type TwinResources } from "../twin/runner.ts";
import type { FaultSpec, Scenario } from "../twin/scenario.ts";
import type {
  ActiveFault,
  AlarmView,
  FaultKind,
  FaultRequest,
  LiveSimulation,
  SessionEvent,
  SessionInfo,
  SimulationFrame,
} from "./session.ts";

/** Faults offered live, each mapped onto the twin's fault specification. */
export const LIVE_FAULTS: readonly (FaultKind & { spec: (r: FaultRequest) => Omit<FaultSpec, "atS"> })[] = [
  {
    kind: "internal-short",
    description: "soft internal short in cell 0 of a group: the group self-discharges and heats",
    target: "group",
    value: { name: "short resistance", unit: "Ω", min: 0.01, max: 1e4, default: 0.5 },
    spec: (r) => ({ kind: "internal-short", group: r.group, cell: 0, ohm: r.value ?? 0.5 }),
  },
  {
    kind: "open-cell",
    description: "cell 0 of a group disconnects: the group's capacity drops and its voltage swings more",
    target: "group",
    spec: (r) => ({ kind: "open-cell", group: r.group, cell: 0 }),
  },
  {
    kind: "open-wire",
    description: "the upper sense wire of a group opens: its voltage reading becomes invalid",
    target: "group",
    spec: (r) => ({ kind: "open-wire", group: r.group }),
  },
  {
    kind: "voltage-stuck",
    description: "a group's voltage reading freezes at its present value",
    target: "group",
    spec: (r) => ({ kind: "sensor-stuck", signal: "group-voltage", index: r.group }),
  },
  {
    kind: "temperature-bias",
    description: "a temperature sensor reads off by a fixed amount",
    target: "sensor",
    value: { name: "bias", unit: "K", min: -100, max: 100, default: 40 },
    spec: (r) => ({ kind: "temperature-bias", index: r.sensor, biasK: r.value ?? 40 }),
  },
  {
    kind: "temperature-dropped",
    description: "a temperature sensor stops reporting",
    target: "sensor",
    spec: (r) => ({ kind: "sensor-dropped", signal: "temperature", index: r.sensor }),
  },
  {
    kind: "current-dropped",
    description: "the pack current sensor stops reporting",
    target: "pack",
    spec: () => ({ kind: "sensor-dropped", signal: "current" }),
  },
  {
    kind: "insulation",
    description: "insulation resistance between the HV system and chassis drops",
    target: "pack",
    value: { name: "insulation resistance", unit: "Ω", min: 1, max: 1e8, default: 20000 },
    spec: (r) => ({ kind: "insulation", ohm: r.value ?? 20000 }),
  },
  {
    kind: "welded-contactor",
    description: "the positive main contactor welds: it stays closed when commanded open",
    target: "pack",
    spec: () => ({ kind: "welded-contactor", contactor: "positive" }),
  },
  {
    kind: "pump-failure",
    description: "the coolant pump stops whatever it is commanded",
    target: "pack",
    spec: () => ({ kind: "pump-failure" }),
  },
  {
    kind: "comms-lost",
    description: "the link to the monitoring hardware drops: every reading ages",
    target: "pack",
    spec: () => ({ kind: "comms-lost" }),
  },
];

/** What the reference controller's alarm identifiers mean (the BMS controller explains its own alarms). */
const REFERENCE_ALARMS: Record<string, string> = {
  "measurement-invalid": "a voltage or temperature reading is invalid or the link is down",
  "cell-overvoltage": "a group reads above the cell maximum + 50 mV: contactors open",
  "cell-undervoltage": "a group reads below the cell minimum − 100 mV: contactors open",
  "over-temperature": "a temperature reads above the discharge maximum: contactors open",
  "insulation-low": "insulation below 100 Ω/V: contactors open",
  "comms-or-current-lost": "no link or no current reading: contactors open",
};

/** A controller wrapper that remembers the latest state, so the session can show the controller's view. */
function observed<S>(inner: Controller<S>): { controller: Controller<S>; latest: () => S | undefined } {
  let last: S | undefined;
  return {
    latest: () => last,
    controller: {
      name: inner.name,
      periodS: inner.periodS,
      init(pack) {
        last = inner.init(pack);
        return last;
      },
      step(state, m, t): ControllerOutput<S> {
        const out = inner.step(state, m, t);
        last = out.state;
        return out;
      },
    },
  };
}

/** The parts of a BMS controller's state the dashboard shows, when the controller has them. */
interface ControllerView {
  /** Per-group SOC estimates; `ready` false until the estimator has its first valid readings. */
  estimator?: { soc?: Float64Array; ready?: boolean };
  limits?: { chargeReason?: string; dischargeReason?: string };
  soh?: number;
}

export interface TwinSimulationOptions {
  scenario: Scenario;
  model: CellModel;
  resources: TwinResources;
  /** The controller; the twin's reference controller when undefined. */
  controller?: Controller<unknown>;
  /** Explains alarms from the controller's state (the BMS controller's `alarms`). */
  explainAlarms?: (state: unknown) => Alarm[];
  /** Run the scenario's phases this many times back to back (a live demo should not stop). */
  repeatPhases?: number;
  /** Step the twin and sample its sensors at least this often, so the controller runs at its own period, s. */
  controlPeriodS?: number;
}

const round = (x: number, digits: number): number | null => {
  if (!Number.isFinite(x)) return null;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

export class TwinSimulation implements LiveSimulation {
  readonly twin: Twin;
  readonly info: SessionInfo;
  readonly faultKinds: readonly FaultKind[] = LIVE_FAULTS.map(({ spec: _spec, ...k }) => k);
  private readonly latestState: () => unknown;
  private readonly explain: ((state: unknown) => Alarm[]) | undefined;
  private readonly faults: (ActiveFault & { spec: FaultSpec })[] = [];
  private readonly hostFaults: HostFaults = { ignoresLimits: false };
  private nextFaultId = 1;
  private pending: SessionEvent[] = [];
  private lastAlarms = new Set<string>();
  private lastMode = "";
  // Per-group scratch for frames.
  private readonly groupTempK: Float64Array;
  private readonly groupSoc: Float64Array;

  constructor(o: TwinSimulationOptions) {
    const repeat = o.repeatPhases ?? 1;
    // Live sessions keep no run record in memory (it would grow for as long as the session runs).
    const period = o.controlPeriodS;
    const scenario: Scenario = {
      ...o.scenario,
      recordEveryS: Number.MAX_VALUE,
      phases: Array.from({ length: repeat }, () => o.scenario.phases)
        .flat()
        .map((p) =>
          period !== undefined && p.stepS !== undefined ? { ...p, stepS: Math.min(p.stepS, period) } : p,
        ),
      ...(period === undefined
        ? {}
        : {
            stepS: Math.min(o.scenario.stepS, period),
            sensors: {
              ...o.scenario.sensors,
              samplePeriodS: Math.min(o.scenario.sensors.samplePeriodS, period),
            },
          }),
    };
    const watched = o.controller ? observed(o.controller) : undefined;
    this.twin = new Twin(scenario, o.model, o.resources, watched?.controller);
    this.latestState = watched?.latest ?? (() => undefined);
    this.explain = o.explainAlarms;
    this.groupTempK = new Float64Array(this.twin.pack.ns);
    this.groupSoc = new Float64Array(this.twin.pack.ns);
    this.info = {
      pack: {
        seriesGroups: this.twin.info.seriesGroups,
        parallelCells: this.twin.info.parallelCells,
        tempSensors: this.twin.info.tempSensors.length,
        cellCapacityAh: this.twin.info.cellCapacityAh,
      },
      scenario: o.scenario.name,
      controller: this.twin.controller.name,
      seed: o.scenario.seed,
    };
  }

  get timeS(): number {
    return this.twin.timeS;
  }

  get ambientK(): number {
    return this.twin.pack.ambientK;
  }

  advance(dtS: number): void {
    this.twin.advance(dtS);
    for (const e of this.twin.events.splice(0)) {
      // Controller alarms become "alarm" events below, with their clearing too.
      if (!e.what.startsWith("controller alarm:"))
        this.pending.push({ timeS: e.timeS, kind: "twin", name: e.what });
    }
    this.watchController();
  }

  /** Alarm and mode changes become events. */
  private watchController(): void {
    const s = this.twin.status;
    const t = this.twin.timeS;
    if (s.mode !== this.lastMode) {
      this.pending.push({ timeS: t, kind: "mode", name: s.mode, detail: { from: this.lastMode } });
      this.lastMode = s.mode;
    }
    const now = new Set(s.alarms);
    for (const a of now) if (!this.lastAlarms.has(a)) this.pending.push({ timeS: t, kind: "alarm", name: a });
    for (const a of this.lastAlarms)
      if (!now.has(a)) this.pending.push({ timeS: t, kind: "alarm-cleared", name: a });
    this.lastAlarms = now;
  }

  drainEvents(): SessionEvent[] {
    const out = this.pending;
    this.pending = [];
    return out;
  }

  private alarms(): AlarmView[] {
    const state = this.latestState();
    if (this.explain && state !== undefined) {
      return this.explain(state).map((a) => ({ id: a.id, severity: a.severity, text: a.text }));
    }
    return this.twin.status.alarms.map((id) => ({
      id,
      severity: "fault",
      text: REFERENCE_ALARMS[id] ?? id,
    }));
  }

  frame(): SimulationFrame {
    const tw = this.twin;
    const p = tw.pack;
    const cells = p.cells;
    const np = p.np;
    let socSum = 0;
    for (let g = 0; g < p.ns; g++) {
      let hot = Number.NEGATIVE_INFINITY;
      let soc = 0;
      for (let i = g * np; i < (g + 1) * np; i++) {
        if (cells.tCellK[i] > hot) hot = cells.tCellK[i];
        soc += cells.soc[i];
      }
      this.groupTempK[g] = hot;
      this.groupSoc[g] = soc / np;
      socSum += soc;
    }
    const m = tw.measurements;
    const view = (this.latestState() ?? {}) as ControllerView;
    const estimate = view.estimator?.soc;
    let socEstimate = Number.NaN;
    if (estimate && estimate.length > 0 && view.estimator?.ready !== false) {
      socEstimate = 0;
      for (let g = 0; g < estimate.length; g++) socEstimate += estimate[g];
      socEstimate /= estimate.length;
    }
    const limits = tw.commands.limits;
    const reason = (r: string | undefined, limitA: number): string =>
      r ??
      (limitA === 0
        ? `${tw.controller.name} controller: ${tw.status.mode}`
        : `${tw.controller.name} controller: cell ratings`);
    const groupV: (number | null)[] = new Array(p.ns);
    for (let g = 0; g < p.ns; g++) {
      // As measured (null when invalid); before the first measurement frame, the plant's own voltages.
      if (!m) groupV[g] = round(p.groupVoltageV[g], 4);
      else groupV[g] = m.groupVoltageV.valid[g] ? round(m.groupVoltageV.value[g], 4) : null;
    }
    return {
      timeS: tw.timeS,
      mode: tw.status.mode,
      pack: {
        voltageV: round(p.packVoltageV, 3),
        currentA: round(p.stringCurrentA, 3),
        socEstimate: round(socEstimate, 5),
        socTrue: round(socSum / p.nCells, 5),
        soh: view.soh === undefined ? null : round(view.soh, 5),
      },
      groups: {
        voltageV: groupV,
        tempK: Array.from(this.groupTempK, (x) => round(x, 2)),
        soc: Array.from(this.groupSoc, (x) => round(x, 5)),
        bleed: Array.from(p.bleedOn),
      },
      limits: {
        chargeCurrentMaxA: limits.chargeCurrentMaxA,
        dischargeCurrentMaxA: limits.dischargeCurrentMaxA,
        chargeVoltageMaxV: limits.chargeVoltageMaxV,
        dischargeVoltageMinV: limits.dischargeVoltageMinV,
        chargeReason: reason(view.limits?.chargeReason, limits.chargeCurrentMaxA),
        dischargeReason: reason(view.limits?.dischargeReason, limits.dischargeCurrentMaxA),
      },
      alarms: this.alarms(),
      contactors: { ...p.contactorActual },
      ambientK: p.ambientK,
      coolantInletK: round(p.coolantInletK, 2),
      faults: this.activeFaults(),
    };
  }

  injectFault(request: FaultRequest): ActiveFault {
    const kind = LIVE_FAULTS.find((k) => k.kind === request.kind);
    if (!kind)
      throw new RangeError(
        `kind: got ${JSON.stringify(request.kind)}, expected one of ${LIVE_FAULTS.map((k) => k.kind).join(", ")}`,
      );
    const spec = { ...kind.spec(request), atS: this.twin.timeS } as FaultSpec;
    applyFault(spec, true, this.twin.pack, this.twin.sensors, this.hostFaults);
    const fault = { ...request, id: this.nextFaultId++, sinceS: this.twin.timeS };
    this.faults.push({ ...fault, spec });
    return fault;
  }

  clearFaults(id?: number): number {
    let cleared = 0;
    for (let k = this.faults.length - 1; k >= 0; k--) {
      const f = this.faults[k];
      if (id !== undefined && f.id !== id) continue;
      applyFault(f.spec, false, this.twin.pack, this.twin.sensors, this.hostFaults);
      this.faults.splice(k, 1);
      cleared++;
    }
    return cleared;
  }

  activeFaults(): ActiveFault[] {
    return this.faults.map(({ spec: _spec, ...f }) => f);
  }

  setAmbientK(tempK: number): void {
    this.twin.pack.ambientK = tempK;
  }
}
