/*
 * kvmcheck: does /dev/kvm on this machine actually run 64-bit guest code?
 *
 * Opens /dev/kvm, checks the API version, creates a VM with 2 MiB of guest memory holding
 * identity-mapped page tables (one 2 MiB page), a GDT and a few instructions, enters 64-bit
 * long mode directly through KVM_SET_SREGS and runs:
 *
 *     movabs $0x4200000000000000, %rax   (only means this in 64-bit mode)
 *     shr    $56, %rax                   -> %al = 0x42
 *     out    %al, $0x10
 *     hlt
 *
 * and checks that the VM exits with KVM_EXIT_IO on port 0x10 with value 0x42, then with
 * KVM_EXIT_HLT.
 *
 * Exit status: 0 KVM works; 1 KVM is there but the check failed (message says how);
 * 2 KVM cannot be used on this machine: no /dev/kvm, permission denied, or /dev/kvm is PVM
 * (software KVM, which cannot boot a stock guest kernel; use tests/testhost/run).
 *
 * usage: kvmcheck [-f|--force] [-q|--quiet]
 *   --force  run the check even when /dev/kvm looks like PVM
 *   --quiet  print nothing on success
 * Self-contained on purpose: no project libraries.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define EXIT_WORKS 0
#define EXIT_FAILED 1
#define EXIT_UNUSABLE 2

#define MEM_SIZE 0x200000UL /* 2 MiB, one large page */
#define PML4_ADDR 0x1000UL
#define PDPT_ADDR 0x2000UL
#define PD_ADDR 0x3000UL
#define GDT_ADDR 0x4000UL
#define CODE_ADDR 0x8000UL
#define STACK_TOP 0x1ff000UL

#define TEST_PORT 0x10
#define TEST_VALUE 0x42
#define RUN_TIMEOUT_S 10

#define PTE_P (1ULL << 0)
#define PTE_RW (1ULL << 1)
#define PTE_PS (1ULL << 7)

#define CR0_PE (1ULL << 0)
#define CR0_MP (1ULL << 1)
#define CR0_ET (1ULL << 4)
#define CR0_NE (1ULL << 5)
#define CR0_WP (1ULL << 16)
#define CR0_AM (1ULL << 18)
#define CR0_PG (1ULL << 31)
#define CR4_PAE (1ULL << 5)
#define EFER_LME (1ULL << 8)
#define EFER_LMA (1ULL << 10)

static int quiet;
static volatile sig_atomic_t timed_out;

static void on_alarm(int sig)
{
    (void)sig;
    timed_out = 1;
}

static void fail_errno(const char *what)
{
    fprintf(stderr, "kvmcheck: %s: %s\n", what, strerror(errno));
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* 1 if /proc/cpuinfo lists vmx or svm among the flags of the first CPU, 0 if not, -1 if
 * it cannot be read. */
static int cpu_has_hw_virt(void)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[8192];
    int found = -1;

    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f)) {
        char *colon, *tok, *save = NULL;

        if (strncmp(line, "flags", 5) != 0 || !(colon = strchr(line, ':')))
            continue;
        found = 0;
        for (tok = strtok_r(colon + 1, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save))
            if (!strcmp(tok, "vmx") || !strcmp(tok, "svm"))
                found = 1;
        break;
    }
    fclose(f);
    return found;
}

static const char *exit_reason_name(uint32_t reason)
{
    switch (reason) {
    case KVM_EXIT_UNKNOWN: return "UNKNOWN";
    case KVM_EXIT_EXCEPTION: return "EXCEPTION";
    case KVM_EXIT_IO: return "IO";
    case KVM_EXIT_HYPERCALL: return "HYPERCALL";
    case KVM_EXIT_DEBUG: return "DEBUG";
    case KVM_EXIT_HLT: return "HLT";
    case KVM_EXIT_MMIO: return "MMIO";
    case KVM_EXIT_IRQ_WINDOW_OPEN: return "IRQ_WINDOW_OPEN";
    case KVM_EXIT_SHUTDOWN: return "SHUTDOWN";
    case KVM_EXIT_FAIL_ENTRY: return "FAIL_ENTRY";
    case KVM_EXIT_INTR: return "INTR";
    case KVM_EXIT_SET_TPR: return "SET_TPR";
    case KVM_EXIT_TPR_ACCESS: return "TPR_ACCESS";
    case KVM_EXIT_NMI: return "NMI";
    case KVM_EXIT_INTERNAL_ERROR: return "INTERNAL_ERROR";
    case KVM_EXIT_SYSTEM_EVENT: return "SYSTEM_EVENT";
    default: return "?";
    }
}

