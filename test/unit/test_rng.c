/*
 * test_rng.c
 *		Tests of the seeded generator: reproducible streams, ranges and
 *		rough moments of the uniform, bounded and normal draws.
 */
#include <math.h>
#include <stdint.h>

#include "rng.h"
#include "unit.h"

/* same seed, same stream; different seeds, different streams */
static void
test_rng_reproducible(void)
{
	rs_rng		a,
				b,
				c;
	int			i;
	int			same_ab = 1;
	int			same_ac = 1;

	rs_rng_seed(&a, 42);
	rs_rng_seed(&b, 42);
	rs_rng_seed(&c, 43);
	for (i = 0; i < 100; i++)
	{
		uint64_t	x = rs_rng_next(&a);

		if (x != rs_rng_next(&b))
			same_ab = 0;
		if (x != rs_rng_next(&c))
			same_ac = 0;
	}
	CHECK(same_ab);
	CHECK(!same_ac);
	/* seed 0 must not give the all-zero state that xoshiro cannot leave */
	rs_rng_seed(&a, 0);
	CHECK(a.s[0] | a.s[1] | a.s[2] | a.s[3]);
	CHECK(rs_rng_next(&a) != rs_rng_next(&a));
}

/* uniform draws lie in [0, 1) with mean near 1/2 */
static void
test_rng_uniform(void)
{
	rs_rng		r;
	double		sum = 0;
	int			bad = 0;
	int			i;
	const int	n = 100000;

	rs_rng_seed(&r, 7);
	for (i = 0; i < n; i++)
	{
		double		x = rs_rng_uniform(&r);

		if (!(x >= 0.0 && x < 1.0))
			bad++;
		sum += x;
	}
	CHECK(bad == 0);
	/* standard error of the mean is 0.29 / sqrt(n) ~ 0.0009 */
	CHECK_NEAR(sum / n, 0.5, 0.005);
}

/* below(n) stays in range and hits every value about equally often */
static void
test_rng_below(void)
{
	rs_rng		r;
	int			counts[7] = {0};
	int			bad = 0;
	int			i;
	const int	n = 70000;

	rs_rng_seed(&r, 11);
	for (i = 0; i < n; i++)
	{
		uint64_t	x = rs_rng_below(&r, 7);

		if (x >= 7)
			bad++;
		else
			counts[x]++;
	}
	CHECK(bad == 0);
	for (i = 0; i < 7; i++)
		CHECK_MSG(counts[i] > 9500 && counts[i] < 10500, "value %d drawn %d times", i, counts[i]);
	CHECK(rs_rng_below(&r, 1) == 0);
	/* a bound near 2^64 exercises the rejection threshold */
	CHECK(rs_rng_below(&r, UINT64_C(0xfffffffffffffff1)) < UINT64_C(0xfffffffffffffff1));
}

/* normal draws have mean near 0 and variance near 1, all finite */
static void
test_rng_normal(void)
{
	rs_rng		r;
	double		sum = 0,
				sq = 0;
	int			bad = 0;
	int			i;
	const int	n = 100000;

	rs_rng_seed(&r, 3);
	for (i = 0; i < n; i++)
	{
		double		x = rs_rng_normal(&r);

		if (!isfinite(x))
			bad++;
		sum += x;
		sq += x * x;
	}
	CHECK(bad == 0);
	CHECK_NEAR(sum / n, 0.0, 0.02);
	CHECK_NEAR(sq / n, 1.0, 0.03);
}

void
suite_rng(void)
{
	unit_run("rng_reproducible", test_rng_reproducible);
	unit_run("rng_uniform", test_rng_uniform);
	unit_run("rng_below", test_rng_below);
	unit_run("rng_normal", test_rng_normal);
}
