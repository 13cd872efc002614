/*
 * bench_console: the console's key-to-frame as its terminal sees it. It is the
 * terminal: it runs the console on a pseudo-terminal it owns, types keys into it
 * on a schedule, and reads everything the console writes, noting when each key
 * went in and when each key frame came out. Key frames are recognised by the
 * numbered OSC the console's benchmark hook writes after each (tui/app.h), so
 * "came out" is when the frame's last byte reached the terminal, whatever the
 * console's scheduling after that write.
 *
 * usage: bench_console -o OUT -p PIDFILE -d DONEFILE [-k KEYS] [-g GAP_MS]
 *                      [-s START_MS] -- CMD [ARGS...]
 *
 * OUT gets "<CLOCK_MONOTONIC us> key <k>" per key sent and "<us> frame <n> <bytes_us>"
 * per key frame's mark received, bytes_us being when the latest bytes before the
 * mark came (0: none since the previous mark). PIDFILE gets the console's pid at once; DONEFILE is created after
 * the last key. It keeps reading until the console exits (the caller stops it),
 * then exits with 0. Figures only: the caller (bench/fleet.sh) does the sums.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MARK "\033]7777;opsdeck-key-"
#define MARK_LEN (sizeof MARK - 1)
#define MARK_MAX (MARK_LEN + 32) /* "end 123456789\a" and room to spare */

static int64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The console's output, scanned for marks as it arrives (it has no lines). */
struct scan {
	char buf[65536 + MARK_MAX]; /* a read, after what was kept of the last one */
	size_t have;
	int64_t last_us; /* the latest read with bytes other than marks since the last mark */
};

/*
 * One whole mark at p (the caller saw its BEL): "end n" follows key frame n.
 * Prints "<us of the mark> frame <n> <us of the latest bytes before it, or 0>".
 * The caller decides which of the two is the frame's last byte: the latest bytes
 * are the frame's only if they came after the console read the key (else the
 * frame wrote nothing new and they were an earlier frame's).
 */
static void scan_mark(struct scan *s, const char *p, int64_t now, FILE *out)
{
	const char *w = p + MARK_LEN;

	if (strncmp(w, "end ", 4) == 0)
		fprintf(out, "%" PRId64 " frame %lu %" PRId64 "\n", now, strtoul(w + 4, NULL, 10),
			s->last_us);
	s->last_us = 0;
}

/* Appends n bytes read at now, follows the marks in them, notes frames out. */
static void scan_feed(struct scan *s, const char *data, size_t n, int64_t now, FILE *out)
{
	char *from = s->buf, *end = NULL, *p = NULL;
	size_t keep = 0;

	if (n > sizeof s->buf - 1 - s->have)
		n = sizeof s->buf - 1 - s->have;
	memcpy(s->buf + s->have, data, n);
	/* NULs would hide what follows them from strstr. */
	for (size_t i = s->have; i < s->have + n; i++)
		if (s->buf[i] == '\0')
			s->buf[i] = ' ';
	s->have += n;
	s->buf[s->have] = '\0';
	end = s->buf + s->have;
	while ((p = strstr(from, MARK))) {
		char *bel = memchr(p, '\a', (size_t)(end - p));

		if (p > from) /* frame bytes before this mark */
			s->last_us = now;
		if (!bel) /* the mark goes on in the next read */
			break;
		scan_mark(s, p, now, out);
		from = bel + 1;
	}
	if (p) { /* an unfinished mark: keep it (unless it is not one after all) */
		keep = (size_t)(end - p);
		if (keep > MARK_MAX)
			keep = 0;
	} else {
		/* A tail that begins a mark waits for the next read; the rest is frame bytes. */
		keep = (size_t)(end - from) < MARK_LEN - 1 ? (size_t)(end - from) : MARK_LEN - 1;
		while (keep > 0 && memcmp(end - keep, MARK, keep) != 0)
			keep--;
		if ((size_t)(end - from) > keep)
			s->last_us = now;
	}
	memmove(s->buf, end - keep, keep);
	s->have = keep;
}

