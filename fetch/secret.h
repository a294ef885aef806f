/* SPDX-License-Identifier: MIT */
/*
 * secret.h — the POP3 password, never from the command line: from a file only
 * its owner can read (fetchmail refuses a readable .netrc the same way) or
 * from the first output line of a command (a password manager).
 */
#ifndef ROAM_FETCH_SECRET_H
#define ROAM_FETCH_SECRET_H

#include "error.h"

/* The first line of path (without its newline), malloc'd. Refused with
 * *code = FETCH_EXIT_IOERR when the file is not a regular file owned by the
 * user, or grants any permission to group or others. */
char *secret_from_file(const char *path, int *code, struct roam_error *e);

/* The first output line of `sh -c cmd`; the command must exit 0.
 * *code = FETCH_EXIT_AUTH when it fails or prints nothing. */
char *secret_from_command(const char *cmd, int *code, struct roam_error *e);

/* Wipes and frees; NULL is allowed. */
void secret_free(char *s);

#endif
