/*
 * test_nn.c
 *		Finite-difference gradient checks of every forward/backward pair of
 *		nn.c, and the optimizers against hand-computed steps.
 *
 * Each check takes the scalar L = sum(out * G) for a fixed random G, so
 * dL/dout = G; the backward pass's gradient of each input is compared with
 * central differences (L(x + h) - L(x - h)) / 2h, computed in double.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn.h"
#include "unit.h"

#define GC_H 1e-2
#define GC_TOL 2e-3

/* n values of N(0, 1) */
static void
fill_normal(float *x, size_t n, rs_rng *rng)
{
	size_t		j;

	for (j = 0; j < n; j++)
		x[j] = (float) rs_rng_normal(rng);
}

/* sum(a * b) in double */
static double
dotd(const float *a, const float *b, size_t n)
{
	double		s = 0.0;
	size_t		j;

	for (j = 0; j < n; j++)
		s += (double) a[j] * b[j];
	return s;
}

/* ---------- linear ---------- */

static size_t lin_B = 5, lin_in = 7, lin_out = 4;
static float *lin_x, *lin_W, *lin_b, *lin_G, *lin_y;

/* L for the current x, W, b */
static double
lin_loss(void)
{
	nn_linear_forward(lin_y, lin_x, lin_W, lin_b, lin_B, lin_in, lin_out);
	return dotd(lin_y, lin_G, lin_B * lin_out);
}

/* numerical gradient of lin_loss wrt each of n entries of x into g */
static void
numeric_grad(double (*loss) (void), float *x, size_t n, float *g)
{
	size_t		j;

	for (j = 0; j < n; j++)
	{
		float		keep = x[j];
		double		lp,
					lm;

		x[j] = keep + (float) GC_H;
		lp = loss();
		x[j] = keep - (float) GC_H;
		lm = loss();
		x[j] = keep;
		g[j] = (float) ((lp - lm) / (2.0 * GC_H));
	}
}

/* linear layer: dx, dW, db against central differences */
static void
test_nn_linear_gradient(void)
{
	rs_rng		rng;
	size_t		nx = lin_B * lin_in,
				nw = lin_out * lin_in;
	float	   *dx = calloc(nx, sizeof(float));
	float	   *dW = calloc(nw, sizeof(float));
	float	   *db = calloc(lin_out, sizeof(float));
	float	   *num = malloc(sizeof(float) * nx);

	rs_rng_seed(&rng, 1);
	lin_x = malloc(sizeof(float) * nx);
	lin_W = malloc(sizeof(float) * nw);
	lin_b = malloc(sizeof(float) * lin_out);
	lin_G = malloc(sizeof(float) * lin_B * lin_out);
	lin_y = malloc(sizeof(float) * lin_B * lin_out);
	fill_normal(lin_x, nx, &rng);
	fill_normal(lin_W, nw, &rng);
	fill_normal(lin_b, lin_out, &rng);
	fill_normal(lin_G, lin_B * lin_out, &rng);

	/* forward against a plain loop */
	lin_loss();
	{
		double		ref = (double) lin_b[2];
		size_t		j;

		for (j = 0; j < lin_in; j++)
			ref += (double) lin_x[3 * lin_in + j] * lin_W[2 * lin_in + j];
		CHECK_NEAR(lin_y[3 * lin_out + 2], ref, 1e-4);
	}

	nn_linear_backward(dx, dW, db, lin_G, lin_x, lin_W, lin_B, lin_in, lin_out);
	numeric_grad(lin_loss, lin_x, nx, num);
	CHECK(unit_check_tensor("dx", dx, num, nx, GC_TOL));
	numeric_grad(lin_loss, lin_W, nw, num);
	CHECK(unit_check_tensor("dW", dW, num, nw, GC_TOL));
	numeric_grad(lin_loss, lin_b, lin_out, num);
	CHECK(unit_check_tensor("db", db, num, lin_out, GC_TOL));

	/* backward adds: a second call doubles the gradient */
	nn_linear_backward(dx, dW, db, lin_G, lin_x, lin_W, lin_B, lin_in, lin_out);
	CHECK_NEAR(db[1], 2.0 * num[1], 2 * GC_TOL);

	free(dx);
	free(dW);
	free(db);
	free(num);
	free(lin_x);
	free(lin_W);
	free(lin_b);
	free(lin_G);
	free(lin_y);
}

