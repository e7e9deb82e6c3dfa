#!/usr/bin/env bash
# tests/runner/rootless.sh: `mkbase run` called by an unprivileged user,
# which goes through a user namespace mapping the caller to root.  As root
# this test drops to uid 65534 with setpriv; as non-root it runs as itself.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/suite.bash"
# The runs' state (overlays of runs without --rm) goes to a runtime
# directory of the test's own, removed with $T, not to $TMPDIR/mkbase-UID.
mkdir -p "$T/xdg" && chmod 0700 "$T/xdg"
if [ "$(id -u)" = 0 ]; then
  chown 65534:65534 "$T/xdg"
  PFX=(setpriv --reuid 65534 --regid 65534 --clear-groups env XDG_RUNTIME_DIR="$T/xdg")
else
  PFX=(env XDG_RUNTIME_DIR="$T/xdg")
fi
if ! "${PFX[@]}" unshare -U true 2>/dev/null; then
  echo "# SKIP: unprivileged user namespaces are disabled" \
       "(kernel.unprivileged_userns_clone or user.max_user_namespaces)"
  trap - EXIT; _cleanup; exit 77
fi
setup_image
runner_suite rootless
mr -u 1000 "$IMG" true
is "$?:$(err_line)" "125:mkbase: run: --user 1000:0: a rootless run maps only the caller, as 0:0" \
   "rootless: -u other than 0 is refused clearly (125)"
