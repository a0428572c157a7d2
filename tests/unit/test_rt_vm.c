/* Unit tests for the runtime's VM plumbing that needs no VM: the VM's size from
 * config.json (vm section, annotations, resources, defaults), the host cgroup
 * directory for cgroupfs and systemd paths, Unix socket addresses for long state
 * directories, the pty and the console socket, and exiting like a process. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "oci/config.h"
#include "runtime/cgroup.h"
#include "runtime/console.h"
#include "runtime/ctl.h"
#include "runtime/exec_proxy.h"
#include "runtime/vmconf.h"
#include "tests/unit/tap.h"
#include "tests/unit/oci_doc.h"

#define BASE "'ociVersion':'1.0.0','root':{'path':'r'},'process':{'args':['true'],'cwd':'/','user':{'uid':0,'gid':0}}"

static void size_of(const char *doc, int want_r, unsigned want_cpus, uint64_t want_mem,
		    const char *what)
{
	struct oci_config *c = cfg_of(doc);
	struct rt_err err = { 0 };
	unsigned cpus = 0;
	uint64_t mem = 0;
	int r;

	if (!c) {
		ok(0, "%s: parses", what);
		return;
	}
	r = rt_vm_size(c, &cpus, &mem, &err);
	if (want_r < 0) {
		ok(r < 0, "%s: refused (%s)", what, err.msg);
	} else {
		ok(r == 0 && cpus == want_cpus && mem == want_mem, "%s: %u vCPU(s), %llu MiB", what,
		   cpus, (unsigned long long)mem);
		if (r || cpus != want_cpus || mem != want_mem)
			printf("#   got r=%d %u %llu (%s)\n", r, cpus, (unsigned long long)mem, err.msg);
	}
	oci_config_free(c);
}

static void test_size(void)
{
	size_of("{" BASE "}", 0, RT_VM_DEFAULT_CPUS, RT_VM_DEFAULT_MEM_MIB, "defaults");
	size_of("{" BASE ",'vm':{'hwConfig':{'vcpus':3,'memory':512}}}", 0, 3, 512, "vm.hwConfig");
	size_of("{" BASE ",'annotations':{'io.runvm.vcpus':'2','io.runvm.memory_mib':'300'}}", 0, 2,
		300, "annotations");
	size_of("{" BASE ",'vm':{'hwConfig':{'vcpus':4}},'annotations':{'io.runvm.vcpus':'2',"
		"'io.runvm.memory_mib':'300'}}",
		0, 4, 300, "hwConfig wins over annotations, each on its own");
	size_of("{" BASE ",'annotations':{'io.runvm.vcpus':'0'}}", -1, 0, 0, "0 vCPUs refused");
	size_of("{" BASE ",'annotations':{'io.runvm.memory_mib':'12x'}}", -1, 0, 0,
		"garbage memory refused");
	size_of("{" BASE ",'linux':{'resources':{'memory':{'limit':536870912},"
		"'cpu':{'quota':150000,'period':100000}}}}",
		0, 2, 512 + RT_VM_MEM_OVERHEAD_MIB, "limit + overhead; ceil(quota/period)");
	size_of("{" BASE ",'linux':{'resources':{'memory':{'limit':1048577}}}}", 0, 1,
		RT_VM_MEM_MIN_MIB, "a tiny limit gets the minimum");
	size_of("{" BASE ",'linux':{'resources':{'memory':{'limit':209715201}}}}", 0, 1,
		201 + RT_VM_MEM_OVERHEAD_MIB, "limit rounded up to a MiB");
	size_of("{" BASE ",'linux':{'resources':{'cpu':{'quota':50000}}}}", 0, 1,
		RT_VM_DEFAULT_MEM_MIB, "half a CPU is one vCPU (default period)");
	size_of("{" BASE ",'linux':{'resources':{'cpu':{'quota':-1},'memory':{'limit':-1}}}}", 0,
		RT_VM_DEFAULT_CPUS, RT_VM_DEFAULT_MEM_MIB, "unlimited: defaults");
	size_of("{" BASE ",'linux':{'resources':{'cpu':{'quota':100000000,'period':1000}}}}", 0,
		RT_VM_MAX_CPUS, RT_VM_DEFAULT_MEM_MIB, "huge quota capped");
}

static void cg(const char *root, enum rt_cgroup_manager m, const char *path, const char *want,
	       const char *what)
{
	char out[4096];
	struct rt_err err = { 0 };
	int r = rt_cgroup_dir(root, m, path, out, sizeof(out), &err);

	if (!want) {
		ok(r < 0, "%s: refused (%s)", what, err.msg);
		return;
	}
	ok(r == 0, "%s: accepted", what);
	is_str(out, want, "%s", what);
}

static void test_cgroup_dir(void)
{
	char out[256];

	cg("/sys/fs/cgroup", RT_CGROUP_CGROUPFS, NULL, "", "no cgroupsPath: no cgroup");
	cg("/sys/fs/cgroup", RT_CGROUP_CGROUPFS, "/default/abc", "/sys/fs/cgroup/default/abc",
	   "cgroupfs absolute");
	cg("/sys/fs/cgroup", RT_CGROUP_CGROUPFS, "libpod_parent/libpod-1/",
	   "/sys/fs/cgroup/libpod_parent/libpod-1", "cgroupfs relative, trailing slash");
	cg("/sys/fs/cgroup", RT_CGROUP_CGROUPFS, "/a/../../etc", NULL, "cgroupfs with ..");
	cg("/sys/fs/cgroup", RT_CGROUP_DISABLED, "/x", "", "manager disabled");
	cg("/sys/fs/cgroup", RT_CGROUP_SYSTEMD, "machine.slice:libpod:abc",
	   "/sys/fs/cgroup/machine.slice/libpod-abc.scope", "systemd");
	cg("/sys/fs/cgroup", RT_CGROUP_SYSTEMD, "machine-libpod.slice:libpod:abc",
	   "/sys/fs/cgroup/machine.slice/machine-libpod.slice/libpod-abc.scope",
	   "systemd nested slice");
	cg("/sys/fs/cgroup", RT_CGROUP_SYSTEMD, ":cri-containerd:abc",
	   "/sys/fs/cgroup/system.slice/cri-containerd-abc.scope", "systemd default slice");
	cg("/sys/fs/cgroup", RT_CGROUP_SYSTEMD, "-.slice::abc", "/sys/fs/cgroup/abc.scope",
	   "systemd root slice, no prefix");
	cg("/sys/fs/cgroup", RT_CGROUP_SYSTEMD, "system.slice:p:x.slice",
	   "/sys/fs/cgroup/system.slice/x.slice", "systemd name that is a slice");
	cg("/sys/fs/cgroup", RT_CGROUP_SYSTEMD, "/a/b", NULL, "systemd with a cgroupfs path");
	cg("/sys/fs/cgroup", RT_CGROUP_SYSTEMD, "notaslice:p:x", NULL, "systemd bad slice");
	ok(rt_cgroup_slice_path("a-b-c.slice", out, sizeof(out), NULL) == 0 &&
		   !strcmp(out, "a.slice/a-b.slice/a-b-c.slice"),
	   "slice path a-b-c.slice");
	ok(rt_cgroup_slice_path("a--b.slice", out, sizeof(out), NULL) < 0, "slice with -- refused");
}

static void test_cgroup_files(void)
{
	char dir[] = "/tmp/rt-cg-XXXXXX", sub[128], path[256], buf[64] = { 0 };
	struct oci_resources r = { 0 };
	struct rt_err err;
	FILE *f;

	if (!mkdtemp(dir)) {
		skip("mkdtemp");
		return;
	}
	/* A plain directory stands in for a cgroup: files must exist to be written. */
	snprintf(sub, sizeof(sub), "%s/a/b", dir);
	r.has_cpu_quota = true;
	r.cpu_quota = 20000;
	r.has_memory_limit = true;
	r.memory_limit = 1 << 30;
	ok(rt_cgroup_create(sub, &r, &err) < 0, "missing cpu.max is an error (%s)", err.msg);
	snprintf(path, sizeof(path), "%s/cpu.max", sub);
	close(creat(path, 0644));
	ok(rt_cgroup_create(sub, &r, &err) == 0, "parents made, cpu.max written");
	f = fopen(path, "r");
	ok(f && fgets(buf, sizeof(buf), f) && !strcmp(buf, "20000 100000"),
	   "host cpu.max is the quota");
	if (f)
		fclose(f);
	snprintf(path, sizeof(path), "%s/memory.max", sub);
	ok(access(path, F_OK) < 0, "memory is not limited on the host (the VM's RAM is)");
	snprintf(path, sizeof(path), "%s/cpu.max", sub);
	unlink(path);
	ok(rt_cgroup_destroy(sub, &err) == 0 && access(sub, F_OK) < 0, "destroy removes the leaf");
	snprintf(path, sizeof(path), "%s/a", dir);
	rmdir(path);
	rmdir(dir);
}

