/* epoll event loop with per-fd callbacks. Handlers are looked up by fd each time an
 * event is dispatched, so deleting a handler inside another callback is safe. */
#include "vmm/ev.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct ev_handler {
	int fd;
	ev_cb cb;
	void *arg;
	struct ev_handler *next;
};

#define EV_BUCKETS 256

struct ev_loop {
	int epfd;
	bool stop;
	int code;
	struct ev_handler *bucket[EV_BUCKETS];
};

struct ev_loop *ev_create(void)
{
	struct ev_loop *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		free(l);
		return NULL;
	}
	return l;
}

void ev_destroy(struct ev_loop *l)
{
	if (!l)
		return;
	for (unsigned i = 0; i < EV_BUCKETS; i++) {
		struct ev_handler *h = l->bucket[i];

		while (h) {
			struct ev_handler *n = h->next;

			free(h);
			h = n;
		}
	}
	close(l->epfd);
	free(l);
}

static struct ev_handler **ev_slot(struct ev_loop *l, int fd)
{
	struct ev_handler **p = &l->bucket[(unsigned)fd % EV_BUCKETS];

	while (*p && (*p)->fd != fd)
		p = &(*p)->next;
	return p;
}

int ev_add(struct ev_loop *l, int fd, uint32_t events, ev_cb cb, void *arg)
{
	struct ev_handler **p = ev_slot(l, fd);
	struct epoll_event e = { .events = events, .data.fd = fd };

	if (*p)
		return -EEXIST;
	struct ev_handler *h = calloc(1, sizeof(*h));

	if (!h)
		return -ENOMEM;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &e) < 0) {
		int err = -errno;

		free(h);
		return err;
	}
	*h = (struct ev_handler){ .fd = fd, .cb = cb, .arg = arg };
	*p = h;
	return 0;
}

int ev_mod(struct ev_loop *l, int fd, uint32_t events)
{
	struct epoll_event e = { .events = events, .data.fd = fd };

	if (!*ev_slot(l, fd))
		return -ENOENT;
	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &e) < 0 ? -errno : 0;
}

int ev_del(struct ev_loop *l, int fd)
{
	struct ev_handler **p = ev_slot(l, fd);
	struct ev_handler *h = *p;

	if (!h)
		return -ENOENT;
	*p = h->next;
	free(h);
	/* The fd may already be closed by its owner; that removed it from epoll. */
	if (epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL) < 0 && errno != EBADF && errno != ENOENT)
		return -errno;
	return 0;
}

int ev_run(struct ev_loop *l)
{
	struct epoll_event evs[64];

	while (!l->stop) {
		int n = epoll_wait(l->epfd, evs, (int)(sizeof(evs) / sizeof(evs[0])), -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < n && !l->stop; i++) {
			struct ev_handler *h = *ev_slot(l, evs[i].data.fd);

			/* A handler deleted by an earlier callback in this batch is skipped. */
			if (h)
				h->cb(l, h->fd, evs[i].events, h->arg);
		}
	}
	return l->code;
}

void ev_stop(struct ev_loop *l, int code)
{
	l->stop = true;
	l->code = code;
}

bool ev_stopped(const struct ev_loop *l)
{
	return l->stop;
}
