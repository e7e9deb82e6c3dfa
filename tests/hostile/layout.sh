#!/usr/bin/env bash
# Hostile packages, part 2: what the file list does.  Symlink then file
# (checklist 3), the same path twice (6), odd hardlink sets (7, 8), device
# nodes (15), setuid and capabilities (16), long paths and deep nesting (18),
# a package that is not what the repository metadata says, and weird names.
# Each case: a correct image or one `mkbase: ...` line, and nothing outside
# the staging root (lib/hostile.sh).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib/hostile.sh"
command -v python3 >/dev/null || { echo "# SKIP: needs python3"; exit 77; }
check "mkbase binary exists ($MKBASE)" -- test -x "$MKBASE" || exit 1
S=${SENT#/}
export TOP

# ---- 3. symlink, then a file through it -------------------------------------------
pkg sym-across "{\"name\":\"linker\",\"files\":[{\"path\":\"/d\",\"type\":\"symlink\",\"target\":\"$SENT\"},
  {\"path\":\"/r\",\"type\":\"symlink\",\"target\":\"$UP/outside\"}]}"
pkg sym-across '{"name":"writer","requires":["linker"],"files":[{"path":"/d/passwd","content":"pwned"},{"path":"/r/passwd","content":"pwned"}]}'
build sym-across "linker writer"
expect_image sym-across "one package's /d -> $SENT and /r -> ../../outside, another's /d/passwd and /r/passwd"
tar_has sym-across "./$S/passwd" && tar_has sym-across ./outside/passwd
ok $? "sym-across: the files went to ./$S/passwd and ./outside/passwd inside the image"

pkg sym-within "{\"name\":\"symwithin\",\"files\":[{\"path\":\"/d\",\"type\":\"symlink\",\"target\":\"$SENT\"},{\"path\":\"/d/passwd\",\"content\":\"pwned\"},
  {\"path\":\"/e\",\"type\":\"symlink\",\"target\":\"$UP/outside\"},{\"path\":\"/e/passwd\",\"content\":\"pwned\"}]}"
build sym-within symwithin
either sym-within "symlink then file in one package" sh -c "grep -qxF './$S/passwd' '$T/sym-within/list' && grep -qxF ./outside/passwd '$T/sym-within/list'"

# The payload sends the file before the symlink (cpio order need not be the
# header's): the header's order decides, the result is the same.
pkg sym-order "{\"name\":\"symorder\",\"files\":[{\"path\":\"/d\",\"type\":\"symlink\",\"target\":\"$SENT\"},{\"path\":\"/d/passwd\",\"content\":\"pwned\"}],
  \"payload\":[{\"name\":\"./d/passwd\",\"data\":\"pwned\"},{\"name\":\"./d\",\"mode\":41471,\"data\":\"$SENT\"}]}"
build sym-order symorder
either sym-order "file first in the payload, symlink second" tar_has sym-order "./$S/passwd"

# A symlink chain: /a -> b, /b -> /c/.., /c -> host dir.
pkg sym-chain "{\"name\":\"symchain\",\"files\":[{\"path\":\"/a\",\"type\":\"symlink\",\"target\":\"b/x\"},{\"path\":\"/b\",\"type\":\"symlink\",\"target\":\"$UP$SENT\"},
  {\"path\":\"/a/f\",\"content\":\"pwned\"}]}"
build sym-chain symchain
either sym-chain "a chain of relative symlinks climbing out" tar_has sym-chain "./$S/x/f"

# ---- 6. the same path twice -----------------------------------------------------------
pkg dup-dirlink "{\"name\":\"dupdirlink\",\"files\":[{\"path\":\"/d\",\"type\":\"dir\",\"perm\":\"700\"},{\"path\":\"/d\",\"type\":\"symlink\",\"target\":\"$SENT\"}]}"
build dup-dirlink dupdirlink
expect_reject dup-dirlink "twice" "directory /d then symlink /d -> $SENT in one package"

pkg dup-across '{"name":"dirpkg","files":[{"path":"/d","type":"dir","perm":"1777"}]}'
pkg dup-across "{\"name\":\"linkpkg\",\"requires\":[\"dirpkg\"],\"files\":[{\"path\":\"/d\",\"type\":\"symlink\",\"target\":\"$SENT\"}]}"
build dup-across "dirpkg linkpkg"
expect_reject dup-across "conflict.*/d .*different file types" "directory /d (mode 1777) in one package, symlink /d -> $SENT in the next"

pkg dup-file '{"name":"dupfile","files":[{"path":"/x","content":"one"},{"path":"/x","content":"two"}]}'
build dup-file dupfile
expect_reject dup-file "twice" "the same file twice in the header"

pkg dup-payload '{"name":"duppayload","files":[{"path":"/x","content":"one"}],"payload_extra":[{"name":"./x","data":"two"}]}'
build dup-payload duppayload
expect_reject dup-payload "twice" "the header's file twice in the payload"

pkg dup-norm '{"name":"dupnorm","files":[{"path":"/usr","type":"dir"},{"path":"/x","content":"one"},{"dirname":"/usr/../","basename":"x","content":"two"}]}'
build dup-norm dupnorm
expect_reject dup-norm "twice|refusing" "/x and /usr/../x in one package"

pkg dup-slash '{"name":"dupslash","files":[{"path":"/x","content":"one"},{"dirname":"//./","basename":"x","content":"two"}]}'
build dup-slash dupslash
expect_reject dup-slash "twice" "/x and //./x in one package"

# ---- 7. hardlink sets (FILEINODES shared) that reach odd places ------------------------
pkg hl-out "{\"name\":\"hlout\",\"files\":[{\"path\":\"/l\",\"type\":\"symlink\",\"target\":\"$SENT\"},
  {\"path\":\"/a\",\"content\":\"data\",\"inode\":5},{\"path\":\"/l/shadow\",\"content\":\"data\",\"inode\":5}]}"
build hl-out hlout
either hl-out "a hardlink set whose member /l/shadow goes through /l -> $SENT" \
  sh -c "grep -qE '^h.* ./$S/shadow link to ./a\$|^h.* ./a link to ./$S/shadow\$' '$T/hl-out/listv'"

pkg hl-abs '{"name":"shadowpkg","files":[{"path":"/etc","type":"dir"},{"path":"/etc/shadow","perm":"000","content":"root:secret"}]}'
pkg hl-abs '{"name":"hlabs","requires":["shadowpkg"],"files":[{"path":"/x","content":"pwned","inode":5},{"path":"/etc/shadow","perm":"000","content":"pwned","inode":5}]}'
build hl-abs "shadowpkg hlabs"
expect_reject hl-abs "conflict.*/etc/shadow" "a hardlink set that includes another package's /etc/shadow"

pkg hl-self '{"name":"hlself","files":[{"path":"/a","content":"keep","inode":5},{"path":"/a","content":"keep","inode":5}]}'
build hl-self hlself
expect_reject hl-self "twice" "a hardlink set {/a, /a} (a link to itself)"

pkg hl-self2 '{"name":"keeper","files":[{"path":"/k","content":"keep"}]}'
pkg hl-self2 '{"name":"hlself2","requires":["keeper"],"files":[{"path":"/k","content":"keep","inode":5},{"path":"/k","content":"keep","inode":5}]}'
build hl-self2 "keeper hlself2"
either hl-self2 "another package's /k, then a set {/k, /k}" sh -c "[ \"\$(tar -xOf '$T/hl-self2/out/x.tar' ./k)\" = keep ]"

pkg hl-mixed '{"name":"hlmixed","files":[{"path":"/dir","type":"dir","inode":5},{"path":"/f","content":"data","inode":5},{"path":"/s","type":"symlink","target":"f","inode":5}]}'
build hl-mixed hlmixed
either hl-mixed "one inode shared by a directory, a file and a symlink" \
  sh -c "grep -q '^d.* ./dir/\$' '$T/hl-mixed/listv' && grep -q '^l.* ./s -> f\$' '$T/hl-mixed/listv' && [ \"\$(tar -xOf '$T/hl-mixed/out/x.tar' ./f)\" = data ]"

pkg hl-first '{"name":"hlfirst","files":[{"path":"/a","content":"data","inode":5,"cpio":{"data":"data"}},{"path":"/b","content":"data","inode":5,"cpio":{"data":""}}]}'
build hl-first hlfirst
either hl-first "a hardlink set whose data comes with the first member" \
  sh -c "[ \"\$(tar -xOf '$T/hl-first/out/x.tar' ./a)\" = data ] && [ \"\$(tar -xOf '$T/hl-first/out/x.tar' ./b)\" = data ]"

# ---- 15. device nodes -----------------------------------------------------------------
pkg dev '{"name":"devpkg","files":[{"path":"/dev","type":"dir"},{"path":"/dev/evil","type":"chr","perm":"666","rdev":[1,3]},
  {"path":"/dev/sda","type":"blk","perm":"660","rdev":[8,0]},{"path":"/dev/fifo","type":"fifo","perm":"600"}]}'
build dev devpkg --keep-staging; keep=1
expect_image dev "char 1:3, block 8:0 and a fifo (kept staging tree)"
grep -qE '^crw-rw-rw- 0/0 +1,3 .* ./dev/evil$' "$T/dev/listv" && grep -qE '^brw-rw---- 0/0 +8,0 .* ./dev/sda$' "$T/dev/listv" \
  && grep -qE '^prw------- .* ./dev/fifo$' "$T/dev/listv"
ok $? "dev: the tar has the char device 1,3, the block device 8,0 and the fifo"
staged=$(find "$T/dev/stg" -mindepth 1 -maxdepth 1 -name 'mkbase-staging-*' | head -1)
ok "$([ -n "$staged" ]; echo $?)" "dev: --keep-staging kept the tree ($staged)"
is "$(find "$T" \( -type c -o -type b -o -type p \) 2>/dev/null)" "" "dev: no device node or fifo on disk anywhere under \$T (find -type c/-type b/-type p)"
rm -rf "$staged"; keep=

# ---- 16. setuid, setgid, file capabilities -----------------------------------------------
pkg suid '{"name":"suidpkg","files":[{"path":"/usr","type":"dir"},{"path":"/usr/bin","type":"dir"},
  {"path":"/usr/bin/su","perm":"4755","content":"#!/bin/sh\n"},{"path":"/usr/bin/wall","perm":"2755","content":"#!/bin/sh\n"},
  {"path":"/usr/bin/ping","perm":"755","content":"ping\n"}],
  "header_extra":[{"tag":5010,"type":8,"value":["","","","","cap_net_raw=ep"]}]}'
build suid suidpkg --keep-staging; keep=1
expect_image suid "setuid, setgid and a capability (kept staging tree)"
grep -qE '^-rwsr-xr-x .* ./usr/bin/su$' "$T/suid/listv" && grep -qE '^-rwxr-sr-x .* ./usr/bin/wall$' "$T/suid/listv"
ok $? "suid: 04755 and 02755 are in the tar"
grep -aq 'SCHILY.xattr.security.capability' "$T/suid/out/x.tar"
ok $? "suid: the capability is in the tar (SCHILY.xattr.security.capability)"
staged=$(find "$T/suid/stg" -mindepth 1 -maxdepth 1 -name 'mkbase-staging-*' | head -1)
is "$(find "$T/suid/stg" -perm /6000)" "" "suid: no setuid/setgid bit on disk in the staging tree"
is "$(getfattr -R -m security.capability --absolute-names "$staged" 2>/dev/null)" "" "suid: no security.capability xattr on disk"
is "$(stat -c %a "$staged" 2>/dev/null)" 700 "suid: the staging root is 0700"
rm -rf "$staged"; keep=

# ---- 18. long paths, deep nesting ------------------------------------------------------
long=$(printf 'abcdefghij/%.0s' $(seq 1 450))   # 4950 bytes
pkg long "{\"name\":\"longpath\",\"files\":[{\"dirname\":\"/$long\",\"basename\":\"f\",\"content\":\"x\"}]}"
build long longpath
expect_reject long "too long|refusing" "a 4952-byte path"

pkg longname "{\"name\":\"longname\",\"files\":[{\"path\":\"/$(printf 'n%.0s' $(seq 1 300))\",\"content\":\"x\"}]}"
build longname longname
expect_reject longname "too long|refusing" "a 300-byte file name"

deep=$(printf 'd/%.0s' $(seq 1 1500))          # 1500 levels, 3000 bytes
pkg deep "{\"name\":\"deep\",\"files\":[{\"dirname\":\"/$deep\",\"basename\":\"f\",\"content\":\"deep\"}]}"
build deep deep
either deep "1500 nested directories" sh -c "[ \"\$(tar -xOf '$T/deep/out/x.tar' './${deep}f')\" = deep ]"

# A path that is short in the package but long once an image symlink is
# followed: /l -> 3000 bytes of directories, then /l/<2000 bytes>/f.
d3=$(printf 'abcdefghij/%.0s' $(seq 1 270)); d2=$(printf 'klmnopqrst/%.0s' $(seq 1 180))
pkg longlink "{\"name\":\"longlink\",\"files\":[{\"path\":\"/l\",\"type\":\"symlink\",\"target\":\"/${d3%/}\"},{\"dirname\":\"/l/$d2\",\"basename\":\"f\",\"content\":\"x\"}]}"
build longlink longlink
expect_reject longlink "too long|refusing" "a path that resolves to over 4096 bytes through an image symlink"

# ---- a package that is not what the repository metadata says ---------------------------
mkdir -p "$T/nevra/repo" "$T/nevra/stg/outside" "$T/nevra/out"
echo '{"name":"nevra-a","version":"1","files":[{"path":"/a","content":"a"}]}' | $MKRPM - "$T/nevra/repo/a.rpm"
echo '{"name":"nevra-b","version":"6.6","files":[{"path":"/etc/evil","content":"b"}]}' | $MKRPM - "$T/nevra/b.rpm"
createrepo_c -q --simple-md-filenames --no-database "$T/nevra/repo" >/dev/null
python3 - "$T/nevra/repo" "$T/nevra/b.rpm" <<'EOF'
# Swap in B's file but keep A's name/version: fix every checksum and size in
# primary/filelists/other and repomd.xml so only the identity is wrong.
import gzip, hashlib, os, re, shutil, sys
repo, b = sys.argv[1], sys.argv[2]
old = hashlib.sha256(open(repo + "/a.rpm", "rb").read()).hexdigest()
data = open(b, "rb").read()
new = hashlib.sha256(data).hexdigest()
shutil.copy(b, repo + "/a.rpm")
md = open(repo + "/repodata/repomd.xml").read()
for kind in ("primary", "filelists", "other"):
    f = "%s/repodata/%s.xml.gz" % (repo, kind)
    x = gzip.decompress(open(f, "rb").read()).decode().replace(old, new)
    x = re.sub(r'<size package="\d+"', '<size package="%d"' % len(data), x)
    raw = x.encode()
    z = gzip.compress(raw, mtime=0)
    open(f, "wb").write(z)
    def fix(m):
        blk = m.group(0)
        blk = re.sub(r'(<checksum type="sha256">)[0-9a-f]+', r'\g<1>' + hashlib.sha256(z).hexdigest(), blk)
        blk = re.sub(r'(<open-checksum type="sha256">)[0-9a-f]+', r'\g<1>' + hashlib.sha256(raw).hexdigest(), blk)
        blk = re.sub(r'<size>\d+', '<size>%d' % len(z), blk)
        blk = re.sub(r'<open-size>\d+', '<open-size>%d' % len(raw), blk)
        return blk
    md = re.sub(r'<data type="%s">.*?</data>' % kind, fix, md, flags=re.S)
open(repo + "/repodata/repomd.xml", "w").write(md)
EOF
build nevra nevra-a
expect_reject nevra "the file is nevra-b-6.6-1.noarch, not what the repository metadata says \(nevra-a-1-1.noarch\)" \
  "an rpm-md repo whose metadata (checksums fixed) says nevra-a but the file is nevra-b"

# ---- very long and weird names: an exact tar entry or a clear rejection ----------------
weird() { # weird CASE PATH-JSON DESC EXPECTED-NAME-HEX
  pkg "$1" "{\"name\":\"w$1\",\"files\":[{\"path\":$2,\"content\":\"w\"}]}"
  build "$1" "w$1"
  either "$1" "$3" python3 -c '
import sys, tarfile
want = bytes.fromhex(sys.argv[2])
with tarfile.open(sys.argv[1], encoding="utf-8", errors="surrogateescape") as t:
    names = [m.name.encode("utf-8", "surrogateescape") for m in t.getmembers()]
    m = [x for x in t.getmembers() if x.name.encode("utf-8", "surrogateescape") == want]
    sys.exit(0 if m and m[0].isfile() and t.extractfile(m[0]).read() == b"w" else 1)
' "$T/$1/out/x.tar" "$4"
}
hexof() { printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n'; }
weird w-newline '"/etc/new\nline"' "a newline in a file name" "$(hexof "./etc/new
line")"
weird w-nonutf8 '{"hex":"2f6574632fff6e6f6e2d75746638"}' "a non-UTF-8 byte (0xff) in a file name" "2e2f6574632fff6e6f6e2d75746638"
weird w-space '"/usr/share/a b  c "' "spaces (one trailing) in a file name" "$(hexof "./usr/share/a b  c ")"
weird w-bslash '"/usr/share/back\\slash\\n"' "backslashes in a file name" "$(hexof './usr/share/back\slash\n')"
weird w-long "\"/$(printf 'x%.0s' $(seq 1 250))\"" "a 250-byte file name" "$(hexof "./$(printf 'x%.0s' $(seq 1 250))")"
weird w-tab '"/etc/tab\there"' "a tab in a file name" "$(hexof "./etc/tab	here")"
weird w-ctl '{"hex":"2f6574632f011b5b316d"}' "control bytes (\\x01, ESC[1m) in a file name" "2e2f6574632f011b5b316d"

# A rejected name must still give one line, and must not carry raw control
# bytes to the terminal (a newline splits the error, ESC sequences rewrite
# the screen or the window title).
pkg w-nlreject '{"name":"wnlreject","files":[{"dirname":"/a\nmkbase: all good\n/../","basename":"x","content":"w"}]}'
build w-nlreject wnlreject
expect_reject w-nlreject "refusing" "[BUG: raw newline splits the error] a rejected path with newlines in it"
pkg w-escreject '{"name":"wescreject","files":[{"dirname":"/\u001b]0;pwned\u0007\u001b[2J/../","basename":"x","content":"w"}]}'
build w-escreject wescreject
expect_reject w-escreject "refusing" "[BUG: raw ESC in the error] a rejected path with terminal escape sequences"
! grep -q $'\x1b' "$errf"
ok $? "w-escreject: the error line carries no raw ESC byte: $(od -c "$errf" | head -2 | tr -s ' ' | tr '\n' ' ')"
