/**
 * Configuration is data with a schema. These combinators validate parsed JSON (or YAML) and build typed values;
 * every problem is reported with the field's path, the value found and what is allowed, and all problems of a
 * document are reported together. Unknown fields are errors, so a typo never silently drops a limit.
 */

export interface Issue {
  path: string;
  value: unknown;
  expected: string;
}

export class ValidationError extends Error {
  constructor(
    readonly what: string,
    readonly issues: Issue[],
  ) {
    super(`invalid ${what}:\n${issues.map((i) => `  - ${formatIssue(i)}`).join("\n")}`);
    this.name = "ValidationError";
  }
}

export function formatIssue(i: Issue): string {
  return `${i.path || "(root)"}: got ${show(i.value)}, expected ${i.expected}`;
}

function show(v: unknown): string {
  if (v === undefined) return "nothing (field missing)";
  if (typeof v === "number") return Number.isNaN(v) ? "NaN" : String(v);
  const s = JSON.stringify(v);
  if (s === undefined) return String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

export interface Schema<T> {
  /** Returns the value, or undefined after pushing at least one issue. */
  parse(value: unknown, path: string, issues: Issue[]): T | undefined;
  /** What is allowed, in words, for error messages. */
  readonly expected: string;
  /** True for fields that may be missing from an object. */
  readonly optional?: boolean;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

/** Validates `value` against `schema`, throwing one ValidationError that lists every issue. */
export function validate<T>(schema: Schema<T>, value: unknown, what: string): T {
  const issues: Issue[] = [];
  const out = schema.parse(value, "", issues);
  if (issues.length > 0 || out === undefined) throw new ValidationError(what, issues);
  return out;
}

const join = (path: string, key: string | number): string =>
  typeof key === "number" ? `${path}[${key}]` : path ? `${path}.${key}` : key;

export interface NumberRange {
  min?: number;
  max?: number;
  /** Strict lower bound (value > gt). */
  gt?: number;
  /** Strict upper bound (value < lt). */
  lt?: number;
  integer?: boolean;
}

function describeRange(r: NumberRange): string {
  const parts: string[] = [];
  if (r.gt !== undefined) parts.push(`> ${r.gt}`);
  if (r.min !== undefined) parts.push(`>= ${r.min}`);
  if (r.lt !== undefined) parts.push(`< ${r.lt}`);
  if (r.max !== undefined) parts.push(`<= ${r.max}`);
  return `${r.integer ? "an integer" : "a finite number"}${parts.length ? ` ${parts.join(" and ")}` : ""}`;
}

export function number(range: NumberRange = {}): Schema<number> {
  const expected = describeRange(range);
  return {
    expected,
    parse(v, path, issues) {
      const ok =
        typeof v === "number" &&
        Number.isFinite(v) &&
        (range.min === undefined || v >= range.min) &&
        (range.max === undefined || v <= range.max) &&
        (range.gt === undefined || v > range.gt) &&
        (range.lt === undefined || v < range.lt) &&
        (!range.integer || Number.isInteger(v));
      if (!ok) {
        issues.push({ path, value: v, expected });
        return undefined;
      }
      return v as number;
    },
  };
}

export function string(opts: { oneOf?: readonly string[]; pattern?: RegExp } = {}): Schema<string> {
  const expected = opts.oneOf
    ? `one of ${opts.oneOf.map((s) => JSON.stringify(s)).join(", ")}`
    : opts.pattern
      ? `a string matching ${opts.pattern}`
      : "a string";
  return {
    expected,
    parse(v, path, issues) {
      if (
        typeof v !== "string" ||
        (opts.oneOf && !opts.oneOf.includes(v)) ||
        (opts.pattern && !opts.pattern.test(v))
      ) {
        issues.push({ path, value: v, expected });
        return undefined;
      }
      return v;
    },
  };
}

export function literal<T extends string>(...values: T[]): Schema<T> {
  return string({ oneOf: values }) as Schema<T>;
}

export function boolean(): Schema<boolean> {
  return {
    expected: "true or false",
    parse(v, path, issues) {
      if (typeof v !== "boolean") {
        issues.push({ path, value: v, expected: "true or false" });
        return undefined;
      }
      return v;
    },
  };
}

export function array<T>(
  item: Schema<T>,
  opts: { minLength?: number; maxLength?: number } = {},
): Schema<T[]> {
  const len =
    opts.minLength !== undefined && opts.maxLength !== undefined
      ? ` with ${opts.minLength} to ${opts.maxLength} items`
      : opts.minLength !== undefined
        ? ` with at least ${opts.minLength} items`
        : opts.maxLength !== undefined
          ? ` with at most ${opts.maxLength} items`
          : "";
  const expected = `an array${len} of ${item.expected}`;
  return {
    expected,
    parse(v, path, issues) {
      if (
        !Array.isArray(v) ||
        (opts.minLength !== undefined && v.length < opts.minLength) ||
        (opts.maxLength !== undefined && v.length > opts.maxLength)
      ) {
        issues.push({ path, value: Array.isArray(v) ? `array of ${v.length} items` : v, expected });
        return undefined;
      }
      const out: T[] = [];
      let bad = false;
      v.forEach((x, i) => {
        const r = item.parse(x, join(path, i), issues);
        if (r === undefined) bad = true;
        else out.push(r);
      });
      return bad ? undefined : out;
    },
  };
}

/** A field that may be missing; with a default it is filled in. */
export function optional<T>(inner: Schema<T>): Schema<T | undefined> & { optional: true };
export function optional<T>(inner: Schema<T>, fallback: T): Schema<T> & { optional: true };
export function optional<T>(inner: Schema<T>, fallback?: T): Schema<T | undefined> & { optional: true } {
  return {
    expected: inner.expected,
    optional: true,
    parse(v, path, issues) {
      if (v === undefined) return fallback;
      return inner.parse(v, path, issues);
    },
  };
}

type Shape = Record<string, Schema<unknown>>;
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends { optional: true } ? K : never }[keyof S];
type RequiredKeys<S extends Shape> = Exclude<keyof S, OptionalKeys<S>>;
export type ObjectOf<S extends Shape> = { [K in RequiredKeys<S>]: Infer<S[K]> } & {
  [K in OptionalKeys<S>]?: Infer<S[K]>;
};

/** A JSON object with exactly these fields (unknown fields are errors; `$schema` and `//` comments are allowed). */
export function object<S extends Shape>(shape: S): Schema<ObjectOf<S>> {
  const expected = "an object";
  return {
    expected,
    parse(v, path, issues) {
      if (typeof v !== "object" || v === null || Array.isArray(v)) {
        issues.push({ path, value: v, expected });
        return undefined;
      }
      const src = v as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      let bad = false;
      for (const key of Object.keys(src)) {
        if (!(key in shape) && key !== "$schema" && !key.startsWith("//")) {
          issues.push({
            path: join(path, key),
            value: src[key],
            expected: `no such field (allowed: ${Object.keys(shape).join(", ")})`,
          });
          bad = true;
        }
      }
      for (const [key, sch] of Object.entries(shape)) {
        const r = sch.parse(src[key], join(path, key), issues);
        if (r === undefined) {
          if (!sch.optional || src[key] !== undefined) bad = true;
        } else out[key] = r;
      }
      return bad ? undefined : (out as ObjectOf<S>);
    },
  };
}

/** A map with free keys and values of one schema. */
export function record<T>(value: Schema<T>): Schema<Record<string, T>> {
  return {
    expected: `an object whose values are ${value.expected}`,
    parse(v, path, issues) {
      if (typeof v !== "object" || v === null || Array.isArray(v)) {
        issues.push({ path, value: v, expected: "an object" });
        return undefined;
      }
      const out: Record<string, T> = {};
      let bad = false;
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        const r = value.parse(x, join(path, k), issues);
        if (r === undefined) bad = true;
        else out[k] = r;
      }
      return bad ? undefined : out;
    },
  };
}

