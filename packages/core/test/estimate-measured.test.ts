/**
 * One measured drive cycle (Panasonic NCR18650PF, US06 at 25 °C, committed under data/) through the EKF with the
 * parameter set identified from the characterisation tests only. The whole benchmark is `npm run accuracy`.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { gunzipSync } from "node:zlib";
import { loadCellModel } from "../src/cell/params.ts";
import { estimateSoc } from "../src/estimate/index.ts";
import { parseCsv, toMeasured } from "../src/io/csv.ts";

const root = new URL("../../../", import.meta.url);
const model = loadCellModel(
  JSON.parse(readFileSync(new URL("packages/core/params/panasonic-18650pf.json", root), "utf8")),
);
const table = parseCsv(
  gunzipSync(
    readFileSync(new URL("data/panasonic-18650pf/drive_cycles_1hz/25C/25C_US06.csv.gz", root)),
  ).toString(),
);
const data = toMeasured(table);
const ah = table.data[table.columns.indexOf("ah_Ah")];
// Reference SOC of the data README: the tester's amp-hour counter over the rated 2.9 A·h.
const ref = ah.map((x) => 1 + x / 2.9);

test("measured US06 at 25 °C: EKF RMSE ≤ 1 point and max ≤ 3 points from the right start", () => {
  assert.equal(data.droppedRows, 0);
  const r = estimateSoc(model, data, { filter: "ekf", initialSoc: ref[0] });
  let se = 0;
  let worst = 0;
  for (let k = 0; k < ref.length; k++) {
    const e = Math.abs(r.soc[k] - ref[k]);
    se += e * e;
    worst = Math.max(worst, e);
  }
  assert.ok(Math.sqrt(se / ref.length) <= 0.01, `RMSE ${Math.sqrt(se / ref.length)}`);
  assert.ok(worst <= 0.03, `max ${worst}`);
});

test("measured US06 at 25 °C: from 20 points too low, within 2 points in 10 minutes and after", () => {
  const r = estimateSoc(model, data, { filter: "ekf", initialSoc: ref[0] - 0.2 });
  for (let k = 0; k < ref.length; k++)
    if (data.timeS[k] - data.timeS[0] >= 600)
      assert.ok(Math.abs(r.soc[k] - ref[k]) <= 0.02, `t = ${data.timeS[k]} s: ${r.soc[k]} vs ${ref[k]}`);
});
