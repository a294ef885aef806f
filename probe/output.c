/* SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <string.h>

#include "output.h"

void probe_method_label(enum roam_probe_method m, uint16_t port, char *buf, size_t len)
{
	if (m == ROAM_PROBE_TCP)
		snprintf(buf, len, "tcp:%u", (unsigned)port);
	else
		snprintf(buf, len, "%s", roam_probe_method_name(m));
}

/* a JSON string: names come from the command line and may hold anything */
static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static void print_json(FILE *f, const struct probe_result *r)
{
	fputs("{\"target\":", f);
	json_string(f, r->name);
	fputs(",\"address\":", f);
	json_string(f, r->address);
	fprintf(f, ",\"state\":\"%s\",\"rtt_ms\":", r->alive ? "alive" : "dead");
	if (r->answered)
		fprintf(f, "%" PRIu32 ".%03" PRIu32, r->rtt_us / 1000, r->rtt_us % 1000);
	else
		fputs("null", f);
	fputs(",\"method\":", f);
	json_string(f, r->method);
	fprintf(f, ",\"checked\":%" PRId64 ",\"since\":%" PRId64 "}\n", r->checked, r->since);
}

static void print_text(FILE *f, const struct probe_result *r)
{
	if (!r->alive)
		fprintf(f, "%s is unreachable\n", r->name);
	else if (r->answered)
		fprintf(f, "%s is alive (%" PRIu32 ".%02" PRIu32 " ms, %s)\n", r->name,
			r->rtt_us / 1000, r->rtt_us % 1000 / 10, r->method);
	else	/* held alive by hysteresis although this pass had no answer */
		fprintf(f, "%s is alive (%s)\n", r->name, r->method);
}

bool probe_print(FILE *f, const struct probe_result *r, bool json)
{
	if (json)
		print_json(f, r);
	else
		print_text(f, r);
	return !ferror(f);
}
