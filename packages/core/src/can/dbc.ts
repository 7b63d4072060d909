/**
 * DBC files (the de-facto CAN database format): a parser into plain data. Supported: VERSION, NS_, BS_, BU_,
 * VAL_TABLE_, BO_ with SG_ (Intel and Motorola byte order, signed and unsigned integers, scale/offset,
 * ranges, simple multiplexing with one `M` switch and `mN` signals), BO_TX_BU_, CM_, BA_DEF_/BA_DEF_DEF_/BA_
 * (message cycle times are picked up), VAL_ and SIG_VALTYPE_ (IEEE 754 single and double signals). Statements
 * the codec does not use (EV_, SIG_GROUP_, …) are skipped; extended multiplexing (SG_MUL_VAL_) is reported as an
 * error rather than silently decoded wrong.
 */

export type ByteOrder = "intel" | "motorola";
/** How a signal's bits are read: an integer (two's complement when signed) or an IEEE 754 float. */
export type SignalValueType = "integer" | "float32" | "float64";

export interface DbcSignal {
  readonly name: string;
  /** DBC start bit: the LSB for Intel, the MSB (in DBC sawtooth numbering) for Motorola. */
  readonly startBit: number;
  readonly length: number;
  readonly byteOrder: ByteOrder;
  readonly signed: boolean;
  /** From SIG_VALTYPE_ (default integer). */
  readonly valueType: SignalValueType;
  readonly scale: number;
  readonly offset: number;
  /** Physical range from the DBC; [0, 0] means "not given". */
  readonly min: number;
  readonly max: number;
  readonly unit: string;
  readonly receivers: readonly string[];
  /** True for the multiplexer switch (`M`). */
  readonly isMultiplexer: boolean;
  /** For an `mN` signal: the switch value N at which it is present. */
  readonly multiplexValue?: number;
  /** Raw value → description, from VAL_. */
  readonly choices: ReadonlyMap<number, string>;
  readonly comment?: string;
}

export interface DbcMessage {
  /** Identifier without the extended flag. */
  readonly id: number;
  readonly extended: boolean;
  readonly name: string;
  /** Data length in bytes. */
  readonly length: number;
  readonly sender: string;
  readonly signals: readonly DbcSignal[];
  readonly comment?: string;
  /** From the GenMsgCycleTime attribute, in seconds. */
  readonly cycleTime_s?: number;
}

export interface Dbc {
  readonly version: string;
  readonly nodes: readonly string[];
  readonly messages: readonly DbcMessage[];
  readonly valueTables: ReadonlyMap<string, ReadonlyMap<number, string>>;
}

export class DbcParseError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`DBC line ${line}: ${message}`);
    this.name = "DbcParseError";
  }
}

/** Bit 31 of a DBC message id marks a 29-bit identifier. */
const DBC_EXTENDED_FLAG = 0x80000000;

type TokenKind = "ident" | "number" | "string" | "punct";
interface Token {
  kind: TokenKind;
  text: string;
  line: number;
  /** True when the token is the first on its line and starts in column 0. */
  atLineStart: boolean;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  let firstOnLine = true;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (c === "\n") {
      line++;
      i++;
      lineStart = i;
      firstOnLine = true;
      continue;
    }
    if (c === " " || c === "\t" || c === "\r" || c === "\f" || c === "\v") {
      i++;
      continue;
    }
    const atLineStart = firstOnLine && i === lineStart;
    firstOnLine = false;
    const start = i;
    const startLine = line;
    if (c === '"') {
      i++;
      let s = "";
      while (i < n && text[i] !== '"') {
        if (text[i] === "\\" && i + 1 < n) i++;
        if (text[i] === "\n") line++;
        s += text[i++];
      }
      if (i >= n) throw new DbcParseError("unterminated string", startLine);
      i++;
      tokens.push({ kind: "string", text: s, line: startLine, atLineStart });
      continue;
    }
    const num = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 40));
    if (num && (c !== "-" || /[\d.]/.test(text[i + 1] ?? ""))) {
      i += num[0].length;
      tokens.push({ kind: "number", text: num[0], line, atLineStart });
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      while (i < n && /[A-Za-z0-9_]/.test(text[i])) i++;
      tokens.push({ kind: "ident", text: text.slice(start, i), line, atLineStart });
      continue;
    }
    if (":;|@()[],+-".includes(c)) {
      i++;
      tokens.push({ kind: "punct", text: c, line, atLineStart });
      continue;
    }
    throw new DbcParseError(`unexpected character ${JSON.stringify(c)}`, line);
  }
  return tokens;
}

