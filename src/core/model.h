/*-------------------------------------------------------------------------
 *
 * model.h
 *		The one interface every model kind implements, and the shared
 *		training loop, option tables and model layout.
 *
 * A model kind (mf, later dense and lstm) is an rs_kind: a table of options
 * with defaults and ranges, and a handful of functions.  Everything that is
 * the same for every kind lives in model.c and is written once: option
 * handling, the hold-out split, the epoch loop with early stopping that keeps
 * the best epoch's weights, the per-epoch history, id lookup, clipping,
 * and the list of named tensors that blob.c saves and loads.
 *
 * Layout of a model (llm.c style): every trainable float lives in one
 * contiguous buffer, params_buf, carved into named tensors by the kind's
 * init function; the early-stopping snapshot is a copy of that buffer.
 * The non-trainable tensors (id tables, rated items, history) are separate
 * allocations registered in the same tensor table so saving is one walk.
 *
 * Errors are return codes with an rs_error filled in; the core never prints,
 * exits or aborts.  It is plain C and never includes postgres.h.
 *
 * Copyright (c) 2026, recsys developers
 *
 * IDENTIFICATION
 *	  src/core/model.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef RECSYS_MODEL_H
#define RECSYS_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alloc.h"
#include "rng.h"

/* ---------- errors ---------- */

typedef enum rs_status
{
	RS_OK = 0,
	RS_ERR_PARAM,				/* an option is out of range or unknown */
	RS_ERR_DATA,				/* the training data cannot be used */
	RS_ERR_NOMEM,				/* an allocation hook returned NULL */
	RS_ERR_LIMIT,				/* a size limit of the format or the kind */
	RS_ERR_CORRUPT				/* a blob or chunk failed a check */
} rs_status;

typedef struct rs_error
{
	rs_status	code;
	char		field[64];		/* option or tensor the error is about, or "" */
	char		message[256];	/* lower case, no final period, one line */
} rs_error;

/* fill err and return code; printf-style message */
extern rs_status rs_error_set(rs_error *err, rs_status code, const char *field,
							  const char *fmt,...)
			__attribute__((format(printf, 4, 5)));

/*
 * The floating-point mode of the calling thread (util.c): training runs
 * with subnormals flushed to zero, and restores the caller's mode.
 */
typedef unsigned int rs_fp_mode;
extern rs_fp_mode rs_fp_flush_subnormals(void);
extern rs_fp_mode rs_fp_current(void);
extern void rs_fp_restore(rs_fp_mode saved);

/*
 * Solve A x = b in place for symmetric positive definite A (k x k, upper
 * triangle used and overwritten by its Cholesky factor); b becomes x.
 * Returns false when A is not positive definite.
 */
extern bool rs_cholesky_solve(double *A, double *b, int k);

/* ---------- options ---------- */

#define RS_MAX_OPTIONS 32

typedef enum rs_option_type
{
	RS_OPT_INT,
	RS_OPT_REAL,
	RS_OPT_BOOL,
	RS_OPT_ENUM					/* stored as the index into choices */
} rs_option_type;

typedef struct rs_option_def
{
	const char *name;
	rs_option_type type;
	double		def;			/* default value */
	double		min;			/* inclusive bounds for INT and REAL */
	double		max;
	const char *const *choices; /* RS_OPT_ENUM: NULL-terminated names */
	const char *help;			/* one line for the README and hints */
} rs_option_def;

struct rs_kind;

/* hyper-parameters: one double per option of the kind, in table order */
typedef struct rs_params
{
	const struct rs_kind *kind;
	double		value[RS_MAX_OPTIONS];
} rs_params;

extern void rs_params_default(rs_params *p, const struct rs_kind *kind);
/* index of the option called name in p's kind, or -1 */
extern int	rs_params_find(const rs_params *p, const char *name);
/* set a numeric or boolean option, checking type and range */
extern rs_status rs_params_set(rs_params *p, const char *name, double value,
							   rs_error *err);
/* set an enum option by the name of its choice */
extern rs_status rs_params_set_choice(rs_params *p, const char *name,
									  const char *choice, rs_error *err);
/* value of option name; the name must exist in the kind (checked by assert) */
extern double rs_params_get(const rs_params *p, const char *name);
/* cross-field checks of the kind, after all options are set */
extern rs_status rs_params_check(const rs_params *p, rs_error *err);

