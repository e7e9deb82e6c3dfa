#!/usr/bin/env bash
# mkbase push: an image's OCI layout (directory or oci-archive) uploaded to
# Debian's real docker-registry (the CNCF distribution) on 127.0.0.1, then
# read back by skopeo and podman.  A second push sends no blob; multi-arch
# indexes (listed in index.json, or nested) go up children first; failed
# pushes (a corrupt blob, a registry answering 500, a registry killed in
# the middle of an upload) leave no tag; htpasswd Basic auth and token
# (Bearer) auth, the token server being tests/integration/lib/tokenserver.py
# and the registry the real one; TLS with --tls-verify=false; layered
# images: the base layer shared in the registry, and the bytes a second
# push sends after a one-package update, 8 layers against 1.
. "$(dirname "$0")/../lib.sh"
cd "$TOP"
[ -d "$BOOKWORM" ] || { echo "1..0 # SKIP no bookworm corpus"; exit 77; }
for c in docker-registry skopeo htpasswd openssl curl; do
  command -v "$c" >/dev/null || { echo "1..0 # SKIP no $c (tests/deps.sh test)"; exit 77; }
done
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY no_proxy NO_PROXY all_proxy ALL_PROXY
# No auth file of the host's may answer for our registries.
export HOME=$T/home
unset XDG_RUNTIME_DIR XDG_CONFIG_HOME REGISTRY_AUTH_FILE
mkdir -p "$HOME"
export TMPDIR=$T/tmp
mkdir -p "$TMPDIR"
export MKBASE_PROFILES=$TOP/profiles
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1" 2>/dev/null || echo "(no JSON)"; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_registry NAME [CONFIG-LINES] : a docker-registry with its storage in
# $T/reg-NAME/data, logging each request (method and URI) to
# $T/reg-NAME/log; sets ${NAME}_port and ${NAME}_pid.  Runs as
# $REG_USER (a setpriv command) when that is set.  Restart it with
# restart_registry NAME (same port, same storage).
start_registry() {
  local name=$1 extra=${2:-} dir=$T/reg-$1 port
  mkdir -p "$dir/data"
  port=$(free_port)
  cat >"$dir/config.yml" <<EOF
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: $dir/data
http:
  addr: 127.0.0.1:$port
$extra
EOF
  printf -v "${name}_port" '%s' "$port"
  restart_registry "$name"
}
restart_registry() {
  local name=$1 dir=$T/reg-$1 port_var=${1}_port i
  local port=${!port_var}
  # shellcheck disable=SC2086
  ${REG_USER:-} docker-registry serve "$dir/config.yml" >>"$dir/log" 2>&1 &
  printf -v "${name}_pid" '%s' "$!"
  _bg_pids="$_bg_pids $!"
  for i in $(seq 1 100); do
    curl -sk -o /dev/null "http://127.0.0.1:$port/v2/" && break
    curl -sk -o /dev/null "https://127.0.0.1:$port/v2/" && break
    sleep 0.05
  done
}
stop_registry() { # stop_registry NAME [SIGNAL]
  local pid_var=${1}_pid
  kill "-${2:-TERM}" "${!pid_var}" 2>/dev/null; wait "${!pid_var}" 2>/dev/null
}
# Requests in a registry's access log: count_req NAME 'POST /v2/x/blobs/uploads/'
count_req() { grep -c "\"$2" "$T/reg-$1/log" || true; }
mark_log() { : >"$T/reg-$1/log"; }

# push NAME ARGS...: stdout in $T/NAME.out, stderr in $T/NAME.err, status in $rc.
push() {
  local name=$1; shift
  "$MKBASE" push "$@" >"$T/$name.out" 2>"$T/$name.err"
  rc=$?
}
summary() { sed -n 's/^pushed [^ ]* [^ ]* (\(.*\))$/\1/p' "$T/$1.err"; }
one_line_error() { # the whole of stderr is one "mkbase: push REF: ..." line
  [ "$(wc -l <"$T/$1.err")" = 1 ] && grep -q "^mkbase: push $2: " "$T/$1.err"
}

