import assert from "node:assert/strict";
import { test } from "node:test";
import { type CanFrame, canFrame, DbcCodec, parseDbc, Rng } from "../src/index.ts";
import { messagesToDbc, randomMessage, randomRawValues } from "./dbc-random.ts";
import { runPython } from "./python.ts";

const hex = (f: CanFrame): string => Buffer.from(f.data).toString("hex");

interface Case {
  name: string;
  raw: Record<string, number>;
  data: string;
}
interface Result {
  decoded: Record<string, number>;
  physical: Record<string, number>;
  encoded: string;
}

test("cantools decodes coxswain's frames and coxswain decodes cantools' frames, bit for bit", () => {
  const rng = new Rng(2026);
  const ids = new Set<number>();
  const messages = Array.from({ length: 120 }, (_, i) =>
    randomMessage(rng, i, { multiplexed: i % 3 === 0, floats: true }),
  ).filter((m) => !ids.has(m.id) && ids.add(m.id));
  const text = messagesToDbc(messages);
  const codec = new DbcCodec(parseDbc(text));
  const cases: Case[] = [];
  for (let k = 0; k < 5; k++)
    for (const m of messages) {
      const raw = randomRawValues(rng, m);
      const physical: Record<string, number> = {};
      for (const s of m.signals) if (s.name in raw) physical[s.name] = raw[s.name] * s.scale + s.offset;
      cases.push({ name: m.name, raw, data: hex(codec.encode(m.name, physical)) });
    }
  const [results] = runPython("cantools_roundtrip.py", { dbcs: [{ text, cases }] }) as Result[][];
  assert.equal(results.length, cases.length);
  cases.forEach((c, i) => {
    const r = results[i];
    assert.deepEqual(r.decoded, c.raw, `cantools decoding ${c.name} ${c.data}`);
    assert.equal(r.encoded, c.data, `cantools encoding ${c.name} ${JSON.stringify(c.raw)}`);
    const msg = codec.message(c.name);
    const ours = codec.decode(canFrame(msg.id, Buffer.from(r.encoded, "hex"), msg.extended))!;
    for (const s of msg.signals)
      if (s.name in c.raw)
        assert.ok(
          Math.abs(ours.values[s.name] - r.physical[s.name]) <=
            1e-9 * Math.max(1, Math.abs(r.physical[s.name])),
        );
  });
});
