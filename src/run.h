/* run.h: the `mkbase run` subcommand's command line. */
#ifndef MK_RUN_H
#define MK_RUN_H

#include "error.h"

/* argv[0] is "run".  Returns the command's exit status (>= 0; 128+N when it
 * died of signal N) or -1 with *err set, whose exit_code is 125 (the runner
 * or its options failed), 126 (cannot execute) or 127 (not found). */
int mk_run_cli (int argc, char **argv, mk_error_t *err);

#endif
