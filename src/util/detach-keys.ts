// Detach keys (docker's term.ToBytes and term.EscapeProxy): the CLI watches the keys the user
// types, and wharfd watches an attached TTY's stdin for clients that do not.

/** term.ToBytes: "ctrl-p,ctrl-q" → [0x10, 0x11]. */
export function parseDetachKeys(spec: string): number[] {
  const out: number[] = [];
  for (const part of spec.split(",")) {
    const key = part.trim();
    if (key.length > 1) {
      const m = /^ctrl-(.)$/i.exec(key);
      if (!m) throw new Error(`Unknown character: '${key}'`);
      const c = (m[1] as string).toLowerCase();
      const code = c.charCodeAt(0);
      if (c >= "a" && c <= "z") out.push(code - 96);
      else if (c === "@") out.push(0);
      else if (c === "[") out.push(27);
      else if (c === "\\") out.push(28);
      else if (c === "]") out.push(29);
      else if (c === "^") out.push(30);
      else if (c === "_") out.push(31);
      else throw new Error(`Unknown character: '${key}'`);
    } else if (key.length === 1) {
      out.push(key.charCodeAt(0));
    }
  }
  return out;
}

export const defaultDetachKeys = [0x10, 0x11];

/** Watches typed bytes for the detach sequence; passes everything else through (term.EscapeProxy). */
export class EscapeProxy {
  private readonly keys: number[];
  private matched = 0;

  constructor(keys: number[]) {
    this.keys = keys;
  }

  /** The bytes to forward, and whether the sequence completed. */
  feed(chunk: Buffer): { forward: Buffer; detached: boolean } {
    const forward: number[] = [];
    for (const byte of chunk) {
      if (this.keys.length > 0 && byte === this.keys[this.matched]) {
        this.matched++;
        if (this.matched === this.keys.length) return { forward: Buffer.from(forward), detached: true };
        continue;
      }
      // A mismatch: the held-back prefix was ordinary input after all.
      forward.push(...this.keys.slice(0, this.matched));
      this.matched = 0;
      if (this.keys.length > 0 && byte === this.keys[0]) this.matched = 1;
      else forward.push(byte);
    }
    return { forward: Buffer.from(forward), detached: false };
  }
}
