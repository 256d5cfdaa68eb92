/*-------------------------------------------------------------------------
 *
 * rank.c
 *		The ranking head shared by every kind: implicit alternating least
 *		squares (see rank.h for the loss and the references).
 *
 * A half sweep fixes one side (say H, the items) and updates each user row
 * towards the solution of
 *
 *	 (alpha0 H^T H + sum_i c_ui h_i h_i^T + lambda_u I) w_u = sum_i c_ui h_i
 *
 * with lambda_u = lambda (n_u + alpha0 n_items).  H^T H is one ssyrk for
 * the whole sweep; the rest is per row and linear in its pairs.  By default
 * a few conjugate-gradient steps start from the row's current value: the
 * system changes little from one sweep to the next, so they land close to
 * the exact solution at O(k^2 + n k) a step, where forming the system costs
 * O(n k^2) and its Cholesky O(k^3).  "rank_cg_steps": 0 solves exactly, by
 * Cholesky in double precision (as the fold-in of a query-time history
 * always does).  Rows are independent, so threads take contiguous ranges of
 * them with scratch allocated up front (worker threads never allocate).
 *
 * Copyright (c) 2026, recsys developers
 *
 * IDENTIFICATION
 *	  src/core/rank.c
 *
 *-------------------------------------------------------------------------
 */
#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "nn.h"
#include "rank.h"

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize ("O3")
#endif

/*
 * Threads of the row solves at most; the memory estimate counts this many
 * threads' scratch, so it is kept small (each row's solve is k^2 work on
 * its own, and two cores are the common case).
 */
#define RANK_MAX_THREADS 16

const char *const rs_objective_names[] = {"rating", "ranking", "both", NULL};

/* the objective of a model's options */
rs_objective
rs_rank_objective(const rs_params *p)
{
	/* a kind without the option (popularity) has its own list */
	if (rs_params_find(p, "objective") < 0)
		return RS_OBJECTIVE_RATING;
	return (rs_objective) (int) rs_params_get(p, "objective");
}

/* true when the head is trained and stored */
bool
rs_rank_enabled(const rs_params *p)
{
	return rs_rank_objective(p) != RS_OBJECTIVE_RATING;
}

/* ---------- the pairs, grouped by row ---------- */

/*
 * Observed pairs grouped by one side (CSR): for row r, the entries
 * [off[r], off[r + 1]) of other (the other side's index) and conf.
 */
typedef struct rank_csr
{
	int64_t    *off;			/* (n_rows + 1) */
	int32_t    *other;			/* (n) */
	float	   *conf;			/* (n) confidence c of the pair; NULL when
								 * every pair's is 1 */
} rank_csr;

/*
 * True when pairs carry confidences other than 1: the recency bonus of a
 * kind that reads time.  Otherwise the head keeps neither confidences nor
 * the rows' order, which at 20 M rows is a third of a gigabyte.
 */
static bool
rank_weighted(const rs_params *p)
{
	return p->kind->sequential && rs_params_get(p, "rank_recency") > 0;
}

/* bytes of one rank_csr over n_rows rows and n pairs */
static size_t
csr_bytes(size_t n_rows, size_t n, bool weighted)
{
	size_t		b = rs_mul_size(rs_add_size(n_rows, 1), sizeof(int64_t));

	return rs_add_size(b, rs_mul_size(n, sizeof(int32_t) +
									  (weighted ? sizeof(float) : 0)));
}

/* bytes of the scratch of one solving thread for k factors */
static size_t
thread_scratch_bytes(int k)
{
	return rs_mul_size((size_t) k * (size_t) k + 2 * (size_t) k, sizeof(double));
}

size_t
rs_rank_train_memory(const rs_params *p, int32_t n_users, int32_t n_items,
					 size_t n_ratings)
{
	size_t		k;
	size_t		total = 0;

	if (!rs_rank_enabled(p))
		return 0;
	k = (size_t) rs_params_get(p, "rank_factors");
	/* the factors and item counts (stored) */
	total = rs_mul_size(rs_add_size((size_t) n_users, (size_t) n_items), k);
	total = rs_add_size(total, (size_t) n_items);
	total = rs_mul_size(total, sizeof(float));
	/* both groupings, the rows' order (weighted), the Gramian (three copies) */
	total = rs_add_size(total, csr_bytes((size_t) n_users, n_ratings, rank_weighted(p)));
	total = rs_add_size(total, csr_bytes((size_t) n_items, n_ratings, rank_weighted(p)));
	if (rank_weighted(p))
		total = rs_add_size(total, rs_mul_size(n_ratings, sizeof(size_t)));
	total = rs_add_size(total, rs_mul_size(k * k, 2 * sizeof(float) + sizeof(double)));
	total = rs_add_size(total, rs_mul_size(RANK_MAX_THREADS,
										   thread_scratch_bytes((int) k)));
	return total;
}

