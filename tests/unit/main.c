/*
 * Unit test runner: runs every registered TEST (or those whose name contains
 * argv[1]) in a child process with a 60 s timeout, prints "ok NAME" or
 * "FAIL NAME", and ends with "unit: N passed, N failed".
 */
#define _GNU_SOURCE
#include "test.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct test { const char *name, *file; test_fn fn; };
static struct test tests[4096];
static int ntests;
static char tmpdir[256];

void test_register(const char *name, const char *file, test_fn fn)
{
	if (ntests < (int)(sizeof tests / sizeof tests[0]))
		tests[ntests++] = (struct test){name, file, fn};
}

const char *test_data_dir(void)
{
	const char *d = getenv("BRAID_SHARED_DATA");
	return d && *d ? d : "../shared/data";
}

const char *test_tmpdir(void)
{
	if (!tmpdir[0]) {
		snprintf(tmpdir, sizeof tmpdir, "/tmp/braid-unit-XXXXXX");
		if (!mkdtemp(tmpdir)) {
			perror("mkdtemp");
			exit(1);
		}
	}
	return tmpdir;
}

static void rm_rf(const char *d)
{
	char cmd[400];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
	if (system(cmd) != 0)
		fprintf(stderr, "warning: could not remove %s\n", d);
}

int main(int argc, char **argv)
{
	const char *filter = argc > 1 ? argv[1] : NULL;
	int passed = 0, failed = 0;
	for (int i = 0; i < ntests; i++) {
		if (filter && !strstr(tests[i].name, filter))
			continue;
		fflush(stdout);
		pid_t pid = fork();
		if (pid == 0) {
			alarm(120);
			tests[i].fn();
			if (tmpdir[0])
				rm_rf(tmpdir);
			_exit(0);
		}
		int st = 0;
		waitpid(pid, &st, 0);
		if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
			printf("ok %s\n", tests[i].name);
			passed++;
		} else {
			if (WIFSIGNALED(st))
				printf("FAIL %s (signal %d%s)\n", tests[i].name, WTERMSIG(st),
				       WTERMSIG(st) == SIGALRM ? ", timeout" : "");
			else
				printf("FAIL %s (%s)\n", tests[i].name, tests[i].file);
			failed++;
		}
	}
	printf("unit: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
