import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { CanCodecError, canFrame, DbcCodec, DbcParseError, parseDbc, Rng } from "../src/index.ts";
import { messagesToDbc, randomMessage, randomRawValues } from "./dbc-random.ts";

const EXAMPLE = `VERSION "1.0"

NS_ :
	CM_
	BA_DEF_

BS_:

BU_: BMS CMU

VAL_TABLE_ Contactor 0 "open" 1 "precharge" 2 "closed" ;

BO_ 256 Intel: 8 BMS
 SG_ U16 : 0|16@1+ (1,0) [0|65535] "" CMU
 SG_ S12 : 16|12@1- (0.5,-10) [-1034|1013.5] "V" CMU
 SG_ Flag : 63|1@1+ (1,0) [0|1] "" CMU,BMS

BO_ 257 Motorola: 4 CMU
 SG_ M16 : 7|16@0+ (1,0) [0|0] "" BMS
 SG_ M10 : 21|10@0- (0.1,0) [-51.2|51.1] "A" BMS

BO_ 2147484672 Mux: 8 CMU
 SG_ Block M : 0|8@1+ (1,0) [0|255] "" BMS
 SG_ A0 m0 : 8|16@1+ (0.001,0) [0|65.535] "V" BMS
 SG_ A1 m1 : 8|16@1- (0.01,0) [-327.68|327.67] "degC" BMS
 SG_ State : 56|2@1+ (1,0) [0|3] "" BMS

CM_ BO_ 256 "an Intel message";
CM_ SG_ 257 M16 "a Motorola signal";
BA_DEF_ BO_ "GenMsgCycleTime" INT 0 10000;
BA_ "GenMsgCycleTime" BO_ 256 100;
VAL_ 2147484672 State 0 "open" 1 "precharge" 2 "closed" ;
`;

test("parses messages, signals, comments, cycle times and value tables", () => {
  const dbc = parseDbc(EXAMPLE);
  assert.equal(dbc.version, "1.0");
  assert.deepEqual(dbc.nodes, ["BMS", "CMU"]);
  assert.equal(dbc.messages.length, 3);
  const [intel, moto, mux] = dbc.messages;
  assert.equal(intel.comment, "an Intel message");
  assert.equal(intel.cycleTime_s, 0.1);
  assert.deepEqual(intel.signals[2].receivers, ["CMU", "BMS"]);
  assert.equal(moto.signals[0].comment, "a Motorola signal");
  assert.equal(moto.signals[1].byteOrder, "motorola");
  assert.equal(mux.extended, true);
  assert.equal(mux.id, 0x400);
  assert.equal(mux.signals[0].isMultiplexer, true);
  assert.equal(mux.signals[2].multiplexValue, 1);
  assert.equal(mux.signals[3].choices.get(2), "closed");
  assert.equal(dbc.valueTables.get("Contactor")?.get(1), "precharge");
});

test("Intel and Motorola layouts put the bits where the DBC convention says", () => {
  const codec = new DbcCodec(parseDbc(EXAMPLE));
  const f = codec.encode("Intel", { U16: 0x1234, S12: -10.5, Flag: 1 });
  // S12 raw = (-10.5 + 10) / 0.5 = -1 → 0xFFF in bits 16…27.
  assert.deepEqual([...f.data], [0x34, 0x12, 0xff, 0x0f, 0, 0, 0, 0x80]);
  const m = codec.encode("Motorola", { M16: 0x1234, M10: -0.1 });
  // Motorola: MSB first; start bit 7 is the MSB of byte 0. M10 (MSB at byte 2 bit 5) fills byte 2 bits 5…0,
  // then byte 3 bits 7…4.
  assert.deepEqual([...m.data], [0x12, 0x34, 0x3f, 0xf0]);
  assert.deepEqual(codec.decode(m)?.values, { M16: 0x1234, M10: -0.1 });
});

test("multiplexed signals are present only for their switch value", () => {
  const codec = new DbcCodec(parseDbc(EXAMPLE));
  const f0 = codec.encode("Mux", { Block: 0, A0: 3.705, State: "closed" });
  assert.equal(f0.extended, true);
  assert.deepEqual(codec.decode(f0)?.values, { Block: 0, A0: 3.705, State: 2 });
  const f1 = codec.encode("Mux", { Block: 1, A1: -12.5, State: 0 });
  assert.deepEqual(codec.decode(f1)?.values, { Block: 1, A1: -12.5, State: 0 });
  assert.throws(
    () => codec.encode("Mux", { Block: 1, A0: 1, State: 0 }),
    /present only when the multiplexer is 0/,
  );
});

test("IEEE float signals: single and double, Intel and Motorola, with scale and offset", () => {
  const text = [
    "BO_ 300 F: 8 N",
    ' SG_ f32 : 0|32@1- (1,0) [0|0] "" N',
    ' SG_ g32 : 39|32@0- (0.5,10) [0|0] "" N',
    "BO_ 301 D: 8 N",
    ' SG_ f64 : 0|64@1- (1,0) [0|0] "" N',
    "SIG_VALTYPE_ 300 f32 : 1;",
    "SIG_VALTYPE_ 300 g32 : 1;",
    "SIG_VALTYPE_ 301 f64 : 2;",
    "",
  ].join("\n");
  const codec = new DbcCodec(parseDbc(text));
  const f = codec.encode("F", { f32: 1.5, g32: 13 });
  // 1.5f = 0x3FC00000, little-endian in bytes 0-3; g32 raw (13 − 10) / 0.5 = 6.0f = 0x40C00000, big-endian from byte 4.
  assert.deepEqual([...f.data], [0, 0, 0xc0, 0x3f, 0x40, 0xc0, 0, 0]);
  assert.deepEqual(codec.decode(f)?.values, { f32: 1.5, g32: 13 });
  const d = codec.encode("D", { f64: -Math.PI });
  assert.deepEqual(codec.decode(d)?.values, { f64: -Math.PI });
  assert.equal(Buffer.from(d.data).readDoubleLE(0), -Math.PI);
  // Single precision rounds what it cannot hold.
  assert.equal(codec.decode(codec.encode("F", { f32: 0.1, g32: 10 }))?.values.f32, Math.fround(0.1));
  assert.throws(() => codec.encode("F", { f32: 1e39, g32: 10 }), /F\.f32: got 1e\+39/);
});

