/**
 * SunSpec register map for energy managers: the "SunS" marker at 40000, common model 1, battery base model 802,
 * end model. Point names, types, sizes and order follow the SunSpec Information Model (models 1 and 802); scale
 * factors are fixed (see SCALE_FACTORS) and published in the map so any SunSpec client decodes the values.
 * Unsupported points carry SunSpec's "not implemented" values. The full map is in docs/integrations.md.
 */
import type { AlarmCategory, AlarmFlags, ContactorState, HostStatus } from "@coxswain/core";
import { MODBUS_EXCEPTION, type RegisterBank } from "./server.ts";

export const SUNSPEC_BASE = 40000;

type PointType = "uint16" | "int16" | "uint32" | "enum16" | "bitfield32" | "sunssf" | "string" | "pad";
type Point = readonly [name: string, type: PointType, size: number];

/** Model 1 (common) points after ID and L. */
const MODEL_1: readonly Point[] = [
  ["Mn", "string", 16],
  ["Md", "string", 16],
  ["Opt", "string", 8],
  ["Vr", "string", 8],
  ["SN", "string", 16],
  ["DA", "uint16", 1],
  ["Pad", "pad", 1],
];

/** Model 802 (battery base) points after ID and L. */
const MODEL_802: readonly Point[] = [
  ["AHRtg", "uint16", 1],
  ["WHRtg", "uint16", 1],
  ["WChaRteMax", "uint16", 1],
  ["WDisChaRteMax", "uint16", 1],
  ["DisChaRte", "uint16", 1],
  ["SoCMax", "uint16", 1],
  ["SoCMin", "uint16", 1],
  ["SocRsvMax", "uint16", 1],
  ["SoCRsvMin", "uint16", 1],
  ["SoC", "uint16", 1],
  ["DoD", "uint16", 1],
  ["SoH", "uint16", 1],
  ["NCyc", "uint32", 2],
  ["ChaSt", "enum16", 1],
  ["LocRemCtl", "enum16", 1],
  ["Hb", "uint16", 1],
  ["CtrlHb", "uint16", 1],
  ["AlmRst", "uint16", 1],
  ["Typ", "enum16", 1],
  ["State", "enum16", 1],
  ["StateVnd", "enum16", 1],
  ["WarrDt", "uint32", 2],
  ["Evt1", "bitfield32", 2],
  ["Evt2", "bitfield32", 2],
  ["EvtVnd1", "bitfield32", 2],
  ["EvtVnd2", "bitfield32", 2],
  ["V", "uint16", 1],
  ["VMax", "uint16", 1],
  ["VMin", "uint16", 1],
  ["CellVMax", "uint16", 1],
  ["CellVMaxStr", "uint16", 1],
  ["CellVMaxMod", "uint16", 1],
  ["CellVMin", "uint16", 1],
  ["CellVMinStr", "uint16", 1],
  ["CellVMinMod", "uint16", 1],
  ["CellVAvg", "uint16", 1],
  ["A", "int16", 1],
  ["AChaMax", "uint16", 1],
  ["ADisChaMax", "uint16", 1],
  ["W", "int16", 1],
  ["ReqInvState", "enum16", 1],
  ["ReqW", "int16", 1],
  ["SetOp", "enum16", 1],
  ["SetInvState", "enum16", 1],
  ["AHRtg_SF", "sunssf", 1],
  ["WHRtg_SF", "sunssf", 1],
  ["WChaDisChaMax_SF", "sunssf", 1],
  ["DisChaRte_SF", "sunssf", 1],
  ["SoC_SF", "sunssf", 1],
  ["DoD_SF", "sunssf", 1],
  ["SoH_SF", "sunssf", 1],
  ["V_SF", "sunssf", 1],
  ["CellV_SF", "sunssf", 1],
  ["A_SF", "sunssf", 1],
  ["AMax_SF", "sunssf", 1],
  ["W_SF", "sunssf", 1],
];

/** Decimal exponents: value = register · 10^sf. */
export const SCALE_FACTORS = {
  AHRtg_SF: -1,
  WHRtg_SF: 1,
  WChaDisChaMax_SF: 1,
  SoC_SF: -1,
  DoD_SF: -1,
  SoH_SF: -1,
  V_SF: -1,
  CellV_SF: -3,
  A_SF: -1,
  AMax_SF: -1,
  W_SF: 1,
} as const;

const NOT_IMPLEMENTED: Record<PointType, number> = {
  uint16: 0xffff,
  int16: 0x8000,
  uint32: 0xffffffff,
  enum16: 0xffff,
  bitfield32: 0xffffffff,
  sunssf: 0x8000,
  string: 0,
  pad: 0x8000,
};

/** Evt1 bit numbers (SunSpec model 802) for coxswain's categories: [alarm bit, warning bit]. */
const EVT1_BITS: Partial<Record<AlarmCategory, [number | undefined, number | undefined]>> = {
  communication: [0, 0],
  overTemperature: [1, 2],
  underTemperature: [3, 4],
  chargeOverCurrent: [5, 6],
  dischargeOverCurrent: [7, 8],
  cellOverVoltage: [9, 10],
  cellUnderVoltage: [11, 12],
  cellImbalance: [undefined, 17],
  contactor: [20, 20],
  insulation: [22, 22],
  internal: [25, 26],
};

