/*
 * edgelstm.h — the C API of EdgeLstm: stacked LSTM or GRU networks that classify or regress, from the last step or
 * every step (inference, streaming and training) for C and C++.
 *
 * Library: libedgelstm.so, built with .NET Native AOT from src/EdgeLstm.Native (no .NET install is needed to use it):
 *   dotnet publish src/EdgeLstm.Native -c Release -r linux-x64     -o out/native/linux-x64
 *   dotnet publish src/EdgeLstm.Native -c Release -r linux-arm64   -o out/native/linux-arm64
 * Link:   gcc -std=c99 app.c -Iout/native/linux-x64 -Lout/native/linux-x64 -ledgelstm -Wl,-rpath,'$ORIGIN'
 *
 * Conventions (they hold for every function below):
 *  - Every function returns an edgelstm_status (EDGELSTM_OK = 0), except edgelstm_last_error, which returns the
 *    message of the last failed call on the calling thread. No exception or signal ever crosses the boundary.
 *  - Every pointer parameter must be non-NULL, except where a parameter says "or NULL". A NULL pointer is
 *    EDGELSTM_ERROR_NULL_POINTER.
 *  - Nothing is written on failure, with two exceptions: a create/load function writes 0 to its handle output(s)
 *    whenever it fails (when that output pointer is not NULL), and a copy-out function writes the size it needs to
 *    *needed when it fails with EDGELSTM_ERROR_BUFFER_TOO_SMALL (and only then).
 *  - Copy-out functions (build info, model bytes, checkpoint bytes, metadata, tensor names, shapes and values) take
 *    (buffer, size, needed): `size` counts elements of the buffer's type. To ask for the size, pass NULL and 0: the
 *    call returns EDGELSTM_ERROR_BUFFER_TOO_SMALL with *needed set. A NULL buffer with a non-zero size is
 *    EDGELSTM_ERROR_NULL_POINTER.
 *  - Arrays are passed as (pointer, length) with the length counted in elements (floats, int32s or bytes), not bytes
 *    unless said. The length must be exactly what the shapes require: anything else is EDGELSTM_ERROR_WRONG_LENGTH,
 *    and the message says what was expected. The library never reads or writes past the length you give.
 *  - A GRU has no cell state. For a GRU model every cell-state array (edgelstm_run's and edgelstm_run_lengths'
 *    final_c, the c of edgelstm_session_get_state and _set_state) must be NULL with length 0; anything else, a NULL
 *    pointer with a non-zero length included, is EDGELSTM_ERROR_INVALID_ARGUMENT (not NULL_POINTER: the mistake is
 *    asking for a state the model does not have, not a missing buffer), and nothing is written.
 *  - Buffers are the caller's: the library never keeps a pointer you pass after the call returns, and never returns
 *    memory you must free (except through the *_free functions of handles).
 *  - Handles (edgelstm_model, edgelstm_session, edgelstm_trainer) are 64-bit values from a handle table with a
 *    generation count per slot, not pointers. A zero, freed, made-up or wrong-kind handle (e.g. a session passed as a
 *    model) is EDGELSTM_ERROR_INVALID_HANDLE. A create/load function writes 0 to its handle output when it fails.
 *    Freeing the zero handle is a no-op that returns EDGELSTM_OK (like free(NULL)); freeing any other invalid handle,
 *    a handle freed already included, is EDGELSTM_ERROR_INVALID_HANDLE.
 *  - Shapes: a batch of B sequences of T steps of I inputs is batch-major, x[b][t][i] (an image stored row after row
 *    is one sequence: step t = row t). Per-step outputs are time-major [T][B][H]; states are [L][B][H] or [B][H].
 *    H = hidden units, L = layers, C = classes; K = the head's outputs (C for a classifier, the values of a
 *    regression). A per-step head's results, labels and targets are batch-major: [B][T][K], [B][T], [B][T][K].
 *  - Networks (see edgelstm_network): each layer is an LSTM (state c and h) or a GRU (state h alone); the head
 *    classifies (softmax) or regresses (real values, mean squared error), from each sequence's last step or from every
 *    step. Functions that take `lengths` run variable-length batches: sequence b is lengths[b] steps long (1..T), the
 *    steps after it are padding that adds nothing to a loss or a gradient and whose inputs are ignored (x still holds
 *    them, T steps per sequence: any value, NaN included), and "the last step" is each sequence's own (PyTorch's
 *    pack_padded_sequence). NULL with length 0 means every sequence is T long.
 *
 * Threads:
 *  - Any function may be called from any thread. Handles of different objects never need a lock between them.
 *  - A model may be shared: several sessions made from one model may run on different threads at the same time
 *    (each session on one thread at a time), alongside edgelstm_predict/edgelstm_run on that model. Calls of
 *    edgelstm_predict/edgelstm_run on the SAME model from several threads are safe but take turns (the model has one
 *    set of prediction buffers); for parallel whole-sequence inference, give each thread its own edgelstm_model_clone.
 *  - A session or a trainer serves one thread at a time: a call made while another thread is inside a call on the same
 *    session/trainer returns EDGELSTM_ERROR_BUSY instead of racing.
 *  - Training writes the model's weights. A training batch waits for the inference calls in flight on that model, and
 *    inference calls wait for a training batch in flight: each call sees the weights either before or after a batch.
 *    The weights are handed out in the order the calls arrive, so an inference call waits at most for the batch in
 *    flight even while another thread trains back to back (and a batch waits only for the calls already inside).
 *  - Results do not depend on the thread count: they are bit for bit the same for any edgelstm_set_threads value.
 *
 * Lifetimes: sessions and trainers keep their model's weights alive. Freeing a model handle while sessions or trainers
 * made from it exist is allowed: they keep working, and the weights go when the last of them is freed.
 *
 * Version: the library version is semantic (major.minor.patch); EDGELSTM_ABI_VERSION changes whenever this header
 * changes incompatibly. Compare edgelstm_version()'s abi field with EDGELSTM_ABI_VERSION at start-up. Functions and
 * status codes are only ever added within one ABI version (ABI 1 gained the checkpoint, setter, per-stream reset,
 * metadata/tensor, per-handle thread, status-name and shutdown calls and EDGELSTM_ERROR_SHUT_DOWN; then the network
 * calls: edgelstm_network with edgelstm_model_create_network, _network, _layer_cell and _weight_type,
 * edgelstm_predict_lengths, edgelstm_run_lengths, edgelstm_trainer_train_labels / _train_targets /
 * _evaluate_labels / _evaluate_targets): a program built against an older header of the same ABI version keeps
 * working. What the network calls changed in the older functions, for models those could not make before: the result
 * arrays of edgelstm_predict, edgelstm_run and edgelstm_session_step hold K outputs (a regression head's values) and,
 * for a per-step head, [B][T][K] in edgelstm_predict and edgelstm_run; for a GRU model the cell-state arrays
 * (final_c, the session's c) must be NULL with length 0 (see Conventions); edgelstm_trainer_train_batch and
 * edgelstm_trainer_evaluate take last-step classifiers only (one label per sequence) and refuse other heads with
 * EDGELSTM_ERROR_INVALID_ARGUMENT; edgelstm_trainer_create refuses a model with int8 weights
 * (EDGELSTM_ERROR_UNSUPPORTED).
 *
 * Models with preprocessing take raw readings. A model trained by `edgelstm train --data FILE` stores its per-feature
 * normalisation, a regression's target scaling and a forecaster's window, horizon and choice to work relative to the
 * window's last value (metadata keys "preprocessing.*"). edgelstm_predict, edgelstm_run, their _lengths variants and
 * edgelstm_session_step apply it inside: x holds readings in their own units (the caller's array is never changed) and
 * a regression's values come out in the data's units, as `edgelstm predict --data` writes them; EDGELSTM_LOGITS of such
 * a regression is the network's own output, before the target scaling is undone. A session cannot run a forecaster
 * that works relative to its window's last value (it has not seen it yet): edgelstm_session_create refuses it with
 * EDGELSTM_ERROR_UNSUPPORTED; run whole windows through edgelstm_predict.
 *
 * What loading the library does to the process. The library carries the .NET runtime (Native AOT). dlopen() or
 * loading at start-up changes nothing; the FIRST call of any edgelstm_* function starts the runtime, which then, for
 * the rest of the process (checked on Linux x64 by tools/test.d/60-native.sh and the "process-wide effects" test):
 *  - sets SIGPIPE to SIG_IGN, replacing any handler the host had: a write to a closed pipe or socket then fails with
 *    EPIPE instead of killing the process. A host that wants its own SIGPIPE handler installs it after the first call.
 *  - installs handlers for SIGSEGV and SIGFPE (they turn faults inside .NET code into exceptions) and for SIGRTMIN
 *    (the runtime's thread suspension for garbage collection). For a fault outside .NET code they call the handler
 *    that was installed before the first call, or, if there was none, take the default action (the process dies with
 *    that signal, as without the library). A host with its own SIGSEGV/SIGFPE handlers installs them BEFORE the first
 *    call, so that they are chained; one installed after replaces the runtime's, which a fault inside the library then
 *    reaches (it must chain to the handler it replaced: save the old sigaction and call it). SIGRTMIN must not be used
 *    or replaced by the host. The signal mask and the alternate signal stack of the calling thread are not changed.
 *  - starts one thread (the .NET finalizer) that lives until the process exits; the garbage collector may start a
 *    background thread later. Each model used by edgelstm_predict/edgelstm_run and each trainer keeps (threads − 1)
 *    worker threads (see edgelstm_set_threads and the per-handle setters) until it is freed or edgelstm_shutdown runs.
 *  - reserves a large range of virtual address space for its heap (about 48 GB on x64, with no memory behind it); under
 *    an address-space limit (ulimit -v) it reserves less and works (checked by hand with 2 GB).
 * After fork(), the child must not call the library (its runtime threads do not exist there); exec first.
 */
