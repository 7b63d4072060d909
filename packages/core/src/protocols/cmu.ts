/**
 * Cell-monitoring units (CMU) ↔ BMS over CAN (packages/core/dbc/coxswain-cmu.dbc). The twin (or real boards)
 * send series-group voltages and temperature-sensor readings in multiplexed frames of three, pack current and
 * voltages, insulation, coolant and contactor feedback; the BMS sends balancing switches in frames of 48.
 * `CmuMonitor` is the BMS side: it assembles the frames into arrays, remembers when each reading last arrived,
 * and hands the controller the same `Measurements` it gets from the twin in memory.
 */
import { DbcCodec, rawToPhysical, type SignalValues } from "../can/codec.ts";
import { type DbcSignal, parseDbc } from "../can/dbc.ts";
import type { CanFrame } from "../can/frame.ts";
import type { Measurements, Reading, ReadingBank } from "../twin/interfaces.ts";
import { celsiusToKelvin, kelvinToCelsius } from "../units.ts";
import {
  BALANCE_BITS_PER_FRAME,
  CMU_GROUPS_PER_FRAME,
  CMU_IDS,
  CMU_MAX_GROUPS,
  CMU_TEMP_NOT_AVAILABLE,
  CMU_VOLTAGE_NOT_AVAILABLE,
  cmuDbcText,
  groupTag,
  sensorTag,
} from "./dbc-text.ts";
import { clamp } from "./host.ts";

let codec: DbcCodec | undefined;
export function cmuCodec(): DbcCodec {
  codec ??= new DbcCodec(parseDbc(cmuDbcText()));
  return codec;
}

function checkCount(what: string, n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > CMU_MAX_GROUPS)
    throw new RangeError(`CMU ${what}: got ${n}, expected an integer 1…${CMU_MAX_GROUPS}`);
}

const voltageName = (g: number) => `CMU_Voltage_${groupTag(g)}`;
const tempName = (t: number) => `CMU_Temp_${sensorTag(t)}`;
const balanceName = (g: number) => `BMS_Balance_${groupTag(g)}`;
const bit = (b: boolean): number => (b ? 1 : 0);

/**
 * Frames carrying all group voltages (one per block of three). Groups whose `valid` entry is 0, or whose value
 * is not finite, are sent as "not available"; missing trailing groups of the last block too.
 */
export function encodeCmuVoltages(
  voltages_V: ArrayLike<number>,
  counter: number,
  valid?: ArrayLike<number>,
): CanFrame[] {
  checkCount("group count", voltages_V.length);
  const c = cmuCodec();
  const out: CanFrame[] = [];
  for (let b = 0; b * CMU_GROUPS_PER_FRAME < voltages_V.length; b++) {
    const v: SignalValues = { CMU_VoltageBlock: b, CMU_Counter: counter & 15 };
    for (let k = 0; k < CMU_GROUPS_PER_FRAME; k++) {
      const g = b * CMU_GROUPS_PER_FRAME + k;
      const ok =
        g < voltages_V.length && (valid === undefined || valid[g] === 1) && Number.isFinite(voltages_V[g]);
      // The top raw value is reserved for "not available", so good readings stop one step below it.
      v[voltageName(g)] = ok
        ? clamp(Math.round(voltages_V[g] * 1e4) / 1e4, 0, 6.5534)
        : CMU_VOLTAGE_NOT_AVAILABLE / 1e4;
    }
    out.push(c.encode("CMU_CellVoltages", v));
  }
  return out;
}

/** Frames carrying all temperature-sensor readings (K inside, °C on the wire), invalid ones as "not available". */
export function encodeCmuTemperatures(
  temps_K: ArrayLike<number>,
  counter: number,
  valid?: ArrayLike<number>,
): CanFrame[] {
  checkCount("temperature sensor count", temps_K.length);
  const c = cmuCodec();
  const out: CanFrame[] = [];
  for (let b = 0; b * CMU_GROUPS_PER_FRAME < temps_K.length; b++) {
    const v: SignalValues = { CMU_TempBlock: b, CMU_Counter: counter & 15 };
    for (let k = 0; k < CMU_GROUPS_PER_FRAME; k++) {
      const t = b * CMU_GROUPS_PER_FRAME + k;
      const ok = t < temps_K.length && (valid === undefined || valid[t] === 1) && Number.isFinite(temps_K[t]);
      v[tempName(t)] = ok
        ? clamp(Math.round(kelvinToCelsius(temps_K[t]) * 100) / 100, -327.67, 327.67)
        : CMU_TEMP_NOT_AVAILABLE / 100;
    }
    out.push(c.encode("CMU_Temperatures", v));
  }
  return out;
}

