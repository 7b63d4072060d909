// A small deterministic stand-in for the twin + controller, for tests of the server's plumbing (auth, validation,
// fan-out, history). Its frame shows its own state, so a test can tell whether a request changed anything.
import type {
  ActiveFault,
  FaultKind,
  FaultRequest,
  LiveSimulation,
  SessionEvent,
  SimulationFrame,
} from "@coxswain/core/live/session";

export const GROUPS = 4;

export class ScriptedSimulation implements LiveSimulation {
  readonly info = {
    pack: { seriesGroups: GROUPS, parallelCells: 2, tempSensors: 3, cellCapacityAh: 5 },
    scenario: "scripted",
    controller: "none",
    seed: 1,
  };
  readonly faultKinds: FaultKind[] = [
    { kind: "sensor-open", description: "temperature sensor reads open circuit", target: "sensor" },
    {
      kind: "cell-short",
      description: "soft internal short in one group",
      target: "group",
      value: { name: "short resistance", unit: "Ω", min: 0.1, max: 1000, default: 10 },
    },
    { kind: "comms-loss", description: "monitoring link lost", target: "pack" },
  ];
  timeS = 0;
  ambientK = 298.15;
  advanced: number[] = [];
  private faults: ActiveFault[] = [];
  private nextId = 1;
  private events: SessionEvent[] = [];

  advance(dtS: number): void {
    this.advanced.push(dtS);
    this.timeS += dtS;
  }

  frame(): SimulationFrame {
    const alarms = this.faults.map((f) => ({
      id: `${f.kind}`,
      severity: "fault",
      text: `fault ${f.kind} active`,
    }));
    return {
      timeS: this.timeS,
      mode: this.faults.length ? "fault" : "drive",
      pack: { voltageV: 14.8, currentA: -2, socEstimate: 0.5, socTrue: 0.51, soh: null },
      groups: {
        voltageV: Array.from({ length: GROUPS }, (_, g) => 3.7 + g * 0.001),
        tempK: Array.from({ length: GROUPS }, () => this.ambientK),
        soc: Array.from({ length: GROUPS }, () => 0.51),
        bleed: Array.from({ length: GROUPS }, () => 0),
      },
      limits: {
        chargeCurrentMaxA: this.faults.length ? 0 : 10,
        dischargeCurrentMaxA: this.faults.length ? 0 : 20,
        chargeVoltageMaxV: 16.8,
        dischargeVoltageMinV: 10,
        chargeReason: this.faults.length ? "fault" : "cell rating",
        dischargeReason: this.faults.length ? "fault" : "cell rating",
      },
      alarms,
      contactors: { positive: true, negative: true, precharge: false },
      ambientK: this.ambientK,
      coolantInletK: null,
      faults: this.activeFaults(),
    };
  }

  drainEvents(): SessionEvent[] {
    const out = this.events;
    this.events = [];
    return out;
  }

  injectFault(request: FaultRequest): ActiveFault {
    const f = { ...request, id: this.nextId++, sinceS: this.timeS };
    this.faults.push(f);
    this.events.push({ timeS: this.timeS, kind: "alarm", name: request.kind });
    return f;
  }

  clearFaults(id?: number): number {
    const before = this.faults.length;
    this.faults = this.faults.filter((f) => id !== undefined && f.id !== id);
    return before - this.faults.length;
  }

  activeFaults(): ActiveFault[] {
    return this.faults.map((f) => ({ ...f }));
  }

  setAmbientK(tempK: number): void {
    this.ambientK = tempK;
  }
}
