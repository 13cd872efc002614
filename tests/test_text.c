/*
 * test_text: the sanitiser against every kind of control, escape sequence and
 * broken UTF-8 a host could send, and the width/fit arithmetic the views use.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "text.h"

/* Sanitises in[0..len) and checks the exact result and text_is_clean's agreement. */
static void check_len(const char *in, size_t len, unsigned flags, const char *want)
{
	char *out = text_sanitize(in, len, flags);

	assert_non_null(out);
	assert_string_equal(out, want);
	/* clean exactly when nothing changed */
	assert_int_equal(text_is_clean(in, len, flags), len == strlen(want) && memcmp(in, want, len) == 0);
	/* the output is a fixed point */
	assert_true(text_is_clean(out, strlen(out), flags));
	free(out);
}

static void check(const char *in, unsigned flags, const char *want)
{
	check_len(in, strlen(in), flags, want);
}

#define FFFD "\xEF\xBF\xBD"

static void test_clean_text_unchanged(void **state)
{
	(void)state;
	check("plain ASCII: web-01 OK (load 0.42)", 0, "plain ASCII: web-01 OK (load 0.42)");
	check("caf\xC3\xA9 na\xC3\xAFve \xC3\x85ngstr\xC3\xB6m", 0, "caf\xC3\xA9 na\xC3\xAFve \xC3\x85ngstr\xC3\xB6m");
	check("\xE4\xB8\xAD\xE6\x96\x87 \xE6\x97\xA5\xE6\x9C\xAC", 0, "\xE4\xB8\xAD\xE6\x96\x87 \xE6\x97\xA5\xE6\x9C\xAC");
	check("ok \xF0\x9F\x98\x80 \xF0\x9F\x91\x8D", 0, "ok \xF0\x9F\x98\x80 \xF0\x9F\x91\x8D");
	check("e\xCC\x81", 0, "e\xCC\x81"); /* e + combining acute */
	check("\xF4\x8F\xBF\xBF", 0, "\xF4\x8F\xBF\xBF"); /* U+10FFFF is valid */
	check("", 0, "");
	assert_true(text_is_clean("abc", 3, 0));
}

static void test_c0_controls(void **state)
{
	(void)state;
	check("a\x01" "b\x07" "c\x08" "d\re\x0B" "f\x0C" "g\x1F" "h", 0, "abcdefgh");
	check("line1\nline2", 0, "line1 line2");
	check("line1\nline2", TEXT_KEEP_NEWLINES, "line1\nline2");
	check("a\tb", 0, "a b");
	check("a\tb", TEXT_KEEP_TABS, "a\tb");
	check("a\tb\nc", TEXT_KEEP_TABS, "a\tb c");
	check("a\tb\nc", TEXT_KEEP_NEWLINES, "a b\nc");
	check("a\tb\nc", TEXT_KEEP_NEWLINES | TEXT_KEEP_TABS, "a\tb\nc");
	check("crlf\r\n", TEXT_KEEP_NEWLINES, "crlf\n");
	check("del\x7F!", 0, "del!");
}

static void test_nul_inside(void **state)
{
	(void)state;
	check_len("ab\0cd\0", 6, 0, "abcd");
	check_len("\0", 1, 0, "");
	check_len("\x1B[\0" "31m", 6, 0, ""); /* NUL inside a CSI is dropped with it */
}

static void test_c1_utf8_encoded(void **state)
{
	(void)state;
	/* U+0085 NEL, U+008D RI, U+009C ST alone: dropped */
	check("a\xC2\x85" "b\xC2\x8D" "c\xC2\x9C" "d", 0, "abcd");
	/* U+009B CSI: the whole sequence goes */
	check("x\xC2\x9B" "31;1mred\xC2\x9B" "0m", 0, "xred");
	/* U+009D OSC up to BEL or U+009C ST */
	check("\xC2\x9D" "0;title\x07" "after", 0, "after");
	check("\xC2\x9D" "0;title\xC2\x9C" "after", 0, "after");
	/* U+0090 DCS, U+0098 SOS, U+009E PM, U+009F APC up to ST */
	check("\xC2\x90" "1$r\xC2\x9C" "ok", 0, "ok");
	check("\xC2\x98" "sos\xC2\x9C" "ok", 0, "ok");
	check("\xC2\x9E" "pm\x1B\\ok", 0, "ok");
	check("\xC2\x9F" "apc\xC2\x9C" "ok", 0, "ok");
}

