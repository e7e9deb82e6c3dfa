#!/usr/bin/env bash
# Multi-arch images (docs/multiarch.md): `arch = x86_64 aarch64` builds one
# image per architecture from one recipe, each with its own resolve, tar,
# .packages, record and SBOM, and one OCI index of both.  The aarch64
# repository is made here from Debian's arm64 packages
# (tests/integration/lib/arm64repo.sh; the .debs come from
# tests/integration/lib/arm64debs.sh, which tests/deps.sh runs); podman and
# `mkbase run` run the aarch64 image through qemu-user-static.
. "$(dirname "$0")/../lib.sh"
cd "$T"
DEBS=${MKBASE_ARM64_DEBS:-/var/cache/mkbase-test/arm64-debs}
REPO=$TOP/$OUT/test-data/arm64repo
if ! compgen -G "$DEBS/bash_*_arm64.deb" >/dev/null; then
  echo "# SKIPPING multiarch.sh: no arm64 .debs in $DEBS" >&2
  echo "# (run tests/integration/lib/arm64debs.sh as root, or tests/deps.sh test)" >&2
  skip "no arm64 .debs in $DEBS: run tests/integration/lib/arm64debs.sh"
  exit 0
fi
t0=$(date +%s.%N)
check "make the aarch64 repository from the arm64 .debs" -- \
  "$TOP/tests/integration/lib/arm64repo.sh" "$DEBS" "$REPO" || exit 1
diag "aarch64 repository ready in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
binfmt=/proc/sys/fs/binfmt_misc/qemu-aarch64
qemu_ok=false
[ -e $binfmt ] && head -1 $binfmt | grep -q enabled && qemu_ok=true

recipe() { # recipe FILE NAME ARCH PACKAGES [extra image lines]
  local f=$1 name=$2 arch=$3 pk=$4; shift 4
  { echo "[image]"; echo "name = $name"; echo "packages = $pk"
    echo "arch = $arch"; echo "profile = none"
    for l in "$@"; do echo "$l"; done
    echo "[repo bk]"; echo "baseurl = $REPO/\$basearch"; } >"$f"
}
machine() { # machine TAR PATH: the ELF e_machine of PATH in TAR
  tar -xOf "$1" "$2" | python3 -c '
import struct, sys; h = sys.stdin.buffer.read(20); print(struct.unpack("<H", h[18:20])[0])'
}

# --- 1. one recipe, two images, one index -----------------------------------
recipe single.conf single x86_64 bash
recipe multi.conf multi "x86_64 aarch64" bash \
  "output_format = tar oci oci-archive docker-archive"
"$MKBASE" -q single.conf -o out/single.tar >single.sum
ok $? "single-arch x86_64 build"
"$MKBASE" -q multi.conf >multi.sum 2>multi.err
ok $? "multi-arch build (x86_64 aarch64)"
is "$(awk '{print $2}' multi.sum | tr '\n' ' ')" \
   "out/multi.x86_64.tar out/multi.aarch64.tar " "one sha256 line per architecture"
check "the x86_64 image is byte-identical to the single-arch build" -- \
  cmp out/single.tar out/multi.x86_64.tar
is "$(machine out/multi.aarch64.tar ./usr/bin/bash)" 183 \
   "the aarch64 image's bash is an EM_AARCH64 ELF"
is "$(machine out/multi.x86_64.tar ./usr/bin/bash)" 62 \
   "the x86_64 image's bash is an EM_X86_64 ELF"
for a in x86_64 aarch64; do
  for f in packages record.json spdx.json docker.tar; do
    [ -s out/multi.$a.$f ] || { echo "# missing out/multi.$a.$f"; false; }
  done
  ok $? "$a has its own .packages, record, SBOM and docker-archive"
done
is "$(grep -c '\.aarch64 ' out/multi.aarch64.packages) $(grep -c '\.x86_64 ' out/multi.aarch64.packages)" \
   "22 0" "the aarch64 package list has aarch64 packages only (and noarch)"
skopeo inspect --raw oci-archive:out/multi.oci.tar >index.json 2>skopeo.err
ok $? "skopeo inspect --raw of the oci-archive"
is "$(python3 -c '
import json; i = json.load(open("index.json"))
print(i["mediaType"], *sorted("%s/%s/%s" % (m["platform"]["os"], m["platform"]["architecture"],
      m["platform"].get("variant", "-")) for m in i["manifests"]))')" \
   "application/vnd.oci.image.index.v1+json linux/amd64/- linux/arm64/v8" \
   "the index lists linux/amd64 and linux/arm64/v8"
check "skopeo reads the arm64 image's config from the layout" -- \
  sh -c 'skopeo inspect --override-arch arm64 --config oci:out/multi.oci | grep -q "\"architecture\": \"arm64\""'