/** The pack-level readings of `Measurements` as three frames (current, voltages, auxiliary). */
export function encodeCmuPack(m: Measurements, counter: number): CanFrame[] {
  const c = cmuCodec();
  const n = counter & 15;
  const finite = (r: Reading) => r.valid && Number.isFinite(r.value);
  return [
    c.encode("CMU_PackCurrent", {
      CMU_PackCurrent: finite(m.packCurrentA)
        ? clamp(Math.round(m.packCurrentA.value * 1000) / 1000, -2147483.648, 2147483.647)
        : 0,
      CMU_PackCurrentValid: bit(finite(m.packCurrentA)),
      CMU_Counter: n,
    }),
    c.encode("CMU_PackVoltages", {
      CMU_PackVoltage: finite(m.packVoltageV)
        ? clamp(Math.round(m.packVoltageV.value * 1000) / 1000, 0, 16777.215)
        : 0,
      CMU_LinkVoltage: finite(m.linkVoltageV)
        ? clamp(Math.round(m.linkVoltageV.value * 1000) / 1000, 0, 16777.215)
        : 0,
      CMU_PackVoltageValid: bit(finite(m.packVoltageV)),
      CMU_LinkVoltageValid: bit(finite(m.linkVoltageV)),
      CMU_Counter: n,
    }),
    c.encode("CMU_Auxiliary", {
      // An insulation monitor reads "very high" as its top value; Infinity ends up there too.
      CMU_InsulationResistance: m.insulationOhm.valid
        ? clamp(Math.round(m.insulationOhm.value), 0, 16777215)
        : 0,
      CMU_CoolantInletTemp: finite(m.coolantInletK)
        ? clamp(Math.round(kelvinToCelsius(m.coolantInletK.value) * 100) / 100, -327.68, 327.67)
        : 0,
      CMU_InsulationValid: bit(m.insulationOhm.valid && !Number.isNaN(m.insulationOhm.value)),
      CMU_CoolantValid: bit(finite(m.coolantInletK)),
      CMU_ContactorPositiveClosed: bit(m.contactors.positive),
      CMU_ContactorNegativeClosed: bit(m.contactors.negative),
      CMU_ContactorPrechargeClosed: bit(m.contactors.precharge),
      CMU_Counter: n,
    }),
  ];
}

/** Everything the monitoring side sends in one measurement cycle. */
export function encodeMeasurements(m: Measurements, counter: number): CanFrame[] {
  return [
    ...encodeCmuVoltages(m.groupVoltageV.value, counter, m.groupVoltageV.valid),
    ...encodeCmuTemperatures(m.temperatureK.value, counter, m.temperatureK.valid),
    ...encodeCmuPack(m, counter),
  ];
}

/** Balancing switch frames (one per 48 groups) from per-group on/off. */
export function encodeBalancing(on: ArrayLike<boolean | number>, counter: number): CanFrame[] {
  checkCount("group count", on.length);
  const out: CanFrame[] = [];
  for (let b = 0; b * BALANCE_BITS_PER_FRAME < on.length; b++) {
    const v: SignalValues = { BMS_BalanceBlock: b, BMS_Counter: counter & 15 };
    for (let k = 0; k < BALANCE_BITS_PER_FRAME; k++) {
      const g = b * BALANCE_BITS_PER_FRAME + k;
      v[balanceName(g)] = g < on.length && on[g] ? 1 : 0;
    }
    out.push(cmuCodec().encode("BMS_BalancingCommand", v));
  }
  return out;
}

/** Applies a balancing frame to per-group switches (the CMU side); returns false for other frames. */
export function applyBalancingFrame(frame: CanFrame, on: Uint8Array): boolean {
  if (frame.id !== CMU_IDS.balancing || frame.extended || frame.data.length < 8) return false;
  const v = cmuCodec().decode(frame)!.values;
  const base = v.BMS_BalanceBlock * BALANCE_BITS_PER_FRAME;
  for (let k = 0; k < BALANCE_BITS_PER_FRAME; k++) {
    const g = base + k;
    if (g < on.length) on[g] = v[balanceName(g)];
  }
  return true;
}

export interface CmuDiagnostics {
  boardId: number;
  openWire: boolean;
  thermistorFault: boolean;
  adcFault: boolean;
  boardOverTemp: boolean;
  balancingActive: boolean;
  boardTemp_K: number;
  errorCount: number;
  /** 0-based first group the board measures. */
  firstGroup: number;
  groupCount: number;
}

