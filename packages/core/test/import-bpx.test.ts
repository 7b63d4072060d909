import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { dataPath, readTextFile } from "@coxswain/node/data";
import { ocvAt } from "../src/cell/model.ts";
import { loadCellModel, parseCellParams } from "../src/cell/params.ts";
import { simulateCell } from "../src/cell/simulate.ts";
import { importBpx } from "../src/import/bpx.ts";
import { interp1 } from "../src/math/interp.ts";

const EXAMPLES = [
  "nmc_pouch_cell_BPX.json",
  "nmc_pouch_cell_BPX_SPM.json",
  "nmc_pouch_cell_BPX_blended_electrode.json",
  "nmc_pouch_cell_BPX_user-defined_hysteresis.json",
  "lfp_18650_cell_BPX.json",
];
// biome-ignore lint/suspicious/noExplicitAny: raw BPX documents are untyped JSON
const bpx = (f: string): any => JSON.parse(readTextFile(dataPath(`bpx-examples/${f}`)));

for (const f of EXAMPLES)
  test(`BPX example ${f} loads into a valid parameter set`, () => {
    const set = importBpx(bpx(f), { name: "bpx-test" }, f);
    const m = loadCellModel(set);
    const cell = bpx(f).Parameterisation.Cell;
    assert.equal(m.capacityAh, cell["Nominal cell capacity [A.h]"]);
    // Heat capacity is specific heat × density × volume, split over the two nodes.
    const c = cell["Specific heat capacity [J.K-1.kg-1]"] * cell["Density [kg.m-3]"] * cell["Volume [m3]"];
    const sum = m.thermal.cellHeatCapacityJperK + m.thermal.caseHeatCapacityJperK;
    assert.ok(Math.abs(sum / c - 1) < 1e-5, `${sum} vs ${c}`);
    assert.match(String(set.provenance?.resistances), /ESTIMATE/);
  });

test("derived OCV meets the BPX cut-offs at SOC 0 and 1 to within 1 % of capacity", () => {
  // BPX's stoichiometry windows are identified so that the low-rate OCV runs from the lower to the upper cut-off;
  // the OCV is steep at both ends, so the fair measure of agreement is in SOC: |OCV(end) − cut-off| / |dOCV/dSOC|,
  // which should be within the ~1 % to which a window fitted to a capacity test can agree with it. For the
  // hysteresis file the relevant branches are discharge (OCV − M0) at SOC 0 and charge (OCV + M0) at SOC 1.
  for (const f of EXAMPLES) {
    const m = loadCellModel(importBpx(bpx(f), { name: "bpx-test" }, f));
    const m0 = (z: number) => (m.hysteresis ? m.hysteresis.m0.at(z, m.refTempK) : 0);
    const v = (z: number) => ocvAt(m, z, m.refTempK);
    const slope0 = (v(0.01) - v(0)) / 0.01;
    const slope1 = (v(1) - v(0.99)) / 0.01;
    const off0 = Math.abs(v(0) - m0(0) - m.limits.voltageMinV) / slope0;
    const off1 = Math.abs(v(1) + m0(1) - m.limits.voltageMaxV) / slope1;
    assert.ok(off0 < 0.01, `${f}: SOC-0 end ${v(0) - m0(0)} V vs ${m.limits.voltageMinV} V (${off0} SOC)`);
    assert.ok(off1 < 0.01, `${f}: SOC-1 end ${v(1) + m0(1)} V vs ${m.limits.voltageMaxV} V (${off1} SOC)`);
  }
});

test("user-defined hysteresis: M0 is half the gap between the lithiation and delithiation tables at x(SOC)", () => {
  const doc = bpx("nmc_pouch_cell_BPX_user-defined_hysteresis.json");
  const m = loadCellModel(importBpx(doc, { name: "hys" }));
  const u = doc.Parameterisation["User-defined"];
  const branch = (k: string) => {
    const pts = u[k].x
      .map((x: number, i: number) => [x, u[k].y[i]])
      .sort((a: number[], b: number[]) => a[0] - b[0]);
    return (x: number) =>
      interp1(
        pts.map((p: number[]) => p[0]),
        pts.map((p: number[]) => p[1]),
        x,
      );
  };
  const lith = branch("Negative electrode lithiation OCP [V]");
  const delith = branch("Negative electrode delithiation OCP [V]");
  const ne = doc.Parameterisation["Negative electrode"];
  for (const z of [0, 0.1, 0.25, 0.5, 0.8, 1]) {
    const x = ne["Minimum stoichiometry"] + z * (ne["Maximum stoichiometry"] - ne["Minimum stoichiometry"]);
    const expected = 0.5 * Math.abs(lith(x) - delith(x));
    const got = m.hysteresis!.m0.at(z, m.refTempK);
    assert.ok(Math.abs(got - expected) < 1e-5, `SOC ${z}: M0 ${got} vs ${expected}`);
  }
  assert.equal(m.hysteresis!.gamma, 0);
});

