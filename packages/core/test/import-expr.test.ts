import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { dataPath, readTextFile } from "@coxswain/node/data";
import fc from "fast-check";
import { compileExpression, ExpressionError, evaluateExpression } from "../src/import/expr.ts";

test("hand-computed values: Python precedence and associativity", () => {
  const cases: [string, Record<string, number>, number][] = [
    ["1 + 2 * 3", {}, 7],
    ["(1 + 2) * 3", {}, 9],
    ["1 - 2 - 3", {}, -4],
    ["8 / 4 / 2", {}, 1],
    ["-2 ** 2", {}, -4],
    ["(-2) ** 2", {}, 4],
    ["2 ** 3 ** 2", {}, 512],
    ["2 ** -1", {}, 0.5],
    ["-x ** 2", { x: 3 }, -9],
    ["--x", { x: 3 }, 3],
    ["1e3 + 2.5E-1 + .5 + 3. + 1_000", {}, 2003.75],
    ["x / 1000 * T", { x: 500, T: 298 }, 149],
    ["max(1, x, 3) + min(4, 2)", { x: 7 }, 9],
    ["pow(2, 10) + abs(-3) + sqrt(16)", {}, 1031],
    ["exp(0) + log(1) + log10(1000) + tanh(0) + sinh(0) + cosh(0) + arctan(0) + atan(0)", {}, 5],
  ];
  for (const [src, vars, expected] of cases) assert.equal(evaluateExpression(src, vars), expected, src);
});

test("errors name the position and the offending token", () => {
  const bad: [string, RegExp][] = [
    ["1 +", /found the end at position 3/],
    ["2 * * 3", /found "\*" at position 4/],
    ["foo(1)", /unknown function "foo" .* at position 0/],
    ["y + 1", /unknown name "y" .* at position 0/],
    ["exp(1, 2)", /exp\(\) takes 1 argument\(s\), got 2 at position 0/],
    ["1 $ 2", /unexpected character "\$" at position 2/],
    ["(1 + 2", /expected "\)", found the end at position 6/],
    ["1 2", /found "2" at position 2/],
    ["__import__('os')", /unexpected character "'" at position 11/],
  ];
  for (const [src, message] of bad) {
    assert.throws(() => compileExpression(src, ["x"]), ExpressionError, src);
    assert.throws(() => compileExpression(src, ["x"]), message, src);
  }
});

