// logs: inspect first (to learn Tty), then the logs by full ID, demultiplexed unless Tty.
import { copyStream, demuxStream } from "../../client/mux.ts";
import type { Command } from "../command.ts";
import { getTimestamp } from "../timestamps.ts";

export const logsCommand: Command = {
  usage: "[OPTIONS] CONTAINER",
  flags: [
    { name: "details", usage: "Show extra details provided to logs" },
    { name: "follow", short: "f", usage: "Follow log output" },
    {
      name: "since",
      type: "string",
      usage:
        'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)',
    },
    {
      name: "tail",
      short: "n",
      type: "string",
      usage: "Number of lines to show from the end of the logs",
      default: "all",
    },
    { name: "timestamps", short: "t", usage: "Show timestamps" },
    {
      name: "until",
      type: "string",
      usage:
        'Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)',
    },
  ],
  args: { exact: 1 },
  async run(ctx, flags, args) {
    const client = ctx.client();
    const c = await client.containerInspect(args[0] as string);
    const now = new Date();
    const body = await client.containerLogs(c.Id, {
      stdout: true,
      stderr: true,
      since: timeFlag(flags.string("since"), "since", now),
      until: timeFlag(flags.string("until"), "until", now),
      timestamps: flags.bool("timestamps"),
      follow: flags.bool("follow"),
      tail: flags.string("tail") ?? "all",
      details: flags.bool("details"),
    });
    if (c.Config.Tty) await copyStream(body, ctx.streams.stdout);
    else await demuxStream(body, ctx.streams.stdout, ctx.streams.stderr);
    return 0;
  },
};

/** The docker client's wording for a bad --since/--until: `invalid value for "since": …`. */
function timeFlag(value: string | undefined, name: string, now: Date): string | undefined {
  if (!value) return undefined;
  try {
    return getTimestamp(value, now);
  } catch (err) {
    throw new Error(`invalid value for "${name}": ${(err as Error).message}`);
  }
}
