/* extract.c: the CPU-heavy part of unpacking — checking each package file
 * against the repository's checksum, the payload digest, decompressing
 * the payload and checking every file's digest — done by worker processes
 * in parallel, ahead of the unpacker, which stays single-threaded and in
 * install order (file conflicts, symlink resolution and the manifest
 * depend on the order).
 *
 * Processes, not threads: librpm's global state (macros, rpmlog, its
 * digest and compression plumbing) is not documented as thread-safe, and
 * a process that dies on a hostile package takes nobody with it.  Jobs go
 * out as 4-byte indices on one pipe that every worker reads (a read of 4
 * bytes from a pipe is atomic), results come back as fixed-size records
 * on another (a write of at most PIPE_BUF bytes is atomic).  Content goes
 * to a private scratch directory next to the staging tree as
 * <job>.<file index>; names are ours, never a package's.  libc only;
 * librpm stays behind rpm.h. */
#define _GNU_SOURCE
#include "extract.h"

#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "copier.h"
#include "digest.h"
#include "util.h"

#define MAX_WORKERS 8

/* One worker's answer for one job. */
struct result
{
  uint32_t job;
  int32_t exit_code; /* 0: extracted */
  int32_t cached;    /* 1: the unpacked cache had it, nothing was
                      * extracted; 2: extracted and moved into it */
  char sha256[72];
  char msg[3072];
};
_Static_assert (sizeof (struct result) <= PIPE_BUF, "atomic pipe writes");

/* No copier for a package expected to cost less than this (download plus
 * installed size): not worth a thread. */
#define COPIER_MIN_COST ((uint64_t) 4 << 20)

struct mk_extractor
{
  const struct mk_extract_job *jobs;
  size_t n;
  char *scratch;
  int scratchfd;
  int resfd;        /* read end of the results pipe */
  pid_t pids[MAX_WORKERS];
  int n_pids;
  struct result *res; /* by job, valid when done[job] */
  bool *done;
  char *cache_dir;    /* the unpacked cache, or NULL */
  int cachefd;
  int keyfd;          /* the cache entry of the job last waited for */
  uint64_t *cost;     /* by job: the job's cost, 0 when in the cache */
  uint64_t copier_min; /* a job costing this much or more uses a copier */
  struct mk_copier *copier; /* a worker's, made for its first large job */
};

int
mk_extract_workers (void)
{
  const char *env = getenv ("MKBASE_JOBS");
  cpu_set_t set;
  int n = 0;

  if (env && *env)
    n = atoi (env);
  else if (sched_getaffinity (0, sizeof set, &set) == 0)
    n = CPU_COUNT (&set);
  return n < 1 ? 1 : n > MAX_WORKERS ? MAX_WORKERS : n;
}

/* The repository metadata's checksum is checked before librpm parses
 * anything: a file that does not match is not the package the solver
 * chose. */
int
mk_extract_check_file (const struct mk_extract_job *j, char **sha256,
                       mk_error_t *err)
{
  cleanup_free char *got = NULL;

  if (mk_digest_path (j->path, "sha256", sha256, err) < 0)
    return -1;
  if (j->checksum == NULL)
    return 0;
  if (strcmp (j->checksum_type, "sha256") == 0)
    got = xstrdup (*sha256);
  else if (mk_digest_path (j->path, j->checksum_type, &got, err) < 0)
    return -1;
  if (strcmp (got, j->checksum) != 0)
    return mk_make_error (err, 0, "%s: %s checksum mismatch with the "
                                  "repository metadata (%s)", j->nevra,
                          j->checksum_type, j->path);
  return 0;
}

