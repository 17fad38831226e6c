/*
 * unit.h: what every cmocka unit test includes.  'make check' sets
 * CMOCKA_MESSAGE_OUTPUT=TAP so each test case is counted by automake's TAP driver.
 */
#ifndef SCRAPER_UNIT_H
#define SCRAPER_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#define RUN(tests) cmocka_run_group_tests(tests, NULL, NULL)

#endif
