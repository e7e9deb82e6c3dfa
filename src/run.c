/* run.c: `mkbase run [options] IMAGE [--] CMD [ARG...]`.  Parses and checks
 * the options, builds the command's environment, resolves IMAGE (image.c),
 * prepares the per-run state (an overlay's upper and work directories, so
 * runs of a cached image never write into the cache), hands everything to
 * the runner (runner.c) and removes the state again with --rm.  Option
 * errors are runner failures (125), as with `docker run`.  libc only. */
#define _GNU_SOURCE
#include "run.h"

#include <fcntl.h>
#include <getopt.h>
#include <string.h>
#include <sys/stat.h>

#include "arch.h"
#include "elfinfo.h"
#include "image.h"
#include "json.h"
#include "runner.h"
#include "util.h"

static const char help_text[]
    = "Usage: mkbase run [OPTIONS] IMAGE [--] [CMD [ARG...]]\n"
      "Boot IMAGE (a tar made by mkbase, or an unpacked directory) in new\n"
      "namespaces and run CMD as PID 2 under a small init.  Without CMD, the\n"
      "image's own command runs: the recipe's entrypoint and cmd, as its OCI\n"
      "config has them (default /bin/sh); CMD replaces cmd, not entrypoint.\n"
      "\n"
      "      --entrypoint PROG  run PROG instead of the image's entrypoint and\n"
      "                         cmd, with CMD as its arguments ('' for none)\n"
      "  -i, --interactive      relay stdin to the -t terminal (stdin is\n"
      "                         always the command's without -t)\n"
      "  -t, --tty              give the command a terminal of its own (a pty\n"
      "                         of the container's devpts): job control, the\n"
      "                         window size, Ctrl-C for the command; -it for\n"
      "                         an interactive shell\n"
      "  -e, --env K=V          set an environment variable (K alone: copy\n"
      "                         it from the caller when set)\n"
      "  -w, --workdir DIR      working directory (absolute, default /)\n"
      "  -u, --user UID[:GID]   numeric user and group (default 0:0)\n"
      "      --hostname NAME    host name (default mkbase)\n"
      "      --net none|private|host\n"
      "                         none (default): a new network namespace with\n"
      "                         only loopback, up; private: one of its own\n"
      "                         with outbound access through pasta (passt);\n"
      "                         host: the host's network\n"
      "  -p, --publish [127.0.0.1:]HOSTPORT:PORT[/udp]\n"
      "                         forward HOSTPORT on the host's 127.0.0.1 to\n"
      "                         PORT in the container (implies --net private)\n"
      "  -v, --volume HOST:DIR[:ro|rw]\n"
      "                         bind-mount the absolute host path HOST on DIR\n"
      "      --read-only        mount the image root read-only\n"
      "      --memory BYTES     memory limit (suffix K, M, G or T)\n"
      "      --pids N           limit on the number of tasks\n"
      "      --cpus N           CPU limit, a decimal such as 1.5\n"
      "      --keep-caps        keep every capability instead of Docker's\n"
      "                         default set\n"
      "      --rm               remove the run's state (its overlay) after it\n"
      "                         exits; the unpacked image cache stays\n"
      "  -h, --help             show this help\n"
      "\n"
      "Without root a user namespace maps the caller to root.  A tar IMAGE is\n"
      "unpacked once into $MKBASE_CACHE/images/<sha256> (default\n"
      "/var/cache/mkbase as root, else ~/.cache/mkbase) and each run writes\n"
      "to an overlay; a directory IMAGE is used, and written to, directly.\n"
      "\n"
      "Exit status: the command's own; 128+N when a signal N killed it; 125\n"
      "when mkbase run itself failed; 126 when CMD cannot be executed; 127\n"
      "when CMD was not found.\n";

enum
{
  OPT_HOSTNAME = 256,
  OPT_NET,
  OPT_MEMORY,
  OPT_PIDS,
  OPT_CPUS,
  OPT_READ_ONLY,
  OPT_KEEP_CAPS,
  OPT_RM,
  OPT_ENTRYPOINT,
};

