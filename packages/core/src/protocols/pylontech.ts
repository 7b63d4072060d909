/**
 * The "Pylontech-compatible" low-voltage battery CAN protocol (500 kbit/s, 11-bit ids) that Victron, SMA,
 * Sungrow, Goodwe, Deye and others accept from a battery. The BMS sends 0x351/0x355/0x356/0x359/0x35C/0x35E
 * about once a second; the inverter answers with the 0x305 keep-alive. Layouts are in `pylonDbcText` (shipped
 * as packages/core/dbc/pylon-compatible.dbc); the sources are cited in docs/integrations.md.
 *
 * Mapping from HostStatus: Pylon "protection" bits are coxswain alarms, Pylon "alarm" bits are coxswain
 * warnings. The discharge current limit goes out as a positive magnitude, as Victron and SMA expect.
 */
import { DbcCodec, type SignalValues } from "../can/codec.ts";
import { parseDbc } from "../can/dbc.ts";
import type { CanFrame } from "../can/frame.ts";
import { celsiusToKelvin, kelvinToCelsius } from "../units.ts";
import { clamp, type HostEvent, type HostProtocol, type HostStatus } from "./host.ts";

export const PYLON_IDS = {
  limits: 0x351,
  socSoh: 0x355,
  measurements: 0x356,
  alarms: 0x359,
  requests: 0x35c,
  manufacturer: 0x35e,
  inverterKeepAlive: 0x305,
} as const;

/** Bit positions in frame 0x359 (byte·8 + bit). */
const PYLON_FLAGS = [
  ["ProtCellOverVoltage", 1, "alarms", "cellOverVoltage"],
  ["ProtCellUnderVoltage", 2, "alarms", "cellUnderVoltage"],
  ["ProtOverTemp", 3, "alarms", "overTemperature"],
  ["ProtUnderTemp", 4, "alarms", "underTemperature"],
  ["ProtDischargeOverCurrent", 7, "alarms", "dischargeOverCurrent"],
  ["ProtChargeOverCurrent", 8, "alarms", "chargeOverCurrent"],
  ["ProtSystemError", 11, "alarms", "internal"],
  ["WarnHighVoltage", 17, "warnings", "cellOverVoltage"],
  ["WarnLowVoltage", 18, "warnings", "cellUnderVoltage"],
  ["WarnHighTemp", 19, "warnings", "overTemperature"],
  ["WarnLowTemp", 20, "warnings", "underTemperature"],
  ["WarnDischargeHighCurrent", 23, "warnings", "dischargeOverCurrent"],
  ["WarnChargeHighCurrent", 24, "warnings", "chargeOverCurrent"],
  ["WarnInternalComm", 27, "warnings", "communication"],
] as const;

