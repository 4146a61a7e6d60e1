// exec: create an exec instance, then start it detached or attached (hijacked stdio, raw
// terminal and resize for -t), and exit with the process's exit code (docker/cli exec.go).
import {
  execCreate,
  execInspect,
  execResize,
  execStartAttached,
  execStartDetached,
} from "../../client/interactive.ts";
import { streamAttach } from "../attach.ts";
import { type Command, StatusError } from "../command.ts";
import { readEnv } from "../opts/kv.ts";
import { monitorTtySize } from "../session.ts";

export const execCommand: Command = {
  usage: "[OPTIONS] CONTAINER COMMAND [ARG...]",
  flags: [
    { name: "detach", short: "d", usage: "Detached mode: run command in the background" },
    { name: "detach-keys", type: "string", usage: "Override the key sequence for detaching a container" },
    { name: "env", short: "e", type: "list", usage: "Set environment variables" },
    { name: "env-file", type: "list", usage: "Read in a file of environment variables" },
    { name: "interactive", short: "i", usage: "Keep STDIN open even if not attached" },
    { name: "privileged", usage: "Give extended privileges to the command" },
    { name: "tty", short: "t", usage: "Allocate a pseudo-TTY" },
    {
      name: "user",
      short: "u",
      type: "string",
      usage: 'Username or UID (format: "<name|uid>[:<group|gid>]")',
    },
    { name: "workdir", short: "w", type: "string", usage: "Working directory inside the container" },
  ],
  interspersed: false,
  args: { min: 2 },
  async run(ctx, flags, args) {
    const [container, ...cmd] = args as [string, ...string[]];
    const detach = flags.bool("detach");
    const tty = flags.bool("tty");
    const interactive = flags.bool("interactive");
    if (tty && interactive && !detach && !ctx.streams.stdin.isTTY) {
      throw new StatusError("the input device is not a TTY", 1);
    }
    const client = ctx.client();
    const c = await client.containerInspect(container);
    const detachKeys = flags.string("detach-keys");
    const out = ctx.streams.stdout;
    const consoleSize: [number, number] | undefined =
      tty && out.isTTY && out.rows && out.columns ? [out.rows, out.columns] : undefined;
    const { Id } = await execCreate(client, c.Id, {
      User: flags.string("user") ?? "",
      Privileged: flags.bool("privileged"),
      Tty: tty,
      ConsoleSize: consoleSize ?? null,
      AttachStdin: interactive && !detach,
      AttachStdout: !detach,
      AttachStderr: !detach,
      DetachKeys: detachKeys ?? "",
      Env: readEnv(flags.list("env-file"), flags.list("env"), ctx.env),
      WorkingDir: flags.string("workdir") ?? "",
      Cmd: cmd,
    });
    if (detach) {
      await execStartDetached(client, Id, tty);
      return 0;
    }
    const hijacked = await execStartAttached(client, Id, { tty, consoleSize });
    const session = streamAttach({
      conn: hijacked.socket,
      tty,
      streams: ctx.streams,
      stdin: interactive,
      stdout: true,
      stderr: true,
      detachKeys,
    });
    const undo = tty ? monitorTtySize(ctx.streams, (h, w) => execResize(client, Id, h, w)) : () => {};
    try {
      const end = await session.done;
      if (end === "detached") return 0;
    } finally {
      undo();
      session.close();
    }
    const info = await execInspect(client, Id);
    const code = info.ExitCode ?? 0;
    if (code !== 0) throw new StatusError("", code);
    return 0;
  },
};
