/* cgroup.c: creates, fills and removes the cgroup that holds one `mkbase
 * run`.  For each controller a limit needs (memory, pids, cpu) it picks the
 * hierarchy that carries it: cgroup v2 when the caller's v2 cgroup lists the
 * controller, else the v1 hierarchy it is mounted on.  Hybrid hosts (v1
 * controllers plus an empty v2 tree) therefore get v1 directories, and a
 * pure v2 host one directory.  The run's cgroup is always created below the
 * caller's own cgroup in that hierarchy, read from /proc/self/cgroup, so
 * delegation (systemd user slices, a container's cgroup) is respected.  A
 * limit that cannot be applied is an error, never a silent no-op.  libc
 * only. */
#define _GNU_SOURCE
#include "cgroup.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "util.h"

enum
{
  CTL_MEMORY,
  CTL_PIDS,
  CTL_CPU,
  N_CTL
};

static const char *const ctl_names[N_CTL] = { "memory", "pids", "cpu" };
static const char *const ctl_options[N_CTL]
    = { "--memory", "--pids", "--cpus" };

/* cfs period used for --cpus; the quota is cpus * period. */
#define CPU_PERIOD_US 100000

struct mk_cgroup
{
  char *dirs[N_CTL]; /* one per hierarchy used; v2 needs only one */
  size_t n;
};

bool
mk_cgroup_limits_empty (const struct mk_cgroup_limits *l)
{
  return l->memory == 0 && l->pids == 0 && l->cpu_millis == 0;
}

static bool
wanted (const struct mk_cgroup_limits *l, int ctl)
{
  switch (ctl)
    {
    case CTL_MEMORY:
      return l->memory != 0;
    case CTL_PIDS:
      return l->pids != 0;
    case CTL_CPU:
      return l->cpu_millis != 0;
    default:
      return false;
    }
}

/* Is `name` one of the items of the `sep`-separated list? */
static bool
list_has (const char *list, char sep, const char *name)
{
  size_t n = strlen (name);
  for (const char *p = list; p && *p;)
    {
      const char *end = strchr (p, sep);
      size_t len = end ? (size_t) (end - p) : strlen (p);
      if (len == n && strncmp (p, name, n) == 0)
        return true;
      p = end ? end + 1 : NULL;
    }
  return false;
}

/* Our path inside a hierarchy, from /proc/self/cgroup ("ID:CTLS:PATH").
 * controller NULL selects the v2 line ("0::PATH"). */
static char *
self_path (char *selfcg, const char *controller)
{
  char *save = NULL;
  for (char *line = strtok_r (selfcg, "\n", &save); line;
       line = strtok_r (NULL, "\n", &save))
    {
      char *c1 = strchr (line, ':');
      char *c2 = c1 ? strchr (c1 + 1, ':') : NULL;
      if (c2 == NULL)
        continue;
      *c2 = '\0';
      if (controller == NULL ? (strcmp (line, "0") == 0 && c1[1] == '\0')
                             : list_has (c1 + 1, ',', controller))
        return xstrdup (c2 + 1);
    }
  return NULL;
}

/* Where the hierarchy is mounted: the mountinfo line of fstype cgroup2, or
 * of fstype cgroup whose super options name the controller.  Returns the
 * mount point joined with `path` made relative to the mount's root. */
static char *
mounted_dir (char *mountinfo, const char *controller, const char *path)
{
  char *save = NULL;
  for (char *line = strtok_r (mountinfo, "\n", &save); line;
       line = strtok_r (NULL, "\n", &save))
    {
      char *f[12] = { 0 }, *s2 = NULL;
      int n = 0, dash = -1;
      for (char *t = strtok_r (line, " ", &s2); t && n < 12;
           t = strtok_r (NULL, " ", &s2), n++)
        {
          f[n] = t;
          if (dash < 0 && strcmp (t, "-") == 0)
            dash = n;
        }
      if (dash < 5 || dash + 3 >= n)
        continue;
      if (controller == NULL ? strcmp (f[dash + 1], "cgroup2") != 0
                             : (strcmp (f[dash + 1], "cgroup") != 0
                                || !list_has (f[dash + 3], ',', controller)))
        continue;
      /* f[3] is the mount's root inside the hierarchy, f[4] the point. */
      if (strcmp (f[3], "/") == 0)
        return xasprintf ("%s%s", f[4], strcmp (path, "/") == 0 ? "" : path);
      if (mk_str_has_prefix (path, f[3]))
        return xasprintf ("%s%s", f[4], path + strlen (f[3]));
      return NULL;
    }
  return NULL;
}

