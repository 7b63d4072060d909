/** A synthetic but realistic cell parameter set for tests (values of the order of a 3 Ah 18650). */
import { type CellModel, type CellParamsFile, compileCellParams, parseCellParams } from "../src/index.ts";

export function testCellFile(overrides: Record<string, unknown> = {}): CellParamsFile {
  const base = {
    format: "coxswain-cell/1",
    name: "test-cell",
    description: "synthetic 3 Ah cell for tests",
    capacityAh: 3,
    referenceTempC: 25,
    coulombicEfficiency: 0.995,
    ocv: {
      soc: [0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1],
      voltageV: [3.0, 3.3, 3.45, 3.55, 3.62, 3.67, 3.72, 3.8, 3.88, 3.97, 4.06, 4.12, 4.18],
    },
    dUdT_VperK: { soc: [0, 0.5, 1], values: [-0.0002, 0.0001, 0.00005] },
    r0Ohm: {
      charge: {
        soc: [0, 0.5, 1],
        tempC: [0, 25],
        values: [
          [0.06, 0.05, 0.055],
          [0.035, 0.03, 0.032],
        ],
      },
      discharge: {
        soc: [0, 0.5, 1],
        tempC: [0, 25],
        values: [
          [0.065, 0.052, 0.057],
          [0.038, 0.031, 0.033],
        ],
      },
    },
    rc: [
      { rOhm: { soc: [0, 1], values: [0.02, 0.015] }, cF: { soc: [0, 1], values: [1000, 1500] } },
      { rOhm: 0.01, cF: 40000 },
    ],
    arrheniusEaJperMol: 30000,
    hysteresis: { mV: { soc: [0, 0.5, 1], values: [0.02, 0.012, 0.01] }, m0V: 0.003, gamma: 120 },
    thermal: {
      cellHeatCapacityJperK: 40,
      caseHeatCapacityJperK: 5,
      cellToCaseWperK: 1.5,
      caseToAmbientWperK: 0.1,
    },
    limits: {
      voltageMinV: 2.5,
      voltageMaxV: 4.2,
      chargeCurrentMaxA: 3,
      dischargeCurrentMaxA: 10,
      chargeTempMinC: 0,
      chargeTempMaxC: 45,
      dischargeTempMinC: -20,
      dischargeTempMaxC: 60,
    },
    ...overrides,
  };
  return parseCellParams(base, "test cell");
}

export function testCell(overrides: Record<string, unknown> = {}): CellModel {
  return compileCellParams(testCellFile(overrides));
}
