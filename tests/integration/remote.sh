#!/usr/bin/env bash
# Remote repositories over a real HTTP server on 127.0.0.1: the same image
# as from the local directory, a cache that makes the second build fetch
# nothing and works --offline, faults (retries, resume, corruption, wrong
# metadata, redirects, oversize, timeouts, proxies, mirrors), and gpgcheck /
# repo_gpgcheck with keys made on the fly.
. "$(dirname "$0")/../lib.sh"
cd "$TOP"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY no_proxy NO_PROXY all_proxy ALL_PROXY

start_server bw "$BOOKWORM"
url=http://127.0.0.1:$bw_port
cache=$T/cache
out=$T/out
mkdir -p "$out"

recipe() { # recipe FILE BASEURL [repo lines...]
  local f=$1 u=$2; shift 2
  { printf '[image]\nname = r\npackages = bash coreutils\n[repo bw]\nbaseurl = %s\n' "$u"
    for l in "$@"; do echo "$l"; done; } >"$f"
}
pkgreqs() { grep -c "^GET /Packages/" "$1" || true; }

# --- 1. the same image over http as from the directory ---------------------
recipe "$T/http.conf" "$url/"
"$MKBASE" -q "$T/http.conf" --cache "$cache" -o "$out/http.tar" >/dev/null 2>"$T/err"
ok $? "build bash+coreutils over http://127.0.0.1"
"$MKBASE" -q recipes/bookworm-bash.conf -o "$out/local.tar" >/dev/null
cmp -s "$out/http.tar" "$out/local.tar"
ok $? "the tar is byte-identical to the build from the local directory"
is "$(pkgreqs "$bw_log")" 27 "27 packages were downloaded"
[ -z "$(find "$cache" -name '*.part')" ]
ok $? "no partial file is left in the cache"

# --- 3. the cache ---------------------------------------------------------------
: >"$bw_log"
"$MKBASE" -q "$T/http.conf" --cache "$cache" -o "$out/again.tar" >/dev/null
ok $? "a second build"
is "$(pkgreqs "$bw_log")" 0 "downloads no package (metadata still fresh: no request at all: $(wc -l <"$bw_log"))"
cmp -s "$out/http.tar" "$out/again.tar"
ok $? "and gives the same tar"
recipe "$T/expire.conf" "$url/" "metadata_expire = 0"
: >"$bw_log"
"$MKBASE" -q "$T/expire.conf" --cache "$cache" -o "$out/expire.tar" >/dev/null
grep -q "GET /repodata/repomd.xml " "$bw_log" && [ "$(pkgreqs "$bw_log")" = 0 ]
ok $? "metadata_expire = 0 fetches repomd.xml again, still no package"
kill "$bw_pid"; wait "$bw_pid" 2>/dev/null
"$MKBASE" -q "$T/expire.conf" --cache "$cache" --offline -o "$out/offline.tar" >/dev/null 2>"$T/err"
ok $? "--offline builds with the server stopped"
cmp -s "$out/http.tar" "$out/offline.tar"
ok $? "the same tar"
"$MKBASE" -q "$T/expire.conf" --cache "$T/empty-cache" --offline -o "$out/x.tar" >/dev/null 2>"$T/err"
is "$?" 1 "--offline with an empty cache fails"
grep -q "^mkbase: --offline: repo \`bw\`: the cache has no metadata" "$T/err"
ok $? "and says what is missing: $(head -c 160 "$T/err")"

rm "$(find "$cache" -name 'coreutils-*.rpm')"
"$MKBASE" -q "$T/expire.conf" --cache "$cache" --offline -o "$out/x.tar" >/dev/null 2>"$T/err"
is "$?" 1 "--offline with a package missing from the cache fails"
grep -q "^mkbase: --offline: coreutils-9.1-1.bk12.x86_64 is not in the cache (.*/Packages/coreutils-9.1-1.bk12.x86_64.rpm)$" "$T/err"
ok $? "naming the package and the file: $(head -c 160 "$T/err")"

# --- 5. a failing network leaves the previous image untouched -----------------
before=$(sha256sum "$out/http.tar")
"$MKBASE" -q "$T/expire.conf" --cache "$cache" -o "$out/http.tar" >/dev/null 2>"$T/err"
is "$?" 1 "with the server gone and expired metadata the build fails"
grep -q "^mkbase: repo \`bw\`: download repomd.xml from $url/repodata/repomd.xml: " "$T/err"
ok $? "one clear line: $(head -c 160 "$T/err")"
is "$(sha256sum "$out/http.tar")" "$before" "the previous image is untouched"
[ -z "$(ls -A "$out" | grep '^\.')" ]
ok $? "no temporary file in the output directory"

