#!/usr/bin/env bash
# Issue 6: install scriptlets run through the runner (`scriptlets = run`),
# the package database in the image (rpmdb = sqlite | manifest | none),
# and file capabilities through every output format into a container.
. "$(dirname "$0")/../lib.sh"

[ -d "$BOOKWORM" ] || { echo "# SKIP: no corpus at $BOOKWORM"; exit 77; }
out=$T/out
mkdir -p "$out"
chmod 0777 "$T" "$out" # the rootless build below writes here too

recipe() { # recipe FILE NAME PACKAGES [extra [image] lines...]
  local f=$1 name=$2 pkgs=$3; shift 3
  {
    echo "[image]"
    echo "name = $name"
    echo "packages = $pkgs"
    printf '%s\n' "$@"
    echo "[repo bookworm]"
    echo "baseurl = $BOOKWORM"
    [ -d "$T/repo" ] && printf '[repo local]\nbaseurl = %s\n' "$T/repo"
  } >"$f"
  chmod 0644 "$f"
}
rpmq() { rpm --root "$1" --dbpath /var/lib/rpm "${@:2}"; }

# --- acceptance 1: bash's %post adds itself to /etc/shells ------------------
recipe "$T/run.conf" run "bash coreutils libacl1" "scriptlets = run"
"$MKBASE" -q "$T/run.conf" -o "$out/run.tar" >/dev/null 2>"$T/run.err"
ok $? "scriptlets = run builds bash coreutils libacl1"
shells=$(tar -xOf "$out/run.tar" ./etc/shells 2>/dev/null)
grep -qx /usr/bin/bash <<<"$shells" && grep -qx /bin/bash <<<"$shells"
ok $? "bash's %post added /bin/bash and /usr/bin/bash to /etc/shells"
grep -q '^bash-5.2.15-2+b13.bk12.x86_64 %post (/bin/sh): exit 0$' "$out/run.scripts"
ok $? "the report says bash's %post ran and exited 0"
grep -q '^libacl1-.* %post (/sbin/ldconfig): exit 0$' "$out/run.scripts"
ok $? "a -p /sbin/ldconfig %post ran too"
tar -tf "$out/run.tar" | grep -qx './etc/ld.so.cache'
ok $? "ldconfig's cache is in the image"
tar -tf "$out/run.tar" | grep -q 'aux-cache'
ok $((!$?)) "ldconfig's host-dependent aux-cache is not"
tar -tf "$out/run.tar" | grep -q 'rpm-tmp'
ok $((!$?)) "no scriptlet temp file is left in the image"
is "$(tar -tvf "$out/run.tar" ./etc/shells | awk '{print $1, $2}')" "-rw-r--r-- 0/0" \
  "/etc/shells keeps its package's mode and owner"

# The same as an ordinary user (the runner maps the user to root in a user
# namespace): the same bytes.
recipe "$T/run-user.conf" run "bash coreutils libacl1" "scriptlets = run"
setpriv --reuid 65534 --regid 65534 --clear-groups env HOME="$T" TMPDIR="$T" \
  "$MKBASE" -q "$T/run-user.conf" -o "$out/run-user.tar" >/dev/null 2>"$T/user.err"
ok $? "scriptlets = run as uid 65534"
cmp -s "$out/run.tar" "$out/run-user.tar"
ok $? "root and non-root builds with scriptlets are byte-identical"
grep -q '^bash-.* %post (/bin/sh): exit 0$' "$out/run-user.scripts" 2>/dev/null
ok $? "the non-root report shows bash's %post"
"$MKBASE" -q "$T/run.conf" -o "$out/run2.tar" >/dev/null 2>&1
cmp -s "$out/run.tar" "$out/run2.tar"
ok $? "two builds with scriptlets are byte-identical"

recipe "$T/noscripts.conf" noscripts "bash coreutils"
"$MKBASE" "$T/noscripts.conf" -o "$out/noscripts.tar" >/dev/null 2>"$T/ns.err"
grep -q 'install scriptlets that were not run (scriptlets = none): bash' "$T/ns.err"
ok $? "scriptlets = none (the default) says which packages' scriptlets did not run"
grep -qx /usr/bin/bash <(tar -xOf "$out/noscripts.tar" ./etc/shells)
ok $((!$?)) "and /etc/shells is the package's"
[ ! -e "$out/noscripts.scripts" ]
ok $? "no report without scriptlets = run"

