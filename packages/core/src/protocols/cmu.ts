/**
 * Cell-monitoring units (CMU) ↔ BMS over CAN (packages/core/dbc/coxswain-cmu.dbc). The twin (or real boards)
 * send series-group voltages and temperatures in multiplexed frames of three groups; the BMS sends balancing
 * switches in frames of 48. `CmuMonitor` is the BMS side: it assembles the frames into per-group arrays and
 * remembers when each group was last heard, which is what the stale-data rule needs.
 */
import { DbcCodec, type SignalValues } from "../can/codec.ts";
import { parseDbc } from "../can/dbc.ts";
import type { CanFrame } from "../can/frame.ts";
import { celsiusToKelvin, kelvinToCelsius } from "../units.ts";
import {
  BALANCE_BITS_PER_FRAME,
  CMU_GROUPS_PER_FRAME,
  CMU_IDS,
  CMU_MAX_GROUPS,
  cmuDbcText,
  groupTag,
} from "./dbc-text.ts";
import { clamp } from "./host.ts";

let codec: DbcCodec | undefined;
export function cmuCodec(): DbcCodec {
  codec ??= new DbcCodec(parseDbc(cmuDbcText()));
  return codec;
}

function checkGroupCount(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > CMU_MAX_GROUPS)
    throw new RangeError(`CMU group count: got ${n}, expected an integer 1…${CMU_MAX_GROUPS}`);
}

const voltageName = (g: number) => `CMU_Voltage_${groupTag(g)}`;
const tempName = (g: number) => `CMU_Temp_${groupTag(g)}`;
const balanceName = (g: number) => `BMS_Balance_${groupTag(g)}`;

/** Frames carrying all group voltages (one per block of three); missing trailing groups are sent as 0. */
export function encodeCmuVoltages(voltages_V: ArrayLike<number>, counter: number): CanFrame[] {
  checkGroupCount(voltages_V.length);
  const out: CanFrame[] = [];
  for (let b = 0; b * CMU_GROUPS_PER_FRAME < voltages_V.length; b++) {
    const v: SignalValues = { CMU_VoltageBlock: b, CMU_Counter: counter & 15 };
    for (let k = 0; k < CMU_GROUPS_PER_FRAME; k++) {
      const g = b * CMU_GROUPS_PER_FRAME + k;
      v[voltageName(g)] = g < voltages_V.length ? clamp(Math.round(voltages_V[g] * 1e4) / 1e4, 0, 6.5535) : 0;
    }
    out.push(cmuCodec().encode("CMU_CellVoltages", v));
  }
  return out;
}

/** Frames carrying all group temperatures, in kelvin inside, °C on the wire. */
export function encodeCmuTemperatures(temps_K: ArrayLike<number>, counter: number): CanFrame[] {
  checkGroupCount(temps_K.length);
  const out: CanFrame[] = [];
  for (let b = 0; b * CMU_GROUPS_PER_FRAME < temps_K.length; b++) {
    const v: SignalValues = { CMU_TempBlock: b, CMU_Counter: counter & 15 };
    for (let k = 0; k < CMU_GROUPS_PER_FRAME; k++) {
      const g = b * CMU_GROUPS_PER_FRAME + k;
      v[tempName(g)] =
        g < temps_K.length ? clamp(Math.round(kelvinToCelsius(temps_K[g]) * 100) / 100, -327.68, 327.67) : 0;
    }
    out.push(cmuCodec().encode("CMU_Temperatures", v));
  }
  return out;
}

/** Balancing switch frames (one per 48 groups) from per-group on/off. */
export function encodeBalancing(on: ArrayLike<boolean | number>, counter: number): CanFrame[] {
  checkGroupCount(on.length);
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

/**
 * The BMS side of the CMU link. Values stay NaN until first heard; `voltageTime_s[g]` is when group g's
 * voltage last arrived (−Infinity before), so the controller can apply its stale-data timeout.
 */
export class CmuMonitor {
  readonly voltages_V: Float64Array;
  readonly temps_K: Float64Array;
  readonly voltageTime_s: Float64Array;
  readonly tempTime_s: Float64Array;
  readonly diagnostics = new Map<number, CmuDiagnostics & { time_s: number }>();
  /** Frames whose rolling counter did not advance (a frozen sender). */
  repeatedCounters = 0;
  private readonly lastCounter = new Map<string, number>();

  constructor(readonly groupCount: number) {
    checkGroupCount(groupCount);
    this.voltages_V = new Float64Array(groupCount).fill(Number.NaN);
    this.temps_K = new Float64Array(groupCount).fill(Number.NaN);
    this.voltageTime_s = new Float64Array(groupCount).fill(Number.NEGATIVE_INFINITY);
    this.tempTime_s = new Float64Array(groupCount).fill(Number.NEGATIVE_INFINITY);
  }

  /** Takes a frame; returns false when it is not a CMU measurement frame. */
  receive(frame: CanFrame, time_s: number): boolean {
    if (frame.extended || frame.data.length < 8) return false;
    const id = frame.id;
    if (id !== CMU_IDS.cellVoltages && id !== CMU_IDS.temperatures && id !== CMU_IDS.diagnostics)
      return false;
    const v = cmuCodec().decode(frame)!.values;
    if (id === CMU_IDS.diagnostics) {
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
    const isVoltage = id === CMU_IDS.cellVoltages;
    const block = isVoltage ? v.CMU_VoltageBlock : v.CMU_TempBlock;
    const key = `${id}/${block}`;
    if (this.lastCounter.get(key) === v.CMU_Counter) {
      this.repeatedCounters++;
      return true;
    }
    this.lastCounter.set(key, v.CMU_Counter);
    for (let k = 0; k < CMU_GROUPS_PER_FRAME; k++) {
      const g = block * CMU_GROUPS_PER_FRAME + k;
      if (g >= this.groupCount) break;
      if (isVoltage) {
        this.voltages_V[g] = v[voltageName(g)];
        this.voltageTime_s[g] = time_s;
      } else {
        this.temps_K[g] = celsiusToKelvin(v[tempName(g)]);
        this.tempTime_s[g] = time_s;
      }
    }
    return true;
  }

  /** Age of the oldest group voltage at `now_s` (Infinity while some group was never heard). */
  oldestVoltageAge_s(now_s: number): number {
    let oldest = Number.POSITIVE_INFINITY;
    for (let g = 0; g < this.groupCount; g++) oldest = Math.min(oldest, this.voltageTime_s[g]);
    return now_s - oldest;
  }
}
