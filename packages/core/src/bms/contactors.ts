/**
 * The contactor and precharge state machine, written as a transition table: every state × every event has
 * exactly one row (TypeScript checks the table is complete), giving the next state and an action. The coil
 * commands are a function of the state alone, so what the contactors do never depends on how we got there.
 *
 * Events come from `contactorEvent`, which looks at feedback, voltages, current and tick counts (never wall
 * time) and yields at most one event per 10 ms tick, by priority: emergency, weld, feedback mismatch, timeouts,
 * precharge match, then requests. Retries are bounded: a precharge timeout with retries left opens and waits
 * `retryDelayS` before the next attempt; without, it is a fault.
 */
import type { ContactorState, Measurements } from "../twin/interfaces.ts";

export const CONTACTOR_MODES = ["open", "precharging", "closed", "opening", "fault"] as const;
export type ContactorMode = (typeof CONTACTOR_MODES)[number];

export const CONTACTOR_EVENTS = [
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
] as const;
export type ContactorEvent = (typeof CONTACTOR_EVENTS)[number];

/** Side effects of a transition besides the state change. */
export type ContactorAction =
  | "none"
  | "countRetry"
  | "clearRetries"
  | "markWelded"
  | "markFeedback"
  | "clearMarks";

/** A row: the next state, or a choice on whether precharge retries are left. */
export interface Transition {
  next: ContactorMode | { retriesLeft: ContactorMode; exhausted: ContactorMode };
  action: ContactorAction;
}

const stay = (s: ContactorMode): Transition => ({ next: s, action: "none" });
const to = (s: ContactorMode, action: ContactorAction = "none"): Transition => ({ next: s, action });

export const CONTACTOR_TABLE: Record<ContactorMode, Record<ContactorEvent, Transition>> = {
  open: {
    closeRequest: to("precharging"),
    openRequest: stay("open"),
    prechargeMatched: stay("open"),
    prechargeTimeout: stay("open"),
    openConfirmed: stay("open"),
    openTimeout: stay("open"),
    // Feedback says closed although every coil is off: the contacts are welded.
    feedbackMismatch: to("fault", "markWelded"),
    weldDetected: to("fault", "markWelded"),
    emergency: to("fault"),
    reset: stay("open"),
  },
  precharging: {
    closeRequest: stay("precharging"),
    openRequest: to("opening"),
    prechargeMatched: to("closed", "clearRetries"),
    prechargeTimeout: { next: { retriesLeft: "opening", exhausted: "fault" }, action: "countRetry" },
    openConfirmed: stay("precharging"),
    openTimeout: stay("precharging"),
    feedbackMismatch: to("fault", "markFeedback"),
    weldDetected: to("fault", "markWelded"),
    emergency: to("fault"),
    reset: stay("precharging"),
  },
  closed: {
    closeRequest: stay("closed"),
    openRequest: to("opening"),
    prechargeMatched: stay("closed"),
    prechargeTimeout: stay("closed"),
    openConfirmed: stay("closed"),
    openTimeout: stay("closed"),
    feedbackMismatch: to("fault", "markFeedback"),
    weldDetected: to("fault", "markWelded"),
    emergency: to("fault"),
    reset: stay("closed"),
  },
  opening: {
    closeRequest: stay("opening"),
    openRequest: stay("opening"),
    prechargeMatched: stay("opening"),
    prechargeTimeout: stay("opening"),
    openConfirmed: to("open"),
    // Still closed or still conducting after the opening time: welded.
    openTimeout: to("fault", "markWelded"),
    // While opening, feedback lags the coils by design; the open timeout decides.
    feedbackMismatch: stay("opening"),
    weldDetected: to("fault", "markWelded"),
    emergency: to("fault"),
    reset: stay("opening"),
  },
  fault: {
    closeRequest: stay("fault"),
    openRequest: stay("fault"),
    prechargeMatched: stay("fault"),
    prechargeTimeout: stay("fault"),
    openConfirmed: stay("fault"),
    openTimeout: stay("fault"),
    feedbackMismatch: stay("fault"),
    weldDetected: to("fault", "markWelded"),
    emergency: stay("fault"),
    reset: to("open", "clearMarks"),
  },
};

/** Coil commands per state. Precharge closes the negative and precharge contactors; closed uses the mains. */
export const COILS: Record<ContactorMode, ContactorState> = {
  open: { positive: false, negative: false, precharge: false },
  precharging: { positive: false, negative: true, precharge: true },
  closed: { positive: true, negative: true, precharge: false },
  opening: { positive: false, negative: false, precharge: false },
  fault: { positive: false, negative: false, precharge: false },
};

export interface ContactorTimingTicks {
  feedbackDelay: number;
  prechargeMin: number;
  prechargeTimeout: number;
  retryDelay: number;
  openTimeout: number;
}

export interface ContactorSettings {
  ticks: ContactorTimingTicks;
  maxRetries: number;
  prechargeMatchFraction: number;
  prechargeMatchMinV: number;
  weldCurrentA: number;
}

