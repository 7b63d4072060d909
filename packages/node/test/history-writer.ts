// Child process of history-sigkill.test.ts: records telemetry and events as fast as it can through the store's own
// automatic commits and prints "committed <telemetryId> <eventId>" each time a commit made new rows durable.

import { SqliteHistory } from "../src/history/sqlite.ts";
import { TELEMETRY_CHANNELS, type TelemetryChannel } from "../src/history/store.ts";

const h = new SqliteHistory(process.argv[2], { telemetryPeriodS: 0, commitIntervalS: 0.1 });
let k = 0;
let reported = 0;
const values = {} as Record<TelemetryChannel, number>;
const groups = new Float64Array(110);
function burst(): void {
  for (let i = 0; i < 200; i++, k++) {
    for (const c of TELEMETRY_CHANNELS) values[c] = k;
    groups.fill(k);
    h.recordTelemetry({ timeS: k, wallMs: Date.now(), values, groupVoltageV: groups });
    if (k % 10 === 0)
      h.recordEvent({ timeS: k, wallMs: Date.now(), kind: "alarm", name: "seq", detail: { k } });
    const c = h.lastCommitted;
    if (c.telemetryId !== reported) {
      reported = c.telemetryId;
      process.stdout.write(`committed ${c.telemetryId} ${c.eventId}\n`);
    }
  }
  setImmediate(burst);
}
burst();
