#!/usr/bin/env bash
# tests/runner/root.sh: `mkbase run` called by root (no user namespace; the
# container's root is the host's root with Docker's capability set).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/suite.bash"
if [ "$(id -u)" != 0 ]; then
  echo "# SKIP: needs root (rootless.sh covers the unprivileged runner)"
  trap - EXIT; _cleanup; exit 77
fi
PFX=()
setup_image
runner_suite root
mr -u 1000:1001 "$IMG" sh -c 'id -u; id -g; grep CapEff /proc/self/status' >"$T/out"
is "$(cat "$T/out")" "1000
1001
CapEff:	0000000000000000" "root: -u 1000:1001 runs as that user, without capabilities"
# Root of a nested user namespace (unshare -r) maps one id only; the runner
# must then make a user namespace of its own, as for any rootless caller.
if unshare -r true 2>/dev/null; then
  is "$(unshare -r "$MKBASE" run "$IMG" sh -c 'id -u; ls /sys/class/net; grep CapBnd /proc/self/status' 2>&1)" \
     "0
lo
CapBnd:	00000000a80425fb" "unshare -r: boots through its own user namespace"
else
  skip "unshare -r: user namespaces unavailable"
fi
