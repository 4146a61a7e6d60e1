import assert from "node:assert/strict";
import { arch } from "node:os";
import { describe, test } from "node:test";
import {
  defaultSeccompProfile,
  seccompFor,
  seccompFromDockerProfile,
} from "../../../../src/engine/runtime/seccomp.ts";
import { DEFAULT_CAPABILITIES } from "../../../../src/engine/runtime/spec.ts";

const denied = (p: ReturnType<typeof defaultSeccompProfile>) =>
  new Set(p.syscalls?.filter((r) => !r.args && r.errnoRet === 1).flatMap((r) => r.names));
const cloneRules = (p: ReturnType<typeof defaultSeccompProfile>) =>
  p.syscalls?.filter((r) => r.names.includes("clone")) ?? [];

describe("default seccomp profile", () => {
  test("with Docker's default capabilities: keyring, modules, mounts, namespaces refused; the rest allowed", () => {
    const p = defaultSeccompProfile(DEFAULT_CAPABILITIES);
    assert.equal(p.defaultAction, "SCMP_ACT_ALLOW");
    if (arch() === "x64")
      assert.deepEqual(p.architectures, ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]);
    const names = denied(p);
    for (const n of [
      "keyctl",
      "add_key",
      "init_module",
      "mount",
      "umount2",
      "unshare",
      "setns",
      "bpf",
      "reboot",
    ])
      assert.ok(names.has(n), n);
    for (const n of ["read", "clone", "chown", "mknod", "chroot", "ptrace"]) assert.ok(!names.has(n), n);
    // Every namespace flag of clone(2) refused, each by its own rule; clone3 answers ENOSYS.
    assert.equal(cloneRules(p).length, 7);
    for (const r of cloneRules(p)) {
      const [arg] = r.args ?? [];
      assert.equal(arg?.op, "SCMP_CMP_MASKED_EQ");
      assert.equal(arg?.value, arg?.valueTwo);
    }
    assert.ok(
      cloneRules(p).some((r) => r.args?.[0]?.value === 0x10000000),
      "CLONE_NEWUSER",
    );
    assert.deepEqual(
      p.syscalls?.find((r) => r.names.includes("clone3")),
      { names: ["clone3"], action: "SCMP_ACT_ERRNO", errnoRet: 38 },
    );
  });

  test("a capability unlocks the calls it governs", () => {
    const admin = defaultSeccompProfile([...DEFAULT_CAPABILITIES, "CAP_SYS_ADMIN"]);
    for (const n of ["mount", "unshare", "setns"]) assert.ok(!denied(admin).has(n), n);
    assert.equal(cloneRules(admin).length, 0);
    assert.ok(!admin.syscalls?.some((r) => r.names.includes("clone3")));
    assert.ok(denied(admin).has("keyctl"), "the keyring stays refused");
    const time = defaultSeccompProfile([...DEFAULT_CAPABILITIES, "CAP_SYS_TIME"]);
    assert.ok(!denied(time).has("settimeofday"));
    assert.ok(denied(defaultSeccompProfile(DEFAULT_CAPABILITIES)).has("settimeofday"));
  });
});

describe("seccompFor", () => {
  const base = { privileged: false, securityOpt: [] as string[], capabilities: DEFAULT_CAPABILITIES };
  test("default, builtin, unconfined, privileged", () => {
    assert.equal(seccompFor(base)?.defaultAction, "SCMP_ACT_ALLOW");
    assert.equal(seccompFor({ ...base, securityOpt: ["seccomp=builtin"] })?.defaultAction, "SCMP_ACT_ALLOW");
    assert.equal(seccompFor({ ...base, securityOpt: ["seccomp=unconfined"] }), undefined);
    assert.equal(seccompFor({ ...base, securityOpt: ["seccomp:unconfined"] }), undefined);
    assert.equal(seccompFor({ ...base, privileged: true }), undefined);
  });
  test("a named profile applies, to a privileged container too (as Docker)", () => {
    const profile = JSON.stringify({
      defaultAction: "SCMP_ACT_ERRNO",
      syscalls: [{ names: ["read"], action: "SCMP_ACT_ALLOW" }],
    });
    const p = seccompFor({ ...base, privileged: true, securityOpt: [`seccomp=${profile}`] });
    assert.deepEqual(p?.syscalls, [{ names: ["read"], action: "SCMP_ACT_ALLOW" }]);
  });
});

