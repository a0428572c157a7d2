/* runvm-vmm: command line, host probe, signals, and the main event loop. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "vmm/container.h"
#include "vmm/probe.h"
#include "vmm/vmm.h"

static const char vmm_usage[] =
	"usage: runvm-vmm --kernel VMLINUX [options]\n"
	"       runvm-vmm --probe [--kernel VMLINUX] [--initrd FILE] [--virtiofsd PATH]\n"
	"       runvm-vmm --container --spec FILE --vsock-uds PATH [--ctl PATH]\n"
	"                 [--ready-fd N] [--console-fd N] [--log FILE] [options]\n"
	"\n"
	"Boots a Linux guest in a KVM microVM and exits when the guest resets.\n"
	"\n"
	"  --kernel FILE      uncompressed x86-64 vmlinux (default: vmlinux next to\n"
	"                     this binary, or ../lib/runvm/vmlinux)\n"
	"  --initrd FILE      initramfs (cpio)\n"
	"  --cmdline STR      appended to the base kernel command line\n"
	"  --mem MIB          guest RAM in MiB (default 128)\n"
	"  --cpus N           vCPUs, 1..64 (default 1)\n"
	"  --vsock-uds PATH   virtio-vsock with a Firecracker-style hybrid Unix socket:\n"
	"                     host->guest: connect to PATH, send \"CONNECT <port>\\n\";\n"
	"                     guest->host port P: connects to PATH_P\n"
	"  --share TAG=DIR[,ro][,cache=none|auto|always][,sandbox=MODE]\n"
	"                     share DIR with the guest over virtio-fs (mount -t virtiofs\n"
	"                     TAG /mnt); runs virtiofsd for it and stops the VM (exit 1)\n"
	"                     if virtiofsd dies. ro: writes fail with EROFS; cache: none\n"
	"                     (default) keeps host and guest coherent at once; sandbox:\n"
	"                     auto (default: namespace where pivot_root works, else\n"
	"                     chroot), namespace, chroot, none. Repeatable.\n"
	"  --fs TAG=SOCKET    virtio-fs served by a vhost-user-fs back-end already listening\n"
	"                     on SOCKET (e.g. virtiofsd --socket-path). Repeatable.\n"
	"  --virtiofsd PATH   virtiofsd binary for --share (C or Rust; default: the first of\n"
	"                     /usr/libexec/virtiofsd, /usr/lib/qemu/virtiofsd, $PATH)\n"
	"  --net tapfd=N|tap=NAME[,mac=XX:XX:XX:XX:XX:XX][,mtu=N][,offload=on|off]\n"
	"                     a virtio-net NIC over a tap: fd N (opened with IFF_TAP,\n"
	"                     IFF_NO_PI and IFF_VNET_HDR), or the tap NAME (created if\n"
	"                     missing); mac: the guest's (default: random, local); mtu:\n"
	"                     offered to the guest; offload=off: no checksum or TSO\n"
	"                     offload. Repeatable (4 at most)\n"
	"  --serial T         guest console: a file, - for stdout (default), or none\n"
	"  --boot-time        log the time from VMM start to the guest's boot marker\n"
	"  --pid-file FILE    write this process's PID (atomically)\n"
	"  --debug            debug logging\n"
	"  --probe            say whether this host can run a guest, and exit\n"
	"  --version, --help\n"
	"\n"
	"Container mode: the process of one container (its PID is the container's):\n"
	"  --container        boot the VM, create the container of --spec through the\n"
	"                     guest agent, relay its stdio, serve --ctl, forward every\n"
	"                     signal received to it, and exit as it did: the same code, or\n"
	"                     killed by the same signal\n"
	"  --spec FILE        the container: one encoded PROTO_CREATE message\n"
	"                     (common/proto.h; the VMM chooses the stdio ports)\n"
	"  --ctl PATH         control socket (common/ctl.h): start, exec, signal, resize,\n"
	"                     ps, pause, resume, status; mode 0600, removed at exit\n"
	"  --ready-fd N       gets \"ok\\n\" once the container is created, or\n"
	"                     \"error: MESSAGE\\n\" (then exit 1), and is closed\n"
	"  --console-fd N     a host pty slave for a spec with a terminal: relayed to the\n"
	"                     guest's pty, made raw and our controlling terminal (window\n"
	"                     size changes follow). Without: fds 0/1/2 are the container's\n"
	"                     stdin/stdout/stderr (EOF passed on both ways)\n"
	"  --extra-fds F:N    fds F..F+N-1 become the container process's fds 3..3+N-1\n"
	"                     (--preserve-fds), relayed as the spec's process says\n"
	"  --log FILE         the VMM's own messages, appended (default: dropped); in this\n"
	"                     mode nothing of the VMM's is ever written to fds 0/1/2\n"
	"  --create-timeout S give up creating after S seconds (default 60)\n"
	"  --no-vm            tests: boot no VM; \"runvm-init --agent-unix PATH\", run\n"
	"                     separately, plays the guest (no pause)\n"
	"  --serial defaults to none. VM options as above.\n"
	"\n"
	"Exit status: 0 when the guest resets or powers off, 128+N when stopped by\n"
	"signal N (SIGTERM, SIGINT), 1 on a VMM error (the message names the cause),\n"
	"2 on a usage error. SIGUSR1 logs every virtio queue's state (what a stuck guest\n"
	"waits for). Container mode: the container's status; 1 when it could not\n"
	"be created or the VM ended without it.\n";

enum { OPT_KERNEL = 256, OPT_INITRD, OPT_CMDLINE, OPT_MEM, OPT_CPUS, OPT_VSOCK, OPT_SERIAL,
       OPT_SHARE, OPT_FS, OPT_VIRTIOFSD, OPT_NET,
       OPT_BOOT_TIME, OPT_PID_FILE, OPT_DEBUG, OPT_PROBE, OPT_VERSION, OPT_HELP,
       OPT_CTR_FIRST, OPT_CTR_LAST = OPT_CTR_FIRST + 8 };

static const struct option vmm_opts[] = {
	{ "kernel", required_argument, NULL, OPT_KERNEL },
	{ "initrd", required_argument, NULL, OPT_INITRD },
	{ "cmdline", required_argument, NULL, OPT_CMDLINE },
	{ "mem", required_argument, NULL, OPT_MEM },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "vsock-uds", required_argument, NULL, OPT_VSOCK },
	{ "share", required_argument, NULL, OPT_SHARE },
	{ "fs", required_argument, NULL, OPT_FS },
	{ "virtiofsd", required_argument, NULL, OPT_VIRTIOFSD },
	{ "net", required_argument, NULL, OPT_NET },
	{ "serial", required_argument, NULL, OPT_SERIAL },
	{ "boot-time", no_argument, NULL, OPT_BOOT_TIME },
	{ "pid-file", required_argument, NULL, OPT_PID_FILE },
	{ "debug", no_argument, NULL, OPT_DEBUG },
	{ "probe", no_argument, NULL, OPT_PROBE },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "help", no_argument, NULL, OPT_HELP },
	/* container mode (vmm/container.c parses these by name) */
	{ "container", no_argument, NULL, OPT_CTR_FIRST },
	{ "spec", required_argument, NULL, OPT_CTR_FIRST + 1 },
	{ "ctl", required_argument, NULL, OPT_CTR_FIRST + 2 },
	{ "ready-fd", required_argument, NULL, OPT_CTR_FIRST + 3 },
	{ "console-fd", required_argument, NULL, OPT_CTR_FIRST + 4 },
	{ "log", required_argument, NULL, OPT_CTR_FIRST + 5 },
	{ "create-timeout", required_argument, NULL, OPT_CTR_FIRST + 6 },
	{ "extra-fds", required_argument, NULL, OPT_CTR_FIRST + 7 },
	{ "no-vm", no_argument, NULL, OPT_CTR_LAST },
	{ NULL, 0, NULL, 0 },
};

