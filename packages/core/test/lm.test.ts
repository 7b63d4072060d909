/**
 * The Levenberg–Marquardt routine on standard test problems of Moré, Garbow & Hillstrom (1981), "Testing
 * unconstrained optimization software", ACM TOMS 7(1), with their published minima, and on a noisy
 * exponential fit against its known truth.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { type LmProblem, levenbergMarquardt } from "../src/math/lm.ts";
import { Rng } from "../src/random.ts";

const problem = (m: number, f: (x: Float64Array, out: Float64Array) => void): LmProblem => ({
  residualCount: m,
  residuals: f,
});
/** Sum of squares as MGH report it (= 2 × our cost). */
const sumSq = (cost: number) => 2 * cost;

test("Rosenbrock from (−1.2, 1) reaches (1, 1)", () => {
  const r = levenbergMarquardt(
    problem(2, (x, o) => {
      o[0] = 10 * (x[1] - x[0] * x[0]);
      o[1] = 1 - x[0];
    }),
    [-1.2, 1],
  );
  assert.ok(r.converged, r.reason);
  assert.ok(Math.abs(r.params[0] - 1) < 1e-7 && Math.abs(r.params[1] - 1) < 1e-7, `${r.params}`);
});

test("helical valley from (−1, 0, 0) reaches (1, 0, 0)", () => {
  const r = levenbergMarquardt(
    problem(3, (x, o) => {
      const theta = Math.atan2(x[1], x[0]) / (2 * Math.PI);
      o[0] = 10 * (x[2] - 10 * theta);
      o[1] = 10 * (Math.hypot(x[0], x[1]) - 1);
      o[2] = x[2];
    }),
    [-1, 0, 0],
  );
  assert.ok(Math.abs(r.params[0] - 1) < 1e-6, `${r.params}`);
  assert.ok(Math.abs(r.params[1]) < 1e-6 && Math.abs(r.params[2]) < 1e-6, `${r.params}`);
});

test("Powell singular (rank-deficient at the solution) drives f to 0", () => {
  const r = levenbergMarquardt(
    problem(4, (x, o) => {
      o[0] = x[0] + 10 * x[1];
      o[1] = Math.sqrt(5) * (x[2] - x[3]);
      o[2] = (x[1] - 2 * x[2]) ** 2;
      o[3] = Math.sqrt(10) * (x[0] - x[3]) ** 2;
    }),
    [3, -1, 0, 1],
    { maxIterations: 500 },
  );
  assert.ok(sumSq(r.cost) < 1e-12, `f = ${sumSq(r.cost)}`);
  for (const v of r.params) assert.ok(Math.abs(v) < 1e-2, `${r.params}`);
});

test("Box three-dimensional reaches f = 0", () => {
  const r = levenbergMarquardt(
    problem(10, (x, o) => {
      for (let i = 1; i <= 10; i++) {
        const t = 0.1 * i;
        o[i - 1] = Math.exp(-t * x[0]) - Math.exp(-t * x[1]) - x[2] * (Math.exp(-t) - Math.exp(-10 * t));
      }
    }),
    [0, 10, 20],
  );
  assert.ok(sumSq(r.cost) < 1e-14, `f = ${sumSq(r.cost)}`);
});

test("Bard reaches its published minimum 8.21487e-3", () => {
  const y = [0.14, 0.18, 0.22, 0.25, 0.29, 0.32, 0.35, 0.39, 0.37, 0.58, 0.73, 0.96, 1.34, 2.1, 4.39];
  const r = levenbergMarquardt(
    problem(15, (x, o) => {
      for (let i = 1; i <= 15; i++) {
        const u = i;
        const v = 16 - i;
        const w = Math.min(u, v);
        o[i - 1] = y[i - 1] - (x[0] + u / (x[1] * v + x[2] * w));
      }
    }),
    [1, 1, 1],
  );
  assert.ok(Math.abs(sumSq(r.cost) - 8.21487e-3) < 1e-8, `f = ${sumSq(r.cost)}`);
});