# --- acceptance 2: the rpm database ------------------------------------------
mkdir -p "$T/root"
tar -xf "$out/run.tar" -C "$T/root"
tar -tf "$out/run.tar" | grep -qx './var/lib/rpm/rpmdb.sqlite'
ok $? "the image has /var/lib/rpm/rpmdb.sqlite (rpmdb = sqlite is the default)"
tar -tf "$out/run.tar" | grep -qE 'rpmdb.sqlite-(wal|shm)'
ok $((!$?)) "and no -wal/-shm files"
is "$(od -An -tu1 -j18 -N2 "$T/root/var/lib/rpm/rpmdb.sqlite" | tr -s ' ')" " 1 1" \
  "the database is in rollback-journal mode (readable without write access)"
is "$(rpmq "$T/root" -qa --qf '%{NEVRA}\n' | sort)" "$(awk '{print $1}' "$out/run.packages" | sort)" \
  "rpm --root DIR -qa lists exactly the packages of run.packages"
is "$(rpmq "$T/root" -qa | wc -l)" "$(wc -l <"$out/run.packages")" "rpm -qa counts them all"
va=$(rpmq "$T/root" -Va 2>&1)
is "$va" "S.5......  c /etc/shells" "rpm -Va finds only the %config file bash's %post changed"
is "$(rpmq "$T/root" -q --qf '%{INSTALLTID}' bash)" 1747699200 \
  "install transaction id is SOURCE_DATE_EPOCH (here the newest build time)"
is "$(rpmq "$T/root" -qf /usr/bin/bash)" "$(rpmq "$T/root" -q bash)" "rpm -qf knows which package owns /usr/bin/bash"
# As a reader with no write access to the database, like a scanner.
chmod -R a+rX "$T/root"
setpriv --reuid 65534 --regid 65534 --clear-groups env HOME="$T" \
  rpm --root "$T/root" --dbpath /var/lib/rpm -q bash >/dev/null 2>"$T/ro.err"
ok $? "an unprivileged reader can query the database"
rm -rf "$T/root"

# rpm inside the image: the corpus has no rpm package, so the host's rpm
# reads the image's database inside the runner via a read-only volume.
# (rpm -qa from the image itself needs an rpm package in the repo.)
if [ "$(id -u)" = 0 ]; then
  mkdir -p "$T/root2"; tar -xf "$out/run.tar" -C "$T/root2"
  res=$("$MKBASE" run --rm -v "$T/root2:/mnt:ro" "$out/run.tar" -- /usr/bin/bash -c \
    'test -s /var/lib/rpm/rpmdb.sqlite && echo present' 2>"$T/runrpm.err")
  is "$res" present "inside mkbase run the image sees its rpm database"
  rm -rf "$T/root2"
else
  skip "not root"
fi

# rpmdb = manifest: the plain-text list; none: nothing.
recipe "$T/man.conf" man "bash coreutils" "rpmdb = manifest"
"$MKBASE" -q "$T/man.conf" -o "$out/man.tar" >/dev/null 2>&1
ok $? "rpmdb = manifest builds"
man=$(tar -xOf "$out/man.tar" ./var/lib/rpmmanifest/container-manifest-2 2>/dev/null)
is "$(wc -l <<<"$man")" "$(wc -l <"$out/man.packages")" "container-manifest-2 has a line per package"
bashline=$(grep '^bash	' <<<"$man")
is "$(cut -f2,3,4,8 <<<"$bashline")" "5.2.15-2+b13.bk12	1747699200	1747699200	x86_64" \
  "a line is NAME, VERSION-RELEASE, INSTALLTIME, BUILDTIME, ..., ARCH (tab-separated)"