/*
 * The options the trained kinds (mf, dense, lstm) declare alike, one macro
 * each, so that a name, its type, bounds and help are written once.  A kind
 * passes its own default, and its own help where the option means
 * something particular to it.  They are one macro per option, not one
 * block like RS_RANK_OPTIONS, because each kind lists them in its own
 * order, and that order is what recsys_options() and the hints show.
 */

/* the values of the "optimizer" option */
typedef enum rs_optimizer
{
	RS_OPTIMIZER_SGD = 0,
	RS_OPTIMIZER_ADAM = 1
} rs_optimizer;

extern const char *const rs_optimizer_names[];

/* most threads a training uses: the upper bound of every "threads" option */
#define RS_MAX_TRAIN_THREADS 64

#define RS_OPTION_EPOCHS(def) \
	{"epochs", RS_OPT_INT, (def), 1, 10000, NULL, \
	"maximum number of passes over the training rows"}
#define RS_OPTION_LEARNING_RATE(def) \
	{"learning_rate", RS_OPT_REAL, (def), 1e-9, 10, NULL, \
	"step size of the optimizer"}
#define RS_OPTION_OPTIMIZER(def) \
	{"optimizer", RS_OPT_ENUM, (def), 0, 1, rs_optimizer_names, \
	"\"sgd\" or \"adam\""}
#define RS_OPTION_BATCH_SIZE(def, max, help) \
	{"batch_size", RS_OPT_INT, (def), 1, (max), NULL, help}
#define RS_OPTION_VALIDATION_FRACTION(def) \
	{"validation_fraction", RS_OPT_REAL, (def), 0, 0.5, NULL, \
	"fraction of rows held out for early stopping (0: none, keep the last epoch)"}
#define RS_OPTION_PATIENCE(def) \
	{"patience", RS_OPT_INT, (def), 1, 1000, NULL, \
	"epochs without a better validation RMSE before stopping"}
#define RS_OPTION_SEED(def, help) \
	{"seed", RS_OPT_INT, (def), 0, 2147483647, NULL, help}
#define RS_OPTION_BIASES(def, help) \
	{"biases", RS_OPT_BOOL, (def), 0, 1, NULL, help}
#define RS_OPTION_INIT_STD(def, help) \
	{"init_std", RS_OPT_REAL, (def), 0, 10, NULL, help}
/* 0, the default, is the caller's budget (rs_train_hooks.threads) */
#define RS_OPTION_THREADS(help) \
	{"threads", RS_OPT_INT, 0, 0, RS_MAX_TRAIN_THREADS, NULL, help}
/* the network kinds (dense, lstm) */
#define RS_OPTION_DROPOUT(def, help) \
	{"dropout", RS_OPT_REAL, (def), 0, 0.9, NULL, help}
#define RS_OPTION_WEIGHT_DECAY(def) \
	{"weight_decay", RS_OPT_REAL, (def), 0, 10, NULL, \
	"L2 weight decay added to every gradient"}

/* ---------- data ---------- */

/*
 * Ratings with dense indexes, as built by ratings.c.  Indexes are assigned so
 * that user_ids and item_ids are ascending, which makes id lookup a binary
 * search and the order of indexes independent of the order rows were read.
 */
typedef struct rs_dataset
{
	size_t		n;				/* number of ratings */
	int32_t		n_users;
	int32_t		n_items;
	int32_t    *user;			/* (n) dense user index */
	int32_t    *item;			/* (n) dense item index */
	float	   *rating;			/* (n) */
	double	   *time;			/* (n) or NULL when no time column */
	int64_t    *user_ids;		/* (n_users) external ids, ascending */
	int64_t    *item_ids;		/* (n_items) external ids, ascending */
} rs_dataset;

/* shuffle the rows of d in place (Fisher-Yates over all row arrays) */
extern void rs_dataset_shuffle(rs_dataset *d, rs_rng *rng);
/* a view of rows [begin, end) of d; shares its arrays */
extern rs_dataset rs_dataset_slice(const rs_dataset *d, size_t begin, size_t end);

/* ---------- tensors ---------- */

typedef enum rs_dtype
{
	RS_F32 = 1,
	RS_F64 = 2,
	RS_I32 = 3,
	RS_I64 = 4,
	RS_U8 = 5					/* bytes: the keys of uuid and text ids */
} rs_dtype;

