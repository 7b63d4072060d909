import assert from "node:assert/strict";
import { test } from "node:test";
import {
  applyContactorEvent,
  COILS,
  CONTACTOR_EVENTS,
  CONTACTOR_MODES,
  CONTACTOR_TABLE,
  ContactorMachine,
  type ContactorMode,
  type ContactorSettings,
  contactorEvent,
} from "../src/index.ts";
import type { ContactorState } from "../src/twin/interfaces.ts";
import { frame, testPack } from "./bms-fixtures.ts";

/**
 * The expected next state of every state × event, written out by hand from the specification (rows: states
 * in CONTACTOR_MODES order; columns: events in CONTACTOR_EVENTS order). "retry" means opening while retries are
 * left and fault once they are spent.
 */
const EVENTS_ORDER = [
  "closeRequest",
  "openRequest",
  "prechargeMatched",
  "prechargeTimeout",
  "openConfirmed",
  "openTimeout",
  "feedbackMismatch",
  "weldDetected",
  "emergency",
  "reset",
];
const EXPECTED: Record<ContactorMode, string[]> = {
  //           close        open       matched    timeout    confirmed  openTO     mismatch   weld     emergency reset
  open: ["precharging", "open", "open", "open", "open", "open", "fault", "fault", "fault", "open"],
  precharging: [
    "precharging",
    "opening",
    "closed",
    "retry",
    "precharging",
    "precharging",
    "fault",
    "fault",
    "fault",
    "precharging",
  ],
  closed: ["closed", "opening", "closed", "closed", "closed", "closed", "fault", "fault", "fault", "closed"],
  opening: [
    "opening",
    "opening",
    "opening",
    "opening",
    "open",
    "fault",
    "opening",
    "fault",
    "fault",
    "opening",
  ],
  fault: ["fault", "fault", "fault", "fault", "fault", "fault", "fault", "fault", "fault", "open"],
};

test("every state × every event has the specified next state (with and without retries left)", () => {
  assert.deepEqual([...CONTACTOR_EVENTS], EVENTS_ORDER);
  let cases = 0;
  for (const s of CONTACTOR_MODES)
    for (const [k, ev] of CONTACTOR_EVENTS.entries())
      for (const retriesLeft of [true, false]) {
        const m = new ContactorMachine();
        m.mode = s;
        m.retries = retriesLeft ? 0 : 2;
        m.ticksInState = 7;
        const changed = applyContactorEvent(m, ev, 2);
        const want = EXPECTED[s][k] === "retry" ? (retriesLeft ? "opening" : "fault") : EXPECTED[s][k];
        assert.equal(m.mode, want, `${s} + ${ev} (retries left: ${retriesLeft})`);
        assert.equal(changed, want !== s);
        // Entering a state restarts its tick count; staying keeps it.
        assert.equal(m.ticksInState, want !== s ? 0 : 7);
        cases++;
      }
  assert.equal(cases, CONTACTOR_MODES.length * CONTACTOR_EVENTS.length * 2);
});

test("transition actions: retries count and clear, weld and feedback faults are marked, reset clears", () => {
  const m = new ContactorMachine();
  m.mode = "precharging";
  applyContactorEvent(m, "prechargeTimeout", 1);
  assert.equal(m.retries, 1);
  assert.equal(m.prechargeFailed, false);
  m.mode = "precharging";
  applyContactorEvent(m, "prechargeTimeout", 1);
  assert.equal(m.mode, "fault");
  assert.equal(m.prechargeFailed, true);
  applyContactorEvent(m, "reset", 1);
  assert.equal(m.mode, "open");
  assert.equal(m.retries, 0);
  assert.equal(m.prechargeFailed, false);
  m.mode = "precharging";
  m.retries = 1;
  applyContactorEvent(m, "prechargeMatched", 1);
  assert.equal(m.retries, 0);
  applyContactorEvent(m, "feedbackMismatch", 1);
  assert.equal(m.feedbackFault, true);
  assert.equal(m.welded, false);
  const w = new ContactorMachine();
  w.mode = "opening";
  applyContactorEvent(w, "openTimeout", 1);
  assert.equal(w.welded, true);
});

