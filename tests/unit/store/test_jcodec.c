/* How readings are kept in the journal: source texts round-trip (with escapes and
 * Chinese), data round-trips bit for bit, bad texts and data are refused, and a feed reads
 * journal rows back as readings, skipping (and counting) an undecodable one. */
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "array.h"
#include "feed.h"
#include "jcodec.h"
#include "journal.h"

static void sample_source(struct gw_source *s)
{
	memset(s, 0, sizeof(*s));
	strcpy(s->gateway, "gw-1");
	strcpy(s->sensor, "soil\t1");
	strcpy(s->plot, "P-01\\n");
	strcpy(s->household, "hh-7f3a");
	strcpy(s->township, "新民乡");
	strcpy(s->village, "a\nb");
	strcpy(s->prof.name, "seeed-s-soil-mtec-02");
	s->prof.npoints = 3;
	strcpy(s->prof.points[0].name, "moisture_pct");
	strcpy(s->prof.points[0].unit, "%");
	s->prof.points[0].decimals = 1;
	strcpy(s->prof.points[1].name, "temperature_c");
	strcpy(s->prof.points[1].unit, "degC");
	s->prof.points[1].decimals = 2;
	strcpy(s->prof.points[2].name, "ec_us_cm");
	s->prof.points[2].decimals = 0;
}

static void test_source_round_trip(void **state)
{
	struct gw_source a, b;
	char text[GW_JSRC_MAX];
	int n;

	(void)state;
	sample_source(&a);
	n = gw_source_format(&a, text, sizeof(text));
	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(text));
	assert_null(strstr(text, "a\nb")); /* the newline is escaped */
	assert_int_equal(gw_source_parse(text, &b), 0);
	assert_string_equal(b.sensor, "soil\t1");
	assert_string_equal(b.plot, "P-01\\n");
	assert_string_equal(b.village, "a\nb");
	assert_string_equal(b.township, "新民乡");
	assert_int_equal(b.prof.npoints, 3);
	assert_string_equal(b.prof.points[1].name, "temperature_c");
	assert_string_equal(b.prof.points[1].unit, "degC");
	assert_int_equal(b.prof.points[1].decimals, 2);
	assert_string_equal(b.prof.points[2].unit, "");
	assert_int_equal(gw_source_format(&a, text, 40), -ENOSPC);
}

static void test_source_bad_texts(void **state)
{
	static const char *const bad[] = {
	        "",                                       /* no sensor, no point */
	        "sensor\ts\n",                            /* no point */
	        "sensor\ts\npoint\tm\t1\t%\nfuture\tx\n", /* unknown key */
	        "sensor\ts\npoint\tm\tx\t%\n",            /* decimals not a number */
	        "sensor\ts\npoint\tm\t1\n",               /* point without unit */
	        "sensor\ts\\q\npoint\tm\t1\t%\n",         /* bad escape */
	        "sensor\ts\npoint\tm\t1\t%",              /* no final newline */
	};
	struct gw_source s;

	(void)state;
	for (size_t i = 0; i < GW_ARRAY_LEN(bad); i++) {
		s.sensor[0] = 'x';
		assert_int_equal(gw_source_parse(bad[i], &s), -EINVAL);
		assert_string_equal(s.sensor, "");
	}
	assert_int_equal(gw_source_parse("sensor\ts\npoint\tm\t1\t%\n", &s), 0);
}

