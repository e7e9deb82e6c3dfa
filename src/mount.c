/* mount.c: builds the container's file system view in the child's new mount
 * namespace, as one declared, ordered list of operations (the `ops` table)
 * run by mk_mount_setup: make everything private, mount the image root, a
 * fresh proc, a minimal /dev, sysfs, the volumes, runc's masked and
 * read-only paths, the root's final flags, and then pivot_root into it.
 *
 * Every target inside the image is opened first, as an O_PATH fd, and the
 * mount goes onto /proc/self/fd/N, so a symlink planted in the image cannot
 * redirect a mount to the host (CVE-2019-19921 and its descendants).  The
 * system directories (/proc, /dev, /sys) must be real directories: they are
 * opened without following any symlink.  Volume targets may follow the
 * image's own symlinks, but only as if the image were "/"
 * (RESOLVE_IN_ROOT).  A mount hides the directory its fd points to, so a
 * target is opened again after it is mounted on before it is remounted.
 * libc only. */
#define _GNU_SOURCE
#include "mount.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>

#include "util.h"

enum mk_mount_op_kind
{
  MK_MOUNT_RPRIVATE,
  MK_MOUNT_ROOT,
  MK_MOUNT_PROC,
  MK_MOUNT_TMPFS,   /* path, data */
  MK_MOUNT_DEVICE,  /* path, host device to bind */
  MK_MOUNT_DEVPTS,
  MK_MOUNT_SYMLINK, /* path, link target */
  MK_MOUNT_SYSFS,
  MK_MOUNT_VOLUMES,
  MK_MOUNT_MASK,
  MK_MOUNT_READONLY,
  MK_MOUNT_ROOT_FLAGS,
  MK_MOUNT_PIVOT,
};

struct mount_op
{
  enum mk_mount_op_kind kind;
  const char *path; /* relative to the new root */
  const char *arg;
};

#define TMPFS_SIZE "size=65536k"

/* The order matters: /dev's nodes go into the tmpfs mounted just before;
 * masks and read-only paths go onto the proc and sysfs mounted earlier and
 * after the volumes, so a volume cannot unmask them; the root's read-only
 * flag comes last because the steps before create mount points in it. */
static const struct mount_op ops[] = {
  { MK_MOUNT_RPRIVATE, NULL, NULL },
  { MK_MOUNT_ROOT, NULL, NULL },
  { MK_MOUNT_PROC, "proc", NULL },
  { MK_MOUNT_TMPFS, "dev", "mode=755," TMPFS_SIZE },
  { MK_MOUNT_DEVICE, "dev/null", "/dev/null" },
  { MK_MOUNT_DEVICE, "dev/zero", "/dev/zero" },
  { MK_MOUNT_DEVICE, "dev/full", "/dev/full" },
  { MK_MOUNT_DEVICE, "dev/random", "/dev/random" },
  { MK_MOUNT_DEVICE, "dev/urandom", "/dev/urandom" },
  { MK_MOUNT_DEVICE, "dev/tty", "/dev/tty" },
  { MK_MOUNT_DEVPTS, "dev/pts", NULL },
  { MK_MOUNT_SYMLINK, "dev/ptmx", "pts/ptmx" },
  { MK_MOUNT_TMPFS, "dev/shm", "mode=1777," TMPFS_SIZE },
  { MK_MOUNT_SYMLINK, "dev/fd", "/proc/self/fd" },
  { MK_MOUNT_SYMLINK, "dev/stdin", "/proc/self/fd/0" },
  { MK_MOUNT_SYMLINK, "dev/stdout", "/proc/self/fd/1" },
  { MK_MOUNT_SYMLINK, "dev/stderr", "/proc/self/fd/2" },
  { MK_MOUNT_SYSFS, "sys", NULL },
  { MK_MOUNT_VOLUMES, NULL, NULL },
  /* runc's default masked paths (libcontainer/specconv/example.go). */
  { MK_MOUNT_MASK, "proc/acpi", NULL },
  { MK_MOUNT_MASK, "proc/asound", NULL },
  { MK_MOUNT_MASK, "proc/kcore", NULL },
  { MK_MOUNT_MASK, "proc/keys", NULL },
  { MK_MOUNT_MASK, "proc/latency_stats", NULL },
  { MK_MOUNT_MASK, "proc/timer_list", NULL },
  { MK_MOUNT_MASK, "proc/timer_stats", NULL },
  { MK_MOUNT_MASK, "proc/sched_debug", NULL },
  { MK_MOUNT_MASK, "proc/scsi", NULL },
  { MK_MOUNT_MASK, "sys/firmware", NULL },
  { MK_MOUNT_MASK, "sys/devices/virtual/tpm", NULL },
  /* ... and its read-only paths. */
  { MK_MOUNT_READONLY, "proc/bus", NULL },
  { MK_MOUNT_READONLY, "proc/fs", NULL },
  { MK_MOUNT_READONLY, "proc/irq", NULL },
  { MK_MOUNT_READONLY, "proc/sys", NULL },
  { MK_MOUNT_READONLY, "proc/sysrq-trigger", NULL },
  { MK_MOUNT_ROOT_FLAGS, NULL, NULL },
  { MK_MOUNT_PIVOT, NULL, NULL },
};