test("Kowalik–Osborne reaches its published minimum 3.07505e-4", () => {
  const y = [0.1957, 0.1947, 0.1735, 0.16, 0.0844, 0.0627, 0.0456, 0.0342, 0.0323, 0.0235, 0.0246];
  const u = [4, 2, 1, 0.5, 0.25, 0.167, 0.125, 0.1, 0.0833, 0.0714, 0.0625];
  const r = levenbergMarquardt(
    problem(11, (x, o) => {
      for (let i = 0; i < 11; i++)
        o[i] = y[i] - (x[0] * (u[i] * u[i] + u[i] * x[1])) / (u[i] * u[i] + u[i] * x[2] + x[3]);
    }),
    [0.25, 0.39, 0.415, 0.39],
  );
  assert.ok(Math.abs(sumSq(r.cost) - 3.07505e-4) < 1e-8, `f = ${sumSq(r.cost)}`);
});

test("Meyer (badly scaled) reaches its published minimum 87.9458", () => {
  const y = [
    34780, 28610, 23650, 19630, 16370, 13720, 11540, 9744, 8261, 7030, 6005, 5147, 4427, 3820, 3307, 2872,
  ];
  const r = levenbergMarquardt(
    problem(16, (x, o) => {
      for (let i = 0; i < 16; i++) {
        const t = 45 + 5 * (i + 1);
        o[i] = x[0] * Math.exp(x[1] / (t + x[2])) - y[i];
      }
    }),
    [0.02, 4000, 250],
    { maxIterations: 2000 },
  );
  assert.ok(Math.abs(sumSq(r.cost) - 87.9458) < 1e-3, `f = ${sumSq(r.cost)}`);
});

test("an analytic Jacobian gives the same answer as the finite difference", () => {
  const f = (x: Float64Array, o: Float64Array) => {
    o[0] = 10 * (x[1] - x[0] * x[0]);
    o[1] = 1 - x[0];
  };
  const r = levenbergMarquardt(
    {
      residualCount: 2,
      residuals: f,
      jacobian: (x, j) => {
        j[0] = -20 * x[0];
        j[1] = 10;
        j[2] = -1;
        j[3] = 0;
      },
    },
    [-1.2, 1],
  );
  assert.ok(Math.abs(r.params[0] - 1) < 1e-9 && Math.abs(r.params[1] - 1) < 1e-9);
});

test("bounds are respected and the constrained optimum is found", () => {
  // Rosenbrock with x0 ≤ 0.5: the constrained minimum is at x0 = 0.5, x1 = 0.25.
  const r = levenbergMarquardt(
    problem(2, (x, o) => {
      o[0] = 10 * (x[1] - x[0] * x[0]);
      o[1] = 1 - x[0];
    }),
    [-1.2, 1],
    { upper: [0.5, 10], lower: [-10, -10] },
  );
  assert.ok(r.params[0] <= 0.5);
  assert.ok(Math.abs(r.params[0] - 0.5) < 1e-6 && Math.abs(r.params[1] - 0.25) < 1e-6, `${r.params}`);
});

test("a noisy two-exponential fit recovers its parameters within their noise", () => {
  const rng = new Rng(7);
  const truth = [2, 0.5, 1, 0.05];
  const ts = Array.from({ length: 400 }, (_, i) => i * 0.25);
  const ys = ts.map((t) => truth[0] * Math.exp(-truth[1] * t) + truth[2] * Math.exp(-truth[3] * t));
  const noisy = ys.map((y) => y + 1e-4 * rng.normal());
  const r = levenbergMarquardt(
    problem(ts.length, (x, o) => {
      for (let i = 0; i < ts.length; i++)
        o[i] = x[0] * Math.exp(-x[1] * ts[i]) + x[2] * Math.exp(-x[3] * ts[i]) - noisy[i];
    }),
    [1, 1, 0.5, 0.01],
  );
  for (let j = 0; j < 4; j++)
    assert.ok(Math.abs(r.params[j] / truth[j] - 1) < 1e-3, `p${j} = ${r.params[j]} vs ${truth[j]}`);
  assert.ok(Math.abs(r.rms - 1e-4) < 2e-5, `rms ${r.rms}`);
});

test("bad input is refused with a clear error", () => {
  assert.throws(
    () =>
      levenbergMarquardt(
        problem(1, () => {}),
        [],
      ),
    /no parameters/,
  );
  assert.throws(
    () =>
      levenbergMarquardt(
        problem(1, (_x, o) => (o[0] = Number.NaN)),
        [1],
      ),
    /not finite at the start/,
  );
});
