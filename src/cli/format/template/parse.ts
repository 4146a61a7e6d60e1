// The parser of Go's text/template (a port of text/template/parse's recursive descent), with
// Go's error messages: "template: :LINE: MESSAGE".

import type {
  ArgNode,
  BranchNode,
  CommandNode,
  ListNode,
  Node,
  NumberNode,
  PipeNode,
  StringNode,
  TemplateNode,
  VariableNode,
} from "./ast.ts";
import { nodeString } from "./ast.ts";
import { type Item, type ItemType, itemString, lex } from "./lex.ts";

export class TemplateParseError extends Error {}

/** A parsed template: its body and the templates it defines ({{define}} / {{block}}). */
export interface ParsedTemplate {
  text: string;
  root: ListNode;
  defined: Map<string, ListNode>;
}

type EndNode = { type: "end"; pos: number } | { type: "else"; pos: number };

const SIMPLE_ESCAPES: Record<string, string> = {
  a: "\x07",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
  "\\": "\\",
};

/** strconv.Unquote for "…", `…` and '…' literals; undefined when the syntax is invalid. */
export function goUnquote(q: string): string | undefined {
  const quote = q[0];
  if (q.length < 2 || q[q.length - 1] !== quote) return undefined;
  const body = q.slice(1, -1);
  if (quote === "`") return body.includes("`") ? undefined : body.replaceAll("\r", "");
  if (quote !== '"' && quote !== "'") return undefined;
  let out = "";
  for (let i = 0; i < body.length; ) {
    const c = body[i]!;
    if (c === quote || c === "\n") return undefined;
    if (c !== "\\") {
      out += c;
      i++;
      continue;
    }
    const e = body[i + 1];
    if (e === undefined) return undefined;
    if (SIMPLE_ESCAPES[e] !== undefined) {
      out += SIMPLE_ESCAPES[e];
      i += 2;
    } else if (e === quote) {
      out += e;
      i += 2;
    } else if (e === "x" || e === "u" || e === "U") {
      const n = e === "x" ? 2 : e === "u" ? 4 : 8;
      const hex = body.slice(i + 2, i + 2 + n);
      if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(hex)) return undefined;
      const v = Number.parseInt(hex, 16);
      if (e === "x") {
        // \xHH is a byte; only ASCII bytes make sense in a JavaScript string.
        out += String.fromCharCode(v);
      } else {
        if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return undefined;
        out += String.fromCodePoint(v);
      }
      i += 2 + n;
    } else if (e >= "0" && e <= "7") {
      const oct = body.slice(i + 1, i + 4);
      if (!/^[0-7]{3}$/.test(oct) || Number.parseInt(oct, 8) > 255) return undefined;
      out += String.fromCharCode(Number.parseInt(oct, 8));
      i += 4;
    } else return undefined;
  }
  if (quote === "'" && Array.from(out).length !== 1) return undefined;
  return out;
}

/** Go's number literal rules (base prefixes, legacy octal, underscores, char constants). */
function parseNumber(pos: number, text: string, typ: ItemType): NumberNode | string {
  const bad = `illegal number syntax: ${JSON.stringify(text)}`;
  if (typ === "charConstant") {
    const s = goUnquote(text);
    if (s === undefined) return "invalid syntax";
    return { type: "number", pos, text, value: s.codePointAt(0)!, isInt: true };
  }
  if (text.endsWith("i")) return bad;
  let t = text;
  let sign = 1;
  if (t[0] === "+" || t[0] === "-") {
    if (t[0] === "-") sign = -1;
    t = t.slice(1);
  }
  if (/_/.test(t) && !/^(0[xXbBoO]_?)?[0-9a-fA-F]+(_[0-9a-fA-F]+)*$/.test(t) && !/^\d+(_\d+)*$/.test(t))
    return bad;
  const u = t.replaceAll("_", "");
  let int: bigint | undefined;
  if (/^0[xX][0-9a-fA-F]+$/.test(u) || /^0[bB][01]+$/.test(u) || /^0[oO][0-7]+$/.test(u)) int = BigInt(u);
  else if (/^0[0-7]+$/.test(u)) int = BigInt("0o" + u.slice(1));
  else if (/^\d+$/.test(u)) int = BigInt(u);
  if (int !== undefined) return { type: "number", pos, text, value: sign * Number(int), isInt: true };
  if (!/^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(u)) return bad;
  const value = sign * Number(u);
  return { type: "number", pos, text, value, isInt: false };
}