static void test_c1_raw_bytes(void **state)
{
	(void)state;
	/* Raw 0x80..0x9F are not UTF-8: each is one U+FFFD, never an introducer. */
	check("a\x9B" "31mb", 0, "a" FFFD "31mb");
	check("\x9D" "0;x\x07" "y", 0, FFFD "0;xy");
	check("\x85\x90\x9F", 0, FFFD FFFD FFFD);
}

static void test_csi(void **state)
{
	(void)state;
	check("\x1B[31mred\x1B[0m", 0, "red");
	check("a\x1B[mb", 0, "ab");
	check("\x1B[2J\x1B[H" "clear", 0, "clear");
	check("\x1B[?1049h" "alt", 0, "alt");                 /* private parameter */
	check("\x1B[38;2;255;0;0mrgb", 0, "rgb");            /* many parameters */
	check("\x1B[1 q" "cursor", 0, "cursor");              /* intermediate byte */
	check("\x1B[>0;1;2$|x", 0, "x");                       /* params + intermediates */
	check("\x1B[31", 0, "");                               /* unterminated at end */
	check("\x1B[3\n1mx", TEXT_KEEP_NEWLINES, "x");         /* C0 inside: dropped, CSI goes on */
	check("\x1B[31\x1B[1mx", 0, "x");                      /* ESC restarts */
	check("\x1B[31\x18" "x", 0, "x");                      /* CAN aborts */
	check("\x1B[31\xC3\xA9x", 0, "\xC3\xA9x");             /* non-ASCII ends a broken CSI */
}

static void test_osc(void **state)
{
	(void)state;
	check("\x1B]0;evil title\x07" "text", 0, "text");               /* BEL */
	check("\x1B]8;;http://x\x1B\\link\x1B]8;;\x1B\\", 0, "link");    /* ST = ESC \ */
	check("\x1B]52;c;ZXZpbA==\xC2\x9C" "x", 0, "x");                 /* ST = U+009C */
	check("before\x1B]0;never ends\nstill title", TEXT_KEEP_NEWLINES, "before");
	check("\x1B]0;t\x1B[1mx", 0, "x"); /* ESC ends the string and starts a CSI */
}

static void test_dcs_sos_pm_apc(void **state)
{
	(void)state;
	check("\x1BP" "1$r0m\x1B\\" "ok", 0, "ok");
	check("\x1BPq#0;2;0;0;0#0~~@@vv\x1B\\" "sixel", 0, "sixel");
	check("\x1BX" "sos\x1B\\" "ok", 0, "ok");
	check("\x1B^" "pm\x1B\\" "ok", 0, "ok");
	check("\x1B_" "Gf=100;AAAA\x1B\\" "ok", 0, "ok"); /* kitty graphics */
	check("\x1BP" "unterminated\x07 bel is not ST for DCS", 0, "");
}

static void test_two_byte_and_lone_esc(void **state)
{
	(void)state;
	check("\x1B" "7save\x1B" "8", 0, "save");       /* Fp: DECSC/DECRC */
	check("\x1B" "cR", 0, "R");                     /* Fs: RIS */
	check("\x1B" "Dx\x1B" "Ey\x1B" "Mz", 0, "xyz"); /* Fe: IND NEL RI */
	check("\x1B(B" "g0", 0, "g0");                  /* nF: designate G0 */
	check("\x1B#8" "dec", 0, "dec");                /* nF: DECALN */
	check("\x1B%G" "utf", 0, "utf");
	check("end\x1B", 0, "end");                     /* lone ESC at the end */
	check("\x1B\x1B[1mx", 0, "x");                  /* ESC ESC [ */
	check("a\x1B\nb", TEXT_KEEP_NEWLINES, "a\nb");  /* lone ESC before a control */
	check("a\x1B\xC3\xA9", 0, "a\xC3\xA9");         /* lone ESC before non-ASCII */
	check("\x1B(", 0, "");                          /* nF cut short */
}