/* ---------- relu and dropout ---------- */

#define ACT_N 40
static float act_x[ACT_N], act_y[ACT_N], act_G[ACT_N], act_mask[ACT_N];

/* L of relu */
static double
relu_loss(void)
{
	nn_relu_forward(act_y, act_x, ACT_N);
	return dotd(act_y, act_G, ACT_N);
}

/* L of dropout with the mask fixed by the first forward pass */
static double
dropout_loss(void)
{
	size_t		j;

	for (j = 0; j < ACT_N; j++)
		act_y[j] = act_x[j] * act_mask[j];
	return dotd(act_y, act_G, ACT_N);
}

/* relu: gradient away from the kink at 0 */
static void
test_nn_relu_gradient(void)
{
	rs_rng		rng;
	float		dx[ACT_N] = {0};
	float		num[ACT_N];
	size_t		j;

	rs_rng_seed(&rng, 2);
	fill_normal(act_x, ACT_N, &rng);
	fill_normal(act_G, ACT_N, &rng);
	for (j = 0; j < ACT_N; j++)
	{
		/* keep every input more than h away from 0 */
		if (fabsf(act_x[j]) < 0.1f)
			act_x[j] = act_x[j] < 0 ? -0.1f - act_x[j] : 0.1f + act_x[j];
	}
	relu_loss();
	nn_relu_backward(dx, act_G, act_y, ACT_N);
	numeric_grad(relu_loss, act_x, ACT_N, num);
	CHECK(unit_check_tensor("relu dx", dx, num, ACT_N, GC_TOL));
	for (j = 0; j < ACT_N; j++)
		CHECK(act_y[j] >= 0.0f);
}

/* dropout: mask values, mean kept, gradient through the mask */
static void
test_nn_dropout(void)
{
	rs_rng		rng;
	float		dx[ACT_N] = {0};
	float		num[ACT_N];
	float	   *big_x,
			   *big_y,
			   *big_m;
	size_t		n = 100000,
				j,
				zeros = 0;
	double		sum = 0.0;

	rs_rng_seed(&rng, 3);
	fill_normal(act_x, ACT_N, &rng);
	fill_normal(act_G, ACT_N, &rng);
	nn_dropout_forward(act_y, act_mask, act_x, ACT_N, 0.5f, &rng);
	for (j = 0; j < ACT_N; j++)
	{
		CHECK(act_mask[j] == 0.0f || act_mask[j] == 2.0f);
		CHECK_NEAR(act_y[j], act_x[j] * act_mask[j], 1e-6);
	}
	nn_dropout_backward(dx, act_G, act_mask, ACT_N);
	numeric_grad(dropout_loss, act_x, ACT_N, num);
	CHECK(unit_check_tensor("dropout dx", dx, num, ACT_N, GC_TOL));

	/* inverted scaling keeps the expectation: mean of ones stays ~1 */
	big_x = malloc(n * sizeof(float));
	big_y = malloc(n * sizeof(float));
	big_m = malloc(n * sizeof(float));
	for (j = 0; j < n; j++)
		big_x[j] = 1.0f;
	nn_dropout_forward(big_y, big_m, big_x, n, 0.3f, &rng);
	for (j = 0; j < n; j++)
	{
		sum += big_y[j];
		zeros += big_y[j] == 0.0f;
	}
	CHECK_NEAR(sum / (double) n, 1.0, 0.02);
	CHECK_NEAR((double) zeros / (double) n, 0.3, 0.01);
	/* p = 0 is the identity */
	nn_dropout_forward(big_y, big_m, big_x, n, 0.0f, &rng);
	CHECK(big_y[123] == 1.0f && big_m[n - 1] == 1.0f);
	free(big_x);
	free(big_y);
	free(big_m);
}

/* ---------- embedding ---------- */

