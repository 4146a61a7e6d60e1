// go-units' HumanSize (4 significant digits), which docker uses where it does not ask for 3.
import { formatFloat } from "./format/gofloat.ts";

export function humanSize4(bytes: number): string {
  const units = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
  let size = bytes;
  let i = 0;
  while (size >= 1000 && i < units.length - 1) {
    size /= 1000;
    i++;
  }
  return formatFloat(size, "g", 4) + units[i];
}