static void test_invalid_utf8(void **state)
{
	(void)state;
	check("a\x80" "b", 0, "a" FFFD "b");                          /* stray continuation */
	check("\xBF\xBF", 0, FFFD FFFD);                               /* two stray */
	check("\xC0\xAF", 0, FFFD FFFD);                               /* overlong '/' */
	check("\xC1\xBF", 0, FFFD FFFD);
	check("\xE0\x80\xAF", 0, FFFD FFFD FFFD);                      /* overlong, 3 bytes */
	check("\xF0\x80\x80\xAF", 0, FFFD FFFD FFFD FFFD);             /* overlong, 4 bytes */
	check("\xED\xA0\x80", 0, FFFD FFFD FFFD);                      /* surrogate U+D800 */
	check("\xED\xBF\xBF", 0, FFFD FFFD FFFD);                      /* surrogate U+DFFF */
	check("\xF4\x90\x80\x80", 0, FFFD FFFD FFFD FFFD);             /* U+110000 */
	check("\xF5\x80\x80\x80", 0, FFFD FFFD FFFD FFFD);             /* lead F5 */
	check("\xFE\xFF", 0, FFFD FFFD);
	check("x\xE4\xB8", 0, "x" FFFD);                                /* truncated at end */
	check("\xE4\xB8x", 0, FFFD "x");                                /* truncated mid-string */
	check("\xF0\x9F\x98" "!", 0, FFFD "!");                         /* truncated 4-byte */
	check("\xC3", 0, FFFD);
	/* maximal subparts (Unicode 3.9, table 3-8 example) */
	check("\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64", 0,
	      "a" FFFD FFFD FFFD "b" FFFD "c" FFFD FFFD "d");
}

static void test_bidi_controls(void **state)
{
	(void)state;
	/* LRE RLE PDF LRO RLO, LRI RLI FSI PDI */
	check("a\xE2\x80\xAA" "b\xE2\x80\xAB" "c\xE2\x80\xAC" "d\xE2\x80\xAD" "e\xE2\x80\xAE" "f", 0,
	      "abcdef");
	check("x\xE2\x81\xA6" "y\xE2\x81\xA7" "z\xE2\x81\xA8" "w\xE2\x81\xA9", 0, "xyzw");
	/* Trojan Source: access level reads as "user" only because of the override */
	check("if (role != \"user\xE2\x80\xAE \xE2\x81\xA6// admin\xE2\x81\xA9 \xE2\x81\xA6\")", 0,
	      "if (role != \"user // admin \")");
	/* neighbours stay: U+2029, U+2065 (unassigned), U+206A */
	check("\xE2\x80\xA9\xE2\x81\xA5\xE2\x81\xAA", 0, "\xE2\x80\xA9\xE2\x81\xA5\xE2\x81\xAA");
}

static void test_sanitize_str(void **state)
{
	char *s = NULL;

	(void)state;
	s = text_sanitize_str(NULL, 0);
	assert_non_null(s);
	assert_string_equal(s, "");
	free(s);
	s = text_sanitize_str("\x1B[1mhi\x1B[0m\n", TEXT_KEEP_NEWLINES);
	assert_string_equal(s, "hi\n");
	free(s);
}

static void test_utf8_codec(void **state)
{
	unsigned cp = 0;
	char buf[4];

	(void)state;
	assert_int_equal(text_utf8_decode("A", 1, &cp), 1);
	assert_int_equal(cp, 'A');
	assert_int_equal(text_utf8_decode("\xC3\xA9", 2, &cp), 2);
	assert_int_equal(cp, 0xE9);
	assert_int_equal(text_utf8_decode("\xF0\x9F\x98\x80", 4, &cp), 4);
	assert_int_equal(cp, 0x1F600);
	assert_int_equal(text_utf8_decode("\xF0\x9F\x98\x80", 3, &cp), 0); /* n too short */
	assert_int_equal(cp, 0xFFFD);
	assert_int_equal(text_utf8_decode("\xED\xA0\x80", 3, &cp), 0);
	assert_int_equal(cp, 0xFFFD);
	assert_int_equal(text_utf8_encode(0x24, buf), 1);
	assert_memory_equal(buf, "$", 1);
	assert_int_equal(text_utf8_encode(0x20AC, buf), 3);
	assert_memory_equal(buf, "\xE2\x82\xAC", 3);
	assert_int_equal(text_utf8_encode(0x10348, buf), 4);
	assert_memory_equal(buf, "\xF0\x90\x8D\x88", 4);
	assert_int_equal(text_utf8_encode(0xD800, buf), 3); /* not encodable: U+FFFD */
	assert_memory_equal(buf, FFFD, 3);
	assert_int_equal(text_utf8_encode(0x110000, buf), 3);
	assert_memory_equal(buf, FFFD, 3);
}

