/*
 * netconn: non-blocking name resolution (getaddrinfo_a) and TCP connect, so a slow
 * DNS server or a black-holed address costs a host its own row, never the loop.
 */
#define _GNU_SOURCE /* getaddrinfo_a */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netconn.h"

/* A resolver request; glibc writes into it from its helper thread until done. */
struct lookup {
	struct gaicb cb;
	struct addrinfo hints;
	char host[256];
	char service[16];
	struct lookup *next; /* in the orphan list once its netconn is gone */
};

struct netconn {
	struct lookup *lk;       /* non-NULL while resolving */
	struct addrinfo *addrs;  /* results; walked by next */
	struct addrinfo *cur;    /* the address being tried */
	int fd;
	bool connected;
	char host[256];
	int port;
	char why[256];           /* the last address's failure ("" none), so a later step
				  * reports it as itself (EMFILE is not "unreachable") */
};

/* Lookups whose netconn went away before glibc finished: freed once done. */
static struct lookup *orphans;

static void reap_orphans(void)
{
	struct lookup **pp = &orphans;

	while (*pp) {
		struct lookup *lk = *pp;

		if (gai_error(&lk->cb) == EAI_INPROGRESS) {
			pp = &lk->next;
			continue;
		}
		*pp = lk->next;
		if (lk->cb.ar_result)
			freeaddrinfo(lk->cb.ar_result);
		free(lk);
	}
}

static void close_fd(struct netconn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/* Opens a socket for c->cur and starts connecting. 0 pending/connected, -1 failed. */
static int try_connect(struct netconn *c, struct err *e)
{
	int one = 1;
	char addr[INET6_ADDRSTRLEN] = "?";
	const struct addrinfo *a = c->cur;

	close_fd(c);
	c->fd = socket(a->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		snprintf(c->why, sizeof c->why, "socket: %s", strerror(errno));
		err_set(e, "%s", c->why);
		return -1;
	}
	/* Small request/response exchanges: delayed ACKs would double each round trip. */
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (connect(c->fd, a->ai_addr, a->ai_addrlen) == 0) {
		c->connected = true;
		return 0;
	}
	if (errno == EINPROGRESS)
		return 0;
	if (a->ai_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)a->ai_addr)->sin_addr, addr,
			  sizeof addr);
	else if (a->ai_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)(void *)a->ai_addr)->sin6_addr, addr,
			  sizeof addr);
	snprintf(c->why, sizeof c->why, "connect %s port %d: %s", addr, c->port, strerror(errno));
	err_set(e, "%s", c->why);
	close_fd(c);
	return -1;
}

/* Tries c->cur and then the following addresses until one is pending or connected. */
static enum netconn_status connect_next(struct netconn *c, struct err *e)
{
	for (; c->cur; c->cur = c->cur->ai_next)
		if (try_connect(c, e) == 0)
			return c->connected ? NETCONN_CONNECTED : NETCONN_PENDING;
	return NETCONN_FAILED;
}

struct netconn *netconn_start(const char *host, int port, struct err *e)
{
	struct netconn *c = calloc(1, sizeof *c);
	struct lookup *lk = NULL;
	struct gaicb *list[1];
	int rc;

	reap_orphans();
	if (!c)
		goto oom;
	c->fd = -1;
	c->port = port;
	snprintf(c->host, sizeof c->host, "%s", host);
	lk = calloc(1, sizeof *lk);
	if (!lk)
		goto oom;
	snprintf(lk->host, sizeof lk->host, "%s", host);
	snprintf(lk->service, sizeof lk->service, "%d", port);
	lk->hints.ai_socktype = SOCK_STREAM;
	lk->hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG;
	lk->cb.ar_name = lk->host;
	lk->cb.ar_service = lk->service;
	lk->cb.ar_request = &lk->hints;
	/* A numeric address needs no resolver: getaddrinfo returns without any I/O. */
	lk->hints.ai_flags |= AI_NUMERICHOST;
	if (getaddrinfo(lk->host, lk->service, &lk->hints, &c->addrs) == 0) {
		free(lk);
		c->cur = c->addrs;
		connect_next(c, e); /* a failure shows at the first netconn_step */
		return c;
	}
	lk->hints.ai_flags &= ~AI_NUMERICHOST;
	list[0] = &lk->cb;
	/* Names go to glibc's resolver thread; gai_error tells when it is done. */
	rc = getaddrinfo_a(GAI_NOWAIT, list, 1, NULL);
	if (rc != 0) {
		err_set(e, "resolve %s: %s", host, rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		free(lk);
		free(c);
		return NULL;
	}
	c->lk = lk;
	return c;
oom:
	err_set(e, "out of memory");
	free(c);
	return NULL;
}

enum netconn_status netconn_step(struct netconn *c, struct err *e)
{
	int rc, soerr = 0;
	socklen_t len = sizeof soerr;

	if (c->connected)
		return NETCONN_CONNECTED;
	if (c->lk) {
		rc = gai_error(&c->lk->cb);
		if (rc == EAI_INPROGRESS)
			return NETCONN_PENDING;
		if (rc != 0) {
			err_set(e, "resolve %s: %s", c->host,
				rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
			free(c->lk);
			c->lk = NULL;
			return NETCONN_FAILED;
		}
		c->addrs = c->lk->cb.ar_result;
		free(c->lk);
		c->lk = NULL;
		c->cur = c->addrs;
		return connect_next(c, e);
	}
	if (c->fd < 0) {
		if (c->why[0])
			err_set(e, "%s", c->why);
		else
			err_set(e, "connect %s port %d: no address could be reached", c->host,
				c->port);
		return NETCONN_FAILED;
	}
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0)
		soerr = errno;
	if (soerr == 0) {
		/* Writable with no error may still be "in progress" on a spurious wake. */
		struct sockaddr_storage peer;
		socklen_t plen = sizeof peer;

		if (getpeername(c->fd, (struct sockaddr *)&peer, &plen) == 0) {
			c->connected = true;
			return NETCONN_CONNECTED;
		}
		if (errno == ENOTCONN)
			return NETCONN_PENDING;
		soerr = errno;
	}
	if (soerr == EINPROGRESS || soerr == EALREADY)
		return NETCONN_PENDING;
	err_set(e, "connect %s port %d: %s", c->host, c->port, strerror(soerr));
	c->cur = c->cur ? c->cur->ai_next : NULL;
	if (c->cur && connect_next(c, e) != NETCONN_FAILED)
		return c->connected ? NETCONN_CONNECTED : NETCONN_PENDING;
	close_fd(c);
	return NETCONN_FAILED;
}

int netconn_fd(const struct netconn *c)
{
	return c->lk ? -1 : c->fd;
}

bool netconn_resolving(const struct netconn *c)
{
	return c->lk != NULL;
}

int netconn_take_fd(struct netconn *c)
{
	int fd = c->connected ? c->fd : -1;

	if (fd >= 0)
		c->fd = -1;
	return fd;
}

void netconn_free(struct netconn **cp)
{
	struct netconn *c = cp ? *cp : NULL;

	if (!c)
		return;
	if (c->lk) {
		/* A request glibc is still working on must outlive us. */
		if (gai_cancel(&c->lk->cb) == EAI_NOTCANCELED) {
			c->lk->next = orphans;
			orphans = c->lk;
		} else {
			if (c->lk->cb.ar_result)
				freeaddrinfo(c->lk->cb.ar_result);
			free(c->lk);
		}
	}
	if (c->addrs)
		freeaddrinfo(c->addrs);
	close_fd(c);
	free(c);
	*cp = NULL;
	reap_orphans();
}
