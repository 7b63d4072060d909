/** HPPC-like tests that the cell model itself generates, for the fit tests: what the fit must give back is known. */
import {
  CellArray,
  type CellModel,
  celsiusToKelvin,
  formatCsv,
  parseCsv,
  Rng,
  toFitSeries,
} from "../src/index.ts";

/** R0 and two RC pairs over SOC × temperature (10 and 25 °C) of the synthetic truth cell. */
export function fitTruthResistances() {
  const table = (a: [number, number], b: [number, number]) => ({
    soc: [0, 1],
    tempC: [10, 25],
    values: [a, b],
  });
  return {
    r0Ohm: table([0.05, 0.04], [0.03, 0.025]),
    rc: [
      { rOhm: table([0.03, 0.025], [0.015, 0.012]), cF: 200 },
      { rOhm: table([0.04, 0.03], [0.02, 0.018]), cF: 3000 },
    ],
  };
}

/**
 * From full: at each SOC level a 0.5 C step down (1.5 A for the 3 A·h cell) and 30 min rest, then a 10-s pulse at
 * each of the given discharge currents, each followed by 10 min of rest; 0.1 mV voltage noise.
 */
export function syntheticHppc(
  truth: CellModel,
  tempC: number,
  seed: number,
  levels: readonly number[],
  pulseCurrentsA: readonly number[],
): string {
  const cell = new CellArray(truth, 1, { soc: 1, tempK: celsiusToKelvin(tempC) });
  const rng = new Rng(seed);
  const cols = { time_s: [0], current_A: [0], voltage_V: [cell.ocv(0)], temp_cell_C: [tempC] };
  let now = 0;
  const run = (seconds: number, dt: number, current: number) => {
    for (let k = 0; k < Math.round(seconds / dt); k++) {
      now += dt;
      const v = cell.step(0, current, dt);
      cols.time_s.push(Number(now.toFixed(3)));
      cols.current_A.push(current);
      cols.voltage_V.push(v + 0.0001 * rng.normal());
      cols.temp_cell_C.push(tempC);
    }
  };
  run(600, 10, 0);
  for (const level of levels) {
    run(((cell.soc[0] - level) * 3 * 3600) / 1.5, 10, -1.5);
    run(1800, 10, 0);
    for (const i of pulseCurrentsA) {
      run(10, 0.1, -i);
      run(20, 0.1, 0);
      run(580, 1, 0);
    }
  }
  return formatCsv(cols);
}

/**
 * What a fit of the synthetic truth starts from: its OCV as a table, the fields the tests cannot give as the base
 * (everything the fit identifies removed), and model-generated HPPC tests at 10 and 25 °C (one 6-A pulse per level).
 */
export function syntheticFitInput(truthFile: Record<string, unknown>, truth: CellModel) {
  const base = { ...truthFile };
  for (const k of [
    "ocv",
    "r0Ohm",
    "rc",
    "hysteresis",
    "name",
    "capacityAh",
    "dUdT_VperK",
    "arrheniusEaJperMol",
  ])
    delete base[k];
  const pulseTests = [10, 25].map((tc, k) => ({
    series: toFitSeries(
      parseCsv(syntheticHppc(truth, tc, k + 1, [0.95, 0.75, 0.55, 0.35, 0.15], [6])),
      `synthetic ${tc} °C`,
    )[0],
  }));
  return {
    base,
    ocvTable: { soc: Array.from(truth.ocv.soc), ocvV: Array.from(truth.ocv.values) },
    pulseTests,
  };
}