# --- 1. the image -----------------------------------------------------------------
img=$T/img
mkdir -p "$img"
sed "s|^baseurl = .*|baseurl = $BOOKWORM|" recipes/bookworm-bash.conf >"$T/bash.conf"
build_image "$T/bash.conf" "$img/bash.tar" --format oci,oci-archive >/dev/null
ok $? "build bookworm-bash with --format oci,oci-archive"
layer=sha256:$(sha256sum "$img/bash.tar" | cut -d' ' -f1)
manifest=$(json "$img/bash.oci/index.json" 'd["manifests"][0]["digest"]')
config=$(json "$img/bash.oci/blobs/sha256/${manifest#sha256:}" 'd["config"]["digest"]')
size=$(( $(stat -c %s "$img/bash.tar") + $(stat -c %s "$img/bash.oci/blobs/sha256/${config#sha256:}") ))

# --- 2. a registry without auth -------------------------------------------------------
start_registry open
reg=127.0.0.1:$open_port
push first "$img/bash.tar" "$reg/mkbase/bash:1"
is "$rc" 0 "push IMAGE.tar (finds IMAGE.oci/ next to it) to $reg/mkbase/bash:1: exit 0"
[ $rc = 0 ] || sed 's/^/#   /' "$T/first.err"
is "$(cat "$T/first.out")" "$manifest" "stdout is the manifest digest, the one index.json names"
is "$(summary first)" "2 blobs sent, 0 already there, $size bytes" \
  "stderr: one summary line (2 blobs, layer + config bytes: $size)"
is "$(grep -c $'\r' "$T/first.err")" 0 "no progress redraws when stderr is no terminal"
is "$(count_req open 'HEAD /v2/mkbase/bash/blobs/') $(count_req open 'POST /v2/mkbase/bash/blobs/uploads/ ') $(count_req open 'PUT /v2/mkbase/bash/blobs/uploads/') $(count_req open 'PUT /v2/mkbase/bash/manifests/1 ')" \
  "2 2 2 1" "registry log: 2 HEAD, 2 POST + 2 PUT uploads, 1 manifest PUT by tag"
grep '"PUT /v2/mkbase/bash/blobs/uploads/' "$T/reg-open/log" | grep -q 'digest=sha256%3A'
ok $? "each blob PUT carries ?digest= (or &digest=)"
diag "first push: $(summary first); requests: $(grep -c '" [0-9][0-9][0-9] ' "$T/reg-open/log")"

insp=$(skopeo inspect --tls-verify=false --format '{{.Digest}} {{range .Layers}}{{.}}{{end}}' "docker://$reg/mkbase/bash:1" 2>"$T/skopeo.err")
is "$insp" "$manifest $layer" "skopeo inspect docker://$reg/mkbase/bash:1: the printed digest, the tar's sha256 as layer"
# --preserve-digests: skopeo would gzip the uncompressed layer otherwise.
skopeo copy -q --preserve-digests --src-tls-verify=false "docker://$reg/mkbase/bash:1" "oci:$T/copy:1" >/dev/null 2>"$T/copy.err" &&
  cmp -s "$T/copy/blobs/sha256/${layer#sha256:}" "$img/bash.tar" &&
  cmp -s "$T/copy/blobs/sha256/${manifest#sha256:}" "$img/bash.oci/blobs/sha256/${manifest#sha256:}"
ok $? "skopeo copy docker://... oci:DIR works: layer and manifest byte for byte what was pushed"
[ -s "$T/copy.err" ] && sed 's/^/#   /' "$T/copy.err" | head -5

if command -v podman >/dev/null; then
  podman_setup
  podman pull -q --tls-verify=false "$reg/mkbase/bash:1" >"$T/pull.out" 2>"$T/podman.err"
  ok $? "podman pull --tls-verify=false $reg/mkbase/bash:1"
  res=$(podman run --rm --network none "$reg/mkbase/bash:1" /bin/sh -c 'echo hi' 2>>"$T/podman.err" | tail -1)
  is "$res" hi "podman run of the pulled image: /bin/sh -c 'echo hi'"
  [ "$res" = hi ] || sed 's/^/#   /' "$T/podman.err" | tail -5
  podman rmi -f "$reg/mkbase/bash:1" >/dev/null 2>&1
else skip "no podman"; skip "no podman"; fi

# --- 3. pushing again -----------------------------------------------------------
mark_log open
push again "$img/bash.oci" "$reg/mkbase/bash:1"
is "$rc:$(cat "$T/again.out")" "0:$manifest" "a second push of the same image: exit 0, the same digest"
is "$(count_req open 'POST /v2/mkbase/bash/blobs/uploads/') $(count_req open 'PUT /v2/mkbase/bash/blobs/uploads/')" "0 0" \
  "sends no blob: no upload POST or PUT in the registry log"