export class ContactorMachine {
  mode: ContactorMode = "open";
  /** 10 ms ticks spent in the current state. */
  ticksInState = 0;
  /** Consecutive ticks the feedback has disagreed with the coils. */
  mismatchTicks = 0;
  retries = 0;
  /** Ticks to wait before the next close attempt (after a failed precharge). */
  retryWait = 0;
  /** Which contactor tripped a weld or feedback fault (0 positive, 1 negative, 2 precharge; −1 none). */
  faultContactor = -1;
  welded = false;
  feedbackFault = false;
  prechargeFailed = false;
  lastEvent: ContactorEvent | null = null;
}

/** Applies one event through the table. Returns true when the state changed. */
export function applyContactorEvent(m: ContactorMachine, ev: ContactorEvent, maxRetries: number): boolean {
  const row = CONTACTOR_TABLE[m.mode][ev];
  m.lastEvent = ev;
  let next: ContactorMode;
  if (typeof row.next === "string") next = row.next;
  else next = m.retries < maxRetries ? row.next.retriesLeft : row.next.exhausted;
  switch (row.action) {
    case "countRetry":
      if (m.retries >= maxRetries) m.prechargeFailed = true;
      m.retries++;
      break;
    case "clearRetries":
      m.retries = 0;
      break;
    case "markWelded":
      m.welded = true;
      break;
    case "markFeedback":
      m.feedbackFault = true;
      break;
    case "clearMarks":
      m.welded = m.feedbackFault = m.prechargeFailed = false;
      m.retries = 0;
      m.faultContactor = -1;
      break;
    case "none":
      break;
  }
  if (next === m.mode) return false;
  m.mode = next;
  m.ticksInState = 0;
  m.mismatchTicks = 0;
  return true;
}

/** First contactor whose feedback differs from `coils` (−1 if all agree). */
export function feedbackMismatch(coils: ContactorState, fb: ContactorState): number {
  if (coils.positive !== fb.positive) return 0;
  if (coils.negative !== fb.negative) return 1;
  if (coils.precharge !== fb.precharge) return 2;
  return -1;
}

const anyClosed = (fb: ContactorState) => fb.positive || fb.negative || fb.precharge;

/** What the controller wants from the contactors this tick. */
export interface ContactorWish {
  emergency: boolean;
  close: boolean;
  reset: boolean;
}

/**
 * Advances the counters by one tick and picks this tick's event (or null). Call `applyContactorEvent` with it.
 */
export function contactorEvent(
  m: ContactorMachine,
  meas: Measurements,
  wish: ContactorWish,
  s: ContactorSettings,
): ContactorEvent | null {
  m.ticksInState++;
  if (m.retryWait > 0) m.retryWait--;
  const coils = COILS[m.mode];
  const fb = meas.contactors;
  // Feedback frozen by a lost link says nothing about the contacts now: no mismatch is counted and no
  // feedback verdict is taken until fresh frames arrive (the lost link is its own fault and opens the coils).
  const mis = meas.commsOk ? feedbackMismatch(coils, fb) : -1;
  m.mismatchTicks = mis >= 0 ? m.mismatchTicks + 1 : 0;
  const mismatchLong = mis >= 0 && m.mismatchTicks > s.ticks.feedbackDelay;
  const t = m.ticksInState;

  if (wish.emergency && m.mode !== "fault") return "emergency";
  if (!meas.commsOk && m.mode === "opening") return null;
  switch (m.mode) {
    case "open":
      // Coils are all off, so any closed feedback is a welded contact.
      if (mismatchLong) {
        m.faultContactor = mis;
        return "weldDetected";
      }
      if (wish.close && m.retryWait === 0) return "closeRequest";
      return null;
    case "precharging": {
      if (mismatchLong) {
        m.faultContactor = mis;
        return "feedbackMismatch";
      }
      if (!wish.close) return "openRequest";
      const pack = meas.packVoltageV;
      const link = meas.linkVoltageV;
      const matched =
        pack.valid &&
        link.valid &&
        pack.value > 0 &&
        Math.abs(pack.value - link.value) <=
          Math.max(s.prechargeMatchFraction * pack.value, s.prechargeMatchMinV);
      if (t > s.ticks.prechargeMin && matched) return "prechargeMatched";
      if (t > s.ticks.prechargeTimeout) {
        m.retryWait = s.ticks.retryDelay;
        return "prechargeTimeout";
      }
      return null;
    }
    case "closed":
      if (mismatchLong) {
        m.faultContactor = mis;
        return "feedbackMismatch";
      }
      if (!wish.close) return "openRequest";
      return null;
    case "opening": {
      const current = meas.packCurrentA;
      const conducting = current.valid && Math.abs(current.value) > s.weldCurrentA;
      if (!anyClosed(fb) && !conducting && t > s.ticks.feedbackDelay) return "openConfirmed";
      if (t > s.ticks.openTimeout) {
        m.faultContactor = mis >= 0 ? mis : 0;
        return "openTimeout";
      }
      return null;
    }
    case "fault":
      // A welded contact stays visible while the machine sits in fault: record it for the alarm.
      if (mismatchLong && !m.welded) {
        m.faultContactor = mis;
        return "weldDetected";
      }
      if (wish.reset) return "reset";
      return null;
  }
}
