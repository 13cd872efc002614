/*
 * ui: the console's drawing toolkit on top of ncursesw: the shell (top bar, tab
 * row, hint line, message line, too-small notice), UTF-8-safe cell writing,
 * colour roles (colors.c), key translation (input.c), the modal prompt
 * (prompt.c) and the help overlay (help.c). Everything draws on stdscr; the loop
 * in app.c calls doupdate() once per pass.
 */
#ifndef OPSDECK_TUI_UI_H
#define OPSDECK_TUI_UI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <curses.h>

#include "keymap.h"
#include "theme.h"

/* Below this the console draws only a notice. */
#define UI_MIN_COLS 40
#define UI_MIN_ROWS 12

struct ui_rect {
	int y, x, h, w;
};

/* ---- colors.c: theme roles -> curses attributes ---- */

/* True when NO_COLOR is set and non-empty, or the terminal has no colours. Call after initscr. */
bool colors_want_mono(void);

/* Applies theme t (pairs for colour themes, attributes only for mono). After initscr. */
void colors_apply(const struct theme *t);

/* The curses attributes (pair included) for a role. */
attr_t colors_attr(enum theme_role r);

/* ---- input.c: curses keys -> keymap ints ---- */

/* Translates a wget_wch result (rc OK or KEY_CODE_YES, and the character) to a
 * keymap key (code point, 1..26 for Ctrl, KEYM_*, UI_PASTE_*), or KEYM_NONE to ignore. */
int input_translate(int rc, wint_t wch);

/*
 * Bracketed paste: the start and end of pasted text, as input_translate returns
 * them (beyond every keymap key, so no action is ever bound to them). Between
 * them the keys are the paste's text, never the person's answer or command.
 */
enum { UI_PASTE_BEGIN = KEYM_SPECIAL + 0x10000, UI_PASTE_END };

/*
 * Turns the terminal's bracketed paste mode on ("ESC [ ? 2004 h": pasted text
 * comes between ESC [ 200 ~ and ESC [ 201 ~, which input_translate reports as
 * UI_PASTE_BEGIN/END) or off. On at start and after a suspend; off before endwin.
 */
void input_paste_mode(bool on);

/* ---- ui.c: cells and the shell ---- */

/*
 * Writes s (already sanitised) at y,x fitted to exactly cols columns (cut at a
 * character boundary, padded with spaces) in attributes a. Wide characters never
 * straddle the edge, so columns after it stay aligned. Returns columns used.
 */
int ui_put(int y, int x, int cols, const char *s, attr_t a);

/* As ui_put without padding: writes at most cols columns; returns columns used. */
int ui_put_nopad(int y, int x, int cols, const char *s, attr_t a);

/* Fills cols cells at y,x with spaces in attributes a. */
void ui_fill(int y, int x, int cols, attr_t a);

/*
 * Line breaking for wrapped text: returns the byte length of the next line of s
 * that fits cols columns (breaking after a space when one is close), and sets
 * *skip to the bytes to skip after it (the space). 0 when s is empty.
 */
size_t ui_wrap(const char *s, int cols, size_t *skip);

/* One counter in the top bar ("2 down"), drawn in its role's colour. */
struct ui_count {
	char text[32];
	enum theme_role role;
};

struct ui_top {
	const char *operator_name; /* sanitised */
	const char *shift;         /* "shift #3 since 08:00" or "no shift" */
	int64_t now_ms;            /* wall clock */
	bool seconds;              /* show seconds */
	const struct ui_count *counts; /* after the shift, as many as fit (may be NULL) */
	size_t n_counts;
};

void ui_draw_top(int y, int cols, const struct ui_top *t);
void ui_draw_tabs(int y, int cols, const char *const *titles, size_t n, size_t active);

/* Hint line generated from the action table and the live bindings of context. */
void ui_draw_hints(int y, int cols, const struct keymap *km, const char *context);

/* Message line; msg is sanitised here. */
void ui_draw_message(int y, int cols, const char *msg, enum theme_role role);

