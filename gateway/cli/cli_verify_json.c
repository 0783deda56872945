/* `verify --json`; see cli_verify_json.h. */
#include "cli_verify_json.h"

#include <stdio.h>

#include "crypto.h"

static void string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", (unsigned char)*s);
		else
			putchar(*s);
	}
	putchar('"');
}

static void day_text(int64_t day)
{
	char d[16];

	string(gw_chain_day_text(day, d, sizeof(d)));
}

static void digest(const uint8_t *b)
{
	char hex[2 * GW_SHA256_LEN + 1];

	gw_hex(b, GW_SHA256_LEN, hex);
	string(hex);
}

void gw_verify_json_begin(struct gw_verify_json *v, const char *journal_dir)
{
	printf("{\"journal\":");
	string(journal_dir);
	printf(",\"days\":[");
	v->first = true;
}

void gw_verify_json_day(void *user, const struct gw_chain_day *d)
{
	struct gw_verify_json *v = user;

	printf("%s{\"day\":", v->first ? "" : ",");
	v->first = false;
	day_text(d->link->day);
	printf(",\"readings\":%lld,\"first_seq\":%lld,\"last_seq\":%lld,\"digest\":",
	       (long long)d->link->readings, (long long)d->link->first_seq,
	       (long long)d->link->last_seq);
	digest(d->link->digest);
	printf(",\"status\":");
	string(gw_chain_status_name(d->status));
	putchar('}');
}

void gw_verify_json_summary(struct gw_verify_json *v, const struct gw_chain_result *r,
                            bool signatures)
{
	(void)v;
	printf("],\"head\":");
	if (r->has_head) {
		printf("{\"day\":");
		day_text(r->head.day);
		printf(",\"digest\":");
		digest(r->head.digest);
		printf(",\"readings\":%lld}", (long long)r->head.readings);
	} else
		printf("null");
	printf(",\"open_readings\":%lld,\"restarted\":%s,\"signatures_checked\":%s,"
	       "\"intact\":%s,\"failing_days\":%lld,\"first_failing\":",
	       (long long)r->open_readings, r->restarted_ms ? "true" : "false",
	       signatures ? "true" : "false", r->bad ? "false" : "true", (long long)r->bad);
	if (!r->bad) {
		printf("null");
		return;
	}
	printf("{\"day\":");
	day_text(r->first_bad_day);
	printf(",\"status\":");
	string(gw_chain_status_name(r->first_bad));
	printf(",\"why\":");
	string(gw_cli_verify_why(r->first_bad));
	putchar('}');
}

void gw_verify_json_against_begin(struct gw_verify_json *v, const char *source)
{
	printf(",\"against\":{\"source\":");
	string(source);
	printf(",\"days\":[");
	v->first = true;
}

void gw_verify_json_cmp(void *user, int64_t day, enum gw_seal_cmp c,
                        const struct gw_journal_link *here, const struct gw_seal *got)
{
	struct gw_verify_json *v = user;

	printf("%s{\"day\":", v->first ? "" : ",");
	v->first = false;
	day_text(day);
	printf(",\"status\":");
	string(gw_seal_cmp_name(c));
	printf(",\"here\":");
	if (here)
		digest(here->digest);
	else
		printf("null");
	printf(",\"received\":");
	if (got)
		digest(got->l.digest);
	else
		printf("null");
	putchar('}');
}

void gw_verify_json_against_end(const struct gw_seal_diff *d)
{
	printf("],\"same\":%lld,\"differs\":%lld,\"missing_at_center\":%lld,\"missing_here\":%lld,"
	       "\"not_received_yet\":%lld,\"lost\":%lld,\"first\":",
	       (long long)d->same, (long long)d->differs, (long long)d->missing_center,
	       (long long)d->missing_here, (long long)d->not_received, (long long)d->lost);
	if (!d->first_day) {
		printf("null}");
		return;
	}
	printf("{\"day\":");
	day_text(d->first_day);
	printf(",\"status\":");
	string(gw_seal_cmp_name(d->first));
	printf("}}");
}

void gw_verify_json_end(void)
{
	printf("}\n");
}