#define RS_MAX_TENSORS 32
#define RS_TENSOR_NAME_LEN 32

typedef struct rs_tensor
{
	char		name[RS_TENSOR_NAME_LEN];
	rs_dtype	dtype;
	int			ndim;			/* 1 or 2 */
	int64_t		shape[2];		/* shape[1] is 1 when ndim is 1 */
	void	   *data;
	bool		owned;			/* separately allocated (not in params_buf) */
} rs_tensor;

extern size_t rs_dtype_size(rs_dtype dtype);
extern const char *rs_dtype_name(rs_dtype dtype);	/* "float32", ... */
extern size_t rs_tensor_count(const rs_tensor *t);	/* number of elements */
extern size_t rs_tensor_bytes(const rs_tensor *t);

/* ---------- the model ---------- */

/* ---------- external ids ---------- */

/* the type of one side's external ids (keys.h) */
typedef enum rs_id_type
{
	RS_ID_INTEGER = 0,			/* any integer type, as int64: the id itself */
	RS_ID_UUID = 1,				/* 16-byte keys */
	RS_ID_TEXT = 2				/* text keys, in the database encoding */
} rs_id_type;

#define RS_ID_TYPE_MAX RS_ID_TEXT

/* the two sides of a rating */
#define RS_SIDE_USER 0
#define RS_SIDE_ITEM 1

/* one row of the training history */
typedef struct rs_epoch_info
{
	int			epoch;			/* 1-based */
	double		train_loss;		/* mean squared error on training rows */
	double		val_rmse;		/* on the held-out rows, NAN if none */
	double		seconds;		/* wall time of this epoch */
	bool		is_best;		/* best validation RMSE so far */
} rs_epoch_info;

#define RS_HISTORY_COLS 4		/* epoch, train_loss, val_rmse, seconds */

typedef struct rs_model
{
	const struct rs_kind *kind;
	rs_params	params;
	rs_allocator alloc;			/* how this model's memory was allocated */

	/* What it was trained on */
	int32_t		n_users;
	int32_t		n_items;
	int64_t		n_ratings;
	double		global_mean;
	double		rating_min;		/* predictions are clipped to the range */
	double		rating_max;
	int32_t		n_epochs;		/* epochs run (rows of history) */
	int32_t		best_epoch;		/* epoch whose weights were kept, 1-based */

	/* Shared tensors (pointers into tensors[]) */
	int64_t    *user_ids;		/* (n_users) ascending */
	int64_t    *item_ids;		/* (n_items) ascending */
	int64_t    *rated_offsets;	/* (n_users + 1) CSR row starts */
	int32_t    *rated_items;	/* (n_ratings) items of each user, ascending */
	double	   *history;		/* (n_epochs, RS_HISTORY_COLS) */

	/*
	 * The type of each side's external ids (RS_SIDE_USER, RS_SIDE_ITEM).
	 * For uuid and text ids, user_ids / item_ids hold rs_key_hash of each
	 * key and keys[side] the keys' bytes in index order, key_offsets[side]
	 * where each index's key starts (n + 1 entries); NULL for integer ids.
	 */
	rs_id_type	id_type[2];
	uint8_t    *keys[2];
	int64_t    *key_offsets[2];
	int64_t		key_bytes[2];

	/*
	 * The objective (rank.h's rs_objective) and the head's factors, read
	 * from params once at creation: predict is called per row and must not
	 * look options up by name
	 */
	int			objective;
	int			rank_k;			/* 0 without the head */

	/* The ranking head (rank.h), NULL when the objective is "rating" */
	float	   *rank_user;		/* (n_users, rank_factors) */
	float	   *rank_item;		/* (n_items, rank_factors) */
	float	   *item_count;		/* (n_items) training rows of each item */
	double		rank_seconds;	/* training time of the head; not stored */
	double	   *rank_gram;		/* alpha0 H^T H (rank_k^2) for history
								 * fold-ins, computed on first use; not
								 * stored */

	/* Trainable weights: one buffer, carved into tensors by the kind */
	float	   *params_buf;		/* (n_params) */
	size_t		n_params;

	rs_tensor	tensors[RS_MAX_TENSORS];
	int			n_tensors;

	void	   *impl;			/* kind-private pointers into params_buf */
} rs_model;

