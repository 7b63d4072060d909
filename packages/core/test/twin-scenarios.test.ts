import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { loadCellModel } from "../src/cell/params.ts";
import { parseCsv } from "../src/io/csv.ts";
import { ValidationError } from "../src/schema.ts";
import { runTwin, type TwinOutput } from "../src/twin/runner.ts";
import { parseScenario, type Scenario } from "../src/twin/scenario.ts";

const DIR = new URL("../scenarios/", import.meta.url);
const PARAMS = new URL("../params/", import.meta.url);

function scenario(name: string, edit: (json: Record<string, unknown>) => void = () => {}): Scenario {
  const json = JSON.parse(readFileSync(new URL(`${name}.json`, DIR), "utf8"));
  edit(json);
  return parseScenario(json, name);
}

function run(s: Scenario): TwinOutput {
  const model = loadCellModel(JSON.parse(readFileSync(new URL(`${s.params}.json`, PARAMS), "utf8")));
  return runTwin(s, model, { speedSchedules: {} });
}

/** Columns of a CSV output as numbers (text columns become NaN). */
function table(text: string): Record<string, number[]> {
  const t = parseCsv(text);
  return Object.fromEntries(t.columns.map((c, k) => [c, Array.from(t.data[k])]));
}

const at = (col: number[], time: number[], t: number) => col[time.findIndex((x) => x >= t)];

test("every shipped scenario validates", () => {
  const names = readdirSync(DIR).filter((f) => f.endsWith(".json"));
  assert.ok(names.length >= 12);
  for (const f of names) {
    const s = scenario(f.slice(0, -5));
    assert.equal(`${s.name}.json`, f, "file name matches the scenario name");
  }
});

test("bad scenarios are rejected with the field, the value and what is allowed", () => {
  assert.throws(
    () => scenario("fault-open-cell", (j) => ((j.initial as Record<string, number>).soc = 80)),
    (e: Error) => e instanceof ValidationError && /initial\.soc: got 80, expected .*<= 1/.test(e.message),
  );
  assert.throws(
    () =>
      scenario("fault-open-cell", (j) => {
        (j.faults as Record<string, unknown>[])[0].group = 40;
      }),
    /faults\[0\]\.group: got 40, expected a group 0…11/,
  );
  assert.throws(
    () => scenario("fault-open-cell", (j) => ((j.phases as unknown[])[0] = { kind: "rest" })),
    /phases\[0\]\.durationS: got nothing \(field missing\), expected a duration in s for a rest phase/,
  );
});

test("the same scenario and seed give byte-identical output; another seed does not", () => {
  const a = run(scenario("fault-open-cell"));
  const b = run(scenario("fault-open-cell"));
  for (const name of Object.keys(a.files)) assert.equal(a.files[name], b.files[name], name);
  const c = run(scenario("fault-open-cell", (j) => (j.seed = 8)));
  assert.notEqual(a.files["measurements.csv"], c.files["measurements.csv"]);
});

test("stuck sensor: the group's reading stops moving while the others fall", () => {
  const m = table(run(scenario("fault-sensor-stuck")).files["measurements.csv"]);
  const t = m.time_s;
  const stuck = m.voltage_V_g3;
  assert.equal(at(stuck, t, 35), at(stuck, t, 175));
  assert.ok(at(m.voltage_V_g2, t, 35) - at(m.voltage_V_g2, t, 175) > 0.01);
});

test("dropped sensor: the reading turns invalid and ages", () => {
  const out = run(scenario("fault-sensor-dropped"));
  const m = table(out.files["measurements.csv"]);
  assert.equal(at(m.invalid_readings, m.time_s, 10), 0);
  assert.equal(at(m.invalid_readings, m.time_s, 40), 1);
  assert.ok(out.summary.alarms.some((a) => a.alarm === "measurement-invalid" && a.firstS >= 20));
});