is "$(summary again)" "0 blobs sent, 2 already there, 0 bytes" "the summary says so"
diag "second push: $(summary again); requests: $(grep -c '" [0-9][0-9][0-9] ' "$T/reg-open/log")"
if command -v script >/dev/null; then
  script -qec "$MKBASE push $img/bash.oci $reg/mkbase/bash:tty" /dev/null >"$T/tty.out" 2>&1
  grep -q "exists  ${layer:0:19}…" "$T/tty.out"
  ok $? "on a terminal: one 'exists  sha256:…' line per blob the registry has"
else skip "no script(1)"; fi
push quiet -q "$img/bash.oci" "$reg/mkbase/bash:q"
is "$rc:$(cat "$T/quiet.out"):$(cat "$T/quiet.err")" "0:$manifest:" "-q: the digest on stdout, nothing on stderr"

# The oci-archive, read in place, to a repository that has none of the blobs.
mark_log open
push arch "$img/bash.oci.tar" "$reg/mkbase/arch"
is "$rc:$(cat "$T/arch.out")" "0:$manifest" "push STEM.oci.tar (blobs read at their offsets in the archive): exit 0"
is "$(summary arch)" "2 blobs sent, 0 already there, $size bytes" "2 blobs sent from the archive"
is "$(count_req open 'PUT /v2/mkbase/arch/manifests/latest ')" 1 "no tag in the reference: the tag is latest"
is "$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$reg/mkbase/arch:latest" 2>>"$T/skopeo.err")" "$manifest" \
  "skopeo sees the same manifest under mkbase/arch:latest"
push stem "$img/bash" "$reg/mkbase/bash:stem"
is "$rc" 0 "push STEM (no suffix) finds STEM.oci/"
push digest "$img/bash.oci" "$reg/mkbase/bydigest@$manifest"
is "$rc:$(cat "$T/digest.out")" "0:$manifest" "push NAME@DIGEST: pushed by digest"
push wrongdigest "$img/bash.oci" "$reg/mkbase/bydigest@sha256:$(printf '%064d' 0)"
is "$rc" 1 "NAME@DIGEST with another digest: exit 1"
one_line_error wrongdigest "$reg/mkbase/bydigest@sha256:0*"
ok $? "one error line: $(head -c 200 "$T/wrongdigest.err")"

# --- 4. the wrong inputs ---------------------------------------------------------
mkdir -p "$T/plain"
cp "$img/bash.tar" "$T/plain/x.tar"
push plain "$T/plain/x.tar" "$reg/mkbase/x:1"
is "$rc" 1 "an image tar with no OCI layout next to it: exit 1"
one_line_error plain "$reg/mkbase/x:1" && grep -q "add \`oci\` to the recipe's output_format" "$T/plain.err"
ok $? "one line telling to add oci to output_format: $(head -c 240 "$T/plain.err")"
push noreg "$img/bash.oci" "demo:1"
is "$rc" 64 "a reference without a registry host: exit 64"
one_line_error noreg "demo:1"
ok $? "one line: $(cat "$T/noreg.err")"
push upper "$img/bash.oci" "$reg/Demo"
is "$rc" 64 "an uppercase name: exit 64"
push args "$img/bash.oci"
is "$rc" 64 "one argument only: exit 64"
push badopt --retries x "$img/bash.oci" "$reg/mkbase/x"
is "$rc" 64 "--retries x: exit 64"
dead=$(free_port)
push refused --retries 1 "$img/bash.oci" "127.0.0.1:$dead/mkbase/x:1"
is "$rc" 1 "no registry on the port: exit 1 (after a retry)"
grep -q "^mkbase: push 127.0.0.1:$dead/mkbase/x:1: GET http://127.0.0.1:$dead/v2/: .*onnect" "$T/refused.err" &&
  grep -q "retrying in" "$T/refused.err"
ok $? "it says the connection failed, and that it retried: $(tail -1 "$T/refused.err" | head -c 200)"

# --- 5. multi-arch: an index --------------------------------------------------------
# A second "platform": the same layer under a config that says arm64.
python3 - "$img/bash.oci" "$T/multi.oci" "$T/nested.oci" <<'PY'
import hashlib, json, os, shutil, sys
src, multi, nested = sys.argv[1:4]
def blob(layout, data):
    d = hashlib.sha256(data).hexdigest()
    with open(os.path.join(layout, "blobs", "sha256", d), "wb") as f:
        f.write(data)
    return "sha256:" + d, len(data)
