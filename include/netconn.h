/*
 * netconn: a TCP connection opened without ever blocking the loop. A name is
 * resolved with getaddrinfo_a (glibc's asynchronous resolver), an address is
 * connected with a non-blocking socket, and each address getaddrinfo returns is
 * tried in turn. The fleet hands the connected socket to libssh (SSH_OPTIONS_FD),
 * because libssh's own connect resolves names with a blocking getaddrinfo.
 */
#ifndef OPSDECK_NETCONN_H
#define OPSDECK_NETCONN_H

#include <stdbool.h>

#include "err.h"

enum netconn_status { NETCONN_PENDING, NETCONN_CONNECTED, NETCONN_FAILED };

struct netconn;

/* Starts resolving host (a name or a numeric address) and connecting to port.
 * Returns a new netconn the caller frees with netconn_free, or NULL with e set. */
struct netconn *netconn_start(const char *host, int port, struct err *e);

/*
 * Advances: checks the resolver, or the socket's connect result. Call when
 * netconn_fd's fd is writable, and about every netconn_poll_ms while resolving.
 * On NETCONN_FAILED, e says why ("resolve NAME: ...", "connect ADDR: ...").
 */
enum netconn_status netconn_step(struct netconn *c, struct err *e);

/* The socket to poll for POLLOUT while connecting; -1 while resolving. */
int netconn_fd(const struct netconn *c);

/* True while the name is being resolved (there is no fd to poll yet). */
bool netconn_resolving(const struct netconn *c);

/* How often a resolving netconn wants netconn_step, in ms. */
#define NETCONN_POLL_MS 10

/* Hands the connected socket over (the caller closes it); -1 unless CONNECTED. */
int netconn_take_fd(struct netconn *c);

/* Frees c and sets *c NULL; an unfinished resolution is cancelled (or left to
 * finish in the background and freed later), an unhanded socket closed. */
void netconn_free(struct netconn **c);

#endif
