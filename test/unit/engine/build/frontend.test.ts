// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfile ${VAR} syntax is what these tests are about
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { unsafeEntry } from "../../../../src/engine/build/context-index.ts";
import {
  DockerfileError,
  parseDockerfile,
  parseNameValues,
} from "../../../../src/engine/build/dockerfile.ts";
import { parseRunMount } from "../../../../src/engine/build/run-mounts.ts";
import {
  expandHeredoc,
  expandWord,
  expandWords,
  SubstitutionError,
} from "../../../../src/engine/build/shell-lex.ts";
import {
  applyMetadata,
  argsPrefix,
  newState,
  runEnv,
  substitutionEnv,
} from "../../../../src/engine/build/state.ts";

const env = new Map([
  ["A", "apple"],
  ["E", ""],
  ["SP", "a b"],
]);

describe("variable substitution (Docker's shell lexer rules)", () => {
  const cases: Array<[string, string]> = [
    ["$A", "apple"],
    ["${A}", "apple"],
    ["x${A}y", "xappley"],
    ["$NOPE", ""],
    ["${NOPE:-def}", "def"],
    ["${E:-def}", "def"],
    ["${E-def}", ""],
    ["${NOPE-def}", "def"],
    ["${A:+alt}", "alt"],
    ["${E:+alt}", ""],
    ["${E+alt}", "alt"],
    ["${NOPE:-$A}", "apple"],
    ["'$A'", "$A"],
    ['"$A"', "apple"],
    ["\\$A", "$A"],
    ['"a\\"b"', 'a"b'],
    ['"a\\b"', "a\\b"],
    ["$", "$"],
    ["$1x", "x"],
  ];
  for (const [input, want] of cases) {
    it(`${input} → ${JSON.stringify(want)}`, () => assert.equal(expandWord(input, env), want));
  }

  it("splits words only outside quotes, after expansion", () => {
    assert.deepEqual(expandWords(`$SP "x y" 'z  w'`, env), ["a", "b", "x y", "z  w"]);
  });

  it("honours a custom escape character", () => {
    assert.equal(expandWord("`$A", env, "`"), "$A");
  });

  it("refuses ${VAR:?msg} when unset and unterminated quotes", () => {
    assert.throws(() => expandWord("${NOPE:?must be set}", env), /NOPE: must be set/);
    assert.throws(() => expandWord('"abc', env), SubstitutionError);
    assert.throws(() => expandWord("${A", env), SubstitutionError);
  });
});

describe("Dockerfile parsing", () => {
  it("groups stages, meta ARGs, flags and continuations", () => {
    const df = parseDockerfile(
      [
        "ARG BASE=busybox",
        "FROM --platform=linux/amd64 ${BASE} AS Build",
        "RUN echo a \\",
        "  # a comment inside",
        "  && echo b",
        "COPY --from=build --chown=1:2 a /b",
        "FROM scratch",
        "COPY --from=build /x /y",
      ].join("\n"),
    );
    assert.equal(df.metaArgs.length, 1);
    assert.equal(df.stages.length, 2);
    const [build, final] = df.stages;
    assert.equal(build?.name, "build");
    assert.equal(build?.from.flags.get("platform"), "linux/amd64");
    assert.equal(build?.steps[0]?.original, "RUN echo a   && echo b");
    assert.equal(build?.steps[1]?.flags.get("chown"), "1:2");
    assert.equal(final?.base, "scratch");
  });

  it("rejects unknown instructions and flags with Docker's messages", () => {
    assert.throws(
      () => parseDockerfile("FROM busybox\nFROBNICATE x\n"),
      (err: Error) =>
        err instanceof DockerfileError &&
        err.message === "dockerfile parse error on line 2: unknown instruction: FROBNICATE",
    );
    assert.throws(() => parseDockerfile("FROM busybox\nCOPY --bogus=1 a b\n"), /Unknown flag: bogus/);
    assert.throws(() => parseDockerfile("RUN echo\n"), /no build stage/);
    assert.throws(
      () => parseDockerfile("FROM busybox\nRUN --network=none true\n"),
      /line 2: the --network option requires BuildKit/,
    );
    assert.throws(() => parseDockerfile("FROM a AS x\nFROM b AS x\n"), /duplicate name x/);
  });

  it("splits ENV/LABEL pairs keeping quotes, and the legacy form", () => {
    assert.deepEqual(parseNameValues("ENV", `A=1 B="x y" C='z'`, "\\"), [
      ["A", "1"],
      ["B", '"x y"'],
      ["C", "'z'"],
    ]);
    assert.deepEqual(parseNameValues("ENV", "KEY some value", "\\"), [["KEY", "some value"]]);
  });
});