is "$(awk -F'\t' '{print NF}' <<<"$man" | sort -u)" 10 "every line has Azure Linux's 10 fields"
tar -tf "$out/man.tar" | grep -q '^./var/lib/rpm/'
ok $((!$?)) "no sqlite database with rpmdb = manifest"
recipe "$T/none.conf" none "bash coreutils" "rpmdb = none"
"$MKBASE" -q "$T/none.conf" -o "$out/none.tar" >/dev/null 2>&1
tar -tf "$out/none.tar" | grep -qE 'var/lib/rpm/|rpmmanifest'
ok $((!$?)) "rpmdb = none: neither"
recipe "$T/bad.conf" bad "bash" "rpmdb = bdb"
"$MKBASE" -q "$T/bad.conf" -o "$out/bad.tar" >/dev/null 2>"$T/bad.err"
is "$?" 3 "rpmdb = bdb is a recipe error (exit 3)"
grep -q "bad.conf:4: rpmdb: expected \`none\`, \`manifest\` or \`sqlite\`, got \`bdb\`" "$T/bad.err"
ok $? "naming file:line and the choices"
# The zero profile keeps the manifest only.
recipe "$T/zero.conf" zero "bash coreutils" "profile = $TOP/profiles/zero.conf"
"$MKBASE" -q "$T/zero.conf" -o "$out/zero.tar" >/dev/null 2>&1
tar -tf "$out/zero.tar" | grep -qx './var/lib/rpmmanifest/container-manifest-2' \
  && ! tar -tf "$out/zero.tar" | grep -q 'var/lib/rpm/'
ok $? "profile zero: the plain-text manifest, no sqlite database"

# The sqlite database is made by a child process while the tar is being
# written (pkgdb.c): a profile may prune it, and a child that dies fails the
# build without a partial output or a stray directory.
printf '[profile]\ndescription = no rpm database\nremove = /var/lib/rpm/*\n' \
  >"$T/nodb.profile"
recipe "$T/nodb.conf" nodb "bash" "profile = $T/nodb.profile"
"$MKBASE" -q "$T/nodb.conf" -o "$out/nodb.tar" >/dev/null 2>"$T/nodb.err"
ok $? "a profile may prune the rpm database being made"
tar -tf "$out/nodb.tar" | grep -q 'rpmdb.sqlite'
ok $((!$?)) "and then the image has no rpmdb.sqlite"
cp "$out/nodb.tar" "$out/prev.tar"
recipe "$T/dies.conf" dies "bash"
MKBASE_TEST_RPMDB_DIES=1 "$MKBASE" -q "$T/dies.conf" -o "$out/prev.tar" \
  >/dev/null 2>"$T/dies.err"
is "$?" 1 "a killed rpm database process fails the build (exit 1)"
is "$(cat "$T/dies.err")" "mkbase: rpmdb = sqlite: rpm database: its process was killed by signal 9" \
  "saying so in one line"
cmp -s "$out/nodb.tar" "$out/prev.tar"
ok $? "the previous output is untouched"
ls -d "${TMPDIR:-/var/tmp}"/mkbase-rpmdb-* "${TMPDIR:-/var/tmp}"/mkbase-staging-* \
  "$out"/.prev.tar* 2>/dev/null | grep -q .
ok $((!$?)) "no database directory, staging tree or temporary output is left"

# librpm ends its transaction with syncfs() on "/": the child runs it
# chrooted into a tmpfs of its own mount namespace, as root and rootless,
# so that call never flushes the host's root filesystem.
nolsan=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
db_trace() { # db_trace TRACE [RUNNER...]: a cold build under strace
  local tr=$1; shift
  rm -rf "$T/dbc"; mkdir -p "$T/dbc"; chmod 0777 "$T/dbc"
  MKBASE_REUSE=0 ASAN_OPTIONS=$nolsan "$@" strace -f -qq -e trace=mount,chroot,syncfs -o "$tr" \
    "$MKBASE" -q --cache "$T/dbc/cache" --staging-dir "$T/dbc" "$T/dies.conf" -o "$T/dbc/x.tar" \
    >"$T/dbc/sha" 2>"$T/dbc/err"
}
for who in root rootless; do
  if [ "$who" = root ]; then db_trace "$T/db-root.trace"
  else db_trace "$T/db-user.trace" setpriv --reuid=65534 --regid=65534 --clear-groups; fi
  ok $? "$who: a build with the sqlite database under strace" || sed 's/^/#   /' "$T/dbc/err" | head -3
  tr=$T/db-$([ "$who" = root ] && echo root || echo user).trace
  grep -q 'mount("mkbase-rpmdb", "[^"]*/mkbase-rpmdb-[^"]*/root", "tmpfs"' "$tr" &&
    grep -q 'chroot("[^"]*/mkbase-rpmdb-[^"]*/root")' "$tr"
  ok $? "$who: the database's transaction runs chrooted into its own tmpfs"
  syncs=$(grep -c 'syncfs(' "$tr"); chroots=$(grep -c 'chroot("\.")' "$tr")
  [ "$syncs" -ge 1 ] && [ "$chroots" -ge 1 ] &&
    awk '/syncfs\(/ { s = NR } /chroot\("\."\)/ { c = NR } END { exit !(s < c) }' "$tr"
  ok $? "$who: librpm's syncfs comes before the chroot is left ($syncs syncfs, $chroots leave)"
  is "$(cut -d' ' -f1 "$T/dbc/sha")" "$(sha256sum "$T/dbc/x.tar" | cut -d' ' -f1)" "$who: and the image is written"