struct ctx
{
  const struct mk_mount_config *c;
  const char *root; /* host path of the new root */
  int rootfd;       /* O_PATH fd of the mounted new root */
};

struct fdpath
{
  char s[40];
};

static struct fdpath
fdpath (int fd)
{
  struct fdpath p;
  snprintf (p.s, sizeof p.s, "/proc/self/fd/%d", fd);
  return p;
}

static int
fail (mk_error_t *err, int errnum, const char *what, const char *path)
{
  return mk_make_error_code (err, MK_EXIT_RUNNER, errnum, "%s `/%s`", what,
                             path ? path : "");
}

/* Open path below the new root.  strict: no symlink at all (system
 * directories); otherwise the image's symlinks resolve as if the image
 * were "/", and magic links (/proc/self/fd/...) are refused. */
static int
open_in_root (int rootfd, const char *path, int flags, bool strict)
{
  struct open_how how = {
    .flags = (uint64_t) (flags | O_CLOEXEC),
    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
  };
  long fd;

  if (strict)
    return mk_at_open (rootfd, path, flags, 0);
  while (*path == '/')
    path++;
  do
    fd = syscall (SYS_openat2, rootfd, *path ? path : ".", &how, sizeof how);
  while (fd < 0 && (errno == EINTR || errno == EAGAIN));
  if (fd < 0 && errno == ENOSYS)
    return mk_at_open (rootfd, path, flags, 0);
  return (int) fd;
}

/* Open (creating it when missing) a directory or file at path below the
 * root and return an O_PATH fd.  Parents are created as directories. */
static int
ensure (int rootfd, const char *path, bool dir, bool strict)
{
  cleanup_close int pfd = -1;
  cleanup_free char *parent = NULL;
  const char *slash, *base;
  int fd = open_in_root (rootfd, path, O_PATH | O_NOFOLLOW, strict);

  if (fd >= 0 || errno != ENOENT)
    return fd;
  slash = strrchr (path, '/');
  base = slash ? slash + 1 : path;
  parent = slash ? xstrndup (path, (size_t) (slash - path)) : xstrdup ("");
  if (*base == '\0' || strcmp (base, "..") == 0 || strcmp (base, ".") == 0)
    {
      errno = EINVAL;
      return -1;
    }
  pfd = *parent ? ensure (rootfd, parent, true, strict)
                : open_in_root (rootfd, "", O_PATH | O_DIRECTORY, strict);
  if (pfd < 0)
    return -1;
  if (dir && mkdirat (pfd, base, 0755) < 0 && errno != EEXIST)
    return -1;
  if (!dir)
    {
      int f = TEMP_FAILURE_RETRY (openat (
          pfd, base, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644));
      if (f < 0)
        return -1;
      close (f);
    }
  return open_in_root (rootfd, path, O_PATH | O_NOFOLLOW, strict);
}

/* A system directory (/proc, /dev, /sys, /dev/pts): created when missing,
 * refused when the image has a symlink or a file there. */
static int
system_dir (struct ctx *x, const char *path, mk_error_t *err)
{
  int fd = ensure (x->rootfd, path, true, true);
  struct stat st;
  if (fd < 0)
    return fail (err, errno, "refusing to mount on", path);
  if (fstat (fd, &st) < 0 || !S_ISDIR (st.st_mode))
    {
      close (fd);
      return mk_make_error_code (err, MK_EXIT_RUNNER, 0,
                                 "refusing to mount on `/%s`: the image has "
                                 "a symlink or a file there",
                                 path);
    }
  return fd;
}

/* MS_* flags the mount at fd has now.  In a user namespace the kernel locks
 * nosuid/nodev/noexec/ro/atime flags of mounts it inherited, and a remount
 * that would clear one fails with EPERM, so remounts keep them. */
