#!/usr/bin/env bash
# Layered images (docs/layers.md): images on a base share its layer byte
# for byte; `layers = N` spreads an image over layers so that updating one
# package changes only its layer and the last one; the flattened tar is
# the single-layer build's; whiteouts; podman runs them; errors.
. "$(dirname "$0")/../lib.sh"
cd "$T"
out=$T/out
mkdir -p "$out"
digests() { # digests OCI-DIR: the manifest's digest, then config and layers
  python3 - "$1" <<'PY'
import json, sys
d = sys.argv[1]
i = json.load(open(d + "/index.json"))["manifests"][0]
m = json.load(open(d + "/blobs/sha256/" + i["digest"][7:]))
print(i["digest"], m["config"]["digest"], *[l["digest"] for l in m["layers"]])
PY
}
nth() { local n=$1; shift; eval "echo \${$((n + 1))}"; }
comments() { # the config's history comments, one per layer
  skopeo inspect --config "oci:$1" | python3 -c '
import json, sys; print("|".join(h.get("comment", "") for h in json.load(sys.stdin)["history"]))'
}
image() { # image FILE NAME PACKAGES REPO [extra image lines]
  local f=$1 name=$2 pk=$3 repo=$4; shift 4
  { echo "[image]"; echo "name = $name"; echo "packages = $pk"; echo "profile = none"
    echo "output = $out/$name.tar"; echo "output_format = tar oci docker-archive"
    for l in "$@"; do echo "$l"; done
    echo "[repo bookworm]"; echo "baseurl = $repo"; } >"$f"
}

# --- 1. two images on one base ------------------------------------------------
image base.conf base "bash coreutils" "$BOOKWORM"
image app1.conf app1 "findutils grep sed" "$BOOKWORM" "base = base.conf" \
  "remove = /usr/share/doc/bash /usr/share/doc/bash/** /usr/bin/dir"
image app2.conf app2 "tar gzip" "$BOOKWORM" "base = base.conf"
image union.conf union "bash coreutils findutils grep sed" "$BOOKWORM" \
  "remove = /usr/share/doc/bash /usr/share/doc/bash/** /usr/bin/dir"
"$MKBASE" -q base.conf >base.sum 2>base.err
ok $? "build the base"
"$MKBASE" -q app1.conf >app1.sum 2>app1.err
ok $? "build app1 on the base"
is "$(wc -l <app1.sum)" 1 "stdout holds app1's sha256 line alone (the base's goes to stderr)"
"$MKBASE" -q app2.conf >app2.sum 2>app2.err
ok $? "build app2 on the base"
base_sha=$(cut -d' ' -f1 base.sum)
b=$(digests "$out/base.oci") a1=$(digests "$out/app1.oci") a2=$(digests "$out/app2.oci")
is "$(nth 2 $b)" "sha256:$base_sha" "the base's own OCI layer is its tar"
is "$(nth 2 $a1)" "sha256:$base_sha" "app1's first layer is the base's layer"
is "$(nth 2 $a2)" "sha256:$base_sha" "app2's first layer is the base's layer"
is "$(echo $a1 | wc -w)" 4 "app1 has two layers"
cmp -s "$out/base.oci/blobs/sha256/$base_sha" "$out/app1.oci/blobs/sha256/$base_sha"
ok $? "the blob is byte-identical in both layouts"
config=$(skopeo inspect --config "oci:$out/app1.oci" 2>/dev/null)
python3 -c 'import json,sys; c=json.loads(sys.argv[1]); sys.exit(not (len(c["rootfs"]["diff_ids"]) == 2 == len(c["history"])))' "$config"
ok $? "the config lists two diff_ids and one history entry per layer"

# The plain tar is the flattened image: the single-layer build of the union.
"$MKBASE" -q union.conf >union.sum 2>union.err
# The package database lists the packages by name (pkgdb.c), so the
# pinned job's install order does not show: the same bytes.
cmp -s "$out/app1.tar" "$out/union.tar"
ok $? "app1's tar is byte-identical to the one-recipe build of the union ($(cut -d' ' -f1 app1.sum | head -c 12) = $(cut -d' ' -f1 union.sum | head -c 12))"
diff <(cut -d' ' -f1 "$out/app1.packages") <(cut -d' ' -f1 "$out/union.packages") >/dev/null
ok $? "the same package set: the base's packages were not chosen again"
top=$(nth 3 $a1)
tar -tf "$out/app1.oci/blobs/sha256/${top#sha256:}" >top.list
grep -qx './usr/bin/find' top.list && ! grep -q '^./usr/bin/bash$' top.list
ok $? "the top layer holds the new packages' files, not the base's"
grep -qx './usr/bin/.wh.dir' top.list && grep -qx './usr/share/doc/.wh.bash' top.list
ok $? "whiteouts for the base's paths the image removes (a file; a whole directory once)"
grep -qx './var/lib/rpm/rpmdb.sqlite' top.list
ok $? "the top layer carries the updated package database"

