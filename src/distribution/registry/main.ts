// Standalone launcher: node src/distribution/registry/main.ts serve|gc [options]
import { registryCommand } from "./cli.ts";

process.exitCode = await registryCommand(process.argv.slice(2));