class Parser {
  private readonly items: Item[];
  private idx = 0;
  private line = 1;
  private vars: string[] = ["$"];
  private rangeDepth = 0;
  private actionLine = 0;
  readonly defined = new Map<string, ListNode>();
  private readonly funcs: (name: string) => boolean;

  constructor(text: string, funcs: (name: string) => boolean) {
    this.items = lex(text);
    this.funcs = funcs;
  }

  private errorf(msg: string): never {
    throw new TemplateParseError(`template: :${this.line}: ${msg}`);
  }

  private next(): Item {
    const item = this.items[Math.min(this.idx, this.items.length - 1)]!;
    this.idx++;
    this.line = item.line;
    return item;
  }

  private backup(n = 1): void {
    this.idx -= n;
  }

  private peek(): Item {
    return this.items[Math.min(this.idx, this.items.length - 1)]!;
  }

  private nextNonSpace(): Item {
    let item = this.next();
    while (item.typ === "space") item = this.next();
    return item;
  }

  private peekNonSpace(): Item {
    const item = this.nextNonSpace();
    this.backup();
    return item;
  }

  private unexpected(item: Item, context: string): never {
    if (item.typ === "error") {
      let extra = "";
      if (this.actionLine !== 0 && this.actionLine !== item.line) {
        extra = ` in action started at :${this.actionLine}`;
        if (item.val.endsWith(" action")) extra = extra.slice(" in action".length);
      }
      this.errorf(item.val + extra);
    }
    this.errorf(`unexpected ${itemString(item)} in ${context}`);
  }

  private expect(typ: ItemType, context: string): Item {
    const item = this.nextNonSpace();
    if (item.typ !== typ) this.unexpected(item, context);
    return item;
  }

  parse(): ListNode {
    const root: ListNode = { type: "list", pos: this.peek().pos, nodes: [] };
    while (this.peek().typ !== "eof") {
      if (this.peek().typ === "leftDelim") {
        const delim = this.next();
        const start = this.idx;
        if (this.nextNonSpace().typ === "define") {
          this.parseDefinition();
          continue;
        }
        this.idx = start;
        this.line = delim.line;
        this.backup();
      }
      const n = this.textOrAction();
      if (n.type === "end" || n.type === "else") this.errorf(`unexpected {{${n.type}}}`);
      root.nodes.push(n);
    }
    return root;
  }

  /** A body parsed as its own tree: own variables, no enclosing range. */
  private subTree<T>(fn: () => T): T {
    const saved = { vars: this.vars, rangeDepth: this.rangeDepth };
    this.vars = ["$"];
    this.rangeDepth = 0;
    try {
      return fn();
    } finally {
      this.vars = saved.vars;
      this.rangeDepth = saved.rangeDepth;
    }
  }

  private parseDefinition(): void {
    const context = "define clause";
    const token = this.nextNonSpace();
    if (token.typ !== "string" && token.typ !== "rawString") this.unexpected(token, context);
    const name = goUnquote(token.val);
    if (name === undefined) this.errorf("invalid syntax");
    this.expect("rightDelim", context);
    this.subTree(() => {
      const [list, end] = this.itemList();
      if (end.type !== "end") this.errorf(`unexpected {{${end.type}}} in ${context}`);
      this.defined.set(name, list);
    });
  }

  private itemList(): [ListNode, EndNode] {
    const list: ListNode = { type: "list", pos: this.peekNonSpace().pos, nodes: [] };
    while (this.peekNonSpace().typ !== "eof") {
      const n = this.textOrAction();
      if (n.type === "end" || n.type === "else") return [list, n];
      list.nodes.push(n);
    }
    this.errorf("unexpected EOF");
  }

  private textOrAction(): Node | EndNode {
    const token = this.nextNonSpace();
    switch (token.typ) {
      case "text":
        return { type: "text", pos: token.pos, text: token.val };
      case "leftDelim": {
        this.actionLine = token.line;
        try {
          return this.action();
        } finally {
          this.actionLine = 0;
        }
      }
      case "comment":
        return { type: "comment", pos: token.pos, text: token.val };
      default:
        this.unexpected(token, "input");
    }
  }

