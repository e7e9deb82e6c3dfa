#!/usr/bin/env bash
# `make demo`'s steps: the sample repository from recipes/demo/SPECS, the
# demo image (path and sha256 printed), and a boot with `mkbase run`.
. "$(dirname "$0")/../lib.sh"
cd "$TOP"
recipes/demo/build-repo.sh out/demo-repo >"$T/repo.log" 2>&1
ok $? "recipes/demo/build-repo.sh builds the sample repository"
"$MKBASE" recipes/demo.conf -o "$T/demo.tar" >"$T/stdout" 2>"$T/stderr"
ok $? "mkbase recipes/demo.conf"
is "$(cat "$T/stdout")" "$(sha256sum "$T/demo.tar" | cut -d' ' -f1)  $T/demo.tar" \
  "prints the sha256 and the path of the tar"
is "$(cut -d' ' -f1 "$T/demo.packages" | tr '\n' ' ')" \
  "demo-busybox-1.0-1.x86_64 demo-filesystem-1.0-1.noarch demo-hello-1.0-1.noarch demo-setup-1.0-1.noarch " \
  "exactly the four packages; the weak dependency demo-extras stays out"
out=$(MKBASE_CACHE=$T/cache "$MKBASE" run --rm "$T/demo.tar" -- /usr/bin/hello 2>"$T/run.err")
ok $? "mkbase run boots it"
is "$(echo "$out" | head -1)" "hello from an mkbase image" "and /usr/bin/hello runs inside"
