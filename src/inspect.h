/* inspect.h: `mkbase inspect IMAGE`: what is in an image and why it is
 * that size. */
#ifndef MK_INSPECT_H
#define MK_INSPECT_H

#include <stdbool.h>

#include "error.h"

/* Print the report (text, or JSON when json) on stdout. */
int mk_inspect (const char *image, bool json, mk_error_t *err);

#endif
