/* net.h: `mkbase run --net private` through pasta (net.c).  libc only. */
#ifndef MK_NET_H
#define MK_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"

/* -p [127.0.0.1:]HOSTPORT:PORT[/tcp|/udp], published on 127.0.0.1. */
struct mk_port
{
  unsigned host, container;
  bool udp;
};

/* 0, or -1 when s is no such spec. */
int mk_net_parse_port (const char *s, struct mk_port *out);

struct mk_net
{
  pid_t pid; /* pasta, our child; -1 when none runs */
};

/* Start pasta on init's network namespace and wait until it is ready.
 * userns: init has a user namespace of its own (a rootless run).  A
 * missing pasta or one that gives up is one error line (MK_EXIT_RUNNER). */
int mk_net_start (pid_t init, bool userns, const struct mk_port *ports,
                  size_t n_ports, struct mk_net *net, mk_error_t *err);
/* Stop and reap it. */
void mk_net_stop (struct mk_net *net);

#endif