# --- 2. faults --------------------------------------------------------------------
start_server f "$BOOKWORM"
furl=http://127.0.0.1:$f_port
bash_rpm=/Packages/$(basename "$BOOKWORM"/Packages/bash-*.rpm)
core_rpm=/Packages/$(basename "$BOOKWORM"/Packages/coreutils-*.rpm)
libc_rpm=/Packages/$(basename "$BOOKWORM"/Packages/libc6-2*.rpm)
fault() { printf '%s' "$1" >"$f_faults"; }
fbuild() { # fbuild NAME [repo lines]: a fresh cache each time
  local n=$1; shift
  recipe "$T/$n.conf" "$furl/" "timeout = 2" "retries = 2" "$@"
  rm -rf "$T/fc-$n"
  "$MKBASE" -q "$T/$n.conf" --cache "$T/fc-$n" -o "$out/$n.tar" >/dev/null 2>"$T/$n.err"
}

fault "{\"$bash_rpm\": {\"kind\": \"500\", \"count\": 1}}"
fbuild e500
ok $? "500 then 200: retried and built"
is "$(grep -c "GET $bash_rpm " "$f_log")" 2 "bash was requested twice"
cmp -s "$out/e500.tar" "$out/local.tar"
ok $? "the image is the right one"

: >"$f_log"
fault "{\"$core_rpm\": {\"kind\": \"drop\", \"count\": 1}}"
fbuild drop
ok $? "a connection dropped mid-file: built"
grep "GET $core_rpm " "$f_log" | tail -1 | grep -q 'range=bytes=[1-9]'
ok $? "the second request resumed with a Range header"
cmp -s "$out/drop.tar" "$out/local.tar"
ok $? "the image is the right one"

fault "{\"$libc_rpm\": {\"kind\": \"corrupt\"}}"
fbuild corrupt
is "$?" 1 "a package whose bytes differ from primary.xml's checksum fails"
grep -q "^mkbase: libc6-.*: sha256 checksum mismatch: the metadata states .*, $furl$libc_rpm sent " "$T/corrupt.err"
ok $? "named: $(head -c 150 "$T/corrupt.err")"
[ -z "$(find "$T/fc-corrupt" -name 'libc6-*')" ]
ok $? "nothing of it stays in the cache"

fault "{\"$bash_rpm\": {\"kind\": \"redirect\", \"to\": \"file:///etc/passwd\"}}"
fbuild redirect
is "$?" 1 "a redirect to file:///etc/passwd is refused"
grep -qi "protocol.*file.*\(not supported\|disabled\)" "$T/redirect.err"
ok $? "curl's reason: $(head -c 200 "$T/redirect.err")"

fault "{\"$bash_rpm\": {\"kind\": \"extra\"}}"
fbuild extra
is "$?" 1 "a server sending more bytes than the metadata states"
grep -q "more than the .* bytes the metadata states; aborted\|Maximum file size exceeded" "$T/extra.err"
ok $? "is aborted: $(head -c 200 "$T/extra.err")"

fault "{\"$bash_rpm\": {\"kind\": \"hang\"}}"
start=$(date +%s)
fbuild hang "retries = 0"
rc=$?
secs=$(( $(date +%s) - start ))
is "$rc" 1 "a server that never answers fails"
grep -Eq "^mkbase: download bash-.*: (Operation too slow|Operation timed out)" "$T/hang.err" && [ "$secs" -lt 10 ]
ok $? "with a timeout after the repo's timeout = 2 (${secs}s): $(head -c 150 "$T/hang.err")"

# An interrupted download: exit 130, no output, the previous image kept.
fault "{\"$libc_rpm\": {\"kind\": \"hang\"}}"
recipe "$T/intr.conf" "$furl/" "timeout = 60" "retries = 0"
cp "$out/local.tar" "$out/intr.tar"
before=$(sha256sum "$out/intr.tar")
: >"$f_log"
"$MKBASE" -q "$T/intr.conf" --cache "$T/fc-intr" -o "$out/intr.tar" >/dev/null 2>"$T/err" &
pid=$!
for i in $(seq 1 100); do grep -q "GET $libc_rpm " "$f_log" && break; sleep 0.1; done
kill -INT "$pid"
wait "$pid"
is "$?" 130 "SIGINT during a download: exit 130 ($(head -c 100 "$T/err"))"
is "$(sha256sum "$out/intr.tar")" "$before" "the previous image is untouched"
[ -z "$(ls -A "$out" | grep '^\.')" ]
ok $? "no temporary file in the output directory"

