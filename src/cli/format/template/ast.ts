// The parse tree of a Go text/template, and how nodes print in error messages (node.String()).

export interface FieldNode {
  type: "field";
  pos: number;
  ident: string[];
}
export interface VariableNode {
  type: "variable";
  pos: number;
  ident: string[];
}
export interface ChainNode {
  type: "chain";
  pos: number;
  node: ArgNode;
  field: string[];
}
export interface IdentifierNode {
  type: "identifier";
  pos: number;
  ident: string;
}
export interface DotNode {
  type: "dot";
  pos: number;
}
export interface NilNode {
  type: "nil";
  pos: number;
}
export interface BoolNode {
  type: "bool";
  pos: number;
  value: boolean;
}
export interface NumberNode {
  type: "number";
  pos: number;
  text: string;
  value: number;
  isInt: boolean;
}
export interface StringNode {
  type: "string";
  pos: number;
  quoted: string;
  text: string;
}
export interface PipeNode {
  type: "pipe";
  pos: number;
  isAssign: boolean;
  decl: VariableNode[];
  cmds: CommandNode[];
}
export interface CommandNode {
  type: "command";
  pos: number;
  args: ArgNode[];
}

export type ArgNode =
  | FieldNode
  | VariableNode
  | ChainNode
  | IdentifierNode
  | DotNode
  | NilNode
  | BoolNode
  | NumberNode
  | StringNode
  | PipeNode;

export interface ListNode {
  type: "list";
  pos: number;
  nodes: Node[];
}
export interface TextNode {
  type: "text";
  pos: number;
  text: string;
}
export interface ActionNode {
  type: "action";
  pos: number;
  pipe: PipeNode;
}
export interface BranchNode {
  type: "if" | "with" | "range";
  pos: number;
  pipe: PipeNode;
  list: ListNode;
  elseList: ListNode | undefined;
}
export interface TemplateNode {
  type: "template";
  pos: number;
  name: string;
  pipe: PipeNode | undefined;
}
export interface LoopControlNode {
  type: "break" | "continue";
  pos: number;
}
export interface CommentNode {
  type: "comment";
  pos: number;
  text: string;
}

export type Node =
  | ListNode
  | TextNode
  | ActionNode
  | BranchNode
  | TemplateNode
  | LoopControlNode
  | CommentNode
  | CommandNode
  | ArgNode;

function pipeString(p: PipeNode): string {
  let s = "";
  if (p.decl.length > 0) {
    s = p.decl.map(nodeString).join(", ") + (p.isAssign ? " = " : " := ");
  }
  return s + p.cmds.map(nodeString).join(" | ");
}

function listString(l: ListNode | undefined): string {
  return l ? l.nodes.map(nodeString).join("") : "";
}

/** Go's Node.String(): the source form of a node. */
export function nodeString(n: Node): string {
  switch (n.type) {
    case "field":
      return "." + n.ident.join(".");
    case "variable":
      return n.ident.join(".");
    case "chain":
      return (
        (n.node.type === "pipe" ? `(${nodeString(n.node)})` : nodeString(n.node)) +
        n.field.map((f) => "." + f).join("")
      );
    case "identifier":
      return n.ident;
    case "dot":
      return ".";
    case "nil":
      return "nil";
    case "bool":
      return String(n.value);
    case "number":
      return n.text;
    case "string":
      return n.quoted;
    case "pipe":
      return pipeString(n);
    case "command":
      return n.args.map((a) => (a.type === "pipe" ? `(${nodeString(a)})` : nodeString(a))).join(" ");
    case "list":
      return listString(n);
    case "text":
      return n.text;
    case "comment":
      return `{{${n.text}}}`;
    case "action":
      return `{{${pipeString(n.pipe)}}}`;
    case "template":
      return `{{template ${JSON.stringify(n.name)}${n.pipe ? " " + pipeString(n.pipe) : ""}}}`;
    case "break":
    case "continue":
      return `{{${n.type}}}`;
    default: {
      const els = n.elseList ? `{{else}}${listString(n.elseList)}` : "";
      return `{{${n.type} ${pipeString(n.pipe)}}}${listString(n.list)}${els}{{end}}`;
    }
  }
}
