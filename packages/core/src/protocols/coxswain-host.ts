/**
 * coxswain's own BMS ↔ host protocol (packages/core/dbc/coxswain-host.dbc): finer resolution than the
 * Pylontech-compatible frames, high-voltage ranges, per-category warnings and alarms, and a host command frame
 * whose absence the BMS treats as a lost host.
 */
import { DbcCodec, type SignalValues } from "../can/codec.ts";
import { parseDbc } from "../can/dbc.ts";
import type { CanFrame } from "../can/frame.ts";
import { celsiusToKelvin, kelvinToCelsius } from "../units.ts";
import { ALARM_CATEGORIES, CONTACTOR_STATES, hostDbcText } from "./dbc-text.ts";
import {
  type AlarmFlags,
  clamp,
  type HostEvent,
  type HostProtocol,
  type HostStatus,
  noAlarms,
} from "./host.ts";

let codec: DbcCodec | undefined;
export function hostCodec(): DbcCodec {
  codec ??= new DbcCodec(parseDbc(hostDbcText()));
  return codec;
}

const pascal = (s: string): string => s[0].toUpperCase() + s.slice(1);
const round = (x: number, step: number, lo: number, hi: number): number =>
  clamp(Math.round(x / step) * step, lo, hi);
const bit = (b: boolean): number => (b ? 1 : 0);
const REQUESTS = ["none", "open", "close"] as const;

export class CoxswainHostProtocol implements HostProtocol {
  readonly name = "coxswain";
  readonly description = "coxswain's own BMS-host CAN protocol (coxswain-host.dbc)";
  readonly period_s = 0.1;
  readonly hostTimeout_s = 1;
  private counter = 0;

  encode(s: HostStatus): CanFrame[] {
    const c = hostCodec();
    const n = this.counter;
    this.counter = (this.counter + 1) & 15;
    const flags: SignalValues = {};
    for (const cat of ALARM_CATEGORIES) {
      flags[`BMS_Warn${pascal(cat)}`] = bit(s.warnings[cat]);
      flags[`BMS_Alarm${pascal(cat)}`] = bit(s.alarms[cat]);
    }
    const group = (i: number) => clamp(Math.round(i) + 1, 0, 255);
    return [
      c.encode("BMS_PackState", {
        BMS_PackVoltage: round(s.packVoltage_V, 0.01, 0, 655.35),
        BMS_PackCurrent: round(s.packCurrent_A, 0.1, -3276.8, 3276.7),
        BMS_SOC: round(s.soc * 100, 0.1, 0, 100),
        BMS_SOH: round(s.soh * 100, 0.1, 0, 100),
        BMS_ContactorState: CONTACTOR_STATES.indexOf(s.contactors),
        BMS_Counter: n,
      }),
      c.encode("BMS_Limits", {
        BMS_ChargeVoltageLimit: round(s.chargeVoltageLimit_V, 0.1, 0, 6553.5),
        BMS_ChargeCurrentLimit: round(s.chargeCurrentLimit_A, 0.1, 0, 6553.5),
        BMS_DischargeCurrentLimit: round(s.dischargeCurrentLimit_A, 0.1, 0, 6553.5),
        BMS_DischargeVoltageLimit: round(s.dischargeVoltageLimit_V, 0.1, 0, 6553.5),
      }),
      c.encode("BMS_CellVoltages", {
        BMS_MinCellVoltage: round(s.minCellVoltage_V, 0.0001, 0, 6.5535),
        BMS_MaxCellVoltage: round(s.maxCellVoltage_V, 0.0001, 0, 6.5535),
        BMS_MinCellVoltageGroup: group(s.minCellVoltageGroup),
        BMS_MaxCellVoltageGroup: group(s.maxCellVoltageGroup),
      }),
      c.encode("BMS_Temperatures", {
        BMS_MinTemp: round(kelvinToCelsius(s.minTemp_K), 0.01, -327.68, 327.67),
        BMS_MaxTemp: round(kelvinToCelsius(s.maxTemp_K), 0.01, -327.68, 327.67),
        BMS_MinTempSensor: group(s.minTempSensor),
        BMS_MaxTempSensor: group(s.maxTempSensor),
      }),
      c.encode("BMS_Alarms", { ...flags, BMS_Counter: n }),
      c.encode("BMS_Requests", {
        BMS_ChargeEnable: bit(s.requests.chargeEnable),
        BMS_DischargeEnable: bit(s.requests.dischargeEnable),
        BMS_ForceCharge: bit(s.requests.forceCharge),
        BMS_FullCharge: bit(s.requests.fullCharge),
        BMS_ModuleCount: clamp(Math.round(s.moduleCount), 0, 255),
        BMS_Counter: n,
      }),
    ];
  }