static const char *internal_suberror_name(uint32_t sub)
{
    switch (sub) {
    case KVM_INTERNAL_ERROR_EMULATION: return "instruction emulation failed";
    case KVM_INTERNAL_ERROR_SIMUL_EX: return "exception while delivering an exception";
    case KVM_INTERNAL_ERROR_DELIVERY_EV: return "event delivery failed";
    default: return "unknown suberror";
    }
}

/* Describe an exit that is not the one expected; returns EXIT_FAILED. */
static int report_unexpected_exit(const struct kvm_run *run, const char *expected)
{
    uint32_t i;

    switch (run->exit_reason) {
    case KVM_EXIT_FAIL_ENTRY:
        fprintf(stderr,
                "kvmcheck: the CPU refused to enter the guest (KVM_EXIT_FAIL_ENTRY, hardware "
                "entry failure reason 0x%llx on cpu %u): the guest state set up for 64-bit "
                "mode was rejected\n",
                (unsigned long long)run->fail_entry.hardware_entry_failure_reason,
                run->fail_entry.cpu);
        break;
    case KVM_EXIT_INTERNAL_ERROR:
        fprintf(stderr, "kvmcheck: KVM internal error %u (%s)", run->internal.suberror,
                internal_suberror_name(run->internal.suberror));
        for (i = 0; i < run->internal.ndata && i < 16; i++)
            fprintf(stderr, "%s0x%llx", i ? " " : "; data ",
                    (unsigned long long)run->internal.data[i]);
        fprintf(stderr, "\n");
        break;
    case KVM_EXIT_SHUTDOWN:
        fprintf(stderr, "kvmcheck: the guest shut down (KVM_EXIT_SHUTDOWN: a triple fault, "
                        "i.e. the page tables, GDT or code were not usable as set up)\n");
        break;
    case KVM_EXIT_IO:
        fprintf(stderr, "kvmcheck: unexpected I/O exit: %s port 0x%x size %u count %u (wanted %s)\n",
                run->io.direction == KVM_EXIT_IO_OUT ? "out" : "in", run->io.port, run->io.size,
                run->io.count, expected);
        break;
    case KVM_EXIT_MMIO:
        fprintf(stderr, "kvmcheck: unexpected MMIO exit at 0x%llx (%s, %u bytes; wanted %s): "
                        "the guest touched memory outside its 2 MiB\n",
                (unsigned long long)run->mmio.phys_addr, run->mmio.is_write ? "write" : "read",
                run->mmio.len, expected);
        break;
    default:
        fprintf(stderr, "kvmcheck: unexpected exit %u (KVM_EXIT_%s), wanted %s\n",
                run->exit_reason, exit_reason_name(run->exit_reason), expected);
        break;
    }
    return EXIT_FAILED;
}

static int set_cpuid(int kvm, int vcpu)
{
    int nent = 64;

    for (;;) {
        size_t sz = sizeof(struct kvm_cpuid2) + (size_t)nent * sizeof(struct kvm_cpuid_entry2);
        struct kvm_cpuid2 *cpuid = calloc(1, sz);
        int rc;

        if (!cpuid) {
            fail_errno("calloc");
            return -1;
        }
        cpuid->nent = (uint32_t)nent;
        rc = ioctl(kvm, KVM_GET_SUPPORTED_CPUID, cpuid);
        if (rc < 0 && errno == E2BIG && nent < 4096) {
            free(cpuid);
            nent *= 2;
            continue;
        }
        if (rc < 0) {
            fail_errno("KVM_GET_SUPPORTED_CPUID");
            free(cpuid);
            return -1;
        }
        rc = ioctl(vcpu, KVM_SET_CPUID2, cpuid);
        if (rc < 0)
            fail_errno("KVM_SET_CPUID2");
        free(cpuid);
        return rc < 0 ? -1 : 0;
    }
}

static void setup_memory(uint8_t *mem)
{
    uint64_t *pml4 = (uint64_t *)(mem + PML4_ADDR);
    uint64_t *pdpt = (uint64_t *)(mem + PDPT_ADDR);
    uint64_t *pd = (uint64_t *)(mem + PD_ADDR);
    uint64_t *gdt = (uint64_t *)(mem + GDT_ADDR);
    static const uint8_t code[] = {
        0x48, 0xb8, 0, 0, 0, 0, 0, 0, 0, TEST_VALUE, /* movabs $0x42<<56, %rax */
        0x48, 0xc1, 0xe8, 0x38,                      /* shr $56, %rax */
        0xe6, TEST_PORT,                             /* out %al, $0x10 */
        0xf4,                                        /* hlt */
        0xeb, 0xfd,                                  /* jmp hlt */
    };

    pml4[0] = PDPT_ADDR | PTE_P | PTE_RW;
    pdpt[0] = PD_ADDR | PTE_P | PTE_RW;
    pd[0] = 0 | PTE_P | PTE_RW | PTE_PS; /* GPA 0..2 MiB, identity */

    gdt[0] = 0;
    gdt[1] = 0x00af9b000000ffffULL; /* 0x08: 64-bit code, DPL 0 */
    gdt[2] = 0x00cf93000000ffffULL; /* 0x10: data */

    memcpy(mem + CODE_ADDR, code, sizeof(code));
}

