#!/usr/bin/env bash
# Resolution details (provides, file paths, version constraints, excludes,
# weak deps, repo priority, arch) and every payload compressor.
. "$(dirname "$0")/../lib.sh"
cd "$TOP"

resolve() { # resolve PACKAGES [extra image lines...] -> NEVRA list on stdout
  local pk=$1; shift
  { echo "[image]"; echo "name = r"; echo "packages = $pk"
    for l in "$@"; do echo "$l"; done
    echo "[repo bw]"; echo "baseurl = $BOOKWORM"; } >"$T/r.conf"
  "$MKBASE" resolve -q "$T/r.conf" | awk '{print $1}'
}
names() { sed -E 's/-[^-]+-[^-]+$//' | sort | tr '\n' ' '; }

# weak deps: the corpus README's reference resolution
base=$(resolve "bash coreutils" | names)
weak=$(resolve "bash coreutils" "weak_deps = true" | names)
extra=$(comm -13 <(tr ' ' '\n' <<<"$base" | sort) <(tr ' ' '\n' <<<"$weak" | sort) | tr '\n' ' ')
is "$extra" "libidn2-0 libunistring2 " "weak_deps = true adds exactly libidn2-0 and libunistring2 (Recommends)"

r=$(resolve "/usr/bin/find" | names)
[[ " $r" == *" findutils "* ]]
ok $? "a file path (/usr/bin/find) selects the package that ships it"
r=$(resolve "libc.so.6()(64bit)" | names)
[[ " $r" == *" libc6 "* ]]
ok $? "a provide (libc.so.6()(64bit)) selects libc6"
r=$(resolve "coreutils = 9.1")
grep -q '^coreutils-9.1-1.bk12.x86_64$' <<<"$r"
ok $? "a version constraint written with spaces (coreutils = 9.1)"
r=$(resolve "coreutils>=9")
grep -q '^coreutils-9.1' <<<"$r"
ok $? "and without (coreutils>=9)"
"$MKBASE" resolve -q <(printf '[image]\nname = r\npackages = coreutils>=10\n[repo bw]\nbaseurl = %s\n' "$BOOKWORM") >/dev/null 2>"$T/err"
is "$?" 2 "an unsatisfiable version constraint is a resolution failure (2)"

"$MKBASE" resolve -q <(printf '[image]\nname = r\npackages = bash\nexclude = dash\n[repo bw]\nbaseurl = %s\n' "$BOOKWORM") >/dev/null 2>"$T/err"
rc=$?
is "$rc" 2 "exclude hides a package the job needs: unsolvable"
grep -q 'dash' "$T/err"
ok $? "and libsolv's problem names it"
r=$(resolve "bash coreutils" "weak_deps = true" "exclude = libidn2*, nosuch" 2>"$T/err" | names)
[[ " $r" != *" libidn2-0 "* ]] && [[ " $r" == *" bash "* ]]
ok $? "an exclude glob list (libidn2*, nosuch) keeps an optional package out"
"$MKBASE" resolve "$T/r.conf" >/dev/null 2>"$T/err"
grep -q "exclude \`nosuch\` matches no package" "$T/err"
ok $? "an exclude that matches nothing is warned about"

# arch: packages of another arch are not candidates
printf '[image]\nname = r\npackages = bash\narch = aarch64\n[repo bw]\nbaseurl = %s\n' "$BOOKWORM" >"$T/arch.conf"
"$MKBASE" resolve -q "$T/arch.conf" >/dev/null 2>"$T/err"
is "$?" 2 "arch = aarch64 finds no x86_64 bash"

# --- crafted packages: priorities and payload compressors -----------------------
mk_spec() { # mk_spec NAME VERSION PAYLOAD
  cat >"$T/$1-$2.spec" <<SPEC
Name: $1
Version: $2
Release: 1
Summary: test package
License: MIT
BuildArch: noarch
%define _binary_payload $3
%description
test package for mkbase
%install
mkdir -p %{buildroot}/usr/share/$1
echo "$1 $2 payload $3" > %{buildroot}/usr/share/$1/data
seq 1 5000 > %{buildroot}/usr/share/$1/numbers
%files
/usr/share/$1
SPEC
}
mk_spec prio 1 w9.gzdio
mk_spec prio 2 w9.gzdio
build_rpms "$T/repo-a" "$T/prio-1.spec" && build_rpms "$T/repo-b" "$T/prio-2.spec"
ok $? "build two versions of a package into two repos"
two_repos() { # two_repos PRIO_A PRIO_B
  printf '[image]\nname = p\npackages = prio\n[repo a]\nbaseurl = %s\npriority = %s\n[repo b]\nbaseurl = %s\npriority = %s\n' \
    "$T/repo-a" "$1" "$T/repo-b" "$2" >"$T/p.conf"
  "$MKBASE" resolve -q "$T/p.conf" | awk '{print $1, $2}'
}
is "$(two_repos 99 99)" "prio-2-1.noarch b" "equal priorities: the newest version wins"
is "$(two_repos 10 99)" "prio-1-1.noarch a" "a lower priority number wins over a newer version (dnf's rule)"
printf '[image]\nname = p\npackages = prio\n[repo a]\nbaseurl = %s\n[repo b]\nbaseurl = %s\nenabled = false\n' "$T/repo-a" "$T/repo-b" >"$T/p.conf"
is "$("$MKBASE" resolve -q "$T/p.conf" | awk '{print $1}')" "prio-1-1.noarch" "enabled = false leaves a repo out"

for c in gzdio:gz bzdio:bz2 xzdio:xz zstdio:zst ufdio:none; do
  io=${c%%:*} n=pl-${c##*:}
  mk_spec "$n" 1 "w6.$io"
  [ "$io" = ufdio ] && sed -i 's/^%define _binary_payload .*/%define _binary_payload w.ufdio/' "$T/$n-1.spec"
  build_rpms "$T/repo-pl" "$T/$n-1.spec" || ok 1 "rpmbuild $n"
done
pkgs="pl-gz pl-bz2 pl-xz pl-zst pl-none"
for n in $pkgs; do
  comp=$(rpm -qp --qf '%{PAYLOADCOMPRESSOR}' "$T/repo-pl/$n-1-1.noarch.rpm")
  diag "$n: PAYLOADCOMPRESSOR=$comp"
done
printf '[image]\nname = pl\npackages = %s\n[repo pl]\nbaseurl = %s\n' "$pkgs" "$T/repo-pl" >"$T/pl.conf"
"$MKBASE" -q "$T/pl.conf" -o "$T/pl.tar" >/dev/null
ok $? "a plain directory of packages with gzip, bzip2, xz, zstd and uncompressed payloads"
for n in $pkgs; do
  [[ "$(tar -xOf "$T/pl.tar" "./usr/share/$n/data")" == "$n 1 payload "* ]] &&
  [ "$(tar -xOf "$T/pl.tar" "./usr/share/$n/numbers" | sha256sum)" = "$(seq 1 5000 | sha256sum)" ]
  ok $? "$n: content unpacked intact"
done
