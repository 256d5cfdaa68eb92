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

/* ---------- LSTM ---------- */

/*
 * Finite differences of an LSTM in float32: the loss is summed in double,
 * but each step's float rounding (~1e-7 relative) divided by 2h and the
 * O(h^2) truncation error of the central difference leave errors of about
 * 1e-4 on gradients of order 1, more on the large ones; a wrong term gives
 * errors of the gradient's own size.  So each entry must satisfy
 * |analytic - numeric| <= LSTM_ATOL + LSTM_RTOL * max(|analytic|, |numeric|).
 */
#define LSTM_ATOL 1e-3
#define LSTM_RTOL 1e-2

/* unit_check_tensor with a relative and an absolute tolerance */
static int
check_rel(const char *label, const float *a, const float *b, size_t n)
{
	double		worst = 0.0;
	int			shown = 0;
	size_t		j;

	for (j = 0; j < n; j++)
	{
		double		diff = fabs((double) a[j] - b[j]);
		double		scale = fmax(fabs((double) a[j]), fabs((double) b[j]));
		double		excess = diff / (LSTM_ATOL + LSTM_RTOL * scale);

		if (!(excess <= 1.0))
		{
			if (shown < 5)
				fprintf(stderr, "  %s[%zu]: %.9g vs %.9g\n", label, j, a[j], b[j]);
			shown++;
		}
		if (excess > worst || isnan(excess))
			worst = excess;
	}
	if (shown > 0)
	{
		fprintf(stderr, "  %s: %d of %zu outside tolerance, worst at %.3g times it\n",
				label, shown, n, worst);
		unit_failures_in_test++;
		return 0;
	}
	return 1;
}

/* one LSTM layer's tensors, with sizes; NULL h0/c0 mean zero states */
typedef struct lstm_case
{
	size_t		B,
				T,
				D,
				H;
	float	   *inp,
			   *h0,
			   *c0,
			   *Wx,
			   *Wh,
			   *b;
	float	   *h,
			   *c,
			   *gates;
	float	   *w,				/* loss weights on h (B, T, H) */
			   *v;				/* loss weights on the last c (B, H) */
	/* the Linear + MSE window test */
	float	   *Wo,
			   *bo,
			   *pred,
			   *target;
} lstm_case;

static lstm_case lc;

/* allocate and fill a case with N(0, 0.5^2) weights and N(0, 1) data */
static void
lstm_case_init(size_t B, size_t T, size_t D, size_t H, int states,
			   uint64_t seed)
{
	rs_rng		rng;
	size_t		G = 4 * H;
	size_t		j;

	memset(&lc, 0, sizeof(lc));
	lc.B = B;
	lc.T = T;
	lc.D = D;
	lc.H = H;
	rs_rng_seed(&rng, seed);
	lc.inp = malloc(sizeof(float) * B * T * D);
	lc.Wx = malloc(sizeof(float) * G * D);
	lc.Wh = malloc(sizeof(float) * G * H);
	lc.b = malloc(sizeof(float) * G);
	lc.h = malloc(sizeof(float) * B * T * H);
	lc.c = malloc(sizeof(float) * B * T * H);
	lc.gates = malloc(sizeof(float) * B * T * G);
	lc.w = malloc(sizeof(float) * B * T * H);
	lc.v = malloc(sizeof(float) * B * H);
	fill_normal(lc.inp, B * T * D, &rng);
	fill_normal(lc.Wx, G * D, &rng);
	fill_normal(lc.Wh, G * H, &rng);
	fill_normal(lc.b, G, &rng);
	/* weights of scale 0.5 keep the gates away from saturation */
	for (j = 0; j < G * D; j++)
		lc.Wx[j] *= 0.5f;
	for (j = 0; j < G * H; j++)
		lc.Wh[j] *= 0.5f;
	for (j = 0; j < G; j++)
		lc.b[j] *= 0.5f;
	fill_normal(lc.w, B * T * H, &rng);
	fill_normal(lc.v, B * H, &rng);
	if (states)
	{
		lc.h0 = malloc(sizeof(float) * B * H);
		lc.c0 = malloc(sizeof(float) * B * H);
		fill_normal(lc.h0, B * H, &rng);
		fill_normal(lc.c0, B * H, &rng);
	}
	lc.Wo = malloc(sizeof(float) * H);
	lc.bo = malloc(sizeof(float));
	lc.pred = malloc(sizeof(float) * B * T);
	lc.target = malloc(sizeof(float) * B * T);
	fill_normal(lc.Wo, H, &rng);
	lc.bo[0] = 0.2f;
	fill_normal(lc.target, B * T, &rng);
}

