// image bootstrap busybox: a busybox image from the host's static busybox, no registry needed.

import { type Command, StatusError, writeOut } from "../command.ts";
import { parseNormalizedNamed } from "../reference.ts";

const defaultBusybox = "/bin/busybox";

export const imageBootstrapCommand: Command = {
  usage: "[OPTIONS] busybox",
  flags: [
    {
      name: "tag",
      short: "t",
      type: "string",
      usage: "Name and tag of the image",
      default: "busybox:latest",
    },
    { name: "busybox", type: "string", usage: "Path of the static busybox binary", default: defaultBusybox },
  ],
  args: { exact: 1 },
  async run(ctx, flags, args) {
    if (args[0] !== "busybox") {
      throw new StatusError(
        `${ctx.prog}: unsupported bootstrap image ${JSON.stringify(args[0])}: only "busybox" is known`,
        1,
      );
    }
    const tag = flags.string("tag") ?? "busybox:latest";
    parseNormalizedNamed(tag);
    const path = flags.string("busybox") ?? defaultBusybox;
    // tar-stream loads only for this command.
    const { BootstrapError, busyboxRootfs, checkBusybox } = await import("../bootstrap/busybox-rootfs.ts");
    try {
      checkBusybox(path);
    } catch (err) {
      if (err instanceof BootstrapError) throw new StatusError(`${ctx.prog}: ${err.message}`, 1);
      throw err;
    }
    const stream = await ctx.client().imageImport(busyboxRootfs(path), {
      repo: tag,
      changes: ['CMD ["sh"]'],
      message: "wharf image bootstrap busybox",
    });
    let id = "";
    for await (const m of stream) {
      if (m.errorDetail || m.error) throw new Error(m.errorDetail?.message ?? m.error);
      if (m.status) id = m.status;
    }
    await writeOut(ctx.streams.stdout, `${id}\n`);
    return 0;
  },
};
