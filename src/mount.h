/* mount.h: the container's mount tree, built as an ordered list of mount
 * operations and finished by pivot_root.  libc only. */
#ifndef MK_MOUNT_H
#define MK_MOUNT_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

struct mk_volume
{
  const char *host; /* absolute host path, borrowed */
  const char *dest; /* absolute path inside the container, borrowed */
  bool ro;
};

struct mk_mount_config
{
  const char *rootfs; /* the image directory (absolute) */
  /* With upper set, the root is an overlay of rootfs (lower) and upper,
   * mounted on merged, so a run never writes into a cached image.  Without
   * it, rootfs itself is bind-mounted as the root. */
  const char *upper, *work, *merged;
  bool read_only;  /* remount the root read-only */
  bool userns;     /* we are in a user namespace we created */
  bool own_netns;  /* a fresh sysfs can be mounted (needs our own netns) */
  const struct mk_volume *volumes;
  size_t n_volumes;
};

/* Build the mount tree in the caller's (new, unshared) mount namespace and
 * pivot_root into it; on return "/" is the image and the host's tree is
 * detached.  Errors carry MK_EXIT_RUNNER. */
int mk_mount_setup (const struct mk_mount_config *c, mk_error_t *err);

#endif
