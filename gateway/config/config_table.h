/* The declarative key-table engine behind gateway.yaml: one table per section
 * ({key, kind, min, max, default, offset}) fills a struct from a YAML mapping,
 * reporting every problem as FILE:LINE:COL: error: PATH: problem (got X, want Y).
 * Internal to the config module; it knows nothing of what the sections mean. */
#ifndef GW_CONFIG_TABLE_H
#define GW_CONFIG_TABLE_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "yaml.h"

#define GW_KEYPATH_LEN 128

enum gw_ckind {
	GW_CK_STR,    /* any scalar into char[size] */
	GW_CK_ID,     /* [A-Za-z0-9._-], 1..size-1 bytes */
	GW_CK_PATH,   /* a string; a relative path is resolved against the config dir */
	GW_CK_URL,    /* a string that starts with one of words[] and names a host */
	GW_CK_WORD,   /* a string that is one of words[] */
	GW_CK_INT,    /* min..max (or one of choices[]) into an integer of size bytes */
	GW_CK_BOOL,   /* true false yes no */
	GW_CK_NUM,    /* a decimal number min..max into a double */
	GW_CK_ENUM,   /* one of enums[] into an integer of size bytes */
	GW_CK_SECRET, /* never allowed: words[0] says where the secret goes instead */
};

#define GW_CK_REQUIRED 0x1u

struct gw_cenum {
	const char *name;
	long value;
	bool alias; /* accepted, but not listed in messages */
};

struct gw_ckey {
	const char *key;
	enum gw_ckind kind;
	unsigned flags;
	long min, max;                /* GW_CK_INT */
	long def;                     /* default of INT, BOOL and ENUM */
	const char *sdef;             /* default of the string kinds, NULL: "" */
	size_t offset, size;          /* where in the base struct, and how big */
	const struct gw_cenum *enums; /* GW_CK_ENUM, ends with a NULL name */
	const char *const *words;     /* GW_CK_WORD, GW_CK_URL, GW_CK_SECRET; ends with NULL */
	const long *choices;          /* GW_CK_INT, optional, ends with 0 */
};

/* Table entry builders; st is the base struct type, f its field, fl flags. */
#define GW_CK_FIELD(st, f) .offset = offsetof(st, f), .size = sizeof(((st *)0)->f)
#define GW_KEY_INT(st, k, f, fl, lo, hi, d)                                                        \
	{                                                                                          \
		.key = k, .kind = GW_CK_INT, .flags = fl, .min = lo, .max = hi, .def = d,          \
		GW_CK_FIELD(st, f)                                                                 \
	}
#define GW_KEY_CHOICE(st, k, f, fl, list, d)                                                       \
	{                                                                                          \
		.key = k, .kind = GW_CK_INT, .flags = fl, .choices = list, .def = d,               \
		GW_CK_FIELD(st, f)                                                                 \
	}
#define GW_KEY_NUM(st, k, f, fl, lo, hi, d)                                                        \
	{                                                                                          \
		.key = k, .kind = GW_CK_NUM, .flags = fl, .min = lo, .max = hi, .def = d,          \
		GW_CK_FIELD(st, f)                                                                 \
	}
#define GW_KEY_BOOL(st, k, f, fl, d)                                                               \
	{                                                                                          \
		.key = k, .kind = GW_CK_BOOL, .flags = fl, .def = d, GW_CK_FIELD(st, f)            \
	}
#define GW_KEY_ENUM(st, k, f, fl, list, d)                                                         \
	{                                                                                          \
		.key = k, .kind = GW_CK_ENUM, .flags = fl, .enums = list, .def = d,                \
		GW_CK_FIELD(st, f)                                                                 \
	}
/* kind is one of the string kinds; list is the words of WORD and URL, or NULL */
#define GW_KEY_STR(st, k, f, kind_, fl, list, d)                                                   \
	{                                                                                          \
		.key = k, .kind = kind_, .flags = fl, .words = list, .sdef = d, GW_CK_FIELD(st, f) \
	}
#define GW_KEY_SECRET(k, use)                                                                      \
	{                                                                                          \
		.key = k, .kind = GW_CK_SECRET, .words = use                                       \
	}

struct gw_cctx {
	struct gw_diag *d; /* borrows */
	const char *dir;   /* borrows: the config file's directory */
};

/* Fills base from map with keys (unknown keys, wrong types, bad values and
 * missing required keys are all reported). Defaults are written first, so base
 * is complete even for keys that are absent or bad. seen (nkeys entries, may be
 * NULL) receives, borrowed, each key's pair, or NULL when absent or null.
 * Returns the number of errors reported. */
int gw_ctable_fill(struct gw_cctx *c, const char *path, const struct gw_ynode *map,
                   const struct gw_ckey *keys, size_t nkeys, void *base,
                   const struct gw_ypair **seen);

/* Reports a wrong node type at n (or at where, when n is NULL) unless n has
 * type t. want describes what was expected. Returns true when n has type t. */
bool gw_ctable_expect(struct gw_cctx *c, const char *path, const struct gw_ynode *n,
                      enum gw_ytype t, const char *want);

/* Writes "parent.key" (or "key" when parent is ""), or "parent[i]" when key is
 * NULL, into buf (GW_KEYPATH_LEN bytes). */
void gw_ctable_path(char *buf, const char *parent, const char *key, size_t i);

/* dir/rel, or rel when it is absolute, into out. Returns 0 or -ENAMETOOLONG. */
int gw_ctable_resolve(const char *dir, const char *rel, char *out, size_t size);

/* The index of key in keys, or nkeys. */
size_t gw_ctable_index(const struct gw_ckey *keys, size_t nkeys, const char *key);

#endif
