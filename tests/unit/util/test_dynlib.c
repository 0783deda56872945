/* Loading a library on first use: a present library resolves every symbol into typed
 * pointers that work; a missing library or a missing symbol is refused whole (every pointer
 * NULL) with a message naming the library or symbol and the package to install. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "array.h"
#include "dynlib.h"

static double (*my_cos)(double);
static double (*my_sqrt)(double);

static void test_dynlib_resolves_ok(void **state)
{
	const struct gw_dl_sym syms[] = {GW_DL_SYM("cos", my_cos), GW_DL_SYM("sqrt", my_sqrt)};
	char err[256] = "";

	(void)state;
	assert_int_equal(
	        gw_dl_load("libm.so.6", "libc6", syms, GW_ARRAY_LEN(syms), err, sizeof(err)), 0);
	assert_non_null(my_cos);
	assert_true(my_cos(0.0) == 1.0);
	assert_true(my_sqrt(16.0) == 4.0);
	assert_true(gw_dl_is_mapped("libm.so.6"));
}

static void test_dynlib_missing_library_fails(void **state)
{
	const struct gw_dl_sym syms[] = {GW_DL_SYM("cos", my_cos)};
	char err[256] = "";

	(void)state;
	my_cos = NULL;
	assert_int_equal(
	        gw_dl_load("libfieldgate-none.so.9", "fieldgate-none", syms, 1, err, sizeof(err)),
	        -ENOENT);
	assert_null(my_cos);
	assert_non_null(strstr(err, "libfieldgate-none.so.9"));
	assert_non_null(strstr(err, "(install fieldgate-none)"));
	assert_false(gw_dl_is_mapped("libfieldgate-none.so.9"));
}

static void test_dynlib_missing_symbol_fails(void **state)
{
	const struct gw_dl_sym syms[] = {GW_DL_SYM("cos", my_cos),
	                                 GW_DL_SYM("fieldgate_no_such_fn", my_sqrt)};
	char err[256] = "";

	(void)state;
	assert_int_equal(
	        gw_dl_load("libm.so.6", "libc6", syms, GW_ARRAY_LEN(syms), err, sizeof(err)),
	        -ENOSYS);
	assert_null(my_cos);
	assert_null(my_sqrt);
	assert_non_null(strstr(err, "no symbol fieldgate_no_such_fn"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_dynlib_resolves_ok),
	        cmocka_unit_test(test_dynlib_missing_library_fails),
	        cmocka_unit_test(test_dynlib_missing_symbol_fails),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