#ifndef EDGELSTM_H
#define EDGELSTM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The version of this header's binary interface. */
#define EDGELSTM_ABI_VERSION 1

/** What every function returns. The message of a failure is in edgelstm_last_error() on the same thread. */
typedef enum edgelstm_status {
    EDGELSTM_OK = 0,
    /** A pointer that must not be NULL was NULL. */
    EDGELSTM_ERROR_NULL_POINTER = 1,
    /** A value out of range: a negative batch, a keep probability of 0, an architecture too large, a bad label... */
    EDGELSTM_ERROR_INVALID_ARGUMENT = 2,
    /** An array length does not match the shapes (the message gives the expected length). */
    EDGELSTM_ERROR_WRONG_LENGTH = 3,
    /** The handle is 0, freed, not from this library, or of another kind. */
    EDGELSTM_ERROR_INVALID_HANDLE = 4,
    /** Another thread is inside a call on the same session or trainer. Nothing was done. */
    EDGELSTM_ERROR_BUSY = 5,
    /** A file could not be read or written (missing, no permission, a directory, disk full...). */
    EDGELSTM_ERROR_IO = 6,
    /** The bytes are not a valid model file (the message names the field and what was expected). */
    EDGELSTM_ERROR_FORMAT = 7,
    /** An output buffer is too small; the needed size was written to the size output. */
    EDGELSTM_ERROR_BUFFER_TOO_SMALL = 8,
    /** Memory ran out. */
    EDGELSTM_ERROR_OUT_OF_MEMORY = 9,
    /** The request is valid but this build or processor cannot do it. */
    EDGELSTM_ERROR_UNSUPPORTED = 10,
    /** A bug in EdgeLstm: please report the message. */
    EDGELSTM_ERROR_INTERNAL = 11,
    /** edgelstm_shutdown has run: every call but last_error, status_name and shutdown itself fails so. */
    EDGELSTM_ERROR_SHUT_DOWN = 12
} edgelstm_status;

