#!/usr/bin/env bash
# Reproducible base layers (issue 5): byte-identical tar, OCI, docker and
# SBOM outputs under varied conditions; the OCI/docker outputs read by
# skopeo, umoci and podman; lock files; --check-repro; the SPDX SBOM.
. "$(dirname "$0")/../lib.sh"
cd "$TOP"
out=$T/out
mkdir -p "$out"
chmod 0777 "$out"
FORMATS=oci,oci-archive,docker-archive

# --- 1. two builds under varied conditions, every output identical ---------
"$MKBASE" -q recipes/bookworm-base.conf -o "$out/a.tar" --format "$FORMATS" >/dev/null
ok $? "build bookworm-base with --format $FORMATS"
mkdir -p "$T/stage-b/deeper"; chmod -R 0777 "$T/stage-b"
as_other=()
if [ "$(id -u)" = 0 ]; then as_other=(setpriv --reuid=65534 --regid=65534 --clear-groups); fi
cpu1=(); command -v taskset >/dev/null && cpu1=(taskset -c 0)
(umask 077; TZ=Pacific/Chatham LANG=de_DE.UTF-8 LC_ALL=tr_TR.UTF-8 \
  "${as_other[@]}" "${cpu1[@]}" env TMPDIR="$T/stage-b/deeper" \
  "$MKBASE" -q "$TOP/recipes/bookworm-base.conf" -o "$out/b.tar" --format "$FORMATS" \
  --staging-dir "$T/stage-b/deeper" >/dev/null)
ok $? "the second build: another staging dir, umask 077, TZ, locale, one CPU${as_other:+, as nobody}"
for f in tar oci.tar docker.tar spdx.json oci/index.json; do
  cmp -s "$out/a.$f" "$out/b.$f"
  ok $? "identical .$f"
done

# --- 2. container tools read the outputs -------------------------------------
sha=$(sha256sum "$out/a.tar" | cut -d' ' -f1)
layers=$(skopeo inspect --format '{{range .Layers}}{{.}} {{end}}' "oci:$out/a.oci" 2>"$T/skopeo.err")
is "$layers" "sha256:$sha " "skopeo inspect oci:DIR: one layer, the plain tar's sha256"
skopeo inspect --config "oci-archive:$out/a.oci.tar" >"$T/config.json" 2>>"$T/skopeo.err"
ok $? "skopeo inspect oci-archive:FILE"
python3 - "$T/config.json" "$sha" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
ok = (c["rootfs"]["diff_ids"] == ["sha256:" + sys.argv[2]] and c["architecture"] == "amd64"
      and c["os"] == "linux" and c["config"]["Cmd"] == ["/bin/sh"]
      and any(e.startswith("PATH=") for e in c["config"]["Env"]))
sys.exit(0 if ok else 1)
PY
ok $? "config: diff_ids = the tar's sha256, amd64/linux, Env PATH, Cmd /bin/sh"
created=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["created"])' "$T/config.json")
sde=$(tar --numeric-owner -tvf "$out/a.tar" ./etc/passwd | awk '{print $4"T"$5":00Z"}')
[ "${created:0:16}" = "${sde:0:16}" ]
ok $? "created follows SOURCE_DATE_EPOCH (the newest build time): $created"
umoci unpack --image "$out/a.oci:latest" "$T/umoci" >/dev/null 2>"$T/umoci.err" &&
  [ -x "$T/umoci/rootfs/usr/bin/bash" ]
ok $? "umoci unpack reads the layout"
podman_setup
loaded=$(podman load -q -i "$out/a.docker.tar" 2>"$T/podman.err" | sed -n 's/^Loaded image: //p' | head -1)
[ -n "$loaded" ]
ok $? "podman load reads the docker archive ($loaded)"
res=$(podman run --rm --network none "$loaded" /usr/bin/bash -c 'echo ok' 2>>"$T/podman.err" | tail -1)
is "$res" ok "podman run of the loaded image prints ok"
[ "$res" = ok ] || sed 's/^/#   /' "$T/podman.err" | tail -5
podman rmi -f "$loaded" >/dev/null 2>&1

# --- 5. the SBOM ----------------------------------------------------------------
python3 tests/integration/lib/spdxcheck.py "$out/a.spdx.json" tests/data/spdx-2.3.schema.json \
  "$out/a.packages" >"$T/spdx.err" 2>&1
ok $? "the SBOM validates (SPDX 2.3 schema, license ids, references) and lists exactly .packages"
[ $? = 0 ] || sed 's/^/#   /' "$T/spdx.err" | head
sed 's/"licenseDeclared":"NOASSERTION"/"licenseDeclared":"GPLv2+"/' "$out/a.spdx.json" >"$T/bad.json"
! python3 tests/integration/lib/spdxcheck.py "$T/bad.json" tests/data/spdx-2.3.schema.json \
  "$out/a.packages" >/dev/null 2>&1
ok $? "the check refuses a licenseDeclared that is not an SPDX expression"
grep -q '"referenceLocator":"pkg:rpm/debian/zlib1g@1.2.13.dfsg-1.bk12?arch=x86_64&epoch=1"' "$out/a.spdx.json"
ok $? "purls carry arch and epoch (zlib1g, epoch 1)"

