import assert from "node:assert/strict";
import { test } from "node:test";
import {
  buildHostnameFile,
  buildHostsFile,
  buildResolvConf,
  parseExtraHost,
  parseResolvConf,
} from "../../../../src/engine/runtime/etc-files.ts";

const DEFAULT_HOSTS =
  "127.0.0.1\tlocalhost\n" +
  "::1\tlocalhost ip6-localhost ip6-loopback\n" +
  "fe00::0\tip6-localnet\n" +
  "ff00::0\tip6-mcastprefix\n" +
  "ff02::1\tip6-allnodes\n" +
  "ff02::2\tip6-allrouters\n";

test("hosts: Docker's defaults, then the container's address", () => {
  assert.equal(buildHostsFile({ hostname: "abc" }), DEFAULT_HOSTS);
  assert.equal(
    buildHostsFile({ hostname: "abc", addresses: ["172.17.0.2"] }),
    `${DEFAULT_HOSTS}172.17.0.2\tabc\n`,
  );
});

test("hosts: fqdn and short name", () => {
  assert.equal(
    buildHostsFile({ hostname: "web", domainname: "example.com", addresses: ["10.0.0.5"] }),
    `${DEFAULT_HOSTS}10.0.0.5\tweb.example.com web\n`,
  );
  assert.equal(
    buildHostsFile({ hostname: "db.internal", addresses: ["10.0.0.6", "fd00::6"] }),
    `${DEFAULT_HOSTS}10.0.0.6\tdb.internal db\nfd00::6\tdb.internal db\n`,
  );
});

test("hosts: extra hosts before the container's own line", () => {
  const text = buildHostsFile({
    hostname: "abc",
    addresses: ["172.17.0.2"],
    extraHosts: ["foo:1.2.3.4", "v6:::1", "eq=5.6.7.8", "br:[fd00::1]", "gw:host-gateway"],
    hostGateway: ["172.17.0.1"],
  });
  assert.equal(
    text,
    `${DEFAULT_HOSTS}1.2.3.4\tfoo\n::1\tv6\n5.6.7.8\teq\nfd00::1\tbr\n172.17.0.1\tgw\n172.17.0.2\tabc\n`,
  );
});

test("hosts: without IPv6 only the IPv4 default remains", () => {
  assert.equal(buildHostsFile({ hostname: "abc", ipv6: false }), "127.0.0.1\tlocalhost\n");
});

test("hosts: host networking starts from the host's file", () => {
  assert.equal(
    buildHostsFile({
      hostname: "h",
      base: "127.0.0.1 localhost\n10.1.1.1 myhost",
      extraHosts: ["x:1.1.1.1"],
    }),
    "127.0.0.1 localhost\n10.1.1.1 myhost\n1.1.1.1\tx\n",
  );
  assert.equal(buildHostsFile({ hostname: "h", base: "" }), "");
});

test("extra host errors", () => {
  assert.throws(() => parseExtraHost("nohost", []), /bad format for add-host/);
  assert.throws(() => parseExtraHost(":1.2.3.4", []), /bad format for add-host/);
  assert.throws(() => parseExtraHost("a:notanip", []), /invalid IP address in add-host: "notanip"/);
  assert.throws(() => parseExtraHost("a:host-gateway", []), /host-gateway/);
  assert.deepEqual(parseExtraHost("a:host-gateway", ["10.0.0.1", "fd00::1"]), {
    name: "a",
    ips: ["10.0.0.1", "fd00::1"],
  });
});

test("hostname file", () => {
  assert.equal(buildHostnameFile("abc123"), "abc123\n");
});

test("parseResolvConf", () => {
  const rc = parseResolvConf(
    "# comment\n; other comment\nnameserver 10.0.0.1\nnameserver bogus\nnameserver ::1\n" +
      "domain old.example\nsearch a.example b.example\noptions ndots:2\noptions edns0\nsortlist 10.0.0.0/8\n",
  );
  assert.deepEqual(rc, {
    nameservers: ["10.0.0.1", "::1"],
    invalidNameservers: ["bogus"],
    search: ["a.example", "b.example"],
    options: ["ndots:2", "edns0"],
    other: ["sortlist 10.0.0.0/8"],
  });
});

const HOST = "nameserver 10.255.255.53\nsearch corp.example\noptions timeout:2\n";

test("resolv.conf for a plain network keeps routable servers", () => {
  const r = buildResolvConf({ hostResolvConf: HOST, comments: false });
  assert.equal(r.content, "nameserver 10.255.255.53\nsearch corp.example\noptions timeout:2\n");
  assert.deepEqual(r.nameservers, ["10.255.255.53"]);
  assert.deepEqual(r.extServers, []);
});