/**
 * The first alternative whose `accepts` test matches decides; its issues are reported. Alternatives are told
 * apart by shape (a number, or an object with a given key), which keeps the messages precise.
 */
export function union<T>(alternatives: { accepts: (v: unknown) => boolean; schema: Schema<T> }[]): Schema<T> {
  const expected = alternatives.map((a) => a.schema.expected).join(" or ");
  return {
    expected,
    parse(v, path, issues) {
      const alt = alternatives.find((a) => a.accepts(v));
      if (!alt) {
        issues.push({ path, value: v, expected });
        return undefined;
      }
      return alt.schema.parse(v, path, issues);
    },
  };
}

/** Adds a check across fields; `check` returns issues (paths relative to this value) or nothing. */
export function refine<T>(inner: Schema<T>, check: (value: T) => Issue[] | undefined): Schema<T> {
  return {
    ...inner,
    parse(v, path, issues) {
      const r = inner.parse(v, path, issues);
      if (r === undefined) return undefined;
      const more = check(r);
      if (more?.length) {
        for (const i of more) issues.push({ ...i, path: i.path ? join(path, i.path) : path });
        return undefined;
      }
      return r;
    },
  };
}

export const isObjectWith =
  (key: string) =>
  (v: unknown): boolean =>
    typeof v === "object" && v !== null && !Array.isArray(v) && key in (v as object);
