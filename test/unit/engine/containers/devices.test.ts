import assert from "node:assert/strict";
import { test } from "node:test";
import {
  checkDeviceSettings,
  parseDeviceCgroupRule,
  resolveDevices,
} from "../../../../src/engine/containers/devices.ts";

test("parseDeviceCgroupRule: Docker's 'type major:minor access', * for any", () => {
  assert.deepEqual(parseDeviceCgroupRule("c 10:229 rwm"), {
    allow: true,
    type: "c",
    major: 10,
    minor: 229,
    access: "rwm",
  });
  assert.deepEqual(parseDeviceCgroupRule("b 8:* r"), { allow: true, type: "b", major: 8, access: "r" });
  assert.deepEqual(parseDeviceCgroupRule("a *:* m"), { allow: true, type: "a", access: "m" });
  for (const bad of ["x 1:2 rwm", "c 1:2", "c 1-2 r", "c 1:2 rx", ""]) {
    assert.throws(() => parseDeviceCgroupRule(bad), { message: `invalid device cgroup format '${bad}'` });
  }
});

test("checkDeviceSettings refuses bad shapes before anything exists", () => {
  checkDeviceSettings({
    Devices: [{ PathOnHost: "/dev/fuse", PathInContainer: "/dev/f", CgroupPermissions: "rw" }],
  });
  assert.throws(
    () => checkDeviceSettings({ Devices: [{ PathInContainer: "/dev/f" }] }),
    /PathOnHost is required/,
  );
  assert.throws(
    () => checkDeviceSettings({ Devices: [{ PathOnHost: "/dev/fuse", CgroupPermissions: "rx" }] }),
    /invalid device mode: rx/,
  );
  assert.throws(
    () => checkDeviceSettings({ Devices: [{ PathOnHost: "/dev/fuse", PathInContainer: "f" }] }),
    /not an absolute path/,
  );
  assert.throws(
    () => checkDeviceSettings({ BlkioDeviceReadBps: [{ Rate: 5 }] }),
    /invalid BlkioDeviceReadBps entry/,
  );
  assert.throws(
    () => checkDeviceSettings({ BlkioWeightDevice: [{ Path: "/dev/vda", Weight: 5000 }] }),
    /invalid BlkioWeightDevice/,
  );
  assert.throws(
    () => checkDeviceSettings({ DeviceCgroupRules: ["nope"] }),
    /invalid device cgroup format 'nope'/,
  );
});

test("resolveDevices: a device node renamed, with a cgroup rule of its permissions; a missing one named", async () => {
  const out = await resolveDevices({
    Devices: [{ PathOnHost: "/dev/null", PathInContainer: "/dev/nothing", CgroupPermissions: "r" }],
  });
  assert.equal(out.nodes.length, 1);
  assert.deepEqual(
    { ...out.nodes[0], fileMode: 0, uid: 0, gid: 0 },
    { type: "c", path: "/dev/nothing", major: 1, minor: 3, fileMode: 0, uid: 0, gid: 0 },
  );
  assert.deepEqual(out.rules, [{ allow: true, type: "c", major: 1, minor: 3, access: "r" }]);
  await assert.rejects(resolveDevices({ Devices: [{ PathOnHost: "/dev/no-such" }] }), {
    message:
      'error gathering device information while adding custom device "/dev/no-such": no such file or directory',
  });
  await assert.rejects(
    resolveDevices({ Devices: [{ PathOnHost: "/etc" }] }),
    /custom device "\/etc": not a device node/,
  );
  await assert.rejects(
    resolveDevices({ BlkioDeviceReadBps: [{ Path: "/dev/null", Rate: 1 }] }),
    /\/dev\/null is not a block device/,
  );
});