  private action(): Node | EndNode {
    const token = this.nextNonSpace();
    switch (token.typ) {
      case "block":
        return this.blockControl();
      case "break":
      case "continue":
        return this.loopControl(token);
      case "else":
        return this.elseControl();
      case "end":
        return { type: "end", pos: this.expect("rightDelim", "end").pos };
      case "if":
      case "with":
      case "range":
        return this.branchControl(token.typ);
      case "template":
        return this.templateControl();
    }
    this.backup();
    const pos = this.peek().pos;
    return { type: "action", pos, pipe: this.pipeline("command", "rightDelim") };
  }

  private loopControl(token: Item): Node {
    const next = this.nextNonSpace();
    if (next.typ !== "rightDelim") this.unexpected(next, `{{${token.typ}}}`);
    if (this.rangeDepth === 0) this.errorf(`{{${token.typ}}} outside {{range}}`);
    return { type: token.typ as "break" | "continue", pos: token.pos };
  }

  private elseControl(): EndNode {
    const peek = this.peekNonSpace();
    // "{{else if …" and "{{else with …" are read as "{{else}}{{if …".
    if (peek.typ === "if" || peek.typ === "with") return { type: "else", pos: peek.pos };
    return { type: "else", pos: this.expect("rightDelim", "else").pos };
  }

  private branchControl(context: "if" | "with" | "range"): BranchNode {
    const varsMark = this.vars.length;
    try {
      const pipe = this.pipeline(context, "rightDelim");
      if (context === "range") this.rangeDepth++;
      const [list, next] = this.itemList();
      if (context === "range") this.rangeDepth--;
      let elseList: ListNode | undefined;
      if (next.type === "else") {
        const peek = this.peek();
        if ((context === "if" || context === "with") && peek.typ === context) {
          this.next();
          elseList = { type: "list", pos: next.pos, nodes: [this.branchControl(context)] };
        } else {
          const [els, end] = this.itemList();
          if (end.type !== "end") this.errorf(`expected end; found {{${end.type}}}`);
          elseList = els;
        }
      }
      return { type: context, pos: pipe.pos, pipe, list, elseList };
    } finally {
      this.vars.length = varsMark;
    }
  }

  private parseTemplateName(token: Item, context: string): string {
    if (token.typ !== "string" && token.typ !== "rawString") this.unexpected(token, context);
    const name = goUnquote(token.val);
    if (name === undefined) this.errorf("invalid syntax");
    return name;
  }

  private templateControl(): TemplateNode {
    const context = "template clause";
    const token = this.nextNonSpace();
    const name = this.parseTemplateName(token, context);
    let pipe: PipeNode | undefined;
    if (this.nextNonSpace().typ !== "rightDelim") {
      this.backup();
      pipe = this.pipeline(context, "rightDelim");
    }
    return { type: "template", pos: token.pos, name, pipe };
  }

  private blockControl(): TemplateNode {
    const context = "block clause";
    const token = this.nextNonSpace();
    const name = this.parseTemplateName(token, context);
    const pipe = this.pipeline(context, "rightDelim");
    this.subTree(() => {
      const [list, end] = this.itemList();
      if (end.type !== "end") this.errorf(`unexpected {{${end.type}}} in ${context}`);
      this.defined.set(name, list);
    });
    return { type: "template", pos: token.pos, name, pipe };
  }

  private pipeline(context: string, end: ItemType): PipeNode {
    const pipe: PipeNode = {
      type: "pipe",
      pos: this.peekNonSpace().pos,
      isAssign: false,
      decl: [],
      cmds: [],
    };
    for (;;) {
      const v = this.peekNonSpace();
      if (v.typ !== "variable") break;
      const vStart = this.idx;
      this.next();
      const next = this.peekNonSpace();
      if (next.typ === "assign" || next.typ === "declare") {
        pipe.isAssign = next.typ === "assign";
        this.nextNonSpace();
        pipe.decl.push({ type: "variable", pos: v.pos, ident: [v.val] });
        this.vars.push(v.val);
        break;
      }
      if (next.typ === "char" && next.val === ",") {
        this.nextNonSpace();
        pipe.decl.push({ type: "variable", pos: v.pos, ident: [v.val] });
        this.vars.push(v.val);
        if (context === "range" && pipe.decl.length < 2) {
          const p = this.peekNonSpace().typ;
          if (p === "variable" || p === "rightDelim" || p === "rightParen") continue;
          this.errorf("range can only initialize variables");
        }
        this.errorf(`too many declarations in ${context}`);
      }
      // "$x" is an operand, not a declaration: re-read it.
      this.idx = vStart;
      break;
    }
    for (;;) {
      const token = this.nextNonSpace();
      if (token.typ === end) {
        this.checkPipeline(pipe, context);
        return pipe;
      }
      switch (token.typ) {
        case "bool":
        case "charConstant":
        case "dot":
        case "field":
        case "identifier":
        case "number":
        case "nil":
        case "rawString":
        case "string":
        case "variable":
        case "leftParen":
          this.backup();
          pipe.cmds.push(this.command());
          break;
        default:
          this.unexpected(token, context);
      }
    }
  }

