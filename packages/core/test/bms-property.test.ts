/**
 * Safe-operating-area property on the twin: over seeded random scenarios (random load and charge, ambient and
 * initial temperature, initial SOC, cell spread, sensor noise and offsets; the host obeys the limits), no cell
 * passes a maximum safety limit, and nominal runs never trip (no fault, no sensor-plausibility alarm).
 *
 * 1 000 scenarios by default; `npm run bms-property` runs 100 000 (BMS_PROPERTY_RUNS sets the count,
 * BMS_PROPERTY_SEED the fast-check seed; BMS_PROPERTY_REPLACES_SCHEDULE=1 runs the controller with
 * `performance.sop.replacesSchedule`, the state of power in place of the baseline's derating schedule).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import fc from "fast-check";
import {
  defaultBmsConfig,
  filterSocEstimator,
  loadCellModel,
  parseScenario,
  runBmsOnTwin,
} from "../src/index.ts";

const model = loadCellModel(
  JSON.parse(readFileSync(new URL("../params/lg-m50.json", import.meta.url), "utf8")),
  "lg-m50",
);
const runs = Number(process.env.BMS_PROPERTY_RUNS ?? 1000);
const seed = Number(process.env.BMS_PROPERTY_SEED ?? 20261122);
const replacesSchedule = process.env.BMS_PROPERTY_REPLACES_SCHEDULE === "1";

/** Entries that must never set in a run without injected faults. */
const PLAUSIBILITY =
  /^(voltageSensor|tempSensor|currentSensor|packVoltage|monitoring|comms|insulation|contactor|precharge|timing|voltage\.|temperature\.|group\.)/;

const C = model.capacityAh;
/** Uniform on [min, max] (fc.double draws uniformly over representable doubles, i.e. mostly near zero). */
const uniform = (min: number, max: number) =>
  fc.integer({ min: 0, max: 1_000_000 }).map((k) => min + ((max - min) * k) / 1_000_000);
const phase = fc.oneof(
  fc.record({ kind: fc.constant("rest"), durationS: fc.integer({ min: 1, max: 5 }) }),
  fc.record({
    kind: fc.constant("current"),
    // From a 3C discharge to a 2C charge per cell (scaled by Np below); the host clips to the limits.
    perCellA: uniform(-3 * C, 2 * C),
    durationS: fc.integer({ min: 1, max: 8 }),
  }),
  fc.record({
    kind: fc.constant("charge"),
    perCellA: uniform(0.2 * C, 1.5 * C),
    cellVoltageV: uniform(4.1, 4.4),
    durationS: fc.integer({ min: 2, max: 8 }),
  }),
);

const scenarioArb = fc.record({
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  ns: fc.integer({ min: 3, max: 8 }),
  np: fc.integer({ min: 1, max: 3 }),
  // Half the runs start near empty or near full, where the voltage limits are in play.
  soc: fc.oneof(uniform(0.01, 0.99), uniform(0.01, 0.1), uniform(0.9, 0.99)),
  ambientC: uniform(-15, 50),
  initialOffsetC: uniform(-5, 5),
  spread: fc.record({
    capacity: uniform(0, 0.05),
    resistance: uniform(0, 0.1),
    soc: uniform(0, 0.03),
  }),
  noise: fc.record({
    voltage: uniform(0, 2e-3),
    voltageOffset: uniform(0, 2e-3),
    temperature: uniform(0, 0.3),
    temperatureOffset: uniform(0, 0.5),
    current: uniform(0, 0.5),
  }),
  phases: fc.array(phase, { minLength: 1, maxLength: 3 }),
});

type Spec = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

function scenarioOf(s: Spec) {
  // Nominal means the truth starts at least trip margin + 3σ of the sensor error inside the temperature MSLs.
  const initialC = Math.min(55, Math.max(-16, s.ambientC + s.initialOffsetC));
  return parseScenario(
    {
      format: "coxswain-scenario/1",
      name: "property",
      seed: s.seed,
      params: "lg-m50",
      stepS: 0.01,
      recordEveryS: 1000,
      pack: { seriesGroups: s.ns, parallelCells: s.np, spread: s.spread },
      initial: { soc: s.soc, tempC: initialC },
      ambientC: s.ambientC,
      sensors: {
        samplePeriodS: 0.01,
        groupVoltage: { noise: s.noise.voltage, offsetSd: s.noise.voltageOffset },
        temperature: { noise: s.noise.temperature, offsetSd: s.noise.temperatureOffset },
        current: { noise: s.noise.current },
      },
      // A second to close the contactors, then the random phases.
      phases: [
        { kind: "rest", durationS: 1 },
        ...s.phases.map((p) =>
          p.kind === "rest"
            ? p
            : p.kind === "current"
              ? { kind: "current", currentA: p.perCellA * s.np, durationS: p.durationS }
              : {
                  kind: "charge",
                  currentA: p.perCellA * s.np,
                  cellVoltageV: p.cellVoltageV,
                  maxDurationS: p.durationS,
                },
        ),
      ],
    },
    "property scenario",
  );
}

