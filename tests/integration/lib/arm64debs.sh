#!/usr/bin/env bash
# tests/integration/lib/arm64debs.sh [DIR]
#
# Downloads the Debian 12 arm64 .debs that arm64repo.sh turns into the
# aarch64 test repository into DIR (default /var/cache/mkbase-test/arm64-debs).
# The list is the Debian-package closure of `packages = bash` in the x86_64
# corpus (/bin/sh's dash and the Essential perl-base included, as there).
#
# apt runs with a private state (lists, cache, empty dpkg status) and
# APT::Architecture=arm64, so the system's dpkg architectures and apt state are
# left alone; it uses the system's sources. When every package already has a
# .deb in DIR this exits at once, without network. Downloads go to a temporary
# directory in DIR and are renamed into place only when all are there.
# Needs root for the download (apt-get update).
set -euo pipefail
export LC_ALL=C
umask 022

PKGS="gcc-12-base libc6 libgcc-s1 libcrypt1 libpcre2-8-0 zlib1g libzstd1 libmd0
liblzma5 libbz2-1.0 mawk libtinfo6 libselinux1 dash debianutils base-files bash
libc-bin libacl1 tar dpkg perl-base"

die() { echo "mkbase: arm64debs: $1" >&2; exit 1; }

[ $# -le 1 ] || { echo "usage: $0 [DIR]" >&2; exit 2; }
DIR=${1:-/var/cache/mkbase-test/arm64-debs}

have() { # have PKG: DIR holds a .deb of PKG
  compgen -G "$DIR/$1_*_arm64.deb" >/dev/null || compgen -G "$DIR/$1_*_all.deb" >/dev/null
}
missing=0
for p in $PKGS; do have "$p" || { missing=1; break; }; done
[ $missing = 1 ] || exit 0

[ "$(id -u)" = 0 ] || die "must run as root to download the arm64 .debs into $DIR (tests/deps.sh does)"
command -v apt-get >/dev/null || die "apt-get not found (needs a Debian host)"
mkdir -p "$DIR" || die "cannot create $DIR"

tmp=$(mktemp -d "$DIR/.download.XXXXXX") || die "cannot create a temporary directory in $DIR"
trap 'rm -rf "$tmp"' EXIT
st=$tmp/apt
mkdir -p "$st/lists/partial" "$st/cache/archives/partial" "$tmp/debs"
touch "$st/status"
apt=(apt-get -q -o "Dir::State::Lists=$st/lists" -o "Dir::State::status=$st/status"
     -o "Dir::Cache=$st/cache" -o APT::Architecture=arm64 -o APT::Architectures::=arm64
     -o APT::Sandbox::User=root)

last_error() { # the line of apt's output that says best what went wrong
  { grep -m1 -E '^[WE]: Failed to fetch' "$1" || grep '^E:' "$1" | tail -n1 || tail -n1 "$1"; } |
    tr -s ' '
}
"${apt[@]}" --error-on=any update >"$tmp/log" 2>&1 || die "apt-get update (arm64) failed: $(last_error "$tmp/log")"
# shellcheck disable=SC2086
(cd "$tmp/debs" && "${apt[@]}" download $PKGS) >"$tmp/log" 2>&1 ||
  die "apt-get download failed: $(last_error "$tmp/log")"
for p in $PKGS; do
  compgen -G "$tmp/debs/${p}_*.deb" >/dev/null ||
    die "apt-get download gave no .deb for $p"
done

# into place: older versions of these packages go, so DIR holds one of each
for p in $PKGS; do
  for old in "$DIR/${p}"_*.deb; do
    [ -e "$old" ] || continue
    [ -e "$tmp/debs/${old##*/}" ] || rm -f "$old"
  done
done
mv -f "$tmp"/debs/*.deb "$DIR/"