static void set_seg(struct kvm_segment *s, uint16_t selector, uint8_t type, int code64)
{
    memset(s, 0, sizeof(*s));
    s->base = 0;
    s->limit = 0xffffffff;
    s->selector = selector;
    s->type = type;
    s->present = 1;
    s->dpl = 0;
    s->s = 1;
    s->g = 1;
    s->l = code64 ? 1 : 0;
    s->db = code64 ? 0 : 1;
}

static int setup_vcpu(int vcpu)
{
    struct kvm_sregs sregs;
    struct kvm_regs regs;

    if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0) {
        fail_errno("KVM_GET_SREGS");
        return -1;
    }
    sregs.cr3 = PML4_ADDR;
    sregs.cr4 = CR4_PAE;
    sregs.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_AM | CR0_PG;
    sregs.efer = EFER_LME | EFER_LMA;
    sregs.gdt.base = GDT_ADDR;
    sregs.gdt.limit = 3 * 8 - 1;
    set_seg(&sregs.cs, 0x08, 11, 1); /* execute/read, accessed */
    set_seg(&sregs.ds, 0x10, 3, 0);  /* read/write, accessed */
    sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
    if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0) {
        fail_errno("KVM_SET_SREGS (entering 64-bit long mode)");
        return -1;
    }

    memset(&regs, 0, sizeof(regs));
    regs.rip = CODE_ADDR;
    regs.rsp = STACK_TOP;
    regs.rflags = 0x2;
    if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0) {
        fail_errno("KVM_SET_REGS");
        return -1;
    }
    return 0;
}

/* KVM_RUN once, bounded by RUN_TIMEOUT_S. Returns 0, or -1 after a message. */
static int run_once(int vcpu)
{
    int rc;

    timed_out = 0;
    alarm(RUN_TIMEOUT_S);
    do {
        rc = ioctl(vcpu, KVM_RUN, 0);
    } while (rc < 0 && errno == EINTR && !timed_out);
    alarm(0);
    if (rc < 0 && timed_out) {
        fprintf(stderr, "kvmcheck: the guest did not exit within %d s\n", RUN_TIMEOUT_S);
        return -1;
    }
    if (rc < 0) {
        fail_errno("KVM_RUN");
        return -1;
    }
    return 0;
}