const CHA_ST = { OFF: 1, DISCHARGING: 3, CHARGING: 4, HOLDING: 6 } as const;
const STATE: Record<ContactorState, number> = { open: 1, precharge: 2, closed: 3, fault: 99 };
const LITHIUM_ION = 4;

export interface SunSpecDeviceInfo {
  manufacturer: string;
  model: string;
  version: string;
  serialNumber: string;
  options?: string;
  capacityAh: number;
  energyWh: number;
  maxChargePower_W: number;
  maxDischargePower_W: number;
  /** Modbus device address shown in DA. */
  deviceAddress?: number;
}

/** Which points a client may write when writes are enabled. */
const WRITABLE = new Set(["DA", "SocRsvMax", "SoCRsvMin", "CtrlHb", "AlmRst", "SetOp", "SetInvState"]);

interface Layout {
  address: number;
  type: PointType;
  size: number;
}

/** A SunSpec register bank (models 1 and 802) kept up to date from HostStatus. */
export class SunSpecBank implements RegisterBank {
  readonly registers: Uint16Array;
  readonly points = new Map<string, Layout>();
  /** Called after a client wrote a writable point (only reachable when the server allows writes). */
  onWrite?: (point: string, value: number) => void;
  private heartbeat = 0;

  constructor(info: SunSpecDeviceInfo) {
    const len1 = MODEL_1.reduce((s, p) => s + p[2], 0);
    const len802 = MODEL_802.reduce((s, p) => s + p[2], 0);
    this.registers = new Uint16Array(2 + 2 + len1 + 2 + len802 + 2);
    this.registers.set([0x5375, 0x6e53], 0); // "SunS"
    let at = 2;
    const model = (id: number, points: readonly Point[], len: number, prefix: string) => {
      this.registers.set([id, len], at);
      at += 2;
      for (const [name, type, size] of points) {
        this.points.set(`${prefix}${name}`, { address: SUNSPEC_BASE + at, type, size });
        this.setRaw(`${prefix}${name}`, NOT_IMPLEMENTED[type]);
        at += size;
      }
    };
    model(1, MODEL_1, len1, "common.");
    model(802, MODEL_802, len802, "");
    this.registers.set([0xffff, 0], at); // end model
    this.setString("common.Mn", info.manufacturer);
    this.setString("common.Md", info.model);
    this.setString("common.Opt", info.options ?? "");
    this.setString("common.Vr", info.version);
    this.setString("common.SN", info.serialNumber);
    this.setRaw("common.DA", info.deviceAddress ?? 1);
    for (const [name, sf] of Object.entries(SCALE_FACTORS)) this.setRaw(name, sf & 0xffff);
    this.set("AHRtg", info.capacityAh);
    this.set("WHRtg", info.energyWh);
    this.set("WChaRteMax", info.maxChargePower_W);
    this.set("WDisChaRteMax", info.maxDischargePower_W);
    this.setRaw("Typ", LITHIUM_ION);
    this.setRaw("LocRemCtl", 0);
    this.setRaw("AlmRst", 0);
    this.setRaw("SetOp", 1);
    this.setRaw("SetInvState", 3);
    this.setRaw("CellVMaxStr", 1);
    this.setRaw("CellVMinStr", 1);
    this.setRaw("Evt2", 0);
    this.setRaw("EvtVnd1", 0);
    this.setRaw("EvtVnd2", 0);
  }

  /** Refreshes the live points from a status. */
  update(s: HostStatus): void {
    this.set("SoC", s.soc * 100);
    this.set("DoD", (1 - s.soc) * 100);
    this.set("SoH", s.soh * 100);
    this.set("V", s.packVoltage_V);
    this.set("VMax", s.chargeVoltageLimit_V);
    this.set("VMin", s.dischargeVoltageLimit_V);
    this.set("CellVMax", s.maxCellVoltage_V);
    this.setRaw("CellVMaxMod", s.maxCellVoltageGroup + 1);
    this.set("CellVMin", s.minCellVoltage_V);
    this.setRaw("CellVMinMod", s.minCellVoltageGroup + 1);
    const n = s.groupVoltages_V.length;
    if (n > 0) this.set("CellVAvg", s.groupVoltages_V.reduce((a, b) => a + b, 0) / n);
    this.set("A", s.packCurrent_A);
    this.set("AChaMax", s.chargeCurrentLimit_A);
    this.set("ADisChaMax", s.dischargeCurrentLimit_A);
    this.set("W", s.packVoltage_V * s.packCurrent_A);
    // Below half an ampere the pack is holding (idle), whatever the sign of the offset.
    const chaSt =
      s.contactors !== "closed"
        ? CHA_ST.OFF
        : s.packCurrent_A > 0.5
          ? CHA_ST.CHARGING
          : s.packCurrent_A < -0.5
            ? CHA_ST.DISCHARGING
            : CHA_ST.HOLDING;
    this.setRaw("ChaSt", chaSt);
    this.setRaw("State", STATE[s.contactors]);
    this.setRaw("Evt1", evt1(s.alarms, s.warnings));
    this.heartbeat = (this.heartbeat + 1) & 0xffff;
    this.setRaw("Hb", this.heartbeat);
  }