static char *
own_dir (const char *selfcg, const char *mountinfo, const char *controller)
{
  cleanup_free char *s = xstrdup (selfcg), *m = xstrdup (mountinfo);
  cleanup_free char *path = self_path (s, controller);
  if (path == NULL)
    return NULL;
  return mounted_dir (m, controller, path);
}

static int
write_at (const char *dir, const char *file, const char *value,
          mk_error_t *err)
{
  cleanup_free char *p = xasprintf ("%s/%s", dir, file);
  cleanup_close int fd
      = TEMP_FAILURE_RETRY (open (p, O_WRONLY | O_CLOEXEC | O_NOFOLLOW));
  if (fd < 0)
    return mk_make_error_code (err, MK_EXIT_RUNNER, errno, "open `%s`", p);
  return mk_write_all (fd, value, strlen (value), err, p);
}

/* Does the file list the word?  (cgroup.controllers, subtree_control) */
static bool
file_lists (const char *dir, const char *file, const char *word)
{
  cleanup_free char *p = xasprintf ("%s/%s", dir, file);
  cleanup_free char *text = NULL;
  mk_error_t e = NULL;
  if (mk_read_file_at (AT_FDCWD, p, 65536, &text, NULL, &e) < 0)
    {
      mk_error_release (&e);
      return false;
    }
  text[strcspn (text, "\n")] = '\0';
  return list_has (text, ' ', word);
}

/* The directory below which the run's cgroup for `ctl` is created. */
static int
parent_dir (const char *selfcg, const char *mountinfo, int ctl, char **out,
            bool *v2, mk_error_t *err)
{
  const char *name = ctl_names[ctl];
  char *dir = own_dir (selfcg, mountinfo, NULL);

  if (dir && file_lists (dir, "cgroup.controllers", name))
    {
      cleanup_free char *plus = xasprintf ("+%s", name);
      /* v2 children see only the controllers enabled in the parent's
       * subtree_control; enabling fails (EBUSY) if the parent holds
       * processes itself, which is a real error for us. */
      if (!file_lists (dir, "cgroup.subtree_control", name)
          && write_at (dir, "cgroup.subtree_control", plus, err) < 0)
        {
          free (dir);
          return mk_error_wrap (err, "cannot apply %s: enable the %s "
                                     "controller",
                                ctl_options[ctl], name);
        }
      *v2 = true;
      *out = dir;
      return 0;
    }
  free (dir);
  dir = own_dir (selfcg, mountinfo, name);
  if (dir == NULL)
    return mk_make_error_code (err, MK_EXIT_RUNNER, 0,
                               "cannot apply %s: no %s controller on "
                               "cgroup v2 or v1",
                               ctl_options[ctl], name);
  *v2 = false;
  *out = dir;
  return 0;
}

static int
make_dir (struct mk_cgroup *cg, const char *parent, const char *dir, int ctl,
          mk_error_t *err)
{
  for (size_t i = 0; i < cg->n; i++)
    if (strcmp (cg->dirs[i], dir) == 0)
      return 0;
  /* A directory of the same name is left over from a run whose pid we
   * now have; it is empty once that run is gone. */
  int r = mkdir (dir, 0755);
  if (r < 0 && errno == EEXIST && rmdir (dir) == 0)
    r = mkdir (dir, 0755);
  if (r < 0 && (errno == EACCES || errno == EPERM || errno == EROFS))
    return mk_make_error_code (
        err, MK_EXIT_RUNNER, 0,
        "cannot apply %s: uid %u may not create cgroups under `%s` (%s) "
        "and no delegated cgroup is available",
        ctl_options[ctl], (unsigned) getuid (), parent, strerror (errno));
  if (r < 0)
    return mk_make_error_code (err, MK_EXIT_RUNNER, errno,
                               "cannot apply %s: mkdir `%s`",
                               ctl_options[ctl], dir);
  cg->dirs[cg->n++] = xstrdup (dir);
  return 0;
}

/* Without a swap limit the process would page out instead of being killed.
 * The files exist only when swap accounting is on; v1 wants the memory
 * plus swap total, v2 the swap alone. */
static int
limit_swap (const char *dir, bool v2, const char *mem, mk_error_t *err)
{
  const char *file = v2 ? "memory.swap.max" : "memory.memsw.limit_in_bytes";
  cleanup_free char *p = xasprintf ("%s/%s", dir, file);
  if (access (p, F_OK) < 0)
    return 0;
  return write_at (dir, file, v2 ? "0" : mem, err);
}