# Container engines read and run the layers.
podman_setup
timeout 300 podman load -q -i "$out/app1.docker.tar" >load.out 2>&1
ok $? "podman load reads the two-layer docker-archive"
n=$(timeout 60 podman image inspect --format '{{len .RootFS.Layers}}' localhost/app1:latest 2>/dev/null)
is "$n" 2 "podman sees two layers"
run_out=$(timeout 300 podman run --rm --network none localhost/app1:latest /bin/sh -c \
  'test -x /usr/bin/bash && echo base-file; test -x /usr/bin/find && echo top-file;
   test -e /usr/bin/dir || echo dir-gone; test -e /usr/share/doc/bash || echo doc-gone' 2>podman.err)
is "$(echo $run_out)" "base-file top-file dir-gone doc-gone" "podman run: a file of the base, one of the top layer, whited-out paths gone"
[ -n "$run_out" ] || sed 's/^/#   /' podman.err | tail -5
timeout 300 skopeo copy -q "oci:$out/app1.oci" "containers-storage:localhost/app1-oci:latest" >copy.out 2>&1
ok $? "skopeo copy from the OCI layout into podman's storage"
run_out=$(timeout 300 podman run --rm --network none localhost/app1-oci:latest /usr/bin/find /usr/bin/find 2>>podman.err)
is "$run_out" "/usr/bin/find" "podman run of the OCI layout's image"

# Rebuilding changes nothing.
"$MKBASE" -q app1.conf >/dev/null 2>&1
is "$(digests "$out/app1.oci")" "$a1" "rebuilt app1: the same manifest, config and layer digests"

# --- 2. layers = 8 ---------------------------------------------------------------
set8="bash coreutils findutils grep sed tar gzip less"
image l8.conf l8 "$set8" "$BOOKWORM" "layers = 8" "layer_compression = gzip"
image l1.conf l1 "$set8" "$BOOKWORM"
"$MKBASE" -q l8.conf >l8.sum 2>l8.err
ok $? "build with layers = 8"
"$MKBASE" -q l1.conf >l1.sum 2>l1.err
is "$(cut -d' ' -f1 l8.sum)" "$(cut -d' ' -f1 l1.sum)" "the tar of the layered build is the single-layer build's"
d8=$(digests "$out/l8.oci")
nl=$(($(echo $d8 | wc -w) - 2))
[ "$nl" -ge 2 ] && [ "$nl" -le 8 ]
ok $? "between 2 and 8 layers ($nl)"
c8=$(comments "$out/l8.oci")
diag "layers: $c8"
case "|$c8|" in *"|coreutils|"*) r=0 ;; *) r=1 ;; esac
ok $r "the biggest package (coreutils) has a layer of its own"
is "${c8##*|}" "package database and generated files" "the last layer holds the database and generated files"
"$MKBASE" -q l8.conf >/dev/null 2>&1
is "$(digests "$out/l8.oci")" "$d8" "rebuilt: the same digests (gzip blobs included)"
skopeo inspect --raw "oci:$out/l8.oci" | grep -q '"application/vnd.oci.image.layer.v1.tar+gzip"'
ok $? "layer_compression = gzip: the manifest lists tar+gzip layers"
skopeo inspect --config "oci:$out/l8.oci" | python3 -c '
import json, sys, subprocess
c = json.load(sys.stdin)
m = json.loads(subprocess.run(["skopeo", "inspect", "--raw", "oci:" + sys.argv[1]], capture_output=True).stdout)
import gzip, hashlib
ids = ["sha256:" + hashlib.sha256(gzip.open(sys.argv[1] + "/blobs/sha256/" + l["digest"][7:]).read()).hexdigest() for l in m["layers"]]
sys.exit(ids != c["rootfs"]["diff_ids"])' "$out/l8.oci"
ok $? "each diff_id is the sha256 of the decompressed blob"
timeout 300 skopeo copy -q "oci:$out/l8.oci" "containers-storage:localhost/l8:latest" >copy8.out 2>&1 &&
  run_out=$(timeout 300 podman run --rm --network none localhost/l8:latest /usr/bin/tar --version 2>>podman.err | head -1)
is "${run_out:-}" "tar (GNU tar) 1.34" "podman runs the 8-layer gzip image"
# The sum of the layers is the image: untar them in order, compare.
mkdir flat-l8
for l in $(echo $d8 | cut -d' ' -f3-); do tar -xf "$out/l8.oci/blobs/sha256/${l#sha256:}" -C flat-l8 2>/dev/null; done
mkdir flat-l1; tar -xf "$out/l1.tar" -C flat-l1 2>/dev/null
diff -r --no-dereference flat-l8 flat-l1 >/dev/null
ok $? "the layers unpacked in order give the image's files"