/*
 * Callbacks into the caller during training, and the caller's thread
 * budget.  The callbacks are called from the calling thread only, at moments when no worker thread is running and the
 * core holds no resource outside its allocator, so they may longjmp (the glue
 * checks for interrupts there; the model memory is freed with its context).
 */
typedef struct rs_train_hooks
{
	void	   *arg;
	/* every RS_PROGRESS_STEP rows or so: done of total rows this epoch */
	void		(*progress) (void *arg, int epoch, size_t done, size_t total);
	void		(*epoch_end) (void *arg, const rs_epoch_info *info);
	/* threads a kind uses when its "threads" option is 0; 0 means 1 */
	int			threads;
} rs_train_hooks;

#define RS_PROGRESS_STEP ((size_t) 1 << 16)

/*
 * An epoch's progress, reported through hooks->progress: rs_progress_rows
 * at most once every `every` rows, so that a kind can offer it after each
 * batch whatever the batch size, and rs_progress_report at once.  Call
 * either only from the calling thread with no worker running: the hook may
 * longjmp.
 */
typedef struct rs_progress
{
	const rs_train_hooks *hooks;	/* may be NULL */
	int			epoch;
	size_t		total;			/* rows of the epoch */
	size_t		every;			/* rows between two throttled reports */
	size_t		next;			/* the next throttled report is due here */
} rs_progress;

extern void rs_progress_begin(rs_progress *pr, const rs_train_hooks *hooks,
							  int epoch, size_t total, size_t every);
/* report done rows if a report is due */
extern void rs_progress_rows(rs_progress *pr, size_t done);
/* report done rows now */
extern void rs_progress_report(const rs_progress *pr, size_t done);

/* ---------- the interface of a kind ---------- */

typedef struct rs_kind
{
	const char *name;			/* "mf" */
	const char *description;	/* one line */
	const rs_option_def *options;	/* table of n_options */
	int			n_options;

	/* optional cross-field check of params; NULL when none */
	rs_status	(*check_params) (const rs_params *p, rs_error *err);

	/*
	 * bytes of weights, gradients and optimizer state a training needs, with
	 * any private copy of the rows and the early-stopping snapshot of the
	 * weights (only the kind knows how many weights it has)
	 */
	size_t		(*train_memory) (const rs_params *p, int32_t n_users,
								 int32_t n_items, size_t n_ratings);

	/*
	 * Allocate params_buf for m->n_users/m->n_items and register the kind's
	 * tensors (rs_model_add_param_tensor); set m->impl.  Values are left zero:
	 * training initialises them, loading overwrites them.
	 */
	rs_status	(*init) (rs_model *m, rs_error *err);

	/* random initial weights, before the first epoch */
	void		(*init_weights) (rs_model *m, rs_rng *rng);

	/*
	 * Called once before the first epoch with the training rows (already
	 * shuffled; the kind may reorder them in place).  Allocates optimizer
	 * state; the kind keeps what it needs in m->impl.
	 */
	rs_status	(*train_begin) (rs_model *m, rs_dataset *train, rs_error *err);

	/* one pass over train; returns the mean squared error on it */
	double		(*train_epoch) (rs_model *m, rs_dataset *train, int epoch,
								rs_rng *rng, const rs_train_hooks *hooks);

	/* frees what train_begin allocated */
	void		(*train_end) (rs_model *m);

	/*
	 * Raw (unclipped) rating for dense indexes; u or i is -1 when unknown,
	 * and the kind falls back as documented (cold start).
	 */
	double		(*predict) (const rs_model *m, int32_t u, int32_t i);

	/* raw scores of every item for user u (u may be -1) into out (n_items) */
	void		(*score_items) (const rs_model *m, int32_t u, float *out);

	/*
	 * True for kinds that read each user's ratings in time order: training
	 * needs the time column (rs_dataset.time), and score_history is set.
	 */
	bool		sequential;

	/*
	 * Kinds that serve a history given at query time, NULL otherwise.  Raw
	 * scores, into out, of the n_cands items cands (dense indexes, -1 for
	 * an unknown item; NULL: every item, n_cands = n_items) after a
	 * history instead of a training user's weights: n steps, oldest first,
	 * of known items (dense indexes) and their ratings in the data's
	 * units.  n may be 0 (cold start).  Sequence kinds run the history
	 * through their state; the others fold it in (solve the user's own
	 * weights against the fixed item weights).  May allocate scratch with
	 * the model's allocator, hence the status.
	 */
	rs_status	(*score_history) (const rs_model *m, const int32_t *items,
								  const float *ratings, size_t n,
								  const int32_t *cands, size_t n_cands,
								  float *out, rs_error *err);

	/*
	 * True when score_items gives counts of training rows, not ratings
	 * (popularity): recommend's scores are not clipped to the rating range.
	 */
	bool		scores_are_counts;
} rs_kind;