fault '{}'
mkdir -p "$T/badmd"
cp -r "$BOOKWORM/repodata" "$T/badmd/"
repomd=$T/badmd/repodata/repomd.xml
# Only the <checksum> of primary changes; its location (named after the
# real checksum) stays, so the file is found and must be refused.
python3 - "$repomd" <<'PY'
import re, sys
p = sys.argv[1]
s = open(p).read()
i = s.index('type="primary"')
j = s.index('</data>', i)
block = re.sub(r'(<checksum type="sha256">)[0-9a-f]+', r'\g<1>' + '0' * 64, s[i:j], count=1)
open(p, 'w').write(s[:i] + block + s[j:])
PY
start_server md "$T/badmd"
recipe "$T/md.conf" "http://127.0.0.1:$md_port/" "retries = 0"
"$MKBASE" -q "$T/md.conf" --cache "$T/fc-md" -o "$out/md.tar" >/dev/null 2>"$T/md.err"
is "$?" 1 "repomd.xml naming a primary.xml with the wrong checksum"
grep -q "sha256 checksum mismatch" "$T/md.err" && [ -z "$(find "$T/fc-md" -name '*primary*')" ]
ok $? "is rejected and not cached: $(head -c 150 "$T/md.err")"

# --- a replayed (older) repomd.xml is refused (checklist 36) -------------------------
mkdir -p "$T/replay"
cp -r "$BOOKWORM/repodata" "$T/replay/"
ln -s "$BOOKWORM/Packages" "$T/replay/Packages"
start_server rp "$T/replay"
recipe "$T/replay.conf" "http://127.0.0.1:$rp_port/" "metadata_expire = 0" "retries = 0"
"$MKBASE" -q "$T/replay.conf" --cache "$T/fc-replay" -o "$out/replay.tar" >/dev/null 2>"$T/err"
ok $? "a build caches the repository at its current revision"
sed -i 's|<revision>[0-9]*</revision>|<revision>1000</revision>|' "$T/replay/repodata/repomd.xml"
"$MKBASE" -q "$T/replay.conf" --cache "$T/fc-replay" -o "$out/replay.tar" >/dev/null 2>"$T/err"
is "$?" 1 "an older repomd.xml from the mirror is refused"
grep -q "^mkbase: repo \`bw\`: the mirror's repomd.xml (revision 1000) is older than the one already seen (1747699200)" "$T/err"
ok $? "  $(head -c 170 "$T/err")"

# --- mirrors and proxies ------------------------------------------------------------
: >"$f_log"
recipe "$T/mirrors.conf" "http://127.0.0.1:9/ $furl/" "timeout = 2" "retries = 0"
"$MKBASE" -q "$T/mirrors.conf" --cache "$T/fc-mirrors" -o "$out/mirrors.tar" >/dev/null 2>"$T/err"
ok $? "a dead first mirror in baseurl: the next one is used"
printf '# mirrors\nhttp://127.0.0.1:9/\n%s/\n' "$furl" >"$T/mirrorlist.txt"
printf '[image]\nname = r\npackages = bash coreutils\n[repo bw]\nmirrorlist = %s/mirrorlist.txt\ntimeout = 2\nretries = 0\n' "$T" >"$T/ml.conf"
"$MKBASE" -q "$T/ml.conf" --cache "$T/fc-ml" -o "$out/ml.tar" >/dev/null 2>"$T/err"
ok $? "mirrorlist: the dead mirror is skipped"
cmp -s "$out/ml.tar" "$out/local.tar"
ok $? "same image"
: >"$f_log"
recipe "$T/proxy.conf" "http://mkbase-repo.invalid/" "retries = 0" "timeout = 5"
http_proxy=$furl "$MKBASE" -q "$T/proxy.conf" --cache "$T/fc-proxy" -o "$out/proxy.tar" >/dev/null 2>"$T/err"
ok $? "http_proxy from the environment is used (the host name does not resolve)"
grep -q "GET http://mkbase-repo.invalid/repodata/repomd.xml" "$f_log"
ok $? "the proxy saw the absolute URL"

