// Help text compared with what `docker ps --help` (28.2) prints off a terminal.
import assert from "node:assert/strict";
import { test } from "node:test";
import { psCommand } from "../../../src/cli/commands/container-ps.ts";
import { commands } from "../../../src/cli/commands/index.ts";
import { commandHelp, wrapText } from "../../../src/cli/help.ts";

const dockerPsHelp = `Usage:  docker ps [OPTIONS]

List containers

Aliases:
  docker container ls, docker container list, docker container ps, docker ps

Options:
  -a, --all             Show all containers (default shows just running)
  -f, --filter filter   Filter output based on conditions provided
      --format string   Format output using a custom template:
                        'table':            Print output in table format
                        with column headers (default)
                        'table TEMPLATE':   Print output in table format
                        using the given Go template
                        'json':             Print in JSON format
                        'TEMPLATE':         Print output using the given
                        Go template.
                        Refer to https://docs.docker.com/go/formatting/
                        for more information about formatting output with
                        templates
  -n, --last int        Show n last created containers (includes all
                        states) (default -1)
  -l, --latest          Show the latest created container (includes all
                        states)
      --no-trunc        Don't truncate output
  -q, --quiet           Only display container IDs
  -s, --size            Display total file sizes
`;

test("a command's help matches docker's layout and wrapping at 79 columns", () => {
  const entry = commands.find((c) => c.paths.includes("ps"));
  assert.ok(entry);
  const text = commandHelp(
    {
      path: "docker ps",
      usage: psCommand.usage,
      description: entry.description,
      aliases: entry.paths.map((p) => `docker ${p}`),
      flags: psCommand.flags,
    },
    79,
  );
  assert.equal(text, dockerPsHelp);
});

test("pflag wrapping: long words are not cut, narrow terminals wrap onto the next line", () => {
  assert.equal(wrapText(10, 0, "a\nb"), "a\n          b");
  assert.equal(wrapText(10, 79, "short"), "short");
  assert.equal(wrapText(70, 79, "x y"), "\n                x y");
});
