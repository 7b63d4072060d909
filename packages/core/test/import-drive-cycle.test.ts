/**
 * The acceptance run of the importers: `coxswain cell simulate --params <imported set> --data
 * data/drive-cycles/US06.csv --current-sign discharge-positive`, in process, checked against independent bounds.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { dataPath, readTextFile } from "@coxswain/node/data";
import { ocvAt } from "../src/cell/model.ts";
import { loadCellModel } from "../src/cell/params.ts";
import { simulateCell } from "../src/cell/simulate.ts";
import { parseCsv, toMeasured } from "../src/io/csv.ts";
import { celsiusToKelvin, SECONDS_PER_HOUR } from "../src/units.ts";

const us06 = () =>
  toMeasured(parseCsv(readTextFile(dataPath("drive-cycles/US06.csv"))), {
    currentSign: "discharge-positive",
  });
const params = (name: string) =>
  loadCellModel(JSON.parse(readFileSync(new URL(`../params/${name}.json`, import.meta.url), "utf8")), name);

test("US06.csv is discharge-positive: read with that sign, its net charge is a discharge of 0.14 A·h", () => {
  const d = us06();
  const raw = parseCsv(readTextFile(dataPath("drive-cycles/US06.csv")));
  assert.equal(d.timeS.length, 601);
  // The file's own column has a positive mean (PyBaMM: positive = discharge); ours must be its negative.
  for (let k = 0; k < d.timeS.length; k++) assert.equal(d.currentA[k], -raw.data[1][k]);
  let ah = 0;
  for (let k = 1; k < d.timeS.length; k++)
    ah += (d.currentA[k] * (d.timeS[k] - d.timeS[k - 1])) / SECONDS_PER_HOUR;
  assert.ok(ah < -0.13 && ah > -0.15, `net ${ah} A·h`);
});

for (const name of ["pybamm-ecm-example", "lg-m50-chen2020"]) {
  test(`US06 through ${name}: charge conserved, voltage within OCV ∓ R·I bounds, no NaN`, () => {
    const m = params(name);
    const d = us06();
    const z0 = 0.8;
    const tK = celsiusToKelvin(25);
    const r = simulateCell(m, d, {
      initialSoc: z0,
      ambientK: tK,
      initialTempK: tK,
      useProfileTemperature: false,
    });
    const n = r.timeS.length;

    // Charge conservation: the current of row k flows over (t[k−1], t[k]]; η = 1 in these sets.
    let q = 0;
    for (let k = 1; k < n; k++) q += d.currentA[k] * (d.timeS[k] - d.timeS[k - 1]);
    const expected = z0 + q / (SECONDS_PER_HOUR * m.capacityAh);
    assert.ok(Math.abs(r.soc[n - 1] - expected) < 1e-12, `SOC ${r.soc[n - 1]} vs ∫I dt/Q ${expected}`);
    assert.ok(r.soc[n - 1] < z0, "a net discharge lowers SOC");

    // Voltage bounds: OCV over the visited SOC and temperatures, widened by the largest total resistance
    // (R0 + ΣR_k over the tables) times the largest current of each sign.
    let zMin = Infinity;
    let zMax = -Infinity;
    let tMin = Infinity;
    let tMax = -Infinity;
    for (let k = 0; k < n; k++) {
      assert.ok(
        Number.isFinite(r.voltageV[k]) && Number.isFinite(r.soc[k]) && Number.isFinite(r.tempK[k]),
        `row ${k}`,
      );
      zMin = Math.min(zMin, r.soc[k]);
      zMax = Math.max(zMax, r.soc[k]);
      tMin = Math.min(tMin, r.tempK[k]);
      tMax = Math.max(tMax, r.tempK[k]);
    }
    const maxOf = (values: Float64Array) => values.reduce((a, b) => Math.max(a, b), 0);
    const rTotal =
      Math.max(maxOf(m.r0.charge.values), maxOf(m.r0.discharge.values)) +
      m.rc.reduce((s, p) => s + Math.max(maxOf(p.r.charge.values), maxOf(p.r.discharge.values)), 0);
    const iCharge = Math.max(0, ...d.currentA);
    const iDischarge = Math.max(0, ...Array.from(d.currentA, (i) => -i));
    let ocvLo = Infinity;
    let ocvHi = -Infinity;
    for (const z of [zMin, zMax])
      for (const t of [tMin, tMax]) {
        ocvLo = Math.min(ocvLo, ocvAt(m, z, t));
        ocvHi = Math.max(ocvHi, ocvAt(m, z, t));
      }
    for (let k = 0; k < n; k++) {
      assert.ok(
        r.voltageV[k] >= ocvLo - rTotal * iDischarge - 1e-9,
        `row ${k}: ${r.voltageV[k]} V below bound`,
      );
      assert.ok(r.voltageV[k] <= ocvHi + rTotal * iCharge + 1e-9, `row ${k}: ${r.voltageV[k]} V above bound`);
    }
    // And the trace does move with the load: the deepest dip is at least R0 × the peak discharge current.
    const r0Min = m.r0.discharge.values.reduce((a, b) => Math.min(a, b), Infinity);
    const minV = r.voltageV.reduce((a, b) => Math.min(a, b), Infinity);
    assert.ok(minV <= ocvHi - r0Min * iDischarge, `dip ${minV} V`);
  });
}