static void test_unix_addr(void)
{
	char dir[512] = "/tmp/rt-ua-XXXXXX";
	struct sockaddr_un sa;
	int dfd, s, c;

	ok(rt_unix_addr("/run/x", "ctl.sock", &sa, &dfd) == 0 && dfd < 0 &&
		   !strcmp(sa.sun_path, "/run/x/ctl.sock"),
	   "a short path is used as it is");
	if (!mkdtemp(dir)) {
		skip("mkdtemp");
		return;
	}
	strcat(dir, "/");
	memset(dir + strlen(dir), 'd', 120);
	mkdir(dir, 0755);
	ok(rt_unix_addr(dir, "ctl.sock", &sa, &dfd) == 0 && dfd >= 0 &&
		   !strncmp(sa.sun_path, "/proc/self/fd/", 14),
	   "a long one goes through /proc/self/fd");
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	ok(bind(s, (struct sockaddr *)&sa, sizeof(sa)) == 0 && listen(s, 1) == 0,
	   "bind through it");
	close(dfd);
	ok(rt_unix_addr(dir, "ctl.sock", &sa, &dfd) == 0, "again for connect");
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	ok(connect(c, (struct sockaddr *)&sa, sizeof(sa)) == 0, "connect through it");
	close(dfd);
	close(c);
	close(s);
	strcat(dir, "/ctl.sock");
	unlink(dir);
	*strrchr(dir, '/') = '\0';
	rmdir(dir);
	*strrchr(dir, '/') = '\0';
	rmdir(dir);
}

