/*
 * prompt: a modal one-line UTF-8 editor and a yes/no question. It is a state of
 * the loop, not a blocking read: the loop feeds it keys while it is active and
 * draws it on the hint row; Enter hands the text to a callback, Esc cancels.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "view.h"

enum { CTRL_A = 1, CTRL_E = 5, CTRL_K = 11, CTRL_U = 21, CTRL_W = 23 };

static void open_common(struct prompt *p, enum prompt_kind kind, const char *label, void *ud)
{
	unsigned serial = p->serial + 1;

	memset(p, 0, sizeof *p);
	p->serial = serial;
	p->kind = kind;
	p->ud = ud;
	snprintf(p->label, sizeof p->label, "%s", label);
}

void prompt_open_line(struct prompt *p, const char *label, const char *initial,
		      prompt_line_fn fn, void *ud)
{
	open_common(p, PROMPT_LINE, label, ud);
	p->on_line = fn;
	if (initial) {
		/* Keep whole characters only; the editor never holds a split sequence. */
		char *clean = text_sanitize_str(initial, 0);
		if (clean) {
			text_fit(p->buf, sizeof p->buf, clean, PROMPT_MAX, false);
			free(clean);
		}
		p->len = p->pos = strlen(p->buf);
	}
}

void prompt_open_confirm(struct prompt *p, const char *question, prompt_yesno_fn fn, void *ud)
{
	open_common(p, PROMPT_CONFIRM, question, ud);
	p->on_yesno = fn;
}

void prompt_open_confirm_detail(struct prompt *p, const char *question, const char *detail,
				prompt_yesno_fn fn, void *ud)
{
	char *clean = NULL;

	prompt_open_confirm(p, question, fn, ud);
	clean = text_sanitize_str(detail ? detail : "", 0);
	snprintf(p->detail, sizeof p->detail, "%s", clean ? clean : "?");
	free(clean);
}

void prompt_close(struct prompt *p)
{
	p->kind = PROMPT_NONE;
	p->len = p->pos = 0;
	p->buf[0] = '\0';
	p->on_line = NULL;
	p->on_yesno = NULL;
	p->ud = NULL;
	p->detail[0] = '\0';
}

bool prompt_active(const struct prompt *p)
{
	return p->kind != PROMPT_NONE;
}

static bool is_cont(char c)
{
	return ((unsigned char)c & 0xc0) == 0x80;
}

static size_t prev_char(const struct prompt *p, size_t i)
{
	while (i > 0 && is_cont(p->buf[--i]))
		;
	return i;
}

static size_t next_char(const struct prompt *p, size_t i)
{
	while (i < p->len && is_cont(p->buf[++i]))
		;
	return i;
}

/* Removes bytes [from, to) and leaves the cursor at from. */
static void cut(struct prompt *p, size_t from, size_t to)
{
	memmove(p->buf + from, p->buf + to, p->len - to + 1);
	p->len -= to - from;
	p->pos = from;
}

static void insert(struct prompt *p, unsigned cp)
{
	char enc[4];
	size_t n = text_utf8_encode(cp, enc);

	if (p->len + n >= sizeof p->buf)
		return;
	memmove(p->buf + p->pos + n, p->buf + p->pos, p->len - p->pos + 1);
	memcpy(p->buf + p->pos, enc, n);
	p->len += n;
	p->pos += n;
}

static unsigned confirm_key(struct prompt *p, int key)
{
	prompt_yesno_fn fn = p->on_yesno;
	void *ud = p->ud;
	unsigned serial = p->serial;
	bool yes = false;

	if (key == 'y' || key == 'Y')
		yes = true;
	else if (key != 'n' && key != 'N' && key != KEYM_ESC)
		return VIEW_HANDLED; /* only an answer closes the question */
	fn(ud, yes);
	if (p->serial == serial)
		prompt_close(p);
	return VIEW_HANDLED | VIEW_REDRAW_ALL;
}

static unsigned submit(struct prompt *p)
{
	char text[PROMPT_MAX];
	prompt_line_fn fn = p->on_line;
	void *ud = p->ud;
	unsigned serial = p->serial;

	memcpy(text, p->buf, p->len + 1);
	/* The callback runs (and commits) while the prompt is still open. */
	if (fn(ud, text) == 0 && p->serial == serial)
		prompt_close(p);
	return VIEW_HANDLED | VIEW_REDRAW_ALL;
}

