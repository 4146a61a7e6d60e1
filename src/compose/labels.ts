// The labels docker compose puts on what it creates (docker/compose pkg/api/labels.go): how
// compose finds a project's containers, networks and volumes again on the next command.

export const PROJECT = "com.docker.compose.project";
export const SERVICE = "com.docker.compose.service";
export const CONTAINER_NUMBER = "com.docker.compose.container-number";
export const ONEOFF = "com.docker.compose.oneoff";
export const CONFIG_HASH = "com.docker.compose.config-hash";
export const WORKING_DIR = "com.docker.compose.project.working_dir";
export const CONFIG_FILES = "com.docker.compose.project.config_files";
export const ENV_FILE = "com.docker.compose.project.environment_file";
export const DEPENDS_ON = "com.docker.compose.depends_on";
export const IMAGE = "com.docker.compose.image";
export const VERSION = "com.docker.compose.version";
export const NETWORK = "com.docker.compose.network";
export const VOLUME = "com.docker.compose.volume";

/** The version compose labels carry; the compose file format wharf follows. */
export const composeVersion = "2.29.0";

/** Filters that select one project's objects (list form, as compose sends them). */
export function projectFilter(project: string, extra: Record<string, string> = {}): Map<string, string[]> {
  const labels = [`${PROJECT}=${project}`, ...Object.entries(extra).map(([k, v]) => `${k}=${v}`)];
  return new Map([["label", labels]]);
}