/** A model: architecture and weights. */
typedef struct edgelstm_model {
    uint64_t id;
} edgelstm_model;

/** A streaming session: one or more streams fed one time step at a time, carrying (c, h) of every layer. */
typedef struct edgelstm_session {
    uint64_t id;
} edgelstm_session;

/** A trainer: Adam and dropout state for training one model in place. */
typedef struct edgelstm_trainer {
    uint64_t id;
} edgelstm_trainer;

/** The architecture of a stacked-LSTM classifier (the reference MNIST model: 28, 256, 2, 10, 28). */
typedef struct edgelstm_config {
    int32_t input_size;  /**< I: inputs per time step (28 pixels of an MNIST row), 1..65536 */
    int32_t hidden_size; /**< H: units per LSTM layer, 1..8192 */
    int32_t layers;      /**< L: stacked LSTM layers, 1..64 */
    int32_t classes;     /**< C: outputs of the dense layer, 1..4096 */
    int32_t steps;       /**< T: the sequence length the model was made for (28 rows); any length may be fed */
} edgelstm_config;

/** The library's version. */
typedef struct edgelstm_version_info {
    int32_t major;
    int32_t minor;
    int32_t patch;
    int32_t abi; /**< equals EDGELSTM_ABI_VERSION of the header the library was built with */
} edgelstm_version_info;

/** What edgelstm_predict writes per sequence (per sequence and step for a per-step head). */
typedef enum edgelstm_output {
    EDGELSTM_PROBABILITIES = 0, /**< softmax of the dense layer, C floats per row, summing to 1; a regression's values */
    EDGELSTM_LOGITS = 1         /**< the dense layer before the softmax, C floats per row; a regression's values
                                     (before a model's target scaling is undone: see "Models with preprocessing") */
} edgelstm_output;

/** The cell of a recurrent layer. */
typedef enum edgelstm_cell {
    EDGELSTM_CELL_LSTM = 0, /**< PyTorch's nn.LSTM: gates i, f, g, o; state c and h */
    EDGELSTM_CELL_GRU = 1   /**< PyTorch's nn.GRU: gates r, z, n; state h alone (no cell state) */
} edgelstm_cell;

/** What the dense head on top of the recurrent stack predicts, and from which steps. */
typedef enum edgelstm_head {
    EDGELSTM_HEAD_CLASSIFY_LAST_STEP = 0,  /**< softmax over K classes from each sequence's last step; labels [B] */
    EDGELSTM_HEAD_CLASSIFY_EVERY_STEP = 1, /**< softmax over K classes at every step; labels [B][T] */
    EDGELSTM_HEAD_REGRESS_LAST_STEP = 2,   /**< K real values from each sequence's last step (MSE); targets [B][K] */
    EDGELSTM_HEAD_REGRESS_EVERY_STEP = 3   /**< K real values at every step (MSE); targets [B][T][K] */
} edgelstm_head;

/** How a model's weights are stored (edgelstm_model_weight_type). */
typedef enum edgelstm_weight_type {
    EDGELSTM_WEIGHTS_FLOAT32 = 0, /**< 32-bit floats: what training makes */
    EDGELSTM_WEIGHTS_INT8 = 1     /**< int8 weight matrices with a float scale per row (edgelstm quantize); biases float */
} edgelstm_weight_type;

/**
 * The architecture of any network the library runs: a stack of `layers` recurrent layers of `cell` with
 * `hidden_size` units each, and a dense `head` with `outputs` outputs. A versioned struct: set `struct_size` to
 * sizeof(edgelstm_network) before passing it, in (edgelstm_model_create_network) and out (edgelstm_model_network).
 * A later header may add fields at the end (the size grows); a library that does not know them refuses a struct whose
 * extra bytes are not zero (EDGELSTM_ERROR_UNSUPPORTED) rather than ignore an option, and zeroes them when it writes
 * one. Sizes are checked against the library's limits: input_size 1..65536, hidden_size 1..8192, layers 1..64,
 * outputs 1..4096, steps 1..65536, and at most 2^28 weights in all.
 */
