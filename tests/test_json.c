/*
 * Tests of core/json: strings are always valid JSON and carry no terminal control
 * raw (C0, C1, DEL, bidi controls), whatever bytes they were given.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

/* json_put_string(in) as a string; the caller frees it. */
static char *json_of(const char *in)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	json_put_string(f, in);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void expect_json(const char *in, const char *want)
{
	char *got = json_of(in);

	assert_string_equal(got, want);
	free(got);
}

static void test_ascii_and_c0(void **state)
{
	(void)state;
	expect_json("a\"b\\c\n\t\r", "\"a\\\"b\\\\c\\n\\t\\r\"");
	expect_json("\033]52;c;aGVsbG8=\007", "\"\\u001b]52;c;aGVsbG8=\\u0007\"");
	expect_json("\x7f", "\"\\u007f\"");
	expect_json(NULL, "null");
}

static void test_c1_controls_escaped(void **state)
{
	(void)state;
	/* U+009B is the 8-bit CSI: a terminal acts on it like ESC [. */
	expect_json("x\xc2\x9b" "31my", "\"x\\u009b31my\"");
	expect_json("\xc2\x85", "\"\\u0085\"");
}

static void test_bidi_controls_escaped(void **state)
{
	(void)state;
	/* RLO would show "txt.exe" as something else. */
	expect_json("a\xe2\x80\xae" "b", "\"a\\u202eb\"");
	expect_json("\xe2\x81\xa6\xe2\x80\x8f", "\"\\u2066\\u200f\"");
	expect_json("\xe2\x80\xa8", "\"\\u2028\"");
}

static void test_invalid_utf8_replaced(void **state)
{
	(void)state;
	expect_json("a\xff" "b", "\"a\\ufffdb\"");
	expect_json("\xc0\xaf", "\"\\ufffd\\ufffd\"");       /* overlong '/' */
	expect_json("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""); /* a surrogate */
	expect_json("\xe2\x82", "\"\\ufffd\\ufffd\"");      /* truncated */
}

static void test_valid_utf8_kept(void **state)
{
	(void)state;
	expect_json("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ascii_and_c0),
		cmocka_unit_test(test_c1_controls_escaped),
		cmocka_unit_test(test_bidi_controls_escaped),
		cmocka_unit_test(test_invalid_utf8_replaced),
		cmocka_unit_test(test_valid_utf8_kept),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
