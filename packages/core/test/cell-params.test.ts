import assert from "node:assert/strict";
import { test } from "node:test";
import {
  celsiusToKelvin,
  GAS_CONSTANT,
  integrate1,
  interp1,
  loadCellModel,
  MAX_RC_PAIRS,
  parseCellParams,
  Table,
  ValidationError,
} from "../src/index.ts";
import { testCellFile } from "./fixtures.ts";

test("bilinear interpolation: corners exact, cell centre is the mean of the four corners, clamped in SOC", () => {
  const t = new Table([0, 0.5, 1], [273.15, 298.15], [1, 2, 4, 3, 5, 9]);
  assert.equal(t.at(0, 273.15), 1);
  assert.equal(t.at(1, 298.15), 9);
  assert.ok(Math.abs(t.at(0.25, 285.65) - (1 + 2 + 3 + 5) / 4) < 1e-12);
  assert.equal(t.at(-0.3, 273.15), 1, "held below SOC 0");
  assert.equal(t.at(1.7, 298.15), 9, "held above SOC 1");
});

test("Arrhenius extrapolation outside the temperature axis follows exp(Ea/R·(1/T − 1/T_edge))", () => {
  const ea = 40000;
  const t = new Table([0, 1], [273.15, 298.15], [0.02, 0.03, 0.01, 0.015], ea);
  const cold = celsiusToKelvin(-20);
  const expected = 0.025 * Math.exp((ea / GAS_CONSTANT) * (1 / cold - 1 / 273.15));
  assert.ok(Math.abs(t.at(0.5, cold) - expected) < 1e-15);
  const hot = celsiusToKelvin(45);
  assert.ok(
    Math.abs(t.at(0.5, hot) - 0.0125 * Math.exp((ea / GAS_CONSTANT) * (1 / hot - 1 / 298.15))) < 1e-15,
  );
  // Without an activation energy the edge value is held.
  const held = new Table([0, 1], [273.15, 298.15], [0.02, 0.03, 0.01, 0.015]);
  assert.equal(held.at(0.5, cold), 0.025);
});

test("integrate1 is exact for piecewise-linear data, including clamped tails", () => {
  const xs = [0, 1, 3];
  const ys = [1, 3, 2];
  // Trapezoids: [0,1] → 2, [1,3] → 5; tails: [-1,0] at 1 → 1, [3,4] at 2 → 2.
  assert.ok(Math.abs(integrate1(xs, ys, -1, 4) - 10) < 1e-12);
  assert.ok(Math.abs(integrate1(xs, ys, 4, -1) + 10) < 1e-12);
  // Partial: ∫_0.5^2 = ∫_0.5^1 (1+2x) dx + ∫_1^2 (3 - (x-1)/2) dx = 1.25 + 2.75
  assert.ok(Math.abs(integrate1(xs, ys, 0.5, 2) - 4) < 1e-12);
  assert.equal(interp1(xs, ys, 2), 2.5);
});

function expectIssue(json: unknown, path: string, ...fragments: string[]) {
  assert.throws(
    () => parseCellParams(json),
    (e: unknown) => {
      assert.ok(e instanceof ValidationError, String(e));
      const issue = e.issues.find((i) => i.path === path);
      assert.ok(issue, `no issue at ${path}; got ${e.message}`);
      for (const f of fragments) assert.ok(e.message.includes(f), `message lacks "${f}": ${e.message}`);
      return true;
    },
  );
}

test("an invalid parameter file fails with an error naming the field, the value and the allowed range", () => {
  const good = JSON.parse(JSON.stringify(testCellFile()));
  expectIssue({ ...good, capacityAh: -2.9 }, "capacityAh", "capacityAh", "-2.9", "> 0");
  expectIssue({ ...good, capacityAh: "3" }, "capacityAh", '"3"');
  expectIssue({ ...good, coulombicEfficiency: 1.2 }, "coulombicEfficiency", "1.2", "<= 1");
  expectIssue(
    { ...good, limits: { ...good.limits, voltageMaxV: 2 } },
    "limits.voltageMaxV",
    "above voltageMinV",
  );
  expectIssue(
    { ...good, ocv: { soc: [0, 0.5, 1], voltageV: [3, 3.9, 3.8] } },
    "ocv.voltageV[2]",
    "must not fall",
  );
  expectIssue(
    { ...good, ocv: { soc: [0, 0.5, 0.4], voltageV: [3, 3.5, 3.8] } },
    "ocv.soc[2]",
    "greater than",
  );
  expectIssue({ ...good, r0Ohm: { soc: [0, 1], values: [0.01] } }, "r0Ohm.values", "2 values");
  expectIssue({ ...good, rc: [{ rOhm: 0.01, cF: -5 }] }, "rc[0].cF", "-5");
  expectIssue({ ...good, capacityAH: 3 }, "capacityAH", "no such field");
  const { thermal: _t, ...noThermal } = good;
  expectIssue(noThermal, "thermal", "field missing");
  expectIssue({ ...good, rc: Array(MAX_RC_PAIRS + 1).fill(good.rc[0]) }, "rc", `at most ${MAX_RC_PAIRS}`);
});

test("all problems of a file are reported together", () => {
  const good = JSON.parse(JSON.stringify(testCellFile()));
  try {
    parseCellParams({ ...good, capacityAh: 0, referenceTempC: 500 });
    assert.fail("should throw");
  } catch (e) {
    assert.ok(e instanceof ValidationError);
    assert.deepEqual(e.issues.map((i) => i.path).sort(), ["capacityAh", "referenceTempC"]);
  }
});

test("directional tables: charge and discharge resistances are used by current sign", () => {
  const m = loadCellModel(testCellFile());
  const z = 0.5;
  const t = celsiusToKelvin(25);
  assert.equal(m.r0.at(z, t, 1), 0.03);
  assert.equal(m.r0.at(z, t, -1), 0.031);
});
