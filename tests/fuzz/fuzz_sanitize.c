/*
 * fuzz_sanitize: the terminal sanitiser (core/text.c). The first byte picks the
 * flags, the rest is the untrusted text. Beyond "no crash", it checks what the
 * rest of the program relies on: the output is clean (text_is_clean), sanitising
 * it again changes nothing, it holds no control byte, and text_fit never writes
 * more columns or bytes than it was given.
 */
#include <locale.h>
#include <stdbool.h>

#include "fuzz.h"
#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool fuzz_sanitize_ready;
	unsigned flags = 0;
	const char *in = (const char *)data;
	char *out = NULL, *again = NULL;
	size_t n = 0;
	char buf[64];
	int cols = 0;

	if (!fuzz_sanitize_ready) {
		/* Widths follow wcwidth(3) in a UTF-8 locale, as in the console. */
		if (!setlocale(LC_ALL, "C.UTF-8"))
			setlocale(LC_ALL, "en_US.UTF-8");
		fuzz_sanitize_ready = true;
	}
	if (size > 0) {
		flags = data[0] & (TEXT_KEEP_NEWLINES | TEXT_KEEP_TABS);
		cols = data[0] >> 2; /* 0..63 */
		in++;
		size--;
	}
	out = text_sanitize(in, size, flags);
	FUZZ_CHECK(out != NULL);
	n = strlen(out);
	FUZZ_CHECK(text_is_clean(out, n, flags));
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)out[i];

		FUZZ_CHECK(c >= 0x20 || (c == '\n' && (flags & TEXT_KEEP_NEWLINES)) ||
			   (c == '\t' && (flags & TEXT_KEEP_TABS)));
		FUZZ_CHECK(c != 0x7f && c != 0x1b);
	}
	again = text_sanitize(out, n, flags);
	FUZZ_CHECK(again != NULL && strcmp(again, out) == 0);
	/* Clean input (without NUL bytes, which are dropped) comes out unchanged. */
	if (text_is_clean(in, size, flags) && !memchr(in, 0, size))
		FUZZ_CHECK(n == size && memcmp(out, in, size) == 0);
	FUZZ_CHECK(text_width(out) >= 0);
	{
		int w = text_fit(buf, sizeof buf, out, cols, (flags & 1) != 0);

		FUZZ_CHECK(w >= 0 && w <= cols);
		FUZZ_CHECK(strlen(buf) < sizeof buf);
		FUZZ_CHECK(text_width(buf) == w);
	}
	free(again);
	free(out);
	return 0;
}
