/* main.c: parse the command line, dispatch to a subcommand, print the one
 * error line and choose the exit code.  Nothing else prints errors. */
#define _GNU_SOURCE
#include <getopt.h>
#include <locale.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "run.h"
#include "util.h"
#include "core.h"
#ifndef MK_LEAN
#include "build.h"
#include "compare.h"
#include "diff.h"
#include "image.h"
#include "inspect.h"
#include "lock.h"
#include "push.h"
#include "verify.h"
#include "why.h"
#endif

#ifndef MK_VERSION
#define MK_VERSION "unknown"
#endif

static const char usage_text[]
    = "Usage: mkbase [COMMAND] [OPTIONS] RECIPE|IMAGE ...\n"
      "Build a minimal, reproducible base image from RPM repositories.\n"
      "\n"
      "Commands:\n"
      "  build RECIPE          resolve, unpack, prune and pack (the default)\n"
      "  resolve RECIPE        print the resolved package set in install "
      "order\n"
      "  lock RECIPE           resolve and write RECIPE's lock file (.lock;\n"
      "                        -o names another)\n"
      "  run IMAGE [--] CMD    boot an image with the bundled runner\n"
      "                        (see `mkbase run --help`)\n"
      "  inspect IMAGE         size by package and directory, what pruning\n"
      "                        removed, file count\n"
      "  why RECIPE PACKAGE    the dependency chain that pulled PACKAGE in\n"
      "  diff IMAGE-A IMAGE-B  packages and files added, removed, changed\n"
      "  verify IMAGE          rpm -V for an image: files modified, missing\n"
      "                        (pruned) and extra, against the package headers\n"
      "  push IMAGE REF        upload the image's OCI layout to a registry\n"
      "                        (REF: HOST[:PORT]/NAME[:TAG|@DIGEST])\n"
      "  help [COMMAND]        this help, or a command's\n"
      "\n"
      "Options for build and resolve (`mkbase COMMAND --help` lists each\n"
      "command's own):\n"
      "  -o, --output PATH     write the image here (default: the recipe's\n"
      "                        `output`, else out/<name>.tar; .tar.gz and\n"
      "                        .tar.zst compress)\n"
      "      --staging-dir DIR create the staging tree under DIR (default:\n"
      "                        $TMPDIR or /var/tmp)\n"
      "      --keep-staging    leave the staging tree in place and print it\n"
      "                        (it still holds the files pruning removed)\n"
      "      --cache DIR       cache: remote repositories, parsed metadata,\n"
      "                        unpacked packages, rpm databases, earlier\n"
      "                        outputs to reuse (default: $MKBASE_CACHE,\n"
      "                        /var/cache/mkbase as root, else\n"
      "                        ~/.cache/mkbase)\n"
      "      --offline         use the cache only; say what is missing\n"
      "      --arch LIST       build for these architectures instead of the\n"
      "                        recipe's `arch` (x86_64,aarch64: one image\n"
      "                        each and one OCI index; see mkbase(1))\n"
      "      --locked          install exactly the packages of the lock file\n"
      "      --format LIST     also write tar, oci, oci-archive,\n"
      "                        docker-archive (comma list; repeatable)\n"
      "      --check-repro     build twice under varied conditions, compare\n"
      "                        (exit 1 and the first difference if they\n"
      "                        differ; see docs/reproducible.md)\n"
      "      --json            machine-readable output on stdout\n"
      "  -q, --quiet           print errors only\n"
      "  -v, --verbose         print more detail\n"
      "  -h, --help            show this help\n"
      "  -V, --version         show the version\n"
      "\n"
      "See mkbase(1), docs/recipe.md and docs/profiles.md.\n"
      "\n"
      "Exit status: 0 success, 1 build failed, 2 dependency resolution\n"
      "failed, 3 invalid recipe or profile, 64 bad command line, 130/143\n"
      "interrupted by SIGINT/SIGTERM; `mkbase run` returns the command's\n"
      "status, or 125/126/127 as `docker run` does; `mkbase verify` 0\n"
      "nothing modified, 1 a file modified, 2 could not verify; `mkbase push`\n"
      "0 pushed, 1 failed, 64 bad command line or reference.\n";

