// --mount as the docker CLI reads it: CSV fields, volume-opt / volume-label maps, tmpfs fields.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseMount, splitCsv } from "../../../src/cli/opts/mounts.ts";

test("CSV: quoted fields keep their commas", () => {
  assert.deepEqual(splitCsv('type=volume,"volume-opt=o=size=1m,uid=1000",dst=/d'), [
    "type=volume",
    "volume-opt=o=size=1m,uid=1000",
    "dst=/d",
  ]);
  assert.throws(() => splitCsv('"unterminated'), /quoted-field/);
});

test("volume-opt and volume-label build the volume's driver options and labels", () => {
  const m = parseMount(
    'type=volume,src=v,dst=/d,volume-opt=type=tmpfs,volume-opt=device=tmpfs,"volume-opt=o=size=1m,mode=700",volume-label=a=b,volume-nocopy',
  );
  assert.deepEqual(m, {
    Type: "volume",
    Source: "v",
    Target: "/d",
    VolumeOptions: {
      DriverConfig: { Options: { type: "tmpfs", device: "tmpfs", o: "size=1m,mode=700" } },
      Labels: { a: "b" },
      NoCopy: true,
    },
  });
  assert.deepEqual(parseMount("type=volume,dst=/d,volume-opt=novalue").VolumeOptions?.DriverConfig?.Options, {
    novalue: "",
  });
  assert.deepEqual(parseMount("type=volume,dst=/d,volume-label=flag").VolumeOptions?.Labels, { flag: "" });
});

test("tmpfs-size, tmpfs-mode, bind-propagation, readonly", () => {
  assert.deepEqual(parseMount("type=tmpfs,dst=/t,tmpfs-size=1m,tmpfs-mode=1770,readonly"), {
    Type: "tmpfs",
    Target: "/t",
    TmpfsOptions: { SizeBytes: 1048576, Mode: 0o1770 },
    ReadOnly: true,
  });
  assert.throws(() => parseMount("type=tmpfs,dst=/t,tmpfs-mode=9"), /invalid value for tmpfs-mode/);
  assert.deepEqual(parseMount("type=bind,src=/h,dst=/c,bind-propagation=rshared").BindOptions, {
    Propagation: "rshared",
  });
});

test("bind-recursive maps onto BindOptions as the docker CLI does, with its checks", () => {
  const bind = (extra: string) => parseMount(`type=bind,src=/h,dst=/c,${extra}`).BindOptions;
  assert.deepEqual(bind("bind-recursive=disabled"), { NonRecursive: true });
  assert.deepEqual(bind("readonly,bind-recursive=writable"), { ReadOnlyNonRecursive: true });
  assert.deepEqual(bind("readonly,bind-recursive=readonly,bind-propagation=rprivate"), {
    ReadOnlyForceRecursive: true,
    Propagation: "rprivate",
  });
  assert.deepEqual(bind("bind-recursive=enabled,bind-propagation=rslave"), { Propagation: "rslave" });
  assert.throws(
    () => bind("bind-recursive=writable"),
    /^Error: option 'bind-recursive=writable' requires 'readonly'/,
  );
  assert.throws(
    () => bind("bind-recursive=readonly"),
    /^Error: option 'bind-recursive=readonly' requires 'readonly'/,
  );
  assert.throws(
    () => bind("readonly,bind-recursive=readonly"),
    /^Error: option 'bind-recursive=readonly' requires 'bind-propagation=rprivate'/,
  );
  assert.throws(
    () => bind("bind-recursive=bogus"),
    /^Error: invalid value for bind-recursive: bogus \(must be "enabled", "disabled", "writable", or "readonly"\)$/,
  );
});
