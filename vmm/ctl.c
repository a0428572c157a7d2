/* The control socket server on the VMM's event loop (see ctl.h and common/ctl.h). */
#include "vmm/ctl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"

/* Messages handled per wake-up of one client before others get their turn. */
#define CTL_CLIENT_BATCH 32

struct ctl_client {
	struct ctl_client *next;
	struct ctl *ctl;
	uint32_t serial;
	struct pconn conn;
	bool closing; /* answer what is queued, take nothing more, then close */
};

static void ctl_client_close(struct ctl_client *cl)
{
	struct ctl *c = cl->ctl;

	for (struct ctl_client **pp = &c->clients; *pp; pp = &(*pp)->next) {
		if (*pp == cl) {
			*pp = cl->next;
			break;
		}
	}
	c->n_clients--;
	log_debug("ctl: client %u gone", cl->serial);
	pconn_fini(&cl->conn);
	free(cl);
}

static struct ctl_client *ctl_client_find(struct ctl *c, uint32_t serial)
{
	for (struct ctl_client *cl = c->clients; cl; cl = cl->next)
		if (cl->serial == serial)
			return cl;
	return NULL;
}

/* After queueing: sends, and closes a client that is broken, not reading, or done.
 * Returns false when cl is gone. */
static bool ctl_client_push(struct ctl_client *cl)
{
	if (!pconn_room(&cl->conn, 0)) {
		log_warn("ctl: client %u does not read its answers: dropped", cl->serial);
		ctl_client_close(cl);
		return false;
	}
	if (pconn_flush(&cl->conn) < 0 || (cl->closing && !pconn_pending(&cl->conn))) {
		ctl_client_close(cl);
		return false;
	}
	return true;
}

static void ctl_client_result(struct ctl_client *cl, uint32_t id, int err, const char *msg)
{
	struct proto_result r = { .err = err };

	snprintf(r.msg, sizeof(r.msg), "%s", msg ? msg : "");
	proto_enc_result(&cl->conn.tx, PROTO_RESULT, id, &r);
}

static int ctl_encode(struct pconn *agent, const struct ctl_req *q, uint32_t gid)
{
	switch (q->type) {
	case PROTO_SIGNAL:
		return proto_enc_signal(&agent->tx, gid, &q->sig);
	case PROTO_RESIZE:
		return proto_enc_resize(&agent->tx, gid, &q->rsz);
	case PROTO_EXEC:
		return proto_enc_exec(&agent->tx, gid, &q->exec);
	case PROTO_UPDATE:
		return proto_enc_update(&agent->tx, gid, &q->upd);
	default:
		return proto_enc_empty(&agent->tx, q->type, gid);
	}
}

/* Sends a client's request on to the guest under an id of ours. */
static void ctl_forward(struct ctl_client *cl, const struct proto_hdr *h, struct ctl_req *q)
{
	struct ctl *c = cl->ctl;
	struct pconn *agent = c->ops->agent(c->arg);
	struct proto_result err = { 0 };
	struct ctl_pending dummy;
	uint32_t gid, proc = q->type == PROTO_EXEC ? q->exec.proc_id : 0;
	int ret;

	if (!agent)
		return ctl_client_result(cl, q->id, -ESRCH, "container not running");
	if (!pconn_room(agent, PROTO_HDR_SIZE + (size_t)h->len))
		return ctl_client_result(cl, q->id, -EAGAIN,
					 "the guest is not taking requests (paused?)");
	if (q->type == PROTO_EXEC && (ret = ctl_route_proc_reserve(&c->route, proc, cl->serial))) {
		snprintf(err.msg, sizeof(err.msg), ret == -EEXIST ? "process id %u is in use"
				   : "too many processes", proc);
		return ctl_client_result(cl, q->id, ret, err.msg);
	}
	ret = ctl_route_add(&c->route, cl->serial, q->id, q->type, proc, &gid);
	if (ret) {
		if (proc)
			ctl_route_proc_release(&c->route, proc);
		return ctl_client_result(cl, q->id, ret, "too many requests in flight");
	}
	if (q->type == PROTO_START && (ret = c->ops->start(c->arg, &err))) {
		ctl_route_take(&c->route, gid, &dummy);
		return ctl_client_result(cl, q->id, ret, err.msg);
	}
	ret = ctl_encode(agent, q, gid);
	if (ret) {
		ctl_route_take(&c->route, gid, &dummy);
		if (proc)
			ctl_route_proc_release(&c->route, proc);
		return ctl_client_result(cl, q->id, ret, "request too large");
	}
	/* A broken agent connection is noticed (and handled) by its own callback. */
	pconn_flush(agent);
}