test("coils: only precharging and closed energise anything; the mains never close in precharge", () => {
  for (const s of CONTACTOR_MODES) {
    const c = COILS[s];
    if (s === "closed") assert.deepEqual(c, { positive: true, negative: true, precharge: false });
    else if (s === "precharging") assert.deepEqual(c, { positive: false, negative: true, precharge: true });
    else assert.deepEqual(c, { positive: false, negative: false, precharge: false });
  }
  // Only the precharge match leads into closed.
  for (const s of CONTACTOR_MODES)
    for (const ev of CONTACTOR_EVENTS) {
      const row = CONTACTOR_TABLE[s][ev];
      const nexts = typeof row.next === "string" ? [row.next] : [row.next.retriesLeft, row.next.exhausted];
      if (nexts.includes("closed") && s !== "closed")
        assert.deepEqual([s, ev], ["precharging", "prechargeMatched"]);
    }
});

const settings: ContactorSettings = {
  ticks: { feedbackDelay: 3, prechargeMin: 2, prechargeTimeout: 20, retryDelay: 5, openTimeout: 10 },
  maxRetries: 1,
  prechargeMatchFraction: 0.05,
  prechargeMatchMinV: 0.1,
  weldCurrentA: 1,
};
const pack = testPack();

/** Runs the event generator and the table for one tick with a plant that follows the coils (unless told). */
function tick(
  m: ContactorMachine,
  wish: { emergency?: boolean; close?: boolean; reset?: boolean },
  o: {
    linkV?: number;
    welded?: boolean;
    stuckOpen?: boolean;
    currentA?: number;
    frozen?: ContactorState;
  } = {},
) {
  const coils = COILS[m.mode];
  const fb = {
    positive: (coils.positive && !o.stuckOpen) || !!o.welded,
    negative: coils.negative && !o.stuckOpen,
    precharge: coils.precharge,
  };
  const meas = frame(pack, {
    contactors: o.frozen ?? fb,
    linkV: o.linkV ?? 0,
    currentA: o.currentA ?? 0,
    commsOk: o.frozen === undefined,
  });
  const ev = contactorEvent(
    m,
    meas,
    { emergency: !!wish.emergency, close: !!wish.close, reset: !!wish.reset },
    settings,
  );
  if (ev) applyContactorEvent(m, ev, settings.maxRetries);
  return ev;
}

test("precharge: matched after the minimum time closes; the events come in tick order", () => {
  const m = new ContactorMachine();
  const packV = 4 * 3.7;
  const events: (string | null)[] = [];
  for (let k = 0; k < 6; k++) events.push(tick(m, { close: true }, { linkV: packV * 0.97 }));
  // tick 1: closeRequest; ticks 2–3 wait prechargeMin (2 ticks); tick 4 matched.
  assert.deepEqual(events, ["closeRequest", null, null, "prechargeMatched", null, null]);
  assert.equal(m.mode, "closed");
});

test("precharge timeout retries after the retry delay and faults when retries are spent", () => {
  const m = new ContactorMachine();
  const log: string[] = [];
  for (let k = 0; k < 80; k++) {
    const ev = tick(m, { close: true }, { linkV: 1 });
    if (ev) log.push(`${k}:${ev}`);
  }
  // close at 0; timeout when ticksInState > 20 (tick 21); opening confirmed after feedbackDelay (tick 25);
  // retry wait of 5 ticks from the timeout → close again at 26; second timeout at 47 with no retries left.
  assert.deepEqual(log, [
    "0:closeRequest",
    "21:prechargeTimeout",
    "25:openConfirmed",
    "26:closeRequest",
    "47:prechargeTimeout",
  ]);
  assert.equal(m.mode, "fault");
  assert.equal(m.prechargeFailed, true);
});