/* free a case */
static void
lstm_case_free(void)
{
	free(lc.inp);
	free(lc.Wx);
	free(lc.Wh);
	free(lc.b);
	free(lc.h);
	free(lc.c);
	free(lc.gates);
	free(lc.w);
	free(lc.v);
	free(lc.h0);
	free(lc.c0);
	free(lc.Wo);
	free(lc.bo);
	free(lc.pred);
	free(lc.target);
}

/* run the forward pass of the current case */
static void
lstm_case_forward(void)
{
	nn_lstm_forward(lc.h, lc.c, lc.gates, lc.inp, lc.h0, lc.c0, lc.Wx, lc.Wh,
					lc.b, lc.B, lc.T, lc.D, lc.H);
}

/* L = sum(w * h_out) + sum(v * c at the last step) */
static double
lstm_loss(void)
{
	double		s;
	size_t		bi;

	lstm_case_forward();
	s = dotd(lc.h, lc.w, lc.B * lc.T * lc.H);
	for (bi = 0; bi < lc.B; bi++)
		s += dotd(lc.c + (bi * lc.T + lc.T - 1) * lc.H, lc.v + bi * lc.H, lc.H);
	return s;
}

/* L = MSE of a Linear(H, 1) head on every step's h against target */
static double
lstm_window_loss(void)
{
	lstm_case_forward();
	nn_linear_forward(lc.pred, lc.h, lc.Wo, lc.bo, lc.B * lc.T, lc.H, 1);
	return nn_mse_loss(NULL, lc.pred, lc.target, lc.B * lc.T);
}

/* sigmoid in double for the reference */
static double
sigd(double x)
{
	return 1.0 / (1.0 + exp(-x));
}

/* forward against a plain double loop over steps, rows and gates */
static void
test_nn_lstm_forward(void)
{
	size_t		B = 2,
				T = 3,
				D = 3,
				H = 4;
	double		hp[2][4],
				cp[2][4];
	size_t		t,
				bi,
				j,
				k;
	float	   *h_zero;
	float	   *zeros;

	lstm_case_init(B, T, D, H, 1, 21);
	lstm_case_forward();
	for (bi = 0; bi < B; bi++)
		for (j = 0; j < H; j++)
		{
			hp[bi][j] = lc.h0[bi * H + j];
			cp[bi][j] = lc.c0[bi * H + j];
		}
	for (t = 0; t < T; t++)
	{
		double		hn[2][4];

		for (bi = 0; bi < B; bi++)
		{
			const float *x = lc.inp + (bi * T + t) * D;

			for (j = 0; j < H; j++)
			{
				double		a[4];
				size_t		q;

				/* gate q of unit j is row q*H + j: order i, f, g, o */
				for (q = 0; q < 4; q++)
				{
					size_t		row = q * H + j;

					a[q] = lc.b[row];
					for (k = 0; k < D; k++)
						a[q] += (double) lc.Wx[row * D + k] * x[k];
					for (k = 0; k < H; k++)
						a[q] += (double) lc.Wh[row * H + k] * hp[bi][k];
				}
				cp[bi][j] = sigd(a[1]) * cp[bi][j] + sigd(a[0]) * tanh(a[2]);
				hn[bi][j] = sigd(a[3]) * tanh(cp[bi][j]);
				CHECK_NEAR(lc.c[(bi * T + t) * H + j], cp[bi][j], 1e-5);
				CHECK_NEAR(lc.h[(bi * T + t) * H + j], hn[bi][j], 1e-5);
			}
		}
		memcpy(hp, hn, sizeof(hp));
	}

	/* NULL states are zero states */
	h_zero = malloc(sizeof(float) * B * T * H);
	zeros = calloc(B * H, sizeof(float));
	memcpy(lc.h0, zeros, sizeof(float) * B * H);
	memcpy(lc.c0, zeros, sizeof(float) * B * H);
	lstm_case_forward();
	memcpy(h_zero, lc.h, sizeof(float) * B * T * H);
	nn_lstm_forward(lc.h, lc.c, lc.gates, lc.inp, NULL, NULL, lc.Wx, lc.Wh,
					lc.b, B, T, D, H);
	CHECK(memcmp(h_zero, lc.h, sizeof(float) * B * T * H) == 0);
	free(h_zero);
	free(zeros);
	lstm_case_free();
}