/* Returns false when the client must be dropped at once. */
static bool ctl_client_request(struct ctl_client *cl, const struct proto_hdr *h, const uint8_t *p)
{
	struct ctl *c = cl->ctl;
	struct proto_result err = { 0 };
	struct ctl_req q;
	int ret = ctl_req_parse(h, p, &q, &err);

	if (ret == -EPROTO) {
		log_warn("ctl: client %u sent a message with id 0: dropped", cl->serial);
		return false;
	}
	if (ret) {
		log_warn("ctl: client %u: %s: dropped", cl->serial, err.msg);
		ctl_client_result(cl, h->id, ret, err.msg);
		cl->closing = true;
		return true;
	}
	switch (q.type) {
	case CTL_STATUS:
		ctl_client_result(cl, q.id, 0, c->ops->status(c->arg));
		break;
	case CTL_PAUSE:
	case CTL_RESUME:
		ret = c->ops->pause(c->arg, q.type == CTL_PAUSE, &err);
		ctl_client_result(cl, q.id, ret, ret ? err.msg : NULL);
		break;
	default:
		ctl_forward(cl, h, &q);
	}
	proto_exec_free(&q.exec);
	proto_update_free(&q.upd);
	return true;
}

/* A closing client's input is read and thrown away; its EOF closes it. */
static bool ctl_client_discard(struct ctl_client *cl)
{
	char buf[4096];
	ssize_t n = recv(cl->conn.fd, buf, sizeof(buf), MSG_DONTWAIT);

	return n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR));
}

static void ctl_on_client(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	struct ctl_client *cl = arg;
	struct proto_hdr h;
	const uint8_t *p;

	if (pconn_on_out(&cl->conn, events) && !ctl_client_push(cl))
		return;
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	if (cl->closing) {
		if (!ctl_client_discard(cl))
			ctl_client_close(cl);
		return;
	}
	for (int i = 0; i < CTL_CLIENT_BATCH && !cl->closing; i++) {
		int ret = pconn_next(&cl->conn, &h, &p);

		if (ret == 0)
			break;
		if (ret < 0) {
			if (ret != -ESHUTDOWN)
				log_warn("ctl: client %u: %s: dropped", cl->serial, strerror(-ret));
			ctl_client_close(cl);
			return;
		}
		if (!ctl_client_request(cl, &h, p)) {
			ctl_client_close(cl);
			return;
		}
	}
	ctl_client_push(cl);
}

static bool ctl_peer_ok(int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		return false;
	return cr.uid == 0 || cr.uid == geteuid();
}

static void ctl_on_accept(struct ev_loop *loop, int lfd, uint32_t events, void *arg)
{
	struct ctl *c = arg;

	for (int i = 0; i < 16; i++) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		struct ctl_client *cl;

		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				log_warn("ctl: accept: %s", strerror(errno));
			return;
		}
		if (c->n_clients >= CTL_MAX_CLIENTS || !ctl_peer_ok(fd) ||
		    !(cl = calloc(1, sizeof(*cl)))) {
			log_warn("ctl: connection refused (too many clients, or a stranger)");
			close(fd);
			continue;
		}
		cl->ctl = c;
		if (!++c->next_serial)
			c->next_serial = 1;
		cl->serial = c->next_serial;
		if (pconn_init(&cl->conn, loop, fd, CTL_CLIENT_TX_MAX, ctl_on_client, cl)) {
			close(fd);
			free(cl);
			continue;
		}
		cl->next = c->clients;
		c->clients = cl;
		c->n_clients++;
		log_debug("ctl: client %u connected", cl->serial);
	}
}

