/* SPDX-License-Identifier: MIT */
/* tunnel.c — up, down, status and roam: plan → diff → apply → verify. */
#include <arpa/inet.h>
#include <netlink/errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "link.h"
#include "log.h"
#include "render.h"
#include "resolve.h"
#include "tunnel.h"

struct snapshot {
	struct tunnel_env env;
	struct tunnel_state st;
	struct tunnel_plan plan;
	struct tun_objs have;
	struct tun_diff diff;
	struct in_addr moved_from;	/* remote = NAME: the address it had before, if it moved */
};

/* what was done, to undo it back to front */
struct journal {
	struct {
		struct tun_obj done, before;
		bool created;
	} step[TUN_MAX_OBJS * 2];
	size_t n;
};

/* -vv: how long each step took since the last mark (to see where time goes) */
static void mark(const char *what)
{
	static struct timespec last;
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (last.tv_sec)
		roam_debug("%s: %.2f ms", what, (double)(now.tv_sec - last.tv_sec) * 1e3 +
						  (double)(now.tv_nsec - last.tv_nsec) / 1e6);
	last = now;
}

/* the lab's mode for kernels without ipip: keep the link out of the plan */
static bool drop_link(const struct tunnel_run *r, struct tunnel_plan *p, struct roam_error *e)
{
	size_t n = 0;

	if (!if_nametoindex(r->cfg->name))
		return roam_error_set(e, "existing-link mode: no link %s", r->cfg->name);
	for (size_t i = 0; i < p->n; i++)
		if (p->obj[i].kind != TUN_LINK)
			p->obj[n++] = p->obj[i];
	p->n = n;
	return true;
}

/* remote = NAME: up and roam ask the resolver now (the home's address may
 * have changed: following it is what roam is for); down and status take the
 * address the last change used, which is what the kernel has, and ask the
 * resolver only without one, and then an offline laptop only gets a warning. */
static bool resolve_remote(struct snapshot *s, struct tunnel_cfg *c, bool lenient,
			   struct roam_error *e)
{
	struct roam_error re;

	if (!c->remote_name[0])
		return true;
	if (lenient && s->st.resolved.s_addr) {
		c->remote = s->st.resolved;
		return true;
	}
	if (tun_resolve_ipv4(c->remote_name, &c->remote, &re)) {
		if (s->st.resolved.s_addr && s->st.resolved.s_addr != c->remote.s_addr)
			s->moved_from = s->st.resolved;
		s->st.resolved = c->remote;	/* saved with the changes it brings */
		return true;
	}
	if (!lenient)
		return roam_error_set(e, "%s: %s", c->remote_where, re.msg);
	roam_warn("%s: %s", c->remote_where, re.msg);
	return true;
}

/* The plan for now, from config, state and (with_env) the system. down and
 * status must work when the uplink is gone (the laptop is offline): identity
 * is all they need, so an unknown uplink or address is left blank. */
static bool plan_now(struct tunnel_run *r, struct snapshot *s, bool lenient, bool with_env,
		     struct roam_error *e)
{
	struct tunnel_cfg c = *r->cfg;

	memset(s, 0, sizeof(*s));
	mark("start");
	if (!tunnel_state_load(r->cfg->name, &s->st, e) ||
	    (with_env && !tun_nl_env(r->nl, r->cfg, &s->env, e)))
		return false;
	mark("state and system read");
	s->env.registered = s->st.remote;
	if (!resolve_remote(s, &c, lenient, e))
		return false;
	if (lenient && !s->env.uplink[0])
		snprintf(s->env.uplink, sizeof(s->env.uplink), "%s", "(none)");
	if (lenient && c.local_auto && !s->env.local.s_addr)
		c.local_auto = false;	/* plan "local any" rather than fail */
	if (!tunnel_plan_build(&c, &s->env, &s->plan, e))
		return false;
	return !r->existing_link || drop_link(r, &s->plan, e);
}

/* what the kernel has of the plan, and the difference */
static bool read_kernel(struct tunnel_run *r, struct snapshot *s, struct roam_error *e)
{
	tun_objs_free(&s->have);
	if (!tun_nl_read(r->nl, &s->plan, &s->have, e))
		return false;
	tunnel_diff(&s->plan, &s->have, &s->diff);
	mark("kernel objects read and diffed");
	return true;
}

