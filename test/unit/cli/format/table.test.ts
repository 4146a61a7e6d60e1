import assert from "node:assert/strict";
import { test } from "node:test";
import { portsColumn, shortenCommand, truncateId } from "../../../../src/cli/format/humanize.ts";
import { formatRows, tabulate } from "../../../../src/cli/format/table.ts";
import { tabwrite } from "../../../../src/cli/format/tabwriter.ts";

test("tabulate aligns columns like tabwriter(10, 1, 3, ' ', 0)", () => {
  assert.equal(tabulate(["ID\tNAME", "abc\tverylongname"]), "ID        NAME\nabc       verylongname\n");
  assert.equal(
    tabulate(["a-fairly-long-cell\tb", "x\ty"]),
    "a-fairly-long-cell   b\nx                    y\n",
  );
  assert.equal(tabulate([]), "");
});

test("tabwriter rules: the last cell is in no column, blocks end at lines with fewer cells", () => {
  // Go's own documentation example: b and c are in distinct columns, d and e in none.
  assert.equal(
    tabwrite("aaaa\tbbb\td\naa\tb\tdd\na\t\naa\tcccc\teee\n"),
    "aaaa      bbb       d\naa        b         dd\na         \naa        cccc      eee\n",
  );
  // A line without a tab flushes: the columns below are sized on their own.
  assert.equal(
    tabwrite("col1\tcol2\nr1\tr2\nsingle\nr3-is-long\tr4\n"),
    "col1      col2\nr1        r2\nsingle\nr3-is-long   r4\n",
  );
  // Text after the last newline is written as is; an empty cell still gets padded.
  assert.equal(tabwrite("\t\tx\n\ty\n"), "                    x\n          y\n");
  assert.equal(tabwrite("x\ty\tz"), "x         y         z");
  // Wide characters count two columns.
  assert.equal(tabwrite("日本語名前\tA\nabc\tB\n"), "日本語名前   A\nabc          B\n");
});

// Rows shaped like docker's ContainerContext for three containers; every expected output
// below was printed by the docker 28.2 CLI for the same containers.
const labels: Array<Record<string, string>> = [{ "com.example.team": "x", b: "2" }, {}, {}];
const rows = [
  {
    ID: truncateId("sha256abcdef0123456789abcdef0123456789abcdef0123456789abcdef012345"),
    Image: "nginx:latest",
    Command: shortenCommand("/docker-entrypoint.sh nginx -g 'daemon off;'"),
    RunningFor: "3 years ago",
    Status: "Up 5 minutes",
    Ports: portsColumn([
      { IP: "0.0.0.0", PrivatePort: 80, PublicPort: 8080, Type: "tcp" },
      { IP: "::", PrivatePort: 80, PublicPort: 8080, Type: "tcp" },
      { PrivatePort: 443, Type: "tcp" },
      { PrivatePort: 444, Type: "tcp" },
      { PrivatePort: 445, Type: "tcp" },
      { PrivatePort: 53, Type: "udp" },
      { IP: "0.0.0.0", PrivatePort: 9000, PublicPort: 9000, Type: "tcp" },
      { IP: "0.0.0.0", PrivatePort: 9001, PublicPort: 9001, Type: "tcp" },
      { IP: "0.0.0.0", PrivatePort: 9003, PublicPort: 9003, Type: "tcp" },
      { IP: "127.0.0.1", PrivatePort: 22, PublicPort: 2222, Type: "tcp" },
    ]),
    Names: "web",
    Labels: "b=2,com.example.team=x",
    State: "running",
  },
  {
    ID: truncateId("ffff0123456789abcdef"),
    Image: "alpine",
    Command: shortenCommand("sh -c 'echo hi'"),
    RunningFor: "6 years ago",
    Status: "Exited (0) 2 days ago",
    Ports: portsColumn([]),
    Names: "a_very_long_container_name_here",
    Labels: "",
    State: "exited",
  },
  {
    ID: truncateId("eeee"),
    Image: "busybox",
    Command: shortenCommand('echo "quoted" \\ back'),
    RunningFor: "6 years ago",
    Status: "Created",
    Ports: portsColumn([
      { PrivatePort: 8080, Type: "tcp" },
      { PrivatePort: 8081, Type: "tcp" },
      { PrivatePort: 8082, Type: "tcp" },
    ]),
    Names: "日本語名前",
    Labels: "",
    State: "created",
  },
].map((r, i) => ({ ...r, Label: (name: string) => labels[i]![name] ?? "" }));

const headers = {
  ID: "CONTAINER ID",
  Image: "IMAGE",
  Command: "COMMAND",
  RunningFor: "CREATED",
  Status: "STATUS",
  Ports: "PORTS",
  Names: "NAMES",
  Labels: "LABELS",
  State: "STATE",
};
const DEFAULT =
  "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}";

