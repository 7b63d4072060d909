import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { dataPath, readTextFile } from "@coxswain/node/data";
import { anodePotential, ocvAt } from "../src/cell/model.ts";
import { loadCellModel, parseCellParams } from "../src/cell/params.ts";
import { importChen2020, readStoichiometryWindow } from "../src/import/chen2020.ts";
import { interp1 } from "../src/math/interp.ts";

const read = (name: string) => readTextFile(dataPath(`pybamm-chen2020-lgm50/${name}`));
const files = () => ({
  fullCellOcv: read("lgm50_fullcell_ocv_derived_from_chen2020_fits.csv"),
  anodeOcp: read("graphite_LGM50_ocp_Chen2020.csv"),
  cathodeOcp: read("nmc_LGM50_ocp_Chen2020.csv"),
});
const namedSet = (name: string) =>
  parseCellParams(JSON.parse(readFileSync(new URL(`../params/${name}.json`, import.meta.url), "utf8")), name);
const donor = () => namedSet("pybamm-ecm-example");
const build = () =>
  importChen2020(files(), { name: "m50", resistanceDonor: donor(), donorName: "pybamm-ecm-example" });

/** `sto,ocp` rows of a Chen 2020 curve, read independently of the importer. */
function curve(name: string): { x: number[]; y: number[] } {
  const pts = read(name)
    .split("\n")
    .filter((l) => l.trim() && !l.startsWith("#"))
    .map((l) => l.split(",").map(Number));
  return { x: pts.map((p) => p[0]), y: pts.map((p) => p[1]) };
}

test("the stoichiometry window comes from the file header", () => {
  assert.deepEqual(readStoichiometryWindow(files().fullCellOcv), {
    x0: 0.02635,
    x100: 0.91062,
    y0: 0.85397,
    y100: 0.26385,
  });
  assert.throws(() => readStoichiometryWindow("# x0=0.1 x100=0.9 y0=0.8\n"), /"y100=<0…1>"/);
});

test("LG M50 set: OCV spans the 2.5…4.2 V window, capacity 5 A·h, limits from the datasheet", () => {
  const m = loadCellModel(build());
  assert.equal(m.capacityAh, 5);
  assert.equal(ocvAt(m, 0, m.refTempK), 2.5);
  assert.equal(ocvAt(m, 1, m.refTempK), 4.2);
  assert.equal(m.limits.voltageMinV, 2.5);
  assert.equal(m.limits.voltageMaxV, 4.2);
});

test("electrode curves and window reproduce the full-cell OCV: U_p(y(z)) − U_n(x(z)) within 15 mV over SOC 0.05…0.95", () => {
  // The full-cell table was derived from Chen's functional OCP fits; the electrode curves are the measured points
  // those fits were made to, so the two differ by the fit residual (a few mV) except at the steep ends.
  const m = loadCellModel(build());
  const a = m.anode!;
  const c = m.cathode!;
  let worst = 0;
  for (let z = 0.05; z <= 0.95 + 1e-9; z += 0.01) {
    const un = interp1(a.sto, a.ocpV, a.stoAtSoc0 + z * (a.stoAtSoc1 - a.stoAtSoc0));
    const up = interp1(c.sto, c.ocpV, c.stoAtSoc0 + z * (c.stoAtSoc1 - c.stoAtSoc0));
    worst = Math.max(worst, Math.abs(up - un - ocvAt(m, z, m.refTempK)));
  }
  assert.ok(worst < 0.015, `worst difference ${worst} V`);
});

test("anode potential at full charge is the graphite OCP at x100, read from the CSV independently", () => {
  const m = loadCellModel(build());
  const g = curve("graphite_LGM50_ocp_Chen2020.csv");
  const expected = interp1(g.x, g.y, 0.91062);
  assert.ok(Math.abs(anodePotential(m, 1)! - expected) < 1e-5, `${anodePotential(m, 1)} vs ${expected}`);
  assert.ok(anodePotential(m, 1)! > 0, "no plating at rest at full charge");
});

test("borrowed resistances are scaled by capacity (R × 20, C ÷ 20) and keep the donor's time constants; provenance says provisional", () => {
  const d = loadCellModel(donor());
  const m = loadCellModel(build());
  const tK = 298.15;
  for (const z of [0.1, 0.5, 0.9]) {
    const r0 = m.r0.at(z, tK, -1);
    assert.ok(Math.abs(r0 / d.r0.at(z, tK, -1) - 20) < 1e-4, `R0 ratio at SOC ${z}`);
    const tauM = m.rc[0].r.at(z, tK, -1) * m.rc[0].c.at(z, tK);
    const tauD = d.rc[0].r.at(z, tK, -1) * d.rc[0].c.at(z, tK);
    assert.ok(Math.abs(tauM / tauD - 1) < 1e-5, `τ at SOC ${z}: ${tauM} vs ${tauD}`);
  }
  assert.match(String(build().provenance?.resistances), /^PROVISIONAL/);
});

test("a donor read Arrhenius-wise between its temperature rows lends its tables with that rule", () => {
  const arrheniusDonor = { ...donor(), temperatureInterpolation: "arrhenius" as const };
  const d = loadCellModel(arrheniusDonor);
  const m = loadCellModel(
    importChen2020(files(), {
      name: "m50",
      resistanceDonor: arrheniusDonor,
      donorName: "pybamm-ecm-example",
    }),
  );
  // Between the donor's rows (−20 … 50 °C every 10 K) the two rules differ; the ratio stays the scale only if
  // both sets read their rows the same way.
  for (const tK of [258.15, 278.15, 308.15])
    assert.ok(Math.abs(m.r0.at(0.5, tK, -1) / d.r0.at(0.5, tK, -1) - 20) < 1e-4, `R0 ratio at ${tK} K`);
  assert.ok(Math.abs(d.r0.at(0.5, 258.15, -1) - loadCellModel(donor()).r0.at(0.5, 258.15, -1)) > 0);
});

test("the committed lg-m50-chen2020 set is what the importer produces today", () => {
  assert.deepEqual(namedSet("lg-m50-chen2020"), { ...build(), name: "lg-m50-chen2020" });
});

test("dU/dT is O'Regan 2022's electrode entropic fits combined over the window (closed form, by hand)", () => {
  const set = build();
  const d = set.dUdT_VperK as { soc: number[]; values: number[] };
  const dn = (x: number) =>
    (-0.1112 * x + 0.02914 + 0.3561 * Math.exp(-((x - 0.08309) ** 2) / 0.004616)) / 1000;
  const dp = (y: number) =>
    (0.04006 * Math.exp(-((y - 0.2828) ** 2) / 0.0009855) -
      0.06656 * Math.exp(-((y - 0.8032) ** 2) / 0.02179)) /
    1000;
  for (const z of [0, 0.1, 0.5, 0.9, 1]) {
    const k = d.soc.findIndex((s) => Math.abs(s - z) < 1e-9);
    const expected = dp(0.85397 + z * (0.26385 - 0.85397)) - dn(0.02635 + z * (0.91062 - 0.02635));
    assert.ok(Math.abs(d.values[k] - expected) < 1e-9, `SOC ${z}: ${d.values[k]} vs ${expected}`);
  }
  // Entropy change of an NMC/graphite cell: below 0.5 mV/K in magnitude, negative at low SOC.
  assert.ok(d.values.every((v) => Math.abs(v) < 5e-4));
  assert.ok(d.values[10] < 0);
});
