/*
 * creds_profile: the shared credentials and config files, as the AWS CLI
 * and SDKs read them.
 *
 * The profile is AWS_PROFILE (default "default").  Static keys are looked
 * up in AWS_SHARED_CREDENTIALS_FILE (default ~/.aws/credentials, sections
 * named [name]) and then in AWS_CONFIG_FILE (default ~/.aws/config, sections
 * named [profile name], or [default]); the region comes from the config
 * file only.  Parsing is inih's.  Profiles that delegate (role_arn,
 * credential_process, sso_*, web_identity_token_file) are recognised and
 * refused with a clear reason: visitsd does not implement those providers.
 * Secrets read here are wiped before their memory is released.
 */
#include <pthread.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <ini.h>
#include <openssl/crypto.h>

#include "aws/creds.h"
#include "util.h"

/* What one pass over one file collects for one profile. */
struct profile_scan {
	const char	*section;	/* the section wanted */
	const char	*alt_section;	/* also accepted, or NULL */
	bool		 found;		/* the section exists */
	char		*akid;
	char		*secret;	/* secret */
	char		*token;		/* secret */
	char		*region;
	char		 unsupported[64];	/* first delegating key seen */
};

static pthread_once_t ini_once = PTHREAD_ONCE_INIT;

/*
 * Debian's libinih reads lines through a 200-byte stack buffer by default
 * and silently splits longer ones, which would cut a session token (often
 * over 1,000 bytes) in two.  Switch it, once per process, to a heap buffer
 * that grows.  These are the library's process-wide settings; any other
 * user of inih in visitsd only gains from them.
 */
static void
ini_setup(void)
{
	ini_use_stack = false;
	ini_allow_realloc = true;
	ini_max_line = 64 * 1024;
}

static void
scan_cleanup(struct profile_scan *s)
{
	free(s->akid);
	util_free_secret(s->secret);
	util_free_secret(s->token);
	free(s->region);
	memset(s, 0, sizeof(*s));
}

/* Replace *slot with a copy of v; a secret slot's old value is wiped. */
static int
set_value(char **slot, const char *v, bool secret)
{
	char *d = xstrdup(v);

	if (secret)
		util_free_secret(*slot);
	else
		free(*slot);
	*slot = d;
	return 1;
}

static int
scan_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct profile_scan *s = user;
	static const char *const delegating[] = { "role_arn",
	    "credential_process", "sso_session", "sso_start_url",
	    "web_identity_token_file", "credential_source" };
	size_t i;

	if (strcmp(section, s->section) != 0 &&
	    (s->alt_section == NULL || strcmp(section, s->alt_section) != 0))
		return 1;
	s->found = true;
	if (strcasecmp(name, "aws_access_key_id") == 0)
		return set_value(&s->akid, value, false);
	if (strcasecmp(name, "aws_secret_access_key") == 0)
		return set_value(&s->secret, value, true);
	if (strcasecmp(name, "aws_session_token") == 0)
		return set_value(&s->token, value, true);
	if (strcasecmp(name, "region") == 0)
		return set_value(&s->region, value, false);
	for (i = 0; i < sizeof(delegating) / sizeof(delegating[0]); i++)
		if (strcasecmp(name, delegating[i]) == 0 &&
		    s->unsupported[0] == '\0')
			snprintf(s->unsupported, sizeof(s->unsupported), "%s",
			    delegating[i]);
	return 1;
}

/*
 * The file named by env, else ~/rel; a leading "~/" in env is expanded
 * too, as the SDKs do.  Returns a new string, or NULL when there is no home.
 */
static char *
file_path(const char *env, const char *rel)
{
	const char *v = getenv(env), *home;
	struct passwd pw, *res = NULL;
	char buf[4096];

	if (v != NULL && *v != '\0' && strncmp(v, "~/", 2) != 0)
		return xstrdup(v);
	if ((home = getenv("HOME")) == NULL || *home == '\0') {
		if (getpwuid_r(getuid(), &pw, buf, sizeof(buf), &res) != 0 ||
		    res == NULL)
			return NULL;
		home = pw.pw_dir;
	}
	if (v != NULL && *v != '\0')
		rel = v + 2;
	return xasprintf("%s/%s", home, rel);
}

static const char *
profile_name(void)
{
	const char *name = getenv("AWS_PROFILE");

	return (name != NULL && *name != '\0') ? name : "default";
}

/*
 * Scan one file for a profile.  Returns 0 (scanned, or absent: *missing
 * says which), or -1 with a parse error in err.
 */
