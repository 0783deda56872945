/* Fills a struct from one YAML mapping by a declarative key table: defaults
 * first, then every key checked for type and value. Reports every problem, never
 * stops at the first; knows nothing of the sections it fills. */
#include "config_table.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "num.h"

#define WANT_LEN 512
#define GOT_LEN  80

static void store_int(void *p, size_t size, long v)
{
	switch (size) {
	case 1: {
		uint8_t x = (uint8_t)v;

		memcpy(p, &x, 1);
		break;
	}
	case 2: {
		uint16_t x = (uint16_t)v;

		memcpy(p, &x, 2);
		break;
	}
	case 4: {
		uint32_t x = (uint32_t)v;

		memcpy(p, &x, 4);
		break;
	}
	default:
		memcpy(p, &v, sizeof(v) < size ? sizeof(v) : size);
		break;
	}
}

/* Appends " word" (or "word" first) to buf; silently stops at the end of buf. */
static void append(char *buf, size_t size, const char *word)
{
	size_t len = strlen(buf);

	if (len + 1 >= size)
		return;
	snprintf(buf + len, size - len, "%s%s", len ? " " : "", word);
}

/* What the key accepts, for the "want" part of a message. */
static void want_text(const struct gw_ckey *k, char *buf, size_t size)
{
	char num[24];

	buf[0] = '\0';
	switch (k->kind) {
	case GW_CK_INT:
		if (!k->choices) {
			snprintf(buf, size, "%ld..%ld", k->min, k->max);
			return;
		}
		append(buf, size, "one of");
		for (const long *v = k->choices; *v; v++) {
			snprintf(num, sizeof(num), "%ld", *v);
			append(buf, size, num);
		}
		return;
	case GW_CK_ENUM:
		append(buf, size, "one of");
		for (const struct gw_cenum *e = k->enums; e->name; e++)
			if (!e->alias)
				append(buf, size, e->name);
		return;
	case GW_CK_WORD:
	case GW_CK_URL:
		append(buf, size, k->kind == GW_CK_URL ? "a URL starting with" : "one of");
		for (const char *const *w = k->words; *w; w++)
			append(buf, size, *w);
		return;
	case GW_CK_BOOL:
		snprintf(buf, size, "true false yes no");
		return;
	case GW_CK_NUM:
		snprintf(buf, size, "%ld..%ld", k->min, k->max);
		return;
	case GW_CK_ID:
		snprintf(buf, size, "[A-Za-z0-9._-], 1..%zu chars", k->size - 1);
		return;
	case GW_CK_PATH:
		snprintf(buf, size, "a path");
		return;
	default:
		snprintf(buf, size, "a string");
		return;
	}
}

