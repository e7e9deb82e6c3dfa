/* cgroup.h: the per-run cgroup that carries `mkbase run`'s memory, pids and
 * cpu limits, on cgroup v2 when it has the controller and on the v1
 * hierarchies otherwise (hybrid hosts).  libc only. */
#ifndef MK_CGROUP_H
#define MK_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

struct mk_cgroup_limits
{
  uint64_t memory;     /* bytes; 0 = no limit */
  uint64_t pids;       /* maximum number of tasks; 0 = no limit */
  uint64_t cpu_millis; /* thousandths of a CPU; 0 = no limit */
};

struct mk_cgroup;

bool mk_cgroup_limits_empty (const struct mk_cgroup_limits *l);

/* Create a cgroup called `name` below the caller's own cgroup in every
 * hierarchy that holds a controller the limits need, and write the limits.
 * Any limit that cannot be applied is an error (MK_EXIT_RUNNER); nothing is
 * left behind then. */
int mk_cgroup_create (const struct mk_cgroup_limits *l, const char *name,
                      struct mk_cgroup **out, mk_error_t *err);

/* Move pid into the cgroup (every hierarchy). */
int mk_cgroup_enter (struct mk_cgroup *cg, pid_t pid, mk_error_t *err);

/* Kill whatever is still inside, remove the directories and free cg. */
void mk_cgroup_destroy (struct mk_cgroup *cg);

static inline void
cleanup_cgroupp (struct mk_cgroup **cg)
{
  if (*cg)
    mk_cgroup_destroy (*cg);
}
#define cleanup_cgroup __attribute__ ((cleanup (cleanup_cgroupp)))

#endif