export function pylonDbcText(): string {
  const L = [
    'VERSION "coxswain pylon-compatible 1"',
    "",
    "NS_ :",
    "\tCM_",
    "\tBA_DEF_",
    "\tBA_",
    "",
    "BS_:",
    "",
    "BU_: BMS INVERTER",
    "",
    `BO_ ${PYLON_IDS.limits} PYLON_Limits: 8 BMS`,
    ' SG_ PYLON_ChargeVoltage : 0|16@1+ (0.1,0) [0|6553.5] "V" INVERTER',
    ' SG_ PYLON_ChargeCurrentLimit : 16|16@1- (0.1,0) [-3276.8|3276.7] "A" INVERTER',
    ' SG_ PYLON_DischargeCurrentLimit : 32|16@1- (0.1,0) [-3276.8|3276.7] "A" INVERTER',
    ' SG_ PYLON_DischargeVoltage : 48|16@1+ (0.1,0) [0|6553.5] "V" INVERTER',
    "",
    `BO_ ${PYLON_IDS.socSoh} PYLON_SocSoh: 4 BMS`,
    ' SG_ PYLON_SOC : 0|16@1+ (1,0) [0|100] "%" INVERTER',
    ' SG_ PYLON_SOH : 16|16@1+ (1,0) [0|100] "%" INVERTER',
    "",
    `BO_ ${PYLON_IDS.measurements} PYLON_Measurements: 6 BMS`,
    ' SG_ PYLON_Voltage : 0|16@1- (0.01,0) [-327.68|327.67] "V" INVERTER',
    ' SG_ PYLON_Current : 16|16@1- (0.1,0) [-3276.8|3276.7] "A" INVERTER',
    ' SG_ PYLON_Temperature : 32|16@1- (0.1,0) [-3276.8|3276.7] "degC" INVERTER',
    "",
    `BO_ ${PYLON_IDS.alarms} PYLON_Alarms: 7 BMS`,
    ...PYLON_FLAGS.map(([name, bit]) => ` SG_ PYLON_${name} : ${bit}|1@1+ (1,0) [0|1] "" INVERTER`),
    ' SG_ PYLON_ModuleCount : 32|8@1+ (1,0) [0|255] "" INVERTER',
    ' SG_ PYLON_Marker1 : 40|8@1+ (1,0) [0|255] "" INVERTER',
    ' SG_ PYLON_Marker2 : 48|8@1+ (1,0) [0|255] "" INVERTER',
    "",
    `BO_ ${PYLON_IDS.requests} PYLON_Requests: 2 BMS`,
    ' SG_ PYLON_FullChargeRequest : 3|1@1+ (1,0) [0|1] "" INVERTER',
    ' SG_ PYLON_ForceChargeRequest2 : 4|1@1+ (1,0) [0|1] "" INVERTER',
    ' SG_ PYLON_ForceChargeRequest1 : 5|1@1+ (1,0) [0|1] "" INVERTER',
    ' SG_ PYLON_DischargeEnable : 6|1@1+ (1,0) [0|1] "" INVERTER',
    ' SG_ PYLON_ChargeEnable : 7|1@1+ (1,0) [0|1] "" INVERTER',
    "",
    `BO_ ${PYLON_IDS.manufacturer} PYLON_Manufacturer: 8 BMS`,
    ...Array.from({ length: 8 }, (_, i) => ` SG_ PYLON_Name${i} : ${8 * i}|8@1+ (1,0) [0|255] "" INVERTER`),
    "",
    `BO_ ${PYLON_IDS.inverterKeepAlive} INVERTER_KeepAlive: 8 INVERTER`,
    "",
    `CM_ BO_ ${PYLON_IDS.alarms} "Protection flags (bytes 0-1), alarm flags (bytes 2-3), module count, then ASCII PN.";`,
    `CM_ BO_ ${PYLON_IDS.manufacturer} "Manufacturer name, 8 ASCII characters, space padded.";`,
    'BA_DEF_ BO_ "GenMsgCycleTime" INT 0 65535;',
    'BA_DEF_DEF_ "GenMsgCycleTime" 0;',
    ...[PYLON_IDS.limits, PYLON_IDS.socSoh, PYLON_IDS.measurements, PYLON_IDS.alarms, PYLON_IDS.requests].map(
      (id) => `BA_ "GenMsgCycleTime" BO_ ${id} 1000;`,
    ),
    "",
  ];
  return `${L.join("\n")}\n`;
}

let codec: DbcCodec | undefined;
/** The codec of the Pylontech-compatible frames (parsed once). */
export function pylonCodec(): DbcCodec {
  codec ??= new DbcCodec(parseDbc(pylonDbcText()));
  return codec;
}

const tenth = (x: number, lo: number, hi: number): number => clamp(Math.round(x * 10) / 10, lo, hi);
const bit = (b: boolean): number => (b ? 1 : 0);

export interface PylonOptions {
  /** Up to 8 ASCII characters in 0x35E; inverters show it, some check it. Default "PYLON". */
  manufacturer?: string;
}

export class PylonProtocol implements HostProtocol {
  readonly name = "pylon";
  readonly description =
    'Pylontech-compatible low-voltage battery CAN ("Pylon CAN"), accepted by Victron, SMA, Sungrow, …';
  readonly period_s = 1;
  /** Inverters send 0x305 about once a second; tolerate several missed. */
  readonly hostTimeout_s = 10;
  private readonly nameBytes: number[];

  constructor(opts: PylonOptions = {}) {
    const name = opts.manufacturer ?? "PYLON";
    if (!/^[\x20-\x7e]{0,8}$/.test(name))
      throw new Error(
        `pylon manufacturer: got ${JSON.stringify(name)}, expected up to 8 printable ASCII characters`,
      );
    this.nameBytes = Array.from(name.padEnd(8, " "), (c) => c.charCodeAt(0));
  }