describe("metadata instructions", () => {
  const ins = (keyword: string, args: string, flags = new Map<string, string | null>()) => ({
    keyword,
    args,
    flags,
    original: `${keyword} ${args}`,
    line: 1,
  });

  it("ENV expands with earlier values, ARG takes build args, ENV shadows ARG", () => {
    const st = newState({ Env: ["PATH=/bin"] }, "sha256:x", "\\");
    const used = new Set<string>();
    const buildArgs = new Map([["VERSION", "2"]]);
    applyMetadata(st, ins("ARG", "VERSION=1 OTHER=o"), buildArgs, new Map(), used);
    assert.deepEqual([...used], ["VERSION"]);
    assert.equal(
      applyMetadata(st, ins("ENV", 'V=$VERSION W="${OTHER}-x"'), buildArgs, new Map(), used),
      "ENV V=2 W=o-x",
    );
    assert.deepEqual(st.config.Env, ["PATH=/bin", "V=2", "W=o-x"]);
    assert.equal(substitutionEnv(st).get("V"), "2");
    assert.deepEqual(runEnv(st), ["PATH=/bin", "V=2", "W=o-x", "VERSION=2", "OTHER=o"]);
    assert.deepEqual(argsPrefix(st), ["|2", "OTHER=o", "VERSION=2"]);
  });

  it("CMD/ENTRYPOINT forms, EXPOSE ranges, WORKDIR relative, VOLUME, HEALTHCHECK", () => {
    const st = newState({ Cmd: ["sh"] }, "sha256:x", "\\");
    assert.deepEqual(st.config.Env, ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]);
    const none = new Map<string, string>();
    applyMetadata(st, ins("ENTRYPOINT", '["/bin/app"]'), none, none, new Set());
    assert.equal(st.config.Cmd, null, "ENTRYPOINT drops an inherited CMD");
    assert.equal(
      applyMetadata(st, ins("CMD", "echo hi"), none, none, new Set()),
      'CMD ["/bin/sh" "-c" "echo hi"]',
    );
    applyMetadata(st, ins("EXPOSE", "80 53/udp 8000-8001"), none, none, new Set());
    assert.deepEqual(Object.keys(st.config.ExposedPorts ?? {}), ["80/tcp", "53/udp", "8000/tcp", "8001/tcp"]);
    applyMetadata(st, ins("WORKDIR", "/a"), none, none, new Set());
    applyMetadata(st, ins("WORKDIR", "b"), none, none, new Set());
    assert.equal(st.config.WorkingDir, "/a/b");
    applyMetadata(st, ins("VOLUME", '["/data", "/logs"]'), none, none, new Set());
    assert.deepEqual(Object.keys(st.config.Volumes ?? {}), ["/data", "/logs"]);
    applyMetadata(
      st,
      ins(
        "HEALTHCHECK",
        "CMD true",
        new Map([
          ["interval", "5s"],
          ["retries", "3"],
        ]),
      ),
      none,
      none,
      new Set(),
    );
    assert.deepEqual(st.config.Healthcheck, { Test: ["CMD-SHELL", "true"], Interval: 5e9, Retries: 3 });
    applyMetadata(st, ins("SHELL", '["/bin/ash", "-eo"]'), none, none, new Set());
    assert.equal(applyMetadata(st, ins("CMD", "x"), none, none, new Set()), 'CMD ["/bin/ash" "-eo" "x"]');
    assert.throws(
      () => applyMetadata(st, ins("ONBUILD", "ONBUILD RUN x"), none, none, new Set()),
      /Chaining/,
    );
  });
});

describe("context tar safety", () => {
  it("refuses paths and hard links that leave the context", () => {
    assert.match(unsafeEntry("../x", "file", undefined) ?? "", /escapes/);
    assert.match(unsafeEntry("a/../../x", "file", undefined) ?? "", /escapes/);
    assert.match(unsafeEntry("/etc/passwd", "file", undefined) ?? "", /escapes/);
    assert.match(unsafeEntry("ok", "link", "../../etc/shadow") ?? "", /hard link/);
    assert.equal(unsafeEntry("a/b/../c", "file", undefined), undefined);
    assert.equal(unsafeEntry("link", "symlink", "/etc/passwd"), undefined);
  });
});

