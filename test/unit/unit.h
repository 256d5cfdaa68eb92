/*
 * unit.h
 *		A small test harness for the numeric core.
 *
 * Each suite is a function that calls CHECK-style macros; a failed check
 * prints where and why and counts as one failure of the current test.  The
 * runner (main.c) prints "N passed, N failed" and exits non-zero on failure.
 */
#ifndef RECSYS_UNIT_H
#define RECSYS_UNIT_H

#include <math.h>
#include <stdio.h>

extern int	unit_failures_in_test;

/* run one named test function, counting it as passed or failed */
extern void unit_run(const char *name, void (*fn) (void));

#define CHECK(cond) \
	do { \
		if (!(cond)) { \
			fprintf(stderr, "  %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			unit_failures_in_test++; \
		} \
	} while (0)

#define CHECK_MSG(cond, ...) \
	do { \
		if (!(cond)) { \
			fprintf(stderr, "  %s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__); \
			fputc('\n', stderr); \
			unit_failures_in_test++; \
		} \
	} while (0)

/* |a - b| <= tol, printing both on failure */
#define CHECK_NEAR(a, b, tol) \
	do { \
		double	unit_a_ = (a), unit_b_ = (b); \
		if (!(fabs(unit_a_ - unit_b_) <= (tol))) { \
			fprintf(stderr, "  %s:%d: %s = %.9g, %s = %.9g, tolerance %g\n", \
					__FILE__, __LINE__, #a, unit_a_, #b, unit_b_, (double) (tol)); \
			unit_failures_in_test++; \
		} \
	} while (0)

/*
 * Compare n floats against a reference: prints the first few mismatches and
 * the largest difference (as llm.c's test_gpt2 check_tensor does); returns
 * true when every |a - b| <= tol.
 */
extern int	unit_check_tensor(const char *label, const float *a, const float *b,
							  size_t n, double tol);

/*
 * Free the arrays of a dataset the tests built with malloc (every array of
 * rs_dataset; those left NULL are skipped).
 */
struct rs_dataset;
extern void unit_free_dataset(struct rs_dataset *d);

/* suites, one per core module (test/unit/test_<module>.c) */
extern void suite_rng(void);
extern void suite_topk(void);
extern void suite_ratings(void);
extern void suite_blob(void);
extern void suite_model(void);
extern void suite_mf(void);
extern void suite_nn(void);
extern void suite_dense(void);
extern void suite_lstm(void);
extern void suite_synthetic(void);
extern void suite_rank(void);
extern void suite_recommend(void);
extern void suite_keys(void);

#endif							/* RECSYS_UNIT_H */
