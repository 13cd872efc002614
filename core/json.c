/* json: escaping for the JSON opsdeck writes (see include/json.h). */
#include "json.h"

void json_put_string(FILE *out, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	if (!s) {
		fputs("null", out);
		return;
	}
	putc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\n': fputs("\\n", out); break;
		case '\t': fputs("\\t", out); break;
		case '\r': fputs("\\r", out); break;
		default:
			if (*p < 0x20 || *p == 0x7f) {
				fputs("\\u00", out);
				putc(hex[*p >> 4], out);
				putc(hex[*p & 15], out);
			} else {
				putc(*p, out);
			}
		}
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