#ifndef MK_LEAN
enum
{
  OPT_STAGING = 256,
  OPT_KEEP_STAGING,
  OPT_CACHE,
  OPT_OFFLINE,
  OPT_LOCKED,
  OPT_FORMAT,
  OPT_CHECK_REPRO,
  OPT_JSON,
  OPT_PACKAGES,
  OPT_NO_RECORD,
  OPT_TLS_VERIFY,
  OPT_INSECURE,
  OPT_RETRIES,
  OPT_ARCH,
};

static const struct option build_options[] = {
  { "output", required_argument, NULL, 'o' },
  { "staging-dir", required_argument, NULL, OPT_STAGING },
  { "keep-staging", no_argument, NULL, OPT_KEEP_STAGING },
  { "cache", required_argument, NULL, OPT_CACHE },
  { "offline", no_argument, NULL, OPT_OFFLINE },
  { "locked", no_argument, NULL, OPT_LOCKED },
  { "format", required_argument, NULL, OPT_FORMAT },
  { "check-repro", no_argument, NULL, OPT_CHECK_REPRO },
  { "json", no_argument, NULL, OPT_JSON },
  { "packages", required_argument, NULL, OPT_PACKAGES },
  { "no-record", no_argument, NULL, OPT_NO_RECORD },
  { "tls-verify", required_argument, NULL, OPT_TLS_VERIFY },
  { "insecure", no_argument, NULL, OPT_INSECURE },
  { "retries", required_argument, NULL, OPT_RETRIES },
  { "arch", required_argument, NULL, OPT_ARCH },
  { "quiet", no_argument, NULL, 'q' },
  { "verbose", no_argument, NULL, 'v' },
  { "help", no_argument, NULL, 'h' },
  { "version", no_argument, NULL, 'V' },
  { NULL, 0, NULL, 0 },
};

/* Which options a command takes, beyond -q -v -h -V (always). */
enum
{
  TAKES_OUTPUT = 1 << 0,
  TAKES_BUILD = 1 << 1, /* --staging-dir --keep-staging --locked --format
                         * --check-repro */
  TAKES_REPOS = 1 << 2, /* --cache --offline */
  TAKES_JSON = 1 << 3,
  TAKES_PACKAGES = 1 << 4, /* --packages */
  TAKES_PUSH = 1 << 5,     /* --tls-verify --insecure --retries */
};

enum
{
  CMD_BUILD,
  CMD_RESOLVE,
  CMD_LOCK,
  CMD_INSPECT,
  CMD_WHY,
  CMD_DIFF,
  CMD_VERIFY,
  CMD_PUSH,
};

struct command
{
  const char *name;
  int id;
  int n_args;     /* positional arguments, exactly */
  unsigned takes; /* TAKES_* */
  const char *help;
};

static const char common_help[]
    = "  -q, --quiet           print errors only\n"
      "  -v, --verbose         print more detail\n"
      "  -h, --help            show this help\n";

