import assert from "node:assert/strict";
import { test } from "node:test";
import type { Pack } from "../src/twin/pack.ts";
import { disturb, drivePack, makeTestPack } from "./twin-fixtures.ts";

// The pack linearises each group for the next step in the same pass as it commits it (FastCells.commitAheadGroup)
// and takes that linearisation when nothing has changed it since. The reference: the same pack with onePass off,
// which linearises every group from its state at every step (the two-pass way).

function twoPass(pack: Pack): Pack {
  pack.onePass = false;
  return pack;
}

test("one pass per step gives bit for bit the two-pass result, through mode changes, rests and bleeding", () => {
  const modeChanges = drivePack(makeTestPack(), twoPass(makeTestPack()));
  // The run exercised the re-linearisation of groups whose modes changed.
  assert.ok(modeChanges > 50, `mode changes ${modeChanges}`);
});

test("what writes the cells from outside between steps drops the linearisation made ahead", () => {
  disturb(makeTestPack(), twoPass(makeTestPack()));
});