static int
write_payload (struct mk_rpm *rpm, int scratchfd, size_t job,
               struct mk_copier *copier, size_t **written, size_t *n_written,
               mk_error_t *err)
{
  size_t idx;
  bool has_content;
  int r;

  while ((r = mk_rpm_payload_next (rpm, &idx, &has_content, err)) > 0)
    {
      char name[64];
      cleanup_close int fd = -1;
      if (mk_check_interrupt (err) < 0)
        return -1;
      if (!has_content)
        continue;
      snprintf (name, sizeof name, "%zu.%zu", job, idx);
      fd = TEMP_FAILURE_RETRY (openat (scratchfd, name,
                                       O_WRONLY | O_CREAT | O_TRUNC
                                           | O_NOFOLLOW | O_CLOEXEC,
                                       0600));
      if (fd < 0)
        return mk_make_error (err, errno, "scratch: create `%s`", name);
      if (mk_rpm_payload_copy (rpm, copier ? steal_fd (&fd) : fd, copier,
                               err) < 0)
        return -1;
      *written = xreallocarray (*written, *n_written + 1, sizeof **written);
      (*written)[(*n_written)++] = idx;
    }
  return r;
}

/* Unpack through the copier (copier.h) when the package is more work than
 * the other workers have between them (a rebuild where it alone changed):
 * its decompression then has a CPU to itself.  When every worker is busy
 * anyway the hand-over only costs.  A failure the copier saw (in an
 * earlier file) comes first, as it would have without it. */
static int
write_payload_large (struct mk_extractor *x, struct mk_rpm *rpm, size_t job,
                     size_t **written, size_t *n_written, mk_error_t *err)
{
  mk_error_t late = NULL;
  int r;

  if (x->cost[job] < x->copier_min)
    return write_payload (rpm, x->scratchfd, job, NULL, written, n_written,
                          err);
  if (x->copier == NULL)
    x->copier = mk_copier_new ();
  r = write_payload (rpm, x->scratchfd, job, x->copier, written, n_written,
                     err);
  if (mk_copier_wait (x->copier, &late) == 0)
    return r;
  if (r < 0)
    mk_error_release (err);
  *err = late;
  return -1;
}