typedef struct edgelstm_network {
    uint32_t struct_size; /**< sizeof(edgelstm_network): 32 in this header */
    int32_t input_size;   /**< I: inputs per time step */
    int32_t hidden_size;  /**< H: units per recurrent layer */
    int32_t layers;       /**< L: stacked recurrent layers */
    int32_t outputs;      /**< K: classes of a classifier head, values of a regression head */
    int32_t steps;        /**< T: the sequence length the model was made for; any length may be fed */
    int32_t cell;         /**< an edgelstm_cell, for every layer */
    int32_t head;         /**< an edgelstm_head */
} edgelstm_network;

/* ---------------------------------------------------------------------------------------------------------------- */
/* Library                                                                                                          */
/* ---------------------------------------------------------------------------------------------------------------- */

/**
 * The message of the last call on this thread that failed, as UTF-8: "function: what was wrong". An empty string when
 * the last call on this thread succeeded (every call but this one and edgelstm_status_name resets it). Never NULL.
 * The text stays valid until the next edgelstm_* call on the same thread; copy it to keep it. Messages longer than
 * 1023 bytes are cut.
 */
const char* edgelstm_last_error(void);

/**
 * The name of a status as it is spelled in this header, e.g. "EDGELSTM_ERROR_NULL_POINTER", for any int: a value that
 * is not an edgelstm_status gives "EDGELSTM_UNKNOWN_STATUS". Never NULL; the text is static (never freed or changed).
 */
const char* edgelstm_status_name(int status);

/** Writes the library's version into *out. */
edgelstm_status edgelstm_version(edgelstm_version_info* out);

/**
 * One line describing the build, e.g. "EdgeLstm 0.1.0 (C ABI 1); linux-x64; .NET 10.0.0 Native AOT; SIMD 128-bit;
 * 4 processors; 4 threads". Writes at most `size` bytes including the terminating NUL into `buffer` and the size it
 * needs (including the NUL) into *needed, with the size-query convention (see Conventions): to ask for the size, pass
 * NULL and 0; a buffer too small is EDGELSTM_ERROR_BUFFER_TOO_SMALL with *needed set and nothing written into it.
 */
edgelstm_status edgelstm_build_info(char* buffer, size_t size, size_t* needed);

/**
 * Sets how many threads edgelstm_predict, edgelstm_run and trainers created afterwards use, the caller's included:
 * 1 to 256, or 0 for one per processor (the default). Sessions always run on the calling thread alone.
 */
edgelstm_status edgelstm_set_threads(int32_t threads);

/** Writes the thread count in effect (0 resolved to the processor count) into *threads. */
edgelstm_status edgelstm_get_threads(int32_t* threads);

/**
 * Frees every live handle and stops the library's worker threads, joining them: a call in flight on a handle on
 * another thread finishes first. After it, every function returns EDGELSTM_ERROR_SHUT_DOWN (the *_free functions
 * included: there is nothing left to free), except edgelstm_last_error, edgelstm_status_name and edgelstm_shutdown,
 * which returns EDGELSTM_OK again. The runtime's own thread (see "What loading the library does" above) stays: .NET
 * cannot be unloaded from a process. Call it before dlclose() or at exit, when the library's threads must be gone.
 */
edgelstm_status edgelstm_shutdown(void);

/**
 * Writes how many handles of each kind are live (created and not freed yet). For finding leaks: when a program has
 * freed everything it made, all three are 0.
 */
edgelstm_status edgelstm_live_handles(int64_t* models, int64_t* sessions, int64_t* trainers);

/* ---------------------------------------------------------------------------------------------------------------- */
/* Models                                                                                                           */
/* ---------------------------------------------------------------------------------------------------------------- */

/**
 * A new model of the given architecture, initialised as the reference recipe does (Glorot-uniform LSTM weights,
 * forget-gate bias 1, truncated-normal dense weights), reproducibly from `seed`. Its layers are LSTMs and its head
 * classifies the last step; for any other network use edgelstm_model_create_network.
 */
edgelstm_status edgelstm_model_create(const edgelstm_config* config, uint64_t seed, edgelstm_model* out);

/**
 * A new model of any network the library runs (see edgelstm_network; network->struct_size must be set), initialised
 * reproducibly from `seed` (an LSTM stack as edgelstm_model_create does; a GRU stack Glorot-uniform with zero biases).
 * EDGELSTM_ERROR_INVALID_ARGUMENT names the field out of range, a cell or head that does not exist, or a wrong
 * struct_size; EDGELSTM_ERROR_UNSUPPORTED when bytes past this library's fields are not zero. Saved, a model whose
 * cell is GRU or whose head is not EDGELSTM_HEAD_CLASSIFY_LAST_STEP is a format_version 2 file.
 */
edgelstm_status edgelstm_model_create_network(const edgelstm_network* network, uint64_t seed, edgelstm_model* out);

/**
 * Loads a model file (safetensors with PyTorch's nn.LSTM/nn.Linear names, as the edgelstm CLI writes; a CLI
 * checkpoint file works too). `path` is UTF-8, relative to the working directory or absolute; an empty path is
 * EDGELSTM_ERROR_INVALID_ARGUMENT. EDGELSTM_ERROR_IO if it cannot be read, EDGELSTM_ERROR_FORMAT if it is not a valid
 * model (every offset, shape and weight is checked).
 */
