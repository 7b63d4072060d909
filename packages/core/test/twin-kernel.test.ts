import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { Dbl, Slot } from "../src/cell/kernel.ts";
import { loadCellModel } from "../src/cell/params.ts";
import { parseCsv } from "../src/io/csv.ts";
import { runTwin } from "../src/twin/runner.ts";
import { parseScenario } from "../src/twin/scenario.ts";
import { SpeedSchedule } from "../src/twin/vehicle.ts";
import { testCell } from "./fixtures.ts";
import { disturb, drivePack, makeTestPack } from "./twin-fixtures.ts";

// The pack's loops over cells run in a WebAssembly kernel (assembly/kernel.ts) that is a port of the
// JavaScript loops; the JavaScript loops (Pack's kernel = false) are the second implementation it must match
// bit for bit.

const ROOT = new URL("../../../", import.meta.url);

test("the kernel's header layout is the one the JavaScript side writes", () => {
  const source = readFileSync(new URL("packages/core/assembly/kernel.ts", ROOT), "utf8");
  const slots = [...source.matchAll(/\bS_(\w+) = 4 \* (\d+)/g)].map((m) => [m[1], Number(m[2])]);
  const doubles = [...source.matchAll(/\bD_(\w+) = 8 \* (\d+)/g)].map((m) => [m[1], Number(m[2])]);
  const names = (e: object) => Object.keys(e).filter((k) => Number.isNaN(Number(k)));
  assert.deepEqual(
    slots,
    names(Slot).map((k) => [k, Slot[k as keyof typeof Slot]]),
  );
  assert.deepEqual(
    doubles,
    names(Dbl).map((k) => [k, Dbl[k as keyof typeof Dbl]]),
  );
  // The doubles start after the last 32-bit slot.
  assert.ok(8 * Math.min(...doubles.map((d) => d[1] as number)) >= 4 * (slots.length + 1));
});

test("the committed kernel is what its source compiles to", () => {
  const r = spawnSync(process.execPath, ["scripts/build-kernel.mjs", "--check"], {
    cwd: ROOT,
    encoding: "utf8",
  });
  assert.equal(r.status, 0, r.stderr);
});

// Cells that take every branch of the kernel: 0 to 4 RC pairs, with and without hysteresis, resistance tables
// that depend on the direction or not, and a hysteresis fast enough for its exact (e^x) decay.
const cells = {
  "2 RC pairs, hysteresis, direction-dependent R0": testCell(),
  "3 RC pairs, fast hysteresis": testCell({
    rc: [
      { rOhm: { soc: [0, 1], values: [0.02, 0.015] }, cF: { soc: [0, 1], values: [1000, 1500] } },
      { rOhm: 0.01, cF: 40000 },
      { rOhm: 0.005, cF: 400000 },
    ],
    hysteresis: { mV: 0.015, m0V: 0.002, gamma: 3000 },
  }),
  "1 RC pair, no hysteresis, one R0 table": testCell({
    r0Ohm: 0.03,
    rc: [{ rOhm: 0.02, cF: 2000 }],
    hysteresis: undefined,
  }),
  "4 RC pairs (the most a set may have)": testCell({
    rc: [
      { rOhm: { soc: [0, 1], values: [0.02, 0.015] }, cF: { soc: [0, 1], values: [1000, 1500] } },
      { rOhm: 0.01, cF: 40000 },
      { rOhm: 0.005, cF: 400000 },
      { rOhm: 0.004, cF: 2000000 },
    ],
  }),
  "no RC pair": testCell({ rc: [] }),
};

for (const [name, cell] of Object.entries(cells)) {
  test(`kernel and JavaScript loops step the same pack bit for bit: ${name}`, () => {
    const modeChanges = drivePack(makeTestPack(cell, true), makeTestPack(cell, false));
    assert.ok(modeChanges > 50, `mode changes ${modeChanges}`);
    disturb(makeTestPack(cell, true), makeTestPack(cell, false));
  });
}

/** The first `seconds` of a committed speed profile. */
function speedSchedule(cycle: string, seconds: number): SpeedSchedule {
  const t = parseCsv(readFileSync(new URL(`data/speed-profiles-epa-unece/${cycle}_speed.csv`, ROOT), "utf8"));
  const time = t.data[t.columns.indexOf("time_s")];
  const n = time.findIndex((x) => x > seconds);
  return new SpeedSchedule(cycle, time.subarray(0, n), t.data[t.columns.indexOf("speed_mps")].subarray(0, n));
}

test("every shipped scenario gives byte-identical files with the kernel and with JavaScript loops", () => {
  const dir = new URL("packages/core/scenarios/", ROOT);
  // The default scenario's 110s36p pack as shipped, its phases cut short.
  const speedSchedules = { udds: speedSchedule("udds", 240), us06: speedSchedule("us06", 120) };
  const shorten = (p: Record<string, unknown>) =>
    p.kind === "rest" ? { ...p, durationS: 60 } : p.kind === "charge" ? { ...p, maxDurationS: 120 } : p;
  for (const f of readdirSync(dir).filter((f) => f.endsWith(".json"))) {
    const json = JSON.parse(readFileSync(new URL(f, dir), "utf8"));
    if (f === "default.json") json.phases = json.phases.map(shorten);
    const s = parseScenario(json, f);
    const model = loadCellModel(
      JSON.parse(readFileSync(new URL(`packages/core/params/${s.params}.json`, ROOT), "utf8")),
    );
    const run = (kernel: boolean) => runTwin(s, model, { speedSchedules, kernel });
    const a = run(true);
    const b = run(false);
    for (const name of Object.keys(a.files)) assert.equal(a.files[name], b.files[name], `${f}: ${name}`);
  }
});
