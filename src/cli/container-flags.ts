// The flags of `docker run` / `docker create`, with docker 28's names, types and help texts.
import { addFilter } from "../client/filters.ts";
import { type FlagSpec, parseGoInt } from "./flags.ts";
import { resolveEnv, validateLabel } from "./opts/kv.ts";
import { parseMount } from "./opts/mounts.ts";
import {
  normalizeExtraHost,
  parseGoDuration,
  parseMemBytes,
  parseNanoCpus,
  parseSwapBytes,
  parseThrottleDevice,
  parseUlimit,
  parseWeightDevice,
  validateAttach,
  validateSysctl,
} from "./opts/values.ts";

const int = (v: string) => {
  parseGoInt(v);
};
const bytes = (v: string) => {
  parseMemBytes(v);
};

/** Validators reused by other commands' flags. */
export const validators = {
  int,
  bytes,
  duration: (v: string) => {
    parseGoDuration(v);
  },
  filter: (v: string) => addFilter(new Map(), v),
};

export const formatUsage =
  "Format output using a custom template:\n" +
  "'table':            Print output in table format with column headers (default)\n" +
  "'table TEMPLATE':   Print output in table format using the given Go template\n" +
  "'json':             Print in JSON format\n" +
  "'TEMPLATE':         Print output using the given Go template.\n" +
  "Refer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates";

export const formatUsageNoTable =
  "Format output using a custom template:\n" +
  "'json':             Print in JSON format\n" +
  "'TEMPLATE':         Print output using the given Go template.\n" +
  "Refer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates";