int ctl_listen(struct ctl *c, struct ev_loop *loop, const char *path, const struct ctl_ops *ops,
	       void *arg)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int ret;

	memset(c, 0, sizeof(*c));
	c->lfd = -1;
	c->loop = loop;
	c->ops = ops;
	c->arg = arg;
	ctl_route_init(&c->route);
	if (!path)
		return 0;
	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);
	if (!lstat(path, &st)) {
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST;
		unlink(path);
	}
	c->path = strdup(path);
	c->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (!c->path || c->lfd < 0)
		return c->path ? -errno : -ENOMEM;
	/* The socket file is created 0600 from the start (umask), not chmod'ed later. */
	old = umask(0177);
	ret = bind(c->lfd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (ret < 0 || listen(c->lfd, 64) < 0) {
		ret = -errno;
		free(c->path);
		c->path = NULL; /* not ours to unlink */
		return ret;
	}
	return 0;
}

int ctl_serve(struct ctl *c)
{
	int ret;

	if (c->serving || c->lfd < 0)
		return 0;
	ret = ev_add(c->loop, c->lfd, EPOLLIN, ctl_on_accept, c);
	c->serving = !ret;
	return ret;
}

void ctl_fini(struct ctl *c)
{
	while (c->clients)
		ctl_client_close(c->clients);
	if (c->lfd >= 0) {
		if (c->serving)
			ev_del(c->loop, c->lfd);
		close(c->lfd);
	}
	if (c->path)
		unlink(c->path);
	free(c->path);
	c->path = NULL;
	c->lfd = -1;
	c->serving = false;
}

/* The guest's answer, re-addressed to the client's id. */
static void ctl_answer_client(struct ctl_client *cl, const struct proto_hdr *h,
			      const uint8_t *payload, const struct ctl_pending *p,
			      const struct proto_result *res, int res_err)
{
	uint32_t *pids, n = 0;
	int ret;

	if (h->type == PROTO_RESULT) {
		if (res_err)
			ctl_client_result(cl, p->client_id, -EPROTO,
					  "malformed answer from the guest");
		else
			proto_enc_result(&cl->conn.tx, PROTO_RESULT, p->client_id, res);
		return;
	}
	if (p->type != PROTO_PS)
		return ctl_client_result(cl, p->client_id, -EPROTO, "wrong answer from the guest");
	pids = malloc(PROTO_MAX_PIDS * sizeof(*pids));
	ret = pids ? proto_dec_ps_result(payload, h->len, pids, PROTO_MAX_PIDS, &n) : -ENOMEM;
	if (!ret)
		ret = proto_enc_ps_result(&cl->conn.tx, p->client_id, pids, n);
	if (ret)
		ctl_client_result(cl, p->client_id, ret, "ps: malformed answer from the guest");
	free(pids);
}

int ctl_guest_answer(struct ctl *c, const struct proto_hdr *h, const uint8_t *payload,
		     struct ctl_pending *vmm_req)
{
	struct proto_result res = { 0 };
	struct ctl_pending p;
	struct ctl_client *cl;
	int res_err = -EPROTO;

	if (ctl_route_take(&c->route, h->id, &p))
		return -ENOENT;
	if (p.owner == CTL_OWNER_VMM) {
		*vmm_req = p;
		return 1;
	}
	if (h->type == PROTO_RESULT)
		res_err = proto_dec_result(payload, h->len, &res);
	if (p.type == PROTO_EXEC) {
		if (res_err || res.err)
			ctl_route_proc_release(&c->route, p.proc_id);
		else
			ctl_route_proc_live(&c->route, p.proc_id);
	}
	cl = ctl_client_find(c, p.owner);
	if (!cl)
		return 0; /* it left: the answer is dropped */
	ctl_answer_client(cl, h, payload, &p, &res, res_err);
	ctl_client_push(cl);
	return 0;
}

void ctl_guest_exit(struct ctl *c, const struct proto_exit *e)
{
	struct ctl_client *cl;
	uint32_t owner;

	if (ctl_route_proc_owner(&c->route, e->proc_id, &owner)) {
		log_debug("ctl: exit of untracked process %u", e->proc_id);
		return;
	}
	ctl_route_proc_release(&c->route, e->proc_id);
	cl = ctl_client_find(c, owner);
	if (!cl)
		return;
	proto_enc_exit(&cl->conn.tx, e);
	if (!ctl_route_procs_of(&c->route, cl->serial))
		cl->closing = true;
	ctl_client_push(cl);
}
