// Parsing of -v / Binds, --mount / Mounts, VolumesFrom and the precedence between them.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { MountPoint } from "../../../../src/engine/volumes/mount-point.ts";
import {
  parseBind,
  parseMountRequest,
  parseVolumesFrom,
  planMounts,
} from "../../../../src/engine/volumes/mount-spec.ts";

describe("mount specs", () => {
  test("-v forms", () => {
    assert.deepEqual(
      [parseBind("/h:/c:ro,rshared")].map((m) => [
        m.type,
        m.source,
        m.destination,
        m.rw,
        m.mode,
        m.propagation,
      ]),
      [["bind", "/h", "/c", false, "ro,rshared", "rshared"]],
    );
    const named = parseBind("data:/var/lib/x/");
    assert.deepEqual(
      [named.type, named.name, named.destination, named.mode, named.copyData],
      ["volume", "data", "/var/lib/x", "z", true],
    );
    assert.equal(parseBind("data:/x:nocopy").copyData, false);
    const anon = parseBind("/only");
    assert.deepEqual([anon.type, anon.anonymous, anon.name], ["volume", true, undefined]);
    assert.throws(() => parseBind("/h:/c:ro,rw"), /invalid mode: ro,rw/);
    assert.throws(() => parseBind("/h:/c:nocopy"), /invalid mode: nocopy/);
    assert.throws(() => parseBind("::"), /invalid volume specification: '::'/);
  });

  test("volumes-from modes, as moby's ParseVolumesFrom", () => {
    assert.deepEqual(parseVolumesFrom("web"), { container: "web", rw: true });
    assert.deepEqual(parseVolumesFrom("web:ro"), { container: "web", rw: false });
    assert.deepEqual(parseVolumesFrom("web:rw"), { container: "web", rw: true });
    assert.deepEqual(parseVolumesFrom("web:ro,z"), { container: "web", rw: false });
    assert.deepEqual(parseVolumesFrom("web:Z"), { container: "web", rw: true });
    assert.throws(() => parseVolumesFrom("web:rshared"), /^Error: invalid mode: rshared$/);
    assert.throws(() => parseVolumesFrom("web:nocopy"), /^Error: invalid mode: nocopy$/);
    assert.throws(() => parseVolumesFrom("web:bogus"), /^Error: invalid mode: bogus$/);
    assert.throws(() => parseVolumesFrom(""), /volumes-from specification cannot be an empty string/);
  });

  test('volumes-from never makes a read-only mount writable; copies show Mode ""', () => {
    const ro: MountPoint = {
      type: "bind",
      destination: "/b",
      source: "/h",
      rw: false,
      mode: "ro",
      propagation: "rprivate",
      anonymous: false,
      copyData: false,
      origin: "binds",
    };
    const plan = planMounts({
      hostConfig: { VolumesFrom: ["other:rw"] },
      volumes: {},
      mountsOf: () => [ro],
      bindSourceExists: () => true,
    });
    assert.deepEqual(
      plan.map((m) => [m.destination, m.rw, m.mode]),
      [["/b", false, ""]],
    );
  });

  test("anonymous volumes from Binds/Mounts show Mode z; read-only anonymous --mount is refused", () => {
    const plan = planMounts({
      hostConfig: { Binds: ["/b"], Mounts: [{ Type: "volume", Target: "/m" }] },
      volumes: { "/i": {} },
      mountsOf: () => [],
      bindSourceExists: () => true,
    });
    assert.deepEqual(
      plan.map((m) => [m.destination, m.anonymous, m.mode]),
      [
        ["/b", true, "z"],
        ["/m", true, "z"],
        ["/i", true, ""],
      ],
    );
    assert.throws(
      () => parseMountRequest({ Type: "volume", Target: "/m", ReadOnly: true }, () => true),
      /^Error: invalid mount config for type "volume": must not set ReadOnly mode when using anonymous volumes$/,
    );
  });

  test("precedence: binds replace volumes-from, image volumes fill only free places", () => {
    const from: MountPoint = {
      type: "volume",
      destination: "/a",
      name: "va",
      source: "/v/va/_data",
      rw: true,
      mode: "z",
      propagation: "",
      anonymous: false,
      copyData: true,
      origin: "binds",
    };
    const plan = planMounts({
      hostConfig: { VolumesFrom: ["other:ro"], Binds: ["/h:/b"], Tmpfs: { "/t": "" } },
      volumes: { "/b": {}, "/c": {}, "/t": {}, "/a": {} },
      mountsOf: () => [from],
      bindSourceExists: () => true,
    });
    assert.deepEqual(
      plan.map((m) => [m.destination, m.type, m.rw, m.origin]),
      [
        ["/a", "volume", false, "volumes-from"],
        ["/b", "bind", true, "binds"],
        ["/c", "volume", true, "image"],
      ],
    );
    assert.equal(plan[0]?.copyData, false);
  });

  test("binds of the data root (or above it) default to rslave; other modes are refused", () => {
    const plan = (hostConfig: Record<string, unknown>) =>
      planMounts({
        hostConfig,
        volumes: {},
        mountsOf: () => [],
        bindSourceExists: () => true,
        daemonRoot: "/var/lib/wharf",
      });
    assert.deepEqual(
      plan({
        Binds: ["/:/host:ro", "/var/lib/wharf/volumes:/v", "/srv:/s", "/var/lib/wharf:/w:rshared"],
      }).map((m) => [m.destination, m.propagation]),
      [
        ["/host", "rslave"],
        ["/v", "rslave"],
        ["/s", "rprivate"],
        ["/w", "rshared"],
      ],
    );
    assert.throws(
      () =>
        plan({
          Mounts: [
            { Type: "bind", Source: "/var/lib", Target: "/x", BindOptions: { Propagation: "private" } },
          ],
        }),
      /must use either propagation mode "rslave" or "rshared" when mount source is within the daemon root, daemon root: "\/var\/lib\/wharf", bind mount source: "\/var\/lib", propagation: "private"/,
    );
  });
});
