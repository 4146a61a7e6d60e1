// login and logout: credentials checked by the daemon (POST /auth), kept in
// ~/.docker/config.json exactly where the docker CLI keeps them.
import { type Command, StatusError, writeOut } from "../command.ts";
import { helperErase, helperStore } from "../credential-helper.ts";
import { convertToHostname, DockerConfig, hubServer } from "../docker-config.ts";

/** The server key as docker normalises the login argument. */
function serverKey(arg: string | undefined): string {
  if (!arg) return hubServer;
  const host = convertToHostname(arg);
  if (["docker.io", "index.docker.io", "registry-1.docker.io"].includes(host)) return hubServer;
  return host;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as string));
  return Buffer.concat(chunks).toString("utf8");
}

export const loginCommand: Command = {
  usage: "[OPTIONS] [SERVER]",
  flags: [
    { name: "password", short: "p", type: "string", usage: "Password or Personal Access Token (PAT)" },
    { name: "password-stdin", usage: "Take the Password or Personal Access Token (PAT) from stdin" },
    { name: "username", short: "u", type: "string", usage: "Username" },
  ],
  args: { max: 1 },
  async run(ctx, flags, args) {
    const server = serverKey(args[0]);
    let password = flags.string("password") ?? "";
    const username = (flags.string("username") ?? "").trim();
    if (flags.bool("password-stdin")) {
      if (password) throw new StatusError("--password and --password-stdin are mutually exclusive", 1);
      if (!username) throw new StatusError("Must provide --username with --password-stdin", 1);
      password = (await readAll(ctx.streams.stdin)).replace(/\r?\n$/, "");
    } else if (password) {
      await writeOut(
        ctx.streams.stderr,
        "WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n",
      );
    }
    if (!username || !password) {
      throw new StatusError("Error: Cannot perform an interactive login from a non TTY device", 1);
    }
    const res = await ctx.client().login({ username, password, serveraddress: server });
    const config = DockerConfig.load(ctx.env);
    const helper = config.helperFor(server);
    if (helper) {
      const token = res.IdentityToken || undefined;
      await helperStore(helper, {
        ServerURL: server,
        Username: token ? "<token>" : username,
        Secret: token ?? password,
      });
      config.setHelperEntry(server);
      config.save();
    } else {
      config.set(server, username, password, res.IdentityToken || undefined);
      config.save();
      await writeOut(
        ctx.streams.stderr,
        `\nWARNING! Your credentials are stored unencrypted in '${config.path}'.\nConfigure a credential helper to remove this warning. See\nhttps://docs.docker.com/go/credential-store/\n\n`,
      );
    }
    await writeOut(ctx.streams.stdout, `${res.Status || "Login Succeeded"}\n`);
    return 0;
  },
};

export const logoutCommand: Command = {
  usage: "[SERVER]",
  flags: [],
  args: { max: 1 },
  async run(ctx, _flags, args) {
    const server = serverKey(args[0]);
    const shown = server === hubServer ? server : convertToHostname(server);
    const config = DockerConfig.load(ctx.env);
    const helper = config.helperFor(server);
    const erasedByHelper = helper ? await helperErase(helper, server) : false;
    if (!config.erase(server) && !erasedByHelper) {
      await writeOut(ctx.streams.stdout, `Not logged in to ${shown}\n`);
      return 0;
    }
    config.save();
    await writeOut(ctx.streams.stdout, `Removing login credentials for ${shown}\n`);
    return 0;
  },
};