const KEYWORDS = new Set([
  "VERSION",
  "NS_",
  "BS_",
  "BU_",
  "VAL_TABLE_",
  "BO_",
  "SG_",
  "BO_TX_BU_",
  "CM_",
  "BA_DEF_",
  "BA_DEF_DEF_",
  "BA_",
  "BA_DEF_REL_",
  "BA_DEF_DEF_REL_",
  "BA_REL_",
  "VAL_",
  "SIG_VALTYPE_",
  "EV_",
  "ENVVAR_DATA_",
  "SGTYPE_",
  "SIG_GROUP_",
  "SIG_TYPE_REF_",
  "SG_MUL_VAL_",
  "CAT_DEF_",
  "CAT_",
  "FILTER",
]);

type MutableSignal = { -readonly [K in keyof DbcSignal]: DbcSignal[K] };
interface MutableMessage {
  id: number;
  extended: boolean;
  name: string;
  length: number;
  sender: string;
  signals: MutableSignal[];
  comment?: string;
  cycleTime_s?: number;
}

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  get done(): boolean {
    return this.pos >= this.tokens.length;
  }
  peek(): Token | undefined {
    return this.tokens[this.pos];
  }
  private lastLine(): number {
    return this.tokens[Math.min(this.pos, this.tokens.length - 1)]?.line ?? 1;
  }
  next(what: string): Token {
    const t = this.tokens[this.pos];
    if (!t) throw new DbcParseError(`expected ${what}, got end of file`, this.lastLine());
    this.pos++;
    return t;
  }
  expect(kind: TokenKind, what: string, text?: string): Token {
    const t = this.next(what);
    if (t.kind !== kind || (text !== undefined && t.text !== text))
      throw new DbcParseError(`expected ${what}, got ${JSON.stringify(t.text)}`, t.line);
    return t;
  }
  punct(p: string): void {
    this.expect("punct", `"${p}"`, p);
  }
  isPunct(p: string): boolean {
    const t = this.peek();
    return t?.kind === "punct" && t.text === p;
  }
  number(what: string): number {
    return Number(this.expect("number", what).text);
  }
  integer(what: string, min: number, max: number): number {
    const t = this.expect("number", what);
    const v = Number(t.text);
    if (!Number.isInteger(v) || v < min || v > max)
      throw new DbcParseError(`${what}: got ${t.text}, expected an integer ${min}…${max}`, t.line);
    return v;
  }
  ident(what: string): string {
    return this.expect("ident", what).text;
  }
  string(what: string): string {
    return this.expect("string", what).text;
  }
  /** Skips to just past the next `;`. */
  skipStatement(): void {
    while (!this.done && !this.isPunct(";")) this.pos++;
    if (!this.done) this.pos++;
  }
  /** Skips tokens until the next keyword that starts a line (for sections without terminators). */
  skipToNextLineKeyword(): void {
    while (!this.done) {
      const t = this.tokens[this.pos];
      if (t.atLineStart && t.kind === "ident" && KEYWORDS.has(t.text)) return;
      this.pos++;
    }
  }
  atKeyword(): boolean {
    const t = this.peek();
    return t !== undefined && t.kind === "ident" && KEYWORDS.has(t.text);
  }
}