#define EMB_N 6
#define EMB_D 3
#define EMB_B 5
#define EMB_LD 8
static float emb_table[EMB_N * EMB_D], emb_y[EMB_B * EMB_LD], emb_G[EMB_B * EMB_LD];
static const int32_t emb_idx[EMB_B] = {4, 1, 4, -1, 0};

/* L of a lookup into the left part of rows of width EMB_LD */
static double
emb_loss(void)
{
	size_t		b;
	double		s = 0.0;

	nn_embedding_forward(emb_y, emb_idx, emb_table, EMB_B, EMB_D, EMB_LD);
	for (b = 0; b < EMB_B; b++)
		s += dotd(emb_y + b * EMB_LD, emb_G + b * EMB_LD, EMB_D);
	return s;
}

/* embedding: repeated and unknown indexes, strided output */
static void
test_nn_embedding_gradient(void)
{
	rs_rng		rng;
	float		dt[EMB_N * EMB_D] = {0};
	float		num[EMB_N * EMB_D];

	rs_rng_seed(&rng, 4);
	fill_normal(emb_table, EMB_N * EMB_D, &rng);
	fill_normal(emb_G, EMB_B * EMB_LD, &rng);
	emb_loss();
	CHECK(emb_y[3 * EMB_LD + 1] == 0.0f);	/* unknown: zero row */
	CHECK(emb_y[1 * EMB_LD + 2] == emb_table[1 * EMB_D + 2]);
	nn_embedding_backward(dt, emb_G, emb_idx, EMB_B, EMB_D, EMB_LD);
	numeric_grad(emb_loss, emb_table, EMB_N * EMB_D, num);
	CHECK(unit_check_tensor("embedding dtable", dt, num, EMB_N * EMB_D, GC_TOL));
	/* row 4 is looked up twice and gets both gradients; row 2 none */
	CHECK_NEAR(dt[4 * EMB_D], emb_G[0] + emb_G[2 * EMB_LD], 1e-6);
	CHECK(dt[2 * EMB_D] == 0.0f);
}

/* ---------- loss ---------- */

#define MSE_B 9
static float mse_pred[MSE_B], mse_target[MSE_B];

/* the MSE as a function of pred */
static double
mse_only(void)
{
	return nn_mse_loss(NULL, mse_pred, mse_target, MSE_B);
}

/* MSE value and gradient */
static void
test_nn_mse_gradient(void)
{
	rs_rng		rng;
	float		d[MSE_B];
	float		num[MSE_B];
	double		ref = 0.0;
	size_t		b;

	rs_rng_seed(&rng, 5);
	fill_normal(mse_pred, MSE_B, &rng);
	fill_normal(mse_target, MSE_B, &rng);
	for (b = 0; b < MSE_B; b++)
		ref += pow((double) mse_pred[b] - mse_target[b], 2) / MSE_B;
	CHECK_NEAR(nn_mse_loss(d, mse_pred, mse_target, MSE_B), ref, 1e-6);
	numeric_grad(mse_only, mse_pred, MSE_B, num);
	CHECK(unit_check_tensor("mse dpred", d, num, MSE_B, GC_TOL));
}

/* ---------- a two-layer network end to end ---------- */

#define NET_B 4
#define NET_IN 6
#define NET_H 5
static float net_x[NET_B * NET_IN], net_W1[NET_H * NET_IN], net_b1[NET_H],
			net_W2[NET_H], net_b2[1], net_t[NET_B];
static float net_h[NET_B * NET_H], net_a[NET_B * NET_H], net_y[NET_B];

/* MSE of Linear -> ReLU -> Linear */
static double
net_loss(void)
{
	nn_linear_forward(net_h, net_x, net_W1, net_b1, NET_B, NET_IN, NET_H);
	nn_relu_forward(net_a, net_h, NET_B * NET_H);
	nn_linear_forward(net_y, net_a, net_W2, net_b2, NET_B, NET_H, 1);
	return nn_mse_loss(NULL, net_y, net_t, NET_B);
}