for dst in (multi, nested):
    shutil.copytree(src, dst)
idx = json.load(open(os.path.join(src, "index.json")))
amd = dict(idx["manifests"][0])
amd.pop("annotations", None)
m = json.load(open(os.path.join(src, "blobs", "sha256", amd["digest"][7:])))
cfg = json.load(open(os.path.join(src, "blobs", "sha256", m["config"]["digest"][7:])))
cfg["architecture"] = "arm64"
children = []
for layout in (multi, nested):
    cd, cs = blob(layout, json.dumps(cfg, separators=(",", ":")).encode())
    m2 = dict(m, config=dict(m["config"], digest=cd, size=cs))
    md, ms = blob(layout, json.dumps(m2, separators=(",", ":")).encode())
    children = [dict(amd, platform={"architecture": "amd64", "os": "linux"}),
                {"mediaType": m["mediaType"], "digest": md, "size": ms,
                 "platform": {"architecture": "arm64", "os": "linux"}}]
# index.json listing both platforms directly
json.dump({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
           "manifests": children}, open(os.path.join(multi, "index.json"), "w"))
# index.json -> one nested index blob -> both platforms
ix = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                 "manifests": children}, separators=(",", ":")).encode()
xd, xs = blob(nested, ix)
json.dump({"schemaVersion": 2, "manifests": [
    {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": xd, "size": xs,
     "annotations": {"org.opencontainers.image.ref.name": "latest"}}]},
    open(os.path.join(nested, "index.json"), "w"))
PY
ok $? "two multi-arch layouts (index.json listing amd64+arm64; index.json -> nested index)"
for kind in multi nested; do
  mark_log open
  push $kind "$T/$kind.oci" "$reg/mkbase/$kind:1"
  is "$rc" 0 "push the $kind layout: exit 0"
  [ $rc = 0 ] || sed 's/^/#   /' "$T/$kind.err"
  skopeo inspect --raw --tls-verify=false "docker://$reg/mkbase/$kind:1" >"$T/$kind.raw" 2>>"$T/skopeo.err"
  is "sha256:$(sha256sum <"$T/$kind.raw" | cut -d' ' -f1) $(json "$T/$kind.raw" 'd["mediaType"], len(d["manifests"])')" \
    "$(cat "$T/$kind.out") application/vnd.oci.image.index.v1+json 2" \
    "$kind: the tag holds an OCI index of 2 manifests, its digest the printed one"
  # The children by digest, then the index by tag, last.
  is "$(grep -oE '"PUT /v2/mkbase/'$kind'/manifests/[^ ]*' "$T/reg-open/log" | sed 's|.*/manifests/||; s/sha256:.*/digest/' | tr '\n' ' ')" \
    "digest digest 1 " "$kind: the two manifests go up by digest, then the index under the tag"
  armcfg=$(json "$T/multi.oci/blobs/sha256/$(json "$T/multi.oci/index.json" 'd["manifests"][1]["digest"][7:]')" 'd["config"]["size"]')
  is "$(summary $kind)" "3 blobs sent, 0 already there, $((size + armcfg)) bytes" \
    "$kind: 3 blobs (the shared layer once, two configs) to the new repository"
done
is "$(skopeo inspect --tls-verify=false --override-arch arm64 --format '{{.Architecture}}' "docker://$reg/mkbase/multi:1" 2>>"$T/skopeo.err")" arm64 \
  "skopeo resolves the arm64 platform through the index"