/* register the head's tensors, zeroed */
rs_status
rs_rank_init(rs_model *m, rs_error *err)
{
	int64_t		k = m->rank_k;
	rs_status	rc;
	void	   *data;

	rc = rs_model_add_owned_tensor(m, "rank_user", RS_F32, 2, m->n_users, k,
								   &data, err);
	if (rc != RS_OK)
		return rc;
	m->rank_user = data;
	rc = rs_model_add_owned_tensor(m, "rank_item", RS_F32, 2, m->n_items, k,
								   &data, err);
	if (rc != RS_OK)
		return rc;
	m->rank_item = data;
	rc = rs_model_add_owned_tensor(m, "item_count", RS_F32, 1, m->n_items, 1,
								   &data, err);
	if (rc != RS_OK)
		return rc;
	m->item_count = data;
	return RS_OK;
}

/*
 * The confidence bonus of a step at relative position x of a user's
 * history (0 the oldest, 1 the newest), times "rank_recency".  The fourth
 * power puts it on the newest steps, since what a user does next follows
 * them more than its early history, while the rest of the history still
 * carries the user's long-term taste at confidence 1.
 */
static double
recency_shape(double x)
{
	double		x2 = x * x;

	return x2 * x2;
}

/*
 * Context of the comparison of a user's rows (qsort takes no argument; the
 * training runs on one thread here): their times and items.
 */
static const double *sort_times;
static const int32_t *sort_items;

/*
 * A user's rows by time, then by item, then by row, so that the head sums
 * every row's terms in the same order whatever order the rows came in (the
 * kinds reorder their rows for speed): a model does not depend on it.
 */
static int
cmp_user_rows(const void *a, const void *b)
{
	size_t		ra = *(const size_t *) a;
	size_t		rb = *(const size_t *) b;

	if (sort_times[ra] != sort_times[rb])
		return sort_times[ra] < sort_times[rb] ? -1 : 1;
	if (sort_items[ra] != sort_items[rb])
		return sort_items[ra] < sort_items[rb] ? -1 : 1;
	return (ra > rb) - (ra < rb);
}

/*
 * Group the rows of d by user and by item.  A pair's confidence is 1, plus
 * recency * recency_shape(its position in the user's history / (history
 * length - 1)) when d has times and recency > 0 (then the pairs keep their
 * confidences; else conf stays NULL).  A user's pairs are in a fixed order:
 * by time, item and row when weighted, by item otherwise.
 */
static rs_status
build_groups(const rs_model *m, const rs_dataset *d, double recency,
			 rank_csr *by_user, rank_csr *by_item, rs_error *err)
{
	const rs_allocator *a = &m->alloc;
	bool		weighted = d->time != NULL && recency > 0;
	size_t		nu = (size_t) d->n_users;
	size_t		ni = (size_t) d->n_items;
	size_t	   *order = NULL;	/* (n) rows grouped by user, if weighted */
	int64_t    *fill;
	size_t		r;
	size_t		u;
	size_t		i;

	by_user->off = rs_alloc(a, rs_mul_size(nu + 1, sizeof(int64_t)));
	by_user->other = rs_alloc(a, rs_mul_size(d->n, sizeof(int32_t)));
	by_item->off = rs_alloc(a, rs_mul_size(ni + 1, sizeof(int64_t)));
	by_item->other = rs_alloc(a, rs_mul_size(d->n, sizeof(int32_t)));
	fill = rs_alloc(a, rs_mul_size((nu > ni ? nu : ni) + 1, sizeof(int64_t)));
	if (weighted)
	{
		by_user->conf = rs_alloc(a, rs_mul_size(d->n, sizeof(float)));
		by_item->conf = rs_alloc(a, rs_mul_size(d->n, sizeof(float)));
		order = rs_alloc(a, rs_mul_size(d->n, sizeof(size_t)));
	}
	if (!by_user->off || !by_user->other || !by_item->off ||
		!by_item->other || !fill ||
		(weighted && (!by_user->conf || !by_item->conf || !order)))
	{
		rs_free(a, order);
		rs_free(a, fill);
		return rs_error_set(err, RS_ERR_NOMEM, "",
							"out of memory grouping %zu rows for the ranking head",
							d->n);
	}

	/* rows by user (counting sort): their items, or their row numbers */
	memset(by_user->off, 0, (nu + 1) * sizeof(int64_t));
	for (r = 0; r < d->n; r++)
		by_user->off[d->user[r] + 1]++;
	for (u = 0; u < nu; u++)
		by_user->off[u + 1] += by_user->off[u];
	memcpy(fill, by_user->off, nu * sizeof(int64_t));
	if (weighted)
	{
		for (r = 0; r < d->n; r++)
			order[fill[d->user[r]]++] = r;
	}
	else
	{
		/*
		 * The rows' users bucketed by item (by_item->other as scratch, in
		 * any order within an item), then the items walked in order: each
		 * user's items come out ascending without a sort.
		 */
		memset(by_item->off, 0, (ni + 1) * sizeof(int64_t));
		for (r = 0; r < d->n; r++)
			by_item->off[d->item[r] + 1]++;
		for (i = 0; i < ni; i++)
			by_item->off[i + 1] += by_item->off[i];
		for (r = 0; r < d->n; r++)
			by_item->other[by_item->off[d->item[r]]++] = d->user[r];
		/* each off[i] is now the start of item i + 1 */
		for (i = 0, r = 0; i < ni; i++)
			for (; r < (size_t) by_item->off[i]; r++)
				by_user->other[fill[by_item->other[r]]++] = (int32_t) i;
	}

	/* each user's pairs in their fixed order, with their confidences */
	sort_times = d->time;
	sort_items = d->item;
	for (u = 0; u < nu; u++)
	{
		int64_t		b = by_user->off[u];
		int64_t		e = by_user->off[u + 1];
		int64_t		j;

		if (!weighted)
			continue;			/* in item order already */
		qsort(order + b, (size_t) (e - b), sizeof(size_t), cmp_user_rows);
		for (j = b; j < e; j++)
		{
			double		c = 1.0;

			if (e - b > 1)
				c += recency * recency_shape((double) (j - b) / (double) (e - b - 1));
			by_user->other[j] = d->item[order[j]];
			by_user->conf[j] = (float) c;
		}
	}

	/* the same pairs by item, walking users in order */
	memset(by_item->off, 0, (ni + 1) * sizeof(int64_t));
	for (r = 0; r < d->n; r++)
		by_item->off[d->item[r] + 1]++;
	for (i = 0; i < ni; i++)
		by_item->off[i + 1] += by_item->off[i];
	memcpy(fill, by_item->off, ni * sizeof(int64_t));
	for (u = 0; u < nu; u++)
	{
		int64_t		j;

		for (j = by_user->off[u]; j < by_user->off[u + 1]; j++)
		{
			int64_t		slot = fill[by_user->other[j]]++;

			by_item->other[slot] = (int32_t) u;
			if (weighted)
				by_item->conf[slot] = by_user->conf[j];
		}
	}
	rs_free(a, order);
	rs_free(a, fill);
	return RS_OK;
}

