#!/usr/bin/env bash
# The main path on the bookworm corpus: resolution against dnf, the tar's
# contents, podman import, and byte-identical rebuilds (root, non-root,
# other staging dirs, other umask/TZ/locale).
. "$(dirname "$0")/../lib.sh"
cd "$TOP"

# --- 0. the build uses what the machine has -----------------------------------
# The Makefile decides on ISA-L when it compiles, after `deps` has installed
# libisal-dev: a first `make` on a fresh machine once built without it.
if pkg-config --exists libisal 2>/dev/null; then
  ldd "$(dirname "$MKBASE")/mkbase-core" | grep -q 'libisal'
  ok $? "pkg-config has libisal, and mkbase-core links it (gzip payloads through ISA-L)"
else
  skip "this machine has no libisal-dev (not amd64/arm64?): gzip payloads go through zlib"
fi

# --- 1. resolution equals dnf's closure (weak deps off) --------------------
"${MKBASE}" resolve -q recipes/bookworm-bash.conf >"$T/resolve.txt"
ok $? "mkbase resolve bookworm-bash"
awk '{print $1}' "$T/resolve.txt" | sort >"$T/mk.list"
dnf --installroot="$T/dnfroot" --releasever=12 --setopt=reposdir=/dev/null \
  --repofrompath=bw,"file://$BOOKWORM" --setopt=install_weak_deps=False \
  --setopt=gpgcheck=False --setopt=cachedir="$T/dnfcache" \
  install --assumeno bash coreutils >"$T/dnf.out" 2>&1
awk '$2 ~ /^(x86_64|noarch)$/ && NF >= 5 {print $1 "-" $3 "." $2}' "$T/dnf.out" | sort >"$T/dnf.list"
is "$(wc -l <"$T/dnf.list" | tr -d ' ')" 27 "dnf resolves bash coreutils to 27 packages"
is "$(cat "$T/mk.list")" "$(cat "$T/dnf.list")" "mkbase's closure equals dnf's, NEVRA by NEVRA"
head -1 "$T/resolve.txt" | grep -q '^setup-' && head -2 "$T/resolve.txt" | tail -1 | grep -q '^filesystem-'
ok $? "install order starts with setup, then filesystem (Requires(pre))"

# --- 2. the tar ---------------------------------------------------------------
out=$T/out
mkdir -p "$out"
SOURCE_DATE_EPOCH= "${MKBASE}" recipes/bookworm-base.conf -o "$out/base.tar" >"$T/build.stdout" 2>"$T/build.stderr"
ok $? "build bookworm-base (profile zero)"
sha=$(sha256sum "$out/base.tar" | cut -d' ' -f1)
is "$(cat "$T/build.stdout")" "$sha  $out/base.tar" "prints the tar's sha256 and path (sha256sum format)"
grep -q 'prune \[zero\]' "$T/build.stderr"
ok $? "reports what each prune rule removed"
tar --numeric-owner -tvf "$out/base.tar" >"$T/list"
ok $? "GNU tar lists it"
getfattr_line=$(tar --numeric-owner --xattrs --xattrs-include='*' -tvvf "$out/base.tar" ./usr/bin/ping 2>&1)
echo "$getfattr_line" | grep -q 'security.capability'
ok $? "/usr/bin/ping carries security.capability"
python3 - "$out/base.tar" <<'PY'
import sys, tarfile, struct
t = tarfile.open(sys.argv[1])
m = t.getmember('./usr/bin/ping')
cap = m.pax_headers.get('SCHILY.xattr.security.capability')
raw = cap.encode('latin-1', 'surrogateescape') if isinstance(cap, str) else cap
magic, perm0 = struct.unpack('<II', raw[:8])
sys.exit(0 if perm0 & (1 << 13) and magic >> 24 == 2 else 1)
PY
ok $? "ping's capability is cap_net_raw (bit 13) in a v2 vfs_cap_data"
gid_mail=$(tar -xOf "$out/base.tar" ./etc/group | awk -F: '$1=="mail"{print $3}')
mailgid=$(awk '$NF=="./var/mail/"{split($2,a,"/"); print a[2]}' "$T/list")
is "$mailgid" "$gid_mail" "/var/mail has the mail group's gid from the image's /etc/group ($gid_mail)"
awk '$NF=="./var/mail/"{print $1}' "$T/list" | grep -q '^drwxrwsr-x'
ok $? "/var/mail keeps its setgid 2775 mode"
! grep -q '\./usr/share/doc/.' "$T/list"
ok $? "nothing under /usr/share/doc with profile zero"
! grep -qE '\./usr/share/man/.|/bashbug|\.log$' "$T/list"
ok $? "no man pages, bashbug or *.log with profile zero"
grep -q '^h' "$T/list"
ok $? "hardlinks are tar hardlinks (type h)"
! awk '{print $2}' "$T/list" | grep -qv '^[0-9]*/[0-9]*$'
ok $? "owners are numeric only"
python3 - "$out/base.tar" <<'PY'
import sys, tarfile
t = tarfile.open(sys.argv[1])
names = [m.name for m in t.getmembers()]
bad = [m.name for m in t.getmembers() if m.uname or m.gname or 'atime' in m.pax_headers or 'ctime' in m.pax_headers]
sys.exit(0 if names == sorted(names, key=lambda s: s.encode()) and not bad else 1)
PY
ok $? "entries sorted bytewise; no uname/gname, atime or ctime"
cut -d' ' -f1 "$out/base.packages" | sort -c 2>/dev/null && [ "$(wc -l <"$out/base.packages")" = 58 ]
ok $? "base.packages lists 58 packages, sorted"
pkgline=$(grep '^bash-' "$out/base.packages")
is "${pkgline#* }" "$(sha256sum "$BOOKWORM"/Packages/bash-*.rpm | cut -d' ' -f1)" ".packages holds the RPM's sha256"