# --- 6. failed pushes leave no tag --------------------------------------------------------
# A corrupt config blob (same size): the layer goes up, the config is refused
# before a byte of it leaves, and the manifest is never sent.
cp -r "$img/bash.oci" "$T/corrupt.oci"
cfgfile=$T/corrupt.oci/blobs/sha256/${config#sha256:}
python3 -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[5]^=1; open(p,"wb").write(b)' "$cfgfile"
mark_log open
push corrupt "$T/corrupt.oci" "$reg/mkbase/corrupt:1"
is "$rc" 1 "a layout whose config blob is corrupt: exit 1"
one_line_error corrupt "$reg/mkbase/corrupt:1" && grep -q "blob $config of \`.*\` is corrupt: its content hashes to sha256:" "$T/corrupt.err"
ok $? "one line naming the corrupt blob: $(head -c 220 "$T/corrupt.err")"
is "$(count_req open 'PUT /v2/mkbase/corrupt/blobs/uploads/') $(count_req open 'PUT /v2/mkbase/corrupt/manifests/')" "1 0" \
  "the layer was uploaded, no manifest was sent"
! skopeo inspect --tls-verify=false "docker://$reg/mkbase/corrupt:1" >/dev/null 2>"$T/corrupt.skopeo"
ok $? "no tag: skopeo inspect of mkbase/corrupt:1 fails ($(grep -o 'manifest unknown' "$T/corrupt.skopeo" | head -1))"

# A registry that answers 500 when it stores the second blob: its blob
# directory is read-only to the registry (which runs as nobody when we are
# root: root writes anyway).
REG_USER=
if [ "$(id -u)" = 0 ]; then REG_USER="setpriv --reuid=65534 --regid=65534 --clear-groups"; fi
mkdir -p "$T/reg-ro/data/docker/registry/v2/blobs/sha256/${config:7:2}"
[ "$(id -u)" = 0 ] && chown -R 65534:65534 "$T/reg-ro"
chmod 0555 "$T/reg-ro/data/docker/registry/v2/blobs/sha256/${config:7:2}"
[ "$(id -u)" = 0 ] && chown 0:0 "$T/reg-ro/data/docker/registry/v2/blobs/sha256/${config:7:2}"
[ "${layer:7:2}" != "${config:7:2}" ]
ok $? "layer and config land in different blob directories (${layer:7:2}, ${config:7:2})"
start_registry ro
REG_USER=
push ro "$img/bash.oci" "127.0.0.1:$ro_port/mkbase/ro:1"
is "$rc" 1 "a registry failing the second blob with HTTP 500: exit 1"
grep -q "^mkbase: push 127.0.0.1:$ro_port/mkbase/ro:1: upload blob ${config:0:19}…: PUT /v2/mkbase/ro/blobs/uploads/.*: HTTP 500" "$T/ro.err"
ok $? "the error names the blob and the 500: $(tail -1 "$T/ro.err" | head -c 200)"
is "$(count_req ro 'PUT /v2/mkbase/ro/blobs/uploads/') $(count_req ro 'POST /v2/mkbase/ro/blobs/uploads/') $(grep -c 'retrying in' "$T/ro.err")" "4 4 2" \
  "the failing blob was tried 3 times (POST + PUT each; 2 retries by default)"
is "$(count_req ro 'PUT /v2/mkbase/ro/manifests/')" 0 "no manifest was sent"
! skopeo inspect --tls-verify=false "docker://127.0.0.1:$ro_port/mkbase/ro:1" >/dev/null 2>&1
ok $? "no tag: skopeo inspect of mkbase/ro:1 fails"
stop_registry ro

# A registry killed while the layer streams in.
start_registry dies
( for i in $(seq 1 4000); do
    if find "$T/reg-dies/data" -path '*_uploads*' -name data -size +1M 2>/dev/null | grep -q .; then
      kill -9 "$dies_pid"; echo killed >"$T/dies.killed"; break
    fi
    sleep 0.005
  done ) &
watcher=$!
push dies --retries 1 "$img/bash.oci" "127.0.0.1:$dies_port/mkbase/dies:1"
wait "$watcher"
is "$rc:$(cat "$T/dies.killed" 2>/dev/null)" "1:killed" "the registry killed during the layer upload: exit 1"
[ "$(grep -vc '^mkbase: warning: ' "$T/dies.err")" = 1 ] && grep -q "^mkbase: push 127.0.0.1:$dies_port/mkbase/dies:1: " "$T/dies.err"
ok $? "one error line (after retry warnings): $(tail -1 "$T/dies.err" | head -c 200)"
wait "$dies_pid" 2>/dev/null
restart_registry dies
! skopeo inspect --tls-verify=false "docker://127.0.0.1:$dies_port/mkbase/dies:1" >/dev/null 2>&1
ok $? "registry restarted on the same storage: no tag mkbase/dies:1"
push dies2 "$img/bash.oci" "127.0.0.1:$dies_port/mkbase/dies:1"
is "$rc:$(cat "$T/dies2.out")" "0:$manifest" "pushing again then succeeds"
stop_registry dies

# --- 7. Basic auth (htpasswd) ---------------------------------------------------------
htpasswd -Bbn alice 'pa ss:w0rd' >"$T/htpasswd"
start_registry basic "auth:
  htpasswd:
    realm: mkbase-test
    path: $T/htpasswd"
breg=127.0.0.1:$basic_port
curl -s -o /dev/null -w '%{http_code}' "http://$breg/v2/" >"$T/basic.code"
is "$(cat "$T/basic.code")" 401 "the htpasswd registry answers 401 over plain http (it does Basic auth without TLS)"
authfile() { # authfile FILE KEY USER:PASS
  printf '{"auths": {"%s": {"auth": "%s"}}}\n' "$2" "$(printf '%s' "$3" | base64 -w0)" >"$1"
}
push nocreds "$img/bash.oci" "$breg/mkbase/bash:1"
is "$rc" 1 "no credentials anywhere: exit 1"
one_line_error nocreds "$breg/mkbase/bash:1" && grep -q "wants credentials (401 Unauthorized) and no auth file has any for it" "$T/nocreds.err"
ok $? "one clear line: $(head -c 260 "$T/nocreds.err")"
authfile "$T/wrong.json" "$breg" 'alice:nope'
REGISTRY_AUTH_FILE=$T/wrong.json push wrong "$img/bash.oci" "$breg/mkbase/bash:1"
is "$rc" 1 "a wrong password: exit 1"
one_line_error wrong "$breg/mkbase/bash:1" && grep -q "refused the credentials from \`$T/wrong.json\` (401 Unauthorized)" "$T/wrong.err"
ok $? "one clear line: $(cat "$T/wrong.err")"
authfile "$T/right.json" "$breg" 'alice:pa ss:w0rd'
mark_log basic
REGISTRY_AUTH_FILE=$T/right.json push right "$img/bash.oci" "$breg/mkbase/bash:1"
is "$rc:$(cat "$T/right.out")" "0:$manifest" "REGISTRY_AUTH_FILE with the right password: pushed"
is "$(count_req basic 'PUT /v2/mkbase/bash/manifests/1 ')" 1 "the manifest went up"
! grep -qF -e 'pa ss' -e "$(printf 'alice:pa ss:w0rd' | base64 -w0)" "$T"/nocreds.err "$T"/wrong.err "$T"/right.err "$T"/right.out
ok $? "no password or auth string in any output"
mkdir -p "$HOME/.docker"
authfile "$HOME/.docker/config.json" "https://$breg/v1/" 'alice:pa ss:w0rd'
push docker "$img/bash.oci" "$breg/mkbase/docker:1"
is "$rc" 0 "~/.docker/config.json with an https://HOST:PORT/v1/ key: pushed"
rm -r "$HOME/.docker"
mkdir -p "$HOME/.config/containers"
authfile "$HOME/.config/containers/auth.json" "$breg/mkbase" 'alice:pa ss:w0rd'
push ns "$img/bash.oci" "$breg/mkbase/ns:1"
is "$rc" 0 "~/.config/containers/auth.json with a HOST/NAMESPACE key: pushed"
rm -r "$HOME/.config"
is "$(skopeo inspect --tls-verify=false --creds 'alice:pa ss:w0rd' --format '{{.Digest}}' "docker://$breg/mkbase/bash:1" 2>>"$T/skopeo.err")" "$manifest" \
  "skopeo with the credentials sees the pushed digest"
stop_registry basic

# --- 8. token (Bearer) auth ---------------------------------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/token.key" -out "$T/token.crt" \
  -days 2 -subj /CN=mkbase-test-token >/dev/null 2>&1
python3 tests/integration/lib/tokenserver.py "$T/token.key" "$T/token.crt" mkbase-test-issuer \
  'bob:t0ken-pw' "$T/token.log" "$T/token.port" 2>"$T/token.stderr" &
_bg_pids="$_bg_pids $!"
for i in $(seq 1 100); do [ -s "$T/token.port" ] && break; sleep 0.05; done
: >"$T/token.log"
start_registry token "auth:
  token:
    realm: http://127.0.0.1:$(cat "$T/token.port")/token
    service: mkbase-test-registry
    issuer: mkbase-test-issuer
    rootcertbundle: $T/token.crt"
treg=127.0.0.1:$token_port
curl -s -D - -o /dev/null "http://$treg/v2/" | grep -qi '^www-authenticate: Bearer realm='
ok $? "the registry asks for a Bearer token (auth: token, JWT certificate made by openssl)"
push tnone "$img/bash.oci" "$treg/mkbase/bash:1"
is "$rc" 1 "token auth without credentials: exit 1"
one_line_error tnone "$treg/mkbase/bash:1" && grep -q "wants credentials" "$T/tnone.err"
ok $? "one clear line: $(head -c 200 "$T/tnone.err")"
authfile "$T/twrong.json" "$treg" 'bob:nope'
REGISTRY_AUTH_FILE=$T/twrong.json push twrong "$img/bash.oci" "$treg/mkbase/bash:1"
is "$rc" 1 "a wrong password for the token server: exit 1"
one_line_error twrong "$treg/mkbase/bash:1" && grep -q "the token server http://127.0.0.1:[0-9]*/token refused the credentials" "$T/twrong.err"
ok $? "one clear line: $(cat "$T/twrong.err")"
authfile "$T/tright.json" "$treg" 'bob:t0ken-pw'
: >"$T/token.log"
REGISTRY_AUTH_FILE=$T/tright.json push tright "$img/bash.oci" "$treg/mkbase/bash:1"
is "$rc:$(cat "$T/tright.out")" "0:$manifest" "with the right credentials: a token, and pushed"
[ $rc = 0 ] || sed 's/^/#   /' "$T/tright.err"
grep -q '^GET /token?scope=repository%3Amkbase%2Fbash%3Apull%2Cpush&service=mkbase-test-registry auth=basic$' "$T/token.log"
ok $? "the token request asks for repository:mkbase/bash:pull,push with Basic credentials"
is "$(count_req token 'PUT /v2/mkbase/bash/manifests/1 ')" 1 "the manifest went up under the token"
is "$(skopeo inspect --tls-verify=false --creds 'bob:t0ken-pw' --format '{{.Digest}}' "docker://$treg/mkbase/bash:1" 2>>"$T/skopeo.err")" "$manifest" \
  "skopeo (its own token) sees the pushed digest"
stop_registry token

# --- 9. TLS -------------------------------------------------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/tls.key" -out "$T/tls.crt" \
  -days 2 -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 >/dev/null 2>&1
start_registry tls "  tls:
    certificate: $T/tls.crt
    key: $T/tls.key"
push tlsno "$img/bash.oci" "127.0.0.1:$tls_port/mkbase/bash:1"
is "$rc" 1 "an https registry on 127.0.0.1 without --tls-verify=false: exit 1 (loopback means http)"
push tls --tls-verify=false "$img/bash.oci" "127.0.0.1:$tls_port/mkbase/bash:1"
is "$rc:$(cat "$T/tls.out")" "0:$manifest" "--tls-verify=false: https with a self-signed certificate, pushed"
[ $rc = 0 ] || sed 's/^/#   /' "$T/tls.err"
is "$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://127.0.0.1:$tls_port/mkbase/bash:1" 2>>"$T/skopeo.err")" "$manifest" \
  "skopeo over https sees it"
