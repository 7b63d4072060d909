/**
 * The history of a running BMS: telemetry (downsampled), events and alarms (in full), behind one interface so
 * the SQLite store can be swapped for another backend. Times are the session's time in s (`timeS`, what the
 * controller sees) and the wall clock in ms since 1970 (`wallMs`, what retention ages by).
 */

/** Pack-level telemetry channels kept in history, in SI units. */
export const TELEMETRY_CHANNELS = [
  "packVoltageV",
  "packCurrentA",
  "socEstimate",
  "socTrue",
  "soh",
  "groupVoltageMinV",
  "groupVoltageMaxV",
  "temperatureMinK",
  "temperatureMaxK",
  "chargeCurrentMaxA",
  "dischargeCurrentMaxA",
] as const;

export type TelemetryChannel = (typeof TELEMETRY_CHANNELS)[number];

export interface TelemetrySample {
  timeS: number;
  wallMs: number;
  /** One value per channel; NaN where unknown (stored as NULL). */
  values: Record<TelemetryChannel, number>;
  /** Series-group voltages, V (kept per stored sample for the heat map's history). */
  groupVoltageV?: ArrayLike<number>;
}

export interface HistoryEvent {
  timeS: number;
  wallMs: number;
  /** e.g. "alarm", "alarm-cleared", "fault", "control", "mode". */
  kind: string;
  /** A stable identifier (alarm id, fault kind, control action). */
  name: string;
  /** Free-form JSON-serialisable detail. */
  detail?: unknown;
}

export interface StoredEvent extends HistoryEvent {
  id: number;
  run: number;
}

/** Columnar telemetry ready for plotting: `timeS[i]` with `values[channel][i]` (null where unknown). */
export interface TelemetrySeries {
  run: number;
  timeS: number[];
  values: Record<TelemetryChannel, (number | null)[]>;
}

export interface TelemetryQuery {
  /** Run to read; the current run by default. */
  run?: number;
  fromS?: number;
  toS?: number;
  /** At most this many points: longer spans are averaged into equal time buckets. */
  maxPoints?: number;
}

export interface EventQuery {
  run?: number;
  fromS?: number;
  toS?: number;
  kind?: string;
  /** The newest `limit` events (returned oldest first). */
  limit?: number;
}

export interface RetentionPolicy {
  /** Telemetry older than this (wall clock) is deleted, s. */
  telemetryMaxAgeS: number;
  /** Events and alarms older than this (wall clock) are deleted, s. */
  eventMaxAgeS: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = {
  telemetryMaxAgeS: 7 * 24 * 3600,
  eventMaxAgeS: 365 * 24 * 3600,
};

/** What a flush made durable: the highest ids committed so far (0 when none). */
export interface Committed {
  telemetryId: number;
  eventId: number;
}

export interface HistoryStore {
  /** The run that records go to (a new one per session). */
  readonly run: number;
  /** Keeps the sample if at least the downsampling period has passed since the last kept one. */
  recordTelemetry(sample: TelemetrySample): void;
  /** Events are kept in full. */
  recordEvent(event: HistoryEvent): void;
  /** Commits everything recorded so far. */
  flush(): Committed;
  telemetry(query?: TelemetryQuery): TelemetrySeries;
  /** Group voltages of the stored sample nearest to `timeS` in a run. */
  groupVoltagesAt(timeS: number, run?: number): { timeS: number; groupVoltageV: number[] } | undefined;
  events(query?: EventQuery): StoredEvent[];
  /** Deletes what the retention policy no longer keeps, as of `nowMs`. Returns the numbers of rows deleted. */
  applyRetention(nowMs?: number): { telemetry: number; events: number };
  /** Runs recorded, newest first. */
  runs(): { id: number; startedMs: number; name: string }[];
  /** Flushes and closes. */
  close(): void;
}
