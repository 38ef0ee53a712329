/*
 * seccomp_exec: run a program under a deny-list seccomp filter built with
 * libseccomp the way systemd builds one for a unit with
 *   SystemCallFilter=~NAMES  SystemCallErrorNumber=EPERM
 *   SystemCallArchitectures=native  NoNewPrivileges=yes
 * (default action allow, each named system call fails with EPERM, names
 * unknown on this architecture skipped, other architectures killed).
 * The machine runs no systemd, so the daemon test uses this to run the
 * daemon under the unit's filter.
 *
 * usage: seccomp_exec SYSCALL... -- PROGRAM [ARG...]
 * Built by the test: gcc -o seccomp_exec seccomp_exec.c -lseccomp
 */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	scmp_filter_ctx ctx;
	int i, r, denied = 0;

	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (ctx == NULL) {
		fprintf(stderr, "seccomp_exec: seccomp_init failed\n");
		return 125;
	}
	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		int nr = seccomp_syscall_resolve_name(argv[i]);
		if (nr == __NR_SCMP_ERROR)
			continue; /* no such call here: systemd skips it too */
		r = seccomp_rule_add_exact(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
		if (r == -EDOM)
			continue; /* a pseudo call this architecture lacks */
		if (r < 0) {
			fprintf(stderr, "seccomp_exec: %s: %s\n", argv[i], strerror(-r));
			return 125;
		}
		denied++;
	}
	if (i >= argc - 1) {
		fprintf(stderr, "usage: seccomp_exec SYSCALL... -- PROGRAM [ARG...]\n");
		return 125;
	}
	/* libseccomp sets no_new_privs before loading (SCMP_FLTATR_CTL_NNP). */
	r = seccomp_load(ctx);
	if (r < 0) {
		fprintf(stderr, "seccomp_exec: seccomp_load: %s\n", strerror(-r));
		return 125;
	}
	fprintf(stderr, "seccomp_exec: %d system calls fail with EPERM\n", denied);
	execv(argv[i + 1], argv + i + 1);
	fprintf(stderr, "seccomp_exec: %s: %s\n", argv[i + 1], strerror(errno));
	return 127;
}
