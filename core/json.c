/* json: escaping for the JSON opsdeck writes (see include/json.h). */
#include <stdbool.h>
#include <string.h>

#include "json.h"
#include "text.h"

/* Characters that are valid JSON as they are but must not reach a terminal raw. */
static bool json_escape_cp(unsigned cp)
{
	return cp < 0x20 || cp == 0x7f ||
	       (cp >= 0x80 && cp <= 0x9f) ||        /* C1 controls (8-bit CSI, OSC, ...) */
	       cp == 0x061c ||                      /* Arabic letter mark */
	       cp == 0x200e || cp == 0x200f ||      /* LRM, RLM */
	       (cp >= 0x202a && cp <= 0x202e) ||    /* LRE, RLE, PDF, LRO, RLO */
	       (cp >= 0x2066 && cp <= 0x2069) ||    /* LRI, RLI, FSI, PDI */
	       cp == 0x2028 || cp == 0x2029;        /* line and paragraph separators */
}

void json_put_string(FILE *out, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = s ? strlen(s) : 0;

	if (!s) {
		fputs("null", out);
		return;
	}
	putc('"', out);
	for (size_t i = 0; i < n;) {
		unsigned char b = (unsigned char)s[i];
		unsigned cp = 0;
		size_t len = 1;

		switch (b) {
		case '"': fputs("\\\"", out); i++; continue;
		case '\\': fputs("\\\\", out); i++; continue;
		case '\n': fputs("\\n", out); i++; continue;
		case '\t': fputs("\\t", out); i++; continue;
		case '\r': fputs("\\r", out); i++; continue;
		default: break;
		}
		if (b < 0x80) {
			cp = b;
		} else {
			len = text_utf8_decode(s + i, n - i, &cp);
			if (len == 0) {
				/* Invalid UTF-8 would make the whole document invalid: one U+FFFD per byte. */
				fputs("\\ufffd", out);
				i++;
				continue;
			}
		}
		if (json_escape_cp(cp)) {
			fputs("\\u", out);
			for (int shift = 12; shift >= 0; shift -= 4)
				putc(hex[(cp >> shift) & 15], out);
		} else {
			fwrite(s + i, 1, len, out);
		}
		i += len;
	}
	putc('"', out);
}

void json_put_key(FILE *out, const char *key, int first)
{
	if (!first)
		putc(',', out);
	json_put_string(out, key);
	putc(':', out);
}

void json_put_int(FILE *out, int64_t v, int is_null)
{
	if (is_null)
		fputs("null", out);
	else
		fprintf(out, "%lld", (long long)v);
}