edgelstm_status edgelstm_model_load(const char* path, edgelstm_model* out);

/** Loads a model from `size` bytes of a model file in memory. The bytes are copied: free them when this returns. */
edgelstm_status edgelstm_model_load_memory(const void* data, size_t size, edgelstm_model* out);

/**
 * Saves the model to `path` (UTF-8) atomically: a temporary file is written in the same directory, flushed and renamed
 * over the target, so a failed save leaves any previous file as it was. Missing directories are created.
 */
edgelstm_status edgelstm_model_save(edgelstm_model model, const char* path);

/**
 * Writes the model file's bytes into `buffer` (`size` bytes) and their count into *needed. To ask for the size, pass
 * NULL and 0: the call then returns EDGELSTM_ERROR_BUFFER_TOO_SMALL with *needed set, as it does for any buffer too
 * small (nothing is written into it).
 */
edgelstm_status edgelstm_model_save_memory(edgelstm_model model, void* buffer, size_t size, size_t* needed);

/** An independent copy of the model (its own weights and prediction buffers). */
edgelstm_status edgelstm_model_clone(edgelstm_model model, edgelstm_model* out);

/** Frees the handle. Sessions and trainers made from the model keep working (see Lifetimes above). */
edgelstm_status edgelstm_model_free(edgelstm_model model);

/** Writes the architecture (input size, hidden size, layers, classes = K outputs, steps) into *out. */
edgelstm_status edgelstm_model_config(edgelstm_model model, edgelstm_config* out);

/**
 * Writes the whole architecture, cell and head included, into *out. Set out->struct_size to sizeof(edgelstm_network)
 * first (it is kept; bytes past this library's fields are zeroed).
 */
edgelstm_status edgelstm_model_network(edgelstm_model model, edgelstm_network* out);

/**
 * Writes the cell of layer `layer` (0 = bottom, to layers − 1) into *cell, as an edgelstm_cell value. Every layer of a
 * model has the same cell, so this is always edgelstm_model_network's out->cell; a layer out of range is
 * EDGELSTM_ERROR_INVALID_ARGUMENT. Deprecated as redundant: new code reads edgelstm_model_network's cell; this call
 * stays, unchanged, for programs that use it.
 */
edgelstm_status edgelstm_model_layer_cell(edgelstm_model model, int32_t layer, int32_t* cell);

/**
 * Writes how the model's weights are stored into *type, as an edgelstm_weight_type value: EDGELSTM_WEIGHTS_INT8 for a
 * model loaded from a quantized file (edgelstm quantize), EDGELSTM_WEIGHTS_FLOAT32 otherwise. Every inference call
 * runs either kind; a trainer takes float32 models only.
 */
edgelstm_status edgelstm_model_weight_type(edgelstm_model model, int32_t* type);

/** Writes the number of weights (floats) into *count. */
edgelstm_status edgelstm_model_parameter_count(edgelstm_model model, int64_t* count);

/**
 * Sets how many threads edgelstm_predict and edgelstm_run on this model use, as edgelstm_set_threads does for all
 * models (0 = one per processor, 1 to 256). From then on the library-wide setting no longer applies to this model; a
 * clone inherits the setting. Results do not depend on it.
 */
edgelstm_status edgelstm_model_set_threads(edgelstm_model model, int32_t threads);

/*
 * Metadata: the "__metadata__" entries (string to string) of the file the model was loaded from, e.g. "num_layers",
 * "kind" ("model" or "checkpoint") and the training facts the CLI records ("train.iterations_done",
 * "train.test_accuracy", ...). A model created in C has none; a clone has its original's. Training does not change
 * them. Keys are enumerated in byte order (index 0 to count − 1); keys and values are UTF-8 with a terminating NUL,
 * copied out with the size-query convention (size and *needed count bytes, the NUL included).
 */
edgelstm_status edgelstm_model_metadata_count(edgelstm_model model, int32_t* count);
edgelstm_status edgelstm_model_metadata_key(edgelstm_model model, int32_t index, char* buffer, size_t size,
                                            size_t* needed);
/** The value of `key`; a key the model does not have is EDGELSTM_ERROR_INVALID_ARGUMENT. */
edgelstm_status edgelstm_model_metadata_value(edgelstm_model model, const char* key, char* buffer, size_t size,
                                              size_t* needed);

/*
 * Tensors: the weights by name, as in the file (PyTorch's names: "lstm.weight_ih_l0" [4H][I], "lstm.weight_hh_l0"
 * [4H][H], "lstm.bias_ih_l0" [4H], "lstm.bias_hh_l0" [4H] per layer, then "fc.weight" [C][H] and "fc.bias" [C]),
 * index 0 to count − 1. A name is copied out as metadata keys are; a shape as int64 dimensions (size and *rank count
 * dimensions); the values as floats, row-major (size and *needed count floats). A read sees the weights before or
 * after a training batch, never half of one.
 */