static int
apply (const char *dir, int ctl, bool v2, const struct mk_cgroup_limits *l,
       mk_error_t *err)
{
  char v[64];
  int r = 0;
  switch (ctl)
    {
    case CTL_MEMORY:
      snprintf (v, sizeof v, "%llu", (unsigned long long) l->memory);
      r = write_at (dir, v2 ? "memory.max" : "memory.limit_in_bytes", v, err);
      if (r == 0)
        r = limit_swap (dir, v2, v, err);
      break;
    case CTL_PIDS:
      snprintf (v, sizeof v, "%llu", (unsigned long long) l->pids);
      r = write_at (dir, "pids.max", v, err);
      break;
    case CTL_CPU:
      if (v2)
        {
          snprintf (v, sizeof v, "%llu %d",
                    (unsigned long long) l->cpu_millis * CPU_PERIOD_US / 1000,
                    CPU_PERIOD_US);
          r = write_at (dir, "cpu.max", v, err);
          break;
        }
      snprintf (v, sizeof v, "%d", CPU_PERIOD_US);
      r = write_at (dir, "cpu.cfs_period_us", v, err);
      snprintf (v, sizeof v, "%llu",
                (unsigned long long) l->cpu_millis * CPU_PERIOD_US / 1000);
      if (r == 0)
        r = write_at (dir, "cpu.cfs_quota_us", v, err);
      break;
    default:
      break;
    }
  if (r < 0)
    return mk_error_wrap (err, "cannot apply %s", ctl_options[ctl]);
  return 0;
}

int
mk_cgroup_create (const struct mk_cgroup_limits *l, const char *name,
                  struct mk_cgroup **out, mk_error_t *err)
{
  cleanup_cgroup struct mk_cgroup *cg = xcalloc (1, sizeof *cg);
  cleanup_free char *selfcg = NULL, *mountinfo = NULL;

  if (mk_read_file_at (AT_FDCWD, "/proc/self/cgroup", 1 << 20, &selfcg,
                       NULL, err)
          < 0
      || mk_read_file_at (AT_FDCWD, "/proc/self/mountinfo", 16 << 20,
                          &mountinfo, NULL, err)
             < 0)
    {
      (*err)->exit_code = MK_EXIT_RUNNER;
      return mk_error_wrap (err, "cgroup limits");
    }
  for (int c = 0; c < N_CTL; c++)
    {
      cleanup_free char *parent = NULL, *dir = NULL;
      bool v2 = false;
      if (!wanted (l, c))
        continue;
      if (parent_dir (selfcg, mountinfo, c, &parent, &v2, err) < 0)
        return -1;
      dir = xasprintf ("%s/%s", parent, name);
      if (make_dir (cg, parent, dir, c, err) < 0
          || apply (dir, c, v2, l, err) < 0)
        return -1;
    }
  *out = steal_pointer (&cg);
  return 0;
}

int
mk_cgroup_enter (struct mk_cgroup *cg, pid_t pid, mk_error_t *err)
{
  char v[32];
  snprintf (v, sizeof v, "%d", (int) pid);
  for (size_t i = 0; i < cg->n; i++)
    if (write_at (cg->dirs[i], "cgroup.procs", v, err) < 0)
      return mk_error_wrap (err, "enter the run's cgroup");
  return 0;
}

/* SIGKILL every task still listed; the pid namespace is normally gone
 * already, but a task may linger for a moment while it exits. */
static void
kill_members (const char *dir)
{
  cleanup_free char *p = xasprintf ("%s/cgroup.procs", dir);
  cleanup_free char *text = NULL;
  mk_error_t e = NULL;

  if (mk_read_file_at (AT_FDCWD, p, 1 << 20, &text, NULL, &e) < 0)
    {
      mk_error_release (&e);
      return;
    }
  for (char *s = text, *end; *s; s = end)
    {
      long pid = strtol (s, &end, 10);
      if (end == s)
        break;
      if (pid > 0)
        kill ((pid_t) pid, SIGKILL);
    }
}

static void
remove_dir (const char *dir)
{
  const struct timespec step = { 0, 5 * 1000 * 1000 };
  for (int i = 0; i < 400; i++)
    {
      if (rmdir (dir) == 0 || errno == ENOENT)
        return;
      if (errno != EBUSY)
        break;
      kill_members (dir);
      nanosleep (&step, NULL);
    }
  mk_warn ("cannot remove cgroup `%s`: %s", dir, strerror (errno));
}

void
mk_cgroup_destroy (struct mk_cgroup *cg)
{
  if (cg == NULL)
    return;
  for (size_t i = 0; i < cg->n; i++)
    {
      remove_dir (cg->dirs[i]);
      free (cg->dirs[i]);
    }
  free (cg);
}
