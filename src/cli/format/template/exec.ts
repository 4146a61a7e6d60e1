// The executor of Go's text/template (a port of text/template/exec.go's evaluation rules) over
// JSON-shaped data; see govalue.ts for how JavaScript values stand in for Go values.

import { formatValue } from "../gofmt.ts";
import { goTypeName, isTrue, kindOf, sortedKeys } from "../govalue.ts";
import type {
  ArgNode,
  BranchNode,
  ChainNode,
  CommandNode,
  FieldNode,
  IdentifierNode,
  Node,
  PipeNode,
  TemplateNode,
  VariableNode,
} from "./ast.ts";
import { nodeString } from "./ast.ts";
import { type FuncSpec, GO_TYPE, type ParamType } from "./funcs.ts";
import type { ParsedTemplate } from "./parse.ts";

export class TemplateExecError extends Error {}

/** "No final argument" in a pipeline (Go's missingVal). */
const MISSING: unique symbol = Symbol("missing");
type Final = unknown;

const BREAK = Symbol("break");
const CONTINUE = Symbol("continue");
const MAX_DEPTH = 1000;

interface Variable {
  name: string;
  value: unknown;
}

/** Properties a template may read as fields or call as methods (never Object.prototype's). */
function lookupMember(obj: object, name: string): { found: boolean; value: unknown } {
  if (Object.hasOwn(obj, name)) return { found: true, value: (obj as Record<string, unknown>)[name] };
  for (let p = Object.getPrototypeOf(obj); p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    if (Object.hasOwn(p, name) && typeof p[name] === "function") return { found: true, value: p[name] };
  }
  return { found: false, value: undefined };
}

class State {
  out = "";
  private vars: Variable[];
  private node: Node | undefined;
  private depth = 0;
  private name = "";
  private readonly tmpl: ParsedTemplate;
  private readonly funcs: Readonly<Record<string, FuncSpec>>;

  constructor(tmpl: ParsedTemplate, funcs: Readonly<Record<string, FuncSpec>>, data: unknown) {
    this.tmpl = tmpl;
    this.funcs = funcs;
    this.vars = [{ name: "$", value: data }];
  }

  run(data: unknown): void {
    this.walk(data, this.tmpl.root);
  }

  private at(node: Node): void {
    this.node = node;
  }

  private errorf(msg: string): never {
    const name = JSON.stringify(this.name);
    if (!this.node) throw new TemplateExecError(`template: ${name}: ${msg}`);
    const before = this.tmpl.text.slice(0, this.node.pos);
    const nl = before.lastIndexOf("\n");
    const line = before.split("\n").length;
    const col = Buffer.byteLength(before.slice(nl + 1), "utf8");
    throw new TemplateExecError(
      `template: :${line}:${col}: executing ${name} at <${nodeString(this.node)}>: ${msg}`,
    );
  }

  // --- variables

  private varValue(name: string): unknown {
    for (let i = this.vars.length - 1; i >= 0; i--)
      if (this.vars[i]!.name === name) return this.vars[i]!.value;
    this.errorf(`undefined variable: ${name}`);
  }

