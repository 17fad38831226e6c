/*
 * project.c: a project's files: DATADIR/projects/NAME/{config/, seeds.txt}.
 *
 * The API never names a path: it gives a project name (spec_name_ok) and rule file
 * names (spec_rule_file_ok), and every path is DATADIR/projects/NAME/ plus a fixed
 * suffix or one of those checked names, so nothing outside DATADIR can be read or
 * written through it.
 *
 * New rules are written to a fresh folder (projects/NAME/.config-XXXXXX) and loaded
 * there with rules_load_dir, exactly what `scraper check` does, so the API refuses
 * what check would refuse, with the same file:line:col messages.  Only then are they
 * swapped in: config is renamed aside, the new folder renamed to config, the old one
 * removed; seeds.txt is written to a temporary file and renamed.  A crawl that starts
 * sees either the old rules or the new, never half of each.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "rules/rules.h"
#include "serve/service.h"
#include "serve/spec.h"

static int
write_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	size_t off = 0;

	if (fd == -1)
		return -1;
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			return -1;
		}
		off += (size_t)n;
	}
	if (fsync(fd) == -1) {
		close(fd);
		return -1;
	}
	return close(fd);
}

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	return (flag == FTW_DP ? rmdir(path) : unlink(path)) == -1 && errno != ENOENT ? -1 : 0;
}

int
project_remove_tree(const char *path)
{
	struct stat sb;

	if (lstat(path, &sb) == -1)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(sb.st_mode))
		return unlink(path);
	return nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static json_t *
diags_json(const struct diags *d)
{
	json_t *a = json_array();

	for (size_t i = 0; i < d->n; i++) {
		const char *file = d->v[i].file ? d->v[i].file : "";
		const char *base = strrchr(file, '/');
		json_array_append_new(a, json_pack("{s:s, s:i, s:i, s:s}", "file",
						   base ? base + 1 : file, "line", d->v[i].line,
						   "col", d->v[i].col, "message",
						   d->v[i].msg ? d->v[i].msg : ""));
	}
	return a;
}

int
project_stage_rules(struct service *s, const char *name, const struct project_spec *spec,
		    char **tmpdir, json_t **errors, char *err, size_t errlen)
{
	char dir[4096], path[4096 + 256];
	struct diags d = { 0 };
	struct rule_set *set;

	*tmpdir = NULL;
	*errors = NULL;
	if (service_project_path(s, name, NULL, dir, sizeof dir) == -1) {
		snprintf(err, errlen, "path too long");
		return -1;
	}
	if (mkdir(dir, 0755) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (service_project_path(s, name, ".config-XXXXXX", dir, sizeof dir) == -1 ||
	    mkdtemp(dir) == NULL) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < spec->nrules; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, spec->rules[i].file);
		if (write_file(path, spec->rules[i].text, spec->rules[i].len) == -1) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			project_remove_tree(dir);
			return -1;
		}
	}
	pthread_mutex_lock(&s->rules_lock);
	set = rules_load_dir(dir, false, &d);
	pthread_mutex_unlock(&s->rules_lock);
	if (set == NULL) {
		*errors = diags_json(&d);
		diags_free(&d);
		project_remove_tree(dir);
		return 1;
	}
	rule_set_free(set);
	diags_free(&d);
	if ((*tmpdir = strdup(dir)) == NULL) {
		project_remove_tree(dir);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

int
project_install(struct service *s, const char *name, const struct project_spec *spec,
		const char *tmpdir, char *err, size_t errlen)
{
	char dir[4096], cfg[4096], old[4096], seeds[4096], tmp[4096];
	FILE *f;

	if (service_project_path(s, name, NULL, dir, sizeof dir) == -1 ||
	    service_project_path(s, name, "config", cfg, sizeof cfg) == -1 ||
	    service_project_path(s, name, ".config-old-XXXXXX", old, sizeof old) == -1 ||
	    service_project_path(s, name, "seeds.txt", seeds, sizeof seeds) == -1 ||
	    service_project_path(s, name, ".seeds.txt.tmp", tmp, sizeof tmp) == -1) {
		snprintf(err, errlen, "path too long");
		return -1;
	}
	if ((f = fopen(tmp, "we")) == NULL) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	fprintf(f, "# seeds of project %s, written by scraper serve\n", name);
	for (size_t i = 0; i < spec->nseeds; i++)
		fprintf(f, "%s\n", spec->seeds[i]);
	if (fflush(f) != 0 || fsync(fileno(f)) == -1 || fclose(f) != 0 || rename(tmp, seeds) == -1) {
		snprintf(err, errlen, "%s: %s", seeds, strerror(errno));
		unlink(tmp);
		return -1;
	}
	/* The old config aside under a unique name, the new one in, the old one gone. */
	if (mkdtemp(old) == NULL || rename(cfg, old) == -1) {
		if (errno != ENOENT) {
			snprintf(err, errlen, "%s: %s", cfg, strerror(errno));
			rmdir(old);
			return -1;
		}
	}
	if (rename(tmpdir, cfg) == -1) {
		snprintf(err, errlen, "%s: %s", cfg, strerror(errno));
		rename(old, cfg);
		return -1;
	}
	project_remove_tree(old);
	return 0;
}

json_t *
project_rules_json(struct service *s, const char *name)
{
	char dir[4096], path[4096 + 256];
	json_t *o = json_object();
	struct dirent *e;
	DIR *d;

	if (service_project_path(s, name, "config", dir, sizeof dir) == -1 ||
	    (d = opendir(dir)) == NULL)
		return o;
	while ((e = readdir(d)) != NULL) {
		FILE *f;
		char *text;
		long n;
		if (!spec_rule_file_ok(e->d_name))
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		if ((f = fopen(path, "re")) == NULL)
			continue;
		if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && n < (16L << 20) &&
		    fseek(f, 0, SEEK_SET) == 0 && (text = malloc((size_t)n + 1)) != NULL) {
			size_t got = fread(text, 1, (size_t)n, f);
			json_object_set_new(o, e->d_name, json_stringn(text, got));
			free(text);
		}
		fclose(f);
	}
	closedir(d);
	return o;
}

json_t *
project_seeds_json(struct service *s, const char *name)
{
	char path[4096], line[SPEC_URL_MAX + 2];
	json_t *a = json_array();
	FILE *f;

	if (service_project_path(s, name, "seeds.txt", path, sizeof path) == -1 ||
	    (f = fopen(path, "re")) == NULL)
		return a;
	while (fgets(line, sizeof line, f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] != '\0' && line[0] != '#')
			json_array_append_new(a, json_string(line));
	}
	fclose(f);
	return a;
}