/* the layers chained as dense.c chains them */
static void
test_nn_network_gradient(void)
{
	rs_rng		rng;
	float		dy[NET_B],
				da[NET_B * NET_H] = {0},
				dh[NET_B * NET_H] = {0},
				dx[NET_B * NET_IN] = {0},
				dW1[NET_H * NET_IN] = {0},
				db1[NET_H] = {0},
				dW2[NET_H] = {0},
				db2[1] = {0};
	float		num[NET_H * NET_IN];

	rs_rng_seed(&rng, 6);
	fill_normal(net_x, NET_B * NET_IN, &rng);
	fill_normal(net_W1, NET_H * NET_IN, &rng);
	fill_normal(net_b1, NET_H, &rng);
	fill_normal(net_W2, NET_H, &rng);
	fill_normal(net_t, NET_B, &rng);
	net_b2[0] = 0.3f;

	net_loss();
	nn_mse_loss(dy, net_y, net_t, NET_B);
	nn_linear_backward(da, dW2, db2, dy, net_a, net_W2, NET_B, NET_H, 1);
	nn_relu_backward(dh, da, net_a, NET_B * NET_H);
	nn_linear_backward(dx, dW1, db1, dh, net_x, net_W1, NET_B, NET_IN, NET_H);

	numeric_grad(net_loss, net_W1, NET_H * NET_IN, num);
	CHECK(unit_check_tensor("net dW1", dW1, num, NET_H * NET_IN, 5e-3));
	numeric_grad(net_loss, net_x, NET_B * NET_IN, num);
	CHECK(unit_check_tensor("net dx", dx, num, NET_B * NET_IN, 5e-3));
	numeric_grad(net_loss, net_b2, 1, num);
	CHECK(unit_check_tensor("net db2", db2, num, 1, 5e-3));
}

/* ---------- optimizers ---------- */

/* SGD and Adam against steps computed by hand */
static void
test_nn_optimizers(void)
{
	float		w[2] = {1.0f, -2.0f};
	float		g[2] = {0.5f, 0.25f};
	float		m1[2] = {0},
				m2[2] = {0};
	float		table[4 * 2] = {1, 1, 2, 2, 3, 3, 4, 4};
	float		gt[4 * 2] = {1, 1, 1, 1, 1, 1, 1, 1};
	float		tm1[8] = {0},
				tm2[8] = {0};
	int32_t		rows[1] = {2};
	nn_adam		a;

	nn_sgd_step(w, g, 2, 0.1f, 0.5f);
	CHECK_NEAR(w[0], 1.0 - 0.1 * (0.5 + 0.5 * 1.0), 1e-6);
	CHECK_NEAR(w[1], -2.0 - 0.1 * (0.25 + 0.5 * -2.0), 1e-6);

	/* Adam's first step moves every weight by lr * sign(g) */
	w[0] = 1.0f;
	w[1] = -2.0f;
	nn_adam_init(&a);
	nn_adam_next(&a);
	nn_adam_step(&a, w, g, m1, m2, 2, 0.01f, 0.0f);
	CHECK_NEAR(w[0], 1.0 - 0.01, 1e-5);
	CHECK_NEAR(w[1], -2.0 - 0.01, 1e-5);
	CHECK(a.t == 1);

	/* lazy rows: only row 2 moves */
	nn_adam_rows(&a, table, gt, tm1, tm2, rows, 1, 2, 0.01f, 0.0f);
	CHECK(table[0] == 1.0f && table[7] == 4.0f);
	CHECK_NEAR(table[4], 3.0 - 0.01, 1e-5);
	nn_sgd_rows(table, gt, rows, 1, 2, 0.5f, 0.0f);
	CHECK_NEAR(table[5], 3.0 - 0.01 - 0.5, 1e-5);
	CHECK(table[2] == 2.0f);
}

/* every test of nn.c */
void
suite_nn(void)
{
	unit_run("nn_linear_gradient", test_nn_linear_gradient);
	unit_run("nn_relu_gradient", test_nn_relu_gradient);
	unit_run("nn_dropout", test_nn_dropout);
	unit_run("nn_embedding_gradient", test_nn_embedding_gradient);
	unit_run("nn_mse_gradient", test_nn_mse_gradient);
	unit_run("nn_network_gradient", test_nn_network_gradient);
	unit_run("nn_optimizers", test_nn_optimizers);
}
