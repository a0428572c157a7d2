/* The VM's virtio-fs shares: for each --fs, a connection to a running vhost-user
 * back-end; for each --share, a virtiofsd of our own. Either way a back-end that goes
 * away ends the VM with status 1: a container whose root filesystem vanished cannot
 * go on, and exiting says so where hanging would not. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "vmm/vhost_user.h"
#include "vmm/virtio/fs.h"
#include "vmm/virtiofsd.h"
#include "vmm/vmm.h"

/* Loop thread: a back-end hung up or virtiofsd died. A virtiofsd that hung up is
 * usually dying: say how, whichever of the two events came first. */
static void vmm_share_gone(void *arg)
{
	struct vmm *v = arg;

	for (unsigned i = 0; i < VMM_MAX_FS; i++) {
		if (v->vfsd[i])
			vfsd_check(v->vfsd[i], 200);
	}
	vmm_end(v, 1, "a virtiofsd connection closed (see the log)");
}

static int vmm_share_connect(struct vmm *v, unsigned i, int *sock, char *what, size_t len)
{
	const struct vfsd_share *s = &v->cfg->fs[i];
	const char *bin;
	int ret;

	if (s->socket) {
		snprintf(what, len, "the vhost-user back-end at %s", s->socket);
		*sock = vhu_connect(s->socket);
		if (*sock < 0)
			log_error("virtio-fs '%s': connecting to %s: %s", s->tag, s->socket,
				  strerror(-*sock));
		return *sock < 0 ? *sock : 0;
	}
	bin = vfsd_find(v->cfg->virtiofsd);
	if (!bin) {
		log_error("share '%s': no virtiofsd found (give --virtiofsd PATH; Debian 12 has "
			  "/usr/lib/qemu/virtiofsd in qemu-system-common)", s->tag);
		return -ENOENT;
	}
	ret = vfsd_spawn(&v->vfsd[i], bin, s, log_debug_enabled(), sock);
	if (!ret)
		snprintf(what, len, "virtiofsd (pid %d)", vfsd_pid(v->vfsd[i]));
	return ret;
}

static int vmm_add_share(struct vmm *v, unsigned i)
{
	char what[PATH_MAX + 64];
	int sock, ret;

	ret = vmm_share_connect(v, i, &sock, what, sizeof(what));
	if (ret)
		return ret;
	struct fs_cfg fc = { .tag = v->cfg->fs[i].tag, .backend = what, .gone = vmm_share_gone,
			     .gone_arg = v };

	ret = fs_create(&v->fs[i], v->loop, &v->mem, sock, &fc);
	if (!ret)
		ret = vmm_add_virtio(v, fs_dev(v->fs[i]));
	if (!ret && v->vfsd[i])
		ret = vfsd_watch(v->vfsd[i], v->loop, vmm_share_gone, v);
	return ret;
}

int vmm_add_shares(struct vmm *v)
{
	for (unsigned i = 0; i < v->cfg->nr_fs; i++) {
		int ret = vmm_add_share(v, i);

		if (ret)
			return ret;
	}
	return 0;
}

void vmm_remove_shares(struct vmm *v)
{
	/* Closing the connections first lets each virtiofsd leave by itself. */
	for (unsigned i = 0; i < VMM_MAX_FS; i++) {
		fs_destroy(v->fs[i]);
		v->fs[i] = NULL;
	}
	for (unsigned i = 0; i < VMM_MAX_FS; i++) {
		vfsd_destroy(v->vfsd[i], 2000);
		v->vfsd[i] = NULL;
	}
}

int vmm_check_shares(const struct vmm_config *c)
{
	struct stat st;

	for (unsigned i = 0; i < c->nr_fs; i++) {
		const struct vfsd_share *s = &c->fs[i];

		for (unsigned j = 0; j < i; j++) {
			if (!strcmp(c->fs[j].tag, s->tag)) {
				log_error("virtio-fs tag '%s' is given twice", s->tag);
				return -EINVAL;
			}
		}
		if (s->socket && stat(s->socket, &st) < 0) {
			log_error("--fs %s: %s: %s", s->tag, s->socket, strerror(errno));
			return -errno;
		}
		if (s->dir && stat(s->dir, &st) < 0) {
			log_error("--share %s: %s: %s", s->tag, s->dir, strerror(errno));
			return -errno;
		}
		if (s->dir && !S_ISDIR(st.st_mode)) {
			log_error("--share %s: %s is not a directory", s->tag, s->dir);
			return -ENOTDIR;
		}
	}
	if (c->nr_fs && !vfsd_find(c->virtiofsd)) {
		for (unsigned i = 0; i < c->nr_fs; i++) {
			if (c->fs[i].dir) {
				log_error("--share needs virtiofsd: none found (give --virtiofsd PATH)");
				return -ENOENT;
			}
		}
	}
	if (c->virtiofsd && access(c->virtiofsd, X_OK) < 0) {
		log_error("--virtiofsd %s: %s", c->virtiofsd, strerror(errno));
		return -errno;
	}
	return 0;
}