describe("Docker's profile format", () => {
  const goArch = arch() === "x64" ? "amd64" : arch();
  const profile = {
    defaultAction: "SCMP_ACT_ERRNO",
    defaultErrnoRet: 1,
    archMap: [
      { architecture: "SCMP_ARCH_X86_64", subArchitectures: ["SCMP_ARCH_X86", "SCMP_ARCH_X32"] },
      { architecture: "SCMP_ARCH_AARCH64", subArchitectures: ["SCMP_ARCH_ARM"] },
    ],
    syscalls: [
      { names: ["read", "write"], action: "SCMP_ACT_ALLOW" },
      { name: "legacy", action: "SCMP_ACT_ALLOW" },
      { names: ["mount"], action: "SCMP_ACT_ALLOW", includes: { caps: ["CAP_SYS_ADMIN"] } },
      { names: ["native"], action: "SCMP_ACT_ALLOW", includes: { arches: [goArch] } },
      { names: ["foreign"], action: "SCMP_ACT_ALLOW", includes: { arches: ["s390x"] } },
      { names: ["newkernel"], action: "SCMP_ACT_ALLOW", includes: { minKernel: "99.0" } },
      { names: ["oldkernel"], action: "SCMP_ACT_ALLOW", includes: { minKernel: "3.0" } },
      {
        names: ["clone"],
        action: "SCMP_ACT_ALLOW",
        args: [{ index: 0, value: 2114060288, valueTwo: 0, op: "SCMP_CMP_MASKED_EQ" }],
        excludes: { caps: ["CAP_SYS_ADMIN"] },
      },
      { names: ["kill"], action: "SCMP_ACT_ERRNO", errnoRet: 13 },
    ],
  };
  test("conditions on capabilities, arch and kernel; names and name; args and errnoRet", () => {
    const plain = seccompFromDockerProfile(JSON.stringify(profile), DEFAULT_CAPABILITIES);
    assert.equal(plain.defaultAction, "SCMP_ACT_ERRNO");
    assert.equal(plain.defaultErrnoRet, 1);
    if (arch() === "x64")
      assert.deepEqual(plain.architectures, ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]);
    assert.deepEqual(
      plain.syscalls?.map((r) => r.names.join(",")),
      ["read,write", "legacy", "native", "oldkernel", "clone", "kill"],
    );
    assert.deepEqual(plain.syscalls?.find((r) => r.names[0] === "clone")?.args, profile.syscalls[7]?.args);
    assert.equal(plain.syscalls?.at(-1)?.errnoRet, 13);
    const admin = seccompFromDockerProfile(JSON.stringify(profile), [
      ...DEFAULT_CAPABILITIES,
      "CAP_SYS_ADMIN",
    ]);
    const names = admin.syscalls?.map((r) => r.names[0]);
    assert.ok(names?.includes("mount"));
    assert.ok(!names?.includes("clone"), "excluded when the capability is held");
  });
  test("what does not parse is a 400 naming the problem", () => {
    assert.throws(() => seccompFromDockerProfile("{bad", []), /^Error: Decoding seccomp profile failed: /);
    assert.throws(() => seccompFromDockerProfile("{}", []), /defaultAction is required/);
    assert.throws(
      () => seccompFromDockerProfile(JSON.stringify({ defaultAction: "SCMP_ACT_ALLOW", syscalls: [{}] }), []),
      /a rule needs names and an action/,
    );
  });
});