edgelstm_status edgelstm_model_tensor_count(edgelstm_model model, int32_t* count);
/** The index of the tensor called `name`; a name the model does not have is EDGELSTM_ERROR_INVALID_ARGUMENT. */
edgelstm_status edgelstm_model_tensor_find(edgelstm_model model, const char* name, int32_t* index);
edgelstm_status edgelstm_model_tensor_name(edgelstm_model model, int32_t index, char* buffer, size_t size,
                                           size_t* needed);
edgelstm_status edgelstm_model_tensor_shape(edgelstm_model model, int32_t index, int64_t* dims, size_t size,
                                            size_t* rank);
edgelstm_status edgelstm_model_tensor_read(edgelstm_model model, int32_t index, float* buffer, size_t size,
                                           size_t* needed);

/* ---------------------------------------------------------------------------------------------------------------- */
/* Inference on whole sequences                                                                                     */
/* ---------------------------------------------------------------------------------------------------------------- */

/**
 * Runs `batch` sequences of `steps` steps: x is [batch][steps][I] (x_len = batch·steps·I floats). Writes per sequence
 * the class probabilities or the logits (`kind`) into out [batch][C] (out_len = batch·C floats); for a per-step head
 * per sequence and step, out [batch][steps][K]; for a regression head the values (either kind, but for a model with
 * target scaling, see "Models with preprocessing"). A model with preprocessing takes raw readings. No dropout.
 */
edgelstm_status edgelstm_predict(edgelstm_model model, const float* x, size_t x_len, int32_t batch, int32_t steps,
                                 edgelstm_output kind, float* out, size_t out_len);

/**
 * edgelstm_predict on a variable-length batch: lengths [batch] (lengths_len = batch), each 1..steps, or NULL with 0
 * for all full length. A last-step head reads each sequence's own last step. A per-step head's rows at padded steps
 * are zeros: there is no step there to predict (PyTorch's pad_packed_sequence pads so).
 * A length out of range is EDGELSTM_ERROR_INVALID_ARGUMENT, naming lengths[b].
 */
edgelstm_status edgelstm_predict_lengths(edgelstm_model model, const float* x, size_t x_len, int32_t batch,
                                         int32_t steps, const int32_t* lengths, size_t lengths_len,
                                         edgelstm_output kind, float* out, size_t out_len);

/**
 * As edgelstm_predict, and what is inside. Each output is optional: pass NULL with length 0 to skip it.
 *   outputs        [steps][batch][H]   the top layer's h at every step (len steps·batch·H)
 *   final_c        [L][batch][H]       every layer's cell state after the last step (len L·batch·H). A GRU has no
 *                                      cell state: for a GRU model final_c must be NULL with length 0, else
 *                                      EDGELSTM_ERROR_INVALID_ARGUMENT, a NULL final_c with a non-zero length
 *                                      included (no zeros stand in for a state; see Conventions)
 *   final_h        [L][batch][H]       every layer's h after the last step; final_h of the top layer equals the last
 *                                      step of outputs
 *   probabilities  [batch][C]          as edgelstm_predict with EDGELSTM_PROBABILITIES ([batch][steps][K] for a
 *                                      per-step head; a regression head's values)
 * A NULL output with a non-zero length is EDGELSTM_ERROR_NULL_POINTER (a GRU model's final_c aside, as above).
 */
edgelstm_status edgelstm_run(edgelstm_model model, const float* x, size_t x_len, int32_t batch, int32_t steps,
                             float* outputs, size_t outputs_len, float* final_c, size_t final_c_len,
                             float* final_h, size_t final_h_len, float* probabilities, size_t probabilities_len);

/**
 * edgelstm_run on a variable-length batch (lengths as in edgelstm_predict_lengths): final_c and final_h hold each
 * sequence's state after its own length; outputs at a padded step are zeros (as pad_packed_sequence gives them).
 */
edgelstm_status edgelstm_run_lengths(edgelstm_model model, const float* x, size_t x_len, int32_t batch, int32_t steps,
                                     const int32_t* lengths, size_t lengths_len, float* outputs, size_t outputs_len,
                                     float* final_c, size_t final_c_len, float* final_h, size_t final_h_len,
                                     float* probabilities, size_t probabilities_len);

/* ---------------------------------------------------------------------------------------------------------------- */
/* Streaming sessions                                                                                               */
/* ---------------------------------------------------------------------------------------------------------------- */

/**
 * A session of `batch` streams (1 for one sensor, audio channel...) over `model`, starting from the zero state.
 * Stepping a session T times gives bit for bit what edgelstm_run/edgelstm_predict give for the whole sequence.
 * Several sessions may share one model and run on different threads at the same time; each session must be used by
 * one thread at a time (else EDGELSTM_ERROR_BUSY). A session runs on the calling thread only.
 */
edgelstm_status edgelstm_session_create(edgelstm_model model, int32_t batch, edgelstm_session* out);

/** Back to the zero state (as just created). */
edgelstm_status edgelstm_session_reset(edgelstm_session session);

/**
 * Back to the zero state for stream `stream` (0 to batch − 1) alone, in every layer; the other streams keep theirs
 * (e.g. one sensor of several starts a new recording). Allocates nothing.
 */
edgelstm_status edgelstm_session_reset_stream(edgelstm_session session, int32_t stream);

/**
 * Feeds one time step: x is [batch][I] (x_len = batch·I). Writes the top layer's new h into top_h [batch][H] and the
 * class probabilities after this step into probabilities [batch][C] (a regression head's K values). Either output may
 * be NULL with length 0. For a per-step head this step's results are edgelstm_predict's for this step of the sequence.
 */
