import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import {
  CMU_MAX_GROUPS,
  canFrame,
  cmuDbcText,
  DbcCodec,
  type DbcMessage,
  hostDbcText,
  parseDbc,
  pylonDbcText,
  Rng,
  rawRange,
} from "../src/index.ts";
import { runPython } from "./python.ts";

const SHIPPED: [string, () => string][] = [
  ["coxswain-cmu.dbc", cmuDbcText],
  ["coxswain-host.dbc", hostDbcText],
  ["pylon-compatible.dbc", pylonDbcText],
];
const shipped = (name: string) => readFileSync(new URL(`../dbc/${name}`, import.meta.url), "utf8");

test("the shipped DBC files are exactly what the generators produce", () => {
  for (const [name, gen] of SHIPPED)
    assert.equal(
      shipped(name),
      gen(),
      `${name} is stale: run node --import tsx packages/node/src/can/write-dbc.ts`,
    );
});

test("the CMU DBC addresses every series group up to its maximum, each exactly once", () => {
  const dbc = parseDbc(cmuDbcText());
  assert.ok(CMU_MAX_GROUPS >= 110);
  for (const msgName of ["CMU_CellVoltages", "CMU_Temperatures", "BMS_BalancingCommand"]) {
    const m = dbc.messages.find((x) => x.name === msgName)!;
    const groups = m.signals.filter((s) => s.multiplexValue !== undefined).map((s) => s.name.slice(-4));
    assert.equal(groups.length, CMU_MAX_GROUPS, msgName);
    assert.equal(new Set(groups).size, CMU_MAX_GROUPS, msgName);
  }
});

/** Random raw values inside the DBC range for the signals present at a random multiplexer value. */
function randomRaw(rng: Rng, m: DbcMessage): Record<string, number> {
  const mux = m.signals.find((s) => s.isMultiplexer);
  const muxValues = [
    ...new Set(m.signals.flatMap((s) => (s.multiplexValue === undefined ? [] : [s.multiplexValue]))),
  ];
  const muxValue = mux ? muxValues[rng.int(muxValues.length)] : undefined;
  const out: Record<string, number> = {};
  for (const s of m.signals) {
    if (s.multiplexValue !== undefined && s.multiplexValue !== muxValue) continue;
    if (s.isMultiplexer) {
      out[s.name] = muxValue!;
      continue;
    }
    const r = rawRange(s);
    const lo = Math.max(r.min, Math.ceil((s.min - s.offset) / s.scale - 1e-9));
    const hi = Math.min(r.max, Math.floor((s.max - s.offset) / s.scale + 1e-9));
    out[s.name] = lo + rng.int(hi - lo + 1);
  }
  return out;
}

interface Result {
  decoded: Record<string, number>;
  encoded: string;
}

test("cantools loads coxswain's DBC files strictly and agrees with coxswain bit for bit in both directions", () => {
  const rng = new Rng(9);
  const input = SHIPPED.map(([name]) => {
    const text = shipped(name);
    const codec = new DbcCodec(parseDbc(text));
    const cases = [];
    for (const m of codec.dbc.messages)
      for (let k = 0; k < (m.signals.some((s) => s.isMultiplexer) ? 60 : 10); k++) {
        const raw = randomRaw(rng, m);
        const physical = Object.fromEntries(
          Object.entries(raw).map(([n, r]) => {
            const s = m.signals.find((x) => x.name === n)!;
            return [n, r * s.scale + s.offset];
          }),
        );
        cases.push({
          name: m.name,
          raw,
          data: Buffer.from(codec.encode(m.name, physical).data).toString("hex"),
        });
      }
    return { text, strict: true, cases, codec };
  });
  const results = runPython("cantools_roundtrip.py", {
    dbcs: input.map(({ text, strict, cases }) => ({ text, strict, cases })),
  }) as Result[][];
  input.forEach(({ cases, codec }, d) => {
    cases.forEach((c, i) => {
      const r = results[d][i];
      assert.deepEqual(r.decoded, c.raw, `cantools decoding ${c.name}`);
      assert.equal(r.encoded, c.data, `cantools encoding ${c.name}`);
      const m = codec.message(c.name);
      assert.deepEqual(codec.decodeRaw(canFrame(m.id, Buffer.from(r.encoded, "hex"), m.extended)), c.raw);
    });
  });
});
