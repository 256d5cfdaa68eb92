/*
 * main.c
 *		Runs every unit-test suite of the numeric core and prints the tally.
 */
#include <stdio.h>
#include <stdlib.h>

#include "model.h"
#include "unit.h"

int			unit_failures_in_test = 0;
static int	n_passed = 0;
static int	n_failed = 0;

void
unit_run(const char *name, void (*fn) (void))
{
	unit_failures_in_test = 0;
	fn();
	if (unit_failures_in_test == 0)
	{
		n_passed++;
		printf("ok     %s\n", name);
	}
	else
	{
		n_failed++;
		printf("FAILED %s (%d checks)\n", name, unit_failures_in_test);
	}
	fflush(stdout);
}

/* see unit.h */
void
unit_free_dataset(rs_dataset *d)
{
	free(d->user);
	free(d->item);
	free(d->rating);
	free(d->time);
	free(d->user_ids);
	free(d->item_ids);
}

int
unit_check_tensor(const char *label, const float *a, const float *b,
				  size_t n, double tol)
{
	double		max_diff = 0.0;
	int			shown = 0;
	size_t		i;

	for (i = 0; i < n; i++)
	{
		double		diff = fabs((double) a[i] - (double) b[i]);

		if (!(diff <= tol))
		{
			if (shown < 5)
				fprintf(stderr, "  %s[%zu]: %.9g vs %.9g\n", label, i, a[i], b[i]);
			shown++;
		}
		if (diff > max_diff || isnan(diff))
			max_diff = diff;
	}
	if (shown > 0)
	{
		fprintf(stderr, "  %s: %d of %zu differ, max difference %g (tolerance %g)\n",
				label, shown, n, max_diff, tol);
		unit_failures_in_test++;
		return 0;
	}
	return 1;
}

int
main(void)
{
	suite_rng();
	suite_topk();
	suite_ratings();
	suite_blob();
	suite_model();
	suite_mf();
	suite_nn();
	suite_dense();
	suite_lstm();
	suite_synthetic();
	suite_rank();
	suite_recommend();
	suite_keys();

	printf("%d passed, %d failed\n", n_passed, n_failed);
	return n_failed == 0 ? 0 : 1;
}
