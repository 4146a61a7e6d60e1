// attach: the local terminal to a running container's stdio (docker/cli attach.go).
import { attachContainer } from "../attach.ts";
import { type Command, describeError, StatusError, writeOut } from "../command.ts";
import { attachedExit, forwardSignals, monitorTtySize } from "../session.ts";

export const attachCommand: Command = {
  usage: "[OPTIONS] CONTAINER",
  flags: [
    { name: "detach-keys", type: "string", usage: "Override the key sequence for detaching a container" },
    { name: "no-stdin", usage: "Do not attach STDIN" },
    { name: "sig-proxy", usage: "Proxy all received signals to the process", default: "true" },
  ],
  args: { exact: 1 },
  async run(ctx, flags, args) {
    const client = ctx.client();
    const c = await client.containerInspect(args[0] as string);
    if (!c.State.Running)
      throw new StatusError("You cannot attach to a stopped container, start it first", 1);
    if (c.State.Paused) throw new StatusError("You cannot attach to a paused container, unpause it first", 1);
    if (c.State.Restarting)
      throw new StatusError("You cannot attach to a restarting container, wait until it is running", 1);
    const tty = c.Config.Tty === true;
    const stdin = !flags.bool("no-stdin") && c.Config.OpenStdin === true;
    if (stdin && tty && !ctx.streams.stdin.isTTY) throw new StatusError("the input device is not a TTY", 1);
    const undo: Array<() => void> = [];
    const sigProxy = flags.changed("sig-proxy") ? flags.bool("sig-proxy") : true;
    try {
      if (sigProxy && !tty) undo.push(forwardSignals(client, c.Id));
      const detachKeys = flags.string("detach-keys");
      const session = await attachContainer(client, c.Id, {
        tty,
        streams: ctx.streams,
        stdin,
        stdout: true,
        stderr: true,
        detachKeys,
      });
      if (tty) undo.push(monitorTtySize(ctx.streams, (h, w) => client.containerResize(c.Id, h, w)));
      const wait = await client.containerWait(c.Id);
      const status = await attachedExit(session, wait, (err) =>
        writeOut(ctx.streams.stderr, `error waiting for container: ${describeError(err)}\n`),
      );
      if (status === "detached" || status === 0) return 0;
      throw new StatusError("", status);
    } finally {
      for (const u of undo) u();
    }
  },
};
