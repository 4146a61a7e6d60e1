// The command table: the paths each command answers to and its one-line description. A
// command's module (flags, behaviour) is loaded only when it runs, which keeps start-up short.
import type { Command } from "../command.ts";

export interface CommandEntry {
  /** Every path the command answers to, management form first: ["container run", "run"]. */
  paths: readonly string[];
  description: string;
  load: () => Promise<Command>;
}

export const commands: readonly CommandEntry[] = [
  {
    paths: ["context create"],
    description: "Create a context",
    load: async () => (await import("./context.ts")).contextCreateCommand,
  },
  {
    paths: ["context export"],
    description: "Export a context to a tar archive FILE or a tar stream on STDOUT.",
    load: async () => (await import("./context.ts")).contextExportCommand,
  },
  {
    paths: ["context import"],
    description: "Import a context from a tar or zip file",
    load: async () => (await import("./context.ts")).contextImportCommand,
  },
  {
    paths: ["context inspect"],
    description: "Display detailed information on one or more contexts",
    load: async () => (await import("./context.ts")).contextInspectCommand,
  },
  {
    paths: ["context ls", "context list"],
    description: "List contexts",
    load: async () => (await import("./context.ts")).contextLsCommand,
  },
  {
    paths: ["context rm", "context remove"],
    description: "Remove one or more contexts",
    load: async () => (await import("./context.ts")).contextRmCommand,
  },
  {
    paths: ["context show"],
    description: "Print the name of the current context",
    load: async () => (await import("./context.ts")).contextShowCommand,
  },
  {
    paths: ["context update"],
    description: "Update a context",
    load: async () => (await import("./context.ts")).contextUpdateCommand,
  },
  {
    paths: ["context use"],
    description: "Set the current docker context",
    load: async () => (await import("./context.ts")).contextUseCommand,
  },
  {
    paths: ["container run", "run"],
    description: "Create and run a new container from an image",
    load: async () => (await import("./container-run.ts")).runCommand,
  },
  {
    paths: ["container create", "create"],
    description: "Create a new container",
    load: async () => (await import("./container-run.ts")).createCommand,
  },
  {
    paths: ["container start", "start"],
    description: "Start one or more stopped containers",
    load: async () => (await import("./container-lifecycle.ts")).startCommand,
  },
  {
    paths: ["container stop", "stop"],
    description: "Stop one or more running containers",
    load: async () => (await import("./container-lifecycle.ts")).stopCommand,
  },
  {
    paths: ["container kill", "kill"],
    description: "Kill one or more running containers",
    load: async () => (await import("./container-lifecycle.ts")).killCommand,
  },
  {
    paths: ["container restart", "restart"],
    description: "Restart one or more containers",
    load: async () => (await import("./container-lifecycle.ts")).restartCommand,
  },
  {
    paths: ["container rm", "container remove", "rm"],
    description: "Remove one or more containers",
    load: async () => (await import("./container-lifecycle.ts")).rmCommand,
  },
  {
    paths: ["container wait", "wait"],
    description: "Block until one or more containers stop, then print their exit codes",
    load: async () => (await import("./container-lifecycle.ts")).waitCommand,
  },
  {
    paths: ["container rename", "rename"],
    description: "Rename a container",
    load: async () => (await import("./container-lifecycle.ts")).renameCommand,
  },
  {
    paths: ["container exec", "exec"],
    description: "Execute a command in a running container",
    load: async () => (await import("./container-exec.ts")).execCommand,
  },
  {
    paths: ["container attach", "attach"],
    description: "Attach local standard input, output, and error streams to a running container",
    load: async () => (await import("./container-attach.ts")).attachCommand,
  },
  {
    paths: ["container top", "top"],
    description: "Display the running processes of a container",
    load: async () => (await import("./container-observe.ts")).topCommand,
  },
  {
    paths: ["container stats", "stats"],
    description: "Display a live stream of container(s) resource usage statistics",
    load: async () => (await import("./container-observe.ts")).statsCommand,
  },
  {
    paths: ["container pause", "pause"],
    description: "Pause all processes within one or more containers",
    load: async () => (await import("./container-observe.ts")).pauseCommand,
  },
  {
    paths: ["container unpause", "unpause"],
    description: "Unpause all processes within one or more containers",
    load: async () => (await import("./container-observe.ts")).unpauseCommand,
  },
  {
    paths: ["container update", "update"],
    description: "Update configuration of one or more containers",
    load: async () => (await import("./container-observe.ts")).updateCommand,
  },
  {
    paths: ["container ls", "container list", "container ps", "ps"],
    description: "List containers",
    load: async () => (await import("./container-ps.ts")).psCommand,
  },
  {
    paths: ["container logs", "logs"],
    description: "Fetch the logs of a container",
    load: async () => (await import("./container-logs.ts")).logsCommand,
  },
  {
    paths: ["container prune"],
    description: "Remove all stopped containers",
    load: async () => (await import("./container-prune.ts")).containerPruneCommand,
  },
  {
    paths: ["inspect"],
    description: "Return low-level information on Docker objects",
    load: async () => (await import("./inspect.ts")).inspectCommand,
  },
  {
    paths: ["container inspect"],
    description: "Display detailed information on one or more containers",
    load: async () => (await import("./inspect.ts")).containerInspectCommand,
  },
  {
    paths: ["image inspect"],
    description: "Display detailed information on one or more images",
    load: async () => (await import("./inspect.ts")).imageInspectCommand,
  },
  {
    paths: ["image ls", "image list", "images"],
    description: "List images",
    load: async () => (await import("./image-ls.ts")).imagesCommand,
  },
  {
    paths: ["image build", "build", "builder build"],
    description: "Build an image from a Dockerfile",
    load: async () => (await import("./build.ts")).buildCommand,
  },
  {
    paths: ["image import", "import"],
    description: "Import the contents from a tarball to create a filesystem image",
    load: async () => (await import("./image-import.ts")).importCommand,
  },
  {
    paths: ["image pull", "pull"],
    description: "Download an image from a registry",
    load: async () => (await import("./image-pull-push.ts")).pullCommand,
  },
  {
    paths: ["image push", "push"],
    description: "Upload an image to a registry",
    load: async () => (await import("./image-pull-push.ts")).pushCommand,
  },
  {
    paths: ["login"],
    description: "Authenticate to a registry",
    load: async () => (await import("./login-logout.ts")).loginCommand,
  },
  {
    paths: ["logout"],
    description: "Log out from a registry",
    load: async () => (await import("./login-logout.ts")).logoutCommand,
  },
  {
    paths: ["manifest inspect"],
    description: "Display an image manifest, or manifest list",
    load: async () => (await import("./manifest-inspect.ts")).manifestInspectCommand,
  },
  {
    paths: ["image tag", "tag"],
    description: "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
    load: async () => (await import("./image-tag-rm.ts")).tagCommand,
  },
  {
    paths: ["image rm", "image remove", "rmi"],
    description: "Remove one or more images",
    load: async () => (await import("./image-tag-rm.ts")).rmiCommand,
  },
  {
    paths: ["image bootstrap"],
    description: "Create a base image from the host's static busybox, without a registry",
    load: async () => (await import("./image-bootstrap.ts")).imageBootstrapCommand,
  },
  {
    paths: ["image save", "save"],
    description: "Save one or more images to a tar archive (streamed to STDOUT by default)",
    load: async () => (await import("./image-archive.ts")).saveCommand,
  },
  {
    paths: ["image load", "load"],
    description: "Load an image from a tar archive or STDIN",
    load: async () => (await import("./image-archive.ts")).loadCommand,
  },
  {
    paths: ["image history", "history"],
    description: "Show the history of an image",
    load: async () => (await import("./image-archive.ts")).historyCommand,
  },
  {
    paths: ["image prune"],
    description: "Remove unused images",
    load: async () => (await import("./image-prune.ts")).imagePruneCommand,
  },
  {
    paths: ["container export", "export"],
    description: "Export a container's filesystem as a tar archive",
    load: async () => (await import("./image-archive.ts")).exportCommand,
  },
  {
    paths: ["container commit", "commit"],
    description: "Create a new image from a container's changes",
    load: async () => (await import("./image-archive.ts")).commitCommand,
  },
  {
    paths: ["container diff", "diff"],
    description: "Inspect changes to files or directories on a container's filesystem",
    load: async () => (await import("./image-archive.ts")).diffCommand,
  },
  {
    paths: ["container cp", "cp"],
    description: "Copy files/folders between a container and the local filesystem",
    load: async () => (await import("./container-cp.ts")).cpCommand,
  },
  {
    paths: ["system prune"],
    description: "Remove unused data",
    load: async () => (await import("./prune.ts")).systemPruneCommand,
  },
  {
    paths: ["builder prune"],
    description: "Remove build cache",
    load: async () => (await import("./prune.ts")).builderPruneCommand,
  },
  {
    paths: ["system df"],
    description: "Show docker disk usage",
    load: async () => (await import("./image-prune.ts")).systemDfCommand,
  },
  {
    paths: ["network create"],
    description: "Create a network",
    load: async () => (await import("./network.ts")).networkCreateCommand,
  },
  {
    paths: ["network ls", "network list"],
    description: "List networks",
    load: async () => (await import("./network.ts")).networkLsCommand,
  },
  {
    paths: ["network inspect"],
    description: "Display detailed information on one or more networks",
    load: async () => (await import("./inspect.ts")).networkInspectCommand,
  },
  {
    paths: ["network rm", "network remove"],
    description: "Remove one or more networks",
    load: async () => (await import("./network.ts")).networkRmCommand,
  },
  {
    paths: ["network prune"],
    description: "Remove all unused networks",
    load: async () => (await import("./network.ts")).networkPruneCommand,
  },
  {
    paths: ["network connect"],
    description: "Connect a container to a network",
    load: async () => (await import("./network.ts")).networkConnectCommand,
  },
  {
    paths: ["network disconnect"],
    description: "Disconnect a container from a network",
    load: async () => (await import("./network.ts")).networkDisconnectCommand,
  },
  {
    paths: ["container port", "port"],
    description: "List port mappings or a specific mapping for the container",
    load: async () => (await import("./network.ts")).portCommand,
  },
  {
    paths: ["volume create"],
    description: "Create a volume",
    load: async () => (await import("./volume.ts")).volumeCreateCommand,
  },
  {
    paths: ["volume ls", "volume list"],
    description: "List volumes",
    load: async () => (await import("./volume.ts")).volumeLsCommand,
  },
  {
    paths: ["volume inspect"],
    description: "Display detailed information on one or more volumes",
    load: async () => (await import("./inspect.ts")).volumeInspectCommand,
  },
  {
    paths: ["volume rm", "volume remove"],
    description: "Remove one or more volumes",
    load: async () => (await import("./volume.ts")).volumeRmCommand,
  },
  {
    paths: ["volume prune"],
    description: "Remove unused local volumes",
    load: async () => (await import("./volume.ts")).volumePruneCommand,
  },
  {
    paths: ["version"],
    description: "Show the Docker version information",
    load: async () => (await import("./system.ts")).versionCommand,
  },
  {
    paths: ["system info", "info"],
    description: "Display system-wide information",
    load: async () => (await import("./system.ts")).infoCommand,
  },
  {
    paths: ["system events", "events"],
    description: "Get real time events from the server",
    load: async () => (await import("./system.ts")).eventsCommand,
  },
];