static void
free_groups(const rs_model *m, rank_csr *g)
{
	rs_free(&m->alloc, g->off);
	rs_free(&m->alloc, g->other);
	rs_free(&m->alloc, g->conf);
}

/* ---------- one row's solve ---------- */

/*
 * The new factors of one row: gram is alpha0 times the other side's
 * Gramian (k x k, double, full), other the other side's factors, and the
 * row's pairs n entries of idx and conf (NULL: every confidence 1).
 * scratch holds k * k + k doubles.  A row without a solvable system (no
 * pairs and no regularisation) is set to zero.
 */
static void
solve_row(const double *gram, const float *other, int k, double lambda,
		  const int32_t *idx, const float *conf, size_t n, double *scratch,
		  float *out)
{
	double	   *A = scratch;
	double	   *b = scratch + (size_t) k * k;
	size_t		j;
	int			x;
	int			y;

	memcpy(A, gram, (size_t) k * k * sizeof(double));
	memset(b, 0, (size_t) k * sizeof(double));
	for (x = 0; x < k; x++)
		A[x * k + x] += lambda;
	for (j = 0; j < n; j++)
	{
		const float *h = other + (size_t) idx[j] * k;
		double		c = conf != NULL ? conf[j] : 1.0;

		for (x = 0; x < k; x++)
		{
			double		ch = c * h[x];
			double	   *row = A + (size_t) x * k;

			b[x] += ch;
			for (y = x; y < k; y++)
				row[y] += ch * h[y];
		}
	}
	if (!rs_cholesky_solve(A, b, k))
	{
		memset(out, 0, (size_t) k * sizeof(float));
		return;
	}
	for (x = 0; x < k; x++)
		out[x] = (float) b[x];
}

/*
 * alpha0 * F^T F for F (n x k) into gram (k x k, full, double) and, when
 * gram_f is not NULL, the same in float
 */
static void
weighted_gram(const float *F, size_t n, int k, double alpha0, float *tmp,
			  double *gram, float *gram_f)
{
	int			x;
	int			y;

	cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, k, (int) n, 1.0f,
				F, k, 0.0f, tmp, k);
	for (x = 0; x < k; x++)
		for (y = x; y < k; y++)
		{
			double		v = alpha0 * (double) tmp[x * k + y];

			gram[x * k + y] = v;
			gram[y * k + x] = v;
			if (gram_f != NULL)
			{
				gram_f[x * k + y] = (float) v;
				gram_f[y * k + x] = (float) v;
			}
		}
}

/*
 * a . b over k floats.  Eight partial sums, so that the loop is a vector
 * multiply-add rather than one chain of k dependent additions; the order
 * is fixed, so results do not depend on the machine.
 */
static inline float
dot_k(const float *a, const float *b, int k)
{
	float		acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
	float		s = 0;
	int			x = 0;
	int			l;

	for (; x + 8 <= k; x += 8)
		for (l = 0; l < 8; l++)
			acc[l] += a[x + l] * b[x + l];
	for (; x < k; x++)
		s += a[x] * b[x];
	return s + (((acc[0] + acc[1]) + (acc[2] + acc[3])) +
				((acc[4] + acc[5]) + (acc[6] + acc[7])));
}

/*
 * Pairs ahead whose factor rows a pass asks the memory for: a row's pairs
 * point at rows scattered over the other side, which at millions of rows
 * does not fit in the caches, so each row would otherwise be a stall.
 */
#define RANK_PREFETCH_AHEAD 4

