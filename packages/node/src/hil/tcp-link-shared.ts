/** Layout of the buffer the TCP link's worker fills with arrived frames (Int32 words). */
export const SLOT_COUNT = 0;
export const SLOTS_START = 1;
/** Identifier, flags (bit 8 extended) and length, then the 8 data bytes one per word. */
export const FRAME_INTS = 10;
/** Frames one batch may hold (a 144-group pack sends about 100 per measurement frame). */
export const BATCH_CAPACITY = 1024;

export type LinkRequest =
  | {
      kind: "send";
      direction: "toBms" | "toPlant";
      frames: { id: number; extended: boolean; data: number[] }[];
    }
  | { kind: "close" };
