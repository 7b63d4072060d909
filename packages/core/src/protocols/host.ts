/**
 * What the BMS tells the outside world (inverter, charger, vehicle, energy manager, MQTT), and the plugin
 * interface for the CAN protocols that carry it. `HostStatus` is SI and fractions throughout; each protocol
 * scales to its own units (0.1 V, 0.1 A, %, °C, …) inside its codec only.
 *
 * Adding a protocol: implement `HostProtocol` (encode the status into frames, optionally read the host's
 * frames), then `registerHostProtocol(name, factory)`. The controller picks it by name from its configuration.
 */
import type { CanFrame } from "../can/frame.ts";
import { ALARM_CATEGORIES, type AlarmCategory, type ContactorState } from "./dbc-text.ts";

export { ALARM_CATEGORIES, type AlarmCategory, CONTACTOR_STATES, type ContactorState } from "./dbc-text.ts";

export type AlarmFlags = Record<AlarmCategory, boolean>;

export const noAlarms = (): AlarmFlags =>
  Object.fromEntries(ALARM_CATEGORIES.map((c) => [c, false])) as AlarmFlags;

export interface HostRequests {
  chargeEnable: boolean;
  dischargeEnable: boolean;
  /** Ask the inverter to charge from any source (e.g. the grid) now: the pack is nearly empty. */
  forceCharge: boolean;
  /** Ask for a full charge (to recalibrate SOC or balance at the top). */
  fullCharge: boolean;
}

export interface HostStatus {
  packVoltage_V: number;
  /** Positive = charge. */
  packCurrent_A: number;
  /** Fractions 0…1. */
  soc: number;
  soh: number;
  minCellVoltage_V: number;
  /** 0-based series-group index. */
  minCellVoltageGroup: number;
  maxCellVoltage_V: number;
  maxCellVoltageGroup: number;
  minTemp_K: number;
  /** 0-based temperature-sensor index. */
  minTempSensor: number;
  maxTemp_K: number;
  maxTempSensor: number;
  /** The voltage the charger must not exceed. */
  chargeVoltageLimit_V: number;
  /** The voltage below which discharge must stop. */
  dischargeVoltageLimit_V: number;
  /** Limits as magnitudes (≥ 0). */
  chargeCurrentLimit_A: number;
  dischargeCurrentLimit_A: number;
  /** Approaching a limit: the host should back off. */
  warnings: AlarmFlags;
  /** A limit is violated and protection acts (or will): the host must stop. */
  alarms: AlarmFlags;
  requests: HostRequests;
  contactors: ContactorState;
  /** Number of battery modules (monitoring boards) online. */
  moduleCount: number;
  /** Per series group, 0-based. */
  groupVoltages_V: Float64Array;
}

/** What a protocol learned from a frame the host sent. */
export type HostEvent =
  | { kind: "keep-alive"; time_s: number }
  | { kind: "contactor-request"; request: "none" | "open" | "close"; time_s: number };

export interface HostProtocol {
  readonly name: string;
  readonly description: string;
  /** How often the frames should be sent. */
  readonly period_s: number;
  /** After this long without a host frame the host is considered gone (undefined: the host sends nothing). */
  readonly hostTimeout_s?: number;
  /** The frames carrying a status, in transmission order. Values out of a field's range are clamped. */
  encode(status: HostStatus): CanFrame[];
  /** Interprets a frame from the host; undefined if the frame is not for this protocol. */
  receive(frame: CanFrame, time_s: number): HostEvent | undefined;
}

const registry = new Map<string, () => HostProtocol>();

export function registerHostProtocol(name: string, factory: () => HostProtocol): void {
  if (registry.has(name)) throw new Error(`host protocol ${JSON.stringify(name)} is already registered`);
  registry.set(name, factory);
}

export function hostProtocolNames(): string[] {
  return [...registry.keys()].sort();
}

export function createHostProtocol(name: string): HostProtocol {
  const f = registry.get(name);
  if (!f)
    throw new Error(
      `host protocol: got ${JSON.stringify(name)}, expected one of ${hostProtocolNames()
        .map((n) => JSON.stringify(n))
        .join(", ")}`,
    );
  return f();
}

/** Clamps a physical value into a signal's range so a wild value cannot make a codec throw mid-cycle. */
export const clamp = (x: number, lo: number, hi: number): number =>
  Number.isNaN(x) ? lo : Math.min(hi, Math.max(lo, x));