/* ask for the k floats at row (every 64-byte line of it) */
static inline void
prefetch_row(const float *row, int k)
{
	int			x;

	for (x = 0; x < k; x += 16)
		__builtin_prefetch(row + x);
}

typedef float rank_v8 __attribute__((vector_size(32)));

/*
 * Unaligned loads and stores of a vector, and the sum of dot_k over the
 * lanes of its eight partial sums (macros: a function passing a vector by
 * value has no fixed ABI without AVX)
 */
#define V8_LOAD(v, a) memcpy(&(v), (a), sizeof(rank_v8))
#define V8_STORE(a, v) memcpy((a), &(v), sizeof(rank_v8))
#define V8_SUM(v) (0.0f + ((((v)[0] + (v)[1]) + ((v)[2] + (v)[3])) + \
						   (((v)[4] + (v)[5]) + ((v)[6] + (v)[7]))))

/*
 * out = (gram + lambda I) v, gram k x k full and symmetric: a sum of its
 * rows scaled by v, so every step is a vector multiply-add over out
 */
static inline __attribute__((always_inline)) void
gram_times(const float *gram, const float *v, const int k, float lambda,
		   float *out)
{
	int			x;
	int			y;

	if (k % 8 == 0 && k <= 64)
	{
		/* the same in registers (see pair_dots) */
		const int	nc = k / 8;
		rank_v8		ov[8];
		rank_v8		lv = {lambda, lambda, lambda, lambda, lambda, lambda, lambda, lambda};
		int			c;

		for (c = 0; c < nc; c++)
		{
			V8_LOAD(ov[c], v + 8 * c);
			ov[c] = lv * ov[c];
		}
		for (y = 0; y < k; y++)
		{
			const float *row = gram + (size_t) y * k;
			rank_v8		vy = {v[y], v[y], v[y], v[y], v[y], v[y], v[y], v[y]};

			for (c = 0; c < nc; c++)
			{
				rank_v8		t;

				V8_LOAD(t, row + 8 * c);
				ov[c] += vy * t;
			}
		}
		for (c = 0; c < nc; c++)
			V8_STORE(out + 8 * c, ov[c]);
		return;
	}
	for (x = 0; x < k; x++)
		out[x] = lambda * v[x];
	for (y = 0; y < k; y++)
	{
		const float *row = gram + (size_t) y * k;
		float		vy = v[y];

		for (x = 0; x < k; x++)
			out[x] += vy * row[x];
	}
}

/*
 * The passes over a row's pairs, in chunks of RANK_CHUNK pairs: first the
 * chunk's weights w_j from dot products with a fixed vector v (pair_dots),
 * then acc += sum_j w_j h_j in pair order (pair_axpy).  v does not change
 * during a pass, so this is the same arithmetic as one loop that does both
 * per pair.  For k a multiple of 8 up to 64 they are written with 8-float
 * vectors (GCC's vector extension) so that v, or acc, stays in registers
 * for the whole chunk and four dot products run side by side; each lane
 * does the operations of dot_k and of the scalar loops in the same order,
 * so the results are the same bits.
 */
#define RANK_CHUNK 64

/*
 * out[j] = h_j . v for the n (<= RANK_CHUNK) pairs idx; n_left is the
 * row's pairs from idx on, how far ahead the rows may be prefetched
 */
static inline __attribute__((always_inline)) void
pair_dots(const float *other, const int k, const int32_t *idx, size_t n,
		  size_t n_left, const float *v, float *out)
{
	size_t		j = 0;

	if (k % 8 == 0 && k <= 64)
	{
		const int	nc = k / 8;
		rank_v8		vv[8];
		int			c;

		for (c = 0; c < nc; c++)
			V8_LOAD(vv[c], v + 8 * c);
		for (; j + 4 <= n; j += 4)
		{
			const float *h0 = other + (size_t) idx[j] * k;
			const float *h1 = other + (size_t) idx[j + 1] * k;
			const float *h2 = other + (size_t) idx[j + 2] * k;
			const float *h3 = other + (size_t) idx[j + 3] * k;
			rank_v8		a0 = {0};
			rank_v8		a1 = {0};
			rank_v8		a2 = {0};
			rank_v8		a3 = {0};
			size_t		q;

			for (q = j + RANK_PREFETCH_AHEAD; q < j + 4 + RANK_PREFETCH_AHEAD; q++)
				if (q < n_left)
					prefetch_row(other + (size_t) idx[q] * k, k);
			for (c = 0; c < nc; c++)
			{
				rank_v8		t0,
							t1,
							t2,
							t3;

				V8_LOAD(t0, h0 + 8 * c);
				V8_LOAD(t1, h1 + 8 * c);
				V8_LOAD(t2, h2 + 8 * c);
				V8_LOAD(t3, h3 + 8 * c);
				a0 += t0 * vv[c];
				a1 += t1 * vv[c];
				a2 += t2 * vv[c];
				a3 += t3 * vv[c];
			}
			out[j] = V8_SUM(a0);
			out[j + 1] = V8_SUM(a1);
			out[j + 2] = V8_SUM(a2);
			out[j + 3] = V8_SUM(a3);
		}
	}
	for (; j < n; j++)
	{
		if (j + RANK_PREFETCH_AHEAD < n_left)
			prefetch_row(other + (size_t) idx[j + RANK_PREFETCH_AHEAD] * k, k);
		out[j] = dot_k(other + (size_t) idx[j] * k, v, k);
	}
}

