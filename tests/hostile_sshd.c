/*
 * hostile_sshd: the security review's repro servers, for the tests. Started by
 * tests/sshd-fixture.sh (`hostile DIR MODE`); not a test itself.
 *
 *   hostile_sshd MODE HOSTKEY PIDFILE
 *
 * Binds 127.0.0.1 on a free port, prints the port on stdout, then writes its pid
 * to PIDFILE (atomically) and serves one connection at a time until killed.
 * Every string it sends carries terminal escapes (an OSC 52 clipboard write, CSI
 * colour and clear-screen sequences, an 8-bit CSI):
 *   banner      a version banner no client accepts, with the escapes in it; the
 *               client's error quotes the banner
 *   disconnect  a valid banner, then SSH_MSG_DISCONNECT (before key exchange, in
 *               clear) whose reason holds the escapes
 *   kick        a real SSH server (libssh, HOSTKEY) that answers the first
 *               authentication request with SSH_MSG_DISCONNECT, the escapes in
 *               its reason (after key exchange, where clients report it)
 *   signal      a real SSH server (libssh's server API, HOSTKEY its key) that
 *               accepts any public key; every command prints escapes and ends
 *               with an exit-signal whose name, error text and output hold them
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libssh/libssh.h>
#include <libssh/server.h>

/* What the review saw get through: a clipboard write, colour, a clear screen, 8-bit CSI. */
#define HOSTILE "\033]52;c;aGVsbG8=\007\033[31m\033[2J\xc2\x9b" "1m"

/* Writes "PID\n" to path via path.tmp and rename, so readers never see half a file. */
static int hostile_pidfile(const char *path)
{
	char tmp[4096];
	FILE *f = NULL;

	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return -1;
	fprintf(f, "%ld\n", (long)getpid());
	if (fclose(f) != 0)
		return -1;
	return rename(tmp, path);
}

static int hostile_listen(int *port)
{
	struct sockaddr_in a;
	socklen_t len = sizeof a;
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 16) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(a.sin_port);
	return fd;
}

static void hostile_write(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);

		if (w <= 0)
			return;
		c += w;
		n -= (size_t)w;
	}
}

/* Reads the client's version line (up to LF), so our reply comes after it. */
static void hostile_read_line(int fd)
{
	char b;

	while (read(fd, &b, 1) == 1 && b != '\n')
		;
}

static void hostile_put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* An unencrypted SSH_MSG_DISCONNECT packet (RFC 4253 6 and 11.1) with reason. */
static void hostile_disconnect(int fd, const char *reason)
{
	unsigned char pkt[1024];
	size_t rlen = strlen(reason);
	size_t payload = 1 + 4 + 4 + rlen + 4; /* type, code, reason, language "" */
	size_t pad = 8 - (4 + 1 + payload) % 8;
	size_t off = 0;

	if (pad < 4)
		pad += 8;
	hostile_put32(pkt, (uint32_t)(1 + payload + pad));
	pkt[4] = (unsigned char)pad;
	off = 5;
	pkt[off++] = 1; /* SSH_MSG_DISCONNECT */
	hostile_put32(pkt + off, 2); /* SSH_DISCONNECT_PROTOCOL_ERROR */
	off += 4;
	hostile_put32(pkt + off, (uint32_t)rlen);
	off += 4;
	memcpy(pkt + off, reason, rlen);
	off += rlen;
	hostile_put32(pkt + off, 0);
	off += 4;
	memset(pkt + off, 0, pad);
	off += pad;
	hostile_write(fd, pkt, off);
}

static void hostile_raw(int lfd, int disconnect)
{
	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		char buf[4096];

		if (fd < 0)
			continue;
		if (disconnect) {
			hostile_write(fd, "SSH-2.0-hostile\r\n", 17);
			hostile_read_line(fd);
			hostile_disconnect(fd, "go away " HOSTILE " now");
		} else {
			const char *b = "SSH-0.9-evil" HOSTILE "\r\n";

			hostile_write(fd, b, strlen(b));
			hostile_read_line(fd);
		}
		/* The client closes first, once it has read it all. */
		while (read(fd, buf, sizeof buf) > 0)
			;
		close(fd);
	}
}

/* The message API's key-probe check is deprecated for the callback API; this
 * small server keeps to the messages, so the one call is allowed here. */
static int hostile_pk_probe(ssh_message m)
{
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
	return ssh_message_auth_publickey_state(m) == SSH_PUBLICKEY_STATE_NONE;
#pragma GCC diagnostic pop
}

