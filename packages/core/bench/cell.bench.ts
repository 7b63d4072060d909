/**
 * Single-cell model speed: steps per second of CellArray.step + stepThermal for one cell with 2 RC pairs,
 * hysteresis, entropic heat and SOC × temperature tables (the test fixture), on a varying current.
 */
import { CellArray, celsiusToKelvin } from "../src/index.ts";
import { testCell } from "../test/fixtures.ts";

const model = testCell();
const cell = new CellArray(model, 1, { soc: 0.9, tempK: celsiusToKelvin(25) });
const amb = celsiusToKelvin(25);
const dt = 0.1;

function run(steps: number): number {
  let acc = 0;
  for (let k = 0; k < steps; k++) {
    // A charge/discharge pattern that keeps SOC in range: 60 s discharge, 30 s charge.
    const phase = k % 900;
    const current = phase < 600 ? -4 : 3;
    acc += cell.step(0, current, dt);
    cell.stepThermal(0, dt, amb);
  }
  return acc;
}

run(200_000); // warm-up (JIT)
const steps = 2_000_000;
const t0 = process.hrtime.bigint();
const sink = run(steps);
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
if (!Number.isFinite(sink)) throw new Error("non-finite voltage in benchmark");
console.log(
  JSON.stringify({ name: "cell.steps_per_s", value: Math.round(steps / seconds), unit: "steps/s" }),
);
