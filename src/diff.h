/* diff.h: `mkbase diff A B`: what changed between two images. */
#ifndef MK_DIFF_H
#define MK_DIFF_H

#include <stdbool.h>

#include "error.h"

/* Print the packages and files added, removed and changed (text, or JSON
 * when json) on stdout.  Returns 0 whether or not they differ. */
int mk_diff (const char *a, const char *b, bool json, mk_error_t *err);

#endif
