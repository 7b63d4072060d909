/** Reading lab files for fitting: records, amp-hour counters, sign conventions, gaps. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseCsv, socOf, toFitSeries } from "../src/index.ts";

test("records split on a record column and on time running backwards; SOC from a set-point column", () => {
  const csv = [
    "soc_pct,cell,time_s,voltage_V,current_A,temp_cell_C",
    "50,A,0,3.7,0,25",
    "50,A,1,3.6,-2,nan",
    "50,A,2,3.6,-2,26",
    "50,B,0,3.7,0,25",
    "50,B,1,3.6,-2,25",
    "30,B,0,3.5,0,25",
    "30,B,1,3.4,-2,25",
  ].join("\n");
  const s = toFitSeries(parseCsv(csv), "f.csv", {}, { recordColumns: ["cell"], socColumn: "soc_pct" });
  assert.equal(s.length, 3);
  assert.deepEqual(
    s.map((r) => [r.timeS.length, r.initialSoc]),
    [
      [3, 0.5],
      [2, 0.5],
      [2, 0.3],
    ],
  );
  // The thermocouple gap is filled from the previous reading rather than losing the row.
  assert.deepEqual(
    Array.from(s[0].tempK ?? [], (k) => Number((k - 273.15).toFixed(6))),
    [25, 25, 26],
  );
  // Charge integrated with the row convention: row k's current over (t[k−1], t[k]].
  assert.deepEqual(
    Array.from(s[0].chargeAh, (a) => Number((a * 3600).toFixed(9))),
    [0, -2, -4],
  );
  assert.ok(Math.abs(socOf(s[2], 2)[1] - (0.3 - 2 / 3600 / 2)) < 1e-12);
});

test("a shared amp-hour counter that reads 0 at full gives the SOC of a later file; untilEmpty drops other tests", () => {
  const csv = [
    "time_s,voltage_V,current_A,ah_Ah",
    "0,3.9,-1,-0.5",
    "3600,3.6,-1,-1.5",
    "3700,3.7,0,-1.5",
    "3800,3.71,0,-1.5",
    "3900,4.1,-1,-0.01",
  ].join("\n");
  const [s] = toFitSeries(parseCsv(csv), "p.csv", {}, { ahFromFull: true, untilEmpty: true });
  assert.equal(s.timeS.length, 4, "the record after the end of discharge and its rest is dropped");
  const z = socOf(s, 2);
  assert.deepEqual(Array.from(z), [0.75, 0.25, 0.25, 0.25]);
  // Discharge-positive files flip the counter with the current.
  const flipped = toFitSeries(
    parseCsv(csv.replace(/,-1,/g, ",1,").replace(/,-([0-9.]+)$/gm, ",$1")),
    "q.csv",
    { currentSign: "discharge-positive" },
    { ahFromFull: true },
  );
  assert.deepEqual(Array.from(socOf(flipped[0], 2)).slice(0, 2), [0.75, 0.25]);
});

test("errors name the missing column", () => {
  assert.throws(() => toFitSeries(parseCsv("time_s,current_A\n0,0\n1,1"), "n.csv"), /no voltage column/);
  assert.throws(
    () =>
      toFitSeries(parseCsv("time_s,current_A,voltage_V\n0,0,3\n1,1,3"), "n.csv", {}, { ahFromFull: true }),
    /needs an amp-hour column/,
  );
  assert.throws(
    () => toFitSeries(parseCsv("time_s,current_A,voltage_V\n0,0,3"), "n.csv", {}, { socColumn: "soc" }),
    /no column "soc"/,
  );
});
