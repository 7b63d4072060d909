import assert from "node:assert/strict";
import { test } from "node:test";
import {
  activeAlarms,
  clearLatched,
  compileBmsConfig,
  type DiagnosisEntry,
  DiagnosisState,
  DiagnosisTable,
  defaultBmsConfigFile,
  evaluateDiagnosis,
  LIMIT_NAMES,
  parseBmsConfig,
  SignalFrame,
  signalIndex,
  ValidationError,
} from "../src/index.ts";
import { cell, testPack } from "./bms-fixtures.ts";

const base: DiagnosisEntry = {
  id: "test",
  signal: "cellVoltageMax",
  above: true,
  threshold: 4.0,
  resetThreshold: 3.9,
  severity: "alarm",
  setDelayS: 0.05,
  resetDelayS: 0.03,
  reaction: "stopCharge",
  task: "10ms",
  when: "always",
  latching: false,
  reason: "test entry",
};

/** Runs one entry over a value sequence (one value per evaluation) and returns the active flag after each. */
function timeline(
  e: Partial<DiagnosisEntry>,
  values: number[],
  charging: (k: number) => boolean = () => true,
) {
  const entry = { ...base, ...e };
  const table = new DiagnosisTable([entry], [0.01, 0.1, 1]);
  const state = new DiagnosisState(1);
  const frame = new SignalFrame();
  const task = ["10ms", "100ms", "1s"].indexOf(entry.task);
  const period = [0.01, 0.1, 1][task];
  const active: number[] = [];
  values.forEach((v, k) => {
    frame.set(signalIndex(entry.signal), v, k % 3);
    evaluateDiagnosis(table, state, task, frame, charging(k) ? 1 : 0, k * period);
    active.push(state.active[0]);
  });
  return { active: active.join(""), state, table };
}

test("set and reset debounce follow the hand-computed timeline", () => {
  // setDelay 50 ms = 5 ticks: active at the 6th consecutive violating sample. 4.00 is not above 4.0 and
  // restarts the count. resetDelay 30 ms = 3 ticks: inactive at the 4th consecutive sample below 3.9; 3.95 and
  // 3.92 (between reset threshold and threshold) hold the alarm and restart the reset count.
  const v = [3.95, 4.01, 4.02, 4.03, 4.0, 4.01, 4.01, 4.01, 4.01, 4.01, 4.01, 4.05, 3.95, 3.85, 3.85, 3.92];
  v.push(3.85, 3.85, 3.85, 3.85);
  //                   tick 0123456789…
  const expected = "00000000001111111110";
  const { active, state } = timeline({}, v);
  assert.equal(active, expected);
  // It reset at tick 19; before that it reported since 0.10 s and the worst value 4.05 at the location of tick 11.
  const again = timeline({}, v.slice(0, 19));
  assert.equal(again.state.sinceS[0], 0.1);
  assert.equal(again.state.violatingSinceS[0], 0.05, "the streak that set it began at tick 5");
  assert.equal(again.state.value[0], 4.05);
  assert.equal(again.state.location[0], 11 % 3);
  assert.ok(Number.isNaN(state.sinceS[0]));
});

test("a lower limit with NaN (no data) holds the state and restarts the counts", () => {
  // below 2.8, reset above 3.0; set 20 ms = 2 ticks, reset 0 ticks.
  // tick: 0 3.0 no | 1 2.7 c1 | 2 NaN c0 | 3,4,5 2.7 c1,c2,c3 → active at 5 | 6 2.9 hold | 7 3.1 reset | 8 2.7 c1
  const { active } = timeline(
    {
      signal: "cellVoltageMin",
      above: false,
      threshold: 2.8,
      resetThreshold: 3.0,
      setDelayS: 0.02,
      resetDelayS: 0,
    },
    [3.0, 2.7, Number.NaN, 2.7, 2.7, 2.7, 2.9, 3.1, 2.7],
  );
  assert.equal(active, "000001100");
  // NaN while active holds it: set at 1 (no delay), NaN at 2–3 hold, 3.1 at 4 resets.
  const held = timeline(
    {
      signal: "cellVoltageMin",
      above: false,
      threshold: 2.8,
      resetThreshold: 3.0,
      setDelayS: 0,
      resetDelayS: 0,
    },
    [3.0, 2.7, Number.NaN, Number.NaN, 3.1],
  );
  assert.equal(held.active, "01110");
});