test("resolv.conf drops loopback servers and falls back to Google's only if none are left", () => {
  const some = buildResolvConf({
    hostResolvConf: "nameserver 127.0.0.53\nnameserver 10.0.0.2\nnameserver ::1\n",
    comments: false,
  });
  assert.deepEqual(some.nameservers, ["10.0.0.2"]);
  const none = buildResolvConf({ hostResolvConf: "nameserver 127.0.0.53\nsearch lan\n", comments: false });
  assert.equal(none.content, "nameserver 8.8.8.8\nnameserver 8.8.4.4\nsearch lan\n");
  const none6 = buildResolvConf({ hostResolvConf: "nameserver 127.0.0.1\n", ipv6: true, comments: false });
  assert.deepEqual(none6.nameservers, ["8.8.8.8", "8.8.4.4", "2001:4860:4860::8888", "2001:4860:4860::8844"]);
  assert.deepEqual(buildResolvConf({ hostResolvConf: null, comments: false }).nameservers, [
    "8.8.8.8",
    "8.8.4.4",
  ]);
});

test("resolv.conf drops IPv6 servers unless the container has IPv6", () => {
  const text = "nameserver 10.0.0.2\nnameserver 2001:db8::53\n";
  assert.deepEqual(buildResolvConf({ hostResolvConf: text, comments: false }).nameservers, ["10.0.0.2"]);
  assert.deepEqual(buildResolvConf({ hostResolvConf: text, ipv6: true, comments: false }).nameservers, [
    "10.0.0.2",
    "2001:db8::53",
  ]);
});

test("resolv.conf for host networking is the host's, loopback included", () => {
  const r = buildResolvConf({
    hostResolvConf: "nameserver 127.0.0.53\n",
    hostNetwork: true,
    comments: false,
  });
  assert.equal(r.content, "nameserver 127.0.0.53\n");
});

test("resolv.conf overrides: Dns, DnsSearch, DnsOptions", () => {
  const r = buildResolvConf({
    hostResolvConf: HOST,
    dns: ["1.1.1.1", "127.0.0.1"],
    dnsSearch: ["x.example", "y.example"],
    dnsOptions: ["ndots:3", "rotate"],
    comments: false,
  });
  // an explicit --dns is used as given, loopback too
  assert.equal(
    r.content,
    "nameserver 1.1.1.1\nnameserver 127.0.0.1\nsearch x.example y.example\noptions ndots:3 rotate\n",
  );
  const dot = buildResolvConf({ hostResolvConf: HOST, dnsSearch: ["."], comments: false });
  assert.equal(dot.content, "nameserver 10.255.255.53\noptions timeout:2\n");
  assert.throws(() => buildResolvConf({ hostResolvConf: HOST, dns: ["nope"] }), /nope is not an ip address/);
});

test("resolv.conf with an embedded DNS server", () => {
  const r = buildResolvConf({
    hostResolvConf: "nameserver 127.0.0.53\nnameserver 10.0.0.2\nsearch corp.example\noptions edns0\n",
    embeddedDns: "127.0.0.11",
    comments: false,
  });
  assert.equal(r.content, "nameserver 127.0.0.11\nsearch corp.example\noptions edns0 ndots:0\n");
  assert.deepEqual(r.nameservers, ["127.0.0.11"]);
  assert.deepEqual(r.extServers, [
    { address: "127.0.0.53", hostLoopback: true },
    { address: "10.0.0.2", hostLoopback: true },
  ]);
  // a valid ndots from the host is kept; an invalid one is replaced
  const kept = buildResolvConf({
    hostResolvConf: "options ndots:2\n",
    embeddedDns: "127.0.0.11",
    comments: false,
  });
  assert.equal(kept.content, "nameserver 127.0.0.11\noptions ndots:2\n");
  const bad = buildResolvConf({
    hostResolvConf: "options ndots:x\n",
    embeddedDns: "127.0.0.11",
    comments: false,
  });
  assert.equal(bad.content, "nameserver 127.0.0.11\noptions ndots:0\n");
  // --dns servers are forwarded to from the container's namespace
  const over = buildResolvConf({
    hostResolvConf: HOST,
    dns: ["9.9.9.9"],
    embeddedDns: "127.0.0.11",
    comments: false,
  });
  assert.deepEqual(over.extServers, [{ address: "9.9.9.9", hostLoopback: false }]);
  const empty = buildResolvConf({ hostResolvConf: "", embeddedDns: "127.0.0.11", comments: false });
  assert.deepEqual(
    empty.extServers.map((s) => s.address),
    ["8.8.8.8", "8.8.4.4"],
  );
});

test("resolv.conf comments say how it was made", () => {
  const r = buildResolvConf({
    hostResolvConf: "nameserver 127.0.0.53\nnameserver bad\n",
    embeddedDns: "127.0.0.11",
    dnsSearch: ["s.example"],
  });
  assert.equal(
    r.content,
    "# Generated by wharf.\n\n" +
      "nameserver 127.0.0.11\nsearch s.example\noptions ndots:0\n\n" +
      "# Based on host file: '/etc/resolv.conf' (internal resolver)\n" +
      "# ExtServers: [host(127.0.0.53)]\n" +
      "# Invalid nameservers: [bad]\n" +
      "# Overrides: [search]\n" +
      "# Option ndots from: internal\n",
  );
  const legacy = buildResolvConf({
    hostResolvConf: "nameserver 127.0.0.1\n",
    sourcePath: "/run/resolv.conf",
  });
  assert.match(
    legacy.content,
    /# Based on host file: '\/run\/resolv.conf' \(legacy\)\n# Used default nameservers.\n/,
  );
});