/* The scalar as a quoted, escaped, shortened string for the "got" part. */
static void got_text(const char *s, char *buf, size_t size)
{
	size_t o = 0;

	buf[o++] = '"';
	/* room left for one escape (4), "..." (3), the quote and the NUL */
	for (; *s && o + 10 < size; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			o += (size_t)snprintf(buf + o, size - o, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			o += (size_t)snprintf(buf + o, size - o, "\\x%02x", ch);
		else
			buf[o++] = (char)ch;
	}
	if (*s)
		o += (size_t)snprintf(buf + o, size - o, "...");
	buf[o++] = '"';
	buf[o] = '\0';
}

bool gw_ctable_expect(struct gw_cctx *c, const char *path, const struct gw_ynode *n,
                      enum gw_ytype t, const char *want)
{
	if (!n)
		return false;
	if (n->type == t)
		return true;
	gw_diag_error_at(c->d, &n->src, "%s: wrong type (got %s, want %s)", path,
	                 gw_yaml_is_null(n) ? "an empty value" : gw_yaml_type_name(n), want);
	return false;
}

void gw_ctable_path(char *buf, const char *parent, const char *key, size_t i)
{
	int n;

	if (!key)
		n = snprintf(buf, GW_KEYPATH_LEN, "%s[%zu]", parent, i);
	else if (parent[0])
		n = snprintf(buf, GW_KEYPATH_LEN, "%s.%s", parent, key);
	else
		n = snprintf(buf, GW_KEYPATH_LEN, "%s", key);
	if (n < 0 || n >= GW_KEYPATH_LEN)
		strcpy(buf + GW_KEYPATH_LEN - 4, "...");
	/* a quoted key may hold anything; a message stays one line */
	for (char *p = buf; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

int gw_ctable_resolve(const char *dir, const char *rel, char *out, size_t size)
{
	int n;

	if (rel[0] == '/' || !dir[0] || strcmp(dir, ".") == 0)
		n = snprintf(out, size, "%s", rel);
	else
		n = snprintf(out, size, "%s/%s", dir, rel);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

size_t gw_ctable_index(const struct gw_ckey *keys, size_t nkeys, const char *key)
{
	size_t i;

	for (i = 0; i < nkeys; i++)
		if (strcmp(keys[i].key, key) == 0)
			break;
	return i;
}

static void put_default(const struct gw_ckey *k, void *base)
{
	char *p = (char *)base + k->offset;

	switch (k->kind) {
	case GW_CK_INT:
	case GW_CK_ENUM:
		store_int(p, k->size, k->def);
		break;
	case GW_CK_BOOL:
		*(bool *)p = k->def != 0;
		break;
	case GW_CK_NUM:
		*(double *)p = (double)k->def;
		break;
	case GW_CK_SECRET:
		break;
	default:
		/* string defaults are short literals that fit their field */
		snprintf(p, k->size, "%s", k->sdef ? k->sdef : "");
		break;
	}
}

static int fill_int(struct gw_cctx *c, const char *path, const struct gw_ckey *k,
                    const struct gw_ynode *v, char *p)
{
	char want[WANT_LEN], got[GOT_LEN];
	long x;
	int rc = gw_num_long(v->str, k->choices ? LONG_MIN : k->min, k->choices ? LONG_MAX : k->max,
	                     &x);

	want_text(k, want, sizeof(want));
	if (rc == -EINVAL) {
		got_text(v->str, got, sizeof(got));
		gw_diag_error_at(c->d, &v->src, "%s: not a number (got %s, want %s)", path, got,
		                 want);
		return 1;
	}
	if (rc == 0 && k->choices) {
		const long *ch = k->choices;

		while (*ch && *ch != x)
			ch++;
		rc = *ch ? 0 : -ERANGE;
	}
	if (rc) {
		gw_diag_error_at(c->d, &v->src, "%s: out of range (got %s, want %s)", path, v->str,
		                 want);
		return 1;
	}
	store_int(p, k->size, x);
	return 0;
}

static int fill_num(struct gw_cctx *c, const char *path, const struct gw_ckey *k,
                    const struct gw_ynode *v, char *p)
{
	char want[WANT_LEN], got[GOT_LEN];
	int rc = gw_num_double(v->str, (double)k->min, (double)k->max, (double *)p);

	if (rc == 0)
		return 0;
	want_text(k, want, sizeof(want));
	got_text(v->str, got, sizeof(got));
	gw_diag_error_at(c->d, &v->src, "%s: %s (got %s, want %s)", path,
	                 rc == -EINVAL ? "not a number" : "out of range",
	                 rc == -EINVAL ? got : v->str, want);
	*(double *)p = (double)k->def;
	return 1;
}

static int fill_choice(struct gw_cctx *c, const char *path, const struct gw_ckey *k,
                       const struct gw_ynode *v, char *p)
{
	static const char *const truths[] = {"true", "yes", "false", "no"};
	char want[WANT_LEN], got[GOT_LEN];

	if (k->kind == GW_CK_BOOL) {
		for (size_t i = 0; v->plain && i < 4; i++) {
			if (strcasecmp(v->str, truths[i]) == 0) {
				*(bool *)p = i < 2;
				return 0;
			}
		}
	} else {
		for (const struct gw_cenum *e = k->enums; e->name; e++) {
			if (strcmp(v->str, e->name) == 0) {
				store_int(p, k->size, e->value);
				return 0;
			}
		}
	}
	want_text(k, want, sizeof(want));
	got_text(v->str, got, sizeof(got));
	gw_diag_error_at(c->d, &v->src, "%s: %s (got %s%s, want %s)", path,
	                 k->kind == GW_CK_BOOL ? "not a boolean" : "unknown value",
	                 !v->plain && k->kind == GW_CK_BOOL ? "quoted " : "", got, want);
	return 1;
}

/* Why the string s is not acceptable for k, or NULL when it is. */
static const char *string_problem(const struct gw_ckey *k, const char *s)
{
	switch (k->kind) {
	case GW_CK_ID:
		if (!s[0])
			return "empty";
		return s[strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		                   "0123456789._-")]
		               ? "invalid character"
		               : NULL;
	case GW_CK_PATH:
		return s[0] ? NULL : "empty";
	case GW_CK_WORD:
		for (const char *const *w = k->words; *w; w++)
			if (strcmp(s, *w) == 0)
				return NULL;
		return "unknown value";
	case GW_CK_URL:
		for (const char *const *w = k->words; *w; w++)
			if (strncmp(s, *w, strlen(*w)) == 0)
				return s[strlen(*w)] ? NULL : "no host";
		return "unsupported scheme";
	default:
		return (k->flags & GW_CK_REQUIRED) && !s[0] ? "empty" : NULL;
	}
}

static int fill_string(struct gw_cctx *c, const char *path, const struct gw_ckey *k,
                       const struct gw_ynode *v, char *p)
{
	char want[WANT_LEN], got[GOT_LEN];
	const char *problem = string_problem(k, v->str);
	int rc = 0;

	if (problem) {
		want_text(k, want, sizeof(want));
		got_text(v->str, got, sizeof(got));
		gw_diag_error_at(c->d, &v->src, "%s: %s (got %s, want %s)", path, problem, got,
		                 want);
		return 1;
	}
	if (k->kind == GW_CK_PATH)
		rc = gw_ctable_resolve(c->dir, v->str, p, k->size);
	else if (strlen(v->str) < k->size)
		strcpy(p, v->str);
	else
		rc = -ENAMETOOLONG;
	if (rc) {
		gw_diag_error_at(c->d, &v->src, "%s: too long (got %zu bytes, want at most %zu)",
		                 path, strlen(v->str), k->size - 1);
		put_default(k, p - k->offset);
		return 1;
	}
	return 0;
}

static int fill_value(struct gw_cctx *c, const char *path, const struct gw_ckey *k,
                      const struct gw_ynode *v, void *base)
{
	char *p = (char *)base + k->offset;
	const char *want = k->kind == GW_CK_INT || k->kind == GW_CK_NUM     ? "a number"
	                   : k->kind == GW_CK_BOOL                          ? "true or false"
	                   : k->kind == GW_CK_ENUM || k->kind == GW_CK_WORD ? "a word"
	                                                                    : "a string";

	if (!gw_ctable_expect(c, path, v, GW_Y_SCALAR, want))
		return 1;
	switch (k->kind) {
	case GW_CK_INT:
		return fill_int(c, path, k, v, p);
	case GW_CK_NUM:
		return fill_num(c, path, k, v, p);
	case GW_CK_BOOL:
	case GW_CK_ENUM:
		return fill_choice(c, path, k, v, p);
	default:
		return fill_string(c, path, k, v, p);
	}
}

static int unknown_key(struct gw_cctx *c, const char *path, const struct gw_ynode *key,
                       const struct gw_ckey *keys, size_t nkeys, size_t idx)
{
	char want[WANT_LEN] = "";

	if (idx < nkeys && keys[idx].kind == GW_CK_SECRET) {
		gw_diag_error_at(c->d, &key->src,
		                 "%s: unknown key (secrets are read from files: use %s)", path,
		                 keys[idx].words[0]);
		return 1;
	}
	append(want, sizeof(want), "one of");
	for (size_t i = 0; i < nkeys; i++)
		if (keys[i].kind != GW_CK_SECRET)
			append(want, sizeof(want), keys[i].key);
	gw_diag_error_at(c->d, &key->src, "%s: unknown key (want %s)", path, want);
	return 1;
}

static int fill_pairs(struct gw_cctx *c, const char *path, const struct gw_ynode *map,
                      const struct gw_ckey *keys, size_t nkeys, void *base,
                      const struct gw_ypair **seen, uint64_t *present)
{
	char kpath[GW_KEYPATH_LEN], want[WANT_LEN];
	int errors = 0;

	for (size_t i = 0; i < map->n; i++) {
		const struct gw_ypair *pr = &map->pairs[i];
		size_t idx = gw_ctable_index(keys, nkeys, pr->key->str);

		gw_ctable_path(kpath, path, pr->key->str, 0);
		if (idx == nkeys || keys[idx].kind == GW_CK_SECRET) {
			errors += unknown_key(c, kpath, pr->key, keys, nkeys, idx);
			continue;
		}
		*present |= 1ull << idx;
		if (gw_yaml_is_null(pr->val)) {
			if (keys[idx].flags & GW_CK_REQUIRED) {
				want_text(&keys[idx], want, sizeof(want));
				gw_diag_error_at(c->d, &pr->val->src, "%s: missing value (want %s)",
				                 kpath, want);
				errors++;
			}
			continue;
		}
		if (fill_value(c, kpath, &keys[idx], pr->val, base))
			errors++;
		else if (seen)
			seen[idx] = pr;
	}
	return errors;
}

int gw_ctable_fill(struct gw_cctx *c, const char *path, const struct gw_ynode *map,
                   const struct gw_ckey *keys, size_t nkeys, void *base,
                   const struct gw_ypair **seen)
{
	char kpath[GW_KEYPATH_LEN], want[WANT_LEN];
	uint64_t present = 0;
	int errors = 0;

	for (size_t i = 0; i < nkeys; i++) {
		put_default(&keys[i], base);
		if (seen)
			seen[i] = NULL;
	}
	if (!map)
		return 0;
	if (gw_yaml_is_null(map))
		goto check_required;
	if (!gw_ctable_expect(c, path, map, GW_Y_MAP, "a mapping"))
		return 1;
	errors += fill_pairs(c, path, map, keys, nkeys, base, seen, &present);
check_required:
	for (size_t i = 0; i < nkeys; i++) {
		if (!(keys[i].flags & GW_CK_REQUIRED) || (present & (1ull << i)))
			continue;
		gw_ctable_path(kpath, path, keys[i].key, 0);
		want_text(&keys[i], want, sizeof(want));
		gw_diag_error_at(c->d, &map->src, "%s: required key missing (want %s)", kpath,
		                 want);
		errors++;
	}
	return errors;
}
