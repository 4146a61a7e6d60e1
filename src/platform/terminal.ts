// The local terminal of an interactive CLI session.
import { spawnSync } from "node:child_process";

/**
 * Turns off output post-processing (OPOST) on the terminal behind `fd`, as Go's term.MakeRaw
 * does for the docker CLI: Node's raw mode keeps ONLCR, so a container's "\r\n" would reach
 * the screen as "\r\r\n". Leaving raw mode (setRawMode(false)) restores the saved settings.
 */
export function disableOutputProcessing(fd: number): void {
  spawnSync("stty", ["-opost"], { stdio: [fd, "ignore", "ignore"] });
}