push insecure --insecure "$img/bash.oci" "$reg/mkbase/insecure:1"
is "$rc" 0 "--insecure against the plain-http registry: https fails, http is used"
stop_registry tls

# --- 10. layered images through the registry (docs/layers.md) -----------------------
lay=$T/lay
mkdir -p "$lay"
limage() { # limage NAME PACKAGES REPO [extra image lines]
  local name=$1 pk=$2 repo=$3; shift 3
  { echo "[image]"; echo "name = $name"; echo "packages = $pk"; echo "profile = none"
    echo "output = $lay/$name.tar"; echo "output_format = oci"
    for l in "$@"; do echo "$l"; done
    echo "[repo bookworm]"; echo "baseurl = $repo"; } >"$lay/$name.conf"
  "$MKBASE" -q "$lay/$name.conf" >/dev/null 2>"$lay/$name.err"
}
sent_bytes() { summary "$1" | sed -n 's/.*already there, \([0-9]*\) bytes$/\1/p'; }
limage fbase "bash coreutils" "$BOOKWORM" "layer_compression = gzip" &&
  limage fapp1 "findutils grep sed" "$BOOKWORM" "base = fbase.conf" "layer_compression = gzip" \
    "remove = /usr/bin/dir" &&
  limage fapp2 "tar gzip" "$BOOKWORM" "base = fbase.conf" "layer_compression = gzip"
