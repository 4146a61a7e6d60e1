// Who sits on a layer besides images: containers (their rw layer is mounted over the image's
// layers) and running builds (a COPY's or a RUN --mount's temporary layer, a stage's base).
// As in Docker, whose containers hold a reference on their layer chain, `rmi -f` of an image a
// stopped container uses, `image prune` during a build and the garbage collector leave these
// layers alone; the last user to go releases them.

/** Short link names (snapshots/l/<short>) of the layers containers are built on. */
export type ContainerLayers = () => Iterable<string>;

export class LayerUsers {
  private containers: ContainerLayers = () => [];
  /** Layers held by running builds, with a count: several steps may hold one layer. */
  private readonly pins = new Map<string, number>();

  /** Wired by the container service, which sits above the image store. */
  setContainerLayers(fn: ContainerLayers): void {
    this.containers = fn;
  }

  /** Holds `shorts` until the returned function is called (once). */
  pin(shorts: readonly string[]): () => void {
    for (const s of shorts) this.pins.set(s, (this.pins.get(s) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const s of shorts) {
        const n = (this.pins.get(s) ?? 1) - 1;
        if (n > 0) this.pins.set(s, n);
        else this.pins.delete(s);
      }
    };
  }

  /** Every layer a container or a build uses now, by short link name. */
  inUse(): Set<string> {
    const out = new Set<string>(this.pins.keys());
    for (const s of this.containers()) out.add(s);
    return out;
  }
}
