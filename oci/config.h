/* config.json of an OCI bundle as C structs. What runvm honours (in the guest or on
 * the host) is parsed and type-checked; unknown properties are ignored; a known
 * property of the wrong type is an error naming its JSON path. has_* flags tell
 * "absent" from a zero value where the difference matters. */
#ifndef RUNVM_OCI_CONFIG_H
#define RUNVM_OCI_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "oci/json.h"

struct oci_user {
	uint32_t uid, gid;
	bool has_umask;
	uint32_t umask;
	uint32_t *additional_gids;
	size_t n_additional_gids;
};

struct oci_caps {
	struct oci_strv bounding, effective, inheritable, permitted, ambient;
};

struct oci_rlimit {
	char *type;   /* "RLIMIT_NOFILE" */
	int resource; /* RLIMIT_NOFILE */
	uint64_t soft, hard;
};

struct oci_process {
	bool terminal;
	bool has_console_size;
	uint32_t console_height, console_width;
	struct oci_user user;
	struct oci_strv args; /* at least one */
	struct oci_strv env;
	char *cwd; /* defaults to "/" */
	bool has_caps;
	struct oci_caps caps;
	struct oci_rlimit *rlimits;
	size_t n_rlimits;
	bool no_new_privileges;
	bool has_oom_score_adj;
	int oom_score_adj;
	char *apparmor_profile;
	char *selinux_label;
};

struct oci_root {
	char *path; /* as written: may be relative to the bundle */
	bool readonly;
};

struct oci_mount {
	char *destination;
	char *type; /* may be NULL (bind mounts) */
	char *source;
	struct oci_strv options;
};

enum oci_hook_kind {
	OCI_HOOK_PRESTART,
	OCI_HOOK_CREATE_RUNTIME,
	OCI_HOOK_CREATE_CONTAINER,
	OCI_HOOK_START_CONTAINER,
	OCI_HOOK_POSTSTART,
	OCI_HOOK_POSTSTOP,
	OCI_HOOK_KINDS,
};

struct oci_hook {
	char *path;
	struct oci_strv args;
	struct oci_strv env;
	bool has_timeout;
	int timeout; /* seconds, > 0 */
};

struct oci_hook_list {
	struct oci_hook *v;
	size_t n;
};

enum oci_ns_type {
	OCI_NS_PID,
	OCI_NS_NETWORK,
	OCI_NS_MOUNT,
	OCI_NS_IPC,
	OCI_NS_UTS,
	OCI_NS_USER,
	OCI_NS_CGROUP,
	OCI_NS_TIME,
	OCI_NS_TYPES,
};

struct oci_namespace {
	enum oci_ns_type type;
	char *path; /* NULL: a new namespace */
};

/* linux.resources.devices (the device cgroup rules). */
struct oci_device_rule {
	bool allow;
	char type; /* 'a', 'c', 'b' */
	bool has_major, has_minor;
	int64_t major, minor;
	char access[4]; /* subset of "rwm" */
};

/* linux.resources: what the host or guest cgroup can apply. Sections runvm does not
 * apply (blockIO, hugepageLimits, network, rdma, unified) are listed, by JSON path,
 * in unsupported when present and non-empty, so the caller can refuse them. */
struct oci_resources {
	bool has_memory_limit, has_memory_reservation, has_memory_swap;
	int64_t memory_limit, memory_reservation, memory_swap; /* -1: unlimited */
	bool has_cpu_shares, has_cpu_quota, has_cpu_period;
	uint64_t cpu_shares;
	int64_t cpu_quota; /* -1: unlimited */
	uint64_t cpu_period;
	char *cpu_cpus, *cpu_mems;
	bool has_pids_limit;
	int64_t pids_limit; /* <= 0: unlimited */
	struct oci_device_rule *devices;
	size_t n_devices;
	struct oci_strv unsupported;
};

/* linux.devices: device nodes to create in the container. */
struct oci_device {
	char *path;
	char type; /* 'c', 'b', 'u', 'p' */
	int64_t major, minor;
	bool has_file_mode, has_uid, has_gid;
	uint32_t file_mode, uid, gid;
};

struct oci_seccomp_arg {
	uint32_t index;
	uint64_t value, value_two;
	char *op; /* "SCMP_CMP_EQ" ... */
};