static int
scan_file(const char *path, struct profile_scan *s, bool *missing, char *err,
    size_t errlen)
{
	int rc;

	pthread_once(&ini_once, ini_setup);
	*missing = false;
	rc = ini_parse(path, scan_handler, s);
	if (rc == -1) {
		*missing = true;
		return 0;
	}
	if (rc == -2)		/* inih's own allocation failed */
		util_out_of_memory();
	if (rc != 0) {
		snprintf(err, errlen, "%s: syntax error at line %d", path, rc);
		return -1;
	}
	return 0;
}

/* Scan the config file's section for the current profile. */
static int
scan_config(struct profile_scan *s, char **pathp, bool *missing, char *err,
    size_t errlen)
{
	const char *name = profile_name();
	char section[256];

	if ((*pathp = file_path("AWS_CONFIG_FILE", ".aws/config")) == NULL) {
		snprintf(err, errlen, "no home directory for ~/.aws/config");
		return -1;
	}
	snprintf(section, sizeof(section), "profile %s", name);
	s->section = section;
	s->alt_section = strcmp(name, "default") == 0 ? "default" : NULL;
	if (scan_file(*pathp, s, missing, err, errlen) == -1)
		return -1;
	s->section = s->alt_section = NULL;
	return 0;
}

static struct creds *
creds_of(struct profile_scan *s, const char *name, const char *path,
    char *err, size_t errlen)
{
	if (s->akid == NULL || s->secret == NULL) {
		snprintf(err, errlen, "profile: profile \"%s\" in %s has no "
		    "aws_access_key_id/aws_secret_access_key%s%s%s", name,
		    path, s->unsupported[0] ? " (it uses " : "",
		    s->unsupported, s->unsupported[0] ?
		    ", which visitsd does not support)" : "");
		return NULL;
	}
	return creds_new(s->akid, s->secret, s->token, 0, "profile");
}

static struct creds *
profile_get(struct creds_provider *p, char *err, size_t errlen)
{
	const char *name = profile_name();
	struct profile_scan s;
	struct creds *c = NULL;
	char *cred_path = NULL, *cfg_path = NULL, why[256];
	bool cred_missing, cfg_missing, cred_found;

	(void)p;
	memset(&s, 0, sizeof(s));
	if ((cred_path = file_path("AWS_SHARED_CREDENTIALS_FILE",
	    ".aws/credentials")) == NULL) {
		snprintf(err, errlen, "profile: no home directory for "
		    "~/.aws/credentials");
		goto done;
	}
	s.section = name;
	if (scan_file(cred_path, &s, &cred_missing, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "profile: %s", why);
		goto done;
	}
	/* Keys in the credentials file win; else try the config file. */
	if (s.found && s.akid != NULL && s.secret != NULL) {
		c = creds_of(&s, name, cred_path, err, errlen);
		goto done;
	}
	if ((cred_found = s.found))
		creds_of(&s, name, cred_path, err, errlen);
	scan_cleanup(&s);
	if (scan_config(&s, &cfg_path, &cfg_missing, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "profile: %s", why);
		goto done;
	}
	if (s.found && (!cred_found || (s.akid != NULL && s.secret != NULL))) {
		c = creds_of(&s, name, cfg_path, err, errlen);
		goto done;
	}
	if (cred_found)
		goto done;
	snprintf(err, errlen, "profile: no profile \"%s\" in %s (%s) or %s "
	    "(%s)", name, cred_path, cred_missing ? "absent" : "read",
	    cfg_path, cfg_missing ? "absent" : "read");
done:
	scan_cleanup(&s);
	free(cred_path);
	free(cfg_path);
	return c;
}

static const struct creds_ops profile_ops = {
	.name = "profile",
	.get = profile_get,
};

struct creds_provider *
creds_profile_new(void)
{
	return creds_provider_new(&profile_ops);
}

char *
creds_profile_region(char *err, size_t errlen)
{
	struct profile_scan s;
	char *path = NULL, *region = NULL;
	bool missing;

	memset(&s, 0, sizeof(s));
	if (scan_config(&s, &path, &missing, err, errlen) == -1)
		goto done;
	if (s.region == NULL || *s.region == '\0') {
		snprintf(err, errlen, "no region for profile \"%s\" in %s%s",
		    profile_name(), path, missing ? " (absent)" : "");
		goto done;
	}
	region = s.region;
	s.region = NULL;
done:
	scan_cleanup(&s);
	free(path);
	return region;
}