/* gradients of sum(w h) + sum(v c_last) wrt every weight, inp, h0, c0 */
static void
test_nn_lstm_gradient(void)
{
	size_t		B = 2,
				T = 3,
				D = 3,
				H = 4,
				G = 16;
	float	   *dWx,
			   *dWh,
			   *db,
			   *dinp,
			   *dh0,
			   *dc0,
			   *scratch,
			   *num;

	lstm_case_init(B, T, D, H, 1, 22);
	dWx = calloc(G * D, sizeof(float));
	dWh = calloc(G * H, sizeof(float));
	db = calloc(G, sizeof(float));
	dinp = calloc(B * T * D, sizeof(float));
	dh0 = calloc(B * H, sizeof(float));
	dc0 = calloc(B * H, sizeof(float));
	scratch = malloc(sizeof(float) * nn_lstm_scratch_size(B, T, H));
	num = malloc(sizeof(float) * G * H);

	lstm_loss();
	nn_lstm_backward(dinp, dWx, dWh, db, dh0, dc0, scratch, lc.w, lc.v,
					 lc.h, lc.c, lc.gates, lc.inp, lc.h0, lc.c0, lc.Wx, lc.Wh,
					 B, T, D, H);

	numeric_grad(lstm_loss, lc.Wx, G * D, num);
	CHECK(check_rel("lstm dW_x", dWx, num, G * D));
	numeric_grad(lstm_loss, lc.Wh, G * H, num);
	CHECK(check_rel("lstm dW_h", dWh, num, G * H));
	numeric_grad(lstm_loss, lc.b, G, num);
	CHECK(check_rel("lstm db", db, num, G));
	numeric_grad(lstm_loss, lc.inp, B * T * D, num);
	CHECK(check_rel("lstm dinp", dinp, num, B * T * D));
	numeric_grad(lstm_loss, lc.h0, B * H, num);
	CHECK(check_rel("lstm dh0", dh0, num, B * H));
	numeric_grad(lstm_loss, lc.c0, B * H, num);
	CHECK(check_rel("lstm dc0", dc0, num, B * H));

	/* backward adds: a second call doubles db */
	memcpy(num, db, sizeof(float) * G);
	lstm_loss();
	nn_lstm_backward(NULL, dWx, dWh, db, NULL, NULL, scratch, lc.w, lc.v,
					 lc.h, lc.c, lc.gates, lc.inp, lc.h0, lc.c0, lc.Wx, lc.Wh,
					 B, T, D, H);
	CHECK_NEAR(db[5], 2.0 * num[5], 1e-5);

	free(dWx);
	free(dWh);
	free(db);
	free(dinp);
	free(dh0);
	free(dc0);
	free(scratch);
	free(num);
	lstm_case_free();
}

/*
 * A whole window as the lstm kind will train it: zero start states, T = 6
 * steps, a Linear(H, 1) head and the MSE on every step, chained through
 * nn_linear_backward into dh_out.
 */