struct oci_seccomp_syscall {
	struct oci_strv names;
	char *action; /* "SCMP_ACT_ERRNO" ... */
	bool has_errno_ret;
	uint32_t errno_ret;
	struct oci_seccomp_arg *args;
	size_t n_args;
};

struct oci_seccomp {
	char *default_action;
	bool has_default_errno_ret;
	uint32_t default_errno_ret;
	struct oci_strv architectures;
	struct oci_strv flags;
	char *listener_path;
	struct oci_seccomp_syscall *syscalls;
	size_t n_syscalls;
};

struct oci_linux {
	char *cgroups_path;
	bool has_resources;
	struct oci_resources resources;
	struct oci_namespace *namespaces;
	size_t n_namespaces;
	struct oci_kvv sysctl;
	struct oci_seccomp *seccomp; /* NULL when absent */
	struct oci_strv masked_paths;
	struct oci_strv readonly_paths;
	struct oci_device *devices;
	size_t n_devices;
	bool has_uid_mappings; /* user namespace mappings are present (not honoured) */
};

/* The optional "vm" section. hwConfig.memory is in MiB. */
struct oci_vm {
	char *hypervisor_path;
	struct oci_strv hypervisor_params;
	char *kernel_path;
	struct oci_strv kernel_params;
	char *initrd;
	char *image_path, *image_format; /* a root disk image: not supported by runvm */
	bool has_vcpus, has_memory;
	uint32_t vcpus;
	uint64_t memory_mib;
};

struct oci_config {
	char *oci_version;
	struct oci_process *process; /* NULL when absent */
	struct oci_root root;
	struct oci_mount *mounts;
	size_t n_mounts;
	struct oci_hook_list hooks[OCI_HOOK_KINDS];
	struct oci_kvv annotations;
	char *hostname, *domainname;
	bool has_linux;
	struct oci_linux lnx; /* "linux" (a predefined macro in GNU C) */
	struct oci_vm *vm;    /* NULL when absent */
};

/* Parses a config.json document (NUL-terminated, len bytes). Messages name the JSON
 * path, without a file name: the loader adds it. */
int oci_config_parse(const char *json, size_t len, struct oci_config **out, struct rt_err *err);

/* Reads and parses a file (at most OCI_CONFIG_MAX bytes). Messages start with the
 * file's base name ("config.json: process.args: expected an array of strings"). */
int oci_config_load(const char *path, struct oci_config **out, struct rt_err *err);

void oci_config_free(struct oci_config *c);

/* A process object on its own (exec --process FILE). */
int oci_process_parse(const char *json, size_t len, struct oci_process **out, struct rt_err *err);
void oci_process_free(struct oci_process *p);

/* A LinuxResources object on its own (update --resources FILE). */
int oci_resources_parse(const char *json, size_t len, struct oci_resources *out,
			struct rt_err *err);
void oci_resources_fini(struct oci_resources *r);

const char *oci_hook_kind_name(enum oci_hook_kind kind);
const char *oci_ns_type_name(enum oci_ns_type type);

/* Name tables for validation and for `runvm features`: NULL-terminated. */
extern const char *const oci_seccomp_actions[];
extern const char *const oci_seccomp_ops[];
extern const char *const oci_seccomp_archs[];
extern const char *const oci_capabilities[];
bool oci_name_in(const char *const *list, const char *name);

/* The internal parsers, shared between the oci/config*.c files. */
int oci_parse_process(yajl_val v, const char *path, struct oci_process *p, struct rt_err *err);
void oci_process_fini(struct oci_process *p);
int oci_parse_linux(yajl_val v, const char *path, struct oci_linux *l, struct rt_err *err);
void oci_linux_fini(struct oci_linux *l);
int oci_parse_resources(yajl_val v, const char *path, struct oci_resources *r, struct rt_err *err);
int oci_parse_seccomp(yajl_val v, const char *path, struct oci_seccomp *s, struct rt_err *err);
void oci_seccomp_fini(struct oci_seccomp *s);
int oci_parse_vm(yajl_val v, const char *path, struct oci_vm *vm, struct rt_err *err);
void oci_vm_fini(struct oci_vm *vm);

#endif