# One package updated (sed: a new release with one file changed): only
# sed's layer and the last one change.
mkdir crepo
for f in "$BOOKWORM"/Packages/*.rpm; do ln -s "$f" crepo/; done
"$TOP/tests/integration/lib/bumprpm.sh" "$(ls "$BOOKWORM"/Packages/sed-[0-9]*.rpm)" crepo bump >bump.out 2>&1
ok $? "make the next release of sed"
createrepo_c -q crepo >/dev/null
image l8b.conf l8b "$set8" "$T/crepo" "layers = 8" "layer_compression = gzip"
"$MKBASE" -q l8b.conf >/dev/null 2>l8b.err
ok $? "build it against the updated repository"
grep -q '^sed-4.9-1+deb12u1.bk12.1' "$out/l8b.packages"
ok $? "the update was taken"
d8b=$(digests "$out/l8b.oci")
c8b=$(comments "$out/l8b.oci")
is "$c8b" "$c8" "the same layers, in the same order"
changed=0 same=0
for i in $(seq 2 $((nl + 1))); do
  if [ "$(nth $i $d8)" = "$(nth $i $d8b)" ]; then same=$((same + 1)); else changed=$((changed + 1)); fi
done
is "$changed" 2 "two layers changed: sed's and the last ($same the same)"
is "$(nth $((nl + 1)) $d8)" "$(nth $((nl + 1)) $d8)" "(the last layer's digest is stable across rebuilds)"
sizes() { python3 - "$1" "$2" <<'PY'
import json, sys
def blobs(d):
    i = json.load(open(d + "/index.json"))["manifests"][0]
    m = json.load(open(d + "/blobs/sha256/" + i["digest"][7:]))
    return {b["digest"]: b["size"] for b in [m["config"]] + m["layers"] + [i]}
old, new = blobs(sys.argv[1]), blobs(sys.argv[2])
print(sum(new.values()), sum(s for d, s in new.items() if d not in old))
PY
}
read -r total sent < <(sizes "$out/l8.oci" "$out/l8b.oci")
diag "layers = 8, gzip, sed updated: a push sends $sent of $total bytes"
[ $((sent * 5)) -le "$total" ]
ok $? "at most a fifth of the image's bytes are new ($sent of $total)"

# --- 3. bad input ----------------------------------------------------------------
image nobase.conf nobase "sed" "$BOOKWORM" "base = missing.conf"
"$MKBASE" -q nobase.conf >/dev/null 2>nobase.err
is "$?" 3 "a missing base recipe: exit 3"
grep -q "^mkbase: nobase.conf:[0-9]*: base .missing.conf.: No such file or directory$" nobase.err
ok $? "one line with file:line ($(head -1 nobase.err))"
image zero.conf zero "sed" "$BOOKWORM" "layers = 0"
"$MKBASE" -q zero.conf >/dev/null 2>zero.err
is "$?" 3 "layers = 0: exit 3 ($(head -1 zero.err))"
image cyc1.conf cyc1 "sed" "$BOOKWORM" "base = cyc2.conf"
image cyc2.conf cyc2 "sed" "$BOOKWORM" "base = cyc1.conf"
"$MKBASE" -q cyc1.conf >/dev/null 2>cyc.err
is "$?" 3 "bases that name each other: exit 3"
grep -q "more than 8 bases deep" cyc.err
ok $? "the error says why ($(head -c 200 cyc.err))"
# A package that changes a file of the base.
mkdir crash-repo
build_rpms crash-repo "$TOP/tests/data/specs/conflict-a.spec" "$TOP/tests/data/specs/conflict-b.spec"
createrepo_c -q crash-repo >/dev/null
image cbase.conf cbase "conflict-a" "$T/crash-repo"
image capp.conf capp "conflict-b" "$T/crash-repo" "base = cbase.conf"
ls "$out"/capp* >/dev/null 2>&1; had=$?
"$MKBASE" -q capp.conf >/dev/null 2>capp.err
rc=$?
[ "$rc" != 0 ] && grep -q "/etc/clash" capp.err && grep -q "conflict-b" capp.err
ok $? "a package that changes a file of the base fails, naming the package and the path ($(head -1 capp.err))"
[ "$had" != 0 ] && ! ls "$out"/capp* >/dev/null 2>&1
ok $? "and leaves no output"

# --- 4. lock files cover the base ---------------------------------------------------
"$MKBASE" lock app2.conf >/dev/null 2>lock.err
ok $? "mkbase lock of an image on a base"
grep -q '^package bash ' app2.lock
ok $? "the lock holds the base's packages too"
sha_before=$(sha256sum "$out/app2.tar" | cut -d' ' -f1)
"$MKBASE" -q --locked app2.conf >locked.sum 2>locked.err
is "$(cut -d' ' -f1 locked.sum)" "$sha_before" "--locked gives the same image"