  private checkPipeline(pipe: PipeNode, context: string): void {
    if (pipe.cmds.length === 0) this.errorf(`missing value for ${context}`);
    pipe.cmds.slice(1).forEach((c, i) => {
      const t = c.args[0]!.type;
      if (t === "bool" || t === "dot" || t === "nil" || t === "number" || t === "string") {
        this.errorf(`non executable command in pipeline stage ${i + 2}`);
      }
    });
  }

  private command(): CommandNode {
    const cmd: CommandNode = { type: "command", pos: this.peekNonSpace().pos, args: [] };
    for (;;) {
      this.peekNonSpace();
      const operand = this.operand();
      if (operand) cmd.args.push(operand);
      const token = this.next();
      if (token.typ === "space") continue;
      if (token.typ === "rightDelim" || token.typ === "rightParen") this.backup();
      else if (token.typ !== "pipe") this.unexpected(token, "operand");
      break;
    }
    if (cmd.args.length === 0) this.errorf("empty command");
    return cmd;
  }

  private operand(): ArgNode | undefined {
    let node = this.term();
    if (!node) return undefined;
    if (this.peek().typ === "field") {
      const pos = this.peek().pos;
      const fields: string[] = [];
      while (this.peek().typ === "field") fields.push(this.next().val.slice(1));
      switch (node.type) {
        case "field":
          node = { type: "field", pos, ident: [...node.ident, ...fields] };
          break;
        case "variable":
          node = { type: "variable", pos, ident: [...node.ident, ...fields] };
          break;
        case "bool":
        case "string":
        case "number":
        case "nil":
        case "dot":
          this.errorf(`unexpected . after term ${JSON.stringify(nodeString(node))}`);
          break;
        default:
          node = { type: "chain", pos, node, field: fields };
      }
    }
    return node;
  }

  private term(): ArgNode | undefined {
    const token = this.nextNonSpace();
    switch (token.typ) {
      case "identifier":
        if (!this.funcs(token.val)) this.errorf(`function ${JSON.stringify(token.val)} not defined`);
        return { type: "identifier", pos: token.pos, ident: token.val };
      case "dot":
        return { type: "dot", pos: token.pos };
      case "nil":
        return { type: "nil", pos: token.pos };
      case "variable":
        return this.useVar(token.pos, token.val);
      case "field":
        return { type: "field", pos: token.pos, ident: [token.val.slice(1)] };
      case "bool":
        return { type: "bool", pos: token.pos, value: token.val === "true" };
      case "charConstant":
      case "number": {
        const n = parseNumber(token.pos, token.val, token.typ);
        if (typeof n === "string") this.errorf(n);
        return n;
      }
      case "leftParen":
        return this.pipeline("parenthesized pipeline", "rightParen");
      case "string":
      case "rawString": {
        const text = goUnquote(token.val);
        if (text === undefined) this.errorf("invalid syntax");
        return { type: "string", pos: token.pos, quoted: token.val, text } satisfies StringNode;
      }
    }
    this.backup();
    return undefined;
  }

  private useVar(pos: number, name: string): VariableNode {
    const ident = name.split(".");
    if (!this.vars.includes(ident[0]!)) this.errorf(`undefined variable ${JSON.stringify(ident[0])}`);
    return { type: "variable", pos, ident };
  }
}

/** Parse a template; hasFunc tells which function names exist (Go checks them at parse time). */
export function parseTemplate(text: string, hasFunc: (name: string) => boolean): ParsedTemplate {
  const p = new Parser(text, hasFunc);
  const root = p.parse();
  return { text, root, defined: p.defined };
}