/* acc += w_j h_j for the n pairs idx, in their order */
static inline __attribute__((always_inline)) void
pair_axpy(const float *other, const int k, const int32_t *idx, size_t n,
		  const float *w, float *acc)
{
	size_t		j;
	int			d;

	if (k % 8 == 0 && k <= 64)
	{
		const int	nc = k / 8;
		rank_v8		av[8];
		int			c;

		for (c = 0; c < nc; c++)
			V8_LOAD(av[c], acc + 8 * c);
		for (j = 0; j < n; j++)
		{
			const float *h = other + (size_t) idx[j] * k;
			rank_v8		wj = {w[j], w[j], w[j], w[j], w[j], w[j], w[j], w[j]};

			for (c = 0; c < nc; c++)
			{
				rank_v8		t;

				V8_LOAD(t, h + 8 * c);
				av[c] += wj * t;
			}
		}
		for (c = 0; c < nc; c++)
			V8_STORE(acc + 8 * c, av[c]);
		return;
	}
	for (j = 0; j < n; j++)
	{
		const float *h = other + (size_t) idx[j] * k;

		for (d = 0; d < k; d++)
			acc[d] += w[j] * h[d];
	}
}

/*
 * Move one row x (k floats) towards the solution of its system by steps
 * conjugate-gradient steps from its current value: gram is alpha0 times the
 * other side's Gramian (float, full), other the other side's factors, the
 * row's pairs n entries of idx and conf (NULL: all 1).  scratch holds 3 k
 * floats.  The system is never formed: A p is (gram + lambda I) p plus, per pair,
 * c (h . p) h.  On x86-64 an AVX2 clone is chosen at load time where the
 * CPU has it (without FMA: the same operations in the same order, so the
 * same results; PGXS builds for the baseline x86-64).
 */
static inline __attribute__((always_inline)) void
cg_row_body(const float *gram, const float *other, int k, float lambda,
			const int32_t *idx, const float *conf, size_t n, int steps,
			float *scratch, float *x)
{
	float	   *r = scratch;
	float	   *p = scratch + k;
	float	   *ap = scratch + 2 * (size_t) k;
	float		w[RANK_CHUNK];	/* the weights of a chunk of pairs */
	double		rr;
	size_t		j;
	int			s;
	int			d;

	/* r = b - A x = sum_j c_j (1 - h_j . x) h_j - (gram + lambda I) x */
	gram_times(gram, x, k, lambda, r);
	for (d = 0; d < k; d++)
		r[d] = -r[d];
	for (j = 0; j < n; j += RANK_CHUNK)
	{
		size_t		m = n - j < RANK_CHUNK ? n - j : RANK_CHUNK;
		size_t		q;

		pair_dots(other, k, idx + j, m, n - j, x, w);
		for (q = 0; q < m; q++)
			w[q] = (conf != NULL ? conf[j + q] : 1.0f) * (1.0f - w[q]);
		pair_axpy(other, k, idx + j, m, w, r);
	}
	memcpy(p, r, (size_t) k * sizeof(float));
	rr = dot_k(r, r, k);

	for (s = 0; s < steps; s++)
	{
		double		pap;
		double		alpha;
		double		rr_new;

		if (rr < 1e-20)
			break;				/* solved to float precision */
		gram_times(gram, p, k, lambda, ap);
		for (j = 0; j < n; j += RANK_CHUNK)
		{
			size_t		m = n - j < RANK_CHUNK ? n - j : RANK_CHUNK;
			size_t		q;

			pair_dots(other, k, idx + j, m, n - j, p, w);
			for (q = 0; q < m; q++)
				w[q] = (conf != NULL ? conf[j + q] : 1.0f) * w[q];
			pair_axpy(other, k, idx + j, m, w, ap);
		}
		pap = dot_k(p, ap, k);
		if (!(pap > 0))
			break;				/* not positive definite along p: stop */
		alpha = rr / pap;
		for (d = 0; d < k; d++)
		{
			x[d] += (float) alpha * p[d];
			r[d] -= (float) alpha * ap[d];
		}
		rr_new = dot_k(r, r, k);
		for (d = 0; d < k; d++)
			p[d] = r[d] + (float) (rr_new / rr) * p[d];
		rr = rr_new;
	}
}

/*
 * cg_row_body for the row's system; the common factor counts get copies
 * compiled for their k, whose loops the compiler unrolls and keeps in
 * registers (the same operations in the same order, so the same results).
 * On x86-64 an AVX2 clone is chosen at load time where the CPU has it
 * (without FMA: the same operations in the same order, so the same
 * results; PGXS builds for the baseline x86-64).
 */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx2", "default")))