/* Clears the screen and centres "Terminal too small (need 40x12)". */
void ui_draw_too_small(int rows, int cols);

/* Movements of a scrollable pane (details, overlays), whatever actions a view maps to them. */
enum ui_move {
	UI_MOVE_NONE,
	UI_MOVE_UP,
	UI_MOVE_DOWN,
	UI_MOVE_PAGE_UP,
	UI_MOVE_PAGE_DOWN,
	UI_MOVE_TOP,
	UI_MOVE_BOTTOM,
};

/* "The last line": the pane's drawing code clamps scroll to what it has. */
#define UI_SCROLL_END (1 << 24)

/*
 * Applies m to *scroll (page lines a page; never below 0; UI_MOVE_BOTTOM sets
 * UI_SCROLL_END). Returns false for UI_MOVE_NONE, when nothing moved.
 */
bool ui_scroll(int *scroll, enum ui_move m, int page);

/* ---- prompt.c: a modal one-line editor or a yes/no question ---- */

#define PROMPT_MAX 1024 /* bytes of UTF-8 the editor holds */

/* Called with the submitted text; return 0 to close the prompt, non-zero to keep it
 * open (for example after an error the person can fix). */
typedef int (*prompt_line_fn)(void *ud, const char *text);
/* Called with the answer (false for n and Esc). */
typedef void (*prompt_yesno_fn)(void *ud, bool yes);

enum prompt_kind { PROMPT_NONE, PROMPT_LINE, PROMPT_CONFIRM };

struct prompt {
	enum prompt_kind kind;
	unsigned serial; /* bumped on open: a callback that reopens is not closed under it */
	char label[160];
	char buf[PROMPT_MAX];
	size_t len; /* bytes in buf */
	size_t pos; /* cursor, a byte offset on a character boundary */
	prompt_line_fn on_line;
	prompt_yesno_fn on_yesno;
	void *ud;
	char detail[PROMPT_MAX]; /* a question's subject shown whole above it ("": none) */
	bool paste_gap; /* a pasted line break: one space before the paste's next text */
};

void prompt_open_line(struct prompt *p, const char *label, const char *initial,
		      prompt_line_fn fn, void *ud);
void prompt_open_confirm(struct prompt *p, const char *question, prompt_yesno_fn fn, void *ud);
/* A question about detail (a command), which is shown whole, wrapped, above it. */
void prompt_open_confirm_detail(struct prompt *p, const char *question, const char *detail,
				prompt_yesno_fn fn, void *ud);
void prompt_close(struct prompt *p);
bool prompt_active(const struct prompt *p);

/* Handles one key while active (Esc cancels, Enter submits); returns view flags. */
unsigned prompt_key(struct prompt *p, int key);

/*
 * One key of pasted text. A line prompt takes it as text (line breaks and tabs
 * between words become one space); nothing pasted submits, cancels or answers. Returns view
 * flags, or VIEW_UNHANDLED when the prompt takes no text (a question, or closed).
 */
unsigned prompt_paste_key(struct prompt *p, int key);
/* The paste ended: a line break at its end adds no space. */
void prompt_paste_end(struct prompt *p);

/* Draws the prompt on row y (a question's detail on the rows above it, down from
 * row 2) and leaves the curses cursor at the edit position. */
void prompt_draw(const struct prompt *p, int y, int cols);

/* ---- help.c: the `?` overlay, generated from the action table ---- */

struct help {
	bool open;
	int scroll; /* first line shown */
};

/* Lines the overlay has for context (global actions, then the context's). */
/* legend (may be NULL) is one line shown after the context's actions. */
int help_line_count(const char *context, const char *legend);
void help_draw(struct help *h, const struct keymap *km, const char *context, const char *legend,
	       const struct ui_rect *r);
/* Scroll keys while open; returns view flags. */
unsigned help_key(struct help *h, int key, const char *context, const char *legend, int rows);

#endif