# --- the cache itself ----------------------------------------------------------------
printf 'garbage' >"$(find "$cache" -name 'bash-*.rpm')"
: >"$bw_log"
start_server bw2 "$BOOKWORM"
recipe "$T/reheal.conf" "http://127.0.0.1:$bw2_port/"
"$MKBASE" -q "$T/reheal.conf" --cache "$T/fc-reheal" -o "$out/reheal.tar" >/dev/null 2>&1
"$MKBASE" -q "$T/reheal.conf" --cache "$T/fc-reheal" -o "$out/reheal.tar" >/dev/null 2>&1
printf 'garbage' >"$(find "$T/fc-reheal" -name 'bash-*.rpm')"
: >"$bw2_log"
"$MKBASE" -q "$T/reheal.conf" --cache "$T/fc-reheal" -o "$out/reheal2.tar" >/dev/null 2>"$T/err"
ok $? "a damaged cached package"
is "$(pkgreqs "$bw2_log")" 1 "is verified, found bad and fetched again (only it)"
mkdir -p "$T/wcache"; chmod 0777 "$T/wcache"
"$MKBASE" -q "$T/reheal.conf" --cache "$T/wcache" -o "$out/w.tar" >/dev/null 2>"$T/err"
grep -q "writable by others" "$T/err"
ok $? "a cache directory others can write to is refused"

# --- 4. gpgcheck and repo_gpgcheck ---------------------------------------------------
export GNUPGHOME=$T/gnupg
mkdir -m 0700 "$GNUPGHOME"
for k in a b; do
  gpg --batch --passphrase '' --quick-gen-key "mkbase test $k <$k@mkbase.invalid>" rsa2048 sign never >/dev/null 2>&1
  gpg --armor --export "$k@mkbase.invalid" >"$T/key-$k.asc"