export function encodeCmuDiagnostics(d: CmuDiagnostics, counter: number): CanFrame {
  return cmuCodec().encode("CMU_Diagnostics", {
    CMU_BoardId: clamp(Math.round(d.boardId), 0, 255),
    CMU_OpenWire: d.openWire ? 1 : 0,
    CMU_ThermistorFault: d.thermistorFault ? 1 : 0,
    CMU_AdcFault: d.adcFault ? 1 : 0,
    CMU_BoardOverTemp: d.boardOverTemp ? 1 : 0,
    CMU_BalancingActive: d.balancingActive ? 1 : 0,
    CMU_BoardTemp: clamp(Math.round(kelvinToCelsius(d.boardTemp_K)), -40, 215),
    CMU_ErrorCount: clamp(Math.round(d.errorCount), 0, 255),
    CMU_FirstGroup: clamp(Math.round(d.firstGroup) + 1, 0, 255),
    CMU_GroupCount: clamp(Math.round(d.groupCount), 0, 255),
    CMU_Counter: counter & 15,
  });
}

/** A reading as the monitor keeps it: last good value, whether the last report was good, when it arrived. */
class ScalarSlot {
  value = Number.NaN;
  good = false;
  time_s = Number.NEGATIVE_INFINITY;
  set(value: number, good: boolean, time_s: number): void {
    if (good) {
      this.value = value;
      this.time_s = time_s;
    }
    this.good = good;
  }
  reading(now_s: number, timeout_s: number): Reading {
    const ageS = now_s - this.time_s;
    return { value: this.value, valid: this.good && ageS <= timeout_s, ageS };
  }
}

/**
 * The BMS side of the CMU link. Values stay NaN until first heard and keep their last good value when a board
 * reports "not available"; `voltageTime_s[g]` is when group g's last good voltage arrived (−Infinity before)
 * and `voltageFrameTime_s[g]` when its block was last heard at all, which is what the stale-data rule needs.
 */
export class CmuMonitor {
  readonly voltages_V: Float64Array;
  readonly voltageValid: Uint8Array;
  readonly voltageTime_s: Float64Array;
  readonly voltageFrameTime_s: Float64Array;
  readonly temps_K: Float64Array;
  readonly tempValid: Uint8Array;
  readonly tempTime_s: Float64Array;
  readonly packCurrent = new ScalarSlot();
  readonly packVoltage = new ScalarSlot();
  readonly linkVoltage = new ScalarSlot();
  readonly insulation = new ScalarSlot();
  readonly coolantInlet = new ScalarSlot();
  readonly contactors = { positive: false, negative: false, precharge: false };
  readonly diagnostics = new Map<number, CmuDiagnostics & { time_s: number }>();
  /** Frames whose rolling counter did not advance (a frozen sender). */
  repeatedCounters = 0;
  private readonly lastCounter = new Map<number, number>();
  private readonly voltageSignals: DbcSignal[];
  private readonly tempSignals: DbcSignal[];

  constructor(
    readonly groupCount: number,
    readonly sensorCount = groupCount,
  ) {
    checkCount("group count", groupCount);
    checkCount("temperature sensor count", sensorCount);
    this.voltages_V = new Float64Array(groupCount).fill(Number.NaN);
    this.voltageValid = new Uint8Array(groupCount);
    this.voltageTime_s = new Float64Array(groupCount).fill(Number.NEGATIVE_INFINITY);
    this.voltageFrameTime_s = new Float64Array(groupCount).fill(Number.NEGATIVE_INFINITY);
    this.temps_K = new Float64Array(sensorCount).fill(Number.NaN);
    this.tempValid = new Uint8Array(sensorCount);
    this.tempTime_s = new Float64Array(sensorCount).fill(Number.NEGATIVE_INFINITY);
    const c = cmuCodec();
    const signal = (msg: string, name: string) => c.message(msg).signals.find((s) => s.name === name)!;
    this.voltageSignals = Array.from({ length: groupCount }, (_, g) =>
      signal("CMU_CellVoltages", voltageName(g)),
    );
    this.tempSignals = Array.from({ length: sensorCount }, (_, t) => signal("CMU_Temperatures", tempName(t)));
  }