static const struct command commands[] = {
  { "build", CMD_BUILD, 1, TAKES_OUTPUT | TAKES_BUILD | TAKES_REPOS | TAKES_JSON,
    "Usage: mkbase [build] [OPTIONS] RECIPE\n"
    "Resolve, unpack, prune and pack RECIPE into an image.  stdout gets\n"
    "`sha256  path`; next to the image go .packages, .record.json (for\n"
    "`mkbase inspect`) and .spdx.json.\n\n"
    "  -o, --output PATH     the image (.tar, .tar.gz/.tgz, .tar.zst, .tar.xz)\n"
    "      --staging-dir DIR create the staging tree under DIR\n"
    "      --keep-staging    leave the staging tree in place and print it\n"
    "      --cache DIR       cache: remote repositories, parsed metadata,\n"
    "                        unpacked packages, rpm databases, earlier\n"
    "                        outputs to reuse\n"
    "      --offline         use the cache only; say what is missing\n"
    "      --arch LIST       architectures (comma list) instead of `arch`\n"
    "      --locked          install exactly the packages of the lock file\n"
    "      --format LIST     also write oci, oci-archive, docker-archive\n"
    "      --check-repro     build twice under varied conditions, compare\n"
    "      --json            a JSON summary on stdout (sha256, paths, sizes,\n"
    "                        phase times) instead of the sha256 line\n" },
  { "resolve", CMD_RESOLVE, 1, TAKES_REPOS | TAKES_JSON,
    "Usage: mkbase resolve [OPTIONS] RECIPE\n"
    "Print the package set RECIPE resolves to, in install order: NEVRA,\n"
    "repository and download size.\n\n"
    "      --cache DIR       cache for remote repositories\n"
    "      --offline         use the cache only; say what is missing\n"
    "      --arch LIST       architectures (comma list) instead of `arch`\n"
    "      --json            the package list as JSON\n" },
  { "lock", CMD_LOCK, 1, TAKES_OUTPUT | TAKES_REPOS,
    "Usage: mkbase lock [OPTIONS] RECIPE\n"
    "Resolve RECIPE and write its lock file (RECIPE with .lock for .conf).\n\n"
    "  -o, --output PATH     write the lock file here instead\n"
    "      --cache DIR       cache for remote repositories\n"
    "      --offline         use the cache only; say what is missing\n"
    "      --arch LIST       architectures (comma list) instead of `arch`\n" },
  { "inspect", CMD_INSPECT, 1, TAKES_JSON,
    "Usage: mkbase inspect [OPTIONS] IMAGE\n"
    "Show what is in IMAGE, largest first: size by top directory and file\n"
    "count (from the tar), size by package and what each prune rule\n"
    "removed (from the build record IMAGE's build left next to it).\n\n"
    "      --json            the same as JSON\n" },
  { "why", CMD_WHY, 2, TAKES_REPOS | TAKES_JSON,
    "Usage: mkbase why [OPTIONS] RECIPE PACKAGE\n"
    "Explain why PACKAGE is in RECIPE's package set: the chain of\n"
    "dependencies from a package the recipe asks for, or the recipe line\n"
    "that asks for it.\n\n"
    "      --cache DIR       cache for remote repositories\n"
    "      --offline         use the cache only; say what is missing\n"
    "      --json            the chain as JSON\n" },
  { "diff", CMD_DIFF, 2, TAKES_JSON,
    "Usage: mkbase diff [OPTIONS] IMAGE-A IMAGE-B\n"
    "Show the packages (from each image's .packages file) and the files\n"
    "(from the tars) added, removed and changed from A to B, with size\n"
    "deltas.\n\n"
    "      --json            the same as JSON\n" },
  { "verify", CMD_VERIFY, 1, TAKES_JSON | TAKES_PACKAGES,
    "Usage: mkbase verify [OPTIONS] IMAGE\n"
    "Check every file of every package installed in IMAGE against its\n"
    "package header, as `rpm -V` does, without unpacking it: one line per\n"
    "modified file (S size, M mode, 5 digest, D device, L link target,\n"
    "U user, G group, P capabilities; mtimes are not compared), `extra`\n"
    "for files no package owns, and a summary on stderr.  What the build's\n"
    "install scriptlets changed is checked against the build record\n"
    "(STEM.record.json; `scripted` with -v), not against the header.  The\n"
    "headers come from the image's rpm database, or from --packages.\n"
    "Exit status: 0 nothing modified, 1 a file modified, 2 could not\n"
    "verify.\n\n"
    "      --packages PATH   RPM file or directory of RPMs to take the\n"
    "                        headers from (repeatable); the image (its rpm\n"
    "                        database, container-manifest-2) or IMAGE's\n"
    "                        .packages list says which are installed\n"
    "      --no-record       judge the files the build's scriptlets\n"
    "                        changed by their headers alone, as rpm -V\n"
    "                        does, not by the build record next to IMAGE\n"
    "      --json            the same as JSON\n"
    "  -v, --verbose         also list the missing (pruned) files\n" },
  { "push", CMD_PUSH, 2, TAKES_PUSH,
    "Usage: mkbase push [OPTIONS] IMAGE REF\n"
    "Upload an OCI image to a registry: IMAGE is STEM.oci/ or STEM.oci.tar\n"
    "(`output_format = oci`), or the image tar or stem they belong to.  REF\n"
    "is HOST[:PORT]/NAME[:TAG|@DIGEST] (tag `latest` when none).  Blobs the\n"
    "registry has are not sent again; the tag is set last.  stdout gets the\n"
    "manifest's digest.  Credentials: $REGISTRY_AUTH_FILE, else\n"
    "$XDG_RUNTIME_DIR/containers/auth.json, then\n"
    "~/.config/containers/auth.json, ~/.docker/config.json.\n"
    "Exit status: 0 pushed, 1 failed, 64 bad command line or reference.\n\n"
    "      --tls-verify=false  https without certificate checks, falling\n"
    "                        back to http (localhost, 127.0.0.0/8 and [::1]\n"
    "                        use http anyway)\n"
    "      --insecure        the same as --tls-verify=false\n"
    "      --retries N       retry a request N times after a transient\n"
    "                        failure (default 2)\n" },
};