done
grep -q mkbase-rpmdb /proc/self/mountinfo
ok $((!$?)) "no tmpfs of the database's is left in the host's mount table"

# --- scriptlet semantics with crafted packages --------------------------------
specs=$T/specs
mkdir -p "$specs"
spec() { # spec NAME BODY...
  local name=$1; shift
  {
    echo "Name: $name"; echo "Version: 1"; echo "Release: 1"
    echo "Summary: scriptlet test"; echo "License: MIT"; echo "BuildArch: noarch"
    echo "Requires(pre): /bin/sh coreutils"
    echo "%description"; echo "test"
    printf '%s\n' "$@"
  } >"$specs/$name.spec"
}
spec scr-ok '%install' 'mkdir -p %{buildroot}/etc' \
  'echo keep > %{buildroot}/etc/scr-keep' 'echo gone > %{buildroot}/etc/scr-gone' \
  '%files' '/etc/scr-keep' '/etc/scr-gone' \
  '%pretrans -p <lua>' 'print("lua pretrans")' \
  '%pre' 'echo "pre $1" > /etc/scr-pre.txt; echo "pre says hello"' \
  '%post' 'echo "post $1" > /etc/scr-post.txt; mkdir -p /var/lib/scr; ln -s ../../../etc/scr-keep /var/lib/scr/link' \
  'chmod 0600 /etc/scr-keep; rm -f /etc/scr-gone; chown 8:12 /var/lib/scr 2>/dev/null; true' \
  '%posttrans' 'echo "posttrans $1" > /etc/scr-posttrans.txt'