  receive(frame: CanFrame, time_s: number): HostEvent | undefined {
    const c = hostCodec();
    if (c.messageOf(frame)?.name !== "HOST_Command" || frame.data.length < 8) return undefined;
    const v = c.decode(frame)!.values;
    return { kind: "contactor-request", request: REQUESTS[v.HOST_ContactorRequest] ?? "none", time_s };
  }
}

/**
 * Reads the BMS frames back into a HostStatus (what a host that speaks coxswain-host.dbc sees). Per-group
 * voltages are not carried on this protocol and come back empty.
 */
export function readHostFrames(frames: readonly CanFrame[]): Partial<HostStatus> {
  const out: Partial<HostStatus> = {};
  const warnings: AlarmFlags = noAlarms();
  const alarms: AlarmFlags = noAlarms();
  for (const f of frames) {
    const d = hostCodec().decode(f);
    if (!d) continue;
    const v = d.values;
    switch (d.message.name) {
      case "BMS_PackState":
        out.packVoltage_V = v.BMS_PackVoltage;
        out.packCurrent_A = v.BMS_PackCurrent;
        out.soc = v.BMS_SOC / 100;
        out.soh = v.BMS_SOH / 100;
        out.contactors = CONTACTOR_STATES[v.BMS_ContactorState];
        break;
      case "BMS_Limits":
        out.chargeVoltageLimit_V = v.BMS_ChargeVoltageLimit;
        out.chargeCurrentLimit_A = v.BMS_ChargeCurrentLimit;
        out.dischargeCurrentLimit_A = v.BMS_DischargeCurrentLimit;
        out.dischargeVoltageLimit_V = v.BMS_DischargeVoltageLimit;
        break;
      case "BMS_CellVoltages":
        out.minCellVoltage_V = v.BMS_MinCellVoltage;
        out.maxCellVoltage_V = v.BMS_MaxCellVoltage;
        out.minCellVoltageGroup = v.BMS_MinCellVoltageGroup - 1;
        out.maxCellVoltageGroup = v.BMS_MaxCellVoltageGroup - 1;
        break;
      case "BMS_Temperatures":
        out.minTemp_K = celsiusToKelvin(v.BMS_MinTemp);
        out.maxTemp_K = celsiusToKelvin(v.BMS_MaxTemp);
        out.minTempSensor = v.BMS_MinTempSensor - 1;
        out.maxTempSensor = v.BMS_MaxTempSensor - 1;
        break;
      case "BMS_Alarms":
        for (const cat of ALARM_CATEGORIES) {
          warnings[cat] = v[`BMS_Warn${pascal(cat)}`] === 1;
          alarms[cat] = v[`BMS_Alarm${pascal(cat)}`] === 1;
        }
        out.warnings = warnings;
        out.alarms = alarms;
        break;
      case "BMS_Requests":
        out.requests = {
          chargeEnable: v.BMS_ChargeEnable === 1,
          dischargeEnable: v.BMS_DischargeEnable === 1,
          forceCharge: v.BMS_ForceCharge === 1,
          fullCharge: v.BMS_FullCharge === 1,
        };
        out.moduleCount = v.BMS_ModuleCount;
        break;
    }
  }
  return out;
}
