/* PID 1 duties of runvm-init that are not the agent: the guest's own mounts, the
 * kernel command line, the boot-time marker, power off; and the transport that
 * turns "connect to host port P" into a vsock or (agent mode) Unix connection. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

#include "guest-init/gi.h"

/* The VMM's boot-time marker device (vmm/hw/legacy.h). */
#define GI_MARKER_PORT 0x3f0
#define GI_MARKER_MAGIC 123

/* Linux gives up a vsock connect after 2 s by default, but the VMM answers from
 * its event loop, which a loaded host may not run for longer than that: the
 * connect then fails although the host side already holds the connection.
 * The host bounds every wait of its own, and kills the VM when it gives up. */
#define GI_VSOCK_CONNECT_TIMEOUT_S 60

int gi_connect(const struct gi_transport *t, uint32_t port, int *fd)
{
	int s, ret;

	if (t->unix_prefix) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };

		ret = proto_port_path(sun.sun_path, sizeof(sun.sun_path), t->unix_prefix, port);
		if (ret)
			return ret;
		s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (s >= 0 && connect(s, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
			*fd = s;
			return 0;
		}
	} else {
		struct sockaddr_vm svm = {
			.svm_family = AF_VSOCK, .svm_cid = PROTO_HOST_CID, .svm_port = port
		};

		struct timeval tv = { .tv_sec = GI_VSOCK_CONNECT_TIMEOUT_S };

		s = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (s >= 0 && setsockopt(s, AF_VSOCK, SO_VM_SOCKETS_CONNECT_TIMEOUT, &tv, sizeof(tv)))
			gi_log("vsock connect timeout: %s", strerror(errno));
		if (s >= 0 && connect(s, (struct sockaddr *)&svm, sizeof(svm)) == 0) {
			*fd = s;
			return 0;
		}
	}
	ret = -errno;
	if (s >= 0)
		close(s);
	return ret;
}

struct gi_boot_mount {
	const char *src, *dst, *type;
	unsigned long flags;
	const char *data;
	bool required;
};

static const struct gi_boot_mount gi_boot_mounts_table[] = {
	{ "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, true },
	{ "sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, true },
	{ "devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755", true },
	{ "devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "ptmxmode=0666,mode=0620", true },
	{ "shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", true },
	{ "run", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755", true },
	/* Resources and OOM events need it; a kernel without cgroups still runs. */
	{ "cgroup2", "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, false },
};

/* pivot_root refuses to move the initramfs (it has no parent mount), so the root
 * becomes a bind mount of itself, entered with chroot: a mount with a parent. */
static int gi_boot_reroot(struct gi_err *e)
{
	if (mount("/", "/", NULL, MS_BIND | MS_REC, NULL))
		return gi_failerr(e, -errno, "bind mount of the initramfs root");
	if (chdir("/") || chroot("."))
		return gi_failerr(e, -errno, "chroot into the bound root");
	return 0;
}

int gi_boot_mounts(struct gi_err *e)
{
	int ret = gi_boot_reroot(e);

	for (size_t i = 0; !ret && i < sizeof(gi_boot_mounts_table) / sizeof(gi_boot_mounts_table[0]);
	     i++) {
		const struct gi_boot_mount *m = &gi_boot_mounts_table[i];

		if (mkdir(m->dst, 0755) && errno != EEXIST && m->required)
			return gi_failerr(e, -errno, "mkdir %s", m->dst);
		if (!mount(m->src, m->dst, m->type, m->flags, m->data))
			continue;
		if (m->required)
			return gi_failerr(e, -errno, "mount %s on %s", m->type, m->dst);
		gi_log("warning: mount %s on %s: %s", m->type, m->dst, strerror(errno));
	}
	return ret;
}

/* Without a console the kernel starts init with fds 0-2 closed; the agent's own
 * fds must not land there, where its log lines would go into them. */
void gi_stdio_fill(void)
{
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR | O_CLOEXEC) < 0)
			break;
}

int gi_cmdline_get(const char *cmdline, const char *key, char *val, size_t size)
{
	size_t klen = strlen(key);
	const char *p = cmdline;

	while (*p) {
		size_t wlen;

		p += strspn(p, " \t\n");
		wlen = strcspn(p, " \t\n");
		if (wlen > klen && !strncmp(p, key, klen) && p[klen] == '=') {
			size_t vlen = wlen - klen - 1;

			if (vlen >= size)
				return -ENAMETOOLONG;
			memcpy(val, p + klen + 1, vlen);
			val[vlen] = 0;
			return 0;
		}
		p += wlen;
	}
	return -ENOENT;
}

/* The VMM logs the time from its start to this write: the boot-time figure. */
void gi_marker(void)
{
	if (ioperm(GI_MARKER_PORT, 1, 1)) {
		gi_log("boot marker: ioperm: %s", strerror(errno));
		return;
	}
	outb(GI_MARKER_MAGIC, GI_MARKER_PORT);
	ioperm(GI_MARKER_PORT, 1, 0);
}

/* With reboot=k a reboot resets through the i8042, which ends the VMM. */
void gi_poweroff(void)
{
	sync();
	reboot(RB_AUTOBOOT);
	for (;;)
		pause();
}

uint64_t gi_uptime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
