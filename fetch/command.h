/* SPDX-License-Identifier: MIT */
/*
 * command.h — ssh_command's words: split without a shell, %h %p filled in.
 *
 * The value is split into words at blanks (space, tab). Quoting, a subset of
 * sh(1)'s with nothing expanded: '…' keeps everything up to the next ' as it
 * is; "…" too, except that \" and \\ stand for " and \ in it; outside quotes
 * a backslash keeps the next character as it is ("a\ b" is one word). No
 * variables, globs, redirections or pipes: $, *, >, | and ; are ordinary
 * characters. After splitting, in each word, %h is the POP3 host and %p its
 * port as the ssh server sees them (server_host, server_port), %% is one %; any
 * other % is an error. A value that yields no word, an empty first word, an
 * unbalanced quote or a trailing backslash is an error.
 */
#ifndef ROAM_FETCH_COMMAND_H
#define ROAM_FETCH_COMMAND_H

#include <stdbool.h>

#include "error.h"

/* The words of text, NULL-terminated, malloc'd (command_free); NULL + e
 * ("unbalanced ' quote", …) when text is not a valid command. */
char **command_split(const char *text, struct roam_error *e);

/* words with %h %p %% replaced: a new NULL-terminated array; NULL when out
 * of memory (the words were checked by command_split). */
char **command_expand(char *const *words, const char *host, int port);

void command_free(char **words);

#endif
