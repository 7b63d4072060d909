import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  celsiusToKelvin,
  fromChargePositive,
  kelvinToCelsius,
  parseCsv,
  Rng,
  toChargePositive,
  toMeasured,
} from "../src/index.ts";

test("°C ↔ K round trip and fixed points", () => {
  assert.equal(celsiusToKelvin(0), 273.15);
  assert.equal(kelvinToCelsius(373.15), 100);
  fc.assert(
    fc.property(
      fc.double({ min: -273, max: 1000, noNaN: true }),
      (c) => Math.abs(kelvinToCelsius(celsiusToKelvin(c)) - c) < 1e-9,
    ),
  );
});

test("current sign conversion: discharge-positive sources flip, charge-positive pass through", () => {
  assert.equal(toChargePositive(2, "discharge-positive"), -2);
  assert.equal(toChargePositive(2, "charge-positive"), 2);
  assert.equal(fromChargePositive(toChargePositive(-3.5, "discharge-positive"), "discharge-positive"), -3.5);
});

test("seeded generator: same seed same sequence, different seeds differ", () => {
  const a = new Rng(123);
  const b = new Rng(123);
  const c = new Rng(124);
  const sa = Array.from({ length: 100 }, () => a.nextUint32());
  assert.deepEqual(
    sa,
    Array.from({ length: 100 }, () => b.nextUint32()),
  );
  assert.notDeepEqual(
    sa,
    Array.from({ length: 100 }, () => c.nextUint32()),
  );
});

test("seeded generator: uniform and normal draws have the right moments", () => {
  const r = new Rng(2024);
  const n = 200000;
  let su = 0;
  let sn = 0;
  let sn2 = 0;
  for (let k = 0; k < n; k++) {
    const u = r.uniform();
    assert.ok(u >= 0 && u < 1);
    su += u;
    const x = r.normal(2, 3);
    sn += x;
    sn2 += x * x;
  }
  const meanN = sn / n;
  // Standard errors: uniform mean 0.00065, normal mean 0.0067, variance ≈ 0.028; bounds at ~5 SE.
  assert.ok(Math.abs(su / n - 0.5) < 0.004);
  assert.ok(Math.abs(meanN - 2) < 0.035);
  assert.ok(Math.abs(sn2 / n - meanN * meanN - 9) < 0.15);
});

test("CSV: PyBaMM-style file takes its header from the last comment line; signs convert", () => {
  const text = "# Based on the US06 drive cycle,\n# time [s],current [A]\n0,0.5\n1,-1.25\n2,3\n";
  const t = parseCsv(text);
  assert.deepEqual(t.columns, ["time [s]", "current [A]"]);
  const m = toMeasured(t, { currentSign: "discharge-positive" });
  assert.deepEqual(Array.from(m.currentA), [-0.5, 1.25, -3]);
  assert.deepEqual(Array.from(m.timeS), [0, 1, 2]);
});

test("CSV: named columns, mA scaling, °C to K, missing values and non-increasing times are dropped", () => {
  const text = "t_ms,I_mA,T\n0,1000,25\n1000,,25\n2000,-500,26\n2000,-400,26\n3000,200,27\n";
  const m = toMeasured(parseCsv(text), {
    time: "t_ms",
    current: "I_mA",
    temperature: "T",
    currentScale: 1e-3,
    timeScale: 1e-3,
  });
  assert.deepEqual(Array.from(m.timeS), [0, 2, 3]);
  assert.deepEqual(Array.from(m.currentA), [1, -0.5, 0.2]);
  assert.ok(Math.abs(m.tempK![0] - 298.15) < 1e-12);
  assert.equal(m.droppedRows, 2);
});

test("CSV: a missing column is a clear error listing the columns", () => {
  assert.throws(() => toMeasured(parseCsv("a,b\n1,2\n")), /no time column found.*the file has: a, b/);
  assert.throws(
    () => toMeasured(parseCsv("time_s,b\n1,2\n"), { current: "amps" }),
    /no column "amps" for current/,
  );
});

test("CSV: a PyBaMM-style 'Current [A]' column defaults to discharge-positive; an explicit sign wins", () => {
  const t = parseCsv("# Time [s],Current [A]\n0,1\n1,2\n");
  const auto = toMeasured(t);
  assert.deepEqual(Array.from(auto.currentA), [-1, -2]);
  assert.equal(auto.currentSign, "discharge-positive");
  assert.match(auto.currentSignReason, /PyBaMM/);
  assert.deepEqual(Array.from(toMeasured(t, { currentSign: "charge-positive" }).currentA), [1, 2]);
  const ours = toMeasured(parseCsv("time_s,current_A\n0,1\n1,2\n"));
  assert.deepEqual(Array.from(ours.currentA), [1, 2]);
  assert.equal(ours.currentSign, "charge-positive");
});