#endif
static void
cg_row(const float *gram, const float *other, int k, float lambda,
	   const int32_t *idx, const float *conf, size_t n, int steps,
	   float *scratch, float *x)
{
	switch (k)
	{
		case 32:
			cg_row_body(gram, other, 32, lambda, idx, conf, n, steps, scratch, x);
			break;
		case 64:
			cg_row_body(gram, other, 64, lambda, idx, conf, n, steps, scratch, x);
			break;
		case 128:
			cg_row_body(gram, other, 128, lambda, idx, conf, n, steps, scratch, x);
			break;
		default:
			cg_row_body(gram, other, k, lambda, idx, conf, n, steps, scratch, x);
			break;
	}
}

/* ---------- a half sweep on threads ---------- */

typedef struct rank_job
{
	const rank_csr *groups;
	const double *gram;
	const float *gram_f;		/* the same in float, for CG */
	int			cg_steps;		/* 0: exact solves */
	const float *other;
	float	   *rows;			/* the side being solved */
	int			k;
	double		l2;
	double		alpha0_other;	/* alpha0 * rows of the other side */
	int32_t		begin;
	int32_t		end;
	double	   *scratch;
	pthread_t	thread;
	bool		started;
} rank_job;

static void *
rank_job_main(void *arg)
{
	rank_job   *j = arg;
	int32_t		r;

	for (r = j->begin; r < j->end; r++)
	{
		int64_t		b = j->groups->off[r];
		size_t		n = (size_t) (j->groups->off[r + 1] - b);
		double		lambda = j->l2 * ((double) n + j->alpha0_other);

		if (j->cg_steps > 0)
			cg_row(j->gram_f, j->other, j->k, (float) lambda,
				   j->groups->other + b,
				   j->groups->conf != NULL ? j->groups->conf + b : NULL, n, j->cg_steps,
				   (float *) j->scratch, j->rows + (size_t) r * j->k);
		else
			solve_row(j->gram, j->other, j->k, lambda, j->groups->other + b,
					  j->groups->conf != NULL ? j->groups->conf + b : NULL, n, j->scratch,
					  j->rows + (size_t) r * j->k);
	}
	return NULL;
}

/*
 * The work of rows [0, r): a row's solve costs about k^2 (the Gramian's
 * product) plus 2 k per pair, times the steps.  Rows differ a lot in pairs
 * (popular items have thousands, and ids often follow popularity), so equal
 * numbers of rows per thread would leave one thread with most of the work.
 */
static double
rows_cost(const rank_csr *groups, int32_t r, int k)
{
	return (double) r * k * k + 2.0 * k * (double) groups->off[r];
}

/*
 * The end of a thread's range: the first row r >= begin with the work of
 * rows [0, r) at least share of the whole
 */