ok $? "build a gzip base and two images on it"
push fbase "$lay/fbase.oci" "$reg/mkbase/fleet:base"
push fapp1 "$lay/fapp1.oci" "$reg/mkbase/fleet:app1"
is "$rc:$(summary fapp1 | cut -d, -f1-2)" "0:2 blobs sent, 1 already there" "app1 after the base: its top layer and config sent, the base's layer already there"
push fapp2 "$lay/fapp2.oci" "$reg/mkbase/fleet:app2"
is "$rc:$(summary fapp2 | cut -d, -f1-2)" "0:2 blobs sent, 1 already there" "app2 likewise"
diag "base: $(summary fbase); app1: $(summary fapp1); app2: $(summary fapp2)"
l1=$(skopeo inspect --tls-verify=false --format '{{index .Layers 0}}' "docker://$reg/mkbase/fleet:app1" 2>/dev/null)
l2=$(skopeo inspect --tls-verify=false --format '{{index .Layers 0}}' "docker://$reg/mkbase/fleet:app2" 2>/dev/null)
lb=$(skopeo inspect --tls-verify=false --format '{{index .Layers 0}}' "docker://$reg/mkbase/fleet:base" 2>/dev/null)
[ -n "$lb" ] && [ "$l1" = "$lb" ] && [ "$l2" = "$lb" ]
ok $? "skopeo inspect: both apps' first layer is the base's ($lb)"
if command -v podman >/dev/null; then
  podman pull -q --tls-verify=false "$reg/mkbase/fleet:app1" >/dev/null 2>"$T/podman.err"
  res=$(podman run --rm --network none "$reg/mkbase/fleet:app1" /bin/sh -c \
    'test -x /usr/bin/bash && test -x /usr/bin/find && ! test -e /usr/bin/dir && echo layered' 2>>"$T/podman.err" | tail -1)
  is "$res" layered "podman pull + run of app1: the base's file, the top layer's, the whiteout"