static void
test_nn_lstm_window_gradient(void)
{
	size_t		B = 3,
				T = 6,
				D = 4,
				H = 5,
				G = 20;
	float	   *dpred,
			   *dh,
			   *dWo,
			   dbo[1] = {0},
			   *dWx,
			   *dWh,
			   *db,
			   *dinp,
			   *scratch,
			   *num;

	lstm_case_init(B, T, D, H, 0, 23);
	dpred = malloc(sizeof(float) * B * T);
	dh = calloc(B * T * H, sizeof(float));
	dWo = calloc(H, sizeof(float));
	dWx = calloc(G * D, sizeof(float));
	dWh = calloc(G * H, sizeof(float));
	db = calloc(G, sizeof(float));
	dinp = calloc(B * T * D, sizeof(float));
	scratch = malloc(sizeof(float) * nn_lstm_scratch_size(B, T, H));
	num = malloc(sizeof(float) * G * H);

	lstm_window_loss();
	nn_mse_loss(dpred, lc.pred, lc.target, B * T);
	nn_linear_backward(dh, dWo, dbo, dpred, lc.h, lc.Wo, B * T, H, 1);
	nn_lstm_backward(dinp, dWx, dWh, db, NULL, NULL, scratch, dh, NULL,
					 lc.h, lc.c, lc.gates, lc.inp, NULL, NULL, lc.Wx, lc.Wh,
					 B, T, D, H);

	numeric_grad(lstm_window_loss, lc.Wx, G * D, num);
	CHECK(check_rel("window dW_x", dWx, num, G * D));
	numeric_grad(lstm_window_loss, lc.Wh, G * H, num);
	CHECK(check_rel("window dW_h", dWh, num, G * H));
	numeric_grad(lstm_window_loss, lc.b, G, num);
	CHECK(check_rel("window db", db, num, G));
	numeric_grad(lstm_window_loss, lc.inp, B * T * D, num);
	CHECK(check_rel("window dinp", dinp, num, B * T * D));
	numeric_grad(lstm_window_loss, lc.Wo, H, num);
	CHECK(check_rel("window dW_out", dWo, num, H));
	numeric_grad(lstm_window_loss, lc.bo, 1, num);
	CHECK(check_rel("window db_out", dbo, num, 1));

	free(dpred);
	free(dh);
	free(dWo);
	free(dWx);
	free(dWh);
	free(db);
	free(dinp);
	free(scratch);
	free(num);
	lstm_case_free();
}

