/* core.h: how the lean `mkbase` front end reaches mkbase-core. */
#ifndef MK_CORE_H
#define MK_CORE_H

#include "error.h"

/* Replace this process with mkbase-core running the same command line.
 * Returns only on failure. */
int mk_core_exec (char **argv, mk_error_t *err);

/* As root, re-execute from a write-sealed memfd copy of this binary (see
 * core.c), unless already doing so.  Returns only if nothing was needed
 * or on failure. */
int mk_core_seal_self (char **argv, mk_error_t *err);

#endif
