// Go's strconv float formatting ('e', 'f', 'g' with a precision or shortest), digit for digit.
// JavaScript's toFixed/toPrecision round half away from zero on the exact value, Go rounds
// half to even, and Go's %g picks %e/%f with its own thresholds, so we redo it on exact digits.

/** value = 0.<digits> × 10^dp; digits has no leading or trailing zeros ("" is zero). */
interface Decimal {
  digits: string;
  dp: number;
}

/** The exact decimal expansion of a finite, non-negative double. */
function exactDecimal(x: number): Decimal {
  if (x === 0) return { digits: "", dp: 0 };
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const expBits = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exp = -1074;
  if (expBits !== 0) {
    mant |= 1n << 52n;
    exp = expBits - 1075;
  }
  // x = mant × 2^exp; with a negative exponent, mant × 5^-exp is the digits of x × 10^-exp.
  const s = exp >= 0 ? (mant << BigInt(exp)).toString() : (mant * 5n ** BigInt(-exp)).toString();
  const dp = s.length - (exp >= 0 ? 0 : -exp);
  return trim({ digits: s, dp });
}

/** The shortest digits that read back as x (what Go's shortest mode and JS's toString both produce). */
function shortestDecimal(x: number): Decimal {
  if (x === 0) return { digits: "", dp: 0 };
  const [mant, e] = x.toExponential().split("e");
  return trim({ digits: mant!.replace(".", ""), dp: Number(e) + 1 });
}

function trim(d: Decimal): Decimal {
  const digits = d.digits.replace(/0+$/, "");
  return digits === "" ? { digits: "", dp: 0 } : { digits, dp: d.dp };
}

/** Round to nd significant digits, half to even on the exact value (Go's decimal.Round). */
function round(d: Decimal, nd: number): Decimal {
  if (nd < 0 || nd >= d.digits.length) return d;
  const next = d.digits.charCodeAt(nd) - 48;
  let up = next >= 5;
  if (next === 5 && nd + 1 === d.digits.length) {
    up = nd > 0 && (d.digits.charCodeAt(nd - 1) - 48) % 2 === 1;
  }
  if (!up) return trim({ digits: d.digits.slice(0, nd), dp: d.dp });
  let i = nd - 1;
  while (i >= 0 && d.digits[i] === "9") i--;
  if (i < 0) return { digits: "1", dp: d.dp + 1 };
  const digits = d.digits.slice(0, i) + String.fromCharCode(d.digits.charCodeAt(i) + 1);
  return trim({ digits, dp: d.dp });
}

function fmtE(d: Decimal, prec: number, e: string): string {
  let out = d.digits.length > 0 ? d.digits[0]! : "0";
  if (prec > 0) {
    out += "." + d.digits.slice(1, prec + 1).padEnd(prec, "0");
  }
  const exp = d.digits.length === 0 ? 0 : d.dp - 1;
  const abs = Math.abs(exp);
  return out + e + (exp < 0 ? "-" : "+") + (abs < 10 ? "0" : "") + abs;
}

function fmtF(d: Decimal, prec: number): string {
  let out = "0";
  if (d.dp > 0) out = d.digits.slice(0, d.dp).padEnd(d.dp, "0");
  if (prec > 0) {
    let frac = "";
    for (let i = 1; i <= prec; i++) {
      const j = d.dp + i - 1;
      frac += j >= 0 && j < d.digits.length ? d.digits[j] : "0";
    }
    out += "." + frac;
  }
  return out;
}

/**
 * strconv.FormatFloat(x, verb, prec, 64) for verb e, E, f, F, g, G; prec -1 means shortest.
 */
export function formatFloat(x: number, verb: string, prec: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (x === Number.POSITIVE_INFINITY) return "+Inf";
  if (x === Number.NEGATIVE_INFINITY) return "-Inf";
  const neg = x < 0 || Object.is(x, -0);
  const abs = Math.abs(x);
  const shortest = prec < 0;
  const lower = verb.toLowerCase();
  const e = verb === "E" || verb === "G" ? "E" : "e";
  let d: Decimal;
  if (shortest) {
    d = shortestDecimal(abs);
    if (lower === "e") prec = Math.max(d.digits.length - 1, 0);
    else if (lower === "f") prec = Math.max(d.digits.length - d.dp, 0);
    else prec = d.digits.length;
  } else if (lower === "f") {
    const exact = exactDecimal(abs);
    d = round(exact, exact.dp + prec);
  } else {
    if (lower === "g" && prec === 0) prec = 1;
    d = round(exactDecimal(abs), lower === "e" ? prec + 1 : prec);
  }
  let body: string;
  if (lower === "e") body = fmtE(d, prec, e);
  else if (lower === "f") body = fmtF(d, prec);
  else {
    let eprec = prec;
    if (eprec > d.digits.length && d.digits.length >= d.dp) eprec = d.digits.length;
    if (shortest) eprec = 6;
    const exp = d.dp - 1;
    if (exp < -4 || exp >= eprec) {
      body = fmtE(d, Math.min(prec, d.digits.length) - 1, e);
    } else {
      const p = prec > d.dp ? d.digits.length : prec;
      body = fmtF(d, Math.max(p - d.dp, 0));
    }
  }
  return neg ? "-" + body : body;
}
