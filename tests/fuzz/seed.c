/* Writes a seed corpus for fuzz_proto: one encoded message of each kind, a rich
 * spec among them, each in its own file under the directory given. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/proto.h"

static void save(const char *dir, const char *name, struct proto_buf *b)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/seed-%s", dir, name);
	f = fopen(path, "wb");
	if (f) {
		fwrite(b->data, 1, b->len, f);
		fclose(f);
	}
	proto_buf_reset(b);
}

static void seed_spec(const char *dir, struct proto_buf *b)
{
	static const char *args[] = { "sh", "-c", "echo hi" }, *env[] = { "PATH=/bin" };
	static const char *opts[] = { "nosuid", "mode=755" }, *paths[] = { "/proc/kcore" };
	static const char *names[] = { "mkdir", "mkdirat" }, *archs[] = { "SCMP_ARCH_X86_64" };
	static uint32_t gids[] = { 10, 20 };
	static struct proto_rlimit rl = { 7, 10, 20 };
	static struct proto_mount m = { "tmpfs", "/dev", "tmpfs", { 2, opts } };
	static struct proto_kv kv = { "kernel.msgmax", "8192" };
	static struct proto_device d = { "/dev/fuse", 'c', 10, 229, 0666, 0, 0, PROTO_DEV_MODE };
	static struct proto_scmp_arg a = { 1, PROTO_SCMP_MASKED_EQ, 0xff, 8 };
	static struct proto_scmp_rule r = { { 2, names }, PROTO_SCMP_ERRNO, EPERM, 1, &a };
	static struct proto_hook hk = { "/bin/hook", { 3, args }, { 1, env }, 5 };
	struct proto_spec s = {
		.id = "c1", .root_path = "/rootfs", .flags = PROTO_SPEC_SECCOMP,
		.namespaces = PROTO_NS_PID, .hostname = "h",
		.process = { .flags = PROTO_PROC_NNP, .args = { 3, args }, .env = { 1, env },
			     .cwd = "/", .n_gids = 2, .gids = gids, .n_rlimits = 1, .rlimits = &rl,
			     .stdio = { 1025, 1026, 1027 } },
		.n_mounts = 1, .mounts = &m, .n_sysctl = 1, .sysctl = &kv,
		.masked = { 1, paths }, .n_devices = 1, .devices = &d, .n_cgroup = 1, .cgroup = &kv,
		.seccomp = { .default_action = PROTO_SCMP_ALLOW, .archs = { 1, archs },
			     .n_rules = 1, .rules = &r },
		.n_hooks = 1, .hooks = &hk, .hook_state = "{\"id\":\"c1\"}",
	};
	struct proto_update u = { .n_cgroup = 1, .cgroup = &kv };
	struct proto_exec e = { .proc_id = 2, .process = s.process };

	proto_enc_spec(b, 1, &s);
	save(dir, "spec", b);
	proto_enc_exec(b, 2, &e);
	save(dir, "exec", b);
	proto_enc_update(b, 3, &u);
	save(dir, "update", b);
}

int main(int argc, char **argv)
{
	struct proto_buf b;
	struct proto_result res = { .err = -2, .pid = 3, .msg = "exec: \"x\": not found" };
	uint32_t pids[] = { 1, 2, 3 };

	if (argc != 2) {
		fprintf(stderr, "usage: fuzz_seed DIR\n");
		return 2;
	}
	proto_buf_init(&b);
	seed_spec(argv[1], &b);
	proto_enc_hello(&b, &(struct proto_hello){ .uptime_ns = 1, .version = "0.1" });
	save(argv[1], "hello", &b);
	proto_enc_result(&b, PROTO_RESULT, 1, &res);
	save(argv[1], "result", &b);
	proto_enc_signal(&b, 1, &(struct proto_signal){ 0, 9, PROTO_SIGNAL_ALL });
	save(argv[1], "signal", &b);
	proto_enc_resize(&b, 1, &(struct proto_resize){ 0, 24, 80 });
	save(argv[1], "resize", &b);
	proto_enc_exit(&b, &(struct proto_exit){ 0, 5, 1, 9 });
	save(argv[1], "exit", &b);
	proto_enc_oom(&b, &(struct proto_oom){ 1 });
	save(argv[1], "oom", &b);
	proto_enc_ps_result(&b, 1, pids, 3);
	save(argv[1], "ps", &b);
	proto_buf_fini(&b);
	return 0;
}
