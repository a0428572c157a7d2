/* Control socket client (see ctl.h). */
#include "runtime/ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int rt_unix_addr(const char *dir, const char *name, struct sockaddr_un *sa, int *dirfd)
{
	int n;

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	*dirfd = -1;
	n = snprintf(sa->sun_path, sizeof(sa->sun_path), "%s/%s", dir, name);
	if (n > 0 && (size_t)n < sizeof(sa->sun_path))
		return 0;
	*dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (*dirfd < 0)
		return -errno;
	n = snprintf(sa->sun_path, sizeof(sa->sun_path), "/proc/self/fd/%d/%s", *dirfd, name);
	if (n < 0 || (size_t)n >= sizeof(sa->sun_path)) {
		close(*dirfd);
		*dirfd = -1;
		return -ENAMETOOLONG;
	}
	return 0;
}

int rt_ctl_open(const char *dir, struct agent_conn *conn, struct rt_err *err)
{
	struct sockaddr_un sa;
	int fd, dfd, r;

	memset(conn, 0, sizeof(*conn));
	conn->fd = -1;
	r = rt_unix_addr(dir, CTL_SOCKET_NAME, &sa, &dfd);
	if (r < 0)
		return rt_err_sys(err, r, "control socket in %s", dir);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		r = -errno;
	else if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		r = -errno;
	if (dfd >= 0)
		close(dfd);
	if (r < 0) {
		if (fd >= 0)
			close(fd);
		/* No VMM listening: it has exited, or is on its way out. */
		if (r == -ECONNREFUSED || r == -ENOENT)
			return rt_err_set(err, ESRCH, "container not running");
		return rt_err_sys(err, r, "connect to %s/" CTL_SOCKET_NAME, dir);
	}
	conn->fd = fd;
	conn->next_id = 1;
	conn->timeout_ms = RT_CTL_TIMEOUT_MS;
	return 0;
}

static int ctl_wait(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int n;

	do
		n = poll(&p, 1, timeout_ms);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n ? 0 : -ETIMEDOUT;
}

int rt_ctl_call(struct agent_conn *conn, uint16_t type, struct proto_result *res,
		struct rt_err *err)
{
	uint32_t id = conn->next_id++;
	struct proto_buf b;
	struct proto_hdr h;
	uint8_t *p = NULL;
	int r;

	proto_buf_init(&b);
	r = proto_enc_empty(&b, type, id);
	if (r == 0)
		r = proto_send(conn->fd, &b);
	proto_buf_fini(&b);
	/* Events (id 0) are not ours to handle here: a plain request skips them. */
	while (r == 0) {
		r = ctl_wait(conn->fd, conn->timeout_ms);
		if (r == 0)
			r = proto_recv(conn->fd, &h, &p);
		if (r < 0)
			break;
		if (h.id == id) {
			r = h.type == PROTO_RESULT ? proto_dec_result(p, h.len, res) : -EPROTO;
			free(p);
			if (r < 0)
				break;
			if (res->err < 0)
				return rt_err_set(err, -res->err, "%s",
						  res->msg[0] ? res->msg : strerror(-res->err));
			return 0;
		}
		free(p);
		p = NULL;
	}
	if (r == -ESHUTDOWN || r == -ECONNRESET || r == -EPIPE)
		return rt_err_set(err, ESRCH, "container not running");
	if (r == -ETIMEDOUT)
		return rt_err_set(err, ETIMEDOUT, "no answer from the VMM within %d s",
				  conn->timeout_ms / 1000);
	return rt_err_sys(err, r, "control socket");
}

int rt_ctl_request(const char *dir, uint16_t type, struct rt_err *err)
{
	struct agent_conn conn;
	struct proto_result res;
	int r;

	r = rt_ctl_open(dir, &conn, err);
	if (r < 0)
		return r;
	r = rt_ctl_call(&conn, type, &res, err);
	agent_close(&conn);
	return r;
}