done
[ -s "$T/key-a.asc" ] && [ -s "$T/key-b.asc" ]
ok $? "two throwaway signing keys"
cat >"$T/signed-pkg.spec" <<'SPEC'
Name: signed-pkg
Version: 1
Release: 1
Summary: a package to sign
License: MIT
BuildArch: noarch
%description
signed
%install
mkdir -p %{buildroot}/usr/share/signed
echo signed > %{buildroot}/usr/share/signed/file
%files
/usr/share/signed
SPEC
build_rpms "$T/unsigned" "$T/signed-pkg.spec"
mkdir -p "$T/signed"
cp "$T"/unsigned/*.rpm "$T/signed/"
rpmsign --addsign --define "_gpg_name a@mkbase.invalid" --define "_gpg_path $GNUPGHOME" \
  --define "__gpg $(command -v gpg)" "$T"/signed/*.rpm </dev/null >/dev/null 2>&1
rpm -qp --qf '%{RSAHEADER:pgpsig}\n' "$T"/signed/*.rpm 2>/dev/null | grep -q 'Key ID'
ok $? "rpmsign signed the package with key a"
createrepo_c -q "$T/signed" && createrepo_c -q "$T/unsigned"
gpgrecipe() { # gpgrecipe FILE DIR-OR-URL KEY [lines]
  local f=$1 u=$2 k=$3; shift 3
  { printf '[image]\nname = s\npackages = signed-pkg\n[repo s]\nbaseurl = %s\ngpgcheck = 1\ngpgkey = %s\n' "$u" "$k"
    for l in "$@"; do echo "$l"; done; } >"$f"
}
gpgrecipe "$T/g1.conf" "$T/signed" "$T/key-a.asc"
"$MKBASE" -q "$T/g1.conf" -o "$out/g1.tar" >/dev/null 2>"$T/err"
ok $? "gpgcheck: signed with the given key: builds"
gpgrecipe "$T/g2.conf" "$T/signed" "$T/key-b.asc"
"$MKBASE" -q "$T/g2.conf" -o "$out/g2.tar" >/dev/null 2>"$T/err"
is "$?" 1 "gpgcheck: signed with another key: fails"
grep -q "^mkbase: signed-pkg-1-1.noarch: .*: signed by a key that is not in gpgkey$" "$T/err"
ok $? "naming the package: $(head -c 160 "$T/err")"
gpgrecipe "$T/g3.conf" "$T/unsigned" "$T/key-a.asc"
"$MKBASE" -q "$T/g3.conf" -o "$out/g3.tar" >/dev/null 2>"$T/err"
is "$?" 1 "gpgcheck: an unsigned package fails"
grep -q "^mkbase: signed-pkg-1-1.noarch: .*: not signed (gpgcheck is on)$" "$T/err"
ok $? "naming the package: $(head -c 160 "$T/err")"
gpgrecipe "$T/g4.conf" "$T/signed" "$T/key-b.asc $T/key-a.asc"
"$MKBASE" -q "$T/g4.conf" -o "$out/g4.tar" >/dev/null 2>"$T/err"
ok $? "gpgkey may list several keys"
mkdir -p "$T/keys"; cp "$T/key-a.asc" "$T/keys/"
start_server k "$T/keys"
gpgrecipe "$T/g5.conf" "$T/signed" "http://127.0.0.1:$k_port/key-a.asc"
"$MKBASE" -q "$T/g5.conf" --cache "$T/fc-g5" -o "$out/g5.tar" >/dev/null 2>"$T/err"
ok $? "gpgkey by URL"
printf '[image]\nname = h\npackages = hello\n[repo t]\nbaseurl = %s\ngpgcheck = 1\ngpgkey = %s\n[repo bw]\nbaseurl = %s\n' \
  "$T/testdata" "$T/key-a.asc" "$BOOKWORM" >"$T/h.conf"
for f in hello-2.0-1.x86_64-signed.rpm hello-2.0-1.x86_64-signed-with-subkey.rpm hello-2.0-1.x86_64-corrupted.rpm; do
  rm -rf "$T/testdata"; mkdir -p "$T/testdata"; ln -s "$TESTDATA/$f" "$T/testdata/$f"
  "$MKBASE" -q "$T/h.conf" -o "$out/h.tar" >/dev/null 2>"$T/err"
  is "$?" 1 "rpm-testdata $f with gpgcheck and another key: fails"
  grep -q "signed by a key that is not in gpgkey\|digest mismatch\|BAD" "$T/err"
  ok $? "  $(head -c 180 "$T/err")"
done

# repo_gpgcheck: repomd.xml.asc over http
cp -r "$T/signed" "$T/rsigned"
gpg --batch --yes --local-user a@mkbase.invalid --armor --detach-sign "$T/rsigned/repodata/repomd.xml" 2>/dev/null
start_server rs "$T/rsigned"
gpgrecipe "$T/r1.conf" "http://127.0.0.1:$rs_port/" "$T/key-a.asc" "repo_gpgcheck = 1"
"$MKBASE" -q "$T/r1.conf" --cache "$T/fc-r1" -o "$out/r1.tar" >/dev/null 2>"$T/err"
ok $? "repo_gpgcheck: repomd.xml.asc verifies"
gpgrecipe "$T/r2.conf" "http://127.0.0.1:$rs_port/" "$T/key-b.asc" "repo_gpgcheck = 1" "gpgcheck = 0"
sed -i 's/^gpgcheck = 1$//' "$T/r2.conf"
"$MKBASE" -q "$T/r2.conf" --cache "$T/fc-r2" -o "$out/r2.tar" >/dev/null 2>"$T/err"
is "$?" 1 "repo_gpgcheck with another key: fails"
grep -q "repo_gpgcheck: .*repomd.xml.*signed by a key that is not in gpgkey" "$T/err"
ok $? "  $(head -c 160 "$T/err")"
echo '<!-- tampered -->' >>"$T/rsigned/repodata/repomd.xml"
"$MKBASE" -q "$T/r1.conf" --cache "$T/fc-r3" -o "$out/r3.tar" >/dev/null 2>"$T/err"
is "$?" 1 "repo_gpgcheck: a tampered repomd.xml fails"
grep -q "bad signature" "$T/err"
ok $? "  $(head -c 160 "$T/err")"
rm "$T/rsigned/repodata/repomd.xml.asc"
"$MKBASE" -q "$T/r1.conf" --cache "$T/fc-r4" -o "$out/r4.tar" >/dev/null 2>"$T/err"
is "$?" 1 "repo_gpgcheck: a missing repomd.xml.asc fails"
grep -q "repomd.xml.asc.*404" "$T/err"
ok $? "  $(head -c 160 "$T/err")"

# --- the real-world example recipe ---------------------------------------------------
"$MKBASE" resolve --offline --cache "$T/empty" recipes/centos7-zero.conf >/dev/null 2>"$T/err"
is "$?" 1 "recipes/centos7-zero.conf parses (it needs the network to go further)"
grep -q "^mkbase: repo \`os\`: --offline: gpgkey https://vault.centos.org/RPM-GPG-KEY-CentOS-7 is not in the cache$" "$T/err"
ok $? "  $(head -c 200 "$T/err")"