export interface HelpSection {
  title: string;
  commands: Array<{ name: string; description: string }>;
}

/** The commands listed under a group: "container ls", "container run"… by their first word. */
function groupSection(group: string): HelpSection[] {
  const names: Array<{ name: string; description: string }> = [];
  for (const c of commands) {
    const own = c.paths.find((p) => p.startsWith(`${group} `));
    if (own) names.push({ name: own.slice(group.length + 1), description: c.description });
  }
  names.sort((a, b) => (a.name < b.name ? -1 : 1));
  return [{ title: "Commands", commands: names }];
}

export interface Group {
  description: string;
  sections: () => HelpSection[];
}

export const groups: Readonly<Record<string, Group>> = {
  builder: { description: "Manage builds", sections: () => groupSection("builder") },
  container: { description: "Manage containers", sections: () => groupSection("container") },
  context: { description: "Manage contexts", sections: () => groupSection("context") },
  image: { description: "Manage images", sections: () => groupSection("image") },
  manifest: {
    description: "Manage Docker image manifests and manifest lists",
    sections: () => groupSection("manifest"),
  },
  network: { description: "Manage networks", sections: () => groupSection("network") },
  system: { description: "Manage wharf", sections: () => groupSection("system") },
  volume: { description: "Manage volumes", sections: () => groupSection("volume") },
};