# --- 2. running the aarch64 image -------------------------------------------
if $qemu_ok; then
  is "$("$MKBASE" run out/multi.aarch64.tar -- /bin/bash -c 'echo $MACHTYPE' 2>run.err)" \
     "aarch64-unknown-linux-gnu" "mkbase run: the aarch64 bash answers (qemu-user)"
  podman_setup
  id=$(podman pull -q --arch arm64 oci-archive:out/multi.oci.tar 2>pull.err)
  ok $? "podman pull --arch arm64 from the oci-archive"
  is "$(podman run --rm --arch arm64 --pull never "$id" /bin/bash -c 'echo $MACHTYPE' 2>prun.err)" \
     "aarch64-unknown-linux-gnu" "podman run --arch arm64: the aarch64 bash answers"
  [ -s prun.err ] && sed 's/^/#   /' prun.err | head -5
  is "$(podman image inspect "$id" --format '{{.Architecture}}')" arm64 \
     "podman sees an arm64 image"
  # Without the handler: one line naming the package, exit 125 (the handler
  # is back at once; nothing else in the suite runs aarch64 programs).
  echo 0 >$binfmt
  "$MKBASE" run out/multi.aarch64.tar -- /bin/sh -c true 2>nobinfmt.err
  rc=$?
  echo 1 >$binfmt
  is "$rc" 125 "mkbase run of an aarch64 image without a binfmt handler: exit 125"
  check "... and one line that says what to do" -- \
    grep -q '^mkbase: run: out/multi.aarch64.tar is an aarch64 image; .*update-binfmts --enable qemu-aarch64' nobinfmt.err
else
  echo "# SKIPPING the qemu-user checks: $binfmt is not enabled" >&2
  echo "# (apt-get install qemu-user-static binfmt-support; update-binfmts --enable qemu-aarch64)" >&2
  skip "no binfmt_misc handler for aarch64 (qemu-user-static)"
fi

# --- 3. scriptlets through qemu, the image check on aarch64 ------------------
if $qemu_ok; then
  recipe scripted.conf scripted aarch64 bash "scriptlets = run"
  "$MKBASE" -q scripted.conf -o out/scripted.tar >/dev/null 2>scripted.err
  ok $? "scriptlets = run for aarch64 (bash's %post through qemu-user)"
  check "bash's %post added itself to /etc/shells" -- \
    sh -c 'tar -xOf out/scripted.tar ./etc/shells | grep -qx /usr/bin/bash'
  check "the scriptlet report says exit 0" -- \
    grep -q 'bash-.*aarch64 %post (/bin/sh): exit 0' out/scripted.scripts
else
  skip "scriptlets = run for aarch64 needs qemu-user-static"
fi
recipe broken.conf broken aarch64 bash \
  "remove = /usr/lib/aarch64-linux-gnu/libtinfo.so.6*"
"$MKBASE" -q broken.conf -o out/broken.tar >/dev/null 2>broken.err
is $? 1 "an aarch64 image without libtinfo fails the image check"
check "... which names bash and the aarch64 library it lacks" -- \
  grep -q 'bash.*libtinfo.so.6' broken.err
[ ! -e out/broken.tar ]
ok $? "... and writes no image"

# --- 4. bad input --------------------------------------------------------------
recipe unknown.conf unknown "x86_64 arm64" bash
"$MKBASE" -q unknown.conf >/dev/null 2>unknown.err
is "$? $(cat unknown.err)" \
   "3 mkbase: unknown.conf:4: arch: unknown architecture \`arm64\` (known: x86_64, aarch64, i686, i586, i486, i386, armv7hl, armv7l, armv6hl, ppc64le, ppc64, s390x, riscv64)" \
   "an unknown architecture name: file:line, exit 3"
sed "s|\\\$basearch|x86_64|" multi.conf >lacking.conf
"$MKBASE" -q lacking.conf >/dev/null 2>lacking.err
is "$? $(cat lacking.err)" \
   "2 mkbase: aarch64: lacking.conf: no enabled repository has aarch64 packages (they have x86_64; does baseurl need \$basearch?)" \
   "a repository without the architecture: one line, exit 2"
recipe x86only.conf x86only aarch64 "bash coreutils"
cat >>x86only.conf <<EOF
[repo x86]
baseurl = $BOOKWORM
EOF
"$MKBASE" -q x86only.conf >/dev/null 2>x86only.err
is "$? $(cat x86only.err)" \
   "2 mkbase: x86only.conf:3: no package matches \`coreutils\` for aarch64 (the repositories have it for x86_64 only)" \
   "an x86_64-only package in an aarch64 resolve: file:line, exit 2"
"$MKBASE" -q --arch x86_64,sparc single.conf >/dev/null 2>badopt.err
is "$?" 64 "--arch with an unknown name is a usage error (64)"

# --- 5. --arch, lock, --locked, --check-repro ------------------------------------
"$MKBASE" -q --arch x86_64,aarch64 single.conf -o out/opt.tar >opt.sum
ok $? "--arch x86_64,aarch64 on a single-arch recipe"
is "$(awk '{print $1}' opt.sum)" "$(awk '{print $1}' multi.sum)" \
   "... gives the same two images"
"$MKBASE" lock -q multi.conf 2>lock.err
ok $? "mkbase lock of a multi-arch recipe"
is "$(grep -E '^(arch|platform)' multi.lock | tr '\n' '|')" \
   "arch x86_64 aarch64|platform x86_64|platform aarch64|" \
   "the lock has one section per architecture"
"$MKBASE" -q --locked multi.conf -o out/locked.tar >locked.sum 2>locked.err
ok $? "--locked multi-arch build"
is "$(awk '{print $1}' locked.sum)" "$(awk '{print $1}' multi.sum)" \
   "... gives the same two images"
"$MKBASE" -q --arch aarch64 --locked multi.conf -o out/one.tar >/dev/null 2>one.err
is "$?" 3 "--locked with a different --arch than the lock's: exit 3"
check "... and says the arch changed" -- grep -q 'arch removed: x86_64 aarch64' one.err
"$MKBASE" --check-repro multi.conf >repro.out 2>repro.err
ok $? "--check-repro of a multi-arch build"
is "$(grep -c '^reproducible: ' repro.out)" 2 "... compares both architectures"
