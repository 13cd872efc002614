/*
 * silent_listener: a TCP server that accepts connections and never says a word, for
 * the connect-timeout tests (an SSH client waits for a banner that never comes).
 * Started by tests/sshd-fixture.sh (`silent DIR [PORT]`); not a test itself.
 *
 *   silent_listener ADDR PORT PIDFILE
 *
 * Binds ADDR:PORT (PORT 0: any free port), prints the bound port on stdout, then
 * writes its pid to PIDFILE (atomically, so an existing PIDFILE means it listens)
 * and keeps every accepted connection open until it is killed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Writes "PID\n" to path via path.tmp and rename, so readers never see half a file. */
static int write_pidfile(const char *path)
{
	size_t n = strlen(path) + sizeof(".tmp");
	char *tmp = malloc(n);
	FILE *f = NULL;
	int rc = -1;

	if (!tmp)
		goto out;
	snprintf(tmp, n, "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		goto out;
	if (fprintf(f, "%ld\n", (long)getpid()) < 0) {
		fclose(f);
		goto out;
	}
	if (fclose(f) != 0)
		goto out;
	if (rename(tmp, path) != 0)
		goto out;
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "silent_listener: %s: %s\n", path, strerror(errno));
	free(tmp);
	return rc;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	char *end = NULL;
	long port;
	int fd = -1, one = 1, rc = 1;

	if (argc != 4) {
		fprintf(stderr, "usage: silent_listener ADDR PORT PIDFILE\n");
		return 2;
	}
	errno = 0;
	port = strtol(argv[2], &end, 10);
	if (errno || *end || end == argv[2] || port < 0 || port > 65535) {
		fprintf(stderr, "silent_listener: bad port '%s'\n", argv[2]);
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	if (inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1) {
		fprintf(stderr, "silent_listener: bad IPv4 address '%s'\n", argv[1]);
		return 2;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("silent_listener: socket");
		goto out;
	}
	/* Rebinding the same port right after a previous listener must work. */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 128) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
		fprintf(stderr, "silent_listener: %s:%ld: %s\n", argv[1], port, strerror(errno));
		goto out;
	}
	printf("%u\n", (unsigned)ntohs(sa.sin_port));
	if (fflush(stdout) != 0 || write_pidfile(argv[3]) != 0)
		goto out;
	for (;;) {
		int c = accept(fd, NULL, NULL);

		if (c >= 0)
			continue; /* kept open on purpose: the peer must see a live, silent server */
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno == EMFILE || errno == ENFILE) {
			/* Out of descriptors: the kernel still completes handshakes into the backlog. */
			poll(NULL, 0, 100);
			continue;
		}
		perror("silent_listener: accept");
		goto out;
	}
out:
	if (fd >= 0)
		close(fd);
	return rc;
}
