#!/usr/bin/env bash
# Install the Debian packages a step needs when they are missing.
# Usage: tests/deps.sh build|test|demo|bench
set -euo pipefail
build=(build-essential pkg-config libsolv-dev libsolvext-dev librpm-dev
       libarchive-dev libseccomp-dev libcap-dev libcurl4-openssl-dev
       libsqlite3-dev libssl-dev)
test=(rpm createrepo-c podman dnf python3 uidmap util-linux iproute2
      libcap2-bin busybox-static fakeroot zstd xz-utils gzip bzip2 curl
      skopeo umoci runc cpio clang libclang-rt-14-dev valgrind gnupg python3-jsonschema
      node-spdx-license-ids node-spdx-exceptions groff-base man-db passt
      docker-registry apache2-utils openssl)
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
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "mkbase: missing Debian packages: ${missing[*]}" >&2
  echo "mkbase: run as root: apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