static const struct option options[] = {
  { "env", required_argument, NULL, 'e' },
  { "interactive", no_argument, NULL, 'i' },
  { "publish", required_argument, NULL, 'p' },
  { "tty", no_argument, NULL, 't' },
  { "workdir", required_argument, NULL, 'w' },
  { "user", required_argument, NULL, 'u' },
  { "volume", required_argument, NULL, 'v' },
  { "hostname", required_argument, NULL, OPT_HOSTNAME },
  { "net", required_argument, NULL, OPT_NET },
  { "memory", required_argument, NULL, OPT_MEMORY },
  { "pids", required_argument, NULL, OPT_PIDS },
  { "cpus", required_argument, NULL, OPT_CPUS },
  { "read-only", no_argument, NULL, OPT_READ_ONLY },
  { "keep-caps", no_argument, NULL, OPT_KEEP_CAPS },
  { "rm", no_argument, NULL, OPT_RM },
  { "entrypoint", required_argument, NULL, OPT_ENTRYPOINT },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

#define DEFAULT_PATH                                                          \
  "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct run
{
  struct mk_run_config cfg;
  char **env;                /* owned */
  char **argv;               /* owned copy of the command */
  char **strings;            /* owned copies the config points into */
  struct mk_volume *volumes; /* owned array */
  char *rootfs, *state;      /* owned */
  const char *entrypoint;    /* --entrypoint, "" for none; NULL: the image's */
  struct mk_port *ports;     /* -p, owned */
  bool rm, net_host, user_set, net_given;
};

static void
run_free (struct run *r)
{
  mk_strv_free (r->env);
  mk_strv_free (r->argv);
  mk_strv_free (r->strings);
  free (r->volumes);
  free (r->ports);
  free (r->rootfs);
  free (r->state);
}

static int
bad (mk_error_t *err, const char *what, const char *arg)
{
  return mk_make_error_code (err, MK_EXIT_RUNNER, 0,
                             "run: %s `%s` (see mkbase run --help)", what,
                             arg);
}

static char *
keep (struct run *r, char *s)
{
  mk_strv_push (&r->strings, s);
  return s;
}

/* Set K=V in the environment, replacing an earlier K. */
static void
env_set (char ***env, const char *kv)
{
  size_t klen = strcspn (kv, "=");
  for (size_t i = 0; *env && (*env)[i]; i++)
    if (strncmp ((*env)[i], kv, klen) == 0 && (*env)[i][klen] == '=')
      {
        free ((*env)[i]);
        (*env)[i] = xstrdup (kv);
        return;
      }
  mk_strv_push (env, xstrdup (kv));
}

static int
parse_u64 (const char *s, uint64_t *out)
{
  char *end;
  unsigned long long v;
  if (*s < '0' || *s > '9')
    return -1;
  errno = 0;
  v = strtoull (s, &end, 10);
  if (errno || *end || v == 0)
    return -1;
  *out = v;
  return 0;
}

/* "64M", "1g", "512k", "1048576" (bytes). */
static int
parse_bytes (const char *s, uint64_t *out)
{
  static const char units[] = "bkmgt";
  char *end;
  unsigned long long v;
  const char *u;
  unsigned shift;

  if (*s < '0' || *s > '9')
    return -1;
  errno = 0;
  v = strtoull (s, &end, 10);
  if (errno || v == 0)
    return -1;
  if (*end == '\0')
    u = units;
  else if ((u = strchr (units, end[0] | 0x20)) == NULL
           || (end[1] != '\0'
               && !((end[1] | 0x20) == 'b' && end[2] == '\0' && u != units)))
    return -1;
  shift = 10 * (unsigned) (u - units);
  if (shift && v > (UINT64_MAX >> shift))
    return -1;
  *out = (uint64_t) v << shift;
  return 0;
}

/* A decimal with up to three fractional digits, in thousandths. */
static int
parse_cpus (const char *s, uint64_t *millis)
{
  uint64_t whole = 0, frac = 0;
  int digits = 0;
  const char *p = s;

  if (*p < '0' || *p > '9')
    return -1;
  for (; *p >= '0' && *p <= '9'; p++)
    if ((whole = whole * 10 + (uint64_t) (*p - '0')) > 100000)
      return -1;
  if (*p == '.')
    {
      for (p++; *p >= '0' && *p <= '9'; p++, digits++)
        {
          if (digits < 3)
            frac = frac * 10 + (uint64_t) (*p - '0');
          else if (*p != '0')
            return -1;
        }
    }
  if (*p)
    return -1;
  while (digits++ < 3)
    frac *= 10;
  *millis = whole * 1000 + frac;
  /* The kernel's smallest cfs quota is 1 ms per 100 ms period. */
  return *millis >= 10 ? 0 : -1;
}

static int
parse_user (struct run *r, const char *s, mk_error_t *err)
{
  char *end;
  unsigned long uid, gid = 0;
  errno = 0;
  uid = strtoul (s, &end, 10);
  if (*end == ':')
    gid = strtoul (end + 1, &end, 10);
  if (errno || *end || *s < '0' || *s > '9' || uid > 0xfffffffe
      || gid > 0xfffffffe)
    return bad (err, "--user takes a numeric UID[:GID], not", s);
  r->cfg.uid = (uid_t) uid;
  r->cfg.gid = (gid_t) gid;
  r->user_set = true;
  return 0;
}

static bool
clean_abs_path (const char *p)
{
  if (p[0] != '/')
    return false;
  for (const char *c = p; c; c = strchr (c + 1, '/'))
    if (strncmp (c, "/..", 3) == 0 && (c[3] == '/' || c[3] == '\0'))
      return false;
  return true;
}

/* HOST:DEST[:ro|rw] */
static int
parse_volume (struct run *r, const char *s, mk_error_t *err)
{
  char *copy = keep (r, xstrdup (s));
  char *dest = strchr (copy, ':'), *mode;
  bool ro = false;

  if (dest == NULL)
    return bad (err, "--volume needs HOST:DIR, not", s);
  *dest++ = '\0';
  mode = strchr (dest, ':');
  if (mode)
    {
      *mode++ = '\0';
      if (strcmp (mode, "ro") == 0)
        ro = true;
      else if (strcmp (mode, "rw") != 0)
        return bad (err, "--volume mode must be ro or rw, not", mode);
    }
  if (copy[0] != '/' || !clean_abs_path (dest) || strcmp (dest, "/") == 0)
    return bad (err, "--volume needs absolute paths (DIR not /), not", s);
  r->volumes = xreallocarray (r->volumes, r->cfg.mounts.n_volumes + 1,
                              sizeof *r->volumes);
  r->volumes[r->cfg.mounts.n_volumes++]
      = (struct mk_volume){ .host = copy, .dest = dest, .ro = ro };
  r->cfg.mounts.volumes = r->volumes;
  return 0;
}

static int
parse_env (struct run *r, const char *s, mk_error_t *err)
{
  if (*s == '=' || *s == '\0')
    return bad (err, "--env takes K=V, not", s);
  if (strchr (s, '='))
    env_set (&r->env, s);
  else if (getenv (s))
    {
      cleanup_free char *kv = xasprintf ("%s=%s", s, getenv (s));
      env_set (&r->env, kv);
    }
  return 0;
}

static int
parse_option (struct run *r, int c, const char *arg, mk_error_t *err)
{
  switch (c)
    {
    case 'e':
      return parse_env (r, arg, err);
    case 'i':
      r->cfg.interactive = true;
      return 0;
    case 't':
      r->cfg.tty = true;
      return 0;
    case 'w':
      if (!clean_abs_path (arg))
        return bad (err, "--workdir must be an absolute path, not", arg);
      r->cfg.workdir = keep (r, xstrdup (arg));
      return 0;
    case 'u':
      return parse_user (r, arg, err);
    case 'v':
      return parse_volume (r, arg, err);
    case OPT_HOSTNAME:
      if (*arg == '\0' || strlen (arg) > 64 || strchr (arg, '/'))
        return bad (err, "invalid --hostname", arg);
      r->cfg.hostname = keep (r, xstrdup (arg));
      return 0;
    case OPT_NET:
      if (strcmp (arg, "none") != 0 && strcmp (arg, "host") != 0
          && strcmp (arg, "private") != 0)
        return bad (err, "--net takes none, private or host, not", arg);
      r->net_host = strcmp (arg, "host") == 0;
      r->cfg.net_private = strcmp (arg, "private") == 0;
      r->net_given = true;
      return 0;
    case 'p':
      r->ports = xreallocarray (r->ports, r->cfg.n_ports + 1,
                                sizeof *r->ports);
      if (mk_net_parse_port (arg, &r->ports[r->cfg.n_ports]) < 0)
        return bad (err, "--publish takes [127.0.0.1:]HOSTPORT:PORT[/tcp|/udp], "
                         "not", arg);
      r->cfg.ports = r->ports;
      r->cfg.n_ports++;
      return 0;
    case OPT_MEMORY:
      return parse_bytes (arg, &r->cfg.limits.memory) < 0
                 ? bad (err, "--memory takes BYTES[K|M|G|T], not", arg)
                 : 0;
    case OPT_PIDS:
      return parse_u64 (arg, &r->cfg.limits.pids) < 0
                 ? bad (err, "--pids takes a positive number, not", arg)
                 : 0;
    case OPT_CPUS:
      return parse_cpus (arg, &r->cfg.limits.cpu_millis) < 0
                 ? bad (err, "--cpus takes a decimal of at least 0.01, not",
                        arg)
                 : 0;
    case OPT_READ_ONLY:
      r->cfg.mounts.read_only = true;
      return 0;
    case OPT_KEEP_CAPS:
      r->cfg.keep_caps = true;
      return 0;
    case OPT_RM:
      r->rm = true;
      return 0;
    case OPT_ENTRYPOINT:
      r->entrypoint = arg;
      return 0;
    default:
      return bad (err, "unknown option", arg);
    }
}

/* Returns 1 after --help, 0 to go on, -1 on error; *image and *cmd point
 * into argv. */
static int
parse_args (struct run *r, int argc, char **argv, const char **image,
            char ***cmd, mk_error_t *err)
{
  int c;
  optind = 0; /* glibc: full reinitialisation, main may have parsed */
  opterr = 0;
  while ((c = getopt_long (argc, argv, "+e:w:u:v:p:hit", options, NULL)) != -1)
    {
      if (c == 'h')
        {
          fputs (help_text, stdout);
          return 1;
        }
      if (c == '?' || c == ':')
        return bad (err, optopt ? "option needs an argument or is unknown"
                                : "unknown option",
                    argv[optind - 1]);
      if (parse_option (r, c, optarg, err) < 0)
        return -1;
    }
  if (optind >= argc)
    return mk_make_error_code (err, MK_EXIT_RUNNER, 0,
                               "run: no IMAGE given (see mkbase run --help)");
  *image = argv[optind++];
  if (optind < argc && strcmp (argv[optind], "--") == 0)
    optind++;
  *cmd = argv + optind;
  return 0;
}

static void
base_env (struct run *r)
{
  const char *term = getenv ("TERM");
  cleanup_free char *host = xasprintf ("HOSTNAME=%s", r->cfg.hostname);
  env_set (&r->env, DEFAULT_PATH);
  env_set (&r->env, host);
  if (term)
    {
      cleanup_free char *t = xasprintf ("TERM=%s", term);
      env_set (&r->env, t);
    }
  env_set (&r->env, r->cfg.uid == 0 ? "HOME=/root" : "HOME=/");
}

/* Where per-run state lives: /run/mkbase as root, else the caller's
 * runtime directory. */
static char *
state_base (void)
{
  const char *x = getenv ("XDG_RUNTIME_DIR"), *t = getenv ("TMPDIR");
  if (geteuid () == 0)
    return xstrdup ("/run/mkbase");
  if (x && *x == '/')
    return xasprintf ("%s/mkbase", x);
  return xasprintf ("%s/mkbase-%u", t && *t == '/' ? t : "/tmp",
                    (unsigned) geteuid ());
}

/* An overlay over the cached image: upper/ takes the run's writes. */
static int
make_state (struct run *r, mk_error_t *err)
{
  cleanup_free char *base = state_base ();
  static const char *const sub[] = { "upper", "work", "merged" };
  const char **dst[] = { &r->cfg.mounts.upper, &r->cfg.mounts.work,
                         &r->cfg.mounts.merged };

  struct stat st;

  if (mkdir (base, 0700) < 0 && errno != EEXIST)
    return mk_make_error_code (err, MK_EXIT_RUNNER, errno, "create `%s`",
                               base);
  /* Under /tmp anyone could have made it first. */
  if (lstat (base, &st) < 0 || !S_ISDIR (st.st_mode)
      || st.st_uid != geteuid () || (st.st_mode & 077) != 0)
    return mk_make_error_code (err, MK_EXIT_RUNNER, 0,
                               "`%s` is not a private directory of uid %u",
                               base, (unsigned) geteuid ());
  if (mk_mkdtemp (base, "run", &r->state, err) < 0)
    {
      (*err)->exit_code = MK_EXIT_RUNNER;
      return -1;
    }
  for (size_t i = 0; i < ARRAY_SIZE (sub); i++)
    {
      char *p = keep (r, xasprintf ("%s/%s", r->state, sub[i]));
      if (mkdir (p, 0755) < 0)
        return mk_make_error_code (err, MK_EXIT_RUNNER, errno,
                                   "create `%s`", p);
      *dst[i] = p;
    }
  /* The overlay's root takes the upper directory's mode. */
  chmod (r->cfg.mounts.upper, 0755);
  return 0;
}

/* Root of the initial user namespace?  Root of a nested one (`unshare -r`)
 * maps only some ids, so it gets a user namespace of its own like any
 * unprivileged caller. */
static bool
host_root (void)
{
  cleanup_free char *map = NULL;
  mk_error_t e = NULL;
  unsigned long inside, outside, count;

  if (geteuid () != 0)
    return false;
  if (mk_read_file_at (AT_FDCWD, "/proc/self/uid_map", 4096, &map, NULL, &e)
      < 0)
    {
      mk_error_release (&e);
      return true; /* no user namespaces at all */
    }
  return sscanf (map, "%lu %lu %lu", &inside, &outside, &count) == 3
         && inside == 0 && outside == 0 && count == 4294967295UL;
}

/* What the build recorded for a tar IMAGE: the OCI config's entrypoint,
 * cmd and env, from <stem>.record.json next to it.  Only a record of this
 * very tar counts (its sha256 is the cache's name for the image), so a tar
 * copied over another keeps nothing of the other's command.  No record, or
 * a directory IMAGE: nothing, and the defaults apply. */
struct image_config
{
  char **entrypoint, **cmd, **env;
};

static void
image_config_clear (struct image_config *c)
{
  mk_strv_free (c->entrypoint);
  mk_strv_free (c->cmd);
  mk_strv_free (c->env);
}

static void
image_config_load (const char *image, const char *rootfs,
                   struct image_config *c)
{
  cleanup_free char *stem = mk_output_stem (image);
  cleanup_free char *path = xasprintf ("%s.record.json", stem);
  cleanup_free char *text = NULL;
  cleanup_json struct mk_json *doc = NULL;
  const struct mk_json *cfg;
  const char *digest = strrchr (rootfs, '/');
  mk_error_t e = NULL;

  if (access (path, F_OK) < 0)
    return;
  if (mk_read_file_at (AT_FDCWD, path, 64 << 20, &text, NULL, &e) < 0
      || mk_json_parse (text, path, &doc, &e) < 0)
    {
      mk_warn ("ignoring the build record: %s", e->msg);
      mk_error_release (&e);
      return;
    }
  if (digest == NULL || strcmp (mk_json_get_str (doc, "sha256"), digest + 1))
    {
      mk_debug ("%s is the record of another image", path);
      return;
    }
  cfg = mk_json_get (doc, "config");
  c->entrypoint = mk_json_get_strv (cfg, "entrypoint");
  c->cmd = mk_json_get_strv (cfg, "cmd");
  c->env = mk_json_get_strv (cfg, "env");
}

/* docker run's rules: --entrypoint replaces the image's entrypoint and
 * drops its cmd; a CMD replaces the cmd; what is left runs, /bin/sh when
 * nothing is. */
static void
set_argv (struct run *r, char **cmd, const struct image_config *c)
{
  char *const *args = *cmd ? cmd : c->cmd;

  if (r->entrypoint)
    {
      if (*r->entrypoint)
        mk_strv_push (&r->argv, xstrdup (r->entrypoint));
      args = cmd;
    }
  else
    for (size_t i = 0; c->entrypoint && c->entrypoint[i]; i++)
      mk_strv_push (&r->argv, xstrdup (c->entrypoint[i]));
  for (size_t i = 0; args && args[i]; i++)
    mk_strv_push (&r->argv, xstrdup (args[i]));
  if (r->argv == NULL)
    mk_strv_push (&r->argv, xstrdup ("/bin/sh"));
  r->cfg.argv = r->argv;
}

/* The image's architecture, from the ELF machine of the command (or
 * /bin/sh), read beneath the image's root: a foreign one runs through
 * qemu-user's binfmt handler when the kernel has one, else one line says
 * what to install instead of the kernel's "Exec format error". */
static int
check_arch (struct run *r, const char *image, mk_error_t *err)
{
  const char *prog = r->argv[0][0] == '/' ? r->argv[0] : "/bin/sh";
  cleanup_close int rootfd = open (r->rootfs, O_RDONLY | O_DIRECTORY
                                              | O_CLOEXEC);
  cleanup_close int fd = -1;
  struct mk_elfinfo info = { 0 };
  mk_error_t e = NULL;
  const struct mk_arch *a;
  cleanup_free char *why = NULL;
  int is_elf;

  if (rootfd < 0)
    return 0;
  fd = mk_at_open_in_root (rootfd, prog, O_RDONLY);
  if (fd < 0)
    return 0; /* the runner says what is missing */
  is_elf = mk_elfinfo_read (fd, &info, &e);
  mk_error_release (&e);
  a = is_elf > 0 ? mk_arch_by_machine ((int) info.machine) : NULL;
  mk_elfinfo_clear (&info);
  if (a == NULL || mk_arch_can_exec (a->rpm, &why))
    return 0;
  return mk_make_error_code (err, MK_EXIT_RUNNER, 0,
                             "run: %s is an %s image; %s", image, a->rpm,
                             why);
}

static int
prepare (struct run *r, const char *image, char **cmd, mk_error_t *err)
{
  __attribute__ ((cleanup (image_config_clear))) struct image_config c
      = { 0 };
  bool cached = false;

  r->cfg.mounts.userns = !host_root ();
  r->cfg.mounts.own_netns = !r->net_host;
  if (r->cfg.mounts.userns && (r->cfg.uid != 0 || r->cfg.gid != 0))
    return mk_make_error_code (err, MK_EXIT_RUNNER, 0,
                               "run: --user %u:%u: a rootless run maps "
                               "only the caller, as 0:0",
                               (unsigned) r->cfg.uid, (unsigned) r->cfg.gid);
  base_env (r);
  if (mk_image_prepare (image, &r->rootfs, &cached, err) < 0)
    return -1;
  r->cfg.mounts.rootfs = r->rootfs;
  if (cached)
    image_config_load (image, r->rootfs, &c);
  /* The image's Env over the defaults; -e goes over both (mk_run_cli). */
  for (size_t i = 0; c.env && c.env[i]; i++)
    if (strchr (c.env[i], '=') && c.env[i][0] != '=')
      env_set (&r->env, c.env[i]);
  set_argv (r, cmd, &c);
  if (check_arch (r, image, err) < 0)
    return -1;
  if (cached && make_state (r, err) < 0)
    return -1;
  r->cfg.env = r->env;
  return 0;
}

/* The runner's command line, which init blanks so that /proc/1/cmdline
 * in the container does not show host paths.  Only when the strings are
 * the contiguous block the kernel reports. */
static void
set_title (struct mk_run_config *cfg, int argc, char **argv)
{
  for (int i = 0; i + 1 < argc; i++)
    if (argv[i] + strlen (argv[i]) + 1 != argv[i + 1])
      return;
  if (argc > 0)
    {
      cfg->title = argv[0];
      cfg->title_len = (size_t) (argv[argc - 1] - argv[0])
                       + strlen (argv[argc - 1]);
    }
}

int
mk_run_cli (int argc, char **argv, mk_error_t *err)
{
  __attribute__ ((cleanup (run_free))) struct run r = { 0 };
  const char *image = NULL;
  char **cmd = NULL;
  int status;

  r.cfg.hostname = "mkbase";
  r.cfg.workdir = "/";
  switch (parse_args (&r, argc, argv, &image, &cmd, err))
    {
    case 1:
      return 0;
    case 0:
      break;
    default:
      return -1;
    }
  if (r.cfg.n_ports && !r.net_given)
    r.cfg.net_private = true;
  if (r.cfg.n_ports && !r.cfg.net_private)
    return bad (err, "--publish needs --net private, not --net",
                r.net_host ? "host" : "none");
  /* -e entries were collected first; the defaults go underneath them. */
  {
    char **user_env = steal_pointer (&r.env);
    if (prepare (&r, image, cmd, err) < 0)
      {
        mk_strv_free (user_env);
        return -1;
      }
    for (size_t i = 0; user_env && user_env[i]; i++)
      env_set (&r.env, user_env[i]);
    mk_strv_free (user_env);
    r.cfg.env = r.env;
  }
  set_title (&r.cfg, argc, argv);
  status = mk_runner_run (&r.cfg, err);
  if (r.state && r.rm && mk_at_rmtree (AT_FDCWD, r.state) < 0)
    mk_warn ("cannot remove `%s`: %s", r.state, strerror (errno));
  else if (r.state && !r.rm)
    mk_debug ("the run's state stays in %s", r.state);
  return status;
}