  encode(s: HostStatus): CanFrame[] {
    const c = pylonCodec();
    const tempC = kelvinToCelsius(s.maxTemp_K);
    const flags: SignalValues = {};
    for (const [name, , kind, category] of PYLON_FLAGS) flags[`PYLON_${name}`] = bit(s[kind][category]);
    const names: SignalValues = {};
    this.nameBytes.forEach((b, i) => {
      names[`PYLON_Name${i}`] = b;
    });
    return [
      c.encode("PYLON_Limits", {
        PYLON_ChargeVoltage: tenth(s.chargeVoltageLimit_V, 0, 6553.5),
        PYLON_ChargeCurrentLimit: tenth(s.chargeCurrentLimit_A, 0, 3276.7),
        PYLON_DischargeCurrentLimit: tenth(s.dischargeCurrentLimit_A, 0, 3276.7),
        PYLON_DischargeVoltage: tenth(s.dischargeVoltageLimit_V, 0, 6553.5),
      }),
      c.encode("PYLON_SocSoh", {
        PYLON_SOC: clamp(Math.round(s.soc * 100), 0, 100),
        PYLON_SOH: clamp(Math.round(s.soh * 100), 0, 100),
      }),
      c.encode("PYLON_Measurements", {
        PYLON_Voltage: clamp(Math.round(s.packVoltage_V * 100) / 100, -327.68, 327.67),
        PYLON_Current: tenth(s.packCurrent_A, -3276.8, 3276.7),
        PYLON_Temperature: tenth(tempC, -3276.8, 3276.7),
      }),
      c.encode("PYLON_Alarms", {
        ...flags,
        PYLON_ModuleCount: clamp(Math.round(s.moduleCount), 0, 255),
        PYLON_Marker1: "P".charCodeAt(0),
        PYLON_Marker2: "N".charCodeAt(0),
      }),
      c.encode("PYLON_Requests", {
        PYLON_ChargeEnable: bit(s.requests.chargeEnable),
        PYLON_DischargeEnable: bit(s.requests.dischargeEnable),
        PYLON_ForceChargeRequest1: bit(s.requests.forceCharge),
        PYLON_ForceChargeRequest2: 0,
        PYLON_FullChargeRequest: bit(s.requests.fullCharge),
      }),
      c.encode("PYLON_Manufacturer", names),
    ];
  }

  receive(frame: CanFrame, time_s: number): HostEvent | undefined {
    if (frame.id === PYLON_IDS.inverterKeepAlive && !frame.extended) return { kind: "keep-alive", time_s };
    return undefined;
  }
}

/** What an inverter reads from the Pylontech-compatible frames (SI, fractions), for tests and monitoring. */
export interface PylonInverterView {
  chargeVoltageLimit_V?: number;
  chargeCurrentLimit_A?: number;
  dischargeCurrentLimit_A?: number;
  dischargeVoltageLimit_V?: number;
  soc?: number;
  soh?: number;
  packVoltage_V?: number;
  packCurrent_A?: number;
  temp_K?: number;
  moduleCount?: number;
  flags: Record<string, boolean>;
  requests: Record<string, boolean>;
  manufacturer?: string;
}

/** Decodes the battery's frames as an inverter would. */
export function readPylonFrames(frames: readonly CanFrame[]): PylonInverterView {
  const view: PylonInverterView = { flags: {}, requests: {} };
  for (const f of frames) {
    const d = pylonCodec().decode(f);
    if (!d) continue;
    const v = d.values;
    switch (d.message.name) {
      case "PYLON_Limits":
        view.chargeVoltageLimit_V = v.PYLON_ChargeVoltage;
        view.chargeCurrentLimit_A = v.PYLON_ChargeCurrentLimit;
        view.dischargeCurrentLimit_A = v.PYLON_DischargeCurrentLimit;
        view.dischargeVoltageLimit_V = v.PYLON_DischargeVoltage;
        break;
      case "PYLON_SocSoh":
        view.soc = v.PYLON_SOC / 100;
        view.soh = v.PYLON_SOH / 100;
        break;
      case "PYLON_Measurements":
        view.packVoltage_V = v.PYLON_Voltage;
        view.packCurrent_A = v.PYLON_Current;
        view.temp_K = celsiusToKelvin(v.PYLON_Temperature);
        break;
      case "PYLON_Alarms":
        for (const [name] of PYLON_FLAGS) view.flags[name] = v[`PYLON_${name}`] === 1;
        view.moduleCount = v.PYLON_ModuleCount;
        break;
      case "PYLON_Requests":
        for (const [k, x] of Object.entries(v)) view.requests[k.replace("PYLON_", "")] = x === 1;
        break;
      case "PYLON_Manufacturer":
        view.manufacturer = String.fromCharCode(
          ...Array.from({ length: 8 }, (_, i) => v[`PYLON_Name${i}`]),
        ).trimEnd();
        break;
    }
  }
  return view;
}
