/*
 * test_serve_spec.c: what the service's API accepts (scraper/serve/spec.c): project
 * and rule-file names, request bodies into structs, the --listen address.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "serve/spec.h"
#include "unit.h"

static void
test_names(void **state)
{
	(void)state;
	assert_true(spec_name_ok("shop"));
	assert_true(spec_name_ok("a"));
	assert_true(spec_name_ok("my_shop-2"));
	assert_true(spec_name_ok("0123456789012345678901234567890123456789012345678901234567890123"));
	assert_false(spec_name_ok("01234567890123456789012345678901234567890123456789012345678901234"));
	assert_false(spec_name_ok(""));
	assert_false(spec_name_ok(".."));
	assert_false(spec_name_ok("."));
	assert_false(spec_name_ok("a/b"));
	assert_false(spec_name_ok("../etc"));
	assert_false(spec_name_ok("Shop"));
	assert_false(spec_name_ok("shop "));
	assert_false(spec_name_ok("sh%2e"));
	assert_false(spec_name_ok("caf\xc3\xa9"));
}

static void
test_rule_files(void **state)
{
	(void)state;
	assert_true(spec_rule_file_ok("shop.yaml"));
	assert_true(spec_rule_file_ok("default.yaml"));
	assert_true(spec_rule_file_ok("Books_2.v1.yaml"));
	assert_false(spec_rule_file_ok(".yaml"));
	assert_false(spec_rule_file_ok(".hidden.yaml"));
	assert_false(spec_rule_file_ok("../x.yaml"));
	assert_false(spec_rule_file_ok("a/x.yaml"));
	assert_false(spec_rule_file_ok("x..yaml"));
	assert_false(spec_rule_file_ok("x.yml"));
	assert_false(spec_rule_file_ok("x.yaml.txt"));
	assert_false(spec_rule_file_ok("x y.yaml"));
	assert_false(spec_rule_file_ok("x\\y.yaml"));
	assert_false(spec_rule_file_ok(""));
}

static void
test_urls(void **state)
{
	(void)state;
	assert_true(spec_url_ok("http://example.com/"));
	assert_true(spec_url_ok("https://127.0.0.1:8080/a?b=c"));
	assert_false(spec_url_ok("ftp://example.com/"));
	assert_false(spec_url_ok("http://"));
	assert_false(spec_url_ok("http:///x"));
	assert_false(spec_url_ok("http://a b/"));
	assert_false(spec_url_ok("example.com"));
	assert_false(spec_url_ok("http://x/\n"));
}

static int
parse(const char *body, struct project_spec *s, char *err, size_t errlen)
{
	return spec_parse_project(s, body, strlen(body), err, errlen);
}

static void
test_project_body(void **state)
{
	struct project_spec s;
	char err[512];

	(void)state;
	assert_int_equal(parse("{\"rules\": {\"shop.yaml\": \"site: x\\n\"},"
			       " \"seeds\": [\"http://x/\", \"https://y/a\"],"
			       " \"options\": {\"workers\": 4, \"max_pages\": 100, \"max_depth\": 0},"
			       " \"schedule\": \"*/5 * * * *\", \"notify\": \"http://h/hook\"}",
			       &s, err, sizeof err), 0);
	assert_int_equal(s.nrules, 1);
	assert_string_equal(s.rules[0].file, "shop.yaml");
	assert_string_equal(s.rules[0].text, "site: x\n");
	assert_int_equal(s.nseeds, 2);
	assert_string_equal(s.seeds[1], "https://y/a");
	assert_int_equal(s.workers, 4);
	assert_int_equal(s.max_pages, 100);
	assert_int_equal(s.max_depth, 0);
	assert_string_equal(s.schedule, "*/5 * * * *");
	assert_string_equal(s.notify, "http://h/hook");
	spec_free(&s);

	/* The least: seeds.  Options absent or null mean the crawl's defaults. */
	assert_int_equal(parse("{\"seeds\": [\"http://x/\"], \"schedule\": null, \"options\": null}",
			       &s, err, sizeof err), 0);
	assert_int_equal(s.nrules, 0);
	assert_int_equal(s.workers, 0);
	assert_int_equal(s.max_depth, -1);
	assert_null(s.schedule);
	assert_null(s.notify);
	spec_free(&s);
}

/* Each bad body: refused, with a message holding the given words. */
static void
refused(const char *body, const char *words)
{
	struct project_spec s;
	char err[512];

	if (parse(body, &s, err, sizeof err) != -1)
		fail_msg("accepted: %s", body);
	if (strstr(err, words) == NULL)
		fail_msg("for %s: message \"%s\" lacks \"%s\"", body, err, words);
	assert_int_equal(s.nseeds, 0);
	assert_null(s.rules);
}

