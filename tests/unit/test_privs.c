// SPDX-License-Identifier: GPL-2.0-only
/*
 * privs_drop() for real: each case runs in a child process (a dropped
 * capability cannot come back), checks /proc/self/status and tries
 * actions that need a capability kept or dropped. Needs root with a
 * full capability set; exits 77 (skipped) otherwise. Prints TAP.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <unistd.h>

#include "privs.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define BIT(c) (1ULL << (c))

static char scratch[64]; /* a file owned by root, for chown */

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int fail(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	return 1;
}

#define EXPECT(cond)                                                         \
	do {                                                                 \
		if (!(cond))                                                 \
			return fail("%s:%d: %s", __func__, __LINE__, #cond); \
	} while (0)

/* A field of /proc/self/status; base 16 for Cap*, 10 otherwise. */
static uint64_t status_field(const char *field, int base)
{
	FILE *f = fopen("/proc/self/status", "re");
	size_t n = strlen(field);
	uint64_t v = UINT64_MAX;
	char line[256];

	if (!f)
		return v;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, field, n) && line[n] == ':') {
			v = strtoull(line + n + 1, NULL, base);
			break;
		}
	}
	fclose(f);
	return v;
}

/* Is the PFN of one of our pages visible in pagemap (CAP_SYS_ADMIN)? */
static int pfn_visible(void)
{
	long psz = sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, (size_t)psz, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t e = 0;
	int fd;

	if (p == MAP_FAILED)
		return 0;
	p[0] = 1;
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (pread(fd, &e, sizeof(e),
			  (off_t)((uintptr_t)p / (uintptr_t)psz * 8)) !=
		    sizeof(e))
			e = 0;
		close(fd);
	}
	munmap(p, (size_t)psz);
	return (e >> 63) && (e & ((1ULL << 55) - 1)) != 0;
}

/* Needs CAP_NET_ADMIN (or, since 5.17, CAP_NET_RAW): both dropped. */
static int set_mark(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), mark = 7, r;

	if (fd < 0)
		return -errno;
	r = setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark));
	r = r < 0 ? -errno : 0;
	close(fd);
	return r;
}

static int chown_scratch(uid_t uid)
{
	return chown(scratch, uid, (gid_t)-1) < 0 ? -errno : 0;
}

static int drop_keeps_exactly(void)
{
	const cap_value_t keep[] = { CAP_SYS_ADMIN, CAP_SYS_PTRACE };
	const uint64_t want = BIT(CAP_SYS_ADMIN) | BIT(CAP_SYS_PTRACE);
	int setpcap = !!(status_field("CapEff", 16) & BIT(CAP_SETPCAP));
	int pfn_before = pfn_visible();
	uint64_t eff = 0;
	char err[256];

	/* the actions work before the drop, so their failure is its doing */
	EXPECT(chown_scratch(12345) == 0);
	EXPECT(chown_scratch(0) == 0);
	EXPECT(set_mark() == 0);

	EXPECT(privs_drop(keep, (int)ARRAY_SIZE(keep), err, sizeof(err)) == 0);
	EXPECT(privs_current(&eff) == 0);
	EXPECT(eff == want);
	EXPECT(status_field("CapEff", 16) == want);
	EXPECT(status_field("CapPrm", 16) == want);
	EXPECT(status_field("CapInh", 16) == 0);
	EXPECT(status_field("CapAmb", 16) == 0);
	if (setpcap)
		EXPECT(status_field("CapBnd", 16) == want);
	else
		printf("# no CAP_SETPCAP: bounding set not checked\n");
	EXPECT(status_field("NoNewPrivs", 10) == 1);

	EXPECT(chown_scratch(12345) == -EPERM);
	EXPECT(set_mark() == -EPERM);
	/* CAP_SYS_ADMIN stayed: physical frame numbers are still shown */
	if (pfn_before)
		EXPECT(pfn_visible());
	return 0;
}

static int drop_everything(void)
{
	uint64_t eff = 1;
	char err[256];

	EXPECT(privs_drop(NULL, 0, err, sizeof(err)) == 0);
	EXPECT(privs_current(&eff) == 0);
	EXPECT(eff == 0);
	EXPECT(status_field("CapPrm", 16) == 0);
	EXPECT(chown_scratch(12345) == -EPERM);
	EXPECT(!pfn_visible());
	return 0;
}

/* A capability no longer permitted cannot be kept: nothing changes. */
static int keep_not_permitted(void)
{
	const cap_value_t first[] = { CAP_SYS_ADMIN, CAP_CHOWN };
	const cap_value_t second[] = { CAP_CHOWN, CAP_NET_ADMIN };
	const uint64_t want = BIT(CAP_SYS_ADMIN) | BIT(CAP_CHOWN);
	uint64_t eff = 0;
	char err[256];

	EXPECT(privs_drop(first, 2, err, sizeof(err)) == 0);
	EXPECT(privs_drop(second, 2, err, sizeof(err)) == -EPERM);
	EXPECT(strstr(err, "cap_net_admin") != NULL);
	EXPECT(privs_current(&eff) == 0);
	EXPECT(eff == want);
	EXPECT(chown_scratch(12345) == 0);
	EXPECT(chown_scratch(0) == 0);
	return 0;
}

