/*
 * colors: maps a theme's semantic roles onto curses colour pairs and attributes
 * (htop's one table indexed by element). Pair n+1 belongs to role n. Mono themes
 * and colourless terminals get attributes only, so NO_COLOR works everywhere.
 */
#include <stdlib.h>

#include "ui.h"

static attr_t role_attr[ROLE__COUNT];

/* theme_attr bit -> curses attribute. */
static const struct {
	unsigned bit;
	attr_t attr;
} attr_map[] = {
	{THEME_BOLD, A_BOLD},	    {THEME_DIM, A_DIM},	    {THEME_UNDERLINE, A_UNDERLINE},
	{THEME_REVERSE, A_REVERSE}, {THEME_ITALIC, A_ITALIC}, {THEME_BLINK, A_BLINK},
};

bool colors_want_mono(void)
{
	const char *nc = getenv("NO_COLOR");

	return (nc && *nc) || !has_colors();
}

/* A theme colour the terminal can show: bright colours fold onto the basic eight
 * on 8-colour terminals, anything else unsupported becomes the default. */
static short fit_color(short c, bool have_default, bool is_fg)
{
	if (c >= COLORS)
		c = (c < 16 && c - 8 < COLORS) ? (short)(c - 8) : THEME_COLOR_DEFAULT;
	if (c < 0 && !have_default)
		c = is_fg ? COLOR_WHITE : COLOR_BLACK;
	return c;
}

void colors_apply(const struct theme *t)
{
	bool color = !t->mono && has_colors();
	bool have_default = false;

	if (color) {
		start_color();
		have_default = use_default_colors() == OK;
	}
	for (int r = 0; r < ROLE__COUNT; r++) {
		const struct theme_style *s = &t->role[r];
		attr_t a = A_NORMAL;

		for (size_t i = 0; i < sizeof attr_map / sizeof attr_map[0]; i++)
			if (s->attrs & attr_map[i].bit)
				a |= attr_map[i].attr;
		if (color && r + 1 < COLOR_PAIRS) {
			init_pair((short)(r + 1), fit_color(s->fg, have_default, true),
				  fit_color(s->bg, have_default, false));
			a |= COLOR_PAIR(r + 1);
		}
		role_attr[r] = a;
	}
}

attr_t colors_attr(enum theme_role r)
{
	return (r >= 0 && r < ROLE__COUNT) ? role_attr[r] : A_NORMAL;
}