static void test_width(void **state)
{
	(void)state;
	assert_int_equal(text_width(""), 0);
	assert_int_equal(text_width(NULL), 0);
	assert_int_equal(text_width("hello"), 5);
	assert_int_equal(text_width("caf\xC3\xA9"), 4);                     /* é: 1 */
	assert_int_equal(text_width("\xE4\xB8\xAD\xE6\x96\x87"), 4);        /* CJK: 2 each */
	assert_int_equal(text_width("\xF0\x9F\x98\x80"), 2);                /* emoji: 2 */
	assert_int_equal(text_width("e\xCC\x81"), 1);                       /* combining: 0 */
	assert_int_equal(text_width(FFFD), 1);
	assert_int_equal(text_width("\xC3"), 1);                            /* stray byte as U+FFFD */
}

static void test_fit(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(text_fit(buf, sizeof buf, "hello world", 5, false), 5);
	assert_string_equal(buf, "hello");
	assert_int_equal(text_fit(buf, sizeof buf, "hi", 5, true), 5);
	assert_string_equal(buf, "hi   ");
	assert_int_equal(text_fit(buf, sizeof buf, "hi", 5, false), 2);
	assert_string_equal(buf, "hi");
	/* never splits a multi-byte character */
	assert_int_equal(text_fit(buf, sizeof buf, "caf\xC3\xA9s", 4, false), 4);
	assert_string_equal(buf, "caf\xC3\xA9");
	/* a wide character at the edge does not fit: left out, padding takes its column */
	assert_int_equal(text_fit(buf, sizeof buf, "ab\xE4\xB8\xAD", 3, false), 2);
	assert_string_equal(buf, "ab");
	assert_int_equal(text_fit(buf, sizeof buf, "ab\xE4\xB8\xAD", 3, true), 3);
	assert_string_equal(buf, "ab ");
	assert_int_equal(text_fit(buf, sizeof buf, "\xE4\xB8\xAD\xE6\x96\x87", 3, true), 3);
	assert_string_equal(buf, "\xE4\xB8\xAD ");
	assert_int_equal(text_fit(buf, sizeof buf, "\xF0\x9F\x98\x80x", 1, true), 1);
	assert_string_equal(buf, " ");
	/* combining marks stay with their base */
	assert_int_equal(text_fit(buf, sizeof buf, "e\xCC\x81x", 1, false), 1);
	assert_string_equal(buf, "e\xCC\x81");
	/* zero and negative widths */
	assert_int_equal(text_fit(buf, sizeof buf, "abc", 0, true), 0);
	assert_string_equal(buf, "");
	assert_int_equal(text_fit(buf, sizeof buf, "abc", -3, true), 0);
	assert_string_equal(buf, "");
	/* a small buffer bounds the bytes, still without splitting */
	assert_int_equal(text_fit(buf, 4, "\xC3\xA9\xC3\xA9\xC3\xA9", 10, false), 1);
	assert_string_equal(buf, "\xC3\xA9");
	assert_int_equal(text_fit(buf, 4, "ab", 10, true), 3);
	assert_string_equal(buf, "ab ");
	buf[0] = 'x';
	assert_int_equal(text_fit(buf, 0, "ab", 10, true), 0);
	assert_int_equal(buf[0], 'x');
}

/* Every single byte and every pair: the output never holds a control or ESC. */
static void test_no_controls_survive(void **state)
{
	char in[2];

	(void)state;
	for (int a = 0; a < 256; a++) {
		for (int b = 0; b < 256; b++) {
			char *out = NULL;

			in[0] = (char)a;
			in[1] = (char)b;
			out = text_sanitize(in, 2, 0);
			assert_non_null(out);
			for (const unsigned char *p = (const unsigned char *)out; *p; p++) {
				assert_true(*p >= 0x20 && *p != 0x7F);
				if (p[0] == 0xC2)
					assert_false(p[1] >= 0x80 && p[1] <= 0x9F); /* no C1 */
			}
			assert_true(text_is_clean(out, strlen(out), 0));
			free(out);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean_text_unchanged),
		cmocka_unit_test(test_c0_controls),
		cmocka_unit_test(test_nul_inside),
		cmocka_unit_test(test_c1_utf8_encoded),
		cmocka_unit_test(test_c1_raw_bytes),
		cmocka_unit_test(test_csi),
		cmocka_unit_test(test_osc),
		cmocka_unit_test(test_dcs_sos_pm_apc),
		cmocka_unit_test(test_two_byte_and_lone_esc),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_bidi_controls),
		cmocka_unit_test(test_sanitize_str),
		cmocka_unit_test(test_utf8_codec),
		cmocka_unit_test(test_width),
		cmocka_unit_test(test_fit),
		cmocka_unit_test(test_no_controls_survive),
	};

	tu_init(NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
