/**
 * The live session: a twin + controller simulation advanced in real time (or `speed` times faster), publishing a
 * telemetry frame at a fixed wall-clock rate and the session's events as they happen.
 *
 * Pure TypeScript (timers and `performance.now` exist in browsers too), so the static in-browser page runs the
 * very same session as the server.
 */
import type { ContactorState, HostLimits } from "../twin/interfaces.ts";

/** One telemetry frame, compact JSON: SI units, `null` where a value is unknown. */
export interface TelemetryFrame {
  seq: number;
  /** Session time, s. */
  timeS: number;
  wallMs: number;
  paused: boolean;
  /** Session seconds per wall second asked for, and achieved over the last seconds (lower when the machine cannot keep up). */
  speed: number;
  achievedSpeed: number;
  /** Controller state name. */
  mode: string;
  pack: {
    voltageV: number | null;
    currentA: number | null;
    socEstimate: number | null;
    socTrue: number | null;
    soh: number | null;
  };
  /** One entry per series group. */
  groups: {
    voltageV: (number | null)[];
    /** Hottest cell of the group (truth), K. */
    tempK: (number | null)[];
    /** Mean state of charge of the group's cells (truth), 0…1. */
    soc: (number | null)[];
    /** 1 while the group's bleed resistor is on. */
    bleed: number[];
  };
  limits: HostLimits & { chargeReason: string; dischargeReason: string };
  alarms: AlarmView[];
  contactors: ContactorState;
  ambientK: number;
  coolantInletK: number | null;
  faults: ActiveFault[];
}

export interface AlarmView {
  id: string;
  /** "warning", "alarm" or "fault". */
  severity: string;
  /** What it means and what the BMS does about it. */
  text: string;
}

/** What the simulation itself reports each frame (the session adds sequence, times, pause and speed). */
export type SimulationFrame = Omit<TelemetryFrame, "seq" | "wallMs" | "paused" | "speed" | "achievedSpeed">;

export interface SessionEvent {
  timeS: number;
  /** "alarm", "alarm-cleared", "mode", "fault", "fault-cleared", "control". */
  kind: string;
  name: string;
  detail?: unknown;
}

/** A fault the simulation can inject, described for validation and for the dashboard's controls. */
export interface FaultKind {
  kind: string;
  description: string;
  /** What the fault acts on: a series group, a temperature sensor, or the pack as a whole. */
  target: "group" | "sensor" | "pack";
  /** The fault's magnitude, if it has one. */
  value?: { name: string; unit: string; min: number; max: number; default: number };
}

export interface FaultRequest {
  kind: string;
  group?: number;
  sensor?: number;
  value?: number;
}

export interface ActiveFault extends FaultRequest {
  id: number;
  sinceS: number;
}

export interface SessionInfo {
  pack: { seriesGroups: number; parallelCells: number; tempSensors: number; cellCapacityAh: number };
  scenario: string;
  controller: string;
  seed: number;
}

/** A twin + controller pair that can be advanced, observed and disturbed. Synchronous and deterministic. */
export interface LiveSimulation {
  readonly info: SessionInfo;
  readonly faultKinds: readonly FaultKind[];
  readonly timeS: number;
  readonly ambientK: number;
  /** Advances the session time by `dtS` (the simulation takes its own steps). */
  advance(dtS: number): void;
  frame(): SimulationFrame;
  /** Events since the last call, oldest first. */
  drainEvents(): SessionEvent[];
  /** Injects a fault (already validated against `faultKinds` and the pack's size). */
  injectFault(request: FaultRequest): ActiveFault;
  /** Clears one fault, or all when `id` is undefined; returns how many were cleared. */
  clearFaults(id?: number): number;
  activeFaults(): ActiveFault[];
  setAmbientK(tempK: number): void;
}

export interface LiveSessionOptions {
  /** Session seconds per wall second. */
  speed?: number;
  /** Frames per wall second. */
  frameRateHz?: number;
  /** The longest session time advanced per tick, s (bounds the work when the speed is high or a tick was late). */
  maxAdvancePerTickS?: number;
  /** Session time advanced between checks of the time budget, s. */
  sliceS?: number;
  /** Wall clock, ms (injectable for tests). */
  now?: () => number;
}

export const SPEED_MIN = 0.1;
export const SPEED_MAX = 1000;