/** Flags shared by create and run. */
export const containerFlags: FlagSpec[] = [
  {
    name: "add-host",
    type: "list",
    usage: "Add a custom host-to-IP mapping (host:ip)",
    validate: (v) => {
      normalizeExtraHost(v);
    },
  },
  {
    name: "annotation",
    type: "map",
    usage: "Add an annotation to the container (passed through to the OCI runtime)",
    default: "map[]",
  },
  {
    name: "attach",
    short: "a",
    type: "list",
    usage: "Attach to STDIN, STDOUT or STDERR",
    validate: validateAttach,
  },
  {
    name: "blkio-weight",
    type: "uint16",
    usage: "Block IO (relative weight), between 10 and 1000, or 0 to disable",
    default: "0",
    validate: int,
  },
  {
    name: "blkio-weight-device",
    type: "list",
    usage: "Block IO weight (relative device weight)",
    default: "[]",
    validate: (v) => {
      parseWeightDevice(v);
    },
  },
  { name: "cap-add", type: "list", usage: "Add Linux capabilities" },
  { name: "cap-drop", type: "list", usage: "Drop Linux capabilities" },
  { name: "cgroup-parent", type: "string", usage: "Optional parent cgroup for the container" },
  {
    name: "cgroupns",
    type: "string",
    usage:
      "Cgroup namespace to use (host|private)\n'host':    Run the container in the Docker host's cgroup namespace\n'private': Run the container in its own private cgroup namespace\n'':        Use the cgroup namespace as configured by the\n           default-cgroupns-mode option on the daemon (default)",
  },
  { name: "cidfile", type: "string", usage: "Write the container ID to the file" },
  { name: "cpu-count", type: "int", usage: "CPU count (Windows only)", validate: int },
  { name: "cpu-percent", type: "int", usage: "CPU percent (Windows only)", validate: int },
  {
    name: "cpu-period",
    type: "int",
    usage: "Limit CPU CFS (Completely Fair Scheduler) period",
    validate: int,
  },
  { name: "cpu-quota", type: "int", usage: "Limit CPU CFS (Completely Fair Scheduler) quota", validate: int },
  { name: "cpu-rt-period", type: "int", usage: "Limit CPU real-time period in microseconds", validate: int },
  {
    name: "cpu-rt-runtime",
    type: "int",
    usage: "Limit CPU real-time runtime in microseconds",
    validate: int,
  },
  { name: "cpu-shares", short: "c", type: "int", usage: "CPU shares (relative weight)", validate: int },
  {
    name: "cpus",
    type: "decimal",
    usage: "Number of CPUs",
    validate: (v) => {
      parseNanoCpus(v);
    },
  },
  { name: "cpuset-cpus", type: "string", usage: "CPUs in which to allow execution (0-3, 0,1)" },
  { name: "cpuset-mems", type: "string", usage: "MEMs in which to allow execution (0-3, 0,1)" },
  { name: "device", type: "list", usage: "Add a host device to the container" },
  { name: "device-cgroup-rule", type: "list", usage: "Add a rule to the cgroup allowed devices list" },
  ...(["read-bps", "read-iops", "write-bps", "write-iops"] as const).map(
    (kind): FlagSpec => ({
      name: `device-${kind}`,
      type: "list",
      usage: `Limit ${kind.startsWith("read") ? "read" : "write"} rate (${kind.endsWith("bps") ? "bytes per second" : "IO per second"}) ${kind.startsWith("read") ? "from" : "to"} a device`,
      default: "[]",
      validate: (v) => {
        parseThrottleDevice(v, kind.endsWith("bps"));
      },
    }),
  ),
  { name: "disable-content-trust", usage: "Skip image verification", default: "true" },
  { name: "dns", type: "list", usage: "Set custom DNS servers" },
  { name: "dns-option", type: "list", usage: "Set DNS options" },
  { name: "dns-search", type: "list", usage: "Set custom DNS search domains" },
  { name: "domainname", type: "string", usage: "Container NIS domain name" },
  { name: "entrypoint", type: "string", usage: "Overwrite the default ENTRYPOINT of the image" },
  {
    name: "env",
    short: "e",
    type: "list",
    usage: "Set environment variables",
    validate: (v) => {
      resolveEnv(v, {});
    },
  },
  { name: "env-file", type: "list", usage: "Read in a file of environment variables" },
  { name: "expose", type: "list", usage: "Expose a port or a range of ports" },
  {
    name: "gpus",
    type: "gpu-request",
    usage: "GPU devices to add to the container ('all' to pass all GPUs)",
  },
  { name: "group-add", type: "list", usage: "Add additional groups to join" },
  { name: "health-cmd", type: "string", usage: "Command to run to check health" },
  {
    name: "health-interval",
    type: "duration",
    usage: "Time between running the check (ms|s|m|h)",
    default: "0s",
    validate: validators.duration,
  },
  {
    name: "health-retries",
    type: "int",
    usage: "Consecutive failures needed to report unhealthy",
    validate: int,
  },
  {
    name: "health-start-interval",
    type: "duration",
    usage: "Time between running the check during the start period (ms|s|m|h)",
    default: "0s",
    validate: validators.duration,
  },
  {
    name: "health-start-period",
    type: "duration",
    usage: "Start period for the container to initialize before starting health-retries countdown (ms|s|m|h)",
    default: "0s",
    validate: validators.duration,
  },
  {
    name: "health-timeout",
    type: "duration",
    usage: "Maximum time to allow one check to run (ms|s|m|h)",
    default: "0s",
    validate: validators.duration,
  },
  { name: "help", usage: "Print usage" },
  { name: "hostname", short: "h", type: "string", usage: "Container host name" },
  { name: "init", usage: "Run an init inside the container that forwards signals and reaps processes" },
  { name: "interactive", short: "i", usage: "Keep STDIN open even if not attached" },
  {
    name: "io-maxbandwidth",
    type: "bytes",
    usage: "Maximum IO bandwidth limit for the system drive (Windows only)",
    validate: bytes,
  },
  {
    name: "io-maxiops",
    type: "uint",
    usage: "Maximum IOps limit for the system drive (Windows only)",
    validate: int,
  },
  { name: "ip", type: "string", usage: "IPv4 address (e.g., 172.30.100.104)" },
  { name: "ip6", type: "string", usage: "IPv6 address (e.g., 2001:db8::33)" },
  { name: "ipc", type: "string", usage: "IPC mode to use" },
  { name: "isolation", type: "string", usage: "Container isolation technology" },
  { name: "kernel-memory", type: "bytes", usage: "Kernel memory limit", validate: bytes },
  { name: "label", short: "l", type: "list", usage: "Set meta data on a container", validate: validateLabel },
  { name: "label-file", type: "list", usage: "Read in a line delimited file of labels" },
  { name: "link", type: "list", usage: "Add link to another container" },
  { name: "link-local-ip", type: "list", usage: "Container IPv4/IPv6 link-local addresses" },
  { name: "log-driver", type: "string", usage: "Logging driver for the container" },
  { name: "log-opt", type: "list", usage: "Log driver options" },
  { name: "mac-address", type: "string", usage: "Container MAC address (e.g., 92:d0:c6:0a:29:33)" },
  { name: "memory", short: "m", type: "bytes", usage: "Memory limit", validate: bytes },
  { name: "memory-reservation", type: "bytes", usage: "Memory soft limit", validate: bytes },
  {
    name: "memory-swap",
    type: "bytes",
    usage: "Swap limit equal to memory plus swap: '-1' to enable unlimited swap",
    validate: (v) => {
      parseSwapBytes(v);
    },
  },
  {
    name: "memory-swappiness",
    type: "int",
    usage: "Tune container memory swappiness (0 to 100)",
    default: "-1",
    validate: int,
  },
  {
    name: "mount",
    type: "mount",
    usage: "Attach a filesystem mount to the container",
    validate: (v) => {
      parseMount(v);
    },
  },
  { name: "name", type: "string", usage: "Assign a name to the container" },
  { name: "network", type: "network", usage: "Connect a container to a network" },
  { name: "network-alias", type: "list", usage: "Add network-scoped alias for the container" },
  { name: "no-healthcheck", usage: "Disable any container-specified HEALTHCHECK" },
  { name: "oom-kill-disable", usage: "Disable OOM Killer" },
  { name: "oom-score-adj", type: "int", usage: "Tune host's OOM preferences (-1000 to 1000)", validate: int },
  { name: "pid", type: "string", usage: "PID namespace to use" },
  {
    name: "pids-limit",
    type: "int",
    usage: "Tune container pids limit (set -1 for unlimited)",
    validate: int,
  },
  { name: "platform", type: "string", usage: "Set platform if server is multi-platform capable" },
  { name: "privileged", usage: "Give extended privileges to this container" },
  { name: "publish", short: "p", type: "list", usage: "Publish a container's port(s) to the host" },
  { name: "publish-all", short: "P", usage: "Publish all exposed ports to random ports" },
  { name: "quiet", short: "q", usage: "Suppress the pull output" },
  { name: "read-only", usage: "Mount the container's root filesystem as read only" },
  {
    name: "restart",
    type: "string",
    usage: "Restart policy to apply when a container exits",
    default: "no",
  },
  {
    name: "rm",
    usage: "Automatically remove the container and its associated anonymous volumes when it exits",
  },
  { name: "runtime", type: "string", usage: "Runtime to use for this container" },
  { name: "security-opt", type: "list", usage: "Security Options" },
  { name: "shm-size", type: "bytes", usage: "Size of /dev/shm", validate: bytes },
  { name: "stop-signal", type: "string", usage: "Signal to stop the container" },
  { name: "stop-timeout", type: "int", usage: "Timeout (in seconds) to stop a container", validate: int },
  { name: "storage-opt", type: "list", usage: "Storage driver options for the container" },
  { name: "sysctl", type: "map", usage: "Sysctl options", default: "map[]", validate: validateSysctl },
  { name: "tmpfs", type: "list", usage: "Mount a tmpfs directory" },
  { name: "tty", short: "t", usage: "Allocate a pseudo-TTY" },
  {
    name: "ulimit",
    type: "ulimit",
    usage: "Ulimit options",
    default: "[]",
    validate: (v) => {
      parseUlimit(v);
    },
  },
  { name: "use-api-socket", usage: "Bind mount Docker API socket and required auth" },
  { name: "user", short: "u", type: "string", usage: "Username or UID (format: <name|uid>[:<group|gid>])" },
  { name: "userns", type: "string", usage: "User namespace to use" },
  { name: "uts", type: "string", usage: "UTS namespace to use" },
  { name: "volume", short: "v", type: "list", usage: "Bind mount a volume" },
  { name: "volume-driver", type: "string", usage: "Optional volume driver for the container" },
  { name: "volumes-from", type: "list", usage: "Mount volumes from the specified container(s)" },
  { name: "workdir", short: "w", type: "string", usage: "Working directory inside the container" },
];

/** create's --pull (docker's help text has that stray "|"). */
export const createPullFlag: FlagSpec = {
  name: "pull",
  type: "string",
  usage: 'Pull image before creating ("always", "|missing", "never")',
  default: "missing",
};

/** run's own flags on top of the container flags. */
export const runOnlyFlags: FlagSpec[] = [
  {
    name: "pull",
    type: "string",
    usage: 'Pull image before running ("always", "missing", "never")',
    default: "missing",
  },
  { name: "detach", short: "d", usage: "Run container in background and print container ID" },
  { name: "detach-keys", type: "string", usage: "Override the key sequence for detaching a container" },
  { name: "sig-proxy", usage: "Proxy received signals to the process", default: "true" },
];
