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
});

test("unknown instructions are refused", () => {
  assert.throws(() => applyChanges({}, ["RUN echo"]), /: run is not a valid change command$/);
  assert.throws(() => applyChanges({}, ["nonsense"]), /invalid change/);
});