unsigned prompt_key(struct prompt *p, int key)
{
	if (p->kind == PROMPT_CONFIRM)
		return confirm_key(p, key);
	if (p->kind != PROMPT_LINE)
		return VIEW_UNHANDLED;
	switch (key) {
	case KEYM_ENTER:
		return submit(p);
	case KEYM_ESC:
		prompt_close(p);
		return VIEW_HANDLED | VIEW_REDRAW_ALL;
	case KEYM_BACKSPACE:
		if (p->pos > 0)
			cut(p, prev_char(p, p->pos), p->pos);
		break;
	case KEYM_DELETE:
		if (p->pos < p->len)
			cut(p, p->pos, next_char(p, p->pos));
		break;
	case KEYM_LEFT:
		p->pos = prev_char(p, p->pos);
		break;
	case KEYM_RIGHT:
		p->pos = next_char(p, p->pos);
		break;
	case KEYM_HOME:
	case CTRL_A:
		p->pos = 0;
		break;
	case KEYM_END:
	case CTRL_E:
		p->pos = p->len;
		break;
	case CTRL_U:
		cut(p, 0, p->pos);
		break;
	case CTRL_K:
		p->buf[p->pos] = '\0';
		p->len = p->pos;
		break;
	case CTRL_W: {
		size_t i = p->pos;
		while (i > 0 && p->buf[i - 1] == ' ')
			i--;
		while (i > 0 && p->buf[i - 1] != ' ')
			i--;
		cut(p, i, p->pos);
		break;
	}
	default:
		if (key >= 0x20 && key < KEYM_SPECIAL)
			insert(p, (unsigned)key);
		break;
	}
	return VIEW_HANDLED | VIEW_REDRAW;
}

unsigned prompt_paste_key(struct prompt *p, int key)
{
	if (p->kind != PROMPT_LINE)
		return VIEW_UNHANDLED;
	if (key == KEYM_ENTER || key == KEYM_TAB) {
		/* A space once more text follows ("\r\n" and blank lines make one), never a submit. */
		p->paste_gap = p->pos > 0 && p->buf[p->pos - 1] != ' ';
	} else if (key >= 0x20 && key < KEYM_SPECIAL) {
		if (p->paste_gap && key != ' ')
			insert(p, ' ');
		p->paste_gap = false;
		insert(p, (unsigned)key);
	} /* Esc, arrows, Ctrl keys in a paste: dropped */
	return VIEW_HANDLED | VIEW_REDRAW;
}

void prompt_paste_end(struct prompt *p)
{
	p->paste_gap = false;
}

/* Display columns of buf[from, to). */
static int span_width(const struct prompt *p, size_t from, size_t to)
{
	char tmp[PROMPT_MAX];

	memcpy(tmp, p->buf + from, to - from);
	tmp[to - from] = '\0';
	return text_width(tmp);
}

/*
 * A question's detail, wrapped, on the rows just above row y (rows 2 .. y-1 at
 * most, over the view). When it cannot fit, its last row says so rather than
 * cutting the text silently.
 */
static void prompt_draw_detail(const struct prompt *p, int y, int cols)
{
	attr_t a = colors_attr(ROLE_MESSAGE);
	const char *s = p->detail;
	size_t len = 0, skip = 0;
	int n = 0, room = y - 2, row = 0;

	for (const char *t = s; (len = ui_wrap(t, cols - 2, &skip)) > 0; t += len + skip)
		n++;
	if (n == 0 || room < 1)
		return;
	row = y - (n < room ? n : room);
	for (; row < y && (len = ui_wrap(s, cols - 2, &skip)) > 0; row++, s += len + skip) {
		char line[PROMPT_MAX];

		ui_fill(row, 0, cols, a);
		if (n > room && row == y - 1) {
			ui_put(row, 2, cols - 2, "... (too long for this window: make it larger to see all)",
			       colors_attr(ROLE_WARN));
			break;
		}
		snprintf(line, sizeof line, "%.*s", (int)len, s);
		ui_put(row, 2, cols - 2, line, a | A_BOLD);
	}
}

void prompt_draw(const struct prompt *p, int y, int cols)
{
	attr_t a = colors_attr(ROLE_MESSAGE);
	char label[200];
	int lw = 0;
	int room = 0;
	size_t start = 0;

	if (p->kind == PROMPT_CONFIRM && p->detail[0])
		prompt_draw_detail(p, y, cols);

	snprintf(label, sizeof label, " %s ", p->label);
	lw = ui_put_nopad(y, 0, cols, label, colors_attr(ROLE_ACCENT) | A_BOLD);
	room = cols - lw - 1; /* keep the last column for the cursor */
	if (p->kind != PROMPT_LINE || room < 1) {
		ui_fill(y, lw, cols - lw, a);
		move(y, lw < cols ? lw : cols - 1);
		return;
	}
	/* Scroll horizontally so the cursor stays visible. */
	while (start < p->pos && span_width(p, start, p->pos) > room)
		start = next_char(p, start);
	ui_put(y, lw, cols - lw, p->buf + start, a);
	move(y, lw + span_width(p, start, p->pos));
}