  read(address: number, count: number): Uint16Array | number {
    const start = address - SUNSPEC_BASE;
    if (start < 0 || start + count > this.registers.length) return MODBUS_EXCEPTION.illegalDataAddress;
    return this.registers.slice(start, start + count);
  }

  write(address: number, values: Uint16Array): number | undefined {
    // Every register written must belong to a writable single-register point.
    const targets: string[] = [];
    for (let i = 0; i < values.length; i++) {
      const name = this.pointAt(address + i);
      if (!name || !WRITABLE.has(name.replace("common.", ""))) return MODBUS_EXCEPTION.illegalDataAddress;
      targets.push(name);
    }
    targets.forEach((name, i) => {
      this.setRaw(name, values[i]);
      this.onWrite?.(name, values[i]);
    });
    return undefined;
  }

  /** Scaled value of a point as a client would compute it (for tests and diagnostics). */
  get(name: string): number {
    const p = this.layout(name);
    const at = p.address - SUNSPEC_BASE;
    let raw = p.size === 2 ? this.registers[at] * 65536 + this.registers[at + 1] : this.registers[at];
    if (p.type === "int16" || p.type === "sunssf") raw = raw >= 0x8000 ? raw - 0x10000 : raw;
    const sf = (SCALE_FACTORS as Record<string, number>)[scaleFactorOf(name)];
    return sf === undefined ? raw : raw * 10 ** sf;
  }

  private pointAt(address: number): string | undefined {
    for (const [name, p] of this.points) if (p.size === 1 && p.address === address) return name;
    return undefined;
  }

  private layout(name: string): Layout {
    const p = this.points.get(name);
    if (!p) throw new Error(`SunSpec: no point ${name}`);
    return p;
  }

  /** Writes a physical value through its scale factor, saturating into the point's type. */
  private set(name: string, value: number): void {
    const p = this.layout(name);
    const sf = (SCALE_FACTORS as Record<string, number>)[scaleFactorOf(name)] ?? 0;
    if (!Number.isFinite(value)) {
      this.setRaw(name, NOT_IMPLEMENTED[p.type]);
      return;
    }
    const raw = Math.round(value / 10 ** sf);
    if (p.type === "int16") this.setRaw(name, Math.min(0x7fff, Math.max(-0x7fff, raw)) & 0xffff);
    else this.setRaw(name, Math.min(0xfffe, Math.max(0, raw)));
  }

  private setRaw(name: string, raw: number): void {
    const p = this.layout(name);
    const at = p.address - SUNSPEC_BASE;
    if (p.type === "string") return;
    if (p.size === 2) {
      this.registers[at] = Math.floor(raw / 65536) & 0xffff;
      this.registers[at + 1] = raw & 0xffff;
    } else this.registers[at] = raw & 0xffff;
  }

  private setString(name: string, text: string): void {
    const p = this.layout(name);
    const at = p.address - SUNSPEC_BASE;
    const bytes = new TextEncoder().encode(text).slice(0, 2 * p.size);
    for (let i = 0; i < p.size; i++)
      this.registers[at + i] = ((bytes[2 * i] ?? 0) << 8) | (bytes[2 * i + 1] ?? 0);
  }
}

function scaleFactorOf(name: string): string {
  switch (name) {
    case "AHRtg":
      return "AHRtg_SF";
    case "WHRtg":
      return "WHRtg_SF";
    case "WChaRteMax":
    case "WDisChaRteMax":
      return "WChaDisChaMax_SF";
    case "SoCMax":
    case "SoCMin":
    case "SocRsvMax":
    case "SoCRsvMin":
    case "SoC":
      return "SoC_SF";
    case "DoD":
      return "DoD_SF";
    case "SoH":
      return "SoH_SF";
    case "V":
    case "VMax":
    case "VMin":
      return "V_SF";
    case "CellVMax":
    case "CellVMin":
    case "CellVAvg":
      return "CellV_SF";
    case "A":
      return "A_SF";
    case "AChaMax":
    case "ADisChaMax":
      return "AMax_SF";
    case "W":
    case "ReqW":
      return "W_SF";
    default:
      return "";
  }
}

function evt1(alarms: AlarmFlags, warnings: AlarmFlags): number {
  let bits = 0;
  for (const [cat, [alarmBit, warnBit]] of Object.entries(EVT1_BITS) as [
    AlarmCategory,
    [number?, number?],
  ][]) {
    if (alarms[cat] && alarmBit !== undefined) bits |= 1 << alarmBit;
    if (warnings[cat] && warnBit !== undefined) bits |= 1 << warnBit;
  }
  return bits >>> 0;
}