describe("heredocs (Dockerfile syntax 1.4+)", () => {
  it("splits RUN/COPY heredoc bodies from the instruction line; <<- strips tabs; quotes disable expansion", () => {
    const df = parseDockerfile(
      [
        "FROM busybox",
        "RUN <<EOF",
        "echo a",
        "EOF",
        "RUN python3 <<-A <<B",
        "\tx",
        "\tA",
        "\ty",
        "B",
        'COPY <<"RAW" <<X /six/',
        "raw $V",
        "RAW",
        "X",
        "RUN echo after",
      ].join("\n"),
    );
    const [one, two, copy, after] = df.stages[0]?.steps ?? [];
    assert.equal(one?.args, "<<EOF");
    assert.equal(one?.original, "RUN <<EOF");
    assert.deepEqual(one?.heredocs, [{ name: "EOF", chomp: false, expand: true, content: "echo a\n" }]);
    assert.equal(two?.args, "python3 <<-A <<B");
    assert.deepEqual(
      two?.heredocs?.map((h) => [h.name, h.content, h.chomp]),
      [
        ["A", "x\n", true],
        ["B", "\ty\n", false],
      ],
    );
    assert.equal(two?.source, "python3 <<-A <<B\n\tx\n\tA\n\ty\nB");
    assert.equal(copy?.args, '<<"RAW" <<X /six/');
    assert.deepEqual(
      copy?.heredocs?.map((h) => [h.name, h.content, h.expand]),
      [
        ["RAW", "raw $V\n", false],
        ["X", "", true],
      ],
    );
    assert.equal(after?.args, "echo after");
    assert.equal(after?.heredocs, undefined);
  });

  it("refuses an unterminated heredoc; exec form and `<<` inside words are not heredocs", () => {
    assert.throws(() => parseDockerfile("FROM busybox\nRUN <<EOF\necho x\n"), /unterminated heredoc EOF/);
    const df = parseDockerfile('FROM busybox\nRUN ["sh", "-c", "cat <<EOF"]\nRUN echo a<<b\n');
    assert.equal(df.stages[0]?.steps[0]?.heredocs, undefined);
    assert.equal(df.stages[0]?.steps[1]?.heredocs, undefined);
  });

  it("expands variables in an unquoted heredoc body, leaving quotes and escaped dollars", () => {
    assert.equal(expandHeredoc(`say "$A" '\${A}' \\$A $NOPE.\n`, env), `say "apple" 'apple' $A .\n`);
  });
});

describe("heredocs with a file descriptor (3<<EOF)", () => {
  it("keeps the descriptor in the command and the body out of the instruction list", () => {
    const parsed = parseDockerfile(
      [
        "FROM busybox",
        "RUN cat <&3 3<<EOF && cat <<B",
        "fd body",
        "EOF",
        "plain",
        "B",
        "COPY 5<<X /x",
        "x",
        "X",
      ].join("\n"),
    );
    const [run, copy] = parsed.stages[0]?.steps ?? [];
    assert.equal(run?.args, "cat <&3 3<<EOF && cat <<B");
    assert.equal(run?.original, "RUN cat <&3 3<<EOF && cat <<B");
    assert.deepEqual(
      run?.heredocs?.map((h) => [h.name, h.content]),
      [
        ["EOF", "fd body\n"],
        ["B", "plain\n"],
      ],
    );
    assert.match(run?.source ?? "", /^cat <&3 3<<EOF && cat <<B\nfd body\nEOF\nplain\nB/);
    assert.equal(copy?.args, "5<<X /x");
    assert.equal(parsed.stages[0]?.steps.length, 2);
  });
});

describe("RUN --mount options", () => {
  it("parses cache mounts with their defaults (id = target, shared, rw, 0755)", () => {
    assert.deepEqual(parseRunMount("type=cache,target=/root/.cache"), {
      type: "cache",
      target: "/root/.cache",
      id: "/root/.cache",
      sharing: "shared",
      readOnly: false,
      mode: 0o755,
      uid: 0,
      gid: 0,
    });
    const c = parseRunMount("type=cache,dst=/c,id=pip,sharing=locked,mode=0700,uid=1000,gid=1001,ro");
    assert.deepEqual(c, {
      type: "cache",
      target: "/c",
      id: "pip",
      sharing: "locked",
      readOnly: true,
      mode: 0o700,
      uid: 1000,
      gid: 1001,
    });
    assert.deepEqual(
      parseRunMount("type=cache,target=/c,from=deps,source=/root/.npm") as { from?: string; source?: string },
      { ...parseRunMount("type=cache,target=/c"), from: "deps", source: "/root/.npm" },
    );
  });

  it("parses bind mounts: read-only unless rw, from=context means the context", () => {
    assert.deepEqual(parseRunMount("target=/src"), {
      type: "bind",
      target: "/src",
      source: "/",
      readOnly: true,
    });
    assert.deepEqual(parseRunMount("type=bind,from=build,source=/out,target=/in,rw"), {
      type: "bind",
      target: "/in",
      source: "/out",
      from: "build",
      readOnly: false,
    });
    assert.equal(
      (parseRunMount("type=bind,from=context,src=a,target=/a") as { from?: string }).from,
      undefined,
    );
  });

  it("refuses secret/ssh clearly, unknown keys, bad sharing and a missing target", () => {
    assert.throws(() => parseRunMount("type=secret,id=tok"), /type=secret is not supported/);
    assert.throws(() => parseRunMount("type=ssh"), /type=ssh is not supported/);
    assert.throws(() => parseRunMount("type=cache,target=/c,bogus=1"), /unexpected key 'bogus'/);
    assert.throws(() => parseRunMount("type=cache,target=/c,sharing=wild"), /unsupported sharing value/);
    assert.throws(() => parseRunMount("type=cache"), /mount target is required/);
    assert.throws(() => parseRunMount("type=cache,target=/"), /not allowed/);
  });

  it("collects repeated --mount flags on RUN", () => {
    const df = parseDockerfile("FROM busybox\nRUN --mount=type=cache,target=/a --mount=target=/b true\n");
    assert.deepEqual(df.stages[0]?.steps[0]?.mounts, ["type=cache,target=/a", "target=/b"]);
  });
});
