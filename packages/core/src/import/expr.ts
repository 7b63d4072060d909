/**
 * A safe evaluator for the Python-style arithmetic that BPX files carry as strings, e.g.
 * "9.47e-01 * exp(-1.59e+02 * x) + 1.64e-01 * tanh(-4.55e+01 * (x - 3.24e-02))".
 *
 * A tokenizer and a recursive-descent parser compile the text once into nested closures; nothing is ever handed
 * to eval or Function. Grammar and precedence follow Python:
 *
 *   sum     := product (("+" | "-") product)*
 *   product := unary (("*" | "/") unary)*
 *   unary   := ("+" | "-") unary | power
 *   power   := primary ("**" unary)?          (right-associative; -x**2 is -(x**2); 2**-1 is allowed)
 *   primary := number | name | name "(" sum ("," sum)* ")" | "(" sum ")"
 */

export class ExpressionError extends Error {
  constructor(
    readonly source: string,
    readonly position: number,
    message: string,
  ) {
    super(`${message} at position ${position} of "${source}"`);
    this.name = "ExpressionError";
  }
}

/** The functions an expression may call, with their arity (Python / NumPy spellings). */
const FUNCTIONS: Record<string, { arity: number | "1+"; fn: (...a: number[]) => number }> = {
  exp: { arity: 1, fn: Math.exp },
  log: { arity: 1, fn: Math.log },
  log10: { arity: 1, fn: Math.log10 },
  sqrt: { arity: 1, fn: Math.sqrt },
  tanh: { arity: 1, fn: Math.tanh },
  sinh: { arity: 1, fn: Math.sinh },
  cosh: { arity: 1, fn: Math.cosh },
  sin: { arity: 1, fn: Math.sin },
  cos: { arity: 1, fn: Math.cos },
  tan: { arity: 1, fn: Math.tan },
  abs: { arity: 1, fn: Math.abs },
  arctan: { arity: 1, fn: Math.atan },
  atan: { arity: 1, fn: Math.atan },
  pow: { arity: 2, fn: Math.pow },
  min: { arity: "1+", fn: Math.min },
  max: { arity: "1+", fn: Math.max },
};

type Kind = "number" | "name" | "op" | "end";
interface Token {
  kind: Kind;
  text: string;
  pos: number;
}

const NUMBER = /^(?:\d+(?:_\d+)*\.?(?:\d+(?:_\d+)*)?|\.\d+(?:_\d+)*)(?:[eE][+-]?\d+)?/;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;
const OPS = ["**", "+", "-", "*", "/", "(", ")", ","];

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++;
      continue;
    }
    const rest = src.slice(i);
    const num = NUMBER.exec(rest);
    if (num && /[\d.]/.test(c)) {
      out.push({ kind: "number", text: num[0], pos: i });
      i += num[0].length;
      continue;
    }
    const name = NAME.exec(rest);
    if (name) {
      out.push({ kind: "name", text: name[0], pos: i });
      i += name[0].length;
      continue;
    }
    const op = OPS.find((o) => rest.startsWith(o));
    if (!op) throw new ExpressionError(src, i, `unexpected character "${c}"`);
    out.push({ kind: "op", text: op, pos: i });
    i += op.length;
  }
  out.push({ kind: "end", text: "end of expression", pos: src.length });
  return out;
}

/** A compiled expression: call it with the variable values in the order of `variables`. */
export interface CompiledExpression {
  (values: readonly number[]): number;
  readonly source: string;
  readonly variables: readonly string[];
}

type Node = (v: readonly number[]) => number;

/**
 * Compiles `src` for the given variable names (e.g. ["x"] for a stoichiometry, ["x", "T"]). Unknown names,
 * unknown functions, wrong argument counts and syntax errors throw an ExpressionError naming the position and the
 * offending token.
 */
export function compileExpression(src: string, variables: readonly string[]): CompiledExpression {
  const tokens = tokenize(src);
  let k = 0;
  const peek = () => tokens[k];
  const fail = (t: Token, what: string): never => {
    throw new ExpressionError(src, t.pos, `${what}, found ${t.kind === "end" ? "the end" : `"${t.text}"`}`);
  };
  const expect = (text: string) => {
    const t = tokens[k];
    if (t.kind !== "op" || t.text !== text) fail(t, `expected "${text}"`);
    k++;
  };
  const isOp = (text: string) => peek().kind === "op" && peek().text === text;

  const sum = (): Node => {
    let left = product();
    while (isOp("+") || isOp("-")) {
      const op = tokens[k++].text;
      const a = left;
      const b = product();
      left = op === "+" ? (v) => a(v) + b(v) : (v) => a(v) - b(v);
    }
    return left;
  };
  const product = (): Node => {
    let left = unary();
    while (isOp("*") || isOp("/")) {
      const op = tokens[k++].text;
      const a = left;
      const b = unary();
      left = op === "*" ? (v) => a(v) * b(v) : (v) => a(v) / b(v);
    }
    return left;
  };
  const unary = (): Node => {
    if (isOp("-")) {
      k++;
      const a = unary();
      return (v) => -a(v);
    }
    if (isOp("+")) {
      k++;
      return unary();
    }
    return power();
  };
  const power = (): Node => {
    const base = primary();
    if (!isOp("**")) return base;
    k++;
    const exponent = unary();
    return (v) => base(v) ** exponent(v);
  };
  const primary = (): Node => {
    const t = tokens[k];
    if (t.kind === "number") {
      k++;
      const x = Number(t.text.replace(/_/g, ""));
      return () => x;
    }
    if (t.kind === "op" && t.text === "(") {
      k++;
      const inner = sum();
      expect(")");
      return inner;
    }
    if (t.kind === "name") {
      k++;
      if (isOp("(")) {
        const f = FUNCTIONS[t.text];
        if (!f)
          throw new ExpressionError(
            src,
            t.pos,
            `unknown function "${t.text}" (allowed: ${Object.keys(FUNCTIONS).join(", ")})`,
          );
        k++;
        const args: Node[] = [sum()];
        while (isOp(",")) {
          k++;
          args.push(sum());
        }
        expect(")");
        if (f.arity === "1+" ? args.length < 1 : args.length !== f.arity)
          throw new ExpressionError(
            src,
            t.pos,
            `${t.text}() takes ${f.arity === "1+" ? "at least 1" : f.arity} argument(s), got ${args.length}`,
          );
        const fn = f.fn;
        if (args.length === 1) {
          const a = args[0];
          return (v) => fn(a(v));
        }
        if (args.length === 2) {
          const [a, b] = args;
          return (v) => fn(a(v), b(v));
        }
        return (v) => fn(...args.map((a) => a(v)));
      }
      const index = variables.indexOf(t.text);
      if (index < 0)
        throw new ExpressionError(
          src,
          t.pos,
          `unknown name "${t.text}" (variables: ${variables.join(", ") || "none"}; functions need parentheses)`,
        );
      return (v) => v[index];
    }
    return fail(t, 'expected a number, a name or "("');
  };

  const root = sum();
  if (peek().kind !== "end") fail(peek(), "expected an operator or the end");
  const compiled = ((values: readonly number[]) => root(values)) as CompiledExpression;
  return Object.assign(compiled, { source: src, variables: [...variables] });
}

/** Evaluates an expression once (compile it instead when evaluating it many times). */
export function evaluateExpression(src: string, values: Record<string, number> = {}): number {
  const names = Object.keys(values);
  return compileExpression(src, names)(names.map((n) => values[n]));
}
