/* Starting a container's VMM: the share (staging directory), spec.bin, the host
 * cgroup, the pty, and runvm-vmm itself, then waiting for its verdict on the
 * ready fd. Used by rt_vm_launch (runtime/vm.c). */
#ifndef RUNVM_RUNTIME_LAUNCH_H
#define RUNVM_RUNTIME_LAUNCH_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/err.h"
#include "oci/config.h"
#include "runtime/container.h"
#include "runtime/net.h"
#include "runtime/ops.h"
#include "runtime/vmconf.h"

#define RT_SPEC_FILE "spec.bin"
#define RT_VMM_LOG "vmm.log"
#define RT_CONSOLE_LOG "console.log" /* the guest's serial console, with --debug */
#define RT_BOOT_TIMEOUT_S 300	     /* RUNVM_BOOT_TIMEOUT overrides */

/* Bind-mounts the rootfs and every bind-mount source into STATE/share and writes
 * STATE/spec.bin (with net's interfaces and routes, and o's extra fds). */
int rt_launch_prepare(struct rt_container *c, const struct oci_config *cfg, const char *rootfs,
		      struct rt_net *net, const struct rt_create_opts *o, struct rt_err *err);

/* Spawns the VMM and waits for "ok". foreground: the VMM is our child (run);
 * else it is double-forked away (create). Our fds 3.. of --preserve-fds go to
 * the VMM (--extra-fds). Sets c->st.pid as soon as the VMM
 * exists, so that a failure can be cleaned up by rt_vm_destroy. */
int rt_launch_vmm(const struct rt_globals *g, struct rt_container *c,
		  const struct oci_config *cfg, const struct rt_vm_files *f, unsigned cpus,
		  uint64_t mem, const struct rt_net *net, const struct rt_create_opts *o,
		  bool foreground, struct rt_err *err);

/* Puts the caller's terminal back the way it was, when a foreground run with
 * process.terminal used it as the console. */
void rt_launch_restore_tty(void);

#endif
