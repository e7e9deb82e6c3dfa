#!/usr/bin/env bash
# Make the next release of a package: the same files, owners, modes and
# dependency metadata, one file's content changed, a later build time.
# What a distribution's update of one package looks like to a layered
# image (docs/layers.md), made with rpmbuild from the package itself.
# usage: bumprpm.sh IN.rpm OUTDIR WORKDIR   (prints the new file's path)
set -euo pipefail
in=$1 out=$(realpath -m "$2") work=$(realpath -m "$3")
q() { rpm -qp --nosignature --qf "$1" "$in"; }
name=$(q '%{NAME}') ver=$(q '%{VERSION}') rel=$(q '%{RELEASE}')
epoch=$(q '%|EPOCH?{%{EPOCH}}:{}|') arch=$(q '%{ARCH}')
rm -rf "$work"; mkdir -p "$work/root" "$work/top" "$out"
(cd "$work/root" && rpm2cpio "$in" | cpio -idm --quiet --no-absolute-filenames)
# The first regular file under /usr/share/doc (else any) gets a new line.
f=$(cd "$work/root" && { find usr/share/doc -type f 2>/dev/null; find . -type f; } |
    sed 's|^\./||' | awk 'NR == 1')
printf 'updated by bumprpm\n' >>"$work/root/$f"
{
  echo "Name: $name"
  echo "Version: $ver"
  echo "Release: $rel.1"
  [ -n "$epoch" ] && echo "Epoch: $epoch"
  echo "Summary: $(q '%{SUMMARY}')"
  echo "License: $(q '%{LICENSE}')"
  echo "BuildArch: $arch"
  echo "AutoReqProv: no"
  rpm -qp --nosignature --requires "$in" | grep -v '^rpmlib(' | sed 's/^/Requires: /'
  rpm -qp --nosignature --provides "$in" | grep -v "^$name = \|^$name($arch) = " |
    sed 's/^/Provides: /'
  echo "%description"
  echo "$name, one release later."
  echo "%install"
  echo "cp -a $work/root/. %{buildroot}/"
  echo "%files"
  # Owners and modes as the package states them; directories it owns.
  rpm -qp --nosignature --qf '[%{FILEMODES:perms} %{FILEUSERNAME} %{FILEGROUPNAME} %{FILENAMES}\n]' "$in" |
    while read -r perms user group path; do
      case $perms in
        d*) echo "%dir %attr(-,$user,$group) \"$path\"" ;;
        *) echo "%attr(-,$user,$group) \"$path\"" ;;
      esac
    done
} >"$work/$name.spec"
HOME=$work/top SOURCE_DATE_EPOCH=1767225600 rpmbuild -bb --quiet \
  --define "_topdir $work/top" --define "_rpmdir $out" \
  --define "_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm" \
  --define "use_source_date_epoch_as_buildtime 1" \
  --define "_buildhost mkbase-test" --define "__os_install_post %{nil}" \
  --define "debug_package %{nil}" --define "_binary_payload w19.zstdio" \
  "$work/$name.spec" >"$work/log" 2>&1 || { cat "$work/log" >&2; exit 1; }
echo "$out/$name-$ver-$rel.1.$arch.rpm"