static int
usage_error (mk_error_t *err, const char *what)
{
  return mk_make_error_code (err, MK_EXIT_USAGE, 0, "usage: %s", what);
}

static const struct command *
find_command (const char *name)
{
  for (size_t i = 0; i < ARRAY_SIZE (commands); i++)
    if (strcmp (commands[i].name, name) == 0)
      return &commands[i];
  return NULL;
}

static void
print_command_help (const struct command *c)
{
  fputs (c->help, stdout);
  fputs (common_help, stdout);
}

/* The TAKES_* bit an option needs, 0 for the ones every command takes. */
static unsigned
option_needs (int c)
{
  switch (c)
    {
    case 'o':
      return TAKES_OUTPUT;
    case OPT_STAGING: case OPT_KEEP_STAGING: case OPT_LOCKED: case OPT_FORMAT:
    case OPT_CHECK_REPRO:
      return TAKES_BUILD;
    case OPT_CACHE: case OPT_OFFLINE: case OPT_ARCH:
      return TAKES_REPOS;
    case OPT_JSON:
      return TAKES_JSON;
    case OPT_PACKAGES:
    case OPT_NO_RECORD:
      return TAKES_PACKAGES;
    case OPT_TLS_VERIFY: case OPT_INSECURE: case OPT_RETRIES:
      return TAKES_PUSH;
    default:
      return 0;
    }
}

static int
set_push_option (int c, struct mk_push_opts *po, mk_error_t *err)
{
  char *end = NULL;
  long n;
  switch (c)
    {
    case OPT_INSECURE:
      po->insecure = true;
      return 0;
    case OPT_TLS_VERIFY:
      if (strcmp (optarg, "true") != 0 && strcmp (optarg, "false") != 0)
        return usage_error (err, "--tls-verify takes true or false");
      po->insecure = strcmp (optarg, "false") == 0;
      return 0;
    default:
      n = strtol (optarg, &end, 10);
      if (*optarg == '\0' || *end != '\0' || n < 0 || n > 20)
        return usage_error (err, "--retries takes a number from 0 to 20");
      po->retries = (int) n;
      return 0;
    }
}

static int
set_option (int c, struct mk_build_opts *o, struct mk_push_opts *po,
            mk_error_t *err)
{
  if (option_needs (c) == TAKES_PUSH)
    return set_push_option (c, po, err);
  switch (c)
    {
    case 'o': o->output = optarg; break;
    case OPT_STAGING: o->staging_parent = optarg; break;
    case OPT_KEEP_STAGING: o->keep_staging = true; break;
    case OPT_CACHE: o->cache = optarg; break;
    case OPT_OFFLINE: o->offline = true; break;
    case OPT_ARCH: o->arch_list = optarg; break;
    case OPT_LOCKED: o->locked = true; break;
    case OPT_CHECK_REPRO: o->check_repro = true; break;
    case OPT_JSON: o->json = true; break;
    case OPT_PACKAGES: mk_strv_push (&o->packages, xstrdup (optarg)); break;
    case OPT_NO_RECORD: o->no_record = true; break;
    case 'q': mk_verbosity = 0; break;
    case 'v': mk_verbosity = 2; break;
    case OPT_FORMAT:
      if (o->n_formats == ARRAY_SIZE (o->formats))
        return usage_error (err, "too many --format options");
      o->formats[o->n_formats++] = optarg;
      break;
    default:
      return usage_error (err, "unknown option (see mkbase --help)");
    }
  return 0;
}

/* Parse a command's options.  Returns 1 when --help/--version was
 * handled, 0 to go on, -1 on error; *args points at the positional
 * arguments, of which there are exactly cmd->n_args. */