/** Parses DBC text. Throws DbcParseError (with the line) for anything it cannot read faithfully. */
export function parseDbc(text: string): Dbc {
  const p = new Parser(tokenize(text));
  let version = "";
  const nodes: string[] = [];
  const messages: MutableMessage[] = [];
  const valueTables = new Map<string, Map<number, string>>();
  const byDbcId = new Map<number, MutableMessage>();
  const choices = new Map<string, Map<number, string>>();
  const comments = new Map<string, string>();
  const valueTypes = new Map<string, { type: SignalValueType; line: number }>();
  let current: MutableMessage | undefined;

  const messageFor = (dbcId: number, line: number): MutableMessage => {
    const m = byDbcId.get(dbcId);
    if (!m) throw new DbcParseError(`no message with id ${dbcId}`, line);
    return m;
  };
  const signalKey = (dbcId: number, name: string) => `${dbcId}/${name}`;

  while (!p.done) {
    const t = p.next("a keyword");
    if (t.kind !== "ident")
      throw new DbcParseError(`expected a keyword, got ${JSON.stringify(t.text)}`, t.line);
    switch (t.text) {
      case "VERSION":
        version = p.string("version string");
        break;
      case "NS_":
        p.punct(":");
        p.skipToNextLineKeyword();
        break;
      case "BS_":
        p.punct(":");
        p.skipToNextLineKeyword();
        break;
      case "BU_":
        p.punct(":");
        while (!p.done && !p.atKeyword()) nodes.push(p.ident("node name"));
        break;
      case "VAL_TABLE_": {
        const name = p.ident("value table name");
        valueTables.set(name, parseChoices(p));
        break;
      }
      case "BO_": {
        const dbcId = p.integer("message id", 0, 0xffffffff);
        const extended = dbcId >= DBC_EXTENDED_FLAG;
        const id = extended ? dbcId - DBC_EXTENDED_FLAG : dbcId;
        if (id > (extended ? 0x1fffffff : 0x7ff))
          throw new DbcParseError(
            `message id ${dbcId}: ${extended ? "29" : "11"}-bit identifier out of range`,
            t.line,
          );
        const name = p.ident("message name");
        p.punct(":");
        const length = p.integer("message length", 0, 8);
        const sender = p.ident("sender node");
        if (byDbcId.has(dbcId)) throw new DbcParseError(`message id ${dbcId} defined twice`, t.line);
        current = { id, extended, name, length, sender, signals: [] };
        messages.push(current);
        byDbcId.set(dbcId, current);
        break;
      }
      case "SG_": {
        if (!current) throw new DbcParseError("SG_ outside a BO_ message", t.line);
        const sig = parseSignal(p, current, t.line);
        if (current.signals.some((s) => s.name === sig.name))
          throw new DbcParseError(`signal ${sig.name} defined twice in ${current.name}`, t.line);
        current.signals.push(sig);
        break;
      }
      case "CM_": {
        const what = p.peek();
        if (what?.kind === "string") comments.set("", p.string("comment"));
        else {
          const kind = p.ident("comment target");
          if (kind === "BO_") {
            const dbcId = p.number("message id");
            messageFor(dbcId, t.line).comment = p.string("comment");
          } else if (kind === "SG_") {
            const dbcId = p.number("message id");
            const name = p.ident("signal name");
            comments.set(signalKey(dbcId, name), p.string("comment"));
          } else if (kind === "BU_" || kind === "EV_") {
            p.ident("name");
            p.string("comment");
          } else throw new DbcParseError(`unknown comment target ${kind}`, t.line);
        }
        p.punct(";");
        break;
      }
      case "BA_": {
        const attr = p.string("attribute name");
        const target = p.peek();
        if (attr === "GenMsgCycleTime" && target?.kind === "ident" && target.text === "BO_") {
          p.ident("BO_");
          const dbcId = p.number("message id");
          const ms = p.number("cycle time");
          messageFor(dbcId, t.line).cycleTime_s = ms / 1000;
          p.punct(";");
        } else p.skipStatement();
        break;
      }
      case "VAL_": {
        const dbcId = p.number("message id");
        const name = p.ident("signal name");
        choices.set(signalKey(dbcId, name), parseChoices(p));
        break;
      }
      case "SIG_VALTYPE_": {
        const dbcId = p.number("message id");
        const name = p.ident("signal name");
        if (p.isPunct(":")) p.punct(":");
        const kind = p.integer("signal value type (0 integer, 1 float, 2 double)", 0, 2);
        p.punct(";");
        valueTypes.set(signalKey(dbcId, name), {
          type: (["integer", "float32", "float64"] as const)[kind],
          line: t.line,
        });
        break;
      }
      case "SG_MUL_VAL_":
        throw new DbcParseError("extended multiplexing (SG_MUL_VAL_) is not supported", t.line);
      default:
        if (!KEYWORDS.has(t.text)) throw new DbcParseError(`unknown keyword ${t.text}`, t.line);
        p.skipStatement();
    }
  }

  for (const m of messages) {
    const dbcId = m.extended ? m.id + DBC_EXTENDED_FLAG : m.id;
    const muxes = m.signals.filter((s) => s.isMultiplexer);
    if (muxes.length > 1)
      throw new DbcParseError(`message ${m.name} has more than one multiplexer switch`, 0);
    for (const s of m.signals) {
      if (s.multiplexValue !== undefined && muxes.length === 0)
        throw new DbcParseError(
          `signal ${s.name} of ${m.name} is multiplexed but the message has no switch`,
          0,
        );
      s.choices = choices.get(signalKey(dbcId, s.name)) ?? new Map();
      const vt = valueTypes.get(signalKey(dbcId, s.name));
      if (vt && vt.type !== "integer") {
        const bits = vt.type === "float32" ? 32 : 64;
        if (s.length !== bits)
          throw new DbcParseError(
            `signal ${s.name}: a ${vt.type} signal must be ${bits} bits long, not ${s.length}`,
            vt.line,
          );
        if (s.isMultiplexer)
          throw new DbcParseError(`signal ${s.name}: a multiplexer cannot be a float`, vt.line);
        s.valueType = vt.type;
      }
      const c = comments.get(signalKey(dbcId, s.name));
      if (c !== undefined) s.comment = c;
    }
  }
  return { version, nodes, messages, valueTables };
}

