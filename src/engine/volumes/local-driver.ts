// Docker's `local` volume driver: a directory <root>/<name>/_data, or, with driver options
// type/o/device, a filesystem mounted there while a container uses it (tmpfs, o=bind, nfs…).
import { mountDevice, unmount } from "../../platform/volume-mount.ts";
import { InvalidParameterError } from "../errors.ts";

const knownOptions = new Set(["type", "o", "device", "size"]);

export function validateLocalOptions(name: string, options: Record<string, string>): void {
  const keys = Object.keys(options);
  if (keys.length === 0) return;
  for (const key of keys) {
    if (typeof options[key] !== "string") {
      throw new InvalidParameterError(`create ${name}: invalid option value for "${key}": must be a string`);
    }
    if (!knownOptions.has(key)) throw new InvalidParameterError(`create ${name}: invalid option: "${key}"`);
  }
  if (options.size !== undefined) {
    throw new InvalidParameterError(`create ${name}: quota size requested but no quota support`);
  }
  // moby's mandatoryOpts: type needs device, device needs type, o needs both (device named first).
  const missing = (opt: string) =>
    new InvalidParameterError(`create ${name}: missing required option: "${opt}"`);
  if ((options.type !== undefined || options.o !== undefined) && options.device === undefined)
    throw missing("device");
  if ((options.device !== undefined || options.o !== undefined) && options.type === undefined)
    throw missing("type");
}

/** Whether the volume is a mounted filesystem rather than a plain directory. */
export function needsMount(options: Record<string, string>): boolean {
  return Boolean(options.type && options.device);
}

export async function mountLocal(dataDir: string, options: Record<string, string>): Promise<void> {
  try {
    await mountDevice({
      type: options.type as string,
      device: options.device as string,
      options: options.o ?? "",
      target: dataDir,
    });
  } catch (err) {
    throw new InvalidParameterError(
      `error while mounting volume '${dataDir}': failed to mount local volume: ${(err as Error).message}`,
    );
  }
}

export async function unmountLocal(dataDir: string): Promise<void> {
  await unmount(dataDir);
}