test("delays are whole task periods, rounded up, in the 100 ms task", () => {
  // 0.25 s at 0.1 s → 3 ticks: active at the 4th violating sample. 0.3 s → exactly 3 ticks (no float creep).
  assert.equal(
    timeline({ task: "100ms", setDelayS: 0.25, resetDelayS: 0 }, [4.1, 4.1, 4.1, 4.1, 4.1]).active,
    "00011",
  );
  assert.equal(
    timeline({ task: "100ms", setDelayS: 0.3, resetDelayS: 0 }, [4.1, 4.1, 4.1, 4.1, 4.1]).active,
    "00011",
  );
  const t = new DiagnosisTable([{ ...base, setDelayS: 0.07, resetDelayS: 0.01 }], [0.01, 0.1, 1]);
  assert.equal(t.setTicks[0], 7);
  assert.equal(t.resetTicks[0], 1);
});

test("latching entries stay until cleared, then set again if the condition persists", () => {
  const entry = { ...base, severity: "fault" as const, latching: true, setDelayS: 0, resetDelayS: 0 };
  const table = new DiagnosisTable([entry], [0.01, 0.1, 1]);
  const state = new DiagnosisState(1);
  const f = new SignalFrame();
  const run = (v: number) => {
    f.set(signalIndex("cellVoltageMax"), v);
    evaluateDiagnosis(table, state, 0, f, 1, 0);
    return state.active[0];
  };
  assert.equal(run(4.1), 1);
  assert.equal(run(3.0), 1, "a latched fault does not reset by itself");
  assert.equal(clearLatched(table, state), 1);
  assert.equal(state.active[0], 0);
  assert.equal(run(3.0), 0);
  assert.equal(run(4.1), 1);
  clearLatched(table, state);
  assert.equal(run(4.2), 1, "still violating after the reset: set again");
});

test("a gated entry only counts while its gate is open, and a closed gate counts as clear", () => {
  // Gate "charging" open on ticks 0–5 and 9–…; violations at 6–8 do not count.
  const charging = (k: number) => k < 6 || k >= 9;
  const { active } = timeline(
    { when: "charging", setDelayS: 0.02, resetDelayS: 0.01 },
    [4.1, 4.1, 4.1, 4.1, 4.1, 4.1, 4.1, 4.1, 4.1, 4.1, 4.1, 4.1],
    charging,
  );
  // set at tick 2; gate closes at 6 → clear counts 1 (tick 6), 2 (tick 7) > 1 → reset at 7; gate reopens at 9:
  // counts 1, 2, 3 → set at 11.
  assert.equal(active, "001111100001");
});

test("alarms say what, where, since when and why", () => {
  const table = new DiagnosisTable([{ ...base, setDelayS: 0 }], [0.01, 0.1, 1]);
  const state = new DiagnosisState(1);
  const f = new SignalFrame();
  f.set(signalIndex("cellVoltageMax"), 4.2, 17);
  evaluateDiagnosis(table, state, 0, f, 1, 12.3);
  const [a] = activeAlarms(table, state);
  assert.equal(a.id, "test");
  assert.equal(a.where, "group 17");
  assert.equal(a.sinceS, 12.3);
  assert.equal(a.violatingSinceS, 12.3, "no set delay: the violation began in the same evaluation");
  assert.equal(a.value, 4.2);
  assert.match(a.text, /alarm test at group 17 since 12\.30 s: 4\.2 V > 4 V \(test entry\)/);
});

test("the default configuration nests its limits inside the datasheet limits and validates", () => {
  const pack = testPack();
  const file = defaultBmsConfigFile(pack, cell);
  const cfg = compileBmsConfig(file, cell);
  assert.equal(cfg.limits.cellVoltageHigh.msl, pack.cellVoltageMaxV);
  assert.equal(cfg.limits.cellVoltageLow.msl, pack.cellVoltageMinV);
  assert.ok(Math.abs(cfg.limits.chargeTempHigh.msl - pack.chargeTempMaxK) < 1e-9);
  assert.equal(cfg.limits.dischargeCurrent.msl, pack.parallelCells * pack.cellDischargeCurrentMaxA);
  for (const n of LIMIT_NAMES) {
    const l = cfg.limits[n];
    const up = l.msl >= l.mol;
    const order = up ? [l.mol, l.rsl, l.trip, l.msl] : [l.msl, l.trip, l.rsl, l.mol];
    for (let k = 1; k < 4; k++) assert.ok(order[k] >= order[k - 1] && order[0] < order[3], `${n} nests`);
    // Three entries per limit with the level's severity and reaction.
    const e = cfg.entries.filter((x) => x.limit?.name === n);
    assert.deepEqual(
      e.map((x) => [x.limit?.level, x.severity]),
      [
        ["mol", "warning"],
        ["rsl", "alarm"],
        ["msl", "fault"],
      ],
    );
    assert.equal(e[2].reaction, "openContactors");
  }
});

