/* console.h: the pseudo-terminal of `mkbase run -t` (console.c).  libc
 * only. */
#ifndef MK_CONSOLE_H
#define MK_CONSOLE_H

#include <stdbool.h>
#include <termios.h>

#include "error.h"

/* Inside the container (init, after the mounts): open a pty from the
 * container's own devpts.  Returns the master, *slave is the terminal the
 * command gets; both close-on-exec. */
int mk_console_open (int *slave, mk_error_t *err);

/* Pass fd over the unix socket sock / receive one (-1 when the peer closed
 * without sending). */
int mk_console_send (int sock, int fd, mk_error_t *err);
int mk_console_recv (int sock);

/* The runner's side: the master, relayed to and from stdin/stdout. */
struct mk_console
{
  int master;
  bool input;        /* relay stdin (-i) */
  bool raw;          /* the caller's terminal is in raw mode */
  bool input_done, master_done;
  struct termios saved;
};

/* Take master, copy the window size, and with input from a terminal put
 * that terminal in raw mode until mk_console_detach. */
void mk_console_attach (struct mk_console *con, int master, bool input);
/* Copy the caller's window size to the pty (on SIGWINCH). */
void mk_console_resize (struct mk_console *con);
/* Wait for bytes to relay or a signal on sigfd; relay what is there.
 * Returns 1 when sigfd is readable, 0 otherwise, -1 on a poll error. */
int mk_console_poll (struct mk_console *con, int sigfd);
/* Relay what is left, restore the terminal, close the master. */
void mk_console_detach (struct mk_console *con);

#endif