static void test_data_round_trip(void **state)
{
	struct gw_source s;
	struct gw_reading r = {0}, back = {0};
	uint8_t buf[GW_JDATA_MAX];
	int n;

	(void)state;
	sample_source(&s);
	r.profile = &s.prof;
	r.unsynced = true;
	r.values[0] = 37.31;
	r.quality[0] = GW_Q_GOOD;
	r.values[1] = 0.1 + 0.2; /* not a round number: kept bit for bit */
	r.quality[1] = GW_Q_GOOD;
	r.values[2] = 12;
	r.quality[2] = GW_Q_TIMEOUT;
	n = gw_jdata_pack(&r, buf, sizeof(buf));
	assert_int_equal(n, 2 + 9 + 9 + 1);
	assert_int_equal(gw_jdata_unpack(buf, (size_t)n, 3, &back), 0);
	assert_true(back.unsynced);
	assert_memory_equal(&back.values[0], &r.values[0], sizeof(double));
	assert_memory_equal(&back.values[1], &r.values[1], sizeof(double));
	assert_true(isnan(back.values[2]));
	assert_int_equal(back.quality[2], GW_Q_TIMEOUT);
	/* wrong point count, truncated, trailing bytes, unknown quality */
	assert_int_equal(gw_jdata_unpack(buf, (size_t)n, 2, &back), -EINVAL);
	assert_int_equal(gw_jdata_unpack(buf, (size_t)n - 1, 3, &back), -EINVAL);
	buf[n] = 0;
	assert_int_equal(gw_jdata_unpack(buf, (size_t)n + 1, 3, &back), -EINVAL);
	buf[(size_t)n - 1] = GW_Q_COUNT;
	assert_int_equal(gw_jdata_unpack(buf, (size_t)n, 3, &back), -EINVAL);
	assert_int_equal(gw_jdata_pack(&r, buf, 10), -ENOSPC);
	/* a good value that is not finite is never written, so never accepted */
	r.values[0] = NAN;
	r.quality[2] = GW_Q_GOOD;
	n = gw_jdata_pack(&r, buf, sizeof(buf));
	assert_int_equal(buf[2], GW_Q_DECODE_ERROR); /* packed as what it is */
	assert_int_equal(gw_jdata_unpack(buf, (size_t)n, 3, &back), 0);
	buf[2] = GW_Q_GOOD;
	memmove(buf + 11, buf + 3, (size_t)n - 3);
	memset(buf + 3, 0xff, 8);
	assert_int_equal(gw_jdata_unpack(buf, (size_t)n + 8, 3, &back), -EINVAL);
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Rows written through the journal come back through a feed; a damaged one is skipped. */
static void test_feed_reads_back(void **state)
{
	char base[] = "/tmp/gw_jcodec_XXXXXX", text[GW_JSRC_MAX];
	struct gw_source s;
	struct gw_reading r = {0};
	struct gw_feed_item items[8];
	uint8_t buf[GW_JDATA_MAX];
	struct gw_journal *j;
	struct gw_feed *f;
	int64_t src, last, cur;
	int err, n;

	(void)state;
	assert_non_null(mkdtemp(base));
	j = gw_journal_open(base, NULL, &err);
	assert_non_null(j);
	sample_source(&s);
	assert_true(gw_source_format(&s, text, sizeof(text)) > 0);
	assert_int_equal(gw_journal_source(j, text, &src), 0);
	r.profile = &s.prof;
	for (int i = 0; i < 3; i++) {
		r.ts_ms = 1000 + i;
		r.values[0] = i;
		n = gw_jdata_pack(&r, buf, sizeof(buf));
		assert_int_equal(
		        gw_journal_append(j, r.ts_ms, src, buf, (size_t)(i == 1 ? n - 1 : n)), 0);
	}
	assert_int_equal(gw_journal_commit(j), 0);

	f = gw_feed_open(base, "mqtt", &err);
	assert_non_null(f);
	n = gw_feed_read(f, 0, items, 8, &last);
	assert_int_equal(n, 2);
	assert_int_equal(last, 3);
	assert_int_equal(gw_feed_bad(f), 1);
	assert_int_equal(items[0].seq, 1);
	assert_int_equal(items[1].seq, 3);
	assert_int_equal(items[1].r.ts_ms, 1002);
	assert_true(items[1].r.values[0] == 2.0);
	assert_string_equal(items[1].r.sensor_id, "soil\t1");
	assert_string_equal(items[1].tags.township, "新民乡");
	assert_string_equal(items[1].r.profile->points[0].name, "moisture_pct");
	assert_int_equal(gw_feed_ack(f, 3), 0);
	assert_int_equal(gw_feed_cursor(f, &cur), 0);
	assert_int_equal(cur, 3);
	assert_int_equal(gw_feed_read(f, 3, items, 8, &last), 0);
	assert_int_equal(last, 3);
	gw_feed_close(f);
	gw_journal_close(j);
	nftw(base, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_source_round_trip),
	        cmocka_unit_test(test_source_bad_texts),
	        cmocka_unit_test(test_data_round_trip),
	        cmocka_unit_test(test_feed_reads_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