static int
parse_options (int argc, char **argv, const struct command *cmd,
               struct mk_build_opts *o, struct mk_push_opts *po, char ***args,
               mk_error_t *err)
{
  int c, li = -1;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long (argc, argv, ":o:qvhV", build_options, &li)) != -1)
    {
      unsigned needs = option_needs (c);
      cleanup_free char *name
          = li >= 0 ? xasprintf ("--%s", build_options[li].name)
                    : xstrdup (argv[optind - 1]);
      li = -1;
      if (c == 'h' || c == 'V')
        {
          if (c == 'h')
            print_command_help (cmd);
          else
            printf ("mkbase %s\n", MK_VERSION);
          return 1;
        }
      if (c == '?' || c == ':' || (needs && !(cmd->takes & needs)))
        {
          cleanup_free char *m = xasprintf (
              "%s `%s` for mkbase %s (see mkbase %s --help)",
              c == '?'   ? "unknown option"
              : c == ':' ? "missing argument to"
                         : "no option",
              name, cmd->name, cmd->name);
          return usage_error (err, m);
        }
      if (set_option (c, o, po, err) < 0)
        return -1;
    }
  if (argc - optind != cmd->n_args)
    {
      cleanup_free char *m = xasprintf (
          "mkbase %s takes %d argument%s, not %d (see mkbase %s --help)",
          cmd->name, cmd->n_args, cmd->n_args > 1 ? "s" : "", argc - optind,
          cmd->name);
      return usage_error (err, m);
    }
  *args = argv + optind;
  return 0;
}

/* `mkbase help [COMMAND]`, `mkbase --help`, `mkbase --version`. */
static int
global_help (int argc, char **argv, mk_error_t *err)
{
  const struct command *c;
  if (strcmp (argv[1], "-V") == 0 || strcmp (argv[1], "--version") == 0)
    {
      printf ("mkbase %s\n", MK_VERSION);
      return 0;
    }
  if (argc < 3 || strcmp (argv[1], "help") != 0)
    {
      fputs (usage_text, stdout);
      return 0;
    }
  if (strcmp (argv[2], "run") == 0)
    {
      char *run_argv[] = { argv[2], (char *) "--help", NULL };
      return mk_run_cli (2, run_argv, err);
    }
  if ((c = find_command (argv[2])) == NULL)
    {
      cleanup_free char *m
          = xasprintf ("unknown command `%s` (see mkbase --help)", argv[2]);
      return usage_error (err, m);
    }
  print_command_help (c);
  return 0;
}

static int
run_command (const struct command *c, char **args,
             const struct mk_build_opts *o, const struct mk_push_opts *po,
             mk_error_t *err)
{
  switch (c->id)
    {
    case CMD_PUSH:
      return mk_push (args[0], args[1], po, err);
    case CMD_LOCK:
      return mk_lock_create (args[0], o,
                             &(struct mk_repo_opts){ .cache = o->cache,
                                                     .offline = o->offline },
                             o->output, err);
    case CMD_RESOLVE:
      return mk_build_resolve (args[0], o, err);
    case CMD_INSPECT:
      return mk_inspect (args[0], o->json, err);
    case CMD_WHY:
      return mk_why_explain (args[0], args[1], o, err);
    case CMD_DIFF:
      return mk_diff (args[0], args[1], o->json, err);
    case CMD_VERIFY:
      return mk_verify (args[0],
                        &(struct mk_verify_opts){ .json = o->json,
                                                  .no_record = o->no_record,
                                                  .packages = o->packages },
                        err);
    default:
      if (o->check_repro)
        return mk_compare_check_repro (args[0], o, err);
      return mk_build_image (args[0], o, err);
    }
}

#endif

#ifdef MK_LEAN
/* The lean front end (see core.c): `run` here, everything else in
 * mkbase-core. */
static int
dispatch (int argc, char **argv, mk_error_t *err)
{
  if (argc > 1 && strcmp (argv[1], "run") == 0)
    {
      bool help = false;
      for (int i = 2; i < argc && strcmp (argv[i], "--") != 0; i++)
        help |= strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0;
      if (!help && mk_core_seal_self (argv, err) < 0)
        return -1;
      return mk_run_cli (argc - 1, argv + 1, err);
    }
  return mk_core_exec (argv, err);
}
#else
/* The front end asked glibc for huge pages through GLIBC_TUNABLES
 * (core.c); what this process runs gets the user's setting back. */