/*
 * Threads a training uses: the kind's "threads" option, or when that is 0
 * the caller's budget (hooks->threads), at least 1 and at most max.
 */
extern int	rs_train_threads(const rs_model *m, const rs_train_hooks *hooks,
							 int max);

/* NULL-terminated table of every kind */
extern const rs_kind *const rs_kinds[];
extern const rs_kind rs_kind_mf;	/* mf.c */
extern const rs_kind rs_kind_dense;	/* dense.c */
extern const rs_kind rs_kind_lstm;	/* lstm.c */
extern const rs_kind rs_kind_popularity;	/* popularity.c */
extern const rs_kind *rs_kind_find(const char *name);

/* register a tensor of the trainable buffer; data points into params_buf */
extern rs_status rs_model_add_param_tensor(rs_model *m, const char *name,
										   float *data, int ndim,
										   int64_t rows, int64_t cols,
										   rs_error *err);
/* allocate a zeroed tensor owned by m (not trained by the kind's loop) */
extern rs_status rs_model_add_owned_tensor(rs_model *m, const char *name,
										   rs_dtype dtype, int ndim,
										   int64_t rows, int64_t cols,
										   void **data, rs_error *err);
/* the tensor called name, or NULL */
extern rs_tensor *rs_model_tensor(rs_model *m, const char *name);

/*
 * Bytes a training of these sizes needs in all (dataset copy, weights,
 * optimizer state, best-weights snapshot, rated-items index), for the
 * memory limit check before anything is allocated.
 */
extern size_t rs_train_memory(const rs_params *p, int32_t n_users,
							  int32_t n_items, size_t n_ratings);

/*
 * A kind's training workspace, laid out as llm.c lays out its parameters
 * (train_gpt2.c: fill_in_parameter_sizes, malloc_and_point_parameters): one
 * function of the kind fills a table with the bytes of each buffer, in
 * layout order; the kind's memory estimate adds the table up with
 * rs_workspace_bytes, and its train_begin allocates the sum as one zeroed
 * block with rs_workspace_alloc, which points each buffer into it, so the
 * estimate and the allocation cannot disagree.  Buffers follow each other
 * without padding: a kind lists its 8-byte buffers first.
 */
extern size_t rs_workspace_bytes(const size_t *sizes, int n_parts);

/*
 * Allocate the n_parts buffers of sizes in one zeroed block of m's
 * allocator, into *block (for rs_free), and point parts[i] at each (NULL
 * for a buffer of 0 bytes).  what names the workspace in errors.
 */
extern rs_status rs_workspace_alloc(rs_model *m, const size_t *sizes,
									int n_parts, const char *what,
									void **block, void **parts,
									rs_error *err);

/*
 * Train a model of p->kind on data.  The rows of data are shuffled in place;
 * a "validation_fraction" of them is held out for early stopping.  On success
 * *out is a model allocated with alloc, owning copies of the id tables.
 */
extern rs_status rs_model_train(const rs_params *p, rs_dataset *data,
								const rs_allocator *alloc,
								const rs_train_hooks *hooks,
								rs_model **out, rs_error *err);

/*
 * Create an empty model of a kind and sizes, with every tensor allocated
 * (zeroed) in its final shape: the first step of loading.
 */
extern rs_status rs_model_create(const rs_params *p, int32_t n_users,
								 int32_t n_items, int64_t n_ratings,
								 int32_t n_epochs, const rs_allocator *alloc,
								 rs_model **out, rs_error *err);

extern void rs_model_free(rs_model *m);

/* dense index of an external id, or -1 */
extern int32_t rs_model_user_index(const rs_model *m, int64_t user_id);
extern int32_t rs_model_item_index(const rs_model *m, int64_t item_id);