// biome-ignore lint/suspicious/noExplicitAny: the tests break arbitrary fields of the file on purpose
type AnyFile = any;

function expectIssue(mutate: (f: AnyFile) => void, path: string, expected: RegExp) {
  const file: AnyFile = structuredClone(defaultBmsConfigFile(testPack(), cell));
  mutate(file);
  try {
    parseBmsConfig(file);
  } catch (e) {
    assert.ok(e instanceof ValidationError);
    const issue = e.issues.find((i) => i.path === path);
    assert.ok(issue, `no issue at ${path}: ${e.message}`);
    assert.match(issue.expected, expected);
    return;
  }
  assert.fail(`expected a validation error at ${path}`);
}

test("bad configurations are rejected with the field, value and allowed range", () => {
  expectIssue(
    (f) => (f.limits.cellVoltageHigh.rsl = 4.3),
    "limits.cellVoltageHigh.rsl",
    /below msl − tripMargin/,
  );
  expectIssue((f) => (f.limits.cellVoltageHigh.mol = 4.19), "limits.cellVoltageHigh.mol", /below rsl/);
  expectIssue(
    (f) => (f.limits.cellVoltageLow.rsl = 2.4),
    "limits.cellVoltageLow.rsl",
    /above msl \+ tripMargin/,
  );
  expectIssue((f) => (f.limits.chargeCurrent.hysteresis = 0), "limits.chargeCurrent.hysteresis", /> 0/);
  expectIssue(
    (f) => (f.diagnosis[0].resetThreshold = 9),
    "diagnosis[0].resetThreshold",
    /at or below threshold/,
  );
  expectIssue((f) => (f.diagnosis[1].id = f.diagnosis[0].id), "diagnosis[1].id", /not used before/);
  expectIssue((f) => (f.diagnosis[0].signal = "cellVoltagee"), "diagnosis[0].signal", /one of/);
  expectIssue(
    (f) => (f.diagnosis[0].severity = "panic"),
    "diagnosis[0].severity",
    /"warning", "alarm", "fault"/,
  );
  expectIssue((f) => (f.timing.slowEvery = 15), "timing.slowEvery", /multiple of mediumEvery/);
  expectIssue((f) => (f.contactors.prechargeRetries = -1), "contactors.prechargeRetries", />= 0/);
  expectIssue((f) => (f.limits.cellVoltageHigh.extra = 1), "limits.cellVoltageHigh.extra", /no such field/);
  expectIssue((f) => (f.diagnosis[0].id = "cellVoltageHigh.mol"), "diagnosis[0].id", /reserved/);
});

test("a discharging gate counts only while the pack discharges (a cold pack at rest does not trip)", () => {
  const entry: DiagnosisEntry = {
    ...base,
    signal: "cellTempMin",
    above: false,
    threshold: 254.15,
    resetThreshold: 256.15,
    setDelayS: 0.01,
    resetDelayS: 0,
    when: "discharging",
  };
  const table = new DiagnosisTable([entry], [0.01, 0.1, 1]);
  const state = new DiagnosisState(1);
  const f = new SignalFrame();
  f.set(signalIndex("cellTempMin"), 253.5, 2);
  // Direction per tick: rest, rest, charge, discharge, discharge, rest.
  const active = [0, 0, 1, -1, -1, 0].map((d, k) => {
    evaluateDiagnosis(table, state, 0, f, d, k * 0.01);
    return state.active[0];
  });
  // Set delay 1 tick: the 2nd consecutive discharging evaluation (tick 4) sets it; back at rest the closed gate
  // counts as clear and, with no reset delay, resets it at once.
  assert.deepEqual(active, [0, 0, 0, 0, 1, 0]);
});