test("open sense wire: the group reads about 0 V and its neighbour reads two groups", () => {
  const m = table(run(scenario("fault-open-wire")).files["measurements.csv"]);
  const t = m.time_s;
  assert.ok(Math.abs(at(m.voltage_V_g5, t, 30)) < 0.01);
  const v6 = at(m.voltage_V_g6, t, 30);
  const v4 = at(m.voltage_V_g4, t, 30);
  assert.ok(Math.abs(v6 - 2 * v4) < 0.03, `group 6 reads ${v6} V, group 4 ${v4} V`);
});

test("spoofed temperature bias: the sensor jumps by the bias while its neighbours do not", () => {
  const m = table(run(scenario("fault-temperature-bias")).files["measurements.csv"]);
  const t = m.time_s;
  const jump = at(m.temp_C_s0, t, 31) - at(m.temp_C_s0, t, 29);
  assert.ok(Math.abs(jump - 15) < 0.6, `jump ${jump} K`);
  assert.ok(Math.abs(at(m.temp_C_s1, t, 31) - at(m.temp_C_s1, t, 29)) < 0.6);
});

test("internal short: the shorted group's voltage sags against the others and its sensor warms", () => {
  const m = table(run(scenario("fault-internal-short")).files["measurements.csv"]);
  const t = m.time_s;
  const end = t[t.length - 1];
  // A 5 Ω short drains ≈ 3.8 V / 5 Ω ≈ 0.77 A from a 4-cell (20 A·h) group: ≈ 7.7 % SOC in 2 h.
  const sag = at(m.voltage_V_g4, t, end) - at(m.voltage_V_g4, t, 1);
  const other = at(m.voltage_V_g3, t, end) - at(m.voltage_V_g3, t, 1);
  assert.ok(sag - other < -0.03, `group 4 moved ${sag} V, group 3 ${other} V`);
  // Sensor 2 sits on group 4, cell 0 (the shorted cell): ≈ 3 W of heat.
  assert.ok(at(m.temp_C_s2, t, end) - at(m.temp_C_s3, t, end) > 1);
});

test("open cell: the group loses a quarter of its capacity and sags further under load", () => {
  const m = table(run(scenario("fault-open-cell")).files["measurements.csv"]);
  const t = m.time_s;
  const d2 = at(m.voltage_V_g1, t, 295) - at(m.voltage_V_g2, t, 295);
  const d0 = at(m.voltage_V_g1, t, 25) - at(m.voltage_V_g2, t, 25);
  assert.ok(d2 - d0 > 0.03, `gap grew from ${d0} to ${d2} V`);
});

test("welded contactor: after the controller opens, the positive contactor's feedback stays closed", () => {
  const out = run(scenario("fault-welded-contactor"));
  const m = table(out.files["measurements.csv"]);
  const c = table(out.files["commands.csv"]);
  assert.equal(at(c.close_positive, c.time_s, 80), 0);
  assert.equal(at(m.contactor_positive, m.time_s, 80), 1);
  assert.equal(at(m.contactor_negative, m.time_s, 80), 0);
  assert.ok(out.summary.alarms.some((a) => a.alarm === "contactor-feedback-closed"));
});

test("insulation fault: the monitor reads the low resistance and the controller alarms", () => {
  const out = run(scenario("fault-insulation"));
  const m = table(out.files["measurements.csv"]);
  assert.ok(at(m.insulation_ohm, m.time_s, 20) > 1e6);
  assert.ok(at(m.insulation_ohm, m.time_s, 40) < 25000);
  assert.ok(out.summary.alarms.some((a) => a.alarm === "insulation-low" && a.firstS >= 30));
});

