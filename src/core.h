/* core.h: how the lean `mkbase` front end reaches mkbase-core. */
#ifndef MK_CORE_H
#define MK_CORE_H

#include "error.h"

/* Replace this process with mkbase-core running the same command line,
 * with glibc's malloc asked for transparent huge pages (core.c says why).
 * Returns only on failure. */
int mk_core_exec (char **argv, mk_error_t *err);

/* As root, re-execute from a write-sealed memfd copy of this binary (see
 * core.c), unless already doing so.  Returns only if nothing was needed
 * or on failure. */
int mk_core_seal_self (char **argv, mk_error_t *err);

/* The caller's GLIBC_TUNABLES, which mk_core_exec changed: "-" when it
 * was unset, else "=" and the value.  mkbase-core puts it back at start
 * (the tunables are read before main), so what it runs sees the user's. */
#define MK_CORE_TUNABLES_WERE "MKBASE_TUNABLES_WERE"

#endif