static bool snapshot(struct tunnel_run *r, struct snapshot *s, bool lenient, struct roam_error *e)
{
	return plan_now(r, s, lenient, true, e) && read_kernel(r, s, e);
}

static void show(struct tunnel_run *r, const char *cmds)
{
	if (r->dry_run) {
		fprintf(r->out, "%s\n", cmds);
		return;
	}
	for (const char *p = cmds; *p;) {	/* one log line per command */
		int len = (int)strcspn(p, "\n");

		roam_info("%.*s", len, p);
		p += len + (p[len] == '\n');
	}
}

static void rollback(struct tunnel_run *r, struct journal *j)
{
	struct roam_error ue;
	char cmd[TUN_RENDER_MAX];

	while (j->n--) {
		const struct tun_obj *done = &j->step[j->n].done, *before = &j->step[j->n].before;
		bool ok;

		if (j->step[j->n].created) {
			tun_render_del(done, cmd, sizeof(cmd));
			ok = tun_nl_del(r->nl, done, &ue);
		} else {
			tun_render_change(before, done, cmd, sizeof(cmd));
			ok = tun_nl_change(r->nl, before, done, &ue);
		}
		if (ok)
			roam_info("rollback: %s", cmd);
		else
			roam_err("rollback failed: %s", ue.msg);
	}
}

static bool apply_one(struct tunnel_run *r, struct snapshot *s, size_t i, struct journal *j,
		      struct roam_error *e)
{
	const struct tun_obj *want = &s->plan.obj[i], *have = &s->diff.current[i];
	char cmd[TUN_RENDER_MAX];
	bool created = s->diff.state[i] == TUN_MISSING;

	if (created)
		tun_render_add(want, cmd, sizeof(cmd));
	else
		tun_render_change(want, have, cmd, sizeof(cmd));
	show(r, cmd);
	if (r->dry_run)
		return true;
	if (!(created ? tun_nl_add(r->nl, want, e) : tun_nl_change(r->nl, want, have, e)))
		return false;
	mark(cmd);
	j->step[j->n].done = *want;
	j->step[j->n].before = *have;
	j->step[j->n++].created = created;
	if (created)
		tunnel_state_mark_created(&s->st, want);
	if (want->kind == TUN_SYSCTL && have->sysctl.value == 0 && s->st.forward_was < 0)
		s->st.forward_was = 0;	/* down turns it off again, and only then */
	return true;
}

static bool verify(struct tunnel_run *r, const struct snapshot *s, struct roam_error *e)
{
	struct tun_objs again = { 0 };
	struct tun_diff d;
	char what[TUN_RENDER_MAX];
	bool ok = tun_nl_read(r->nl, &s->plan, &again, e);

	if (ok) {
		tunnel_diff(&s->plan, &again, &d);
		for (size_t i = 0; ok && i < d.n; i++)
			if (d.state[i] != TUN_PRESENT) {
				tun_describe(&s->plan.obj[i], what, sizeof(what));
				ok = roam_error_set(e, "verify: %s is %s after applying", what,
						    tun_state_name(d.state[i]));
			}
	}
	tun_objs_free(&again);
	return ok;
}

/* the objects of plan `old` that `now` has not, and that up created */
static void keep_stale(struct tunnel_plan *old, const struct tunnel_plan *now,
		       const struct tunnel_state *st)
{
	size_t n = 0;

	for (size_t i = 0; i < old->n; i++) {
		bool planned = false;

		for (size_t j = 0; !planned && j < now->n; j++)
			planned = tun_same_object(&old->obj[i], &now->obj[j]);
		if (!planned && tunnel_state_was_created(st, &old->obj[i]))
			old->obj[n++] = old->obj[i];
	}
	old->n = n;
}

/* remote = NAME moved since the last change: what pinned the old address
 * (the route to it) is in no plan now, so down would never see it again. It
 * goes once the plan for the new address is in place, and only what up made. */