static int32_t
split_rows(const rank_csr *groups, int32_t n_rows, int k, int32_t begin,
		   double share)
{
	double		target = share * rows_cost(groups, n_rows, k);
	int32_t		lo = begin;
	int32_t		hi = n_rows;

	while (lo < hi)
	{
		int32_t		mid = lo + (hi - lo) / 2;

		if (rows_cost(groups, mid, k) < target)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* solve every row of rows (n_rows) against other (n_other), on threads */
static void
half_sweep(rank_job *jobs, int threads, const rank_csr *groups,
		   const double *gram, const float *gram_f, int cg_steps,
		   const float *other, int32_t n_other,
		   float *rows, int32_t n_rows, int k, double l2, double alpha0)
{
	int			t;

	for (t = 0; t < threads; t++)
	{
		rank_job   *j = &jobs[t];

		j->groups = groups;
		j->gram = gram;
		j->gram_f = gram_f;
		j->cg_steps = cg_steps;
		j->other = other;
		j->rows = rows;
		j->k = k;
		j->l2 = l2;
		j->alpha0_other = alpha0 * (double) n_other;
		j->begin = t == 0 ? 0 : jobs[t - 1].end;
		j->end = t == threads - 1 ? n_rows :
			split_rows(groups, n_rows, k, j->begin, (double) (t + 1) / threads);
		j->started = false;
	}
	/* the calling thread takes the first range */
	for (t = 1; t < threads; t++)
		jobs[t].started = pthread_create(&jobs[t].thread, NULL,
										 rank_job_main, &jobs[t]) == 0;
	rank_job_main(&jobs[0]);
	for (t = 1; t < threads; t++)
	{
		if (jobs[t].started)
			pthread_join(jobs[t].thread, NULL);
		else
			rank_job_main(&jobs[t]);	/* no thread: do its share here */
	}
}

/* small random factors, so the first sweep starts off zero */
static void
init_factors(float *F, size_t n, int k, rs_rng *rng)
{
	rs_rng_normal_fill(rng, F, n * (size_t) k, 0.1 / sqrt((double) k));
}

rs_status
rs_rank_train(rs_model *m, const rs_dataset *d, const rs_train_hooks *hooks,
			  rs_error *err)
{
	const rs_params *p = &m->params;
	int			k = (int) rs_params_get(p, "rank_factors");
	int			iterations = (int) rs_params_get(p, "rank_iterations");
	int			cg_steps = (int) rs_params_get(p, "rank_cg_steps");
	double		alpha0 = rs_params_get(p, "rank_unobserved_weight");
	double		l2 = rs_params_get(p, "rank_l2");
	double		recency = m->kind->sequential ? rs_params_get(p, "rank_recency") : 0;
	int			threads = rs_train_threads(m, hooks, RANK_MAX_THREADS);
	rank_csr	by_user = {0};
	rank_csr	by_item = {0};
	rank_job	jobs[RANK_MAX_THREADS];
	double	   *scratch = NULL;
	double	   *gram = NULL;
	float	   *gram_f = NULL;
	float	   *tmp = NULL;
	rs_rng		rng;
	size_t		r;
	int			it;
	int			t;
	int			blas_saved;
	rs_status	rc;

	/* the item factors change: a fold-in Gramian of them is stale */
	rs_free(&m->alloc, m->rank_gram);
	m->rank_gram = NULL;

	rc = build_groups(m, d, recency, &by_user, &by_item, err);
	if (rc != RS_OK)
		goto done;
	scratch = rs_alloc(&m->alloc, rs_mul_size((size_t) threads,
											  thread_scratch_bytes(k)));
	gram = rs_alloc(&m->alloc, rs_mul_size((size_t) k * k, sizeof(double)));
	tmp = rs_alloc(&m->alloc, rs_mul_size((size_t) k * k, sizeof(float)));
	gram_f = rs_alloc(&m->alloc, rs_mul_size((size_t) k * k, sizeof(float)));
	if (scratch == NULL || gram == NULL || tmp == NULL || gram_f == NULL)
	{
		rc = rs_error_set(err, RS_ERR_NOMEM, "",
						  "out of memory for the ranking head's solves");
		goto done;
	}
	for (t = 0; t < threads; t++)
		jobs[t].scratch = scratch + (size_t) t * ((size_t) k * k + 2 * (size_t) k);

	/* item counts: the cold-start list and the popularity of an item */
	memset(m->item_count, 0, (size_t) m->n_items * sizeof(float));
	for (r = 0; r < d->n; r++)
		m->item_count[d->item[r]] += 1.0f;

	rs_rng_seed(&rng, (uint64_t) rs_params_get(p, "seed") ^ 0x72616e6bULL);
	init_factors(m->rank_user, (size_t) m->n_users, k, &rng);
	init_factors(m->rank_item, (size_t) m->n_items, k, &rng);

	blas_saved = nn_blas_threads_set(threads);
	for (it = 0; it < iterations; it++)
	{
		weighted_gram(m->rank_item, (size_t) m->n_items, k, alpha0, tmp, gram,
					  gram_f);
		half_sweep(jobs, threads, &by_user, gram, gram_f, cg_steps,
				   m->rank_item, m->n_items, m->rank_user, m->n_users, k, l2,
				   alpha0);
		weighted_gram(m->rank_user, (size_t) m->n_users, k, alpha0, tmp, gram,
					  gram_f);
		half_sweep(jobs, threads, &by_item, gram, gram_f, cg_steps,
				   m->rank_user, m->n_users, m->rank_item, m->n_items, k, l2,
				   alpha0);
		if (hooks && hooks->progress)
		{
			/* no worker runs now: the hook may longjmp, so restore first */
			nn_blas_threads_restore(blas_saved);
			hooks->progress(hooks->arg, -(it + 1), (size_t) it + 1,
							(size_t) iterations);
			blas_saved = nn_blas_threads_set(threads);
		}
	}
	nn_blas_threads_restore(blas_saved);
	rc = RS_OK;

done:
	free_groups(m, &by_user);
	free_groups(m, &by_item);
	rs_free(&m->alloc, scratch);
	rs_free(&m->alloc, gram);
	rs_free(&m->alloc, gram_f);
	rs_free(&m->alloc, tmp);
	return rc;
}

/* ---------- serving ---------- */

/*
 * One pair's score, as rs_rank_score_items gives it: w_u . h_i, the item's
 * count for an unknown user, 0 for an unknown item
 */
double
rs_rank_score_pair(const rs_model *m, int32_t u, int32_t i)
{
	int			k = m->rank_k;
	double		s = 0;
	int			x;

	if (i < 0)
		return 0;
	if (u < 0)
		return m->item_count[i];
	for (x = 0; x < k; x++)
		s += (double) m->rank_user[(size_t) u * k + x] *
			m->rank_item[(size_t) i * k + x];
	return s;
}

void
rs_rank_score_items(const rs_model *m, int32_t u, float *out)
{
	int			k = m->rank_k;

	if (u < 0)
	{
		memcpy(out, m->item_count, (size_t) m->n_items * sizeof(float));
		return;
	}
	cblas_sgemv(CblasRowMajor, CblasNoTrans, m->n_items, k, 1.0f,
				m->rank_item, k, m->rank_user + (size_t) u * k, 1, 0.0f,
				out, 1);
}

void
rs_rank_score_users(const rs_model *m, int32_t first, int32_t n_users,
					float *out)
{
	int			k = m->rank_k;

	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n_users, m->n_items,
				k, 1.0f, m->rank_user + (size_t) first * k, k, m->rank_item, k,
				0.0f, out, m->n_items);
}

rs_status
rs_rank_score_history(const rs_model *m, const int32_t *items, size_t n,
					  float *out, rs_error *err)
{
	const rs_params *p = &m->params;
	int			k = (int) rs_params_get(p, "rank_factors");
	double		alpha0 = rs_params_get(p, "rank_unobserved_weight");
	double		l2 = rs_params_get(p, "rank_l2");
	double		recency = m->kind->sequential ? rs_params_get(p, "rank_recency") : 0;
	double	   *scratch;
	float	   *conf;
	float	   *w;
	size_t		j;

	if (n == 0)
	{
		rs_rank_score_items(m, -1, out);
		return RS_OK;
	}
	/*
	 * alpha0 H^T H does not depend on the history: computed on the first
	 * fold-in of a loaded model and kept with it (O(n_items k^2), the
	 * bulk of a fold-in's work).  Serving is single-threaded per model.
	 */
	if (m->rank_gram == NULL)
	{
		double	   *gram = rs_alloc(&m->alloc, rs_mul_size((size_t) k * k, sizeof(double)));
		float	   *tmp = rs_alloc(&m->alloc, rs_mul_size((size_t) k * k, sizeof(float)));

		if (gram == NULL || tmp == NULL)
		{
			rs_free(&m->alloc, gram);
			rs_free(&m->alloc, tmp);
			return rs_error_set(err, RS_ERR_NOMEM, "", "out of memory");
		}
		weighted_gram(m->rank_item, (size_t) m->n_items, k, alpha0, tmp, gram, NULL);
		rs_free(&m->alloc, tmp);
		((rs_model *) m)->rank_gram = gram;
	}
	scratch = rs_alloc(&m->alloc, thread_scratch_bytes(k));
	conf = rs_alloc(&m->alloc, rs_mul_size(n, sizeof(float)));
	w = rs_alloc(&m->alloc, rs_mul_size((size_t) k, sizeof(float)));
	if (!scratch || !conf || !w)
	{
		rs_free(&m->alloc, scratch);
		rs_free(&m->alloc, conf);
		rs_free(&m->alloc, w);
		return rs_error_set(err, RS_ERR_NOMEM, "",
							"out of memory for a history of %zu steps", n);
	}
	/* the confidences a training gives a history of n steps */
	for (j = 0; j < n; j++)
		conf[j] = (float) (1.0 + (n > 1 ? recency * recency_shape((double) j / (double) (n - 1)) : 0));
	solve_row(m->rank_gram, m->rank_item, k, l2 * ((double) n + alpha0 * m->n_items),
			  items, conf, n, scratch, w);
	cblas_sgemv(CblasRowMajor, CblasNoTrans, m->n_items, k, 1.0f,
				m->rank_item, k, w, 1, 0.0f, out, 1);
	rs_free(&m->alloc, scratch);
	rs_free(&m->alloc, conf);
	rs_free(&m->alloc, w);
	return RS_OK;
}

/* the loss of rank.h on the rows of d (confidence 1: no recency) */
double
rs_rank_loss(const rs_model *m, const rs_dataset *d)
{
	int			k = m->rank_k;
	double		alpha0 = rs_params_get(&m->params, "rank_unobserved_weight");
	double		l2 = rs_params_get(&m->params, "rank_l2");
	double		loss = 0;
	int64_t    *nu = rs_alloc(&m->alloc, rs_mul_size((size_t) m->n_users, sizeof(int64_t)));
	int64_t    *ni = rs_alloc(&m->alloc, rs_mul_size((size_t) m->n_items, sizeof(int64_t)));
	size_t		r;
	int32_t		u;
	int32_t		i;
	int			x;

	if (nu == NULL || ni == NULL)
	{
		rs_free(&m->alloc, nu);
		rs_free(&m->alloc, ni);
		return NAN;
	}
	memset(nu, 0, (size_t) m->n_users * sizeof(int64_t));
	memset(ni, 0, (size_t) m->n_items * sizeof(int64_t));
	for (r = 0; r < d->n; r++)
	{
		double		s = 0;

		for (x = 0; x < k; x++)
			s += (double) m->rank_user[(size_t) d->user[r] * k + x] *
				m->rank_item[(size_t) d->item[r] * k + x];
		loss += (s - 1) * (s - 1);
		nu[d->user[r]]++;
		ni[d->item[r]]++;
	}
	for (u = 0; u < m->n_users; u++)
	{
		double		norm = 0;

		for (i = 0; i < m->n_items; i++)
		{
			double		s = 0;

			for (x = 0; x < k; x++)
				s += (double) m->rank_user[(size_t) u * k + x] *
					m->rank_item[(size_t) i * k + x];
			loss += alpha0 * s * s;
		}
		for (x = 0; x < k; x++)
			norm += (double) m->rank_user[(size_t) u * k + x] *
				m->rank_user[(size_t) u * k + x];
		loss += l2 * ((double) nu[u] + alpha0 * m->n_items) * norm;
	}
	for (i = 0; i < m->n_items; i++)
	{
		double		norm = 0;

		for (x = 0; x < k; x++)
			norm += (double) m->rank_item[(size_t) i * k + x] *
				m->rank_item[(size_t) i * k + x];
		loss += l2 * ((double) ni[i] + alpha0 * m->n_users) * norm;
	}
	rs_free(&m->alloc, nu);
	rs_free(&m->alloc, ni);
	return loss;
}
