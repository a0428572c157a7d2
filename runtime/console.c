/* Host ptys and the console socket (see console.h). */
#include "runtime/console.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int rt_tty_raw(int fd, struct termios *saved)
{
	struct termios t;

	if (tcgetattr(fd, &t) < 0)
		return -errno;
	if (saved)
		*saved = t;
	cfmakeraw(&t);
	return tcsetattr(fd, TCSANOW, &t) < 0 ? -errno : 0;
}

int rt_pty_open(struct rt_pty *p, uint16_t rows, uint16_t cols, struct rt_err *err)
{
	p->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	p->slave = -1;
	if (p->master < 0)
		return rt_err_sys(err, errno, "open a pty");
	if (grantpt(p->master) < 0 || unlockpt(p->master) < 0 ||
	    ptsname_r(p->master, p->name, sizeof(p->name)) != 0)
		goto fail;
	p->slave = open(p->name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (p->slave < 0)
		goto fail;
	if (rt_tty_raw(p->slave, NULL) < 0)
		goto fail;
	if (rows && cols) {
		struct winsize ws = { .ws_row = rows, .ws_col = cols };

		if (ioctl(p->master, TIOCSWINSZ, &ws) < 0)
			goto fail;
	}
	return 0;
fail:
	rt_err_sys(err, errno, "set up a pty");
	rt_pty_close(p);
	return -EIO;
}

void rt_pty_close(struct rt_pty *p)
{
	if (p->master >= 0)
		close(p->master);
	if (p->slave >= 0)
		close(p->slave);
	p->master = p->slave = -1;
}

int rt_console_send(const char *path, int fd, const char *name, struct rt_err *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { (void *)name, strlen(name) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	int s, r = 0;

	if (strlen(path) >= sizeof(sa.sun_path))
		return rt_err_set(err, ENAMETOOLONG, "console socket %s: path too long", path);
	strcpy(sa.sun_path, path);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return rt_err_sys(err, errno, "console socket");
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		r = rt_err_sys(err, errno, "connect to console socket %s", path);
	else if (sendmsg(s, &mh, MSG_NOSIGNAL) < 0)
		r = rt_err_sys(err, errno, "send the pty over console socket %s", path);
	close(s);
	return r;
}