test(`no cell passes a maximum safety limit and nominal runs never trip (${runs} seeded scenarios)`, () => {
  let closed = 0;
  let nearLimit = 0;
  const reached = new Map<string, number>();
  fc.assert(
    // Uniform draws: fast-check's default bias would put most runs on the range edges (−15 °C, SOC 0.01).
    fc.property(fc.noBias(scenarioArb), (s) => {
      const r = runBmsOnTwin(
        scenarioOf(s),
        model,
        replacesSchedule
          ? {
              config: (pack) => {
                const c = defaultBmsConfig(pack, model);
                c.performance.sop.replacesSchedule = true;
                return c;
              },
            }
          : {},
      );
      const ex = r.excursion;
      assert.ok(ex.byV <= 0, `cell voltage past its MSL by ${ex.byV} V: ${ex.worst}`);
      assert.ok(ex.byK <= 0, `cell temperature past its MSL by ${ex.byK} K: ${ex.worst}`);
      assert.ok(ex.byA <= 0, `pack current past its MSL by ${ex.byA} A: ${ex.worst}`);
      const tripped = [...r.firstSetS.keys()].filter(
        (id) => PLAUSIBILITY.test(id) || r.config.entries.find((e) => e.id === id)?.severity === "fault",
      );
      assert.deepEqual(tripped, [], "false trip in a nominal run");
      assert.notEqual(r.state.contactors.mode, "fault");
      if (!Number.isNaN(r.closedS)) closed++;
      const limits = [...r.firstSetS.keys()].filter((id) => r.config.entries.find((e) => e.id === id)?.limit);
      if (limits.length) nearLimit++;
      for (const id of limits) reached.set(id, (reached.get(id) ?? 0) + 1);
    }),
    // BMS_PROPERTY_PATH replays one reported counterexample (fast-check's path).
    { numRuns: runs, seed, endOnFailure: true, path: process.env.BMS_PROPERTY_PATH },
  );
  // The property means something only if the contactors closed and the host could load the pack.
  assert.ok(closed > 0.9 * runs, `contactors closed in only ${closed} of ${runs} runs`);
  // …and if a good share of the runs reached a nested limit (a MOL warning or more).
  const counts = [...reached.entries()].sort().map(([id, n]) => `${id} ${n}`);
  console.log(
    `contactors closed in ${closed} of ${runs} runs; a nested limit was reached in ${nearLimit}: ${counts.join(", ")}`,
  );
  assert.ok(nearLimit > 0.1 * runs, `a nested limit was reached in only ${nearLimit} of ${runs} runs`);
});

test("the estimation seam takes the per-group SPKF of estimate/: group SOC tracks the truth", () => {
  const scenario = scenarioOf({
    seed: 5,
    ns: 4,
    np: 2,
    soc: 0.7,
    ambientC: 25,
    initialOffsetC: 0,
    spread: { capacity: 0.01, resistance: 0.03, soc: 0.01 },
    noise: { voltage: 1e-3, voltageOffset: 1e-3, temperature: 0.1, temperatureOffset: 0.2, current: 0.2 },
    phases: [{ kind: "current", perCellA: -2 * C, durationS: 60 }],
  });
  const r = runBmsOnTwin(scenario, model, {
    estimator: filterSocEstimator(model, "spkf"),
  });
  const est = r.state.estimator;
  assert.equal(est.name, "spkf per group");
  assert.ok(est.ready);
  const p = r.twin.pack;
  for (let g = 0; g < p.ns; g++) {
    let truth = 0;
    for (let c = 0; c < p.np; c++) truth += p.cells.soc[g * p.np + c] / p.np;
    assert.ok(Math.abs(est.soc[g] - truth) < 0.03, `group ${g}: estimate ${est.soc[g]}, truth ${truth}`);
  }
  // The discharge moved the SOC by about 2C × 60 s = 3.3 points: the estimate followed it.
  assert.ok(est.socMax < 0.7);
});

test("with a 100 ms base period the controller runs on the twin's default 100 ms frames without a trip", () => {
  const file = {
    format: "coxswain-scenario/1",
    name: "slow-frames",
    seed: 11,
    params: "lg-m50",
    pack: { seriesGroups: 6, parallelCells: 2 },
    initial: { soc: 0.5, tempC: 25 },
    ambientC: 25,
    phases: [
      { kind: "rest", durationS: 2 },
      { kind: "current", currentA: -2 * 2 * C, durationS: 30 },
      { kind: "charge", currentA: 2 * C, cellVoltageV: 4.2, maxDurationS: 30 },
    ],
  };
  const scenario = parseScenario(file, "slow-frames");
  assert.equal(scenario.stepS, 0.1);
  assert.equal(scenario.sensors.samplePeriodS, 0.1);
  const r = runBmsOnTwin(scenario, model, {
    config: (pack) => defaultBmsConfig(pack, model, { basePeriodS: 0.1 }),
    periodS: 0.1,
  });
  assert.equal(r.config.timing.mediumEvery, 1);
  assert.equal(r.config.timing.slowEvery, 10);
  assert.ok(r.closedS < 1, `closed at ${r.closedS} s`);
  assert.equal(r.faultSeen, false, [...r.firstSetS.keys()].join(", "));
  assert.ok(r.excursion.byV <= 0 && r.excursion.byK <= 0 && r.excursion.byA <= 0, r.excursion.worst);
  // It carried the load: the discharge limit had risen above what the phase asked for.
  assert.ok(r.state.health.chargeOutAh > 0.5 * 2 * C * 2 * (30 / 3600));
  // With the 10 ms default on the same frames every call is 10 periods late: a timing fault.
  const late = runBmsOnTwin(
    parseScenario({ ...file, phases: [{ kind: "rest", durationS: 1 }] }, "slow-frames"),
    model,
  );
  assert.ok(late.firstSetS.has("timing.late"));
});
