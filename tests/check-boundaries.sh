#!/usr/bin/env bash
# Each external library is touched by a fixed list of files (style guide
# rule 1).  Fails, naming the file and header, when another file includes
# a library header.
cd "$(dirname "$0")/.." || exit 1
declare -A allowed=(
  [solv/chksum.h]="solve.c"
  [solv/knownid.h]="solve.c"
  [solv/]="solve.c"
  [rpm/]="rpm.c"
  [archive.h]="pack.c import.c oci.c compare.c listing.c"
  [archive_entry.h]="pack.c import.c oci.c compare.c listing.c"
  [curl/]="fetch.c"
  [sqlite3.h]="sqlite.c"
  [openssl/]="digest.c"
  [seccomp.h]="seccomp.c"
  [sys/capability.h]="caps.c"
  [isa-l/]="inflate.c"
  [isa-l.h]="inflate.c"
)
bad=0
while IFS=: read -r file _ inc; do
  hdr=$(sed -E 's/.*<([^>]+)>.*/\1/' <<<"$inc")
  base=$(basename "$file")
  key=""
  if [ -n "${allowed[$hdr]+x}" ]; then key=$hdr
  elif [ -n "${allowed[${hdr%%/*}/]+x}" ]; then key=${hdr%%/*}/
  else continue; fi
  case " ${allowed[$key]} " in
    *" $base "*) ;;
    *) echo "check-boundaries: $file includes <$hdr>; only ${allowed[$key]} may" >&2; bad=1 ;;
  esac
done < <(grep -n '^#include <' src/*.c src/*.h)
exit $bad
