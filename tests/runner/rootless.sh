#!/usr/bin/env bash
# tests/runner/rootless.sh: `mkbase run` called by an unprivileged user,
# which goes through a user namespace mapping the caller to root.  As root
# this test drops to uid 65534 with setpriv; as non-root it runs as itself.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/suite.bash"
if [ "$(id -u)" = 0 ]; then
  PFX=(setpriv --reuid 65534 --regid 65534 --clear-groups)
else
  PFX=()
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