# --- podman import -----------------------------------------------------------
podman_setup
podman import -q "$out/base.tar" mkbase-test:base >/dev/null 2>"$T/podman.err"
ok $? "podman import accepts the tar"
res=$(podman run --rm --network none mkbase-test:base /usr/bin/bash -c 'ls / && echo ok' 2>>"$T/podman.err" | tail -1)
is "$res" "ok" "podman run IMAGE /usr/bin/bash -c 'ls / && echo ok' prints ok"
podman rmi -f mkbase-test:base >/dev/null 2>&1

# --- 4. reproducibility ----------------------------------------------------------
mkdir -p "$T/stage1" "$T/stage2"
"${MKBASE}" -q recipes/bookworm-base.conf -o "$out/a.tar" --staging-dir "$T/stage1" >/dev/null
(umask 077; TZ=Asia/Tokyo LANG=de_DE.UTF-8 LC_ALL=de_DE.UTF-8 \
  "${MKBASE}" -q recipes/bookworm-base.conf -o "$out/b.tar" --staging-dir "$T/stage2" >/dev/null)
cmp -s "$out/base.tar" "$out/a.tar" && cmp -s "$out/a.tar" "$out/b.tar"
ok $? "byte-identical across staging dirs, umask, TZ and locale"
user=nobody
chmod 0777 "$out"
if [ "$(id -u)" = 0 ]; then
  setpriv --reuid=65534 --regid=65534 --clear-groups env TMPDIR="$out" \
    "${MKBASE}" -q "$TOP/recipes/bookworm-base.conf" -o "$out/nonroot.tar" >/dev/null 2>"$T/nonroot.err"
  ok $? "builds as a non-root user ($user)"
  cmp -s "$out/base.tar" "$out/nonroot.tar"
  ok $? "the non-root build is byte-identical to the root build"
else
  cp "$out/base.tar" "$out/nonroot.tar"
  skip "root vs non-root needs root to switch users"
  skip "root vs non-root needs root to switch users"
fi
# A small image keeps xz's single-threaded compression quick.
printf '[image]\nname = small\npackages = filesystem ncurses-base\n[repo bw]\nbaseurl = %s\n' "$BOOKWORM" >"$T/small.conf"
"${MKBASE}" -q "$T/small.conf" -o "$out/small.tar" >/dev/null
for fmt in tar.gz tar.zst tar.xz; do
  "${MKBASE}" -q "$T/small.conf" -o "$out/c1.$fmt" >/dev/null &&
  "${MKBASE}" -q "$T/small.conf" -o "$out/c2.$fmt" >/dev/null &&
  cmp -s "$out/c1.$fmt" "$out/c2.$fmt"
  ok $? "compressed .$fmt output is deterministic"
  case $fmt in tar.gz) dec="gzip -dc" ;; tar.zst) dec="zstd -qdc" ;; tar.xz) dec="xz -dc" ;; esac
  $dec "$out/c1.$fmt" | cmp -s - "$out/small.tar"
  ok $? ".$fmt decompresses to exactly the plain tar"
done
ls -A "$out" | grep -q '^\.' && { ok 1 "no temporary files left in the output dir"; ls -A "$out" | sed 's/^/# /'; } || ok 0 "no temporary files left in the output dir"