/* clipping scales a large gradient to max_norm, leaves a small one alone */
static void
test_nn_clip_grad_norm(void)
{
	float		g1[3] = {3.0f, 0.0f, -4.0f};
	float		g2[2] = {12.0f, 0.0f};
	float		k1[3],
				k2[2];
	float	   *bufs[2] = {g1, g2};
	size_t		sizes[2] = {3, 2};
	double		norm,
				after;

	memcpy(k1, g1, sizeof(g1));
	memcpy(k2, g2, sizeof(g2));
	/* global norm sqrt(9 + 16 + 144) = 13, above 6.5: halved */
	norm = nn_clip_grad_norm(bufs, sizes, 2, 6.5f);
	CHECK_NEAR(norm, 13.0, 1e-9);
	after = sqrt(dotd(g1, g1, 3) + dotd(g2, g2, 2));
	CHECK_NEAR(after, 6.5, 1e-5);
	/* the direction is kept: every element scaled by the same factor */
	CHECK_NEAR(g1[0] / k1[0], 0.5, 1e-6);
	CHECK_NEAR(g1[2] / k1[2], 0.5, 1e-6);
	CHECK_NEAR(g2[0] / k2[0], 0.5, 1e-6);
	CHECK(g1[1] == 0.0f);

	/* now norm 6.5, below 10: returned, nothing changed */
	memcpy(k1, g1, sizeof(g1));
	memcpy(k2, g2, sizeof(g2));
	norm = nn_clip_grad_norm(bufs, sizes, 2, 10.0f);
	CHECK_NEAR(norm, 6.5, 1e-5);
	CHECK(memcmp(k1, g1, sizeof(g1)) == 0 && memcmp(k2, g2, sizeof(g2)) == 0);
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
/*
 * The first touch of a row in a batch lists it and zeroes its gradient
 * row and bias; later touches in the batch do nothing; a new batch starts
 * over; when the stamps wrap they are all forgotten.
 */
static void
test_nn_touched_rows(void)
{
	int32_t		stamp[5] = {0};
	int32_t		rows[4];
	float		grad[5 * 2];
	float		bias[5];
	nn_touched	t;
	int			j;

	for (j = 0; j < 10; j++)
		grad[j] = 1.0f;
	for (j = 0; j < 5; j++)
		bias[j] = 1.0f;
	nn_touched_init(&t, stamp, rows);
	nn_touched_next_batch(&t, 5);
	nn_touch(&t, 2, grad, 2, bias);
	grad[4] = 7.0f;				/* accumulated after the first touch */
	nn_touch(&t, 2, grad, 2, bias);
	nn_touch(&t, 4, grad, 2, NULL);
	CHECK(t.n_rows == 2 && rows[0] == 2 && rows[1] == 4);
	CHECK(grad[4] == 7.0f && grad[5] == 0.0f && bias[2] == 0.0f);
	CHECK(grad[8] == 0.0f && grad[9] == 0.0f && bias[4] == 1.0f);
	CHECK(grad[0] == 1.0f && grad[2] == 1.0f && bias[0] == 1.0f);

	nn_touched_next_batch(&t, 5);
	CHECK(t.n_rows == 0);
	nn_touch(&t, 2, grad, 2, bias);
	CHECK(t.n_rows == 1 && grad[4] == 0.0f);

	/* the stamp of the batch before the wrap must not count after it */
	t.batch = INT32_MAX - 1;
	nn_touch(&t, 1, grad, 2, bias);
	nn_touched_next_batch(&t, 5);
	CHECK(t.batch == 1 && stamp[1] == 0 && stamp[2] == 0);
	nn_touch(&t, 1, grad, 2, bias);
	CHECK(t.n_rows == 1 && rows[0] == 1);
}

/*
 * With no weight decay the shared SGD rule is w -= lr g to the bit, signed
 * zeros included: mf's minibatch SGD takes it for its own.
 */
static void
test_nn_sgd_no_decay(void)
{
	float		w[6] = {1.5f, -0.0f, 0.0f, -3.25f, 1e-30f, -0.0f};
	float		g[6] = {0.3f, -0.0f, -0.0f, 1e-7f, -2.0f, 0.0f};
	float		ref[6];
	int			j;

	for (j = 0; j < 6; j++)
		ref[j] = w[j] - 0.01f * g[j];
	nn_sgd_update(w, g, 6, 0.01f, 0.0f);
	CHECK(memcmp(w, ref, sizeof(w)) == 0);
}

/* OpenBLAS's count is set by the first hold only, and put back once */
static void
test_nn_blas_threads_hold(void)
{
	int			before = nn_blas_threads_set(1);
	int			saved = 0;

	nn_blas_threads_restore(before);
	nn_blas_threads_hold(&saved, 1);
	CHECK(saved == before);
	nn_blas_threads_hold(&saved, 2);
	CHECK(saved == before);
	CHECK(nn_blas_threads_set(1) == 1);
	nn_blas_threads_release(&saved);
	CHECK(saved == 0);
	CHECK(nn_blas_threads_set(before) == before);
	nn_blas_threads_release(&saved);	/* nothing held: no change */
	CHECK(nn_blas_threads_set(before) == before);
}

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
	unit_run("nn_lstm_forward", test_nn_lstm_forward);
	unit_run("nn_lstm_gradient", test_nn_lstm_gradient);
	unit_run("nn_lstm_window_gradient", test_nn_lstm_window_gradient);
	unit_run("nn_clip_grad_norm", test_nn_clip_grad_norm);
	unit_run("nn_touched_rows", test_nn_touched_rows);
	unit_run("nn_sgd_no_decay", test_nn_sgd_no_decay);
	unit_run("nn_blas_threads_hold", test_nn_blas_threads_hold);
}
