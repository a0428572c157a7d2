/* Control-socket bookkeeping as pure functions: guest ids for requests in flight,
 * owners of exec'd processes, and the check of a client's request (see ctl.h). */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vmm/ctl.h"

void ctl_route_init(struct ctl_route *r)
{
	r->next_id = 1;
	r->n_pending = r->n_procs = 0;
}

static struct ctl_pending *ctl_route_find(struct ctl_route *r, uint32_t guest_id)
{
	for (uint32_t i = 0; i < r->n_pending; i++)
		if (r->pending[i].guest_id == guest_id)
			return &r->pending[i];
	return NULL;
}

uint32_t ctl_route_pending_of(const struct ctl_route *r, uint32_t owner)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < r->n_pending; i++)
		n += r->pending[i].owner == owner;
	return n;
}

int ctl_route_add(struct ctl_route *r, uint32_t owner, uint32_t client_id, uint16_t type,
		  uint32_t proc_id, uint32_t *guest_id)
{
	uint32_t id;

	if (r->n_pending == CTL_MAX_PENDING)
		return -EAGAIN;
	if (owner != CTL_OWNER_VMM && ctl_route_pending_of(r, owner) >= CTL_MAX_PENDING_OWNER)
		return -EAGAIN;
	/* Ids wrap after 2^32 requests; one still in flight is skipped (there are far
	 * fewer in flight than ids, so this ends). */
	do {
		id = r->next_id++;
		if (!r->next_id)
			r->next_id = 1;
	} while (!id || ctl_route_find(r, id));
	r->pending[r->n_pending++] = (struct ctl_pending){
		.guest_id = id, .owner = owner, .client_id = client_id, .type = type,
		.proc_id = proc_id
	};
	*guest_id = id;
	return 0;
}

int ctl_route_take(struct ctl_route *r, uint32_t guest_id, struct ctl_pending *p)
{
	struct ctl_pending *e = guest_id ? ctl_route_find(r, guest_id) : NULL;

	if (!e)
		return -ENOENT;
	*p = *e;
	/* Order does not matter: answers are matched by id. */
	*e = r->pending[--r->n_pending];
	return 0;
}

static struct ctl_proc *ctl_route_proc(const struct ctl_route *r, uint32_t proc_id)
{
	for (uint32_t i = 0; i < r->n_procs; i++)
		if (r->procs[i].proc_id == proc_id)
			return (struct ctl_proc *)&r->procs[i];
	return NULL;
}

int ctl_route_proc_reserve(struct ctl_route *r, uint32_t proc_id, uint32_t owner)
{
	if (proc_id < CTL_EXEC_PROC_MIN)
		return -EINVAL;
	if (ctl_route_proc(r, proc_id))
		return -EEXIST;
	if (r->n_procs == CTL_MAX_EXECS)
		return -EAGAIN;
	r->procs[r->n_procs++] = (struct ctl_proc){ .proc_id = proc_id, .owner = owner };
	return 0;
}

void ctl_route_proc_live(struct ctl_route *r, uint32_t proc_id)
{
	struct ctl_proc *p = ctl_route_proc(r, proc_id);

	if (p)
		p->live = true;
}

void ctl_route_proc_release(struct ctl_route *r, uint32_t proc_id)
{
	struct ctl_proc *p = ctl_route_proc(r, proc_id);

	if (p)
		*p = r->procs[--r->n_procs];
}

int ctl_route_proc_owner(const struct ctl_route *r, uint32_t proc_id, uint32_t *owner)
{
	const struct ctl_proc *p = ctl_route_proc(r, proc_id);

	if (!p)
		return -ENOENT;
	*owner = p->owner;
	return 0;
}

uint32_t ctl_route_procs_of(const struct ctl_route *r, uint32_t owner)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < r->n_procs; i++)
		n += r->procs[i].owner == owner;
	return n;
}

static int ctl_req_fail(struct proto_result *err, int e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int ctl_req_fail(struct proto_result *err, int e, const char *fmt, ...)
{
	va_list ap;

	memset(err, 0, sizeof(*err));
	err->err = e;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return e;
}

/* Files of the container's own cgroup only; the guest checks this too. */
static int ctl_req_update(const struct proto_hdr *h, const uint8_t *p, struct ctl_req *req,
			  struct proto_result *err)
{
	int ret = proto_dec_update(p, h->len, &req->upd);

	if (ret) {
		proto_update_free(&req->upd);
		return ctl_req_fail(err, ret, "malformed request of type %u", h->type);
	}
	for (uint32_t i = 0; i < req->upd.n_cgroup; i++) {
		const char *k = req->upd.cgroup[i].key;

		if (!k[0] || k[0] == '.' || strchr(k, '/') || !strncmp(k, "cgroup.", 7)) {
			ret = ctl_req_fail(err, -EINVAL, "update: cgroup file \"%s\" is not allowed",
					   k);
			proto_update_free(&req->upd);
			return ret;
		}
	}
	return 0;
}

int ctl_req_parse(const struct proto_hdr *h, const uint8_t *p, struct ctl_req *req,
		  struct proto_result *err)
{
	int ret = 0;

	memset(req, 0, sizeof(*req));
	req->type = h->type;
	req->id = h->id;
	if (!h->id)
		return -EPROTO;
	switch (h->type) {
	case PROTO_START:
	case PROTO_PS:
	case CTL_PAUSE:
	case CTL_RESUME:
	case CTL_STATUS:
		if (h->len)
			return ctl_req_fail(err, -EBADMSG, "request type %u takes no payload",
					    h->type);
		return 0;
	case PROTO_SIGNAL:
		ret = proto_dec_signal(p, h->len, &req->sig);
		if (ret)
			break;
		if (!req->sig.signo || req->sig.signo > (uint32_t)SIGRTMAX)
			return ctl_req_fail(err, -EINVAL, "invalid signal %u", req->sig.signo);
		if (req->sig.flags & ~PROTO_SIGNAL_ALL)
			return ctl_req_fail(err, -EINVAL, "unknown signal flags 0x%x",
					    req->sig.flags);
		return 0;
	case PROTO_RESIZE:
		ret = proto_dec_resize(p, h->len, &req->rsz);
		break;
	case PROTO_UPDATE:
		return ctl_req_update(h, p, req, err);
	case PROTO_EXEC:
		ret = proto_dec_exec(p, h->len, &req->exec);
		if (ret) {
			proto_exec_free(&req->exec);
			break;
		}
		if (req->exec.proc_id < CTL_EXEC_PROC_MIN) {
			uint32_t id = req->exec.proc_id;

			proto_exec_free(&req->exec);
			return ctl_req_fail(err, -EINVAL, "exec: process id %u is reserved", id);
		}
		/* The ports below belong to the VMM (its agent, the init's stdio and
		 * extra fds). */
		for (uint32_t i = 0; i < 3 + req->exec.process.n_extra; i++) {
			uint32_t port = i < 3 ? req->exec.process.stdio[i]
					      : req->exec.process.extra[i - 3].port;

			if (port && port < CTL_EXEC_PORT_MIN) {
				proto_exec_free(&req->exec);
				return ctl_req_fail(err, -EINVAL, "exec: port %u is reserved",
						    port);
			}
		}
		return 0;
	default:
		return ctl_req_fail(err, -EOPNOTSUPP, "unknown request type %u", h->type);
	}
	if (ret)
		return ctl_req_fail(err, ret, "malformed request of type %u", h->type);
	return 0;
}