const common = ["run", "exec", "ps", "build", "pull", "push", "images", "login", "logout", "version", "info"];

/** `wharf --help`: docker's sections. */
export function rootSections(): HelpSection[] {
  const describe = (name: string) => commands.find((c) => c.paths.includes(name))?.description ?? "";
  const top = commands
    .flatMap((c) => c.paths.filter((p) => !p.includes(" ")))
    .filter((p) => !common.includes(p))
    .sort();
  return [
    { title: "Common Commands", commands: common.map((name) => ({ name, description: describe(name) })) },
    {
      title: "Management Commands",
      commands: [
        { name: "builder", description: groups.builder?.description ?? "" },
        { name: "compose", description: "Define and run multi-container applications" },
        { name: "container", description: groups.container?.description ?? "" },
        { name: "context", description: groups.context?.description ?? "" },
        { name: "image", description: groups.image?.description ?? "" },
        { name: "manifest", description: groups.manifest?.description ?? "" },
        { name: "network", description: groups.network?.description ?? "" },
        { name: "registry", description: "Run an OCI registry (serve, gc)" },
        { name: "system", description: groups.system?.description ?? "" },
        { name: "volume", description: groups.volume?.description ?? "" },
      ],
    },
    { title: "Commands", commands: top.map((name) => ({ name, description: describe(name) })) },
  ];
}