static unsigned long
current_flags (int fd)
{
  static const struct
  {
    unsigned long st, ms;
  } map[] = {
    { ST_RDONLY, MS_RDONLY },     { ST_NOSUID, MS_NOSUID },
    { ST_NODEV, MS_NODEV },       { ST_NOEXEC, MS_NOEXEC },
    { ST_NOATIME, MS_NOATIME },   { ST_NODIRATIME, MS_NODIRATIME },
    { ST_RELATIME, MS_RELATIME },
  };
  struct statvfs sv;
  unsigned long flags = 0;
  if (fstatvfs (fd, &sv) < 0)
    return 0;
  for (size_t i = 0; i < ARRAY_SIZE (map); i++)
    if (sv.f_flag & map[i].st)
      flags |= map[i].ms;
  return flags;
}

/* Remount the bind mount whose root is at path with extra flags.  The path
 * is opened again so the fd sees the mount on top, not what it hides. */
static int
remount (struct ctx *x, const char *path, unsigned long add, bool strict,
         mk_error_t *err)
{
  cleanup_close int fd = open_in_root (x->rootfd, path, O_PATH, strict);
  if (fd < 0)
    return fail (err, errno, "open", path);
  if (mount (NULL, fdpath (fd).s, NULL,
             MS_BIND | MS_REMOUNT | current_flags (fd) | add, NULL)
      < 0)
    return fail (err, errno, "remount", path);
  return 0;
}

static int
bind_onto (const char *src_path, int src_fd, int dst_fd, bool rec)
{
  struct fdpath s = fdpath (src_fd), d = fdpath (dst_fd);
  return mount (src_fd >= 0 ? s.s : src_path, d.s, NULL,
                MS_BIND | (rec ? MS_REC : 0), NULL);
}