test("bad values and short frames give errors naming signal, value and range", () => {
  const codec = new DbcCodec(parseDbc(EXAMPLE));
  assert.throws(
    () => codec.encode("Intel", { U16: 70000, S12: 0, Flag: 0 }),
    /Intel\.U16: got 70000, expected 0…65535/,
  );
  assert.throws(() => codec.encode("Intel", { U16: 1, S12: 0 }), /Intel\.Flag: missing/);
  assert.throws(() => codec.encode("Intel", { U16: 1, S12: 0, Flag: 0, X: 1 }), /Intel\.X: no such signal/);
  assert.throws(
    () => codec.encode("Mux", { Block: 0, A0: 1, State: "shut" }),
    /"shut", expected a number or one of "open"/,
  );
  assert.throws(
    () => codec.encode("Intel", { U16: Number.NaN, S12: 0, Flag: 0 }),
    /expected a finite number/,
  );
  assert.throws(() => codec.decode(canFrame(256, [1, 2])), CanCodecError);
  assert.equal(codec.decode(canFrame(0x7ff, [])), undefined);
});

test("malformed DBC text is reported with its line", () => {
  assert.throws(() => parseDbc('BO_ 1 X: 8 N\n SG_ a : 60|8@1+ (1,0) [0|0] "" N\n'), /line 2: .*do not fit/);
  assert.throws(() => parseDbc("BO_ 1 X: 9 N\n"), /line 1: message length: got 9/);
  assert.throws(() => parseDbc('BO_ 1 X: 8 N\n SG_ a : 0|8@2+ (1,0) [0|0] "" N\n'), /byte order/);
  assert.throws(() => parseDbc('BO_ 1 X: 8 N\n SG_ a : 0|8@1+ (0,0) [0|0] "" N\n'), /scale must not be 0/);
  assert.throws(
    () => parseDbc('BO_ 1 X: 8 N\n SG_ a : 0|16@1+ (1,0) [0|0] "" N\nSIG_VALTYPE_ 1 a : 1;\n'),
    /line 3: signal a: a float32 signal must be 32 bits long, not 16/,
  );
  assert.throws(() => parseDbc('CM_ "open\n'), DbcParseError);
});

test("property: decode(encode(x)) = x within the signal's resolution, for random layouts", () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 2 ** 31 }), fc.boolean(), (seed, multiplexed) => {
      const rng = new Rng(seed);
      const msg = randomMessage(rng, 0, { multiplexed, floats: true });
      const codec = new DbcCodec(parseDbc(messagesToDbc([msg])));
      const raw = randomRawValues(rng, msg);
      const physical: Record<string, number> = {};
      for (const s of msg.signals) if (s.name in raw) physical[s.name] = raw[s.name] * s.scale + s.offset;
      const frame = codec.encode(msg.name, physical);
      assert.equal(frame.data.length, msg.length);
      const back = codec.decode(frame)!.values;
      assert.deepEqual(Object.keys(back).sort(), Object.keys(physical).sort());
      for (const s of msg.signals) {
        if (!(s.name in physical)) continue;
        assert.ok(
          Math.abs(back[s.name] - physical[s.name]) <= s.scale / 2,
          `${s.name}: ${back[s.name]} vs ${physical[s.name]}`,
        );
      }
      assert.deepEqual(codec.decodeRaw(frame), raw);
    }),
    { numRuns: 2000 },
  );
});

test("fuzz: random bytes always decode to finite values inside the raw range", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 2 ** 31 }),
      fc.uint8Array({ minLength: 8, maxLength: 8 }),
      (seed, bytes) => {
        const rng = new Rng(seed);
        const msg = randomMessage(rng, 0, { multiplexed: rng.uniform() < 0.5, maxLength: 64 });
        const codec = new DbcCodec(parseDbc(messagesToDbc([msg])));
        const frame = canFrame(msg.id, bytes.subarray(0, msg.length), msg.extended);
        const out = codec.decode(frame)!.values;
        for (const v of Object.values(out)) assert.ok(Number.isFinite(v));
        // Re-encoding what was decoded reproduces every bit of a present signal. Raw values are exact to 53 bits,
        // but raw · scale + offset in a double loses the last raw unit beyond about 48 bits.
        if (msg.signals.every((s) => s.length <= 48)) {
          const again = codec.encode(msg.name, out);
          assert.deepEqual(codec.decodeRaw(again), codec.decodeRaw(frame));
        }
      },
    ),
    { numRuns: 2000 },
  );
});

test("fuzz: mangled DBC text either parses or throws DbcParseError", () => {
  fc.assert(
    fc.property(fc.nat(EXAMPLE.length - 1), fc.nat(40), fc.string({ maxLength: 6 }), (at, cut, insert) => {
      const text = EXAMPLE.slice(0, at) + insert + EXAMPLE.slice(at + cut);
      try {
        parseDbc(text);
      } catch (e) {
        assert.ok(e instanceof DbcParseError, `unexpected ${(e as Error).name}: ${(e as Error).message}`);
      }
    }),
    { numRuns: 3000 },
  );
});