static bool drop_moved(struct tunnel_run *r, struct snapshot *s, struct roam_error *e)
{
	struct tunnel_cfg c = *r->cfg;
	struct tunnel_plan *old = malloc(sizeof(*old));
	struct tun_diff *d = malloc(sizeof(*d));
	struct tun_objs have = { 0 };
	char cmd[TUN_RENDER_MAX];
	bool ok = old && d ? true : roam_error_set(e, "out of memory");

	c.remote = s->moved_from;
	c.local_auto = c.local_auto && s->env.local.s_addr;
	ok = ok && tunnel_plan_build(&c, &s->env, old, e);
	if (ok)
		keep_stale(old, &s->plan, &s->st);
	ok = ok && tun_nl_read(r->nl, old, &have, e);
	if (ok)
		tunnel_diff(old, &have, d);
	for (size_t i = 0; ok && i < old->n; i++) {
		if (d->state[i] != TUN_MISSING) {
			tun_render_del(&d->current[i], cmd, sizeof(cmd));
			show(r, cmd);
			ok = r->dry_run || tun_nl_del(r->nl, &d->current[i], e);
		}
		if (ok)
			tunnel_state_forget(&s->st, &old->obj[i]);
	}
	tun_objs_free(&have);
	free(d);
	free(old);
	return ok;
}

/* applies the diff; on any failure undoes what it did */
static bool apply_diff(struct tunnel_run *r, struct snapshot *s, struct roam_error *e)
{
	struct journal *j = calloc(1, sizeof(*j));
	struct roam_error ue;
	bool ok = j != NULL;

	if (!j)
		return roam_error_set(e, "out of memory");
	for (size_t i = 0; ok && i < s->plan.n; i++)
		if (s->diff.state[i] != TUN_PRESENT)
			ok = apply_one(r, s, i, j, e);
	if (ok && j->n) {
		ok = verify(r, s, e);
		mark("verified");
	}
	/* the new pin is in place (make before break); a stale one is no reason to undo it */
	if (ok && s->moved_from.s_addr && !drop_moved(r, s, &ue))
		roam_warn("%s: what pinned its old address stays: %s", r->cfg->name, ue.msg);
	if (ok && j->n) {
		ok = tunnel_state_save(r->cfg->name, &s->st, e);
		mark("state saved");
	}
	r->changes = tun_nl_changes(r->nl);
	if (!ok && j->n) {
		roam_warn("error after %zu change%s: rolling back", j->n, j->n == 1 ? "" : "s");
		rollback(r, j);
	}
	free(j);
	return ok;
}

enum tunnel_result tunnel_up(struct tunnel_run *r, struct roam_error *e)
{
	struct snapshot *s = malloc(sizeof(*s));
	enum tunnel_result res = TUNNEL_FAILED;

	if (!s)
		return roam_error_set(e, "out of memory"), TUNNEL_FAILED;
	if (snapshot(r, s, false, e) && apply_diff(r, s, e)) {
		res = TUNNEL_OK;
		if (!r->dry_run)
			roam_info("%s: up, %u change%s", r->cfg->name, r->changes,
				  r->changes == 1 ? "" : "s");
	}
	tun_objs_free(&s->have);
	free(s);
	return res;
}

static bool remove_one(struct tunnel_run *r, struct snapshot *s, size_t i, struct roam_error *e)
{
	const struct tun_obj *want = &s->plan.obj[i], *have = &s->diff.current[i];
	char cmd[TUN_RENDER_MAX];
	struct tun_obj off = *have;

	if (s->diff.state[i] == TUN_MISSING)
		return true;
	if (want->kind == TUN_SYSCTL) {
		/* only when roam turned it on, and only if it is still on */
		if (s->st.forward_was != 0 || have->sysctl.value == 0)
			return true;
		off.sysctl.value = 0;
	} else if (s->st.exists && !tunnel_state_was_created(&s->st, want)) {
		return true;	/* it was there before `up`: not ours to remove */
	}
	tun_render_del(&off, cmd, sizeof(cmd));
	show(r, cmd);
	if (r->dry_run)
		return true;
	bool ok = off.kind == TUN_SYSCTL ? tun_nl_change(r->nl, &off, have, e)
					 : tun_nl_del(r->nl, &off, e);
	mark(cmd);
	return ok;
}

