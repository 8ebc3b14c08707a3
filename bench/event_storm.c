// SPDX-License-Identifier: GPL-2.0
/*
 * event_storm: produce khugetrace events as fast as asked, for the event
 * throughput bench. THREADS threads each lseek(SEEK_DATA) in a loop on their
 * own tmpfs file with holes (every call is one seek event in every attach
 * mode: the syscall tracepoints here, shmem_file_llseek with fentry/kprobe).
 *
 * -r RATE paces the total to RATE calls/s: each thread issues batches of
 * ~50 us worth of calls and waits for the batch's deadline (0 = unpaced, as
 * fast as the CPU allows). -s SECONDS is the length of the storm.
 *
 * Output: "events=N seconds=S rate=R" (N = calls made, R = N / S).
 */
#include "bench_common.h"
#include <fcntl.h>
#include <pthread.h>

#define FILE_SZ (4UL << 20)

static double seconds = 1.0;
static unsigned long long rate;	/* total calls/s, 0 = unpaced */
static unsigned nthreads = 1;

struct worker {
	pthread_t th;
	int fd;
	unsigned long long calls;
};

static void *run(void *arg)
{
	struct worker *w = arg;
	unsigned long long start = bench_now_ns(), end = start + (unsigned long long)(seconds * 1e9);
	double per_thread = rate ? (double)rate / nthreads : 0;
	/* batch = 50 us of calls at the target rate (at least 1) */
	unsigned long long batch = per_thread ? (unsigned long long)(per_thread * 50e-6) : 256;
	unsigned long long now, off = 0;

	if (!batch)
		batch = 1;
	for (;;) {
		for (unsigned long long i = 0; i < batch; i++) {
			/* alternate data and hole offsets: 64 KiB blocks, every other written */
			lseek(w->fd, off, SEEK_DATA);
			off = (off + 65536) & (FILE_SZ - 1);
		}
		w->calls += batch;
		now = bench_now_ns();
		if (now >= end)
			break;
		if (per_thread) {
			unsigned long long due = start + (unsigned long long)(w->calls / per_thread * 1e9);

			while (now < due && now < end) {
				/* sleep when far ahead, spin the last stretch */
				if (due - now > 200000) {
					struct timespec ts = { 0, (long)(due - now - 100000) };

					nanosleep(&ts, NULL);
				}
				now = bench_now_ns();
			}
			if (now >= end)
				break;
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	static char block[65536];
	struct worker w[64];
	unsigned long long t0, t1, total = 0;
	int opt;

	bench_prog = "event_storm";
	while ((opt = getopt(argc, argv, "t:r:s:h")) != -1) {
		switch (opt) {
		case 't': nthreads = bench_num("-t", optarg); break;
		case 'r': rate = bench_num("-r", optarg); break;
		case 's': seconds = atof(optarg); break;
		case 'h':
			printf("Usage: event_storm [-t THREADS] [-r CALLS_PER_S] [-s SECONDS]\n");
			return 0;
		default:
			return 2;
		}
	}
	if (!nthreads || nthreads > 64 || seconds <= 0 || seconds > 600) {
		fprintf(stderr, "event_storm: -t must be 1..64 and -s in (0, 600].\n");
		return 2;
	}
	bench_setup_tmpfs("64m");
	memset(block, 1, sizeof(block));
	for (unsigned i = 0; i < nthreads; i++) {
		char path[512];

		snprintf(path, sizeof(path), "%s/storm%u", bench_tmpfs.dir, i);
		w[i].fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (w[i].fd < 0 || ftruncate(w[i].fd, FILE_SZ))
			bench_die("cannot create %s:", path);
		for (unsigned long off = 0; off < FILE_SZ; off += 2 * sizeof(block))
			if (pwrite(w[i].fd, block, sizeof(block), off) != sizeof(block))
				bench_die("writing %s failed:", path);
		w[i].calls = 0;
	}
	t0 = bench_now_ns();
	for (unsigned i = 0; i < nthreads; i++)
		if (pthread_create(&w[i].th, NULL, run, &w[i])) {
			errno = 0;
			bench_die("pthread_create failed");
		}
	for (unsigned i = 0; i < nthreads; i++) {
		pthread_join(w[i].th, NULL);
		total += w[i].calls;
	}
	t1 = bench_now_ns();
	printf("events=%llu seconds=%.3f rate=%.0f\n", total, (t1 - t0) / 1e9,
	       total * 1e9 / (t1 - t0));
	return 0;
}