/*
 * Dense index of a key (uuid or text id) of side, or -1 when the model has
 * no such key or the side's ids are integers
 */
extern int32_t rs_model_key_index(const rs_model *m, int side,
								  const uint8_t *key, size_t len);
/* the key of index i of side (a side with keys), and its length */
extern const uint8_t *rs_model_key(const rs_model *m, int side, int32_t i,
								   size_t *len);

/*
 * Allocate side's key tensors ("user_keys"/"item_keys" of bytes bytes and
 * "user_key_offsets"/"item_key_offsets") for ids of type; nothing for
 * integer ids.  Loading fills them; rs_model_set_keys (keys.h) after a
 * training.
 */
extern rs_status rs_model_add_key_tensors(rs_model *m, int side,
										  rs_id_type type, int64_t bytes,
										  rs_error *err);
/* check side's keys against its ids, after loading */
extern rs_status rs_model_check_keys(const rs_model *m, int side,
									 rs_error *err);

/* prediction in the data's units, clipped to [rating_min, rating_max] */
extern double rs_model_predict(const rs_model *m, int32_t u, int32_t i);

/* scores of all items for user index u (-1: unknown) into out (n_items) */
extern void rs_model_score_items(const rs_model *m, int32_t u, float *out);
/*
 * Set the scores of user u's training items to -INFINITY, which a top-k
 * selection never returns (u == -1, out of range, or a model without the
 * index: nothing to leave out)
 */
extern void rs_model_exclude_rated(const rs_model *m, int32_t u, float *scores);

/* ---- top-k lists (recommend.c) ---- */

/*
 * Leave in scores (n_items) only the items of keep (n_keep dense indexes;
 * -1 and out-of-range entries, items the model does not know, are
 * skipped): every other score becomes -INFINITY.  saved has room for
 * n_keep floats.
 */
extern void rs_scores_keep_only(float *scores, int32_t n_items,
								const int32_t *keep, size_t n_keep,
								float *saved);
/* set the scores of items (n dense indexes; -1 skipped) to -INFINITY */
extern void rs_scores_exclude(float *scores, int32_t n_items,
							  const int32_t *items, size_t n);

/*
 * The (at most) k best items of scores (n_items), best first, as dense
 * indexes and scores; ratings are clipped to the rating range, as
 * rs_model_predict clips them.  Returns how many were written (excluded
 * items, at -INFINITY, never are); the out arrays hold k entries.
 */
extern int	rs_model_top_items(const rs_model *m, const float *scores,
							   int32_t k, int32_t *out_index,
							   float *out_score);

/*
 * The scores rs_model_score_items gives, for the n_users users first,
 * first + 1, ... at once into out (n_users rows of n_items): one matrix
 * product for a ranking head, user by user otherwise.
 */
extern void rs_model_score_users(const rs_model *m, int32_t first,
								 int32_t n_users, float *out);

/* users per block of rs_model_score_users within max_floats scores */
#define RS_MAX_USERS_PER_BLOCK 1024
extern int32_t rs_model_users_per_block(const rs_model *m, size_t max_floats);

/*
 * Serving from a history given at query time (sequence kinds; any other
 * kind gets RS_ERR_PARAM).  items and ratings are n steps, oldest first;
 * items are dense indexes and unknown ones (-1) are skipped; only the
 * newest seq_len known steps are used.  rs_model_predict_history returns
 * the clipped prediction for item i (-1: unknown) in *out;
 * rs_model_score_history the raw scores of every item into out (n_items).
 */
/*
 * Whether a model is served from a history given at query time: sequence
 * kinds always; any kind with a ranking head for recommend (the user's row
 * folded in), and for predict when it has no rating head.
 */
extern bool rs_model_takes_history(const rs_model *m, bool for_predict);

/* true when rs_model_score_items gives ratings (clip them), not rankings */
extern bool rs_model_scores_are_ratings(const rs_model *m);

extern rs_status rs_model_predict_history(const rs_model *m,
										  const int32_t *items,
										  const float *ratings, size_t n,
										  int32_t i, double *out,
										  rs_error *err);
extern rs_status rs_model_score_history(const rs_model *m,
										const int32_t *items,
										const float *ratings, size_t n,
										float *out, rs_error *err);

#endif							/* RECSYS_MODEL_H */