test("pump failure: flow is commanded but the pack does not cool as it does with a working pump", () => {
  const failed = table(run(scenario("fault-pump-failure")).files["measurements.csv"]);
  const healthy = table(
    run(scenario("fault-pump-failure", (j) => (j.faults = []))).files["measurements.csv"],
  );
  const end = failed.time_s[failed.time_s.length - 1];
  const drop = (m: Record<string, number[]>) => at(m.temp_C_s0, m.time_s, 1) - at(m.temp_C_s0, m.time_s, end);
  assert.ok(
    drop(healthy) > 2 * drop(failed) + 2,
    `healthy cooled ${drop(healthy)} K, failed ${drop(failed)} K`,
  );
});

test("lost communication: readings freeze, age and turn invalid; the controller opens", () => {
  const out = run(scenario("fault-comms-lost"));
  const m = table(out.files["measurements.csv"]);
  const t = m.time_s;
  assert.equal(at(m.comms_ok, t, 20), 1);
  assert.equal(at(m.comms_ok, t, 45), 0);
  assert.equal(at(m.current_valid, t, 45), 0);
  assert.equal(at(m.voltage_V_g0, t, 35), at(m.voltage_V_g0, t, 55));
  assert.ok(out.summary.alarms.some((a) => a.alarm === "comms-or-current-lost"));
});

test("host ignoring limits: the measured current exceeds the controller's charge limit", () => {
  const out = run(scenario("fault-host-ignores-limits"));
  const m = table(out.files["measurements.csv"]);
  const c = table(out.files["commands.csv"]);
  assert.ok(at(m.current_A, m.time_s, 20) <= at(c.charge_current_max_A, c.time_s, 20) + 0.5);
  assert.ok(at(m.current_A, m.time_s, 60) > at(c.charge_current_max_A, c.time_s, 60) + 20);
});

test("a current profile phase holds each value until the next time (charge through the string adds up)", () => {
  const s = scenario("fault-insulation", (j) => {
    j.faults = [];
    j.phases = [
      { kind: "rest", durationS: 2 },
      { kind: "profile", timeS: [0, 10, 20, 30], currents: [-10, -20, 5, 0] },
    ];
  });
  const out = run(s);
  // 10 A·10 s + 20 A·10 s + 5 A·10 s = 350 A·s, plus the DC link's precharge (1 mF × 46 V ≈ 0.05 A·s).
  const throughputAs = out.summary.chargeThroughputAh * 3600;
  assert.ok(Math.abs(throughputAs - 350.05) < 0.05, `${throughputAs} A·s`);
  assert.throws(
    () =>
      scenario("fault-insulation", (j) => {
        j.phases = [{ kind: "profile", timeS: [0, 10, 20], currents: [1, 2] }];
      }),
    /phases\[0\]\.currents: got "2 values", expected 3 values, one per timeS/,
  );
});

test("a controller that sends NaN limits and actuator values cannot crash or drive the plant", () => {
  const s = scenario("fault-insulation", (j) => (j.faults = []));
  const model = loadCellModel(JSON.parse(readFileSync(new URL(`${s.params}.json`, PARAMS), "utf8")));
  const out = runTwin(
    s,
    model,
    { speedSchedules: {} },
    {
      controller: {
        name: "broken",
        periodS: 0.1,
        init: () => null,
        step: (state) => ({
          state,
          commands: {
            contactors: { positive: true, negative: true, precharge: false },
            bleed: new Uint8Array(12),
            transferA: new Float64Array(11).fill(Number.NaN),
            coolantFlow: Number.NaN,
            heaterW: Number.NaN,
            limits: {
              chargeCurrentMaxA: Number.NaN,
              dischargeCurrentMaxA: Number.NaN,
              chargeVoltageMaxV: Number.NaN,
              dischargeVoltageMinV: Number.NaN,
            },
          },
          status: { mode: "broken", alarms: [] },
        }),
      },
    },
  );
  const t = table(out.files["truth.csv"]);
  assert.ok(
    t.current_A.every((i) => Number.isFinite(i) && Math.abs(i) < 1),
    "no current flows",
  );
  assert.ok(t.pack_voltage_V.every(Number.isFinite));
});