static void
restore_tunables (void)
{
  const char *was = getenv (MK_CORE_TUNABLES_WERE);
  if (was == NULL)
    return;
  if (was[0] == '=')
    setenv ("GLIBC_TUNABLES", was + 1, 1);
  else
    unsetenv ("GLIBC_TUNABLES");
  unsetenv (MK_CORE_TUNABLES_WERE);
}

static int
dispatch (int argc, char **argv, mk_error_t *err)
{
  struct mk_build_opts o = { 0 };
  struct mk_push_opts po = { .retries = MK_PUSH_RETRIES };
  const char *cmd = argc > 1 ? argv[1] : NULL;
  const struct command *c = &commands[CMD_BUILD];
  char **args = NULL;
  int r;

  if (cmd && strcmp (cmd, "run") == 0)
    return mk_run_cli (argc - 1, argv + 1, err);
  /* Internal: the lean front end imports a tar image through us. */
  if (cmd && strcmp (cmd, "__import-image") == 0 && argc == 3)
    return mk_image_import (argv[2], err);
  if (cmd && (strcmp (cmd, "help") == 0 || strcmp (cmd, "-h") == 0
              || strcmp (cmd, "--help") == 0 || strcmp (cmd, "-V") == 0
              || strcmp (cmd, "--version") == 0))
    return global_help (argc, argv, err);
  if (cmd && find_command (cmd))
    {
      c = find_command (cmd);
      argc--, argv++;
    }
  else if (cmd && cmd[0] != '-' && strchr (cmd, '.') == NULL
           && strchr (cmd, '/') == NULL)
    {
      cleanup_free char *m
          = xasprintf ("unknown command `%s` (see mkbase --help)", cmd);
      return usage_error (err, m);
    }
  r = parse_options (argc, argv, c, &o, &po, &args, err);
  if (r == 0)
    r = run_command (c, args, &o, &po, err);
  else
    r = r < 0 ? -1 : 0;
  mk_strv_free (o.packages);
  return r;
}
#endif

static bool
cmd_is_build (int argc, char **argv)
{
  return !(argc > 1 && strcmp (argv[1], "run") == 0);
}

int
main (int argc, char **argv)
{
  mk_error_t err = NULL;
  int r;

  setlocale (LC_ALL, "C");
  if (argc < 2)
    {
      fputs (usage_text, stderr);
      return MK_EXIT_USAGE;
    }
#ifdef MK_LEAN
  /* The lean front end only runs containers itself: a signal that arrives
   * while the image is being prepared is passed on to the container once
   * it starts.  Before exec'ing mkbase-core, keep the default actions: a
   * caught signal would be forgotten by the exec. */
  if (strcmp (argv[1], "run") == 0)
    mk_signals_install ();
#else
  mk_signals_install ();
  /* A reader that goes away (`mkbase -v ... 2>&1 | grep -q x`) must not
   * kill a build before it removes its staging tree: writes to it fail
   * with EPIPE instead.  Not in the lean front end, whose containers
   * would inherit it; programs mkbase-core execs get it back (script.c). */
  signal (SIGPIPE, SIG_IGN);
  /* glibc serves each allocation above 128 KiB (the decompressors'
   * windows, the tar's buffers) with a fresh mmap and gives it back on
   * free, so every package's buffers are faulted in again, page by page:
   * a tenth of a cold build's CPU time on a VM where faults are dear
   * (docs/performance.md).  Keep freed memory for the next package; the
   * peak stays the same. */
  mallopt (M_MMAP_THRESHOLD, 32 << 20);
  mallopt (M_TRIM_THRESHOLD, 64 << 20);
  restore_tunables ();
  mk_nofile_raise ();
#endif
  r = dispatch (argc, argv, &err);
  if (r < 0 && mk_interrupted () && (cmd_is_build (argc, argv)))
    {
      /* Whatever failed after a SIGINT/SIGTERM failed because of it. */
      mk_error_release (&err);
      mk_check_interrupt (&err);
    }
  if (r < 0)
    return mk_error_print (&err);
  return r;
}
