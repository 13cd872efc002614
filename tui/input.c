/*
 * input: translates what wget_wch returns into keymap keys, so nothing above
 * this file knows curses key codes and keys.yaml can name every key.
 */
#include <stddef.h>
#include <unistd.h>

#include "ui.h"

/* Curses codes given to the bracketed-paste markers (define_key); beyond
 * KEY_MAX and the extended keys ncurses numbers after it. */
enum { INPUT_CURSES_PASTE_BEGIN = 0x1000, INPUT_CURSES_PASTE_END = 0x1001 };

static const struct {
	int curses;
	int keym;
} special[] = {
	{KEY_UP, KEYM_UP},	     {KEY_DOWN, KEYM_DOWN},	  {KEY_LEFT, KEYM_LEFT},
	{KEY_RIGHT, KEYM_RIGHT},     {KEY_HOME, KEYM_HOME},	  {KEY_END, KEYM_END},
	{KEY_PPAGE, KEYM_PAGEUP},    {KEY_NPAGE, KEYM_PAGEDOWN},  {KEY_ENTER, KEYM_ENTER},
	{KEY_BTAB, KEYM_BTAB},	     {KEY_BACKSPACE, KEYM_BACKSPACE}, {KEY_DC, KEYM_DELETE},
	{KEY_IC, KEYM_INSERT},	     {KEY_RESIZE, KEYM_RESIZE},	  {KEY_FIND, KEYM_HOME},
	{KEY_SELECT, KEYM_END},	     {KEY_A1, KEYM_HOME},	  {KEY_C1, KEYM_END},
	{KEY_A3, KEYM_PAGEUP},	     {KEY_C3, KEYM_PAGEDOWN},
};

/* Control characters with a name of their own; the rest of 1..26 are Ctrl-letters. */
static const struct {
	wint_t ch;
	int keym;
} controls[] = {
	{27, KEYM_ESC}, {'\r', KEYM_ENTER}, {'\n', KEYM_ENTER}, {'\t', KEYM_TAB},
	{8, KEYM_BACKSPACE}, {127, KEYM_BACKSPACE},
};

int input_translate(int rc, wint_t wch)
{
	if (rc == KEY_CODE_YES) {
		if ((int)wch == INPUT_CURSES_PASTE_BEGIN)
			return UI_PASTE_BEGIN;
		if ((int)wch == INPUT_CURSES_PASTE_END)
			return UI_PASTE_END;
		if ((int)wch >= KEY_F(1) && (int)wch <= KEY_F(12))
			return KEYM_F0 + ((int)wch - KEY_F0);
		for (size_t i = 0; i < sizeof special / sizeof special[0]; i++)
			if (special[i].curses == (int)wch)
				return special[i].keym;
		return KEYM_NONE;
	}
	if (rc != OK)
		return KEYM_NONE;
	for (size_t i = 0; i < sizeof controls / sizeof controls[0]; i++)
		if (controls[i].ch == wch)
			return controls[i].keym;
	if (wch >= 1 && wch <= 26)
		return (int)wch;
	/* Other C0, C1 and out-of-range values are never keys. */
	if (wch < 0x20 || (wch >= 0x80 && wch < 0xa0) || (wch >= 0xd800 && wch < 0xe000) ||
	    wch > 0x10ffff)
		return KEYM_NONE;
	return (int)wch;
}

void input_paste_mode(bool on)
{
	static const char enable[] = "\033[?2004h", disable[] = "\033[?2004l";
	ssize_t n = 0;

	if (on) {
		define_key("\033[200~", INPUT_CURSES_PASTE_BEGIN);
		define_key("\033[201~", INPUT_CURSES_PASTE_END);
	}
	/* Directly: ncurses has no capability for it, and its buffer is flushed. */
	n = on ? write(STDOUT_FILENO, enable, sizeof enable - 1) :
		 write(STDOUT_FILENO, disable, sizeof disable - 1);
	(void)n; /* a terminal that is gone has nothing to paste */
}