/*
 * Serves one session: every exec gets escapes and an exit-signal; with kick, the
 * first authentication request gets a DISCONNECT instead.
 */
static void hostile_session(ssh_session s, int kick)
{
	ssh_message m = NULL;
	int authed = 0;

	if (ssh_handle_key_exchange(s) != SSH_OK)
		return;
	while (!authed && (m = ssh_message_get(s)) != NULL) {
		if (kick && ssh_message_type(m) == SSH_REQUEST_AUTH) {
			ssh_message_free(m);
			ssh_session_set_disconnect_message(s, "go away " HOSTILE " now");
			return; /* the caller's ssh_disconnect sends it */
		}
		if (ssh_message_type(m) == SSH_REQUEST_AUTH &&
		    ssh_message_subtype(m) == SSH_AUTH_METHOD_PUBLICKEY) {
			if (hostile_pk_probe(m)) {
				ssh_message_auth_reply_pk_ok_simple(m);
			} else {
				ssh_message_auth_reply_success(m, 0);
				authed = 1;
			}
		} else if (ssh_message_type(m) == SSH_REQUEST_AUTH) {
			ssh_message_auth_set_methods(m, SSH_AUTH_METHOD_PUBLICKEY);
			ssh_message_reply_default(m);
		} else {
			ssh_message_reply_default(m);
		}
		ssh_message_free(m);
	}
	while (authed && (m = ssh_message_get(s)) != NULL) {
		if (ssh_message_type(m) == SSH_REQUEST_CHANNEL_OPEN &&
		    ssh_message_subtype(m) == SSH_CHANNEL_SESSION) {
			(void)ssh_message_channel_request_open_reply_accept(m);
		} else if (ssh_message_type(m) == SSH_REQUEST_CHANNEL &&
			   ssh_message_subtype(m) == SSH_CHANNEL_REQUEST_EXEC) {
			ssh_channel ch = ssh_message_channel_request_channel(m);
			const char *out = "out " HOSTILE " put\n";

			ssh_message_channel_request_reply_success(m);
			ssh_channel_write(ch, out, (uint32_t)strlen(out));
			ssh_channel_request_send_exit_signal(ch, "KILL" HOSTILE, 0, "err" HOSTILE, "");
			ssh_channel_send_eof(ch);
			ssh_channel_close(ch);
		} else {
			ssh_message_reply_default(m);
		}
		ssh_message_free(m);
	}
}

static int hostile_ssh(int lfd, const char *hostkey, int kick)
{
	ssh_bind b = ssh_bind_new();

	if (!b || ssh_bind_options_set(b, SSH_BIND_OPTIONS_HOSTKEY, hostkey) != SSH_OK) {
		fprintf(stderr, "hostile_sshd: %s: %s\n", hostkey, b ? ssh_get_error(b) : "no memory");
		return 1;
	}
	ssh_bind_set_fd(b, lfd);
	if (ssh_bind_listen(b) != SSH_OK) {
		fprintf(stderr, "hostile_sshd: listen: %s\n", ssh_get_error(b));
		return 1;
	}
	for (;;) {
		ssh_session s = ssh_new();

		if (s && ssh_bind_accept(b, s) == SSH_OK)
			hostile_session(s, kick);
		if (s) {
			ssh_disconnect(s);
			ssh_free(s);
		}
	}
}

int main(int argc, char **argv)
{
	int port = 0;
	int lfd = -1;

	if (argc != 4 || (strcmp(argv[1], "banner") && strcmp(argv[1], "disconnect") &&
			  strcmp(argv[1], "kick") && strcmp(argv[1], "signal"))) {
		fprintf(stderr, "usage: hostile_sshd banner|disconnect|kick|signal HOSTKEY PIDFILE\n");
		return 2;
	}
	lfd = hostile_listen(&port);
	if (lfd < 0) {
		perror("hostile_sshd: listen");
		return 1;
	}
	printf("%d\n", port);
	fflush(stdout);
	if (hostile_pidfile(argv[3]) != 0) {
		perror(argv[3]);
		return 1;
	}
	if (strcmp(argv[1], "signal") == 0 || strcmp(argv[1], "kick") == 0)
		return hostile_ssh(lfd, argv[2], strcmp(argv[1], "kick") == 0);
	hostile_raw(lfd, strcmp(argv[1], "disconnect") == 0);
	return 0;
}
