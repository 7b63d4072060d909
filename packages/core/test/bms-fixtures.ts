/** A small pack and hand-made measurement frames for the BMS controller tests. */
import { type CellModel, celsiusToKelvin } from "../src/index.ts";
import { cellPackInfo, type Measurements, type PackInfo, type ReadingBank } from "../src/twin/interfaces.ts";
import { testCell } from "./fixtures.ts";

export const cell = testCell();

export function testPack(seriesGroups = 4, parallelCells = 2, model: CellModel = cell): PackInfo {
  return {
    seriesGroups,
    parallelCells,
    ...cellPackInfo(model),
    tempSensors: Array.from({ length: seriesGroups }, (_, g) => ({ group: g, cell: 0 })),
    transferConverters: 0,
    bleedOhm: 33,
    samplePeriodS: 0.01,
  };
}

const bank = (values: number[]): ReadingBank => ({
  value: Float64Array.from(values),
  valid: new Uint8Array(values.length).fill(1),
  ageS: new Float64Array(values.length),
});

export interface FrameOptions {
  groupV?: number | number[];
  tempC?: number | number[];
  currentA?: number;
  /** Defaults to the sum of the group voltages. */
  packV?: number;
  /** Defaults to the pack voltage when the mains are closed, else 0. */
  linkV?: number;
  contactors?: { positive: boolean; negative: boolean; precharge: boolean };
  commsOk?: boolean;
  insulationOhm?: number;
  timeS?: number;
}

/** A measurement frame with every reading valid and fresh. */
export function frame(pack: PackInfo, o: FrameOptions = {}): Measurements {
  const ns = pack.seriesGroups;
  const gv = typeof o.groupV === "object" ? o.groupV : Array(ns).fill(o.groupV ?? 3.7);
  const tc = typeof o.tempC === "object" ? o.tempC : Array(pack.tempSensors.length).fill(o.tempC ?? 25);
  const packV = o.packV ?? gv.reduce((a, b) => a + b, 0);
  const k = o.contactors ?? { positive: false, negative: false, precharge: false };
  const r = (value: number) => ({ value, valid: true, ageS: 0 });
  return {
    timeS: o.timeS ?? 0,
    groupVoltageV: bank(gv),
    temperatureK: bank(tc.map(celsiusToKelvin)),
    packCurrentA: r(o.currentA ?? 0),
    packVoltageV: r(packV),
    linkVoltageV: r(o.linkV ?? (k.positive && k.negative ? packV : 0)),
    insulationOhm: r(o.insulationOhm ?? 5e6),
    coolantInletK: r(celsiusToKelvin(25)),
    contactors: { ...k },
    commsOk: o.commsOk ?? true,
  };
}