spec scr-badpost '%files' '%post' 'echo "about to fail" >&2; exit 3'
spec scr-badpre '%files' '%pre' 'echo "pre refuses"; exit 1'
spec scr-loud '%files' '%post' 'i=0; while [ $i -lt 3000 ]; do echo "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"; i=$((i+1)); done; echo done-loud >/etc/scr-loud.txt'
build_rpms "$T/repo" "$specs"/*.spec >/dev/null 2>"$T/rpmbuild.err"
createrepo_c -q "$T/repo" >/dev/null 2>&1
ok $? "crafted scriptlet packages built"

recipe "$T/ok.conf" ok "scr-ok scr-badpost scr-loud" "scriptlets = run"
"$MKBASE" "$T/ok.conf" -o "$out/ok.tar" >/dev/null 2>"$T/ok.err"
ok $? "a failing %post is not fatal (as in rpm)"
grep -q "scr-badpost-1-1.noarch: %post scriptlet failed with exit status 3" "$T/ok.err"
ok $? "but it is a warning naming the package and the status"
grep -q '^scr-badpost-1-1.noarch %post (/bin/sh): exit 3$' "$out/ok.scripts" \
  && grep -q '^    | about to fail$' "$out/ok.scripts"
ok $? "the report has its status and output"
grep -q '^scr-ok-1-1.noarch %pretrans (<lua>): skipped: Lua' "$out/ok.scripts"
ok $? "a Lua scriptlet is reported as skipped"
grep -q '^    | pre says hello$' "$out/ok.scripts"
ok $? "a scriptlet's output is in the report"
is "$(tar -xOf "$out/ok.tar" ./etc/scr-loud.txt 2>/dev/null)" done-loud \
  "a scriptlet writing 300 kB of output runs to its end (nothing blocks on the pipe)"
loud=$(grep -c '^    | 0123' "$out/ok.scripts")
[ "$loud" -gt 100 ] && [ "$loud" -lt 3000 ]
ok $? "and the report keeps the first 64 KiB of it ($loud of 3000 lines)"
order=$(grep -o '^scr-ok-1-1.noarch %[a-z]*' "$out/ok.scripts" | awk '{print $2}' | tr '\n' ' ')
is "$order" "%pretrans %pre %post %posttrans " "scr-ok's scriptlets ran in rpm's order"
for f in pre post posttrans; do
  is "$(tar -xOf "$out/ok.tar" ./etc/scr-$f.txt 2>/dev/null)" "$f 1" "%$f got \$1 = 1 and its file is in the image"
done
is "$(tar -tvf "$out/ok.tar" ./etc/scr-keep | awk '{print $1}')" "-rw-------" "a chmod by %post reaches the tar"
tar -tf "$out/ok.tar" | grep -qx './etc/scr-gone'
ok $((!$?)) "a file %post removed is not in the image"
is "$(tar -tvf "$out/ok.tar" ./var/lib/scr/link | awk '{print $6, $7, $8}')" "./var/lib/scr/link -> ../../../etc/scr-keep" \
  "a symlink %post made is in the image"
if [ "$(id -u)" = 0 ]; then
  is "$(tar -tvf "$out/ok.tar" | awk '$6 == "./var/lib/scr/" {print $2}')" "8/12" "a chown by %post (as root) reaches the tar"
else
  skip "not root"
fi

recipe "$T/pre.conf" pre "scr-badpre" "scriptlets = run"
cp "$out/ok.tar" "$out/pre.tar"
"$MKBASE" -q "$T/pre.conf" -o "$out/pre.tar" >/dev/null 2>"$T/pre.err"
is "$?" 1 "a failing %pre fails the build (exit 1)"
grep -q "^mkbase: scr-badpre-1-1.noarch: %pre scriptlet failed with exit status 1" "$T/pre.err"
ok $? "naming the package and the scriptlet"
cmp -s "$out/ok.tar" "$out/pre.tar" && [ ! -e "$out/pre.scripts" ]
ok $? "the previous output is untouched and no report is written"

# --- acceptance 5: file capabilities through every format ---------------------
recipe "$T/caps.conf" caps "bash coreutils iputils-ping libcap2-bin" "output_format = tar oci-archive docker-archive"
"$MKBASE" -q "$T/caps.conf" -o "$out/caps.tar" >/dev/null 2>"$T/caps.err"
ok $? "tar, OCI archive and docker archive of an image with ping"
podman_setup
podman import -q "$out/caps.tar" mkbase-test:caps >/dev/null 2>"$T/podman.err"
res=$(podman run --rm --network none mkbase-test:caps /usr/sbin/getcap /usr/bin/ping 2>>"$T/podman.err")
is "$res" "/usr/bin/ping cap_net_raw=ep" "podman import (tar): getcap /usr/bin/ping shows cap_net_raw"
podman rmi -f mkbase-test:caps >/dev/null 2>&1
for fmt in oci docker; do
  loaded=$(podman load -q -i "$out/caps.$fmt.tar" 2>>"$T/podman.err" | sed -n 's/^Loaded image: //p' | head -1)
  res=$(podman run --rm --network none "$loaded" /usr/sbin/getcap /usr/bin/ping 2>>"$T/podman.err")
  is "$res" "/usr/bin/ping cap_net_raw=ep" "podman load ($fmt archive): getcap /usr/bin/ping shows cap_net_raw"
  podman rmi -f "$loaded" >/dev/null 2>&1
done
res=$("$MKBASE" run --rm "$out/caps.tar" -- /usr/sbin/getcap /usr/bin/ping 2>>"$T/podman.err")
is "$res" "/usr/bin/ping cap_net_raw=ep" "mkbase run: getcap /usr/bin/ping shows cap_net_raw"