# --- 3. lock files --------------------------------------------------------------
spec() { # spec VERSION CONTENT
  cat >"$T/greet.spec" <<SPEC
Name: greet
Version: $1
Release: 1
Summary: lock test package
License: MIT
BuildArch: noarch
%description
Test package for mkbase lock files.
%install
mkdir -p %{buildroot}/usr/share/greet
echo "$2" > %{buildroot}/usr/share/greet/version
%files
/usr/share/greet/version
SPEC
}
repo=$T/repo
spec 1 one && build_rpms "$repo" "$T/greet.spec" && createrepo_c -q "$repo" >/dev/null
ok $? "a test repository with greet-1"
printf '[image]\nname = g\npackages = greet\n[repo t]\nbaseurl = %s\n' "$repo" >"$T/g.conf"
"$MKBASE" lock -q "$T/g.conf"
ok $? "mkbase lock g.conf"
grep -q '^package greet 1-1 noarch t greet-1-1.noarch.rpm [0-9]* sha256:[0-9a-f]\{64\}$' "$T/g.lock"
ok $? "g.lock lists greet-1 with location, size and sha256"
"$MKBASE" -q --locked "$T/g.conf" -o "$out/g1.tar" >/dev/null
ok $? "build --locked"
spec 2 two && build_rpms "$repo" "$T/greet.spec" && createrepo_c -q "$repo" >/dev/null
ok $? "greet-2 added to the repository"
"$MKBASE" -q "$T/g.conf" -o "$out/g2.tar" >/dev/null && grep -q '^greet-2-1.noarch ' "$out/g2.packages"
ok $? "without --locked the newer greet-2 is picked"
"$MKBASE" -q --locked "$T/g.conf" -o "$out/g3.tar" >/dev/null && cmp -s "$out/g1.tar" "$out/g3.tar"
ok $? "with --locked the tar is byte-identical to the first build"
printf '[image]\nname = g\npackages = greet\nlock = g.lock\n[repo t]\nbaseurl = %s\n' "$repo" >"$T/g-key.conf"
"$MKBASE" -q "$T/g-key.conf" -o "$out/g4.tar" >/dev/null && cmp -s "$out/g1.tar" "$out/g4.tar"
ok $? "lock = g.lock in the recipe does the same"
printf '[image]\nname = g\npackages = greet bash\n[repo t]\nbaseurl = %s\n' "$repo" >"$T/g2.conf"
cp "$T/g.lock" "$T/g2.lock"
"$MKBASE" -q --locked "$T/g2.conf" -o "$out/g5.tar" >/dev/null 2>"$T/changed.err"
is "$?" 3 "a lock that no longer matches the recipe fails (exit 3)"
grep -q "g2.conf changed since .*g2.lock was written: packages added: bash" "$T/changed.err"
ok $? "and says what changed: $(cat "$T/changed.err")"
mv "$repo/greet-1-1.noarch.rpm" "$T/greet-1.rpm"
"$MKBASE" -q --locked "$T/g.conf" -o "$out/g6.tar" >/dev/null 2>"$T/missing.err"
is "$?" 1 "a missing locked package fails (exit 1)"
grep -q '^mkbase: greet-1-1.noarch (locked in .*): .* is missing from repository `t`' "$T/missing.err"
ok $? "naming the package: $(cat "$T/missing.err")"
spec 1 changed && build_rpms "$repo" "$T/greet.spec"
"$MKBASE" -q --locked "$T/g.conf" -o "$out/g7.tar" >/dev/null 2>"$T/sum.err"
is "$?" 1 "a locked package whose checksum differs fails (exit 1)"
grep -q '^mkbase: greet-1-1.noarch: sha256 checksum mismatch' "$T/sum.err"
ok $? "naming the package: $(cat "$T/sum.err")"
[ ! -e "$out/g7.tar" ]
ok $? "and writes no image"
mv "$T/greet-1.rpm" "$repo/greet-1-1.noarch.rpm"

# --- 4. --check-repro -------------------------------------------------------------
"$MKBASE" build --check-repro "$T/g-key.conf" -o x.tar.gz >"$T/cr.out" 2>"$T/cr.err"
ok $? "--check-repro passes on a reproducible recipe"
"$MKBASE" build -q --check-repro "$T/g-key.conf" --format "$FORMATS" >"$T/cr.out" 2>"$T/cr.err"
ok $? "--check-repro with every output format"
grep -qx "reproducible: $(sha256sum "$out/g1.tar" | cut -d' ' -f1)" "$T/cr.out"
ok $? "prints reproducible: SHA256 (the locked build's)"
MKBASE_TEST_NONDETERMINISM=mtime:/usr/share/greet/version \
  "$MKBASE" build -q --check-repro "$T/g-key.conf" >"$T/cr.out" 2>"$T/cr.err"
is "$?" 1 "--check-repro fails (exit 1) on an injected non-determinism"
grep -q '^mkbase: not reproducible: g.tar: entry `./usr/share/greet/version`: mtime (' "$T/cr.err"
ok $? "and names the entry and the field: $(cat "$T/cr.err")"
ls -A "$out" | grep -q '^\.' && { ok 1 "no temporary files left in the output dir"; ls -A "$out" | sed 's/^/# /'; } || ok 0 "no temporary files left in the output dir"