else skip "no podman"; fi

# One package updated: the bytes a registry receives on the second push,
# 8 layers against 1 (both gzip).
mkdir -p "$lay/crepo"
for f in "$BOOKWORM"/Packages/*.rpm; do ln -s "$f" "$lay/crepo/"; done
"$TOP/tests/integration/lib/bumprpm.sh" "$(ls "$BOOKWORM"/Packages/sed-[0-9]*.rpm)" "$lay/crepo" "$lay/bump" >/dev/null 2>&1 &&
  createrepo_c -q "$lay/crepo" >/dev/null
ok $? "a repository where sed has its next release"
set8="bash coreutils findutils grep sed tar gzip less"
for n in 8 1; do
  limage "old$n" "$set8" "$BOOKWORM" "layers = $n" "layer_compression = gzip" &&
    limage "new$n" "$set8" "$lay/crepo" "layers = $n" "layer_compression = gzip"
  ok $? "build the set with layers = $n, before and after the update"
  push "old$n" "$lay/old$n.oci" "$reg/mkbase/tools$n:1"
  mark_log open
  push "new$n" "$lay/new$n.oci" "$reg/mkbase/tools$n:2"
  is "$rc" 0 "push the updated image (layers = $n)"
  printf -v "sent$n" '%s' "$(sent_bytes "new$n")"
  printf -v "posts$n" '%s' "$(count_req open "POST /v2/mkbase/tools$n/blobs/uploads/")"
done
diag "second push after a sed update: layers = 8: $sent8 bytes ($posts8 blob uploads); layers = 1: $sent1 bytes ($posts1 blob uploads)"
[ -n "$sent8" ] && [ -n "$sent1" ] && [ $((sent8 * 5)) -le "$sent1" ]
ok $? "layers = 8 sends at most a fifth of the single-layer image's bytes ($sent8 vs $sent1)"
is "$posts8" 3 "three blobs uploaded: sed's layer, the last layer, the config"
mark_log open
push "new8b" "$lay/new8.oci" "$reg/mkbase/tools8:2"
is "$rc:$(count_req open "POST /v2/mkbase/tools8/blobs/uploads/")" "0:0" "pushed again: no blob uploaded"
stop_registry open

is "$(ls -A "$TMPDIR")" "" "no temporary file is left in \$TMPDIR"