static void
test_project_refused(void **state)
{
	(void)state;
	refused("", "invalid JSON");
	refused("{\"seeds\": [", "invalid JSON");
	refused("[1]", "must be a JSON object");
	refused("{}", "seeds");
	refused("{\"seeds\": []}", "at least one URL");
	refused("{\"seeds\": \"http://x/\"}", "seeds must be an array");
	refused("{\"seeds\": [1]}", "seeds[0] must be a string");
	refused("{\"seeds\": [\"x\"]}", "seeds[0]");
	refused("{\"seeds\": [\"http://x/\"], \"shedule\": \"* * * * *\"}", "unknown field \"shedule\"");
	refused("{\"seeds\": [\"http://x/\"], \"options\": {\"worker\": 1}}", "options: unknown field \"worker\"");
	refused("{\"seeds\": [\"http://x/\"], \"options\": {\"workers\": \"4\"}}", "options.workers must be an integer");
	refused("{\"seeds\": [\"http://x/\"], \"options\": {\"workers\": 0}}", "options.workers must be from 1");
	refused("{\"seeds\": [\"http://x/\"], \"options\": {\"max_depth\": -1}}", "options.max_depth");
	refused("{\"seeds\": [\"http://x/\"], \"options\": [1]}", "options must be an object");
	refused("{\"seeds\": [\"http://x/\"], \"rules\": {\"../x.yaml\": \"a\"}}", "not a plain file name");
	refused("{\"seeds\": [\"http://x/\"], \"rules\": {\"x.yaml\": 3}}", "rules.x.yaml must be a string");
	refused("{\"seeds\": [\"http://x/\"], \"rules\": [\"x\"]}", "rules must be an object");
	refused("{\"seeds\": [\"http://x/\"], \"schedule\": 5}", "schedule must be a string or null");
	refused("{\"seeds\": [\"http://x/\"], \"schedule\": \"61 * * * *\"}", "schedule: ");
	refused("{\"seeds\": [\"http://x/\"], \"notify\": \"file:///etc/passwd\"}", "notify");
	refused("{\"seeds\": [\"http://x/\"], \"seeds\": [\"http://y/\"]}", "invalid JSON");
}

static void
test_job_body(void **state)
{
	bool recrawl, fresh;
	char err[256];

	(void)state;
	assert_int_equal(spec_parse_job("", 0, &recrawl, &fresh, err, sizeof err), 0);
	assert_false(recrawl);
	assert_int_equal(spec_parse_job(" \n", 2, &recrawl, &fresh, err, sizeof err), 0);
	assert_int_equal(spec_parse_job("{\"recrawl\": true}", 17, &recrawl, &fresh, err, sizeof err), 0);
	assert_true(recrawl);
	assert_false(fresh);
	assert_int_equal(spec_parse_job("{\"fresh\": 1}", 12, &recrawl, &fresh, err, sizeof err), -1);
	assert_non_null(strstr(err, "fresh must be true or false"));
	assert_int_equal(spec_parse_job("{\"fast\": true}", 14, &recrawl, &fresh, err, sizeof err), -1);
	assert_non_null(strstr(err, "unknown field \"fast\""));
	assert_int_equal(spec_parse_job("{\"fresh\": true, \"recrawl\": true}", 32, &recrawl, &fresh,
					err, sizeof err), -1);
	assert_int_equal(spec_parse_job("nope", 4, &recrawl, &fresh, err, sizeof err), -1);
}

static void
test_listen(void **state)
{
	struct sockaddr_storage ss;
	socklen_t len;
	bool lo;
	char err[256];

	(void)state;
	assert_int_equal(spec_parse_listen("127.0.0.1:6800", &ss, &len, &lo, err, sizeof err), 0);
	assert_true(lo);
	assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 6800);
	assert_int_equal(spec_parse_listen("127.8.9.10:0", &ss, &len, &lo, err, sizeof err), 0);
	assert_true(lo);
	assert_int_equal(spec_parse_listen("localhost:1", &ss, &len, &lo, err, sizeof err), 0);
	assert_true(lo);
	assert_int_equal(spec_parse_listen("0.0.0.0:80", &ss, &len, &lo, err, sizeof err), 0);
	assert_false(lo);
	assert_int_equal(spec_parse_listen(":80", &ss, &len, &lo, err, sizeof err), 0);
	assert_false(lo);
	assert_int_equal(spec_parse_listen("[::1]:6800", &ss, &len, &lo, err, sizeof err), 0);
	assert_true(lo);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(spec_parse_listen("[::]:6800", &ss, &len, &lo, err, sizeof err), 0);
	assert_false(lo);
	assert_int_equal(spec_parse_listen("127.0.0.1", &ss, &len, &lo, err, sizeof err), -1);
	assert_int_equal(spec_parse_listen("127.0.0.1:65536", &ss, &len, &lo, err, sizeof err), -1);
	assert_int_equal(spec_parse_listen("127.0.0.1:x", &ss, &len, &lo, err, sizeof err), -1);
	assert_int_equal(spec_parse_listen("example.com:80", &ss, &len, &lo, err, sizeof err), -1);
	assert_int_equal(spec_parse_listen("[::1:80", &ss, &len, &lo, err, sizeof err), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_rule_files),
		cmocka_unit_test(test_urls),
		cmocka_unit_test(test_project_body),
		cmocka_unit_test(test_project_refused),
		cmocka_unit_test(test_job_body),
		cmocka_unit_test(test_listen),
	};

	return RUN(tests);
}
