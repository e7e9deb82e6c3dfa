#!/usr/bin/env bash
# Install the Debian packages a step needs when they are missing.
# Usage: tests/deps.sh build|test|demo|bench
set -euo pipefail
build=(build-essential pkg-config libsolv-dev libsolvext-dev librpm-dev
       libarchive-dev libseccomp-dev libcap-dev libcurl4-openssl-dev
       libsqlite3-dev libssl-dev)
# ISA-L's inflate (src/inflate.c) where Debian builds it; elsewhere mkbase
# reads gzip payloads with librpm's zlib.
case "$(dpkg --print-architecture 2>/dev/null)" in
  amd64|arm64) build+=(libisal-dev) ;;
esac
test=(rpm createrepo-c podman dnf python3 uidmap util-linux iproute2
      libcap2-bin busybox-static fakeroot zstd xz-utils gzip bzip2 curl
      skopeo umoci runc cpio clang libclang-rt-14-dev valgrind gnupg python3-jsonschema
      node-spdx-license-ids node-spdx-exceptions groff-base man-db passt
      docker-registry apache2-utils openssl qemu-user-static binfmt-support strace)
demo=(rpm createrepo-c busybox-static)
bench=(hyperfine bubblewrap gnuplot-nox time dnf)
case "${1:-build}" in
  build) want=("${build[@]}") ;;
  test) want=("${build[@]}" "${test[@]}") ;;
  demo) want=("${build[@]}" "${demo[@]}") ;;
  bench) want=("${build[@]}" "${test[@]}" "${bench[@]}") ;;
  *) echo "usage: $0 build|test|demo|bench" >&2; exit 64 ;;
esac
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
# The aarch64 test repository is made from Debian's arm64 packages
# (tests/integration/multiarch.sh); they are fetched once, outside the tree.
arm64_debs() {
  [ "${1:-build}" = test ] || [ "${1:-build}" = bench ] || return 0
  [ "$(id -u)" = 0 ] || return 0
  "$(dirname "$0")/integration/lib/arm64debs.sh" || exit 1
  # qemu-user-static's handler runs the aarch64 image (a container
  # machine may have binfmt_misc unmounted, or the handler disabled).
  [ -e /proc/sys/fs/binfmt_misc/register ] ||
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null
  head -1 /proc/sys/fs/binfmt_misc/qemu-aarch64 2>/dev/null | grep -q enabled ||
    update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 ||
    /usr/lib/systemd/systemd-binfmt >/dev/null 2>&1 || true
}
if [ ${#missing[@]} -eq 0 ]; then arm64_debs "${1:-build}"; exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "mkbase: missing Debian packages: ${missing[*]}" >&2
  echo "mkbase: run as root: apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
arm64_debs "${1:-build}"
