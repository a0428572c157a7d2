/* Host readiness probe: /dev/kvm, the kind of virtualization behind it, and the
 * guest assets. Nothing here touches a VM beyond KVM_CREATE_VM. */
#include "vmm/probe.h"
#include "vmm/virtiofsd.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static bool probe_cpu_flag(const char *flag)
{
	char line[4096], pat[32];
	FILE *f = fopen("/proc/cpuinfo", "re");
	bool found = false;

	if (!f)
		return false;
	snprintf(pat, sizeof(pat), " %s", flag);
	while (!found && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags", 5))
			continue;
		char *p = strstr(line, pat);

		found = p && (p[strlen(pat)] == ' ' || p[strlen(pat)] == '\n');
	}
	fclose(f);
	return found;
}

enum probe_kvm probe_kvm(const char **why)
{
	if (access("/dev/kvm", F_OK) < 0) {
		*why = "/dev/kvm does not exist (no KVM module loaded, or not a KVM-capable host)";
		return PROBE_KVM_MISSING;
	}
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		*why = errno == EACCES ? "/dev/kvm exists but this user may not open it "
					 "(join the kvm group, or run as root)"
				       : "/dev/kvm exists but cannot be opened";
		return errno == EACCES ? PROBE_KVM_DENIED : PROBE_KVM_BROKEN;
	}
	int api = ioctl(fd, KVM_GET_API_VERSION, 0);
	int vm = api == KVM_API_VERSION ? ioctl(fd, KVM_CREATE_VM, 0) : -1;

	if (vm >= 0)
		close(vm);
	close(fd);
	if (vm < 0) {
		*why = "/dev/kvm opens but cannot create a VM";
		return PROBE_KVM_BROKEN;
	}
	if (access("/sys/module/kvm_pvm", F_OK) == 0 ||
	    (!probe_cpu_flag("vmx") && !probe_cpu_flag("svm"))) {
		*why = "/dev/kvm is PVM, a software KVM (no VMX/SVM on this CPU): it cannot boot "
		       "a stock guest kernel. Run inside the KVM test host (tests/testhost/run) "
		       "or on a host with VMX or SVM";
		return PROBE_KVM_PVM;
	}
	*why = probe_cpu_flag("vmx") ? "hardware virtualization: Intel VMX"
				     : "hardware virtualization: AMD SVM";
	return PROBE_KVM_OK;
}

static bool probe_file(const char *what, const char *path)
{
	if (!path) {
		printf("%-9s not found (give its path)\n", what);
		return false;
	}
	if (access(path, R_OK) < 0) {
		printf("%-9s %s: %s\n", what, path, strerror(errno));
		return false;
	}
	printf("%-9s %s\n", what, path);
	return true;
}

static bool probe_virtiofsd(const char *configured)
{
	const char *bin = vfsd_find(configured);

	if (!bin) {
		printf("virtiofsd NO: not found (Debian's qemu-system-common has "
		       "/usr/lib/qemu/virtiofsd; or give --virtiofsd PATH)\n");
		return false;
	}
	if (access(bin, X_OK) < 0) {
		printf("virtiofsd NO: %s: %s\n", bin, strerror(errno));
		return false;
	}
	printf("virtiofsd %s (%s)\n", bin, vfsd_flavour_name(bin));
	return true;
}

bool probe_host(const char *kernel, const char *initrd, const char *virtiofsd)
{
	const char *why;
	enum probe_kvm k = probe_kvm(&why);
	bool ok = k == PROBE_KVM_OK;

	printf("kvm       %s: %s\n", ok ? "ok" : "NO", why);
	ok &= probe_file("kernel", kernel);
	if (!initrd)
		initrd = probe_find_asset("initramfs.cpio");
	ok &= probe_file("initrd", initrd);
	ok &= probe_virtiofsd(virtiofsd);
	printf("verdict   %s\n", ok ? "this host can run runvm guests"
				   : "this host cannot run runvm guests as it is");
	return ok;
}

const char *probe_find_asset(const char *name)
{
	static char path[2][PATH_MAX];
	static unsigned which;
	char exe[PATH_MAX - 64];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return NULL;
	exe[n] = 0;
	char *slash = strrchr(exe, '/');

	if (!slash)
		return NULL;
	*slash = 0;
	char *p = path[which++ % 2];

	if (snprintf(p, PATH_MAX, "%s/%s", exe, name) < PATH_MAX && access(p, R_OK) == 0)
		return p;
	if (snprintf(p, PATH_MAX, "%s/../lib/runvm/%s", exe, name) < PATH_MAX &&
	    access(p, R_OK) == 0)
		return p;
	return NULL;
}
