// ADD <url>: which sources are remote, and the file name Docker gives a download.
import assert from "node:assert/strict";
import { test } from "node:test";
import { fileName, isRemoteUrl } from "../../../../src/engine/build/remote.ts";

test("only http:// and https:// sources are downloaded (Docker's urlutil.IsURL)", () => {
  assert.equal(isRemoteUrl("http://h/x"), true);
  assert.equal(isRemoteUrl("https://h/x"), true);
  for (const local of ["ftp://h/x", "git://h/x", "HTTP://h/x", "http:/x", "dir/http://x", "x.txt"])
    assert.equal(isRemoteUrl(local), false, local);
});

test("the name: the URL path's last segment, else Content-Disposition's, else none", () => {
  const name = (url: string, disposition = "") => fileName(new URL(url), disposition);
  assert.equal(name("http://h/a/b/file.tar.gz?x=1#f"), "file.tar.gz");
  assert.equal(name("http://h/a/with%20space.txt"), "with space.txt");
  assert.equal(name("http://h/a/%2e%2e"), "", "a '..' name is no name");
  assert.equal(name("http://h/dir/", 'attachment; filename="sub/named.txt"'), "named.txt");
  assert.equal(name("http://h/dir/", "attachment; filename=plain.bin"), "plain.bin");
  assert.equal(name("http://h/dir/", 'attachment; filename="x\\"y.txt"'), 'x"y.txt');
  assert.equal(name("http://h/dir/", 'attachment; filename="dir/"'), "");
  assert.equal(name("http://h/dir/", 'attachment; filename=".."'), "");
  assert.equal(name("http://h/dir/"), "");
  assert.equal(name("http://h"), "");
  assert.equal(name("http://h/real.txt", 'attachment; filename="other.txt"'), "real.txt");
});
