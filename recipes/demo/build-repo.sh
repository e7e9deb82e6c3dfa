#!/usr/bin/env bash
# Build the demo RPMs from recipes/demo/SPECS and an rpm-md repository of
# them at OUTDIR (OUTDIR/Packages/*.rpm, OUTDIR/repodata/).
# Usage: recipes/demo/build-repo.sh OUTDIR
#
# Reproducible: the same specs and the same host busybox give byte-identical
# packages and metadata, so a rebuild is skipped when nothing changed
# (MKBASE_DEMO_REBUILD=1 forces one).  SOURCE_DATE_EPOCH, if set, replaces
# the fixed default time stamp; MKBASE_DEMO_BUSYBOX replaces /bin/busybox.
set -euo pipefail

die() { echo "mkbase demo: $*" >&2; exit 1; }

[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 64; }
here=$(cd "$(dirname "$0")" && pwd)
busybox=${MKBASE_DEMO_BUSYBOX:-/bin/busybox}
# 2023-11-14T22:13:20Z: any fixed value will do, it only has to not move.
sde=${SOURCE_DATE_EPOCH:-1700000000}

command -v rpmbuild >/dev/null ||
    die "rpmbuild not found; install the Debian package rpm (tests/deps.sh demo)"
command -v createrepo_c >/dev/null ||
    die "createrepo_c not found; install the Debian package createrepo-c (tests/deps.sh demo)"
{ [ -f "$busybox" ] && [ -x "$busybox" ]; } ||
    die "$busybox not found; install the Debian package busybox-static (tests/deps.sh demo)"

# The image has no dynamic loader or libc, so a dynamically linked busybox
# (Debian's "busybox" package, which also installs /bin/busybox) would
# only fail later, inside the image, with a baffling "not found".  Look for
# a PT_INTERP program header; only 64-bit ELF in host byte order is read.
elf_has_interp() {
    local f=$1 class phoff phentsize phnum i
    class=$(od -An -t u1 -j 4 -N 1 "$f" | tr -d ' ')
    [ "$class" = 2 ] || return 1
    phoff=$(od -An -t u8 -j 32 -N 8 "$f" | tr -d ' ')
    phentsize=$(od -An -t u2 -j 54 -N 2 "$f" | tr -d ' ')
    phnum=$(od -An -t u2 -j 56 -N 2 "$f" | tr -d ' ')
    for ((i = 0; i < phnum; i++)); do
        [ "$(od -An -t u4 -j $((phoff + i * phentsize)) -N 4 "$f" | tr -d ' ')" = 3 ] &&
            return 0
    done
    return 1
}
[ "$(head -c 4 "$busybox" | od -An -c | tr -d ' ')" = '177ELF' ] ||
    die "$busybox is not an ELF binary"
! elf_has_interp "$busybox" ||
    die "$busybox is dynamically linked; install busybox-static instead of busybox"

mkdir -p "$1"
out=$(cd "$1" && pwd)

# Everything that goes into the output, hashed: skip the build if the last
# one used exactly the same inputs and its repository is still whole.
stamp=$( {
    cat "$0" "$busybox"
    for f in "$here"/SPECS/*.spec "$here"/SOURCES/*; do
        printf '%s\n' "${f##*/}"; cat "$f"
    done
    echo "$sde"
    rpmbuild --version; createrepo_c --version
} | sha256sum | cut -d' ' -f1)
if [ "${MKBASE_DEMO_REBUILD:-0}" != 1 ] && [ -f "$out/repodata/repomd.xml" ] &&
   [ "$(cat "$out/.mkbase-demo-stamp" 2>/dev/null)" = "$stamp" ]; then
    n=$(find "$out/Packages" -name '*.rpm' | wc -l)
    echo "mkbase demo: $out is up to date ($n packages)"
    exit 0
fi

start=$(date +%s.%N)
# A scratch _topdir beside OUTDIR (never ~/rpmbuild), thrown away after.
tmp=$(mktemp -d "$out.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/home" "$tmp/tmp"

# HOME points into the scratch directory so a user's ~/.rpmmacros cannot
# change the packages.  The macros make the build reproducible: build time
# and file mtimes come from SOURCE_DATE_EPOCH, the build host is fixed.
# zstd payloads as on EL9.  No brp-compress: Debian's fails under dash
# and demo-hello gzips its man page itself.  --nodeps: there are no
# BuildRequires, and Debian's rpm database knows nothing of the host's
# packages anyway.
if ! HOME=$tmp/home SOURCE_DATE_EPOCH=$sde TZ=UTC LC_ALL=C \
    rpmbuild -bb --nodeps \
    --define "_topdir $tmp" \
    --define "_sourcedir $here/SOURCES" \
    --define "_rpmdir $tmp/RPMS" \
    --define "_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm" \
    --define "_dbpath $tmp/rpmdb" \
    --define "_tmppath $tmp/tmp" \
    --define "busybox $busybox" \
    --define "_buildhost mkbase-demo" \
    --define "source_date_epoch_from_changelog 0" \
    --define "use_source_date_epoch_as_buildtime 1" \
    --define "clamp_mtime_to_source_date_epoch 1" \
    --define "_binary_payload w19.zstdio" \
    --define "__brp_compress true" \
    "$here"/SPECS/*.spec >"$tmp/rpmbuild.log" 2>&1; then
    tail -n 40 "$tmp/rpmbuild.log" >&2
    die "rpmbuild failed (last 40 lines of its output above)"
fi

# createrepo_c records each package file's mtime in primary.xml.
touch -h -d "@$sde" "$tmp"/RPMS/*.rpm
mkdir "$tmp/repo"
mv "$tmp/RPMS" "$tmp/repo/Packages"
# Fixed revision and time stamps, sha256 everywhere, gzip metadata (which
# every libsolv build reads), no sqlite databases (nothing here needs them
# and they are not reproducible).
if ! createrepo_c --quiet --revision "$sde" --set-timestamp-to-revision \
    --checksum sha256 --repomd-checksum sha256 --general-compress-type gz \
    --no-database "$tmp/repo" >"$tmp/createrepo.log" 2>&1; then
    cat "$tmp/createrepo.log" >&2
    die "createrepo_c failed"
fi

rm -rf "$out/Packages" "$out/repodata" "$out/.mkbase-demo-stamp"
mv "$tmp/repo/Packages" "$tmp/repo/repodata" "$out/"
echo "$stamp" >"$out/.mkbase-demo-stamp"

n=$(find "$out/Packages" -name '*.rpm' | wc -l)
secs=$(echo "$start $(date +%s.%N)" | awk '{ printf "%.1f", $2 - $1 }')
echo "mkbase demo: built $n packages into $out in ${secs}s"
