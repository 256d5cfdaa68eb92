/*
 * test_rng.c
 *		Tests of the seeded generator: reproducible streams, ranges and
 *		rough moments of the uniform, bounded and normal draws.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

/*
 * the polar fill: exactly n values, finite, mean 0 and the standard
 * deviation asked for, a tail as thin as a normal's, the same values for
 * the same seed
 */
static void
test_rng_normal_fill(void)
{
	const size_t n = 100001;	/* odd: the last pair is cut */
	float	   *x = malloc((n + 1) * sizeof(float));
	float	   *y = malloc(n * sizeof(float));
	rs_rng		r;
	double		sum = 0,
				sq = 0;
	size_t		beyond3 = 0;
	int			bad = 0;
	size_t		i;

	if (x == NULL || y == NULL)
	{
		CHECK(0);
		free(x);
		free(y);
		return;
	}
	x[n] = 12345.0f;			/* a sentinel past the end */
	rs_rng_seed(&r, 3);
	rs_rng_normal_fill(&r, x, n, 0.5);
	for (i = 0; i < n; i++)
	{
		if (!isfinite(x[i]))
			bad++;
		sum += x[i];
		sq += (double) x[i] * x[i];
		if (fabs(x[i]) > 3 * 0.5)
			beyond3++;
	}
	CHECK(bad == 0);
	CHECK(x[n] == 12345.0f);
	CHECK_NEAR(sum / n, 0.0, 0.01);
	CHECK_NEAR(sqrt(sq / n), 0.5, 0.01);
	/* P(|Z| > 3) = 0.0027 */
	CHECK_NEAR((double) beyond3 / n, 0.0027, 0.001);

	rs_rng_seed(&r, 3);
	rs_rng_normal_fill(&r, y, n, 0.5);
	CHECK(memcmp(x, y, n * sizeof(float)) == 0);
	free(x);
	free(y);
}

void
suite_rng(void)
{
	unit_run("rng_reproducible", test_rng_reproducible);
	unit_run("rng_uniform", test_rng_uniform);
	unit_run("rng_below", test_rng_below);
	unit_run("rng_normal", test_rng_normal);
	unit_run("rng_normal_fill", test_rng_normal_fill);
}