  private setVar(name: string, value: unknown): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i]!.name === name) {
        this.vars[i]!.value = value;
        return;
      }
    }
    this.errorf(`undefined variable: ${name}`);
  }

  private setTopVar(n: number, value: unknown): void {
    this.vars[this.vars.length - n]!.value = value;
  }

  // --- walking the tree

  private walk(dot: unknown, node: Node): void {
    this.at(node);
    switch (node.type) {
      case "list":
        for (const n of node.nodes) this.walk(dot, n);
        return;
      case "text":
        this.out += node.text;
        return;
      case "comment":
        return;
      case "action": {
        const val = this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) this.printValue(node, val);
        return;
      }
      case "if":
      case "with":
        this.walkIfOrWith(dot, node);
        return;
      case "range":
        this.walkRange(dot, node);
        return;
      case "template":
        this.walkTemplate(dot, node);
        return;
      case "break":
        throw BREAK;
      case "continue":
        throw CONTINUE;
      default:
        this.errorf(`unknown node: ${nodeString(node)}`);
    }
  }

  private printValue(node: Node, v: unknown): void {
    this.at(node);
    if (typeof v === "function") this.errorf(`can't print ${nodeString(node)} of type func()`);
    this.out += v === undefined ? "<no value>" : formatValue(v);
  }

  private walkIfOrWith(dot: unknown, node: BranchNode): void {
    const mark = this.vars.length;
    try {
      const val = this.evalPipeline(dot, node.pipe);
      if (isTrue(val)) this.walk(node.type === "with" ? val : dot, node.list);
      else if (node.elseList) this.walk(dot, node.elseList);
    } finally {
      this.vars.length = mark;
    }
  }

  private walkRange(dot: unknown, r: BranchNode): void {
    this.at(r);
    const mark0 = this.vars.length;
    try {
      const val = this.evalPipeline(dot, r.pipe);
      const mark = this.vars.length;
      const decl = r.pipe.decl;
      const oneIteration = (index: unknown, elem: unknown): void => {
        if (decl.length > 0) {
          if (r.pipe.isAssign) this.setVar(decl[0]!.ident[0]!, decl.length > 1 ? index : elem);
          else this.setTopVar(1, elem);
        }
        if (decl.length > 1) {
          if (r.pipe.isAssign) this.setVar(decl[1]!.ident[0]!, elem);
          else this.setTopVar(2, index);
        }
        try {
          this.walk(elem, r.list);
        } catch (e) {
          if (e !== CONTINUE) throw e;
        } finally {
          this.vars.length = mark;
        }
      };
      let ran = false;
      switch (kindOf(val)) {
        case "slice":
          (val as unknown[]).forEach((elem, i) => {
            ran = true;
            oneIteration(i, elem);
          });
          break;
        case "map": {
          const m = val as Record<string, unknown>;
          for (const k of sortedKeys(m)) {
            ran = true;
            oneIteration(k, m[k]);
          }
          break;
        }
        case "int":
          // Go 1.22+ ranges over an integer: 0 … n-1.
          this.at(r);
          if (decl.length > 1)
            this.errorf(`can't use ${formatValue(val)} to iterate over more than one variable`);
          for (let i = 0; i < Number(val); i++) {
            ran = true;
            oneIteration(i, i);
          }
          break;
        case "invalid":
        case "nil":
          break;
        default:
          this.errorf(`range can't iterate over ${formatValue(val)}`);
      }
      if (!ran && r.elseList) this.walk(dot, r.elseList);
    } catch (e) {
      if (e !== BREAK) throw e;
    } finally {
      this.vars.length = mark0;
    }
  }

  private walkTemplate(dot: unknown, t: TemplateNode): void {
    this.at(t);
    const body = this.tmpl.defined.get(t.name);
    if (!body) this.errorf(`template ${JSON.stringify(t.name)} not defined`);
    if (this.depth >= MAX_DEPTH) this.errorf(`exceeded maximum template depth (${MAX_DEPTH})`);
    const newDot = this.evalPipeline(dot, t.pipe);
    const saved = { vars: this.vars, name: this.name };
    this.vars = [{ name: "$", value: newDot }];
    this.name = t.name;
    this.depth++;
    try {
      this.walk(newDot, body);
    } finally {
      this.depth--;
      this.vars = saved.vars;
      this.name = saved.name;
    }
  }

  // --- evaluation

  private evalPipeline(dot: unknown, pipe: PipeNode | undefined): unknown {
    if (!pipe) return undefined;
    this.at(pipe);
    let value: Final = MISSING;
    for (const cmd of pipe.cmds) {
      value = this.evalCommand(dot, cmd, value);
      // Go digs a nil out of its interface{}: a null result becomes "no value".
      if (value === null) value = undefined;
    }
    for (const v of pipe.decl) {
      if (pipe.isAssign) this.setVar(v.ident[0]!, value);
      else this.vars.push({ name: v.ident[0]!, value });
    }
    return value;
  }

  private notAFunction(args: readonly ArgNode[], final: Final): void {
    if (args.length > 1 || final !== MISSING) {
      this.errorf(`can't give argument to non-function ${nodeString(args[0]!)}`);
    }
  }

  private evalCommand(dot: unknown, cmd: CommandNode, final: Final): unknown {
    const first = cmd.args[0]!;
    switch (first.type) {
      case "field":
        return this.evalFieldNode(dot, first, cmd.args, final);
      case "chain":
        return this.evalChainNode(dot, first, cmd.args, final);
      case "identifier":
        return this.evalFunction(dot, first, cmd, cmd.args, final);
      case "pipe":
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, first);
      case "variable":
        return this.evalVariableNode(dot, first, cmd.args, final);
    }
    this.at(first);
    this.notAFunction(cmd.args, final);
    switch (first.type) {
      case "bool":
        return first.value;
      case "dot":
        return dot;
      case "number":
        return first.value;
      case "string":
        return first.text;
      default:
        this.errorf("nil is not a command");
    }
  }

  private evalFieldNode(dot: unknown, field: FieldNode, args: readonly ArgNode[], final: Final): unknown {
    this.at(field);
    return this.evalFieldChain(dot, dot, field, field.ident, args, final);
  }

  private evalChainNode(dot: unknown, chain: ChainNode, args: readonly ArgNode[], final: Final): unknown {
    this.at(chain);
    if (chain.node.type === "nil") this.errorf(`indirection through explicit nil in ${nodeString(chain)}`);
    const pipe = this.evalArg(dot, undefined, chain.node);
    return this.evalFieldChain(dot, pipe, chain, chain.field, args, final);
  }

  private evalVariableNode(dot: unknown, v: VariableNode, args: readonly ArgNode[], final: Final): unknown {
    this.at(v);
    const value = this.varValue(v.ident[0]!);
    if (v.ident.length === 1) {
      this.notAFunction(args, final);
      return value;
    }
    return this.evalFieldChain(dot, value, v, v.ident.slice(1), args, final);
  }

  private evalFieldChain(
    dot: unknown,
    receiver: unknown,
    node: Node,
    ident: readonly string[],
    args: readonly ArgNode[],
    final: Final,
  ): unknown {
    const n = ident.length;
    for (let i = 0; i < n - 1; i++)
      receiver = this.evalField(dot, ident[i]!, node, [], MISSING, receiver, i > 0);
    return this.evalField(dot, ident[n - 1]!, node, args, final, receiver, n > 1);
  }

  /** .Name on a value: a map key, or a method (a function-valued property) called with args. */
  private evalField(
    dot: unknown,
    fieldName: string,
    node: Node,
    args: readonly ArgNode[],
    final: Final,
    receiver: unknown,
    nested: boolean,
  ): unknown {
    if (receiver === undefined) return undefined;
    // Values taken out of a map are interface{} in Go, which its messages name.
    const typ = nested || receiver === null ? "interface {}" : goTypeName(receiver);
    if (receiver === null) this.errorf(`nil pointer evaluating ${typ}.${fieldName}`);
    if (typeof receiver === "object" && !Array.isArray(receiver)) {
      const { found, value } = lookupMember(receiver, fieldName);
      if (typeof value === "function") {
        const method: FuncSpec = { params: [], variadic: "any", call: (a) => value.apply(receiver, a) };
        return this.evalCall(dot, method, false, node, fieldName, args, final);
      }
      if (args.length > 1 || final !== MISSING) this.errorf(`${fieldName} is not a method but has arguments`);
      return found ? value : undefined;
    }
    this.errorf(`can't evaluate field ${fieldName} in type ${typ}`);
  }

  private evalFunction(
    dot: unknown,
    node: IdentifierNode,
    cmd: Node,
    args: readonly ArgNode[],
    final: Final,
  ): unknown {
    this.at(node);
    const spec = Object.hasOwn(this.funcs, node.ident) ? this.funcs[node.ident] : undefined;
    if (!spec) this.errorf(`${JSON.stringify(node.ident)} is not a defined function`);
    return this.evalCall(dot, spec, true, cmd, node.ident, args, final);
  }

  private evalCall(
    dot: unknown,
    spec: FuncSpec,
    isBuiltin: boolean,
    node: Node,
    name: string,
    args: readonly ArgNode[],
    final: Final,
  ): unknown {
    const argNodes = args.slice(1);
    const numIn = argNodes.length + (final !== MISSING ? 1 : 0);
    let numFixed = argNodes.length;
    if (spec.variadic) {
      numFixed = spec.params.length;
      if (numIn < numFixed) {
        this.errorf(`wrong number of args for ${name}: want at least ${numFixed} got ${argNodes.length}`);
      }
    } else if (numIn !== spec.params.length) {
      this.errorf(`wrong number of args for ${name}: want ${spec.params.length} got ${numIn}`);
    }
    // and/or evaluate their arguments lazily and return the deciding one.
    if (isBuiltin && (name === "and" || name === "or")) {
      let v: unknown;
      for (const arg of argNodes) {
        v = this.evalArg(dot, "value", arg);
        if (isTrue(v) === (name === "or")) return v;
      }
      return final !== MISSING ? final : v;
    }
    const argv: unknown[] = [];
    let i = 0;
    for (; i < numFixed && i < argNodes.length; i++)
      argv.push(this.evalArg(dot, spec.params[i], argNodes[i]!));
    if (spec.variadic)
      for (; i < argNodes.length; i++) argv.push(this.evalArg(dot, spec.variadic, argNodes[i]!));
    if (final !== MISSING) {
      let t = spec.params[spec.params.length - 1];
      if (spec.variadic) t = numIn - 1 < numFixed ? spec.params[numIn - 1] : spec.variadic;
      argv.push(this.validateType(final, t));
    }
    try {
      return spec.call(argv);
    } catch (e) {
      if (e instanceof TemplateExecError) throw e;
      this.at(node);
      this.errorf(`error calling ${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private validateType(v: unknown, typ: ParamType | undefined): unknown {
    if (v === undefined) {
      switch (typ) {
        case undefined:
        case "value":
          return undefined;
        case "any":
          return null;
        case "[]string":
          return [];
        default:
          this.errorf(`invalid value; expected ${GO_TYPE[typ]}`);
      }
    }
    const got = (): string => (v === null ? "interface {}" : goTypeName(v));
    switch (typ) {
      case "string":
        if (typeof v !== "string") this.errorf(`wrong type for value; expected string; got ${got()}`);
        return v;
      case "int":
        if (kindOf(v) !== "int") this.errorf(`wrong type for value; expected int; got ${got()}`);
        return Number(v);
      case "[]string":
        if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) {
          this.errorf(`wrong type for value; expected []string; got ${got()}`);
        }
        return v;
      default:
        return v;
    }
  }

  private evalArg(dot: unknown, typ: ParamType | undefined, n: ArgNode): unknown {
    this.at(n);
    switch (n.type) {
      case "dot":
        return this.validateType(dot, typ);
      case "nil":
        if (typ === "string" || typ === "int") this.errorf(`cannot assign nil to ${GO_TYPE[typ]}`);
        return typ === "[]string" ? [] : null;
      case "field":
        return this.validateType(this.evalFieldNode(dot, n, [n], MISSING), typ);
      case "variable":
        return this.validateType(this.evalVariableNode(dot, n, [], MISSING), typ);
      case "pipe":
        return this.validateType(this.evalPipeline(dot, n), typ);
      case "identifier":
        return this.validateType(this.evalFunction(dot, n, n, [], MISSING), typ);
      case "chain":
        return this.validateType(this.evalChainNode(dot, n, [], MISSING), typ);
    }
    switch (typ) {
      case "string":
        if (n.type !== "string") this.errorf(`expected string; found ${nodeString(n)}`);
        return n.text;
      case "int":
        if (n.type !== "number" || !n.isInt) this.errorf(`expected integer; found ${nodeString(n)}`);
        return n.value;
      case "[]string":
        this.errorf(`can't handle ${nodeString(n)} for arg of type []string`);
        break;
      default:
        return n.type === "string" ? n.text : n.value;
    }
  }
}

/** Run a parsed template; on error, the output written so far comes with the error. */
export function executeTemplate(
  tmpl: ParsedTemplate,
  data: unknown,
  funcs: Readonly<Record<string, FuncSpec>>,
): { out: string; error?: TemplateExecError } {
  // Executing with nil data is Go's invalid value, not a nil inside an interface.
  const root = data === null ? undefined : data;
  const state = new State(tmpl, funcs, root);
  try {
    state.run(root);
    return { out: state.out };
  } catch (e) {
    if (e instanceof TemplateExecError) return { out: state.out, error: e };
    if (e === BREAK || e === CONTINUE) return { out: state.out };
    if (e instanceof RangeError) {
      return { out: state.out, error: new TemplateExecError(`template: : ${e.message}`) };
    }
    throw e;
  }
}
