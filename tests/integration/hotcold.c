// SPDX-License-Identifier: GPL-2.0-only
/*
 * hotcold: one small VMA refaulted constantly (MADV_DONTNEED + touch), one
 * bigger VMA touched once and left cold. Prints "HOT COLD COLDLEN" (hex)
 * on stdout, then loops until killed. SIGUSR1 unmaps the cold VMA.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define HOT_PAGES 64
#define COLD_PAGES 4096

static volatile sig_atomic_t unmap_cold;

static void on_usr1(int sig)
{
	(void)sig;
	unmap_cold = 1;
}

int main(void)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	size_t hot_len = HOT_PAGES * pg, cold_len = COLD_PAGES * pg;
	size_t total = cold_len + hot_len + 3 * pg;
	char *area, *cold, *hot;
	size_t i;

	/* [guard][cold][guard][hot][guard]: guards keep the VMAs apart. */
	area = mmap(NULL, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED) {
		perror("hotcold: mmap");
		return 1;
	}
	cold = area + pg;
	hot = cold + cold_len + pg;
	if (mprotect(cold, cold_len, PROT_READ | PROT_WRITE) ||
	    mprotect(hot, hot_len, PROT_READ | PROT_WRITE)) {
		perror("hotcold: mprotect");
		return 1;
	}
	memset(cold, 1, cold_len);
	signal(SIGUSR1, on_usr1);
	printf("%lx %lx %lx\n", (unsigned long)(uintptr_t)hot,
	       (unsigned long)(uintptr_t)cold, (unsigned long)cold_len);
	fflush(stdout);
	for (;;) {
		if (unmap_cold == 1) {
			munmap(cold, cold_len);
			unmap_cold = 2;
		}
		madvise(hot, hot_len, MADV_DONTNEED);
		for (i = 0; i < hot_len; i += pg)
			hot[i] = (char)i;
		usleep(1000);
	}
}