static int bad_arguments(void)
{
	const cap_value_t huge[] = { CAP_SYS_ADMIN, 4096 };
	const cap_value_t negative[] = { -1 };
	uint64_t before = status_field("CapEff", 16), eff = 0;
	char err[256];

	EXPECT(privs_drop(NULL, 1, err, sizeof(err)) == -EINVAL);
	EXPECT(privs_drop(huge, -1, err, sizeof(err)) == -EINVAL);
	EXPECT(privs_drop(huge, 2, err, sizeof(err)) == -EINVAL);
	EXPECT(strstr(err, "capability 4096 out of range") != NULL);
	EXPECT(privs_drop(negative, 1, NULL, 0) == -EINVAL);
	EXPECT(privs_current(&eff) == 0);
	EXPECT(eff == before);
	EXPECT(status_field("NoNewPrivs", 10) == 0);
	return 0;
}

/* privs_current() against capget(2) through libcap, bit by bit. */
static int current_matches_capget(void)
{
	cap_t caps = cap_get_proc();
	cap_flag_value_t v;
	uint64_t eff = 0, got = 0;
	cap_value_t c;

	EXPECT(caps != NULL);
	for (c = 0; c < (cap_value_t)cap_max_bits(); c++) {
		EXPECT(cap_get_flag(caps, c, CAP_EFFECTIVE, &v) == 0);
		if (v == CAP_SET)
			got |= BIT(c);
	}
	cap_free(caps);
	EXPECT(privs_current(&eff) == 0);
	EXPECT(eff == got);
	EXPECT(eff & BIT(CAP_SYS_ADMIN));
	return 0;
}

static int memlock(void)
{
	int resource = !!(status_field("CapEff", 16) & BIT(CAP_SYS_RESOURCE));
	struct rlimit low = { 65536, 65536 }, rl;
	const cap_value_t keep[] = { CAP_SYS_ADMIN };
	char err[256];

	EXPECT(setrlimit(RLIMIT_MEMLOCK, &low) == 0);
	privs_memlock();
	EXPECT(getrlimit(RLIMIT_MEMLOCK, &rl) == 0);
	if (resource) {
		EXPECT(rl.rlim_cur == RLIM_INFINITY &&
		       rl.rlim_max == RLIM_INFINITY);
		EXPECT(setrlimit(RLIMIT_MEMLOCK, &low) == 0);
	} else {
		printf("# no CAP_SYS_RESOURCE here: only the refusal is checked\n");
		EXPECT(rl.rlim_cur == 65536 && rl.rlim_max == 65536);
	}

	/* without CAP_SYS_RESOURCE it is refused, quietly */
	EXPECT(privs_drop(keep, 1, err, sizeof(err)) == 0);
	privs_memlock();
	EXPECT(getrlimit(RLIMIT_MEMLOCK, &rl) == 0);
	EXPECT(rl.rlim_cur == 65536 && rl.rlim_max == 65536);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(void);
} cases[] = {
	{ "privs_current matches capget", current_matches_capget },
	{ "drop to CAP_SYS_ADMIN and CAP_SYS_PTRACE", drop_keeps_exactly },
	{ "drop everything", drop_everything },
	{ "keeping a capability no longer permitted", keep_not_permitted },
	{ "bad arguments change nothing", bad_arguments },
	{ "memlock raised, refusal tolerated", memlock },
};

int main(void)
{
	const uint64_t need = BIT(CAP_SYS_ADMIN) | BIT(CAP_SYS_PTRACE) |
			      BIT(CAP_CHOWN) | BIT(CAP_NET_ADMIN);
	int failed = 0, fd, status;
	size_t i;
	pid_t pid;

	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root\n");
		return 77;
	}
	if ((status_field("CapEff", 16) & need) != need) {
		printf("1..0 # SKIP needs CAP_SYS_ADMIN, CAP_SYS_PTRACE, "
		       "CAP_CHOWN and CAP_NET_ADMIN\n");
		return 77;
	}
	snprintf(scratch, sizeof(scratch), "/tmp/contig-privs-XXXXXX");
	fd = mkstemp(scratch);
	if (fd < 0) {
		perror("mkstemp");
		return 1;
	}
	close(fd);

	printf("1..%zu\n", ARRAY_SIZE(cases));
	fflush(stdout);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		pid = fork();
		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			status = cases[i].fn();
			fflush(stdout);
			_exit(status);
		}
		if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status)) {
			printf("not ok %zu - %s\n", i + 1, cases[i].name);
			failed++;
		} else {
			printf("ok %zu - %s\n", i + 1, cases[i].name);
		}
		fflush(stdout);
	}
	unlink(scratch);
	return failed ? 1 : 0;
}