static int vmm_parse_uint(const char *opt, const char *s, unsigned long long min,
			  unsigned long long max, unsigned long long *out)
{
	char *end;

	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);

	if (errno || !*s || *end || s[0] == '-' || v < min || v > max) {
		log_error("--%s %s: expected a number from %llu to %llu", opt, s, min, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int vmm_parse_fs(struct vmm_config *c, bool backend, char *arg)
{
	if (c->nr_fs == VMM_MAX_FS) {
		log_error("at most %d --fs/--share", VMM_MAX_FS);
		return -EINVAL;
	}
	struct vfsd_share *s = &c->fs[c->nr_fs];
	int ret = backend ? vfsd_parse_fs(arg, s) : vfsd_parse_share(arg, s);

	if (!ret)
		c->nr_fs++;
	return ret;
}

/* 0: run; 1: exit 0 (help/version); <0: usage error. */
static int vmm_parse(int argc, char **argv, struct vmm_config *c, struct ctr_config *cc,
		     bool *probe)
{
	unsigned long long n;
	int o, idx;

	while ((o = getopt_long(argc, argv, "", vmm_opts, &idx)) != -1) {
		switch (o) {
		case OPT_KERNEL: c->kernel = optarg; break;
		case OPT_INITRD: c->initrd = optarg; break;
		case OPT_CMDLINE: c->cmdline = optarg; break;
		case OPT_MEM:
			if (vmm_parse_uint("mem", optarg, 1, 1ull << 20, &n))
				return -EINVAL;
			c->mem_mib = n;
			break;
		case OPT_CPUS:
			if (vmm_parse_uint("cpus", optarg, 1, VMM_MAX_CPUS, &n))
				return -EINVAL;
			c->cpus = (unsigned)n;
			break;
		case OPT_VSOCK: c->vsock_uds = optarg; break;
		case OPT_SHARE:
		case OPT_FS:
			if (vmm_parse_fs(c, o == OPT_FS, optarg))
				return -EINVAL;
			break;
		case OPT_VIRTIOFSD: c->virtiofsd = optarg; break;
		case OPT_NET:
			if (vmm_parse_net(c, optarg))
				return -EINVAL;
			break;
		case OPT_SERIAL: c->serial = optarg; break;
		case OPT_BOOT_TIME: c->boot_time = true; break;
		case OPT_PID_FILE: c->pid_file = optarg; break;
		case OPT_DEBUG: log_init("runvm-vmm", true); break;
		case OPT_PROBE: *probe = true; break;
		case OPT_VERSION:
			printf("runvm-vmm version %s\ncommit: %s\n", RUNVM_VERSION, RUNVM_COMMIT);
			return 1;
		case OPT_HELP: fputs(vmm_usage, stdout); return 1;
		case OPT_CTR_FIRST ... OPT_CTR_LAST:
			if (ctr_parse_option(cc, vmm_opts[idx].name, optarg))
				return -EINVAL;
			break;
		default: fputs(vmm_usage, stderr); return -EINVAL;
		}
	}
	if (optind < argc) {
		log_error("unexpected argument: %s", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

/* Bad input is reported before KVM is touched, so the message names the input. */
static int vmm_precheck(const struct vmm_config *c)
{
	if (access(c->kernel, R_OK) < 0) {
		log_error("kernel %s: %s", c->kernel, strerror(errno));
		return -errno;
	}
	if (c->initrd && access(c->initrd, R_OK) < 0) {
		log_error("initrd %s: %s", c->initrd, strerror(errno));
		return -errno;
	}
	if (c->cmdline && strlen(c->cmdline) >= VMM_CMDLINE_MAX) {
		log_error("kernel command line too long (limit %d bytes)", VMM_CMDLINE_MAX - 1);
		return -E2BIG;
	}
	if (vmm_check_shares(c) || vmm_check_nets(c))
		return -EINVAL;
	if (c->vsock_uds && access(c->vsock_uds, F_OK) == 0) {
		log_error("vsock %s: path exists (remove it, or choose another)", c->vsock_uds);
		return -EEXIST;
	}
	return 0;
}

static int vmm_write_pid_file(const char *path)
{
	char tmp[PATH_MAX], buf[32];
	int len = snprintf(buf, sizeof(buf), "%d", getpid());

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	autoclose int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0 || util_write_full(fd, buf, (size_t)len) < 0 || rename(tmp, path) < 0) {
		int err = -errno;

		unlink(tmp);
		return err;
	}
	return 0;
}

static void vmm_on_done(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	struct vmm *v = arg;
	uint64_t n;

	char why[sizeof(v->end_why)];
	int code;

	(void)!read(fd, &n, sizeof(n));
	code = vmm_end_reason(v, why, sizeof(why));
	if (why[0])
		log_debug("VM ended: %s", why);
	ev_stop(loop, code);
}

static void vmm_on_signal(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	struct signalfd_siginfo si;

	if (read(fd, &si, sizeof(si)) != sizeof(si))
		return;
	if (si.ssi_signo == SIGUSR1)
		return vmm_dump_state(arg);
	log_debug("signal %u: shutting the VM down", si.ssi_signo);
	vmm_finish(arg, 128 + (int)si.ssi_signo);
}

static int vmm_run(const struct vmm_config *cfg, int sig_fd)
{
	struct ev_loop *loop = ev_create();
	struct vmm *v = NULL;
	int ret;

	if (!loop) {
		log_error("event loop: %s", strerror(errno));
		return 1;
	}
	ret = vmm_create(&v, cfg, loop);
	if (ret)
		goto out;
	if (cfg->pid_file && (ret = vmm_write_pid_file(cfg->pid_file))) {
		log_error("pid file %s: %s", cfg->pid_file, strerror(-ret));
		goto out;
	}
	ret = ev_add(loop, v->done_fd, EPOLLIN, vmm_on_done, v);
	if (!ret)
		ret = ev_add(loop, sig_fd, EPOLLIN, vmm_on_signal, v);
	if (!ret)
		ret = vmm_start(v);
	if (!ret)
		ret = ev_run(loop);
	if (ret < 0)
		log_error("event loop: %s", strerror(-ret));
out:
	if (v)
		ev_del(loop, v->done_fd);
	ev_del(loop, sig_fd);
	vmm_destroy(v);
	ev_destroy(loop);
	return ret < 0 ? 1 : ret;
}

int main(int argc, char **argv)
{
	struct vmm_config cfg = { .mem_mib = 128, .cpus = 1 };
	struct ctr_config cc;
	bool probe = false;
	sigset_t set;
	int ret, sig_fd;

	log_init("runvm-vmm", false);
	ctr_config_init(&cc);
	/* Container mode: fds 0/1/2 are the container's, taken away before any message. */
	ctr_prescan(argc, argv, &cc);
	ret = vmm_parse(argc, argv, &cfg, &cc, &probe);
	if (ret)
		return ret > 0 ? 0 : cc.container ? ctr_early_exit(&cc, 2) : 2;
	if (!cfg.kernel)
		cfg.kernel = probe_find_asset("vmlinux");
	if (probe)
		return probe_host(cfg.kernel, cfg.initrd, cfg.virtiofsd) ? 0 : 1;
	if (cc.container && cc.no_vm)
		return ctr_main(&cfg, &cc);
	if (!cfg.kernel) {
		log_error("no guest kernel: give --kernel (none found next to runvm-vmm)");
		return cc.container ? ctr_early_exit(&cc, 2) : 2;
	}
	if (vmm_precheck(&cfg))
		return cc.container ? ctr_early_exit(&cc, 1) : 1;
	if (cc.container)
		return ctr_main(&cfg, &cc);
	/* Signals are read from a signalfd by the loop; vCPU threads inherit the mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	vcpu_signal_setup();
	sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sig_fd < 0) {
		log_error("signalfd: %s", strerror(errno));
		return 1;
	}
	ret = vmm_run(&cfg, sig_fd);
	close(sig_fd);
	return ret;
}