function parseChoices(p: Parser): Map<number, string> {
  const out = new Map<number, string>();
  while (!p.isPunct(";")) {
    const v = p.number("value");
    out.set(v, p.string("value description"));
  }
  p.punct(";");
  return out;
}

function parseSignal(p: Parser, msg: MutableMessage, line: number): MutableSignal {
  const name = p.ident("signal name");
  let isMultiplexer = false;
  let multiplexValue: number | undefined;
  const tag = p.peek();
  if (tag?.kind === "ident") {
    // "M", "m3", or "m3M" (a multiplexed switch: extended multiplexing).
    const m = /^(?:(M)|m(\d+)(M?))$/.exec(tag.text);
    if (!m) throw new DbcParseError(`signal ${name}: bad multiplexer tag ${tag.text}`, tag.line);
    if (m[3])
      throw new DbcParseError(`signal ${name}: extended multiplexing (${tag.text}) is not supported`, line);
    p.next("multiplexer tag");
    if (m[1]) isMultiplexer = true;
    else multiplexValue = Number(m[2]);
  }
  p.punct(":");
  const maxBit = msg.length * 8 - 1;
  const startBit = p.integer(`start bit of ${name}`, 0, 63);
  p.punct("|");
  const length = p.integer(`length of ${name}`, 1, 64);
  p.punct("@");
  const order = p.integer(`byte order of ${name} (0 Motorola, 1 Intel)`, 0, 1);
  const sign = p.next(`sign of ${name}`);
  if (sign.kind !== "punct" || (sign.text !== "+" && sign.text !== "-"))
    throw new DbcParseError(`sign of ${name}: expected + or -, got ${JSON.stringify(sign.text)}`, sign.line);
  p.punct("(");
  const scale = p.number(`scale of ${name}`);
  p.punct(",");
  const offset = p.number(`offset of ${name}`);
  p.punct(")");
  p.punct("[");
  const min = p.number(`minimum of ${name}`);
  p.punct("|");
  const max = p.number(`maximum of ${name}`);
  p.punct("]");
  const unit = p.string(`unit of ${name}`);
  const receivers = [p.ident(`receiver of ${name}`)];
  while (p.isPunct(",")) {
    p.punct(",");
    receivers.push(p.ident(`receiver of ${name}`));
  }
  if (scale === 0) throw new DbcParseError(`signal ${name}: scale must not be 0`, line);
  const byteOrder: ByteOrder = order === 1 ? "intel" : "motorola";
  const bits = signalBitPositions(startBit, length, byteOrder);
  if (bits.some((b) => b < 0 || b > maxBit))
    throw new DbcParseError(
      `signal ${name}: bits ${startBit}|${length}@${order} do not fit in ${msg.name}'s ${msg.length} bytes`,
      line,
    );
  return {
    name,
    startBit,
    length,
    byteOrder,
    signed: sign.text === "-",
    valueType: "integer",
    scale,
    offset,
    min,
    max,
    unit,
    receivers,
    isMultiplexer,
    multiplexValue,
    choices: new Map(),
  };
}

/**
 * Frame bit positions (byte·8 + bit, bit 0 = LSB of the byte) of a signal's bits, from its least to its most
 * significant bit. Intel runs upwards from the start bit; Motorola starts at the MSB and runs down within a
 * byte, then on to the next byte's bit 7.
 */
export function signalBitPositions(startBit: number, length: number, byteOrder: ByteOrder): number[] {
  const out = new Array<number>(length);
  if (byteOrder === "intel") {
    for (let i = 0; i < length; i++) out[i] = startBit + i;
    return out;
  }
  let pos = startBit;
  for (let i = length - 1; i >= 0; i--) {
    out[i] = pos;
    pos = pos % 8 === 0 ? pos + 15 : pos - 1;
  }
  return out;
}