edgelstm_status edgelstm_session_step(edgelstm_session session, const float* x, size_t x_len, float* top_h,
                                      size_t top_h_len, float* probabilities, size_t probabilities_len);

/**
 * Copies layer `layer`'s (0 = bottom) state into c and h, each [batch][H] (len batch·H). A GRU layer has no cell
 * state: for it, c must be NULL with c_len 0 (anything else is EDGELSTM_ERROR_INVALID_ARGUMENT, and nothing is
 * written), and h is its whole state. edgelstm_model_network's cell tells which the layers are.
 */
edgelstm_status edgelstm_session_get_state(edgelstm_session session, int32_t layer, float* c, size_t c_len, float* h,
                                           size_t h_len);

/**
 * Sets layer `layer`'s state from c and h, each [batch][H] (for a GRU layer h alone: c must be NULL with c_len 0, as
 * in edgelstm_session_get_state). Layers not set keep their state (zero for a fresh or reset session). Saving every
 * layer's state with get_state and setting it later (in this or another session of the same model) continues a stream
 * exactly.
 */
edgelstm_status edgelstm_session_set_state(edgelstm_session session, int32_t layer, const float* c, size_t c_len,
                                           const float* h, size_t h_len);

/** Frees the session. EDGELSTM_ERROR_BUSY (nothing freed) if another thread is inside a call on it. */
edgelstm_status edgelstm_session_free(edgelstm_session session);

/* ---------------------------------------------------------------------------------------------------------------- */
/* Training                                                                                                         */
/* ---------------------------------------------------------------------------------------------------------------- */

/**
 * A trainer that updates `model`'s weights in place with Adam (`learning_rate` > 0, the recipe's 1e-3) and dropout on
 * each recurrent layer's output, keeping each with probability `keep_probability` in (0, 1] (1 = no dropout; the
 * recipe's 0.5). `seed` seeds the dropout masks: the same seed, model and batches give the same weights. The loss is
 * the model's head's: softmax cross-entropy averaged over the head's rows and classes (as the recipe's TF1 graph does)
 * for a classifier, mean squared error over every output for a regression. A model with int8 weights cannot be
 * trained: EDGELSTM_ERROR_UNSUPPORTED (train the float32 model, then quantize it).
 */
edgelstm_status edgelstm_trainer_create(edgelstm_model model, float learning_rate, float keep_probability,
                                        uint64_t seed, edgelstm_trainer* out);

/**
 * One training step on a batch: x is [batch][steps][I] (x_len = batch·steps·I), labels [batch] in 0..C-1. Writes the
 * batch's loss before the update into *loss. For a model whose head is EDGELSTM_HEAD_CLASSIFY_LAST_STEP (any other is
 * EDGELSTM_ERROR_INVALID_ARGUMENT: use edgelstm_trainer_train_labels or _train_targets).
 */
edgelstm_status edgelstm_trainer_train_batch(edgelstm_trainer trainer, const float* x, size_t x_len,
                                             const int32_t* labels, int32_t batch, int32_t steps, float* loss);

/**
 * One training step of a classifier (either classifying head) on a batch, with lengths: x [batch][steps][I];
 * lengths [batch] (each 1..steps; NULL with 0 = all full length); labels [batch] for a last-step head or [batch][steps]
 * for a per-step head (labels_len says which it is given; anything else is EDGELSTM_ERROR_WRONG_LENGTH), each real
 * step's in 0..K-1; a padded step's label is neither read nor checked (-1, "no label", is the usual filler). Padded
 * steps add nothing to the loss or the gradients. Writes the batch's loss before the update into *loss. A regression model is
 * EDGELSTM_ERROR_INVALID_ARGUMENT (use edgelstm_trainer_train_targets).
 */
edgelstm_status edgelstm_trainer_train_labels(edgelstm_trainer trainer, const float* x, size_t x_len, int32_t batch,
                                              int32_t steps, const int32_t* lengths, size_t lengths_len,
                                              const int32_t* labels, size_t labels_len, float* loss);

/**
 * One training step of a regression (either regressing head) on a batch, with lengths: as
 * edgelstm_trainer_train_labels, with float targets [batch][K] for a last-step head or [batch][steps][K] for a
 * per-step head instead of labels. Every target the loss reads must be finite (a NaN or infinity is
 * EDGELSTM_ERROR_INVALID_ARGUMENT naming targets[i], its sample, step and output); padded steps' targets are not read
 * and may hold anything. A classifier model is EDGELSTM_ERROR_INVALID_ARGUMENT (use edgelstm_trainer_train_labels).
 */
edgelstm_status edgelstm_trainer_train_targets(edgelstm_trainer trainer, const float* x, size_t x_len, int32_t batch,
                                               int32_t steps, const int32_t* lengths, size_t lengths_len,
                                               const float* targets, size_t targets_len, float* loss);

/**
 * The loss (as train_batch reports it, but without dropout) and the number of sequences classified right, on a batch,
 * without changing the model. Memory grows with batch·steps: evaluate a large set a few hundred sequences at a time.
 * Last-step classifiers only, as edgelstm_trainer_train_batch.
 */