static int check(void)
{
    int kvm, vm, vcpu, api, mmap_size;
    uint8_t *mem;
    struct kvm_run *run;
    struct kvm_userspace_memory_region region;
    struct kvm_regs regs;
    struct sigaction sa;
    uint8_t value;

    kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0) {
        if (errno == ENOENT) {
            fprintf(stderr, "kvmcheck: no /dev/kvm (no kvm module loaded, or no hardware "
                            "virtualization on this machine)\n");
            return EXIT_UNUSABLE;
        }
        if (errno == EACCES || errno == EPERM) {
            fprintf(stderr, "kvmcheck: permission denied opening /dev/kvm (uid %u; it needs "
                            "root or membership in the device's group, usually 'kvm')\n",
                    (unsigned)getuid());
            return EXIT_UNUSABLE;
        }
        fail_errno("open /dev/kvm");
        return errno == ENXIO || errno == ENODEV ? EXIT_UNUSABLE : EXIT_FAILED;
    }

    api = ioctl(kvm, KVM_GET_API_VERSION, 0);
    if (api != KVM_API_VERSION) {
        if (api < 0)
            fail_errno("KVM_GET_API_VERSION");
        else
            fprintf(stderr, "kvmcheck: KVM API version %d, expected %d\n", api, KVM_API_VERSION);
        return EXIT_FAILED;
    }

    vm = ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm < 0) {
        fail_errno("KVM_CREATE_VM");
        return EXIT_FAILED;
    }
    /* Intel needs a TSS area below 4 GiB (outside guest RAM); harmless elsewhere. */
    if (ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_SET_TSS_ADDR) > 0 &&
        ioctl(vm, KVM_SET_TSS_ADDR, 0xfffbd000UL) < 0) {
        fail_errno("KVM_SET_TSS_ADDR");
        return EXIT_FAILED;
    }

    mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
               -1, 0);
    if (mem == MAP_FAILED) {
        fail_errno("mmap guest memory");
        return EXIT_FAILED;
    }
    setup_memory(mem);
    memset(&region, 0, sizeof(region));
    region.slot = 0;
    region.guest_phys_addr = 0;
    region.memory_size = MEM_SIZE;
    region.userspace_addr = (uint64_t)(uintptr_t)mem;
    if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
        fail_errno("KVM_SET_USER_MEMORY_REGION");
        return EXIT_FAILED;
    }

    vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    if (vcpu < 0) {
        fail_errno("KVM_CREATE_VCPU");
        return EXIT_FAILED;
    }
    mmap_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (mmap_size < (int)sizeof(struct kvm_run)) {
        if (mmap_size < 0)
            fail_errno("KVM_GET_VCPU_MMAP_SIZE");
        else
            fprintf(stderr, "kvmcheck: vcpu mmap size %d is too small\n", mmap_size);
        return EXIT_FAILED;
    }
    run = mmap(NULL, (size_t)mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
    if (run == MAP_FAILED) {
        fail_errno("mmap kvm_run");
        return EXIT_FAILED;
    }
    /* Long mode needs a guest CPUID with LM; give the guest what KVM supports. */
    if (set_cpuid(kvm, vcpu) < 0)
        return EXIT_FAILED;
    if (setup_vcpu(vcpu) < 0)
        return EXIT_FAILED;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_alarm; /* no SA_RESTART: KVM_RUN returns EINTR */
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGALRM, &sa, NULL) < 0) {
        fail_errno("sigaction");
        return EXIT_FAILED;
    }

    if (run_once(vcpu) < 0)
        return EXIT_FAILED;
    if (run->exit_reason != KVM_EXIT_IO || run->io.direction != KVM_EXIT_IO_OUT ||
        run->io.port != TEST_PORT || run->io.size != 1 || run->io.count != 1)
        return report_unexpected_exit(run, "out to port 0x10");
    value = *((uint8_t *)run + run->io.data_offset);
    if (value != TEST_VALUE) {
        fprintf(stderr,
                "kvmcheck: I/O exit on port 0x%x carried 0x%02x, expected 0x%02x (the 64-bit "
                "instructions did not compute what they should: not in long mode?)\n",
                run->io.port, value, TEST_VALUE);
        return EXIT_FAILED;
    }

    if (run_once(vcpu) < 0)
        return EXIT_FAILED;
    if (run->exit_reason != KVM_EXIT_HLT)
        return report_unexpected_exit(run, "hlt");
    if (ioctl(vcpu, KVM_GET_REGS, &regs) < 0) {
        fail_errno("KVM_GET_REGS");
        return EXIT_FAILED;
    }
    if (regs.rax != TEST_VALUE) {
        fprintf(stderr, "kvmcheck: rax is 0x%llx after the guest code, expected 0x%x\n",
                (unsigned long long)regs.rax, TEST_VALUE);
        return EXIT_FAILED;
    }

    if (!quiet)
        printf("kvmcheck: KVM works: 64-bit guest code ran, I/O exit on port 0x%02x value 0x%02x\n",
               TEST_PORT, value);
    munmap(run, (size_t)mmap_size);
    munmap(mem, MEM_SIZE);
    close(vcpu);
    close(vm);
    close(kvm);
    return EXIT_WORKS;
}

int main(int argc, char **argv)
{
    int force = 0, i, hw;

    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-f") || !strcmp(argv[i], "--force")) {
            force = 1;
        } else if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet")) {
            quiet = 1;
        } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            printf("usage: kvmcheck [-f|--force] [-q|--quiet]\n"
                   "exit 0: KVM runs 64-bit guest code; 1: KVM failed; 2: no usable KVM here\n");
            return EXIT_WORKS;
        } else {
            fprintf(stderr, "kvmcheck: unknown argument %s (try --help)\n", argv[i]);
            return EXIT_FAILED;
        }
    }

    if (file_exists("/dev/kvm") && !force) {
        int pvm_module = file_exists("/sys/module/kvm_pvm");

        hw = cpu_has_hw_virt();
        if (pvm_module || hw == 0) {
            fprintf(stderr,
                    "kvmcheck: /dev/kvm is PVM (software KVM%s%s): it cannot run a stock "
                    "guest kernel; run KVM tests inside the test host (tests/testhost/run), "
                    "or pass --force to try anyway\n",
                    pvm_module ? ", kvm_pvm module loaded" : "",
                    hw == 0 ? ", no vmx/svm in /proc/cpuinfo" : "");
            return EXIT_UNUSABLE;
        }
    }
    return check();
}
