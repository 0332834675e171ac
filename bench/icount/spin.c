/* spin executes a known number of instructions between two reads of its own
 * CPU clock and prints the nanoseconds the kernel charged for them. Run under
 * callgrind (--toggle-collect=main) on the host it gives the instruction
 * count; in bench/icount/run.sh's guest the nanoseconds, which should match. */
#include <stdio.h>
#include <time.h>

int main(void)
{
	struct timespec a, b;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
	for (long i = 0; i < 100000000; i++)
		__asm__ volatile("" ::: "memory");
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
	printf("%ld\n", (b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec));
	return 0;
}
