/** OCV identification: monotone smoothing, the mean of the low-rate branches and the half-gap. */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { monotoneFit, ocvFromLowRate } from "../src/index.ts";

test("monotone fit: non-decreasing, keeps the weighted mean, identity on sorted input, pools violators", () => {
  fc.assert(
    fc.property(
      fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: 1, maxLength: 60 }),
      (ys) => {
        const m = monotoneFit(ys);
        for (let i = 1; i < m.length; i++) assert.ok(m[i] >= m[i - 1] - 1e-12);
        const sum = (a: ArrayLike<number>) => Array.from(a).reduce((x, y) => x + y, 0);
        assert.ok(Math.abs(sum(m) - sum(ys)) < 1e-9 * Math.max(1, Math.abs(sum(ys))) + 1e-9);
        const sorted = [...ys].sort((a, b) => a - b);
        assert.deepEqual(Array.from(monotoneFit(sorted)), sorted);
      },
    ),
  );
  assert.deepEqual(Array.from(monotoneFit([1, 3, 2, 4])), [1, 2.5, 2.5, 4]);
});

test("low-rate branches give back the OCV and half-gap they were built from", () => {
  // Branches of a known curve U(z) with hysteresis M and ohmic drop R·I, sampled like a C/20 test; the charge
  // returns 3 % less than the discharge took (the loop is closed at the top).
  const U = (z: number) => 3.0 + 1.1 * z + 0.1 * Math.sin(3 * z);
  const M = 0.01;
  const R = 0.05;
  const q = 3;
  const iLow = q / 20;
  const t: number[] = [];
  const i: number[] = [];
  const v: number[] = [];
  const ah: number[] = [];
  let charge = 0;
  const dt = 60;
  const push = (cur: number, zTrue: number, branch: number) => {
    t.push(t.length * dt);
    i.push(cur);
    v.push(U(zTrue) + branch * M + R * cur);
    ah.push(charge);
  };
  for (let z = 1; z > 0; ) {
    push(-iLow, z, -1);
    charge -= (iLow * dt) / 3600;
    z = 1 + charge / q;
  }
  const bottom = charge;
  const chargeEff = 0.97;
  for (let z = 1 + bottom / q; z < 1; ) {
    push(iLow, z, 1);
    charge += (chargeEff * iLow * dt) / 3600;
    z = 1 + bottom / q + (charge - bottom) / chargeEff / q;
  }
  const soc = ah.map((a) => 1 + a / q);
  const r = ocvFromLowRate(soc, i, v, ah);
  let worstU = 0;
  let worstM = 0;
  for (let k = 0; k < r.soc.length; k++) {
    const z = r.soc[k];
    if (z < 0.03 || z > 0.97) continue; // the ends of a branch are where the other branch has no data
    worstU = Math.max(worstU, Math.abs(r.ocvV[k] - U(z)));
    worstM = Math.max(worstM, Math.abs(r.halfGapV[k] - (M + R * iLow)));
  }
  assert.ok(worstU < 0.002, `OCV error ${worstU} V`);
  assert.ok(worstM < 0.002, `half-gap error ${worstM} V`);
  assert.ok(Math.abs(r.dischargeCurrentA - iLow) < 1e-12 && Math.abs(r.chargeCurrentA - iLow) < 1e-12);
});

test("a low-rate test without a charge branch is refused with a clear error", () => {
  const n = 50;
  const z = Array.from({ length: n }, (_, k) => 1 - k / n);
  assert.throws(
    () =>
      ocvFromLowRate(
        z,
        z.map(() => -0.1),
        z.map((x) => 3 + x),
        z.map((x) => x - 1),
      ),
    /no charge branch/,
  );
});
