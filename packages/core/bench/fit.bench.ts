/**
 * Identification speed: `fit.panasonic_s` is the whole panasonic-18650pf fit from the committed characterisation
 * tests (C/20 OCV test, HPPC and inter-pulse files at five temperatures; file parsing excluded), `fit.pulse_ms`
 * the mean time per pulse of the same fit without the whole-test refinement, `fit.whole_test_s` what the
 * refinement adds.
 */
import { readdirSync, readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { fitCell, parseCsv, toFitSeries } from "../src/index.ts";

const dir = new URL("../../../data/panasonic-18650pf/", import.meta.url);
const read = (rel: string, opts = {}) =>
  toFitSeries(parseCsv(gunzipSync(readFileSync(new URL(rel, dir))).toString("utf8")), rel, {}, opts)[0];
const hppc = readdirSync(new URL("hppc/", dir)).sort();
const pulseTests = hppc.map((f) => ({ series: read(`hppc/${f}`, { ahFromFull: true, untilEmpty: true }) }));
const lowRate = read("ocv/25C_C20_discharge_charge.csv.gz");
const base = JSON.parse(readFileSync(new URL("fit-base.json", dir), "utf8"));

const timed = (wholeTest: boolean) => {
  const start = performance.now();
  // As the shipped set is fitted (docs/fit.md, worked example): with the long pair when the whole test is refined.
  const r = fitCell({
    name: "panasonic-18650pf",
    capacityAh: 2.9,
    lowRate,
    pulseTests,
    base,
    wholeTest,
    longRc: wholeTest,
  });
  return { r, seconds: (performance.now() - start) / 1000 };
};
const perPulse = timed(false);
const whole = timed(true);
const pulses = perPulse.r.temperatures.reduce((n, t) => n + t.pulses.length, 0);
const line = (name: string, value: number, unit: string) =>
  console.log(JSON.stringify({ name, value, unit }));
line("fit.panasonic_s", Number(whole.seconds.toFixed(3)), "s");
line("fit.pulse_ms", Number(((1000 * perPulse.seconds) / pulses).toFixed(2)), "ms");
line("fit.whole_test_s", Number((whole.seconds - perPulse.seconds).toFixed(3)), "s");