test("the NMC pouch set reproduces BPX's own DFN 1 C discharge within 50 mV RMSE (SOC > 5 %)", () => {
  const doc = bpx("nmc_pouch_cell_BPX.json");
  const m = loadCellModel(importBpx(doc, { name: "nmc" }));
  const v = doc.Validation["1C discharge"];
  const times: number[] = v["Time [s]"];
  // BPX's validation current is already negative on discharge, as in coxswain.
  const r = simulateCell(
    m,
    { timeS: times, currentA: times.map((_, k) => (k === 0 ? 0 : v["Current [A]"][k])) },
    { initialSoc: 1, initialTempK: 298.15, ambientK: 298.15 },
  );
  let se = 0;
  let n = 0;
  for (let k = 1; k < times.length; k++) {
    if (r.soc[k] < 0.05) continue;
    se += (r.voltageV[k] - v["Voltage [V]"][k]) ** 2;
    n++;
  }
  const rmse = Math.sqrt(se / n);
  assert.ok(n > 30 && rmse < 0.05, `RMSE ${rmse} V over ${n} points`);
  // The importer records the same comparison (from the rested start voltage) in the set's validation figures.
  const figures = importBpx(doc, { name: "nmc" }).validation as Record<string, { voltageRmseV: number }>;
  for (const k of ['BPX validation "1C discharge"', 'BPX validation "C/20 discharge"'])
    assert.ok(figures[k].voltageRmseV < 0.05, `${k}: ${figures[k].voltageRmseV}`);
});

test("bad BPX input is refused with the field path and what is allowed", () => {
  const doc = bpx("nmc_pouch_cell_BPX.json");
  doc.Parameterisation["Negative electrode"]["OCP [V]"] = "1 + exp(x";
  assert.throws(
    () => importBpx(doc, { name: "bad" }),
    /Negative electrode\.OCP \[V\].*expected "\)", found the end/s,
  );
  const doc2 = bpx("nmc_pouch_cell_BPX.json");
  doc2.Parameterisation["Positive electrode"]["Minimum stoichiometry"] = 1.4;
  assert.throws(
    () => importBpx(doc2, { name: "bad" }),
    /Positive electrode\.Minimum stoichiometry: got 1\.4, expected a finite number >= 0 and <= 1/,
  );
  const doc3 = bpx("nmc_pouch_cell_BPX_blended_electrode.json");
  doc3.Parameterisation["Positive electrode"].Particle["Small Particles"]["OCP [V]"] = "4 - x";
  assert.throws(() => importBpx(doc3, { name: "bad" }), /blended electrodes with different OCPs/);
  assert.throws(() => importBpx({ Header: { BPX: "2.0" } }, { name: "bad" }), /Header\.BPX/);
});

test("the committed BPX-derived sets are what the importer produces today", () => {
  for (const [name, f] of [
    ["bpx-nmc-pouch", "nmc_pouch_cell_BPX.json"],
    ["bpx-lfp-18650", "lfp_18650_cell_BPX.json"],
  ]) {
    const committed = JSON.parse(readFileSync(new URL(`../params/${name}.json`, import.meta.url), "utf8"));
    const fresh = importBpx(bpx(f), { name }, `data/bpx-examples/${f}`);
    assert.deepEqual(parseCellParams(committed), fresh, name);
  }
});

/** Repacks a legacy example into the BPX v1.x layout (State block, OCP branches in the electrode). */
// biome-ignore lint/suspicious/noExplicitAny: raw BPX documents are untyped JSON
function toV1(doc: any): any {
  const d = structuredClone(doc);
  const p = d.Parameterisation;
  const cell = p.Cell;
  d.Header.BPX = "1.0.0";
  d.State = {
    "Initial conditions": {
      "Initial state-of-charge": 1,
      "Initial temperature [K]": cell["Initial temperature [K]"],
      "Initial electrolyte concentration [mol.m-3]": p.Electrolyte["Initial concentration [mol.m-3]"],
    },
    "Thermal environment": { "Ambient temperature [K]": cell["Ambient temperature [K]"] },
  };
  delete cell["Initial temperature [K]"];
  delete cell["Ambient temperature [K]"];
  delete p.Electrolyte["Initial concentration [mol.m-3]"];
  p["User-defined"] = p["User-defined"] ?? {};
  const user = p["User-defined"];
  user["Thermal conductivity [W.m-1.K-1]"] = cell["Thermal conductivity [W.m-1.K-1]"];
  delete cell["Thermal conductivity [W.m-1.K-1]"];
  for (const side of ["Negative", "Positive"])
    for (const [legacy, v1] of [
      [`${side} electrode lithiation OCP [V]`, "OCP (lithiation) [V]"],
      [`${side} electrode delithiation OCP [V]`, "OCP (delithiation) [V]"],
    ])
      if (user[legacy] !== undefined) {
        p[`${side} electrode`][v1] = user[legacy];
        delete user[legacy];
      }
  return d;
}

test("the v1.x layout of a file gives the same set as its legacy layout", () => {
  for (const f of ["nmc_pouch_cell_BPX.json", "nmc_pouch_cell_BPX_user-defined_hysteresis.json"]) {
    const legacy = importBpx(bpx(f), { name: "same" });
    const v1 = importBpx(toV1(bpx(f)), { name: "same" });
    assert.deepEqual({ ...v1, provenance: undefined }, { ...legacy, provenance: undefined }, f);
    assert.ok(v1.hysteresis || !f.includes("hysteresis"));
  }
});
