/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exits.h"
#include "secret.h"

enum { SECRET_MAX = 1024 };	/* a password longer than this is a wrong file */

/* first line of what fd gives, at most SECRET_MAX bytes; reads to EOF so a
 * command never dies of SIGPIPE for printing more than one line */
static char *first_line(FILE *f, struct roam_error *e)
{
	char buf[SECRET_MAX + 2];
	char *s;
	size_t len;

	if (!fgets(buf, sizeof(buf), f)) {
		roam_error_set(e, "no password (empty output)");
		return NULL;
	}
	while (fgetc(f) != EOF)
		;
	len = strcspn(buf, "\r\n");
	if (len > SECRET_MAX) {
		explicit_bzero(buf, sizeof(buf));
		roam_error_set(e, "password longer than %d bytes", SECRET_MAX);
		return NULL;
	}
	buf[len] = '\0';
	if (!len) {
		roam_error_set(e, "no password (empty first line)");
		return NULL;
	}
	s = strdup(buf);
	explicit_bzero(buf, sizeof(buf));
	if (!s)
		roam_error_set(e, "out of memory");
	return s;
}

char *secret_from_file(const char *path, int *code, struct roam_error *e)
{
	struct roam_error inner = { "" };
	struct stat st;
	char *s = NULL;
	FILE *f;
	int fd;

	*code = FETCH_EXIT_IOERR;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		roam_error_set(e, "password file %s: %s", path, strerror(errno));
		return NULL;
	}
	/* fstat of the open file: no window between the check and the read */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		roam_error_set(e, "password file %s: not a regular file", path);
		close(fd);
		return NULL;
	}
	if (st.st_uid != getuid()) {
		roam_error_set(e, "password file %s: owned by uid %u, not by you", path,
			       (unsigned)st.st_uid);
		close(fd);
		return NULL;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		roam_error_set(e, "password file %s: mode %04o lets others in; chmod 600 it",
			       path, (unsigned)(st.st_mode & 07777));
		close(fd);
		return NULL;
	}
	if (!(f = fdopen(fd, "r"))) {
		roam_error_set(e, "password file %s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	s = first_line(f, &inner);
	fclose(f);
	if (!s)
		roam_error_set(e, "password file %s: %s", path, inner.msg);
	return s;
}

char *secret_from_command(const char *cmd, int *code, struct roam_error *e)
{
	struct roam_error inner = { "" };
	char *s;
	FILE *f;
	int status;

	*code = FETCH_EXIT_AUTH;
	fflush(NULL);
	if (!(f = popen(cmd, "re"))) {
		roam_error_set(e, "password_command: %s", strerror(errno));
		return NULL;
	}
	s = first_line(f, &inner);
	status = pclose(f);
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		secret_free(s);
		if (status != -1 && WIFEXITED(status))
			roam_error_set(e, "password_command `%s' exited with %d", cmd,
				       WEXITSTATUS(status));
		else
			roam_error_set(e, "password_command `%s' failed", cmd);
		return NULL;
	}
	if (!s)
		roam_error_set(e, "password_command `%s': %s", cmd, inner.msg);
	return s;
}

void secret_free(char *s)
{
	if (!s)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}