static bool parse_ms(const char *s, long *out)
{
	char *end = NULL;
	long v = strtol(s, &end, 10);

	if (!*s || *end || v < 0 || v > 3600 * 1000)
		return false;
	*out = v;
	return true;
}

static int touch(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

static void usage(void)
{
	fprintf(stderr, "usage: bench_console -o OUT -p PIDFILE -d DONEFILE [-k KEYS] [-g GAP_MS] "
			"[-s START_MS] -- CMD [ARGS...]\n");
}

int main(int argc, char **argv)
{
	static struct scan sc;
	/*
	 * Five Down, five Up: the cursor moves and the screen changes every time. As
	 * xterm sends them in keypad mode, which the console asks for (smkx).
	 */
	static const char *const keys[2] = {"\033OB", "\033OA"};
	const char *out_path = NULL, *pid_path = NULL, *done_path = NULL;
	long nkeys = 200, gap_ms = 30, start_ms = 500, sent = 0;
	struct winsize ws = {.ws_row = 40, .ws_col = 120};
	int64_t next_key = -1;
	FILE *out = NULL;
	char pidtext[32];
	int master = -1, opt, status = 0, rc = 1;
	pid_t pid = -1;

	while ((opt = getopt(argc, argv, "o:p:d:k:g:s:")) != -1) {
		switch (opt) {
		case 'o': out_path = optarg; break;
		case 'p': pid_path = optarg; break;
		case 'd': done_path = optarg; break;
		case 'k': if (!parse_ms(optarg, &nkeys)) goto bad; break;
		case 'g': if (!parse_ms(optarg, &gap_ms)) goto bad; break;
		case 's': if (!parse_ms(optarg, &start_ms)) goto bad; break;
		default: goto bad;
		}
	}
	if (!out_path || !pid_path || !done_path || optind >= argc)
		goto bad;
	signal(SIGPIPE, SIG_IGN);
	out = fopen(out_path, "w");
	if (!out) {
		perror(out_path);
		return 1;
	}
	pid = forkpty(&master, NULL, NULL, &ws);
	if (pid < 0) {
		perror("forkpty");
		goto done;
	}
	if (pid == 0) {
		execvp(argv[optind], argv + optind);
		perror(argv[optind]);
		_exit(127);
	}
	snprintf(pidtext, sizeof pidtext, "%ld\n", (long)pid);
	if (touch(pid_path, pidtext) != 0) {
		perror(pid_path);
		kill(pid, SIGTERM);
	}
	for (;;) {
		struct pollfd pfd = {.fd = master, .events = POLLIN};
		int64_t now = mono_us();
		int timeout = -1;
		char buf[16384];
		ssize_t n;

		if (next_key >= 0 && sent < nkeys) {
			if (now >= next_key) {
				const char *k = keys[(sent % 10) / 5];

				/* The time is taken before the write: the key is on its way from here. */
				fprintf(out, "%" PRId64 " key %ld\n", now, sent + 1);
				if (write(master, k, strlen(k)) < 0 && errno != EINTR)
					break;
				if (++sent == nkeys && touch(done_path, "") != 0)
					perror(done_path);
				next_key += gap_ms * 1000;
				continue;
			}
			timeout = (int)((next_key - now + 999) / 1000);
		}
		if (poll(&pfd, 1, timeout) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (!(pfd.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = read(master, buf, sizeof buf);
		if (n <= 0) { /* EIO: the console has gone */
			if (n < 0 && errno == EINTR)
				continue;
			break;
		}
		now = mono_us();
		scan_feed(&sc, buf, (size_t)n, now, out);
		if (next_key < 0) /* the first frame is out: start the keys after a pause */
			next_key = now + start_ms * 1000;
	}
	if (waitpid(pid, &status, 0) == pid)
		rc = 0;
done:
	if (master >= 0)
		close(master);
	if (fclose(out) != 0)
		rc = 1;
	return rc;
bad:
	usage();
	return 2;
}