test("docker ps default table", () => {
  const expected =
    "CONTAINER ID   IMAGE          COMMAND                     CREATED       STATUS                  PORTS                                                                                                                                            NAMES\n" +
    'sha256abcdef   nginx:latest   "/docker-entrypoint.…"      3 years ago   Up 5 minutes            0.0.0.0:9000-9001->9000-9001/tcp, 53/udp, 443-445/tcp, 0.0.0.0:9003->9003/tcp, 127.0.0.1:2222->22/tcp, 0.0.0.0:8080->80/tcp, [::]:8080->80/tcp   web\n' +
    "ffff01234567   alpine         \"sh -c 'echo hi'\"           6 years ago   Exited (0) 2 days ago                                                                                                                                                    a_very_long_container_name_here\n" +
    'eeee           busybox        "echo \\"quoted\\" \\\\ back"   6 years ago   Created                 8080-8082/tcp                                                                                                                                    日本語名前\n';
  assert.equal(formatRows(undefined, DEFAULT, headers, rows), expected);
  assert.equal(formatRows("table", DEFAULT, headers, rows), expected);
  assert.equal(formatRows("", DEFAULT, headers, rows), expected);
});

test("custom table: header functions pass titles through, .Label titles by the last part", () => {
  assert.equal(
    formatRows(
      'table {{.Names}}\\t{{upper .Image}}\\t{{.Label "com.example.team"}}\\t{{json .Labels}}',
      DEFAULT,
      headers,
      rows,
    ),
    "NAMES                             IMAGE          team      LABELS\n" +
      'web                               NGINX:LATEST   x         "b=2,com.example.team=x"\n' +
      'a_very_long_container_name_here   ALPINE                   ""\n' +
      '日本語名前                        BUSYBOX                  ""\n',
  );
  // len is not a header function: the header shows the length of the title.
  assert.equal(
    formatRows("table {{.Names}}\\t{{len .Names}}\\t{{.Names | len}}", DEFAULT, headers, rows),
    "NAMES                             5         5\nweb                               3         3\n" +
      "a_very_long_container_name_here   31        31\n日本語名前                        15        15\n",
  );
});

test("a \\n inside a table row splits it, and single-cell lines break the column blocks", () => {
  assert.equal(
    formatRows("table {{.ID}}\\t{{.Status}}\\n{{.Names}}", DEFAULT, headers, rows),
    "CONTAINER ID   STATUS\nNAMES\nsha256abcdef   Up 5 minutes\nweb\nffff01234567   Exited (0) 2 days ago\n" +
      "a_very_long_container_name_here\neeee      Created\n日本語名前\n",
  );
  assert.equal(
    formatRows("table {{.ID}}", DEFAULT, headers, rows),
    "CONTAINER ID\nsha256abcdef\nffff01234567\neeee\n",
  );
});

test("plain templates print one line per row, without a header", () => {
  assert.equal(
    formatRows("{{.ID}}: {{.Names}}", DEFAULT, headers, rows),
    "sha256abcdef: web\nffff01234567: a_very_long_container_name_here\neeee: 日本語名前\n",
  );
  assert.equal(formatRows("{{.Names}}\\t{{.ID}}", DEFAULT, headers, rows.slice(0, 1)), "web\tsha256abcdef\n");
  assert.equal(formatRows("{{.ID}}", DEFAULT, headers, []), "");
});

test("json: one object per row with sorted keys and json.Marshal's HTML escaping", () => {
  const out = formatRows("json", DEFAULT, headers, rows.slice(0, 1));
  assert.equal(
    out,
    '{"Command":"\\"/docker-entrypoint.…\\"","ID":"sha256abcdef","Image":"nginx:latest","Labels":"b=2,com.example.team=x","Names":"web",' +
      '"Ports":"0.0.0.0:9000-9001-\\u003e9000-9001/tcp, 53/udp, 443-445/tcp, 0.0.0.0:9003-\\u003e9003/tcp, 127.0.0.1:2222-\\u003e22/tcp, 0.0.0.0:8080-\\u003e80/tcp, [::]:8080-\\u003e80/tcp",' +
      '"RunningFor":"3 years ago","State":"running","Status":"Up 5 minutes"}\n',
  );
  assert.equal(formatRows("{{json .}}", DEFAULT, headers, rows.slice(0, 1)), out);
  // Values inside a row are encoded by the template function as usual: no HTML escaping.
  assert.equal(formatRows("{{json .Ports}}", DEFAULT, headers, rows.slice(2)), '"8080-8082/tcp"\n');
});

test("quiet prints only the IDs, whatever the format", () => {
  assert.equal(
    formatRows(undefined, DEFAULT, headers, rows, { quiet: true }),
    "sha256abcdef\nffff01234567\neeee\n",
  );
  assert.equal(
    formatRows("json", DEFAULT, headers, rows, { quiet: true }),
    "sha256abcdef\nffff01234567\neeee\n",
  );
  assert.equal(
    formatRows("table", DEFAULT, headers, [{ Name: "vol" }], { quiet: true, quietFormat: "{{.Name}}" }),
    "vol\n",
  );
});

test("errors read as docker's", () => {
  assert.throws(() => formatRows("{{.ID", DEFAULT, headers, rows), {
    message: "failed to parse template: template: :1: unclosed action",
  });
  assert.throws(() => formatRows("{{foo .ID}}", DEFAULT, headers, rows), {
    message: 'failed to parse template: template: :1: function "foo" not defined',
  });
  assert.throws(() => formatRows('{{printf "%d" .ID | upper 3}}', DEFAULT, headers, rows), {
    message:
      'failed to execute template: template: :1:20: executing "" at <upper>: wrong number of args for upper: want 1 got 2',
  });
});