static void test_console(void)
{
	char path[] = "/tmp/rt-cs-XXXXXX";
	char sock[64], name[64] = { 0 };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct rt_pty pty;
	struct rt_err err;
	struct winsize ws;
	int s, c, got = -1;

	if (rt_pty_open(&pty, 33, 99, &err) < 0) {
		skip("no ptys here");
		return;
	}
	ok(ioctl(pty.slave, TIOCGWINSZ, &ws) == 0 && ws.ws_row == 33 && ws.ws_col == 99,
	   "consoleSize applied");
	if (!mkdtemp(path)) {
		rt_pty_close(&pty);
		return;
	}
	snprintf(sock, sizeof(sock), "%s/s", path);
	strcpy(sa.sun_path, sock);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	bind(s, (struct sockaddr *)&sa, sizeof(sa));
	listen(s, 1);
	ok(rt_console_send(sock, pty.master, pty.name, &err) == 0, "master sent");
	c = accept(s, NULL, NULL);
	{
		char cbuf[CMSG_SPACE(sizeof(int) * 4)];
		struct iovec iov = { name, sizeof(name) - 1 };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
				     .msg_controllen = sizeof(cbuf) };
		ssize_t n = recvmsg(c, &mh, 0);
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

		ok(n > 0 && !strcmp(name, pty.name), "payload is the pty's name");
		ok(cm && cm->cmsg_type == SCM_RIGHTS && cm->cmsg_len == CMSG_LEN(sizeof(int)),
		   "exactly one fd");
		if (cm)
			memcpy(&got, CMSG_DATA(cm), sizeof(int));
	}
	ok(got >= 0 && write(got, "x", 1) == 1, "the fd received is the master");
	{
		char ch = 0;

		ok(read(pty.slave, &ch, 1) == 1 && ch == 'x', "raw slave gets the byte at once");
	}
	close(got);
	close(c);
	close(s);
	unlink(sock);
	rmdir(path);
	rt_pty_close(&pty);
}

static int exit_like_status(int signaled, int code)
{
	struct proto_exit ex = { .signaled = (uint32_t)signaled, .code = code };
	pid_t pid = fork();
	int ws = 0;

	if (pid == 0)
		rt_exit_like(&ex);
	waitpid(pid, &ws, 0);
	return ws;
}

static void test_exit_like(void)
{
	int ws;

	ws = exit_like_status(0, 3);
	ok(WIFEXITED(ws) && WEXITSTATUS(ws) == 3, "exit code 3");
	ws = exit_like_status(1, SIGKILL);
	ok(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL, "killed by SIGKILL");
	ws = exit_like_status(1, SIGTERM);
	ok(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGTERM, "killed by SIGTERM");
	ws = exit_like_status(1, SIGSEGV);
	ok(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGSEGV && !WCOREDUMP(ws), "SIGSEGV without a core");
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	test_size();
	test_cgroup_dir();
	test_cgroup_files();
	test_unix_addr();
	test_console();
	test_exit_like();
	return tap_done();
}