test("match and timeout on the same tick: the match wins (no timing luck)", () => {
  const m = new ContactorMachine();
  tick(m, { close: true });
  for (let k = 0; k < 19; k++) tick(m, { close: true }, { linkV: 0 });
  assert.equal(m.mode, "precharging");
  assert.equal(tick(m, { close: true }, { linkV: 4 * 3.7 }), "prechargeMatched");
});

test("welded contactor: found after an opening, and while open", () => {
  const m = new ContactorMachine();
  m.mode = "closed" as ContactorMode;
  assert.equal(tick(m, { close: false }, { welded: true }), "openRequest");
  let ev: string | null = null;
  let k = 0;
  while (m.mode === "opening" && k++ < 50) ev = tick(m, {}, { welded: true });
  assert.equal(ev, "openTimeout");
  assert.equal(k, settings.ticks.openTimeout + 1);
  assert.equal(m.mode, "fault");
  assert.equal(m.welded, true);
  assert.equal(m.faultContactor, 0);
  // Open with the positive contactor welded: detected after the feedback delay.
  const o = new ContactorMachine();
  const evs: (string | null)[] = [];
  for (let j = 0; j < 5; j++) evs.push(tick(o, {}, { welded: true }));
  assert.deepEqual(evs, [null, null, null, "weldDetected", null]);
  // Current still flowing after opening is a weld too, whatever the feedback says.
  const c = new ContactorMachine();
  c.mode = "opening";
  for (let j = 0; j < 11; j++) tick(c, {}, { currentA: 50 });
  assert.equal(c.mode, "fault");
  assert.equal(c.welded, true);
});

test("feedback mismatch while closed and emergency from every state open everything at once", () => {
  const m = new ContactorMachine();
  m.mode = "closed";
  const evs = [0, 1, 2, 3].map(() => tick(m, { close: true }, { stuckOpen: true }));
  assert.deepEqual(evs, [null, null, null, "feedbackMismatch"]);
  assert.equal(m.mode, "fault");
  assert.equal(m.feedbackFault, true);
  for (const s of CONTACTOR_MODES) {
    const e = new ContactorMachine();
    e.mode = s;
    const ev = tick(e, { emergency: true, close: true });
    assert.equal(e.mode, "fault");
    assert.equal(ev, s === "fault" ? null : "emergency");
    assert.deepEqual(COILS[e.mode], { positive: false, negative: false, precharge: false });
  }
  // Reset leaves fault only when asked, and then closes again through precharge.
  const r = new ContactorMachine();
  r.mode = "fault";
  assert.equal(tick(r, { close: true }), null);
  assert.equal(tick(r, { close: true, reset: true }), "reset");
  assert.equal(tick(r, { close: true }), "closeRequest");
});

test("lost link: frozen 'closed' feedback is no weld; a real weld is still found once fresh feedback returns", () => {
  const frozen = { positive: true, negative: true, precharge: false };
  const m = new ContactorMachine();
  m.mode = "closed" as ContactorMode;
  // The link drops with the contactors closed; the controller opens them (emergency), the feedback stays frozen.
  assert.equal(tick(m, { emergency: true }, { frozen }), "emergency");
  for (let k = 0; k < 50; k++) assert.equal(tick(m, {}, { frozen }), null, `tick ${k}`);
  assert.equal(m.welded, false);
  // The link comes back and the contacts really are open: nothing to report.
  for (let k = 0; k < 10; k++) assert.equal(tick(m, {}), null);
  assert.equal(m.welded, false);
  // Opening during a lost link waits for fresh feedback, then judges it: here the positive contact is welded.
  const o = new ContactorMachine();
  o.mode = "closed" as ContactorMode;
  assert.equal(tick(o, { close: false }, { frozen }), "openRequest");
  for (let k = 0; k < 50; k++) assert.equal(tick(o, {}, { frozen }), null);
  assert.equal(o.mode, "opening");
  assert.equal(tick(o, {}, { welded: true }), "openTimeout");
  assert.equal(o.welded, true);
});