/** Runs a simulation in real time and fans its frames and events out to listeners. */
export class LiveSession {
  private speed: number;
  private paused = false;
  private achievedSpeed = 0;
  private seq = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private lastTickMs = 0;
  private latestFrame: TelemetryFrame | undefined;
  private readonly frameListeners = new Set<(f: TelemetryFrame) => void>();
  private readonly eventListeners = new Set<(e: SessionEvent) => void>();
  private readonly periodMs: number;
  private readonly maxAdvanceS: number;
  private readonly sliceS: number;
  private readonly now: () => number;

  constructor(
    readonly simulation: LiveSimulation,
    options: LiveSessionOptions = {},
  ) {
    this.speed = options.speed ?? 1;
    this.periodMs = 1000 / (options.frameRateHz ?? 10);
    this.maxAdvanceS = options.maxAdvancePerTickS ?? 60;
    this.sliceS = options.sliceS ?? 1;
    this.now = options.now ?? (() => performance.now());
  }

  get info(): SessionInfo {
    return this.simulation.info;
  }

  state(): { timeS: number; paused: boolean; speed: number; ambientK: number; faults: ActiveFault[] } {
    const s = this.simulation;
    return {
      timeS: s.timeS,
      paused: this.paused,
      speed: this.speed,
      ambientK: s.ambientK,
      faults: s.activeFaults(),
    };
  }

  start(): void {
    if (this.timer) return;
    this.lastTickMs = this.now();
    this.publish();
    this.timer = setInterval(() => this.tick(), this.periodMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Advances by the wall time since the last tick (times the speed) and publishes a frame. */
  tick(): void {
    const nowMs = this.now();
    const wallS = Math.max(0, (nowMs - this.lastTickMs) / 1000);
    this.lastTickMs = nowMs;
    const startS = this.simulation.timeS;
    if (!this.paused) {
      // In slices, stopping when most of the frame period is used: the server must stay responsive even when
      // the machine cannot keep up with the speed asked for (the session then runs slower than asked).
      let remainingS = Math.min(wallS * this.speed, this.maxAdvanceS);
      const budgetMs = 0.7 * this.periodMs;
      while (remainingS > 1e-9 && this.now() - nowMs < budgetMs) {
        const sliceS = Math.min(remainingS, this.sliceS);
        this.simulation.advance(sliceS);
        remainingS -= sliceS;
      }
    }
    // Smoothed over about two seconds of ticks.
    if (wallS > 0) {
      const now = this.paused ? 0 : (this.simulation.timeS - startS) / wallS;
      const w = Math.min(1, wallS / 2);
      this.achievedSpeed += w * (now - this.achievedSpeed);
    }
    this.publish();
  }

  private publish(): void {
    for (const e of this.simulation.drainEvents()) this.emit(e);
    const frame: TelemetryFrame = {
      ...this.simulation.frame(),
      seq: this.seq++,
      wallMs: Date.now(),
      paused: this.paused,
      speed: this.speed,
      achievedSpeed: Math.round(this.achievedSpeed * 100) / 100,
    };
    this.latestFrame = frame;
    for (const l of this.frameListeners) l(frame);
  }

  private emit(e: SessionEvent): void {
    for (const l of this.eventListeners) l(e);
  }

  private control(name: string, detail: unknown): void {
    this.emit({ timeS: this.simulation.timeS, kind: "control", name, detail });
  }

  latest(): TelemetryFrame | undefined {
    return this.latestFrame;
  }

  onFrame(listener: (f: TelemetryFrame) => void): () => void {
    this.frameListeners.add(listener);
    return () => this.frameListeners.delete(listener);
  }

  onEvent(listener: (e: SessionEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  setPaused(paused: boolean): void {
    this.paused = paused;
    this.lastTickMs = this.now();
    this.control(paused ? "pause" : "resume", { paused });
  }

  setSpeed(speed: number): void {
    if (!(speed >= SPEED_MIN && speed <= SPEED_MAX)) {
      throw new RangeError(`speed: got ${speed}, expected a number from ${SPEED_MIN} to ${SPEED_MAX}`);
    }
    this.speed = speed;
    this.control("speed", { speed });
  }

  setAmbientK(tempK: number): void {
    this.simulation.setAmbientK(tempK);
    this.control("ambient", { ambientK: tempK });
  }

  injectFault(request: FaultRequest): ActiveFault {
    const fault = this.simulation.injectFault(request);
    this.emit({ timeS: this.simulation.timeS, kind: "fault", name: fault.kind, detail: fault });
    return fault;
  }

  clearFaults(id?: number): number {
    const n = this.simulation.clearFaults(id);
    if (n > 0)
      this.emit({
        timeS: this.simulation.timeS,
        kind: "fault-cleared",
        name: id === undefined ? "all" : String(id),
        detail: { cleared: n },
      });
    return n;
  }
}