/* the device an address, route or proxy entry hangs on; NULL for the others */
static const char *dev_of(const struct tun_obj *o)
{
	switch (o->kind) {
	case TUN_ADDR: return o->addr.dev;
	case TUN_ROUTE: return o->route.dev;
	case TUN_NEIGH: return o->neigh.dev;
	default: return NULL;
	}
}

/* the link down deletes: present and ours (made by up, or no state to say otherwise) */
static bool link_goes(const struct snapshot *s, size_t i)
{
	const struct tun_obj *o = &s->plan.obj[i];

	return o->kind == TUN_LINK && s->diff.state[i] != TUN_MISSING &&
	       (!s->st.exists || tunnel_state_was_created(&s->st, o));
}

/* Moves the planned objects that hang on the link itself to aside: the
 * kernel removes them with the link, so down reads them only if it stays. */
static void set_aside(struct tunnel_plan *p, const char *link, struct tunnel_plan *aside)
{
	size_t n = 0;

	aside->n = 0;
	for (size_t i = 0; i < p->n; i++) {
		const char *dev = dev_of(&p->obj[i]);

		if (dev && !strcmp(dev, link))
			aside->obj[aside->n++] = p->obj[i];
		else
			p->obj[n++] = p->obj[i];
	}
	p->n = n;
}

/* back into the plan, and read again with it: the link stays after all */
static bool take_back(struct tunnel_run *r, struct snapshot *s, struct tunnel_plan *aside,
		      struct roam_error *e)
{
	memcpy(&s->plan.obj[s->plan.n], aside->obj, aside->n * sizeof(aside->obj[0]));
	s->plan.n += aside->n;
	aside->n = 0;
	return read_kernel(r, s, e);
}

static void failed(const struct roam_error *e, struct roam_error *first, bool *ok)
{
	roam_err("%s", e->msg);
	if (*ok)
		*first = *e;
	*ok = false;
}

/* the link could not be deleted: what hangs on it goes one by one */
static void remove_from_link(struct tunnel_run *r, struct snapshot *s, struct tunnel_plan *aside,
			     const size_t *deferred, size_t ndeferred, struct roam_error *first,
			     bool *ok)
{
	size_t from = s->plan.n;
	struct roam_error e;
	/* without a fresh read there is no diff for what was set aside */
	bool read = !aside->n || take_back(r, s, aside, &e);

	if (!read)
		failed(&e, first, ok);
	for (size_t k = 0; k < ndeferred; k++)
		if (!remove_one(r, s, deferred[k], &e))
			failed(&e, first, ok);
	for (size_t i = s->plan.n; read && i-- > from;)
		if (!remove_one(r, s, i, &e))
			failed(&e, first, ok);
}

enum tunnel_result tunnel_down(struct tunnel_run *r, struct roam_error *e)
{
	struct snapshot *s = malloc(sizeof(*s));
	struct tunnel_plan *aside = malloc(sizeof(*aside));
	enum tunnel_result res = TUNNEL_FAILED;
	struct roam_error first = { "" };
	const char *dying = NULL;	/* the link that goes, taking what hangs on it */
	size_t deferred[TUN_MAX_OBJS], ndeferred = 0;
	bool ok = true, link_there = false;