static int
op_root (struct ctx *x, mk_error_t *err)
{
  const struct mk_mount_config *c = x->c;

  if (c->upper)
    {
      cleanup_free char *opts = NULL;
      /* Overlay parses ',' and ':' in its option string; image.c and
       * run.c only hand us paths they made, but check anyway. */
      if (strpbrk (c->rootfs, ",:") || strpbrk (c->upper, ",:")
          || strpbrk (c->work, ",:"))
        return mk_make_error_code (err, MK_EXIT_RUNNER, 0,
                                   "overlay paths may not contain ',' or ':'");
      /* In a user namespace overlay must keep its metadata in user.*
       * xattrs; trusted.* needs CAP_SYS_ADMIN on the host. */
      opts = xasprintf ("lowerdir=%s,upperdir=%s,workdir=%s%s", c->rootfs,
                        c->upper, c->work, c->userns ? ",userxattr" : "");
      if (mount ("overlay", c->merged, "overlay", MS_NODEV, opts) < 0)
        return mk_make_error_code (err, MK_EXIT_RUNNER, errno,
                                   "mount overlay on `%s`", c->merged);
    }
  else if (mount (c->rootfs, c->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
    return mk_make_error_code (err, MK_EXIT_RUNNER, errno,
                               "bind-mount the image `%s`", c->rootfs);
  x->rootfd = TEMP_FAILURE_RETRY (
      open (x->root, O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (x->rootfd < 0)
    return mk_make_error_code (err, MK_EXIT_RUNNER, errno, "open `%s`",
                               x->root);
  return 0;
}

static int
op_proc (struct ctx *x, const struct mount_op *op, mk_error_t *err)
{
  cleanup_close int fd = system_dir (x, op->path, err);
  if (fd < 0)
    return -1;
  if (mount ("proc", fdpath (fd).s, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
             NULL)
      < 0)
    return fail (err, errno, "mount proc on", op->path);
  return 0;
}

static int
op_tmpfs (struct ctx *x, const struct mount_op *op, mk_error_t *err)
{
  cleanup_close int fd = system_dir (x, op->path, err);
  if (fd < 0)
    return -1;
  if (mount ("tmpfs", fdpath (fd).s, "tmpfs",
             MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_STRICTATIME, op->arg)
      < 0)
    return fail (err, errno, "mount tmpfs on", op->path);
  return 0;
}

/* Devices are bind-mounted from the host onto empty files: mknod is not
 * allowed in a user namespace, and as root it would need a devices cgroup
 * to be safe.  The /dev tmpfs itself is nodev. */
static int
op_device (struct ctx *x, const struct mount_op *op, mk_error_t *err)
{
  cleanup_close int src = -1, dst = -1;
  struct stat st;

  src = TEMP_FAILURE_RETRY (open (op->arg, O_PATH | O_CLOEXEC));
  if (src < 0 || fstat (src, &st) < 0 || !S_ISCHR (st.st_mode))
    return mk_make_error_code (err, MK_EXIT_RUNNER, src < 0 ? errno : ENODEV,
                               "host device `%s`", op->arg);
  dst = ensure (x->rootfd, op->path, false, true);
  if (dst < 0)
    return fail (err, errno, "create", op->path);
  if (bind_onto (NULL, src, dst, false) < 0)
    return fail (err, errno, "bind-mount a device on", op->path);
  return 0;
}

static int
op_devpts (struct ctx *x, const struct mount_op *op, mk_error_t *err)
{
  cleanup_close int fd = system_dir (x, op->path, err);
  /* gid=5 (tty) is only valid when that gid is mapped; rootless runs map
   * just one gid, so ptys then belong to the caller's group. */
  const char *opts = x->c->userns ? "newinstance,ptmxmode=0666,mode=0620"
                                  : "newinstance,ptmxmode=0666,mode=0620,"
                                    "gid=5";
  if (fd < 0)
    return -1;
  if (mount ("devpts", fdpath (fd).s, "devpts", MS_NOSUID | MS_NOEXEC, opts)
      < 0)
    return fail (err, errno, "mount devpts on", op->path);
  return 0;
}

static int
op_symlink (struct ctx *x, const struct mount_op *op, mk_error_t *err)
{
  const char *base;
  cleanup_close int pfd = mk_at_open_parent (x->rootfd, op->path, &base);
  if (pfd < 0 || symlinkat (op->arg, pfd, base) < 0)
    return fail (err, errno, "symlink", op->path);
  return 0;
}

/* A fresh sysfs shows the network devices of the netns that mounts it, and
 * the kernel allows it in a user namespace only when that namespace owns
 * the netns.  Otherwise (rootless with --net host) the host's /sys is
 * bound read-only instead. */
static int
op_sysfs (struct ctx *x, const struct mount_op *op, mk_error_t *err)
{
  cleanup_close int fd = system_dir (x, op->path, err);
  const unsigned long fl = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
  if (fd < 0)
    return -1;
  if (mount ("sysfs", fdpath (fd).s, "sysfs", fl, NULL) == 0)
    return 0;
  if (x->c->own_netns || (errno != EPERM && errno != EACCES))
    return fail (err, errno, "mount sysfs on", op->path);
  if (bind_onto ("/sys", -1, fd, true) < 0)
    return fail (err, errno, "bind-mount /sys on", op->path);
  return remount (x, op->path, fl, true, err);
}

static int
one_volume (struct ctx *x, const struct mk_volume *v, mk_error_t *err)
{
  cleanup_close int src = -1, dst = -1;
  struct stat st;

  src = TEMP_FAILURE_RETRY (open (v->host, O_PATH | O_CLOEXEC));
  if (src < 0 || fstat (src, &st) < 0)
    return mk_make_error_code (err, MK_EXIT_RUNNER, errno, "volume `%s`",
                               v->host);
  dst = ensure (x->rootfd, v->dest, S_ISDIR (st.st_mode), false);
  if (dst < 0)
    return mk_make_error_code (err, MK_EXIT_RUNNER, errno,
                               "volume target `%s`", v->dest);
  if (bind_onto (NULL, src, dst, true) < 0)
    return mk_make_error_code (err, MK_EXIT_RUNNER, errno,
                               "bind-mount `%s` on `%s`", v->host, v->dest);
  return remount (x, v->dest, MS_NODEV | (v->ro ? MS_RDONLY : 0), false,
                  err);
}

static int
op_volumes (struct ctx *x, mk_error_t *err)
{
  for (size_t i = 0; i < x->c->n_volumes; i++)
    if (one_volume (x, &x->c->volumes[i], err) < 0)
      return -1;
  return 0;
}

/* Masked: an empty read-only tmpfs over a directory, /dev/null over a
 * file.  Paths this kernel does not have are skipped. */
static int
op_mask (struct ctx *x, const struct mount_op *op, mk_error_t *err)
{
  cleanup_close int fd
      = mk_at_open (x->rootfd, op->path, O_PATH | O_NOFOLLOW, 0);
  struct stat st;

  if (fd < 0 && errno == ENOENT)
    return 0;
  if (fd < 0 || fstat (fd, &st) < 0)
    return fail (err, errno, "mask", op->path);
  if (S_ISDIR (st.st_mode))
    {
      if (mount ("tmpfs", fdpath (fd).s, "tmpfs",
                 MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL)
          < 0)
        return fail (err, errno, "mask", op->path);
      return 0;
    }
  if (bind_onto ("/dev/null", -1, fd, false) < 0)
    return fail (err, errno, "mask", op->path);
  return 0;
}

static int
op_readonly (struct ctx *x, const struct mount_op *op, mk_error_t *err)
{
  cleanup_close int fd
      = mk_at_open (x->rootfd, op->path, O_PATH | O_NOFOLLOW, 0);
  if (fd < 0 && errno == ENOENT)
    return 0;
  if (fd < 0)
    return fail (err, errno, "open", op->path);
  if (bind_onto (NULL, fd, fd, true) < 0)
    return fail (err, errno, "bind-mount", op->path);
  return remount (x, op->path, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                  true, err);
}

/* nodev always: root in the container keeps CAP_MKNOD (Docker's set) and
 * there is no devices cgroup to stop it opening a disk it creates. */
static int
op_root_flags (struct ctx *x, mk_error_t *err)
{
  unsigned long add = MS_NODEV | (x->c->read_only ? MS_RDONLY : 0);
  if (mount (NULL, fdpath (x->rootfd).s, NULL,
             MS_BIND | MS_REMOUNT | current_flags (x->rootfd) | add, NULL)
      < 0)
    return fail (err, errno, "remount", "");
  return 0;
}

/* crun's do_pivot and pivot_root(2): with the new root as the working
 * directory, pivot_root(".", ".") stacks the old root on top of it;
 * detaching "." then removes the old root and every host mount below it
 * without needing a directory for it inside the image. */
static int
op_pivot (struct ctx *x, mk_error_t *err)
{
  if (fchdir (x->rootfd) < 0)
    return mk_make_error_code (err, MK_EXIT_RUNNER, errno, "chdir `%s`",
                               x->root);
  if (syscall (SYS_pivot_root, ".", ".") < 0)
    return mk_make_error_code (err, MK_EXIT_RUNNER, errno, "pivot_root `%s`",
                               x->root);
  if (umount2 (".", MNT_DETACH) < 0)
    return mk_make_error_code (err, MK_EXIT_RUNNER, errno,
                               "detach the old root");
  if (chdir ("/") < 0)
    return mk_make_error_code (err, MK_EXIT_RUNNER, errno, "chdir /");
  return 0;
}

static int
run_op (struct ctx *x, const struct mount_op *op, mk_error_t *err)
{
  switch (op->kind)
    {
    case MK_MOUNT_RPRIVATE:
      /* Nothing we mount may propagate back to the host, and nothing the
       * host mounts later should appear inside. */
      if (mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        return mk_make_error_code (err, MK_EXIT_RUNNER, errno,
                                   "make / private");
      return 0;
    case MK_MOUNT_ROOT:
      return op_root (x, err);
    case MK_MOUNT_PROC:
      return op_proc (x, op, err);
    case MK_MOUNT_TMPFS:
      return op_tmpfs (x, op, err);
    case MK_MOUNT_DEVICE:
      return op_device (x, op, err);
    case MK_MOUNT_DEVPTS:
      return op_devpts (x, op, err);
    case MK_MOUNT_SYMLINK:
      return op_symlink (x, op, err);
    case MK_MOUNT_SYSFS:
      return op_sysfs (x, op, err);
    case MK_MOUNT_VOLUMES:
      return op_volumes (x, err);
    case MK_MOUNT_MASK:
      return op_mask (x, op, err);
    case MK_MOUNT_READONLY:
      return op_readonly (x, op, err);
    case MK_MOUNT_ROOT_FLAGS:
      return op_root_flags (x, err);
    case MK_MOUNT_PIVOT:
      return op_pivot (x, err);
    default:
      return mk_make_error_code (err, MK_EXIT_RUNNER, 0, "bad mount op %d",
                                 (int) op->kind);
    }
}

int
mk_mount_setup (const struct mk_mount_config *c, mk_error_t *err)
{
  struct ctx x = { .c = c, .root = c->upper ? c->merged : c->rootfs,
                   .rootfd = -1 };
  int r = 0;

  for (size_t i = 0; r == 0 && i < ARRAY_SIZE (ops); i++)
    r = run_op (&x, &ops[i], err);
  if (x.rootfd >= 0)
    close (x.rootfd);
  return r;
}