/** Evaluates expression strings in Python (math module, no builtins besides abs/min/max); null where Python fails. */
function python(items: { src: string; x: number; T: number }[]): (number | null)[] {
  const script = `
import json, math, sys
ns = {"exp": math.exp, "log": math.log, "log10": math.log10, "sqrt": math.sqrt, "tanh": math.tanh,
      "sinh": math.sinh, "cosh": math.cosh, "sin": math.sin, "cos": math.cos, "tan": math.tan, "abs": abs,
      "arctan": math.atan, "atan": math.atan, "pow": math.pow, "min": min, "max": max}
out = []
for it in json.load(sys.stdin):
    try:
        r = eval(it["src"], {"__builtins__": {}}, dict(ns, x=it["x"], T=it["T"]))
        out.append(repr(float(r)) if not isinstance(r, complex) else None)
    except Exception:
        out.append(None)
print(json.dumps(out))
`;
  const r = spawnSync("python3", ["-c", script], { input: JSON.stringify(items), encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return (JSON.parse(r.stdout) as (string | null)[]).map((s) =>
    s === null ? null : s === "inf" ? Infinity : s === "-inf" ? -Infinity : Number(s),
  );
}

const close = (a: number, b: number) =>
  (Number.isNaN(a) && Number.isNaN(b)) ||
  a === b ||
  Math.abs(a - b) <= 1e-12 * Math.max(Math.abs(a), Math.abs(b));

/** Every string value in a BPX document (OCPs, entropic coefficients, electrolyte properties). */
function bpxExpressions(doc: unknown, out: string[] = []): string[] {
  if (typeof doc === "string") out.push(doc);
  else if (doc && typeof doc === "object") for (const v of Object.values(doc)) bpxExpressions(v, out);
  return out;
}

test("every expression in the BPX examples evaluates as in Python (1e-12 relative)", () => {
  const files = [
    "nmc_pouch_cell_BPX.json",
    "lfp_18650_cell_BPX.json",
    "nmc_pouch_cell_BPX_blended_electrode.json",
  ];
  const exprs = new Set<string>();
  for (const f of files) {
    const doc = JSON.parse(readTextFile(dataPath(`bpx-examples/${f}`))) as { Parameterisation: unknown };
    for (const s of bpxExpressions(doc.Parameterisation)) exprs.add(s);
  }
  assert.ok(exprs.size >= 6, `found ${exprs.size} expressions`);
  const items: { src: string; x: number; T: number }[] = [];
  for (const src of exprs)
    for (const x of [0.01, 0.2, 0.5, 0.8, 0.99, 1000, 1500]) items.push({ src, x, T: 298.15 });
  const ref = python(items);
  let compared = 0;
  items.forEach((it, i) => {
    const ours = compileExpression(it.src, ["x", "T"])([it.x, it.T]);
    if (ref[i] === null) return;
    assert.ok(close(ours, ref[i]!), `${it.src} at x=${it.x}: ours ${ours}, Python ${ref[i]}`);
    compared++;
  });
  assert.ok(compared >= items.length * 0.9);
});

/** Random Python arithmetic with random spacing, parentheses and float notations. */
const literal = fc
  .tuple(fc.double({ min: -50, max: 50, noNaN: true }), fc.integer({ min: 0, max: 3 }))
  .map(([v, style]) => {
    // Always a float literal (a "." or an exponent), so Python never switches to exact integer arithmetic.
    const s = [v.toExponential(), v.toFixed(3), `${Math.trunc(v)}.`, v.toExponential(2).toUpperCase()][style];
    return s.startsWith("-") ? `(${s})` : s;
  });
const { expr } = fc.letrec((tie) => ({
  expr: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    literal,
    fc.constantFrom("x", "T"),
    fc
      .tuple(
        tie("expr"),
        fc.constantFrom("+", "-", "*", "/", "**"),
        tie("expr"),
        fc.boolean(),
        fc.constantFrom(" ", ""),
      )
      .map(([a, op, b, paren, sp]) => (paren ? `(${a}${sp}${op}${sp}${b})` : `${a}${sp}${op}${sp}${b}`)),
    tie("expr").map((a) => `-${a}`),
    fc
      .tuple(fc.constantFrom("exp", "tanh", "abs", "sqrt", "log", "arctan", "cosh"), tie("expr"))
      .map(([f, a]) => `${f}(${a})`),
    fc
      .tuple(fc.constantFrom("min", "max", "pow"), tie("expr"), tie("expr"))
      .map(([f, a, b]) => `${f}(${a}, ${b})`),
  ),
}));

test("random expressions (fixed seed) evaluate as in Python: precedence, associativity, literals, functions", () => {
  const srcs = fc.sample(expr as fc.Arbitrary<string>, { seed: 20260, numRuns: 400 });
  const items = srcs.map((src, i) => ({ src, x: 0.1 + (i % 7) * 0.13, T: 250 + (i % 5) * 20 }));
  const ref = python(items);
  let compared = 0;
  items.forEach((it, i) => {
    const ours = compileExpression(it.src, ["x", "T"])([it.x, it.T]);
    if (ref[i] === null) return;
    assert.ok(close(ours, ref[i]!), `${it.src} (x=${it.x}, T=${it.T}): ours ${ours}, Python ${ref[i]}`);
    compared++;
  });
  assert.ok(compared >= 0.6 * items.length, `only ${compared} of ${items.length} evaluated in Python`);
});

test("chains of + − * / without parentheses evaluate left to right within a precedence level", () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.constantFrom("+", "-", "*", "/"), fc.double({ min: 0.5, max: 9, noNaN: true })), {
        minLength: 1,
        maxLength: 8,
      }),
      fc.double({ min: 0.5, max: 9, noNaN: true }),
      (ops, first) => {
        // Expected: products and quotients folded left to right into terms, then terms summed left to right.
        const terms: number[] = [first];
        const signs: number[] = [1];
        for (const [op, v] of ops) {
          if (op === "*") terms[terms.length - 1] *= v;
          else if (op === "/") terms[terms.length - 1] /= v;
          else {
            terms.push(v);
            signs.push(op === "+" ? 1 : -1);
          }
        }
        let expected = terms[0];
        for (let i = 1; i < terms.length; i++) expected += signs[i] * terms[i];
        const src = `${first.toExponential()}${ops.map(([op, v]) => ` ${op} ${v.toExponential()}`).join("")}`;
        return evaluateExpression(src) === expected;
      },
    ),
    { numRuns: 300 },
  );
});

test("no eval: the module source never reaches for eval or Function", () => {
  const src = readFileSync(new URL("../src/import/expr.ts", import.meta.url), "utf8");
  assert.doesNotMatch(src, /\beval\s*\(|new Function|\bFunction\s*\(/);
});