edgelstm_status edgelstm_trainer_evaluate(edgelstm_trainer trainer, const float* x, size_t x_len,
                                          const int32_t* labels, int32_t batch, int32_t steps, float* loss,
                                          int32_t* correct);

/**
 * The loss of a classifier on a batch (as edgelstm_trainer_train_labels reports it, but without dropout), without
 * changing the model; arguments as there. *correct gets the head rows whose most probable class is the label, *judged
 * the rows counted: one per sequence for a last-step head, one per real (not padded) step for a per-step head.
 */
edgelstm_status edgelstm_trainer_evaluate_labels(edgelstm_trainer trainer, const float* x, size_t x_len,
                                                 int32_t batch, int32_t steps, const int32_t* lengths,
                                                 size_t lengths_len, const int32_t* labels, size_t labels_len,
                                                 float* loss, int64_t* correct, int64_t* judged);

/** The loss of a regression on a batch (mean squared error, no dropout), without changing the model; as _train_targets. */
edgelstm_status edgelstm_trainer_evaluate_targets(edgelstm_trainer trainer, const float* x, size_t x_len,
                                                  int32_t batch, int32_t steps, const int32_t* lengths,
                                                  size_t lengths_len, const float* targets, size_t targets_len,
                                                  float* loss);

/**
 * Sets the learning rate of the batches from the next one on (> 0 and finite): the rate stays constant from then on,
 * ending a cosine schedule a CLI checkpoint may have brought (edgelstm train --lr-final). Saved in checkpoints.
 */
edgelstm_status edgelstm_trainer_set_learning_rate(edgelstm_trainer trainer, float learning_rate);

/**
 * From the next batch on, scales the gradients so their global L2 norm is at most `clip_norm` (as edgelstm train
 * --clip-norm); 0 turns clipping off (the default). Finite and >= 0. Saved in checkpoints.
 */
edgelstm_status edgelstm_trainer_set_clip_norm(edgelstm_trainer trainer, float clip_norm);

/**
 * Sets how many threads the trainer uses (0 = one per processor, 1 to 256; a trainer starts with the
 * edgelstm_set_threads setting of its creation). Results do not depend on it.
 */
edgelstm_status edgelstm_trainer_set_threads(edgelstm_trainer trainer, int32_t threads);

/** Writes the training batches done into *iterations (a trainer from a checkpoint counts the batches before it). */
edgelstm_status edgelstm_trainer_iterations(edgelstm_trainer trainer, int64_t* iterations);

/*
 * Checkpoints: everything needed to continue training exactly (the weights, Adam's moments and step, the dropout
 * generator's state, the learning rate or its schedule, the clipping, the batches done) in the checkpoint format of
 * the edgelstm CLI (train --checkpoint-every): a checkpoint moves between the CLI and C both ways. A trainer loaded
 * from a checkpoint computes, batch for batch, the same losses and weights bit for bit as the trainer that saved it
 * would have (at any thread count). A checkpoint is a model file too: edgelstm_model_load reads its weights.
 *
 * The CLI's place in its shuffled data is carried through C unchanged, so `edgelstm train --resume` continues a
 * checkpoint that came from the CLI and was saved again from C. A trainer created in C has no data order: its
 * checkpoints record the start of a one-example set, so `edgelstm train --resume` refuses them on a real data set
 * (`edgelstm train --init` takes their weights).
 */

/**
 * Saves a checkpoint to `path` (UTF-8) power-cut safe, as the CLI does: the bytes go to a temporary file in the same
 * directory, which is flushed to the disk (fsync) and renamed over `path`; then the directory is flushed, so that the
 * rename survives a power cut. A save that fails or is killed at any moment leaves either the previous file or the
 * new one at `path`, complete, never a mix. Missing directories are created.
 */
edgelstm_status edgelstm_trainer_save_checkpoint(edgelstm_trainer trainer, const char* path);

/** Writes the checkpoint's bytes into `buffer` (size bytes) with the size-query convention. */
edgelstm_status edgelstm_trainer_save_checkpoint_memory(edgelstm_trainer trainer, void* buffer, size_t size,
                                                        size_t* needed);

/**
 * Loads a checkpoint file (ours or the CLI's) as a new model and a new trainer over it, ready to continue. The
 * trainer uses the edgelstm_set_threads setting; the model's metadata are the checkpoint's. Both outputs are 0 on any
 * failure: EDGELSTM_ERROR_IO if the file cannot be read (or is not a regular file), EDGELSTM_ERROR_FORMAT if it is not
 * a valid checkpoint (a plain model file included: it has no optimiser state). Free both handles.
 */
edgelstm_status edgelstm_trainer_load_checkpoint(const char* path, edgelstm_model* model, edgelstm_trainer* trainer);

/** As edgelstm_trainer_load_checkpoint, from `size` bytes in memory (copied: free them when this returns). */
edgelstm_status edgelstm_trainer_load_checkpoint_memory(const void* data, size_t size, edgelstm_model* model,
                                                        edgelstm_trainer* trainer);

/** Frees the trainer (the model stays). EDGELSTM_ERROR_BUSY (nothing freed) if another thread is inside a call on it. */
edgelstm_status edgelstm_trainer_free(edgelstm_trainer trainer);

#ifdef __cplusplus
}
#endif

#endif /* EDGELSTM_H */