static int
copy_file_at (int from_dir, const char *from, int to_dir, const char *to)
{
  cleanup_close int in = TEMP_FAILURE_RETRY (
      openat (from_dir, from, O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  cleanup_close int out = -1;
  mk_error_t err = NULL;

  if (in < 0)
    return -1;
  out = TEMP_FAILURE_RETRY (openat (to_dir, to, O_WRONLY | O_CREAT | O_EXCL
                                                    | O_NOFOLLOW | O_CLOEXEC,
                                    0600));
  if (out < 0)
    return -1;
  if (mk_copy_fd (in, out, NULL, &err, to) < 0)
    {
      mk_error_release (&err); /* best effort: no cache entry */
      return -1;
    }
  return 0;
}

/* Move the scratch files job.K (K in written) into dfd as K, or back
 * (to_cache false); stops at the first that will not go and says how far
 * it got. */
static size_t
move_files (struct mk_extractor *x, int dfd, size_t job,
            const size_t *written, size_t n, bool to_cache)
{
  for (size_t i = 0; i < n; i++)
    {
      char sname[64], cname[32];
      snprintf (sname, sizeof sname, "%zu.%zu", job, written[i]);
      snprintf (cname, sizeof cname, "%zu", written[i]);
      if (to_cache ? renameat (x->scratchfd, sname, dfd, cname) < 0
                   : renameat (dfd, cname, x->scratchfd, sname) < 0)
        return i;
    }
  return n;
}

/* Copies of the scratch files, for a cache on another filesystem. */
static bool
copy_files (struct mk_extractor *x, int dfd, size_t job,
            const size_t *written, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      char from[64], to[32];
      snprintf (from, sizeof from, "%zu.%zu", job, written[i]);
      snprintf (to, sizeof to, "%zu", written[i]);
      if (copy_file_at (x->scratchfd, from, dfd, to) < 0)
        return false;
    }
  return true;
}

/* Keep what a job extracted in the unpacked cache, in a private
 * directory that is renamed to the key only when complete, so a reader
 * never sees half an entry.  The scratch files are moved there (the
 * build then reads them from the entry, and there is nothing left to
 * remove at the end), or copied across filesystems.  Returns 1 when the
 * contents are now in the entry only, 0 when they were copied there, -1
 * when there is no entry (they are in scratch as before).  Best effort: a
 * full disk or a race with another build only means no cache entry. */
static int
store_in_cache (struct mk_extractor *x, const char *key, size_t job,
                const size_t *written, size_t n)
{
  char tmp[160];
  int tfd;
  size_t moved = 0;
  bool ok;

  snprintf (tmp, sizeof tmp, ".tmp-%s-%d", key, (int) getpid ());
  if (mkdirat (x->cachefd, tmp, 0700) < 0)
    return -1;
  tfd = TEMP_FAILURE_RETRY (openat (x->cachefd, tmp, O_RDONLY | O_DIRECTORY
                                                         | O_NOFOLLOW
                                                         | O_CLOEXEC));
  if (tfd >= 0)
    moved = move_files (x, tfd, job, written, n, true);
  ok = tfd >= 0 && (moved == n || (moved == 0 && errno == EXDEV
                                   && copy_files (x, tfd, job, written, n)));
  if (ok && renameat (x->cachefd, tmp, x->cachefd, key) == 0)
    {
      close (tfd);
      return moved == n && n > 0;
    }
  if (tfd >= 0 && moved
      && move_files (x, tfd, job, written, moved, false) != moved)
    {
      /* Cannot happen short of the cache being meddled with; the job's
       * contents would be missing, and the unpacker says so. */
      mk_warn ("unpacked cache: cannot move `%s` back", tmp);
    }
  if (tfd >= 0)
    close (tfd);
  mk_at_rmtree (x->cachefd, tmp);
  return -1;
}

/* A usable entry: the cache directory holds only what we put there, and
 * an entry exists only once complete (store_in_cache). */
static bool
in_cache (struct mk_extractor *x, const char *key)
{
  struct stat st;
  return x->cachefd >= 0
         && fstatat (x->cachefd, key, &st, AT_SYMLINK_NOFOLLOW) == 0
         && S_ISDIR (st.st_mode);
}

/* A cache key is a sha256 in hex: nothing else becomes a file name. */
static bool
valid_key (const char *key)
{
  size_t n = key ? strspn (key, "0123456789abcdef") : 0;
  return n == 64 && key[n] == '\0';
}

/* The package file's identity as a line, for the entry's `.source`. */
static bool
source_line (const char *path, char *buf, size_t len)
{
  struct mk_file_id id;
  if (!mk_file_id_of (path, true, &id))
    return false;
  snprintf (buf, len, "%" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRId64
                      " %" PRId64 "\n",
            id.dev, id.ino, id.size, id.mtime_ns, id.ctime_ns);
  return true;
}

/* Only what is new is checked: an entry records the identity of the
 * package file it was last checked against (`.source`; entry files are
 * otherwise named by number).  The same file, unchanged since, has the
 * sha256 it had, which was the entry's key, and is not hashed again. */
static bool
known_source (struct mk_extractor *x, const struct mk_extract_job *j)
{
  char now[160], was[160];
  cleanup_free char *name = NULL;
  cleanup_close int fd = -1;
  ssize_t n;

  if (x->cachefd < 0 || !valid_key (j->cache_key) || j->checksum == NULL
      || strcmp (j->checksum_type, "sha256") != 0
      || strcmp (j->checksum, j->cache_key) != 0
      || !source_line (j->path, now, sizeof now))
    return false;
  name = xasprintf ("%s/.source", j->cache_key);
  fd = TEMP_FAILURE_RETRY (openat (x->cachefd, name,
                                   O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (fd < 0)
    return false;
  n = TEMP_FAILURE_RETRY (read (fd, was, sizeof was - 1));
  if (n <= 0)
    return false;
  was[n] = '\0';
  return strcmp (now, was) == 0;
}

/* Record the identity of the file just checked (best effort). */
static void
note_source (struct mk_extractor *x, const struct mk_extract_job *j)
{
  char line[160];
  cleanup_free char *tmp = xasprintf ("%s/.source.%d", j->cache_key,
                                      (int) getpid ());
  cleanup_free char *name = xasprintf ("%s/.source", j->cache_key);
  int fd;

  if (!source_line (j->path, line, sizeof line))
    return;
  fd = TEMP_FAILURE_RETRY (openat (x->cachefd, tmp, O_WRONLY | O_CREAT
                                   | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (fd < 0)
    return;
  if (write (fd, line, strlen (line)) != (ssize_t) strlen (line)
      || close (fd) < 0 || renameat (x->cachefd, tmp, x->cachefd, name) < 0)
    unlinkat (x->cachefd, tmp, 0);
}

/* Returns 1 when the unpacked cache already has the package, 2 when it
 * has it now (the contents are there, not in scratch). */
static int
extract_one (struct mk_extractor *x, size_t job, char **sha256,
             mk_error_t *err)
{
  const struct mk_extract_job *j = &x->jobs[job];
  cleanup_rpm struct mk_rpm *rpm = NULL;
  cleanup_free size_t *written = NULL;
  size_t n_written = 0;
  bool cacheable;
  int stored;

  if (known_source (x, j) && in_cache (x, j->cache_key))
    {
      *sha256 = xstrdup (j->cache_key);
      return 1;
    }
  if (mk_extract_check_file (j, sha256, err) < 0)
    return -1;
  /* The key is the repository's checksum, which the file just matched. */
  cacheable = x->cachefd >= 0 && valid_key (j->cache_key)
              && strcmp (*sha256, j->cache_key) == 0;
  if (cacheable && in_cache (x, j->cache_key))
    {
      note_source (x, j);
      return 1;
    }
  if (mk_rpm_open (j->path, j->keys, &rpm, err) < 0)
    return mk_error_wrap (err, "%s", j->nevra);
  if (write_payload_large (x, rpm, job, &written, &n_written, err) < 0)
    return -1;
  stored = cacheable ? store_in_cache (x, j->cache_key, job, written,
                                       n_written)
                     : -1;
  if (stored >= 0)
    note_source (x, j);
  return stored > 0 ? 2 : 0;
}

static void __attribute__ ((noreturn))
worker (struct mk_extractor *x, int jobfd, int resfd)
{
  uint32_t job;

  while (TEMP_FAILURE_RETRY (read (jobfd, &job, sizeof job))
         == (ssize_t) sizeof job)
    {
      struct result r = { .job = job };
      mk_error_t err = NULL;
      cleanup_free char *sha = NULL;

      if (job >= x->n)
        _exit (MK_EXIT_FAILURE);
      /* Test-only (tests/integration/parallel.sh): a worker that dies
       * without a word, as one killed by the OOM killer would. */
      if (getenv ("MKBASE_TEST_WORKER_DIES")
          && (uint32_t) atoi (getenv ("MKBASE_TEST_WORKER_DIES")) == job)
        raise (SIGKILL);
      int e = extract_one (x, job, &sha, &err);
      if (e < 0)
        {
          r.exit_code = err->exit_code ? err->exit_code : MK_EXIT_FAILURE;
          snprintf (r.msg, sizeof r.msg, "%s", err->msg);
          mk_error_release (&err);
        }
      else
        {
          snprintf (r.sha256, sizeof r.sha256, "%s", sha);
          r.cached = e;
        }
      /* A failed job does not stop the worker: the unpacker reports the
       * first failure in install order, and with the costliest first
       * that package may still be in the queue. */
      if (write (resfd, &r, sizeof r) != (ssize_t) sizeof r)
        _exit (MK_EXIT_FAILURE);
    }
  _exit (0);
}

/* The queue's order: costliest first (longest processing time first, the
 * classic rule for keeping every worker busy to the end); ties in install
 * order.  The unpacker still takes the results in install order. */
static int
by_cost (const void *a, const void *b, void *arg)
{
  const uint64_t *cost = arg;
  uint32_t i = *(const uint32_t *) a, j = *(const uint32_t *) b;
  if (cost[i] != cost[j])
    return cost[i] > cost[j] ? -1 : 1;
  return i < j ? -1 : i > j;
}

/* All job numbers go into the pipe at once, so workers never wait for
 * the parent; the pipe is grown to hold them. */
static int
queue_jobs (int fds[2], const uint64_t *cost, size_t n, mk_error_t *err)
{
  size_t want = n * sizeof (uint32_t);
  cleanup_free uint32_t *order = xcalloc (n + 1, sizeof *order);

  for (uint32_t i = 0; i < n; i++)
    order[i] = i;
  qsort_r (order, n, sizeof *order, by_cost, (void *) cost);
  if (pipe2 (fds, O_CLOEXEC) < 0)
    return mk_make_error (err, errno, "pipe");
  if (want > 65536 && fcntl (fds[1], F_SETPIPE_SZ, (int) want) < 0)
    return mk_make_error (err, errno, "pipe of %zu jobs", n);
  if (mk_write_all (fds[1], order, want, err, "queue jobs") < 0)
    return -1;
  close (fds[1]);
  fds[1] = -1;
  return 0;
}

/* Each job's expected cost, a package already in the unpacked cache
 * costing nothing (only its file is hashed), and the cost from which a
 * job is more than the other workers' share of the rest. */
static void
estimate_costs (struct mk_extractor *x, int workers)
{
  uint64_t total = 0;

  x->cost = xcalloc (x->n + 1, sizeof *x->cost);
  for (size_t i = 0; i < x->n; i++)
    {
      const char *key = x->jobs[i].cache_key;
      bool cached = valid_key (key) && in_cache (x, key);
      x->cost[i] = cached ? 0 : x->jobs[i].cost;
      total += x->cost[i];
    }
  x->copier_min = workers > 1 ? total / (uint64_t) workers : UINT64_MAX;
  if (x->copier_min < COPIER_MIN_COST)
    x->copier_min = COPIER_MIN_COST;
}

static int
spawn (struct mk_extractor *x, int workers, int jobfd, int res_w,
       mk_error_t *err)
{
  fflush (NULL);
  for (int k = 0; k < workers; k++)
    {
      pid_t pid = fork ();
      if (pid < 0)
        return mk_make_error (err, errno, "fork");
      if (pid == 0)
        {
          close (x->resfd);
          worker (x, jobfd, res_w);
        }
      x->pids[x->n_pids++] = pid;
    }
  return 0;
}

int
mk_extractor_start (const struct mk_extract_job *jobs, size_t n,
                    int workers, const char *scratch_parent,
                    const char *cache_dir, struct mk_extractor **out,
                    mk_error_t *err)
{
  struct mk_extractor *x = xcalloc (1, sizeof *x);
  int jobs_pipe[2] = { -1, -1 }, res_pipe[2] = { -1, -1 };
  int r = -1;

  x->jobs = jobs;
  x->n = n;
  x->scratchfd = x->resfd = x->cachefd = x->keyfd = -1;
  if (cache_dir)
    {
      x->cache_dir = xstrdup (cache_dir);
      x->cachefd = open (cache_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW
                                        | O_CLOEXEC);
    }
  x->res = xcalloc (n + 1, sizeof *x->res);
  x->done = xcalloc (n + 1, sizeof *x->done);
  if (mk_mkdtemp (scratch_parent, "mkbase-extract", &x->scratch, err) < 0)
    goto done;
  x->scratchfd = open (x->scratch, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (x->scratchfd < 0)
    {
      mk_make_error (err, errno, "open `%s`", x->scratch);
      goto done;
    }
  if (workers > MAX_WORKERS)
    workers = MAX_WORKERS;
  if (workers > (int) n)
    workers = (int) n;
  estimate_costs (x, workers);
  if (queue_jobs (jobs_pipe, x->cost, n, err) < 0)
    goto done;
  if (pipe2 (res_pipe, O_CLOEXEC) < 0)
    {
      mk_make_error (err, errno, "pipe");
      goto done;
    }
  x->resfd = res_pipe[0];
  r = spawn (x, workers, jobs_pipe[0], res_pipe[1], err);
done:
  for (int i = 0; i < 2; i++)
    if (jobs_pipe[i] >= 0)
      close (jobs_pipe[i]);
  if (res_pipe[1] >= 0)
    close (res_pipe[1]); /* EOF once every worker has exited */
  if (r < 0)
    {
      mk_extractor_free (x);
      return -1;
    }
  *out = x;
  return 0;
}

int
mk_extractor_wait (struct mk_extractor *x, size_t i, const char **sha256,
                   struct mk_extracted *where, mk_error_t *err)
{
  while (!x->done[i])
    {
      struct result r;
      ssize_t k;
      /* SIGINT/SIGTERM reach only us: stop now, not when a worker next
       * reports (mk_extractor_free kills the workers). */
      if (mk_wait_readable (x->resfd, err) < 0)
        return -1;
      k = TEMP_FAILURE_RETRY (read (x->resfd, &r, sizeof r));
      if (k == 0)
        return mk_make_error (err, 0, "%s: the unpacking worker died",
                              x->jobs[i].nevra);
      if (k != (ssize_t) sizeof r || r.job >= x->n)
        return mk_make_error (err, k < 0 ? errno : 0, "unpacking workers: "
                                                      "bad result");
      x->res[r.job] = r;
      x->done[r.job] = true;
    }
  if (x->res[i].exit_code)
    return mk_make_error_code (err, x->res[i].exit_code, 0, "%s",
                               x->res[i].msg);
  *sha256 = x->res[i].sha256;
  *where = (struct mk_extracted){ .dirfd = x->scratchfd };
  snprintf (where->prefix, sizeof where->prefix, "%zu.", i);
  if (x->res[i].cached)
    {
      if (x->keyfd >= 0)
        close (x->keyfd);
      x->keyfd = TEMP_FAILURE_RETRY (openat (
          x->cachefd, x->jobs[i].cache_key,
          O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (x->keyfd < 0)
        return mk_make_error (err, errno, "unpacked cache: open `%s/%s`",
                              x->cache_dir, x->jobs[i].cache_key);
      *where = (struct mk_extracted){ .dirfd = x->keyfd, .from_cache = true,
                                      .hit = x->res[i].cached == 1 };
    }
  return 0;
}

char *
mk_extract_cache_dir (const char *cache_root)
{
  const char *env = getenv ("MKBASE_UNPACK_CACHE");
  if (env && strcmp (env, "0") == 0)
    return NULL;
  return mk_cache_private_dir (cache_root, "unpacked");
}

void
mk_extractor_free (struct mk_extractor *x)
{
  if (x == NULL)
    return;
  for (int k = 0; k < x->n_pids; k++)
    kill (x->pids[k], SIGKILL);
  for (int k = 0; k < x->n_pids; k++)
    TEMP_FAILURE_RETRY (waitpid (x->pids[k], NULL, 0));
  if (x->resfd >= 0)
    close (x->resfd);
  if (x->scratchfd >= 0)
    close (x->scratchfd);
  if (x->cachefd >= 0)
    close (x->cachefd);
  if (x->keyfd >= 0)
    close (x->keyfd);
  free (x->cache_dir);
  if (x->scratch)
    mk_at_rmtree (AT_FDCWD, x->scratch);
  free (x->scratch);
  free (x->res);
  free (x->done);
  free (x->cost);
  free (x);
}
