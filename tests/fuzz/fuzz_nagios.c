/*
 * fuzz_nagios: the Nagios plugin output parser and the built-in probes' parsers
 * (core/probe_nagios.c, core/probe_builtin.c): what a host prints is untrusted.
 * The first byte picks the exit status and the parser, the rest is the output.
 * Beyond "no crash": the state is one of the four, the summary is a clean,
 * terminated line, the metrics fit, and parsing is deterministic.
 */
#include <math.h>
#include <stdbool.h>

#include "fuzz.h"
#include "probe.h"
#include "text.h"

static void fuzz_nagios_check(const struct probe_result *r)
{
	size_t n = strnlen(r->summary, sizeof r->summary);

	FUZZ_CHECK(r->state == PROBE_OK || r->state == PROBE_WARNING || r->state == PROBE_CRITICAL ||
		   r->state == PROBE_UNKNOWN);
	FUZZ_CHECK(n < sizeof r->summary);
	FUZZ_CHECK(text_is_clean(r->summary, n, 0));
	FUZZ_CHECK(r->n_metrics <= PROBE_MAX_METRICS);
	for (size_t i = 0; i < r->n_metrics; i++)
		FUZZ_CHECK(strnlen(r->metrics[i].label, sizeof r->metrics[i].label) <
			   sizeof r->metrics[i].label);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int exits[] = {0, 1, 2, 3, 4, -1, 255, 127};
	struct probe_result a, b;
	struct probe_metric m[PROBE_MAX_METRICS];
	const char *out = NULL;
	char *text = NULL;
	int exit_status = 0;
	size_t which = 0;

	if (size == 0)
		return 0;
	exit_status = exits[data[0] & 7];
	which = data[0] >> 3; /* 0: Nagios; 1..: a built-in probe */
	out = (const char *)data + 1;
	size--;
	/* Parsers get sanitised output (the fleet stores it so), NUL-terminated. */
	text = text_sanitize(out, size, TEXT_KEEP_NEWLINES | TEXT_KEEP_TABS);
	FUZZ_CHECK(text != NULL);
	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	if (which == 0 || which > probe_builtins_n) {
		FUZZ_CHECK(probe_parse_nagios(text, strlen(text), exit_status, &a) == 0);
		FUZZ_CHECK(probe_parse_nagios(text, strlen(text), exit_status, &b) == 0);
	} else {
		const struct probe_def *d = &probe_builtins[which - 1];

		FUZZ_CHECK(d->parse(text, strlen(text), exit_status, NULL, &a) == 0);
		FUZZ_CHECK(d->parse(text, strlen(text), exit_status, NULL, &b) == 0);
	}
	fuzz_nagios_check(&a);
	FUZZ_CHECK(a.state == b.state && strcmp(a.summary, b.summary) == 0 &&
		   a.n_metrics == b.n_metrics);
	FUZZ_CHECK(probe_parse_perfdata(text, m, PROBE_MAX_METRICS) <= PROBE_MAX_METRICS);
	free(text);
	return 0;
}
