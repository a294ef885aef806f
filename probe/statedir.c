/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "probestate.h"
#include "statedir.h"
#include "trust.h"

int probe_statedir_open(const char *path, struct roam_error *e)
{
	struct stat st;
	int fd;

	if (lstat(path, &st) < 0) {
		if (errno != ENOENT)
			return roam_error_set(e, "state dir '%s': %s", path, strerror(errno)), -1;
		/* world-readable: procmail reads it as whichever user gets mail */
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return roam_error_set(e, "cannot create state dir '%s': %s", path,
					      strerror(errno)), -1;
		chmod(path, 0755);	/* whatever the umask */
	} else if (S_ISLNK(st.st_mode)) {
		return roam_error_set(e, "state dir '%s' is a symbolic link; refusing it", path), -1;
	} else if (!S_ISDIR(st.st_mode)) {
		return roam_error_set(e, "state dir '%s' is not a directory", path), -1;
	}
	/* what is in it decides where mail goes: a directory a stranger made
	 * (or can write, or can swap on the way) is no place to say it */
	fd = roam_open_trusted(path, O_RDONLY | O_DIRECTORY, e);
	if (fd < 0) {
		if (errno != EPERM)
			roam_error_set(e, "cannot open state dir '%s': %s", path,
				       errno == ELOOP ? "it is a symbolic link" : strerror(errno));
		return -1;
	}
	/* fail before the pass, not after it */
	if (faccessat(fd, ".", W_OK | X_OK, AT_EACCESS) < 0) {
		roam_error_set(e, "cannot write to state dir '%s': %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

size_t probe_statedir_load(int dirfd, struct probe_target *t, size_t n,
			   void (*note)(const char *msg))
{
	size_t bad = 0;

	for (size_t i = 0; i < n; i++) {
		struct roam_probestate s;
		struct roam_error e;

		if (!roam_probestate_read_at(dirfd, t[i].addr, &s, &e)) {
			if (errno != ENOENT) {
				bad++;
				if (note)
					note(e.msg);
			}
			continue;
		}
		t[i].hyst = (struct probe_hyst){ .known = true, .alive = s.alive };
		t[i].since = s.since;
		t[i].written = s.checked;
	}
	return bad;
}
