// The OCI runtimes wharfd can use (runc, crun), found on PATH and probed on this host: crun 1.8
// refuses hybrid cgroup hosts, runc works there; on pure cgroup v2 crun is the faster choice.
import { existsSync } from "node:fs";
import { release } from "node:os";
import { join } from "node:path";
import { OciRuntime } from "../../platform/oci-runtime.ts";
import { InvalidParameterError } from "../errors.ts";

function which(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
    const p = join(dir, cmd);
    if (existsSync(p)) return p;
  }
  for (const dir of ["/usr/sbin", "/usr/bin", "/sbin", "/usr/local/bin"]) {
    const p = join(dir, cmd);
    if (existsSync(p)) return p;
  }
  return undefined;
}

export class Runtimes {
  private readonly runtimes = new Map<string, OciRuntime>();
  defaultName = "runc";

  constructor(stateRoot: string, conmonPath?: string) {
    for (const name of ["crun", "runc"]) {
      const path = which(name);
      if (path)
        this.runtimes.set(name, new OciRuntime({ name, path, stateRoot: join(stateRoot, name), conmonPath }));
    }
  }

  names(): string[] {
    return [...this.runtimes.keys()];
  }

  path(name: string): string | undefined {
    return this.runtimes.get(name)?.path;
  }

  /** Picks the default: the configured one, else the first of crun, runc that works here. */
  async chooseDefault(preferred?: string): Promise<string> {
    if (preferred) {
      this.get(preferred);
      this.defaultName = preferred;
      return preferred;
    }
    for (const [name, runtime] of this.runtimes) {
      if (await runtime.works()) {
        this.defaultName = name;
        return name;
      }
    }
    throw new Error(`no working OCI runtime found (tried: ${this.names().join(", ") || "none installed"})`);
  }

  /**
   * Why a mount cannot be made recursively read-only ("rro") with this runtime here, or undefined
   * when it can: the kernel needs mount_setattr (5.12) and the runtime must list "rro" among its
   * features, as moby's supportsRecursivelyReadOnly checks.
   */
  async recursiveReadOnlyProblem(name?: string): Promise<string | undefined> {
    const [major = 0, minor = 0] = release()
      .split(".")
      .map((n) => Number.parseInt(n, 10));
    if (major < 5 || (major === 5 && minor < 12)) {
      return `rro is not supported: kernel ${release()} is older than 5.12`;
    }
    const runtime = this.get(name);
    if (!(await runtime.mountOptions()).has("rro"))
      return `rro is not supported by runtime "${runtime.name}"`;
    return undefined;
  }

  get(name?: string): OciRuntime {
    const runtime = this.runtimes.get(name || this.defaultName);
    if (!runtime) throw new InvalidParameterError(`unknown or invalid runtime name: ${name}`);
    return runtime;
  }
}