	if (!s || !aside) {
		free(s);
		free(aside);
		return roam_error_set(e, "out of memory"), TUNNEL_FAILED;
	}
	/* only the mobile's plan needs the uplink: its pinned route is on it */
	if (!plan_now(r, s, true, r->cfg->role == ROLE_MOBILE, e))
		goto out;
	aside->n = 0;
	if (!r->existing_link)
		set_aside(&s->plan, r->cfg->name, aside);
	if (!read_kernel(r, s, e))
		goto out;
	for (size_t i = 0; i < s->plan.n; i++) {
		if (s->plan.obj[i].kind == TUN_LINK)
			link_there = s->diff.state[i] != TUN_MISSING;
		if (link_goes(s, i))
			dying = s->plan.obj[i].link.name;
	}
	/* a link that stays (not ours) keeps what is on it: that goes one by one */
	if (link_there && !dying && aside->n && !take_back(r, s, aside, e))
		goto out;
	/* back to front; an error does not stop the rest: leave as little as we can.
	 * Addresses, routes and neighbours on the link are not deleted one by one:
	 * the kernel flushes them when the link goes (as `ip tunnel del` does), and
	 * only if deleting the link fails are they deleted one by one after all. */
	for (size_t i = s->plan.n; i--;) {
		const char *dev = dev_of(&s->diff.current[i]);	/* where the kernel has it */

		if (dying && dev && !strcmp(dev, dying)) {
			deferred[ndeferred++] = i;
			continue;
		}
		if (remove_one(r, s, i, e))
			continue;
		failed(e, &first, &ok);
		if (link_goes(s, i))
			remove_from_link(r, s, aside, deferred, ndeferred, &first, &ok);
	}
	r->changes = tun_nl_changes(r->nl);
	if (!ok)
		*e = first;
	else if (!r->dry_run && !tunnel_state_remove(r->cfg->name, e))
		ok = false;
	if (ok && !r->dry_run)
		roam_info("%s: down, %u change%s", r->cfg->name, r->changes,
			  r->changes == 1 ? "" : "s");
	res = ok ? TUNNEL_OK : TUNNEL_FAILED;
out:
	tun_objs_free(&s->have);
	free(aside);
	free(s);
	return res;
}

enum tunnel_result tunnel_status(struct tunnel_run *r, struct roam_error *e)
{
	struct snapshot *s = malloc(sizeof(*s));
	enum tunnel_result res = TUNNEL_FAILED;
	char what[TUN_RENDER_MAX], kernel[TUN_RENDER_MAX];
	bool link = false;

	if (!s)
		return roam_error_set(e, "out of memory"), TUNNEL_FAILED;
	if (!snapshot(r, s, true, e))
		goto out;
	for (size_t i = 0; i < s->plan.n; i++) {
		tun_describe(&s->plan.obj[i], what, sizeof(what));
		fprintf(r->out, "%-9s  %s\n", tun_state_name(s->diff.state[i]), what);
		if (s->diff.state[i] == TUN_DIFFERENT) {
			tun_describe(&s->diff.current[i], kernel, sizeof(kernel));
			fprintf(r->out, "%-9s    kernel: %s\n", "", kernel);
		}
		if (s->plan.obj[i].kind == TUN_LINK && s->diff.state[i] != TUN_MISSING &&
		    tun_link_kind(&s->diff.current[i].link)->status)
			tun_link_kind(&s->diff.current[i].link)->status(r->out,
									&s->diff.current[i].link);
		if (s->plan.obj[i].kind == TUN_LINK)
			link = s->diff.state[i] != TUN_MISSING;
		else if (r->existing_link && s->plan.obj[i].kind != TUN_SYSCTL)
			link = link || s->diff.state[i] != TUN_MISSING;	/* no link in the plan */
	}
	res = s->diff.present == s->plan.n ? TUNNEL_OK : link ? TUNNEL_PARTIAL : TUNNEL_DOWN;
out:
	tun_objs_free(&s->have);
	free(s);
	return res;
}

static size_t link_index(const struct tunnel_plan *p)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->obj[i].kind == TUN_LINK)
			return i;
	return 0;
}

/* Until a registration gets through, the gateway sends the home address to
 * where the mobile was: remember that, so the next roam (cron's, or the next
 * hook) tries again even when no address changed. A refusal is not retried:
 * the same address would be refused again. */
static void remember_registration(struct tunnel_run *r, bool pending)
{
	struct tunnel_state st;
	struct roam_error e = { 0 };
	int lock = tunnel_state_lock(r->cfg->name, &e);

	if (lock < 0 || !tunnel_state_load(r->cfg->name, &st, &e))
		goto fail;
	if (st.register_pending != pending) {
		st.register_pending = pending;
		if (!tunnel_state_save(r->cfg->name, &st, &e))
			goto fail;
	}
	close(lock);
	return;
fail:
	roam_warn("%s: cannot remember the registration: %s", r->cfg->name, e.msg);
	if (lock >= 0)
		close(lock);
}

