/**
 * The shipped panasonic-18650pf set is what the worked example of docs/fit.md identifies from the committed
 * characterisation tests (C/20, HPPC and inter-pulse discharges, 1 C capacity tests) with `--long-rc` (four RC
 * pairs): the same inputs, in the order the shell gives them, fitted again give the same tables to the last digit.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { gunzipSync } from "node:zlib";
import { fitCell, parseCsv, toFitSeries } from "../src/index.ts";

const dir = new URL("../../../data/panasonic-18650pf/", import.meta.url);
const shipped = JSON.parse(
  readFileSync(new URL("../params/panasonic-18650pf.json", import.meta.url), "utf8"),
) as Record<string, unknown>;

/** As `coxswain fit --ah-from-full [--until-empty]` reads a file. */
const read = (rel: string, untilEmpty = false) => {
  const s = toFitSeries(
    parseCsv(gunzipSync(readFileSync(new URL(rel, dir))).toString("utf8")),
    rel,
    {},
    {
      ahFromFull: true,
      untilEmpty,
    },
  );
  assert.equal(s.length, 1);
  return s[0];
};

test("the worked example of docs/fit.md gives the shipped panasonic-18650pf tables", () => {
  const temps = ["0C", "10C", "25C", "m10C", "m20C"];
  const pulseFiles = [
    ...temps.map((t) => `hppc/${t}_5pulse_HPPC.csv.gz`),
    ...temps.map((t) => `hppc/${t}_HPPC_interpulse_discharges.csv.gz`),
  ];
  const capacityFiles = ["end_of_tests_1", "end_of_tests_2", "start_of_tests_1", "start_of_tests_2"].map(
    (f) => `capacity/25C_1C_discharge_${f}.csv.gz`,
  );
  const r = fitCell({
    name: "panasonic-18650pf",
    capacityAh: 2.9,
    lowRate: read("ocv/25C_C20_discharge_charge.csv.gz"),
    pulseTests: pulseFiles.map((f) => ({ series: read(f, true) })),
    capacityTests: capacityFiles.map((f) => read(f)),
    longRc: true,
    base: JSON.parse(readFileSync(new URL("fit-base.json", dir), "utf8")),
  });
  const fitted = JSON.parse(JSON.stringify(r.params)) as Record<string, unknown>;
  for (const key of ["capacityAh", "ocv", "r0Ohm", "rc", "arrheniusEaJperMol", "hysteresis"])
    assert.deepEqual(fitted[key], shipped[key], key);
  const prov = (x: Record<string, unknown>) => x.provenance as Record<string, unknown>;
  for (const key of ["method", "measuredCapacitiesAh", "pulseFits"])
    assert.deepEqual(prov(fitted)[key], prov(shipped)[key], `provenance.${key}`);
});
