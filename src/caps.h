/* caps.h: file capabilities from rpm's text form to the on-disk xattr. */
#ifndef MK_CAPS_H
#define MK_CAPS_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* Encode a capability text ("cap_net_raw=ep") as the little-endian
 * struct vfs_cap_data (revision 2) the kernel stores in
 * security.capability.  An empty set ("=") gives *len = 0: no xattr. */
int mk_caps_to_xattr (const char *text, unsigned char out[20], size_t *len,
                      mk_error_t *err);

/* Whether two security.capability values grant the same capabilities
 * (revisions 1-3; a missing value, len 0, is the empty set).  A malformed
 * value equals only the very same bytes. */
bool mk_caps_xattr_equal (const unsigned char *a, size_t alen,
                          const unsigned char *b, size_t blen);

#endif
