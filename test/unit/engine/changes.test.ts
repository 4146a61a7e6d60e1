import assert from "node:assert/strict";
import { test } from "node:test";
import { applyChanges } from "../../../src/engine/images/changes.ts";

test("import --change instructions alter the config like Docker", () => {
  const out = applyChanges({ Env: ["PATH=/bin", "A=0"] }, [
    'CMD ["sh", "-c", "echo hi"]',
    "ENTRYPOINT /bin/run me",
    'ENV A=1 B="two words"',
    "ENV C 3",
    "LABEL x=y",
    "EXPOSE 80 53/udp",
    "USER nobody",
    "WORKDIR /srv",
    "VOLUME /data",
    "STOPSIGNAL SIGINT",
    "ONBUILD RUN echo child",
    "onbuild COPY . /app",
  ]);
  assert.deepEqual(out.Cmd, ["sh", "-c", "echo hi"]);
  assert.deepEqual(out.Entrypoint, ["/bin/sh", "-c", "/bin/run me"]);
  assert.deepEqual(out.Env, ["PATH=/bin", "A=1", "B=two words", "C=3"]);
  assert.deepEqual(out.Labels, { x: "y" });
  assert.deepEqual(out.ExposedPorts, { "80/tcp": {}, "53/udp": {} });
  assert.equal(out.User, "nobody");
  assert.equal(out.WorkingDir, "/srv");
  assert.deepEqual(out.Volumes, { "/data": {} });
  assert.equal(out.StopSignal, "SIGINT");
  assert.deepEqual(out.OnBuild, ["RUN echo child", "COPY . /app"]);
});

test("HEALTHCHECK changes as Docker: exec and shell forms, durations in ns, NONE", () => {
  assert.deepEqual(applyChanges({}, ['HEALTHCHECK --interval=5s --retries=2 CMD ["true"]']).Healthcheck, {
    Test: ["CMD", "true"],
    Interval: 5_000_000_000,
    Retries: 2,
  });
  assert.deepEqual(
    applyChanges({}, ["HEALTHCHECK --timeout=1m30s --start-period=500ms CMD curl -f http://localhost/"])
      .Healthcheck,
    { Test: ["CMD-SHELL", "curl -f http://localhost/"], Timeout: 90_000_000_000, StartPeriod: 500_000_000 },
  );
  assert.deepEqual(applyChanges({}, ["HEALTHCHECK NONE"]).Healthcheck, { Test: ["NONE"] });
  assert.throws(() => applyChanges({}, ["HEALTHCHECK --bogus=1 CMD true"]), /^Error: Unknown flag: bogus$/);
  assert.throws(
    () => applyChanges({}, ["HEALTHCHECK --interval=5x CMD true"]),
    /time: unknown unit "x" in duration "5x"/,
  );
});

test("unknown instructions are refused", () => {
  assert.throws(() => applyChanges({}, ["RUN echo"]), /: run is not a valid change command$/);
  assert.throws(() => applyChanges({}, ["nonsense"]), /invalid change/);
});