  /** Takes a frame; returns false when it is not a CMU measurement frame. */
  receive(frame: CanFrame, time_s: number): boolean {
    const id = frame.id;
    if (frame.extended || frame.data.length < 8 || id < CMU_IDS.cellVoltages || id > CMU_IDS.auxiliary)
      return false;
    const c = cmuCodec();
    if (id === CMU_IDS.diagnostics) {
      const v = c.decode(frame)!.values;
      this.diagnostics.set(v.CMU_BoardId, {
        boardId: v.CMU_BoardId,
        openWire: v.CMU_OpenWire === 1,
        thermistorFault: v.CMU_ThermistorFault === 1,
        adcFault: v.CMU_AdcFault === 1,
        boardOverTemp: v.CMU_BoardOverTemp === 1,
        balancingActive: v.CMU_BalancingActive === 1,
        boardTemp_K: celsiusToKelvin(v.CMU_BoardTemp),
        errorCount: v.CMU_ErrorCount,
        firstGroup: v.CMU_FirstGroup - 1,
        groupCount: v.CMU_GroupCount,
        time_s,
      });
      return true;
    }
    const raw = c.decodeRaw(frame)!;
    const block =
      id === CMU_IDS.cellVoltages
        ? raw.CMU_VoltageBlock
        : id === CMU_IDS.temperatures
          ? raw.CMU_TempBlock
          : 0;
    const key = id * 256 + block;
    if (this.lastCounter.get(key) === raw.CMU_Counter) {
      this.repeatedCounters++;
      return true;
    }
    this.lastCounter.set(key, raw.CMU_Counter);
    if (id === CMU_IDS.cellVoltages || id === CMU_IDS.temperatures) {
      const isVoltage = id === CMU_IDS.cellVoltages;
      const n = isVoltage ? this.groupCount : this.sensorCount;
      for (let k = 0; k < CMU_GROUPS_PER_FRAME; k++) {
        const i = block * CMU_GROUPS_PER_FRAME + k;
        if (i >= n) break;
        if (isVoltage) {
          const r = raw[voltageName(i)];
          this.voltageFrameTime_s[i] = time_s;
          const good = r !== CMU_VOLTAGE_NOT_AVAILABLE;
          this.voltageValid[i] = good ? 1 : 0;
          if (good) {
            this.voltages_V[i] = rawToPhysical(this.voltageSignals[i], r);
            this.voltageTime_s[i] = time_s;
          }
        } else {
          const r = raw[tempName(i)];
          const good = r !== CMU_TEMP_NOT_AVAILABLE;
          this.tempValid[i] = good ? 1 : 0;
          if (good) {
            this.temps_K[i] = celsiusToKelvin(rawToPhysical(this.tempSignals[i], r));
            this.tempTime_s[i] = time_s;
          }
        }
      }
      return true;
    }
    const v = c.decode(frame)!.values;
    if (id === CMU_IDS.packCurrent)
      this.packCurrent.set(v.CMU_PackCurrent, v.CMU_PackCurrentValid === 1, time_s);
    else if (id === CMU_IDS.packVoltages) {
      this.packVoltage.set(v.CMU_PackVoltage, v.CMU_PackVoltageValid === 1, time_s);
      this.linkVoltage.set(v.CMU_LinkVoltage, v.CMU_LinkVoltageValid === 1, time_s);
    } else {
      this.insulation.set(v.CMU_InsulationResistance, v.CMU_InsulationValid === 1, time_s);
      this.coolantInlet.set(celsiusToKelvin(v.CMU_CoolantInletTemp), v.CMU_CoolantValid === 1, time_s);
      this.contactors.positive = v.CMU_ContactorPositiveClosed === 1;
      this.contactors.negative = v.CMU_ContactorNegativeClosed === 1;
      this.contactors.precharge = v.CMU_ContactorPrechargeClosed === 1;
    }
    return true;
  }

  /** Age of the oldest group-voltage frame at `now_s` (Infinity while some group was never heard). */
  oldestVoltageAge_s(now_s: number): number {
    let oldest = Number.POSITIVE_INFINITY;
    for (let g = 0; g < this.groupCount; g++) oldest = Math.min(oldest, this.voltageFrameTime_s[g]);
    return now_s - oldest;
  }

  /**
   * The readings as the controller's `Measurements` at `now_s`: a reading is valid when its last report was
   * good and is at most `timeout_s` old; `commsOk` is false once any group's frames are older than that.
   */
  measurements(now_s: number, timeout_s: number): Measurements {
    const bank = (value: Float64Array, valid: Uint8Array, time_s: Float64Array): ReadingBank => {
      const ageS = new Float64Array(value.length);
      const ok = new Uint8Array(value.length);
      for (let i = 0; i < value.length; i++) {
        ageS[i] = now_s - time_s[i];
        ok[i] = valid[i] === 1 && ageS[i] <= timeout_s ? 1 : 0;
      }
      return { value: value.slice(), valid: ok, ageS };
    };
    return {
      timeS: now_s,
      groupVoltageV: bank(this.voltages_V, this.voltageValid, this.voltageTime_s),
      temperatureK: bank(this.temps_K, this.tempValid, this.tempTime_s),
      packCurrentA: this.packCurrent.reading(now_s, timeout_s),
      packVoltageV: this.packVoltage.reading(now_s, timeout_s),
      linkVoltageV: this.linkVoltage.reading(now_s, timeout_s),
      insulationOhm: this.insulation.reading(now_s, timeout_s),
      coolantInletK: this.coolantInlet.reading(now_s, timeout_s),
      contactors: { ...this.contactors },
      commsOk: this.oldestVoltageAge_s(now_s) <= timeout_s,
    };
  }
}