/* ssh to the gateway's forced `register`, without our lock held */
static enum tunnel_result register_with_gateway(struct tunnel_run *r, struct roam_error *e)
{
	enum tunnel_result res = TUNNEL_FAILED;

	if (r->lock >= 0) {
		close(r->lock);
		r->lock = -1;
	}
	switch (tunnel_register_call(r->cfg->reg, r->cfg->reg_timeout, e)) {
	case 0:
		roam_notice("%s: registered with %s", r->cfg->name, r->cfg->reg);
		res = TUNNEL_OK;
		break;
	case 5:		/* the gateway's TUNNEL_EXIT_REFUSED, passed through by ssh */
		roam_error_set(e, "registration with %s refused", r->cfg->reg);
		res = TUNNEL_REFUSED;
		break;
	case -1:
		break;
	default:
		roam_error_set(e, "registration with %s failed", r->cfg->reg);
	}
	remember_registration(r, res == TUNNEL_FAILED);
	return res;
}

/* roam, the link in place: its kind tells the peer at once where we are now
 * (wireguard: a keepalive from the new address), even when nothing changed
 * here: a guest network's NAT may have forgotten us all the same */
static bool announce(struct tunnel_run *r, const struct snapshot *s, struct roam_error *e)
{
	const struct tun_link *l = &s->plan.obj[link_index(&s->plan)].link;
	const struct link_kind *kind = tun_link_kind(l);
	char cmd[TUN_RENDER_MAX];
	int err;

	if (!kind->announce)
		return true;
	err = kind->announce(r->dry_run ? NULL : r->nl, l, cmd, sizeof(cmd));
	r->changes = tun_nl_changes(r->nl);
	if (cmd[0])
		show(r, cmd);
	return err >= 0 || roam_error_set(e, "netlink: announce %s to its peer: %s", l->name,
					  nl_geterror(err));
}

enum tunnel_result tunnel_roam(struct tunnel_run *r, struct roam_error *e)
{
	struct snapshot *s;
	enum tunnel_result res = TUNNEL_FAILED;
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	bool retry;
	size_t li;

	if (r->cfg->role != ROLE_MOBILE || r->existing_link)
		return roam_error_set(e, "roam: only a mobile roams (role = gateway)"), TUNNEL_BADUSE;
	if (!(s = malloc(sizeof(*s))))
		return roam_error_set(e, "out of memory"), TUNNEL_FAILED;
	if (!snapshot(r, s, false, e))
		goto out;
	li = link_index(&s->plan);
	if (s->diff.state[li] == TUN_MISSING) {
		roam_error_set(e, "%s is not up: nothing to roam (run roam-tunnel up)", r->cfg->name);
		res = TUNNEL_DOWN;
		goto out;
	}
	retry = r->cfg->reg[0] && s->st.register_pending;
	if (s->diff.present == s->plan.n && !retry) {
		roam_info("%s: no new address or router, nothing to change", r->cfg->name);
		res = announce(r, s, e) ? TUNNEL_OK : TUNNEL_FAILED;
		goto out;
	}
	if (s->diff.present == s->plan.n)
		roam_notice("%s: the last registration did not get through; registering again",
			    r->cfg->name);
	else if (!apply_diff(r, s, e))
		goto out;
	if (!r->dry_run && s->diff.state[li] == TUN_DIFFERENT &&
	    s->diff.current[li].link.local.s_addr != s->plan.obj[li].link.local.s_addr)
		roam_notice("%s: local %s -> %s", r->cfg->name,
			    inet_ntop(AF_INET, &s->diff.current[li].link.local, a, sizeof(a)),
			    inet_ntop(AF_INET, &s->plan.obj[li].link.local, b, sizeof(b)));
	if (!announce(r, s, e))
		goto out;
	res = TUNNEL_OK;
	if (!r->cfg->reg[0])
		goto out;
	if (r->dry_run) {
		fprintf(r->out, "ssh -T %s\n", r->cfg->reg);
		goto out;
	}
	res = register_with_gateway(r, e);
out:
	tun_objs_free(&s->have);
	free(s);
	return res;
}
