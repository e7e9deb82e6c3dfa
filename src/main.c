/* main.c: parse the command line, dispatch to a subcommand, print the one
 * error line and choose the exit code.  Nothing else prints errors. */
#define _GNU_SOURCE
#include <getopt.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "run.h"
#include "util.h"
#ifdef MK_LEAN
#include "core.h"
#else
#include "build.h"
#include "compare.h"
#include "image.h"
#include "lock.h"
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
      "\n"
      "Options for build and resolve:\n"
      "  -o, --output PATH     write the image here (default: the recipe's\n"
      "                        `output`, else out/<name>.tar; .tar.gz and\n"
      "                        .tar.zst compress)\n"
      "      --staging-dir DIR create the staging tree under DIR (default:\n"
      "                        $TMPDIR or /var/tmp)\n"
      "      --keep-staging    leave the staging tree in place and print it\n"
      "      --cache DIR       cache for remote repositories (default:\n"
      "                        $MKBASE_CACHE, /var/cache/mkbase as root,\n"
      "                        else ~/.cache/mkbase)\n"
      "      --offline         use the cache only; say what is missing\n"
      "      --locked          install exactly the packages of the lock file\n"
      "      --format LIST     also write tar, oci, oci-archive,\n"
      "                        docker-archive (comma list; repeatable)\n"
      "      --check-repro     build twice under varied conditions, compare\n"
      "                        (exit 1 and the first difference if they\n"
      "                        differ; see docs/reproducible.md)\n"
      "  -q, --quiet           print errors only\n"
      "  -v, --verbose         print more detail\n"
      "  -h, --help            show this help\n"
      "  -V, --version         show the version\n"
      "\n"
      "Exit status: 0 success, 1 build failed, 2 dependency resolution\n"
      "failed, 3 invalid recipe or profile, 64 bad command line, 130/143\n"
      "interrupted by SIGINT/SIGTERM; `mkbase run` returns the command's\n"
      "status, or 125/126/127 as `docker run` does.\n";

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
  { "quiet", no_argument, NULL, 'q' },
  { "verbose", no_argument, NULL, 'v' },
  { "help", no_argument, NULL, 'h' },
  { "version", no_argument, NULL, 'V' },
  { NULL, 0, NULL, 0 },
};

static int
usage_error (mk_error_t *err, const char *what)
{
  return mk_make_error_code (err, MK_EXIT_USAGE, 0, "usage: %s", what);
}

/* Parse build/resolve options.  Returns 1 when --help/--version was
 * handled, 0 to go on, -1 on error. */
static int
parse_build_options (int argc, char **argv, struct mk_build_opts *o,
                     const char **recipe, mk_error_t *err)
{
  int c;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long (argc, argv, "o:qvhV", build_options, NULL)) != -1)
    {
      switch (c)
        {
        case 'o':
          o->output = optarg;
          break;
        case OPT_STAGING:
          o->staging_parent = optarg;
          break;
        case OPT_KEEP_STAGING:
          o->keep_staging = true;
          break;
        case OPT_CACHE:
          o->cache = optarg;
          break;
        case OPT_OFFLINE:
          o->offline = true;
          break;
        case OPT_LOCKED:
          o->locked = true;
          break;
        case OPT_FORMAT:
          if (o->n_formats == ARRAY_SIZE (o->formats))
            return usage_error (err, "too many --format options");
          o->formats[o->n_formats++] = optarg;
          break;
        case OPT_CHECK_REPRO:
          o->check_repro = true;
          break;
        case 'q':
          mk_verbosity = 0;
          break;
        case 'v':
          mk_verbosity = 2;
          break;
        case 'h':
          fputs (usage_text, stdout);
          return 1;
        case 'V':
          printf ("mkbase %s\n", MK_VERSION);
          return 1;
        default:
          {
            cleanup_free char *m = xasprintf (
                "unknown option `%s` (see mkbase --help)", argv[optind - 1]);
            return usage_error (err, m);
          }
        }
    }
  if (optind != argc - 1)
    return usage_error (err, optind >= argc
                                 ? "expected a RECIPE (see mkbase --help)"
                                 : "expected exactly one RECIPE");
  *recipe = argv[optind];
  return 0;
}

#endif

#ifdef MK_LEAN
/* The lean front end (see core.c): `run` here, everything else in
 * mkbase-core. */
static int
dispatch (int argc, char **argv, mk_error_t *err)
{
  if (argc > 1 && strcmp (argv[1], "run") == 0)
    return mk_run_cli (argc - 1, argv + 1, err);
  return mk_core_exec (argv, err);
}
#else
static int
dispatch (int argc, char **argv, mk_error_t *err)
{
  struct mk_build_opts o = { 0 };
  const char *cmd = argc > 1 ? argv[1] : NULL;
  const char *recipe = NULL;
  bool resolve_only = false, lock = false;
  int r;

  if (cmd && strcmp (cmd, "run") == 0)
    return mk_run_cli (argc - 1, argv + 1, err);
  /* Internal: the lean front end imports a tar image through us. */
  if (cmd && strcmp (cmd, "__import-image") == 0 && argc == 3)
    return mk_image_import (argv[2], err);
  if (cmd && (strcmp (cmd, "build") == 0 || strcmp (cmd, "resolve") == 0
              || strcmp (cmd, "lock") == 0))
    {
      resolve_only = strcmp (cmd, "resolve") == 0;
      lock = strcmp (cmd, "lock") == 0;
      argc--, argv++;
    }
  else if (cmd && cmd[0] != '-' && strchr (cmd, '.') == NULL
           && strchr (cmd, '/') == NULL)
    {
      cleanup_free char *m
          = xasprintf ("unknown command `%s` (see mkbase --help)", cmd);
      return usage_error (err, m);
    }
  r = parse_build_options (argc, argv, &o, &recipe, err);
  if (r != 0)
    return r < 0 ? -1 : 0;
  if (lock)
    return mk_lock_create (recipe,
                           &(struct mk_repo_opts){ .cache = o.cache,
                                                   .offline = o.offline },
                           o.output, err);
  if (o.check_repro && !resolve_only)
    return mk_compare_check_repro (recipe, &o, err);
  return resolve_only ? mk_build_resolve (recipe, &o, err)
                      : mk_build_image (recipe, &o, err);
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
  /* For `run` too: a signal that arrives while the image is being
   * prepared is passed on to the container once it starts. */
  mk_signals_install ();
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
