/*
 * The C test suite of libedgelstm.so (src/EdgeLstm.Native, include/edgelstm.h).
 *
 * Usage: test_edgelstm --model MODEL --data MNIST_RAW_DIR [--images N] [--threads N] [--cli-probs FILE --cli-index K]
 *   MODEL          a model trained by "edgelstm train" (or by make_model.c when the CLI is not in the tree)
 *   MNIST_RAW_DIR  the gunzipped MNIST IDX files (train-* and t10k-*)
 *   --images N     test images for the batch == streaming and accuracy checks (default 64)
 *   --threads N    edgelstm_set_threads for the run (default 0, one per processor; 1 under valgrind, which runs
 *                  threads one at a time and makes the worker pool's spinning very slow)
 *   --cli-probs    the ten probabilities "edgelstm predict MODEL --index K" printed, one per line
 *
 * Prints one line per test ("ok N - name" or "not ok N - name" with the failed checks above it) and closes with
 * "N passed, N failed". Exit code 0 when nothing failed.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "edgelstm.h"
#include "mnist.h"

/* ---------------------------------------------------------------------------------------------------------------- */
/* A small test harness                                                                                             */
/* ---------------------------------------------------------------------------------------------------------------- */

static int g_test_failed;
static const char* g_model_path;
static const char* g_data_dir;
static const char* g_cli_probs;
static int g_cli_index = -1;
static int g_images = 64;
static int g_only = 0;    /* run only test number N (1-based), for debugging */
static int g_threads = 0; /* edgelstm_set_threads for the whole run; tests that change it put it back */
static mnist_set g_test, g_train;

static const char* status_name(edgelstm_status s) {
    static const char* names[] = {"OK", "NULL_POINTER", "INVALID_ARGUMENT", "WRONG_LENGTH", "INVALID_HANDLE", "BUSY",
                                  "IO", "FORMAT", "BUFFER_TOO_SMALL", "OUT_OF_MEMORY", "UNSUPPORTED", "INTERNAL"};
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "(unknown status)";
}

#define FAIL(...)                                          \
    do {                                                   \
        g_test_failed = 1;                                 \
        printf("    FAILED at %s:%d: ", __FILE__, __LINE__); \
        printf(__VA_ARGS__);                               \
        printf("\n");                                      \
    } while (0)

#define CHECK(cond)                        \
    do {                                   \
        if (!(cond)) FAIL("%s", #cond);    \
    } while (0)

/* A call that must succeed, and leave an empty last error. */
#define OK(call)                                                                                            \
    do {                                                                                                    \
        edgelstm_status s_ = (call);                                                                        \
        if (s_ != EDGELSTM_OK)                                                                              \
            FAIL("%s returned %s: %s", #call, status_name(s_), edgelstm_last_error());                      \
        else if (edgelstm_last_error()[0] != '\0')                                                          \
            FAIL("%s succeeded but left last_error \"%s\"", #call, edgelstm_last_error());                  \
    } while (0)

/* A call that must fail with `expected`, and leave a message naming the function. */
#define FAILS(expected, call) expect_failure((expected), (call), #call, __FILE__, __LINE__)

static void expect_failure(edgelstm_status expected, edgelstm_status got, const char* text, const char* file,
                           int line) {
    const char* message = edgelstm_last_error();
    size_t name = strcspn(text, "(");
    if (got != expected) {
        g_test_failed = 1;
        printf("    FAILED at %s:%d: %s returned %s, expected %s (last error: \"%s\")\n", file, line, text,
               status_name(got), status_name(expected), message);
    } else if (message == NULL || strncmp(message, text, name) != 0 || message[name] != ':' ||
               strlen(message) < name + 4) {
        g_test_failed = 1;
        printf("    FAILED at %s:%d: %s: the last error \"%s\" does not start with the function's name and say why\n",
               file, line, text, message ? message : "(NULL)");
    }
}

static void* must_alloc(size_t bytes) {
    void* p = calloc(1, bytes ? bytes : 1);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return p;
}

static float* floats(size_t n) { return (float*)must_alloc(n * sizeof(float)); }

static size_t first_difference(const float* a, const float* b, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (memcmp(&a[i], &b[i], sizeof(float)) != 0) return i;
    return n;
}

#define CHECK_SAME(a, b, n)                                                                                   \
    do {                                                                                                      \
        size_t d_ = first_difference((a), (b), (n));                                                          \
        if (d_ != (size_t)(n))                                                                                \
            FAIL("%s and %s differ at element %zu of %zu: %.9g vs %.9g", #a, #b, d_, (size_t)(n),             \
                 (double)(a)[d_], (double)(b)[d_]);                                                           \
    } while (0)

static int argmax(const float* v, int n) {
    int best = 0;
    for (int i = 1; i < n; i++)
        if (v[i] > v[best]) best = i;
    return best;
}

static edgelstm_model load_model(void) {
    edgelstm_model m = {0};
    OK(edgelstm_model_load(g_model_path, &m));
    return m;
}

static edgelstm_config config_of(edgelstm_model m) {
    edgelstm_config c;
    memset(&c, 0, sizeof c);
    OK(edgelstm_model_config(m, &c));
    return c;
}

/* A small model for the training and misuse tests: fast everywhere, valgrind and qemu included. */
static const edgelstm_config small_config = {28, 24, 2, 10, 28};

static edgelstm_model small_model(uint64_t seed) {
    edgelstm_model m = {0};
    OK(edgelstm_model_create(&small_config, seed, &m));
    return m;
}

static unsigned char* model_bytes(edgelstm_model m, size_t* size) {
    size_t needed = 0;
    FAILS(EDGELSTM_ERROR_BUFFER_TOO_SMALL, edgelstm_model_save_memory(m, NULL, 0, &needed));
    unsigned char* bytes = (unsigned char*)must_alloc(needed);
    OK(edgelstm_model_save_memory(m, bytes, needed, size));
    CHECK(*size == needed);
    return bytes;
}

/* Feeds `count` images of [steps][input] through a session of batch 1 each; writes top_h per step [steps][count][H]
   (the layout of edgelstm_run's outputs), the final probabilities [count][C] and final states [L][count][H]. */
static void stream_images(edgelstm_model m, const float* x, int count, float* outputs, float* probabilities,
                          float* final_c, float* final_h) {
    edgelstm_config c = config_of(m);
    edgelstm_session s = {0};
    OK(edgelstm_session_create(m, 1, &s));
    float* h = floats((size_t)c.hidden_size);
    float* cs = floats((size_t)c.hidden_size);
    for (int b = 0; b < count; b++) {
        OK(edgelstm_session_reset(s));
        for (int t = 0; t < c.steps; t++) {
            const float* row = x + ((size_t)b * c.steps + t) * c.input_size;
            float* p = t == c.steps - 1 ? probabilities + (size_t)b * c.classes : NULL;
            OK(edgelstm_session_step(s, row, (size_t)c.input_size, h, (size_t)c.hidden_size, p,
                                     p ? (size_t)c.classes : 0));
            memcpy(outputs + ((size_t)t * count + b) * c.hidden_size, h, sizeof(float) * c.hidden_size);
        }
        for (int l = 0; l < c.layers; l++) {
            OK(edgelstm_session_get_state(s, l, cs, (size_t)c.hidden_size, h, (size_t)c.hidden_size));
            memcpy(final_c + ((size_t)l * count + b) * c.hidden_size, cs, sizeof(float) * c.hidden_size);
            memcpy(final_h + ((size_t)l * count + b) * c.hidden_size, h, sizeof(float) * c.hidden_size);
        }
    }
    OK(edgelstm_session_free(s));
    free(h);
    free(cs);
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* Library                                                                                                          */
/* ---------------------------------------------------------------------------------------------------------------- */

static void test_version_and_build_info(void) {
    edgelstm_version_info v;
    memset(&v, 0xff, sizeof v);
    OK(edgelstm_version(&v));
    CHECK(v.abi == EDGELSTM_ABI_VERSION);
    CHECK(v.major >= 0 && v.minor >= 0 && v.patch >= 0 && v.major + v.minor + v.patch > 0);

    size_t needed = 0;
    FAILS(EDGELSTM_ERROR_BUFFER_TOO_SMALL, edgelstm_build_info(NULL, 0, &needed));
    CHECK(needed > 20 && needed < 1000);
    char* text = (char*)must_alloc(needed + 8);
    memset(text, 'x', needed + 8);
    FAILS(EDGELSTM_ERROR_BUFFER_TOO_SMALL, edgelstm_build_info(text, needed - 1, &needed));
    CHECK(text[0] == 'x'); /* nothing written into a buffer that is too small */
    size_t written = 0;
    OK(edgelstm_build_info(text, needed + 8, &written));
    CHECK(written == needed && strlen(text) + 1 == needed);
    char version[64];
    snprintf(version, sizeof version, "EdgeLstm %d.%d.%d (C ABI %d)", v.major, v.minor, v.patch, v.abi);
    CHECK(strncmp(text, version, strlen(version)) == 0);
#if defined(__aarch64__)
    CHECK(strstr(text, "linux-arm64") != NULL);
#else
    CHECK(strstr(text, "linux-x64") != NULL);
#endif
    CHECK(strstr(text, "Native AOT") != NULL);
    printf("    build: %s\n", text);
    free(text);
}

static void test_thread_setting(void) {
    int32_t threads = -1;
    OK(edgelstm_get_threads(&threads));
    CHECK(threads >= 1);
    OK(edgelstm_set_threads(1));
    OK(edgelstm_get_threads(&threads));
    CHECK(threads == 1);
    OK(edgelstm_set_threads(3));
    OK(edgelstm_get_threads(&threads));
    CHECK(threads == 3);
    FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_set_threads(-1));
    CHECK(strstr(edgelstm_last_error(), "threads") != NULL);
    FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_set_threads(257));
    OK(edgelstm_get_threads(&threads));
    CHECK(threads == 3); /* a refused value changes nothing */
    OK(edgelstm_set_threads(0));
    OK(edgelstm_get_threads(&threads));
    CHECK(threads >= 1);
    OK(edgelstm_set_threads(g_threads));
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* Models                                                                                                           */
/* ---------------------------------------------------------------------------------------------------------------- */

static void test_load_and_query(void) {
    edgelstm_model m = load_model();
    edgelstm_config c = config_of(m);
    printf("    model: input %d, hidden %d, layers %d, classes %d, steps %d\n", c.input_size, c.hidden_size,
           c.layers, c.classes, c.steps);
    CHECK(c.input_size == 28 && c.steps == 28 && c.classes == 10);
    CHECK(c.hidden_size >= 1 && c.layers >= 1);
    int64_t count = 0, expected = 0;
    OK(edgelstm_model_parameter_count(m, &count));
    for (int l = 0; l < c.layers; l++) {
        int64_t in = l == 0 ? c.input_size : c.hidden_size;
        expected += 4LL * c.hidden_size * (in + c.hidden_size) + 8LL * c.hidden_size;
    }
    expected += (int64_t)c.classes * c.hidden_size + c.classes;
    CHECK(count == expected);
    OK(edgelstm_model_free(m));
}

static void test_memory_and_file_round_trips(void) {
    edgelstm_model m = load_model();
    edgelstm_config c = config_of(m);
    size_t file_size = 0;
    unsigned char* file = mnist_read_file(g_model_path, &file_size);
    CHECK(file != NULL);
    edgelstm_model from_memory = {0};
    OK(edgelstm_model_load_memory(file, file_size, &from_memory));
    memset(file, 0, file_size); /* the library copied the bytes */

    const int batch = 3;
    float* x = mnist_batch(&g_test, 0, batch);
    size_t x_len = (size_t)batch * c.steps * c.input_size;
    float* p1 = floats((size_t)batch * c.classes);
    float* p2 = floats((size_t)batch * c.classes);
    float* p3 = floats((size_t)batch * c.classes);
    OK(edgelstm_predict(m, x, x_len, batch, c.steps, EDGELSTM_PROBABILITIES, p1, (size_t)batch * c.classes));
    OK(edgelstm_predict(from_memory, x, x_len, batch, c.steps, EDGELSTM_PROBABILITIES, p2,
                        (size_t)batch * c.classes));
    CHECK_SAME(p1, p2, (size_t)batch * c.classes);

    /* save to a file, load it back: the same predictions and the same bytes */
    char path[256];
    snprintf(path, sizeof path, "/tmp/edgelstm-c-test-%ld.safetensors", (long)getpid());
    OK(edgelstm_model_save(from_memory, path));
    edgelstm_model reloaded = {0};
    OK(edgelstm_model_load(path, &reloaded));
    OK(edgelstm_predict(reloaded, x, x_len, batch, c.steps, EDGELSTM_PROBABILITIES, p3, (size_t)batch * c.classes));
    CHECK_SAME(p1, p3, (size_t)batch * c.classes);
    size_t n1 = 0, n2 = 0;
    unsigned char* b1 = model_bytes(from_memory, &n1);
    unsigned char* b2 = model_bytes(reloaded, &n2);
    CHECK(n1 == n2 && memcmp(b1, b2, n1) == 0);
    size_t saved_size = 0;
    unsigned char* saved = mnist_read_file(path, &saved_size);
    CHECK(saved != NULL && saved_size == n1 && memcmp(saved, b1, n1) == 0);

    /* a clone predicts the same and is independent of its original's handle */
    edgelstm_model clone = {0};
    OK(edgelstm_model_clone(reloaded, &clone));
    OK(edgelstm_model_free(reloaded));
    OK(edgelstm_predict(clone, x, x_len, batch, c.steps, EDGELSTM_PROBABILITIES, p3, (size_t)batch * c.classes));
    CHECK_SAME(p1, p3, (size_t)batch * c.classes);

    unlink(path);
    free(saved);
    free(b1);
    free(b2);
    free(file);
    free(x);
    free(p1);
    free(p2);
    free(p3);
    OK(edgelstm_model_free(clone));
    OK(edgelstm_model_free(from_memory));
    OK(edgelstm_model_free(m));
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* Inference: whole sequences against streaming                                                                     */
/* ---------------------------------------------------------------------------------------------------------------- */

static void test_batch_equals_streaming(void) {
    edgelstm_model m = load_model();
    edgelstm_config c = config_of(m);
    const int n = g_images;
    size_t x_len = (size_t)n * c.steps * c.input_size, per_step = (size_t)n * c.hidden_size;
    size_t state_len = (size_t)c.layers * n * c.hidden_size, p_len = (size_t)n * c.classes;
    float* x = mnist_batch(&g_test, 0, n);
    float *outputs = floats(c.steps * per_step), *final_c = floats(state_len), *final_h = floats(state_len);
    float *probabilities = floats(p_len), *predicted = floats(p_len);
    OK(edgelstm_run(m, x, x_len, n, c.steps, outputs, c.steps * per_step, final_c, state_len, final_h, state_len,
                    probabilities, p_len));
    OK(edgelstm_predict(m, x, x_len, n, c.steps, EDGELSTM_PROBABILITIES, predicted, p_len));
    CHECK_SAME(probabilities, predicted, p_len);
    /* the top layer's final h is the last step's output */
    CHECK_SAME(final_h + (size_t)(c.layers - 1) * per_step, outputs + (size_t)(c.steps - 1) * per_step, per_step);

    /* one session per image, row by row */
    float *s_outputs = floats(c.steps * per_step), *s_c = floats(state_len), *s_h = floats(state_len);
    float* s_p = floats(p_len);
    stream_images(m, x, n, s_outputs, s_p, s_c, s_h);
    CHECK_SAME(outputs, s_outputs, c.steps * per_step);
    CHECK_SAME(probabilities, s_p, p_len);
    CHECK_SAME(final_c, s_c, state_len);
    CHECK_SAME(final_h, s_h, state_len);

    /* one session of n streams side by side */
    edgelstm_session s = {0};
    OK(edgelstm_session_create(m, n, &s));
    float* step_x = floats((size_t)n * c.input_size);
    float* top_h = floats(per_step);
    for (int t = 0; t < c.steps; t++) {
        for (int b = 0; b < n; b++)
            memcpy(step_x + (size_t)b * c.input_size, x + ((size_t)b * c.steps + t) * c.input_size,
                   sizeof(float) * c.input_size);
        OK(edgelstm_session_step(s, step_x, (size_t)n * c.input_size, top_h, per_step,
                                 t == c.steps - 1 ? s_p : NULL, t == c.steps - 1 ? p_len : 0));
        CHECK_SAME(outputs + (size_t)t * per_step, top_h, per_step);
    }
    CHECK_SAME(probabilities, s_p, p_len);
    OK(edgelstm_session_free(s));

    int right = 0;
    for (int b = 0; b < n; b++) right += argmax(probabilities + (size_t)b * c.classes, c.classes) == g_test.labels[b];
    printf("    %d images: batch == streaming bit for bit; accuracy %d/%d\n", n, right, n);
    printf("    reference: test image 0 class %d\n", argmax(probabilities, c.classes));
    if (n >= 32) CHECK(right * 10 > n * 3); /* a trained model is far above chance (10 %) */

    free(x);
    free(outputs);
    free(final_c);
    free(final_h);
    free(probabilities);
    free(predicted);
    free(s_outputs);
    free(s_c);
    free(s_h);
    free(s_p);
    free(step_x);
    free(top_h);
    OK(edgelstm_model_free(m));
}

static void test_logits_and_probabilities(void) {
    edgelstm_model m = load_model();
    edgelstm_config c = config_of(m);
    const int n = 4;
    float* x = mnist_batch(&g_test, 10, n);
    size_t x_len = (size_t)n * c.steps * c.input_size, p_len = (size_t)n * c.classes;
    float *p = floats(p_len), *logits = floats(p_len);
    OK(edgelstm_predict(m, x, x_len, n, c.steps, EDGELSTM_PROBABILITIES, p, p_len));
    OK(edgelstm_predict(m, x, x_len, n, c.steps, EDGELSTM_LOGITS, logits, p_len));
    for (int b = 0; b < n; b++) {
        const float* pb = p + (size_t)b * c.classes;
        const float* lb = logits + (size_t)b * c.classes;
        double sum = 0, z = 0;
        float top = lb[argmax(lb, c.classes)];
        for (int k = 0; k < c.classes; k++) {
            sum += pb[k];
            z += exp((double)lb[k] - top);
        }
        CHECK(fabs(sum - 1.0) < 1e-5);
        CHECK(argmax(pb, c.classes) == argmax(lb, c.classes));
        for (int k = 0; k < c.classes; k++) CHECK(fabs(exp((double)lb[k] - top) / z - pb[k]) < 1e-5);
    }
    free(x);
    free(p);
    free(logits);
    OK(edgelstm_model_free(m));
}

static void test_thread_count_does_not_change_results(void) {
    edgelstm_model m = load_model();
    edgelstm_config c = config_of(m);
    const int n = 5;
    float* x = mnist_batch(&g_test, 20, n);
    size_t x_len = (size_t)n * c.steps * c.input_size, out_len = (size_t)c.steps * n * c.hidden_size;
    float *a = floats(out_len), *b = floats(out_len);
    OK(edgelstm_set_threads(1));
    OK(edgelstm_run(m, x, x_len, n, c.steps, a, out_len, NULL, 0, NULL, 0, NULL, 0));
    OK(edgelstm_set_threads(2));
    OK(edgelstm_run(m, x, x_len, n, c.steps, b, out_len, NULL, 0, NULL, 0, NULL, 0));
    OK(edgelstm_set_threads(g_threads));
    CHECK_SAME(a, b, out_len);
    free(x);
    free(a);
    free(b);
    OK(edgelstm_model_free(m));
}

static void test_matches_cli_predict(void) {
    FILE* f = fopen(g_cli_probs, "r");
    CHECK(f != NULL);
    if (!f) return;
    float expected[10];
    int read = 0;
    while (read < 10 && fscanf(f, "%f", &expected[read]) == 1) read++;
    fclose(f);
    CHECK(read == 10);
    edgelstm_model m = load_model();
    edgelstm_config c = config_of(m);
    float* x = mnist_batch(&g_test, g_cli_index, 1);
    float p[10];
    CHECK(c.classes == 10);
    OK(edgelstm_predict(m, x, (size_t)c.steps * c.input_size, 1, c.steps, EDGELSTM_PROBABILITIES, p, 10));
    /* the CLI prints four decimals: each of ours must round to what it printed */
    for (int k = 0; k < read; k++)
        if (fabs(p[k] - expected[k]) > 0.00005 + 1e-6) FAIL("class %d: CLI %.4f, library %.6f", k, expected[k], p[k]);
    CHECK(argmax(p, 10) == argmax(expected, 10));
    printf("    test image %d: class %d, as edgelstm predict said\n", g_cli_index, argmax(p, 10));
    free(x);
    OK(edgelstm_model_free(m));
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* Streaming sessions                                                                                               */
/* ---------------------------------------------------------------------------------------------------------------- */

static void test_state_get_set_and_reset(void) {
    edgelstm_model m = load_model();
    edgelstm_config c = config_of(m);
    float* x = mnist_batch(&g_test, 3, 1);
    size_t hl = (size_t)c.hidden_size;
    edgelstm_session a = {0}, b = {0};
    OK(edgelstm_session_create(m, 1, &a));
    OK(edgelstm_session_create(m, 1, &b));
    float *pa = floats(10), *pb = floats(10), *first = floats(10), *ha = floats(hl), *hb = floats(hl);
    float *cs = floats(hl * c.layers), *hs = floats(hl * c.layers);

    /* a fresh session's state is zero */
    OK(edgelstm_session_get_state(a, 0, cs, hl, hs, hl));
    for (size_t i = 0; i < hl; i++) CHECK(cs[i] == 0 && hs[i] == 0);

    int half = c.steps / 2;
    for (int t = 0; t < half; t++) OK(edgelstm_session_step(a, x + (size_t)t * c.input_size, c.input_size, NULL, 0, NULL, 0));
    for (int l = 0; l < c.layers; l++) OK(edgelstm_session_get_state(a, l, cs + l * hl, hl, hs + l * hl, hl));
    for (int l = 0; l < c.layers; l++) OK(edgelstm_session_set_state(b, l, cs + l * hl, hl, hs + l * hl, hl));
    for (int t = half; t < c.steps; t++) {
        OK(edgelstm_session_step(a, x + (size_t)t * c.input_size, c.input_size, ha, hl, pa, c.classes));
        OK(edgelstm_session_step(b, x + (size_t)t * c.input_size, c.input_size, hb, hl, pb, c.classes));
        CHECK_SAME(ha, hb, hl);
    }
    CHECK_SAME(pa, pb, (size_t)c.classes);

    /* reset: the same image again gives the same result as from a fresh session */
    OK(edgelstm_session_reset(a));
    OK(edgelstm_session_get_state(a, c.layers - 1, cs, hl, hs, hl));
    for (size_t i = 0; i < hl; i++) CHECK(cs[i] == 0 && hs[i] == 0);
    for (int t = 0; t < c.steps; t++)
        OK(edgelstm_session_step(a, x + (size_t)t * c.input_size, c.input_size, NULL, 0, first, c.classes));
    CHECK_SAME(first, pa, (size_t)c.classes);

    /* the whole-sequence run agrees */
    OK(edgelstm_predict(m, x, (size_t)c.steps * c.input_size, 1, c.steps, EDGELSTM_PROBABILITIES, pb, c.classes));
    CHECK_SAME(pa, pb, (size_t)c.classes);

    OK(edgelstm_session_free(a));
    OK(edgelstm_session_free(b));
    free(x);
    free(pa);
    free(pb);
    free(first);
    free(ha);
    free(hb);
    free(cs);
    free(hs);
    OK(edgelstm_model_free(m));
}

typedef struct stream_job {
    edgelstm_model model;
    const float* x; /* [count][steps][input] */
    int first, count;
    float* probabilities; /* [count][classes] */
    int failures;
} stream_job;

static void* stream_thread(void* arg) {
    stream_job* job = (stream_job*)arg;
    edgelstm_config c;
    edgelstm_session s = {0};
    if (edgelstm_model_config(job->model, &c) != EDGELSTM_OK || edgelstm_session_create(job->model, 1, &s) != EDGELSTM_OK) {
        job->failures++;
        return NULL;
    }
    for (int i = 0; i < job->count; i++) {
        int b = job->first + i;
        if (edgelstm_session_reset(s) != EDGELSTM_OK) job->failures++;
        for (int t = 0; t < c.steps; t++) {
            int last = t == c.steps - 1;
            if (edgelstm_session_step(s, job->x + ((size_t)b * c.steps + t) * c.input_size, c.input_size, NULL, 0,
                                      last ? job->probabilities + (size_t)b * c.classes : NULL,
                                      last ? (size_t)c.classes : 0) != EDGELSTM_OK)
                job->failures++;
        }
    }
    if (edgelstm_session_free(s) != EDGELSTM_OK) job->failures++;
    return NULL;
}

static void test_sessions_on_threads_share_a_model(void) {
    edgelstm_model m = load_model();
    edgelstm_config c = config_of(m);
    enum { THREADS = 4, PER = 3 };
    const int n = THREADS * PER;
    float* x = mnist_batch(&g_test, 30, n);
    float *expected = floats((size_t)n * c.classes), *got = floats((size_t)n * c.classes);
    OK(edgelstm_predict(m, x, (size_t)n * c.steps * c.input_size, n, c.steps, EDGELSTM_PROBABILITIES, expected,
                        (size_t)n * c.classes));
    pthread_t threads[THREADS];
    stream_job jobs[THREADS];
    for (int i = 0; i < THREADS; i++) {
        jobs[i] = (stream_job){m, x, i * PER, PER, got, 0};
        CHECK(pthread_create(&threads[i], NULL, stream_thread, &jobs[i]) == 0);
    }
    /* meanwhile, whole-sequence predictions on the same model from this thread */
    float* again = floats((size_t)n * c.classes);
    for (int r = 0; r < 2; r++) {
        OK(edgelstm_predict(m, x, (size_t)n * c.steps * c.input_size, n, c.steps, EDGELSTM_PROBABILITIES, again,
                            (size_t)n * c.classes));
        CHECK_SAME(expected, again, (size_t)n * c.classes);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        CHECK(jobs[i].failures == 0);
    }
    CHECK_SAME(expected, got, (size_t)n * c.classes);
    free(x);
    free(expected);
    free(got);
    free(again);
    OK(edgelstm_model_free(m));
}

static void test_session_outlives_its_model_handle(void) {
    edgelstm_model m = load_model();
    edgelstm_config c = config_of(m);
    float* x = mnist_batch(&g_test, 7, 1);
    float *expected = floats(c.classes), *got = floats(c.classes);
    OK(edgelstm_predict(m, x, (size_t)c.steps * c.input_size, 1, c.steps, EDGELSTM_PROBABILITIES, expected, c.classes));
    edgelstm_session s = {0};
    OK(edgelstm_session_create(m, 1, &s));
    OK(edgelstm_model_free(m));
    FAILS(EDGELSTM_ERROR_INVALID_HANDLE, edgelstm_model_config(m, &c));
    for (int t = 0; t < c.steps; t++)
        OK(edgelstm_session_step(s, x + (size_t)t * c.input_size, c.input_size, NULL, 0, got, c.classes));
    CHECK_SAME(expected, got, (size_t)c.classes);
    OK(edgelstm_session_free(s));
    free(x);
    free(expected);
    free(got);
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* Training                                                                                                         */
/* ---------------------------------------------------------------------------------------------------------------- */

static void test_training_lowers_the_loss(void) {
    edgelstm_model m = small_model(5);
    edgelstm_config c = small_config;
    edgelstm_trainer t = {0};
    OK(edgelstm_trainer_create(m, 1e-2f, 0.9f, 11, &t));
    const int held = 100, batch = 32, batches = 20;
    size_t per = (size_t)c.steps * c.input_size;
    float* hx = mnist_batch(&g_test, 1000, held); /* held out: never trained on */
    float loss_before = 0, loss_after = 0;
    int32_t right_before = -1, right_after = -1;
    OK(edgelstm_trainer_evaluate(t, hx, held * per, g_test.labels + 1000, held, c.steps, &loss_before, &right_before));
    float first_losses = 0, last_losses = 0;
    for (int i = 0; i < batches; i++) {
        float* x = mnist_batch(&g_train, i * batch, batch);
        float loss = -1;
        OK(edgelstm_trainer_train_batch(t, x, batch * per, g_train.labels + i * batch, batch, c.steps, &loss));
        CHECK(loss > 0 && isfinite(loss));
        if (i < 5) first_losses += loss;
        if (i >= batches - 5) last_losses += loss;
        free(x);
    }
    OK(edgelstm_trainer_evaluate(t, hx, held * per, g_test.labels + 1000, held, c.steps, &loss_after, &right_after));
    printf("    held-out loss %.5f -> %.5f, right %d -> %d of %d; batch loss (mean of 5) %.5f -> %.5f\n", loss_before,
           loss_after, right_before, right_after, held, first_losses / 5, last_losses / 5);
    CHECK(loss_after < 0.9f * loss_before);
    CHECK(right_after > right_before);
    CHECK(last_losses < first_losses);

    /* predictions follow the new weights, and streaming still equals the whole sequence */
    float *p = floats(c.classes), *q = floats(c.classes);
    OK(edgelstm_predict(m, hx, per, 1, c.steps, EDGELSTM_PROBABILITIES, p, c.classes));
    edgelstm_session s = {0};
    OK(edgelstm_session_create(m, 1, &s));
    for (int step = 0; step < c.steps; step++)
        OK(edgelstm_session_step(s, hx + (size_t)step * c.input_size, c.input_size, NULL, 0, q, c.classes));
    CHECK_SAME(p, q, (size_t)c.classes);
    OK(edgelstm_session_free(s));

    OK(edgelstm_trainer_free(t));
    OK(edgelstm_model_free(m));
    free(hx);
    free(p);
    free(q);
}

/* Trains a copy of `m` for 3 batches with the given seed and thread count; returns the model file's bytes. */
static unsigned char* train_copy(edgelstm_model m, uint64_t seed, int32_t threads, size_t* size) {
    edgelstm_model copy = {0};
    edgelstm_trainer t = {0};
    OK(edgelstm_model_clone(m, &copy));
    OK(edgelstm_set_threads(threads));
    OK(edgelstm_trainer_create(copy, 1e-3f, 0.5f, seed, &t));
    OK(edgelstm_set_threads(g_threads));
    const int batch = 16;
    size_t per = (size_t)small_config.steps * small_config.input_size;
    for (int i = 0; i < 3; i++) {
        float* x = mnist_batch(&g_train, 500 + i * batch, batch);
        float loss;
        OK(edgelstm_trainer_train_batch(t, x, batch * per, g_train.labels + 500 + i * batch, batch, small_config.steps,
                                        &loss));
        free(x);
    }
    OK(edgelstm_trainer_free(t));
    unsigned char* bytes = model_bytes(copy, size);
    OK(edgelstm_model_free(copy));
    return bytes;
}

static void test_training_is_reproducible(void) {
    edgelstm_model m = small_model(8);
    size_t n0 = 0, n1 = 0, n2 = 0, n3 = 0;
    unsigned char* before = model_bytes(m, &n0);
    unsigned char* a = train_copy(m, 21, 1, &n1);
    unsigned char* b = train_copy(m, 21, 2, &n2);
    unsigned char* other = train_copy(m, 22, 2, &n3);
    CHECK(n1 == n0 && memcmp(a, before, n0) != 0);            /* training changed the weights */
    CHECK(n1 == n2 && memcmp(a, b, n1) == 0);                 /* same seed: same bits on 1 and 2 threads */
    CHECK(n1 == n3 && memcmp(a, other, n1) != 0);             /* the seed drives the dropout masks */
    size_t n4 = 0;
    unsigned char* after = model_bytes(m, &n4);
    CHECK(n4 == n0 && memcmp(after, before, n0) == 0);        /* the clones left the original alone */
    free(before);
    free(a);
    free(b);
    free(other);
    free(after);
    OK(edgelstm_model_free(m));
}

static void test_evaluate_changes_nothing(void) {
    edgelstm_model m = small_model(9);
    edgelstm_trainer t = {0};
    OK(edgelstm_trainer_create(m, 1e-3f, 0.5f, 3, &t));
    size_t n0 = 0, n1 = 0, per = (size_t)small_config.steps * small_config.input_size;
    unsigned char* before = model_bytes(m, &n0);
    float* x = mnist_batch(&g_test, 0, 8);
    float l1 = 0, l2 = 0;
    int32_t r1 = -1, r2 = -1;
    OK(edgelstm_trainer_evaluate(t, x, 8 * per, g_test.labels, 8, small_config.steps, &l1, &r1));
    OK(edgelstm_trainer_evaluate(t, x, 8 * per, g_test.labels, 8, small_config.steps, &l2, &r2));
    unsigned char* after = model_bytes(m, &n1);
    CHECK(n0 == n1 && memcmp(before, after, n0) == 0);
    CHECK(l1 == l2 && r1 == r2 && r1 >= 0 && r1 <= 8 && l1 > 0);
    OK(edgelstm_trainer_free(t));
    OK(edgelstm_model_free(m));
    free(before);
    free(after);
    free(x);
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* Misuse: every kind of wrong call gets a status and a message, never a crash                                      */
/* ---------------------------------------------------------------------------------------------------------------- */

static void test_misuse_null_pointers(void) {
    edgelstm_model m = small_model(1);
    edgelstm_config c = small_config;
    edgelstm_session s = {0};
    edgelstm_trainer t = {0};
    OK(edgelstm_session_create(m, 2, &s));
    OK(edgelstm_trainer_create(m, 1e-3f, 0.5f, 1, &t));
    size_t per = (size_t)c.steps * c.input_size, hl = (size_t)2 * c.hidden_size, needed = 0;
    float *x = floats(2 * per), *out = floats(2 * c.classes), *h = floats(hl), *cs = floats(hl);
    int32_t labels[2] = {1, 2}, right = 0, threads = 0;
    float loss = 0;
    int64_t count = 0;
    edgelstm_model out_model = {12345};
    char buffer[8];

    FAILS(EDGELSTM_ERROR_NULL_POINTER, edgelstm_version(NULL));
    FAILS(EDGELSTM_ERROR_NULL_POINTER, edgelstm_build_info(buffer, sizeof buffer, NULL));
    FAILS(EDGELSTM_ERROR_NULL_POINTER, edgelstm_build_info(NULL, 100, &needed));
    FAILS(EDGELSTM_ERROR_NULL_POINTER, edgelstm_get_threads(NULL));
    FAILS(EDGELSTM_ERROR_NULL_POINTER, edgelstm_model_create(NULL, 1, &out_model));
    CHECK(out_model.id == 0); /* a failed create writes the zero handle */
    FAILS(EDGELSTM_ERROR_NULL_POINTER, edgelstm_model_create(&c, 1, NULL));
    FAILS(EDGELSTM_ERROR_NULL_POINTER, edgelstm_model_load(NULL, &out_model));
    FAILS(EDGELSTM_ERROR_NULL_POINTER, edgelstm_model_load(g_model_path, NULL));
    FAILS(EDGELSTM_ERROR_NULL_POINTER, edgelstm_model_load_memory(NULL, 100, &out_model));
    FAILS(EDGELSTM_ERROR_NULL_POINTER, edgelstm_model_load_memory(buffer, sizeof buffer, NULL));
    FAILS(EDGELSTM_ERROR_NULL_POINTER, edgelstm_model_save(m, NULL));
    FAILS(EDGELSTM_ERROR_NULL_POINTER, edgelstm_model_save_memory(m, NULL, 0, NULL));
    FAILS(EDGELSTM_ERROR_NULL_POINTER, edgelstm_model_save_memory(m, NULL, 100, &needed));
    FAILS(EDGELSTM_ERROR_NULL_POINTER, edgelstm_model_clone(m, NULL));
    FAILS(EDGELSTM_ERROR_NULL_POINTER, edgelstm_model_config(m, NULL));
    FAILS(EDGELSTM_ERROR_NULL_POINTER, edgelstm_model_parameter_count(m, NULL));
    FAILS(EDGELSTM_ERROR_NULL_POINTER, edgelstm_predict(m, NULL, 2 * per, 2, c.steps, EDGELSTM_PROBABILITIES, out, 2 * c.classes));
    FAILS(EDGELSTM_ERROR_NULL_POINTER, edgelstm_predict(m, x, 2 * per, 2, c.steps, EDGELSTM_PROBABILITIES, NULL, 2 * c.classes));
    FAILS(EDGELSTM_ERROR_NULL_POINTER, edgelstm_run(m, NULL, 2 * per, 2, c.steps, NULL, 0, NULL, 0, NULL, 0, out, 2 * c.classes));
    FAILS(EDGELSTM_ERROR_NULL_POINTER, edgelstm_run(m, x, 2 * per, 2, c.steps, NULL, 5, NULL, 0, NULL, 0, NULL, 0));
    FAILS(EDGELSTM_ERROR_NULL_POINTER, edgelstm_run(m, x, 2 * per, 2, c.steps, NULL, 0, NULL, 3, NULL, 0, NULL, 0));
    FAILS(EDGELSTM_ERROR_NULL_POINTER, edgelstm_run(m, x, 2 * per, 2, c.steps, NULL, 0, NULL, 0, NULL, 3, NULL, 0));
    FAILS(EDGELSTM_ERROR_NULL_POINTER, edgelstm_run(m, x, 2 * per, 2, c.steps, NULL, 0, NULL, 0, NULL, 0, NULL, 20));
    FAILS(EDGELSTM_ERROR_NULL_POINTER, edgelstm_session_create(m, 1, NULL));
    FAILS(EDGELSTM_ERROR_NULL_POINTER, edgelstm_session_step(s, NULL, 2 * (size_t)c.input_size, NULL, 0, NULL, 0));
    FAILS(EDGELSTM_ERROR_NULL_POINTER, edgelstm_session_step(s, x, 2 * (size_t)c.input_size, NULL, hl, NULL, 0));
    FAILS(EDGELSTM_ERROR_NULL_POINTER, edgelstm_session_step(s, x, 2 * (size_t)c.input_size, NULL, 0, NULL, 20));
    FAILS(EDGELSTM_ERROR_NULL_POINTER, edgelstm_session_get_state(s, 0, NULL, hl, h, hl));
    FAILS(EDGELSTM_ERROR_NULL_POINTER, edgelstm_session_get_state(s, 0, cs, hl, NULL, hl));
    FAILS(EDGELSTM_ERROR_NULL_POINTER, edgelstm_session_set_state(s, 0, NULL, hl, h, hl));
    FAILS(EDGELSTM_ERROR_NULL_POINTER, edgelstm_session_set_state(s, 0, cs, hl, NULL, hl));
    FAILS(EDGELSTM_ERROR_NULL_POINTER, edgelstm_trainer_create(m, 1e-3f, 0.5f, 1, NULL));
    FAILS(EDGELSTM_ERROR_NULL_POINTER, edgelstm_trainer_train_batch(t, NULL, 2 * per, labels, 2, c.steps, &loss));
    FAILS(EDGELSTM_ERROR_NULL_POINTER, edgelstm_trainer_train_batch(t, x, 2 * per, NULL, 2, c.steps, &loss));
    FAILS(EDGELSTM_ERROR_NULL_POINTER, edgelstm_trainer_train_batch(t, x, 2 * per, labels, 2, c.steps, NULL));
    FAILS(EDGELSTM_ERROR_NULL_POINTER, edgelstm_trainer_evaluate(t, x, 2 * per, labels, 2, c.steps, NULL, &right));
    FAILS(EDGELSTM_ERROR_NULL_POINTER, edgelstm_trainer_evaluate(t, x, 2 * per, labels, 2, c.steps, &loss, NULL));

    /* everything still works after all that */
    OK(edgelstm_get_threads(&threads));
    OK(edgelstm_model_parameter_count(m, &count));
    OK(edgelstm_session_step(s, x, 2 * (size_t)c.input_size, h, hl, NULL, 0));
    OK(edgelstm_trainer_train_batch(t, x, 2 * per, labels, 2, c.steps, &loss));
    OK(edgelstm_session_free(s));
    OK(edgelstm_trainer_free(t));
    OK(edgelstm_model_free(m));
    free(x);
    free(out);
    free(h);
    free(cs);
}

#define SENTINEL_CHECK(buf, n)                                        \
    do {                                                              \
        int untouched_ = 1;                                           \
        for (size_t i_ = 0; i_ < (size_t)(n); i_++)                   \
            if ((buf)[i_] != -7.0f) untouched_ = 0;                   \
        if (!untouched_) FAIL("%s was written by a failed call", #buf); \
    } while (0)

static void fill(float* buf, size_t n) {
    for (size_t i = 0; i < n; i++) buf[i] = -7.0f;
}

static void test_misuse_wrong_lengths(void) {
    edgelstm_model m = small_model(2);
    edgelstm_config c = small_config;
    const int b = 3;
    size_t x_len = (size_t)b * c.steps * c.input_size, p_len = (size_t)b * c.classes;
    size_t out_len = (size_t)c.steps * b * c.hidden_size, st_len = (size_t)c.layers * b * c.hidden_size;
    /* one extra element everywhere, so a length one too long is still inside the allocation */
    float *x = floats(x_len + 1), *p = floats(p_len + 1), *o = floats(out_len + 1), *fc = floats(st_len + 1);
    int32_t labels[3] = {0, 1, 2};
    float loss = 0;
    int32_t right = 0;

    fill(p, p_len + 1);
    FAILS(EDGELSTM_ERROR_WRONG_LENGTH, edgelstm_predict(m, x, x_len - 1, b, c.steps, EDGELSTM_PROBABILITIES, p, p_len));
    CHECK(strstr(edgelstm_last_error(), "expected") != NULL);
    FAILS(EDGELSTM_ERROR_WRONG_LENGTH, edgelstm_predict(m, x, x_len + 1, b, c.steps, EDGELSTM_PROBABILITIES, p, p_len));
    FAILS(EDGELSTM_ERROR_WRONG_LENGTH, edgelstm_predict(m, x, x_len, b, c.steps - 1, EDGELSTM_PROBABILITIES, p, p_len));
    FAILS(EDGELSTM_ERROR_WRONG_LENGTH, edgelstm_predict(m, x, x_len, b, c.steps, EDGELSTM_PROBABILITIES, p, p_len - 1));
    FAILS(EDGELSTM_ERROR_WRONG_LENGTH, edgelstm_predict(m, x, x_len, b, c.steps, EDGELSTM_LOGITS, p, p_len + 1));
    FAILS(EDGELSTM_ERROR_WRONG_LENGTH, edgelstm_predict(m, x, 0, b, c.steps, EDGELSTM_LOGITS, p, p_len));
    SENTINEL_CHECK(p, p_len + 1);

    fill(o, out_len + 1);
    fill(fc, st_len + 1);
    FAILS(EDGELSTM_ERROR_WRONG_LENGTH, edgelstm_run(m, x, x_len, b, c.steps, o, out_len - 1, NULL, 0, NULL, 0, NULL, 0));
    FAILS(EDGELSTM_ERROR_WRONG_LENGTH, edgelstm_run(m, x, x_len, b, c.steps, o, out_len, fc, st_len + 1, NULL, 0, NULL, 0));
    FAILS(EDGELSTM_ERROR_WRONG_LENGTH, edgelstm_run(m, x, x_len, b, c.steps, o, out_len, NULL, 0, fc, 1, NULL, 0));
    FAILS(EDGELSTM_ERROR_WRONG_LENGTH, edgelstm_run(m, x, x_len, b, c.steps, NULL, 0, NULL, 0, NULL, 0, p, p_len + 1));
    SENTINEL_CHECK(o, out_len + 1);
    SENTINEL_CHECK(fc, st_len + 1);

    edgelstm_session s = {0};
    OK(edgelstm_session_create(m, b, &s));
    size_t hl = (size_t)b * c.hidden_size;
    fill(o, hl + 1);
    FAILS(EDGELSTM_ERROR_WRONG_LENGTH, edgelstm_session_step(s, x, (size_t)b * c.input_size - 1, NULL, 0, NULL, 0));
    FAILS(EDGELSTM_ERROR_WRONG_LENGTH, edgelstm_session_step(s, x, (size_t)c.input_size, NULL, 0, NULL, 0));
    FAILS(EDGELSTM_ERROR_WRONG_LENGTH, edgelstm_session_step(s, x, (size_t)b * c.input_size, o, hl + 1, NULL, 0));
    FAILS(EDGELSTM_ERROR_WRONG_LENGTH, edgelstm_session_step(s, x, (size_t)b * c.input_size, NULL, 0, o, p_len - 1));
    FAILS(EDGELSTM_ERROR_WRONG_LENGTH, edgelstm_session_get_state(s, 0, o, hl - 1, fc, hl));
    FAILS(EDGELSTM_ERROR_WRONG_LENGTH, edgelstm_session_get_state(s, 0, o, hl, fc, hl + 1));
    FAILS(EDGELSTM_ERROR_WRONG_LENGTH, edgelstm_session_set_state(s, 1, o, hl, fc, (size_t)c.hidden_size));
    SENTINEL_CHECK(o, hl + 1);
    /* the failed steps did not advance the stream: its state is still zero */
    OK(edgelstm_session_get_state(s, 1, o, hl, fc, hl));
    for (size_t i = 0; i < hl; i++) CHECK(o[i] == 0 && fc[i] == 0);
    OK(edgelstm_session_free(s));

    edgelstm_trainer t = {0};
    OK(edgelstm_trainer_create(m, 1e-3f, 0.5f, 1, &t));
    FAILS(EDGELSTM_ERROR_WRONG_LENGTH, edgelstm_trainer_train_batch(t, x, x_len - 1, labels, b, c.steps, &loss));
    FAILS(EDGELSTM_ERROR_WRONG_LENGTH, edgelstm_trainer_train_batch(t, x, x_len, labels, b - 1, c.steps, &loss));
    FAILS(EDGELSTM_ERROR_WRONG_LENGTH, edgelstm_trainer_evaluate(t, x, x_len + 1, labels, b, c.steps, &loss, &right));
    OK(edgelstm_trainer_free(t));
    OK(edgelstm_model_free(m));
    free(x);
    free(p);
    free(o);
    free(fc);
}

static void test_misuse_invalid_arguments(void) {
    edgelstm_model m = small_model(3), out = {0};
    edgelstm_config c = small_config;
    size_t per = (size_t)c.steps * c.input_size;
    float *x = floats(2 * per), *p = floats(2 * c.classes), *h = floats(c.hidden_size), *cs = floats(c.hidden_size);
    int32_t labels[2] = {3, 4};
    float loss = 0;

    FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_predict(m, x, 2 * per, 0, c.steps, EDGELSTM_PROBABILITIES, p, 0));
    FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_predict(m, x, 2 * per, -2, c.steps, EDGELSTM_PROBABILITIES, p, 20));
    FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_predict(m, x, 2 * per, 2, 0, EDGELSTM_PROBABILITIES, p, 20));
    FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_predict(m, x, 2 * per, 2, c.steps, (edgelstm_output)2, p, 20));
    FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_predict(m, x, 2 * per, 2, c.steps, (edgelstm_output)-1, p, 20));
    /* shapes whose product overflows: refused before anything is read */
    FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_predict(m, x, 2 * per, 2147483647, 2147483647, EDGELSTM_PROBABILITIES, p, 20));
    FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_run(m, x, 2 * per, 2, -1, NULL, 0, NULL, 0, NULL, 0, NULL, 0));
    FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_session_create(m, 0, &(edgelstm_session){0}));
    FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_session_create(m, 1 << 30, &(edgelstm_session){0}));

    edgelstm_session s = {0};
    OK(edgelstm_session_create(m, 1, &s));
    FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_session_get_state(s, -1, cs, c.hidden_size, h, c.hidden_size));
    FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_session_get_state(s, c.layers, cs, c.hidden_size, h, c.hidden_size));
    FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_session_set_state(s, 99, cs, c.hidden_size, h, c.hidden_size));
    OK(edgelstm_session_free(s));

    edgelstm_trainer t = {0};
    FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_trainer_create(m, 0.0f, 0.5f, 1, &t));
    FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_trainer_create(m, -1e-3f, 0.5f, 1, &t));
    FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_trainer_create(m, NAN, 0.5f, 1, &t));
    FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_trainer_create(m, INFINITY, 0.5f, 1, &t));
    FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_trainer_create(m, 1e-3f, 0.0f, 1, &t));
    FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_trainer_create(m, 1e-3f, 1.5f, 1, &t));
    FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_trainer_create(m, 1e-3f, NAN, 1, &t));
    CHECK(t.id == 0);
    OK(edgelstm_trainer_create(m, 1e-3f, 1.0f, 1, &t));
    labels[1] = 10;
    FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_trainer_train_batch(t, x, 2 * per, labels, 2, c.steps, &loss));
    CHECK(strstr(edgelstm_last_error(), "abel") != NULL);
    labels[1] = -1;
    FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_trainer_train_batch(t, x, 2 * per, labels, 2, c.steps, &loss));
    FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_trainer_evaluate(t, x, 2 * per, labels, 2, c.steps, &loss, &(int32_t){0}));
    FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_trainer_train_batch(t, x, 2 * per, labels, 0, c.steps, &loss));
    labels[1] = 9;
    OK(edgelstm_trainer_train_batch(t, x, 2 * per, labels, 2, c.steps, &loss));
    OK(edgelstm_trainer_free(t));

    edgelstm_config bad = small_config;
    bad.hidden_size = 0;
    FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_model_create(&bad, 1, &out));
    CHECK(strstr(edgelstm_last_error(), "HiddenSize") != NULL);
    bad = small_config;
    bad.layers = -3;
    FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_model_create(&bad, 1, &out));
    bad = small_config;
    bad.classes = 1 << 20;
    FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_model_create(&bad, 1, &out));
    /* every field in range, but weight_ih_l0 would hold 4·16384·65536 = 2^32 floats */
    edgelstm_config huge = {65536, 16384, 1, 1, 1};
    FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_model_create(&huge, 1, &out));
    CHECK(out.id == 0);

    OK(edgelstm_model_free(m));
    free(x);
    free(p);
    free(h);
    free(cs);
}

static void test_misuse_handles(void) {
    edgelstm_model m = small_model(4), live = small_model(4);
    edgelstm_config c = small_config, got;
    edgelstm_session s = {0};
    edgelstm_trainer t = {0};
    OK(edgelstm_session_create(m, 1, &s));
    OK(edgelstm_trainer_create(m, 1e-3f, 0.5f, 1, &t));
    size_t per = (size_t)c.steps * c.input_size;
    float *x = floats(per), *p = floats(c.classes), *h = floats(c.hidden_size);
    int32_t label = 1, right = 0;
    float loss = 0;
    int64_t count = 0;

    /* the zero handle */
    edgelstm_model zm = {0};
    edgelstm_session zs = {0};
    edgelstm_trainer zt = {0};
    FAILS(EDGELSTM_ERROR_INVALID_HANDLE, edgelstm_model_config(zm, &got));
    FAILS(EDGELSTM_ERROR_INVALID_HANDLE, edgelstm_predict(zm, x, per, 1, c.steps, EDGELSTM_PROBABILITIES, p, c.classes));
    edgelstm_session never = {99};
    FAILS(EDGELSTM_ERROR_INVALID_HANDLE, edgelstm_session_create(zm, 1, &never));
    CHECK(never.id == 0); /* the failed create zeroed the output */
    FAILS(EDGELSTM_ERROR_INVALID_HANDLE, edgelstm_session_step(zs, x, c.input_size, NULL, 0, NULL, 0));
    FAILS(EDGELSTM_ERROR_INVALID_HANDLE, edgelstm_trainer_train_batch(zt, x, per, &label, 1, c.steps, &loss));
    OK(edgelstm_model_free(zm)); /* freeing the zero handle is a no-op, as free(NULL) */
    OK(edgelstm_session_free(zs));
    OK(edgelstm_trainer_free(zt));

    /* a handle of another kind */
    edgelstm_model s_as_model = {s.id}, t_as_model = {t.id};
    edgelstm_session m_as_session = {m.id};
    edgelstm_trainer s_as_trainer = {s.id};
    FAILS(EDGELSTM_ERROR_INVALID_HANDLE, edgelstm_model_config(s_as_model, &got));
    CHECK(strstr(edgelstm_last_error(), "session") != NULL);
    FAILS(EDGELSTM_ERROR_INVALID_HANDLE, edgelstm_model_free(t_as_model));
    FAILS(EDGELSTM_ERROR_INVALID_HANDLE, edgelstm_session_step(m_as_session, x, c.input_size, NULL, 0, NULL, 0));
    FAILS(EDGELSTM_ERROR_INVALID_HANDLE, edgelstm_session_free(m_as_session));
    FAILS(EDGELSTM_ERROR_INVALID_HANDLE, edgelstm_trainer_free(s_as_trainer));

    /* made-up values: small numbers, all ones, a pointer's bits, a live handle with its generation or slot changed */
    uint64_t forged[] = {1, 2, 0xDEADBEEFULL, ~0ULL, (uint64_t)(uintptr_t)x, m.id ^ (1ULL << 32),
                         m.id ^ (1ULL << 40), m.id + 1000, (m.id & 0xFF00000000000000ULL) | 0xFFFFFFFFULL};
    for (size_t i = 0; i < sizeof forged / sizeof forged[0]; i++) {
        edgelstm_model fm = {forged[i]};
        edgelstm_session fs = {forged[i]};
        edgelstm_trainer ft = {forged[i]};
        FAILS(EDGELSTM_ERROR_INVALID_HANDLE, edgelstm_model_parameter_count(fm, &count));
        FAILS(EDGELSTM_ERROR_INVALID_HANDLE, edgelstm_model_free(fm));
        FAILS(EDGELSTM_ERROR_INVALID_HANDLE, edgelstm_session_reset(fs));
        FAILS(EDGELSTM_ERROR_INVALID_HANDLE, edgelstm_trainer_free(ft));
    }

    /* freed handles: use after free and double free */
    edgelstm_session s_copy = s;
    edgelstm_trainer t_copy = t;
    OK(edgelstm_session_free(s));
    OK(edgelstm_trainer_free(t));
    FAILS(EDGELSTM_ERROR_INVALID_HANDLE, edgelstm_session_step(s_copy, x, c.input_size, h, c.hidden_size, NULL, 0));
    FAILS(EDGELSTM_ERROR_INVALID_HANDLE, edgelstm_session_get_state(s_copy, 0, h, c.hidden_size, h, c.hidden_size));
    FAILS(EDGELSTM_ERROR_INVALID_HANDLE, edgelstm_session_free(s_copy));
    CHECK(strstr(edgelstm_last_error(), "freed") != NULL);
    FAILS(EDGELSTM_ERROR_INVALID_HANDLE, edgelstm_trainer_evaluate(t_copy, x, per, &label, 1, c.steps, &loss, &right));
    FAILS(EDGELSTM_ERROR_INVALID_HANDLE, edgelstm_trainer_free(t_copy));
    edgelstm_model m_copy = m;
    OK(edgelstm_model_free(m));
    FAILS(EDGELSTM_ERROR_INVALID_HANDLE, edgelstm_model_free(m_copy));
    FAILS(EDGELSTM_ERROR_INVALID_HANDLE, edgelstm_model_save(m_copy, "/tmp/never-written.safetensors"));
    FAILS(EDGELSTM_ERROR_INVALID_HANDLE, edgelstm_predict(m_copy, x, per, 1, c.steps, EDGELSTM_LOGITS, p, c.classes));
    FAILS(EDGELSTM_ERROR_INVALID_HANDLE, edgelstm_session_create(m_copy, 1, &s));
    FAILS(EDGELSTM_ERROR_INVALID_HANDLE, edgelstm_trainer_create(m_copy, 1e-3f, 0.5f, 1, &t));

    /* a new object may reuse the freed slot: the old handle still does not reach it */
    edgelstm_model reused = small_model(6);
    FAILS(EDGELSTM_ERROR_INVALID_HANDLE, edgelstm_model_config(m_copy, &got));
    OK(edgelstm_model_config(reused, &got));
    CHECK(reused.id != m_copy.id);

    /* the other live model was never disturbed */
    OK(edgelstm_predict(live, x, per, 1, c.steps, EDGELSTM_PROBABILITIES, p, c.classes));
    OK(edgelstm_model_free(reused));
    OK(edgelstm_model_free(live));
    free(x);
    free(p);
    free(h);
}

static void test_misuse_files_and_formats(void) {
    edgelstm_model out = {777};
    FAILS(EDGELSTM_ERROR_IO, edgelstm_model_load("/nonexistent/dir/model.safetensors", &out));
    CHECK(out.id == 0);
    CHECK(strstr(edgelstm_last_error(), "nonexistent") != NULL);
    FAILS(EDGELSTM_ERROR_IO, edgelstm_model_load("/tmp", &out));
    FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_model_load("", &out));

    size_t size = 0;
    unsigned char* file = mnist_read_file(g_model_path, &size);
    CHECK(file != NULL && size > 200);
    if (!file) return;
    FAILS(EDGELSTM_ERROR_FORMAT, edgelstm_model_load_memory(file, 0, &out));
    FAILS(EDGELSTM_ERROR_FORMAT, edgelstm_model_load_memory(file, 7, &out));
    FAILS(EDGELSTM_ERROR_FORMAT, edgelstm_model_load_memory(file, size - 1, &out)); /* truncated */
    FAILS(EDGELSTM_ERROR_FORMAT, edgelstm_model_load_memory(file, 200, &out));
    unsigned char* lying = (unsigned char*)must_alloc(size);
    memcpy(lying, file, size);
    lying[0] = 0xff; /* header length far past the end */
    lying[5] = 0x7f;
    FAILS(EDGELSTM_ERROR_FORMAT, edgelstm_model_load_memory(lying, size, &out));
    memcpy(lying, file, size);
    memset(lying + size - 4, 0xff, 4); /* the last weight becomes a NaN */
    FAILS(EDGELSTM_ERROR_FORMAT, edgelstm_model_load_memory(lying, size, &out));
    const char junk[] = "this is not a safetensors file at all, not even close";
    FAILS(EDGELSTM_ERROR_FORMAT, edgelstm_model_load_memory(junk, sizeof junk, &out));
    CHECK(out.id == 0);

    /* a broken file on disk names the file */
    char path[256];
    snprintf(path, sizeof path, "/tmp/edgelstm-c-test-broken-%ld.safetensors", (long)getpid());
    FILE* f = fopen(path, "wb");
    CHECK(f != NULL);
    if (f) {
        fwrite(file, 1, size / 2, f);
        fclose(f);
        FAILS(EDGELSTM_ERROR_FORMAT, edgelstm_model_load(path, &out));
        CHECK(strstr(edgelstm_last_error(), path) != NULL);
        unlink(path);
    }

    edgelstm_model m = small_model(7);
    FAILS(EDGELSTM_ERROR_IO, edgelstm_model_save(m, "/dev/null/model.safetensors")); /* a directory that cannot be */
    FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_model_save(m, ""));
    size_t needed = 0;
    char small[16];
    memset(small, 'x', sizeof small);
    FAILS(EDGELSTM_ERROR_BUFFER_TOO_SMALL, edgelstm_model_save_memory(m, small, sizeof small, &needed));
    CHECK(needed > sizeof small && small[0] == 'x');
    OK(edgelstm_model_free(m));
    free(lying);
    free(file);
}

static void* other_thread_error(void* arg) {
    char* seen = (char*)arg;
    /* a fresh thread has no message, whatever the main thread did */
    strncpy(seen, edgelstm_last_error(), 255);
    /* and its own failure does not show on the main thread */
    edgelstm_set_threads(-5);
    strncpy(seen + 256, edgelstm_last_error(), 255);
    return NULL;
}

static void test_last_error_is_per_thread(void) {
    char seen[512] = {0};
    FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_set_threads(1000));
    char mine[256];
    strncpy(mine, edgelstm_last_error(), sizeof mine - 1);
    mine[sizeof mine - 1] = 0;
    pthread_t thread;
    CHECK(pthread_create(&thread, NULL, other_thread_error, seen) == 0);
    pthread_join(thread, NULL);
    CHECK(seen[0] == '\0');
    CHECK(strstr(seen + 256, "-5") != NULL);
    CHECK(strcmp(edgelstm_last_error(), mine) == 0);
    CHECK(strstr(mine, "1000") != NULL);
    int32_t threads = 0;
    OK(edgelstm_get_threads(&threads)); /* success clears it */
    CHECK(edgelstm_last_error()[0] == '\0');
}

typedef struct busy_job {
    edgelstm_session session;
    const float* x;
    size_t x_len;
    volatile int stop;
    int calls, unexpected;
} busy_job;

static void* busy_stepper(void* arg) {
    busy_job* job = (busy_job*)arg;
    while (!job->stop) {
        edgelstm_status s = edgelstm_session_step(job->session, job->x, job->x_len, NULL, 0, NULL, 0);
        job->calls++;
        if (s == EDGELSTM_ERROR_INVALID_HANDLE) break; /* freed by the other thread */
        if (s != EDGELSTM_OK && s != EDGELSTM_ERROR_BUSY) job->unexpected++;
    }
    return NULL;
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void test_a_session_used_from_two_threads_is_busy_not_broken(void) {
    edgelstm_model m = load_model();
    edgelstm_config c = config_of(m);
    const int batch = 256; /* long steps on the other thread; this one probes with short calls */
    size_t x_len = (size_t)batch * c.input_size;
    float* x = floats(x_len);
    for (size_t i = 0; i < x_len; i++) x[i] = (float)(i % 7) / 7.0f;
    busy_job job = {{0}, x, x_len, 0, 0, 0};
    OK(edgelstm_session_create(m, batch, &job.session));
    pthread_t thread;
    CHECK(pthread_create(&thread, NULL, busy_stepper, &job) == 0);
    int busy = 0, ok = 0, unexpected = 0;
    double deadline = now_seconds() + 60;
    while (busy < 3 && now_seconds() < deadline) {
        edgelstm_status s = edgelstm_session_reset(job.session);
        if (s == EDGELSTM_ERROR_BUSY) {
            busy++;
            CHECK(strstr(edgelstm_last_error(), "another thread") != NULL);
        } else if (s == EDGELSTM_OK) {
            ok++;
        } else {
            unexpected++;
        }
    }
    /* free while the other thread steps: BUSY (nothing freed), or it came between two steps and freed it */
    edgelstm_status freed = EDGELSTM_ERROR_BUSY;
    int busy_frees = 0;
    while (freed == EDGELSTM_ERROR_BUSY && busy_frees < 3) {
        freed = edgelstm_session_free(job.session);
        if (freed == EDGELSTM_ERROR_BUSY) busy_frees++;
    }
    job.stop = 1;
    pthread_join(thread, NULL);
    if (freed != EDGELSTM_OK) OK(edgelstm_session_free(job.session));
    printf("    other thread: %d steps; this thread: %d BUSY and %d OK resets, %d BUSY frees\n", job.calls, busy, ok,
           busy_frees);
    CHECK(busy > 0);
    CHECK(unexpected == 0 && job.unexpected == 0);
    CHECK(freed == EDGELSTM_OK || freed == EDGELSTM_ERROR_BUSY);
    FAILS(EDGELSTM_ERROR_INVALID_HANDLE, edgelstm_session_reset(job.session));
    free(x);
    OK(edgelstm_model_free(m));
}

static void test_every_handle_was_freed(void) {
    int64_t models = -1, sessions = -1, trainers = -1;
    FAILS(EDGELSTM_ERROR_NULL_POINTER, edgelstm_live_handles(NULL, &sessions, &trainers));
    FAILS(EDGELSTM_ERROR_NULL_POINTER, edgelstm_live_handles(&models, &sessions, NULL));
    OK(edgelstm_live_handles(&models, &sessions, &trainers));
    printf("    live handles at the end: %lld models, %lld sessions, %lld trainers\n", (long long)models,
           (long long)sessions, (long long)trainers);
    CHECK(models == 0 && sessions == 0 && trainers == 0);
    edgelstm_model m = small_model(1);
    edgelstm_session s = {0};
    OK(edgelstm_session_create(m, 1, &s));
    OK(edgelstm_live_handles(&models, &sessions, &trainers));
    CHECK(models == 1 && sessions == 1 && trainers == 0);
    OK(edgelstm_session_free(s));
    OK(edgelstm_model_free(m));
    OK(edgelstm_live_handles(&models, &sessions, &trainers));
    CHECK(models == 0 && sessions == 0 && trainers == 0);
}

/* ---------------------------------------------------------------------------------------------------------------- */

typedef struct test_case {
    const char* name;
    void (*run)(void);
} test_case;

int main(int argc, char** argv) {
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--model") && i + 1 < argc) g_model_path = argv[++i];
        else if (!strcmp(argv[i], "--data") && i + 1 < argc) g_data_dir = argv[++i];
        else if (!strcmp(argv[i], "--images") && i + 1 < argc) g_images = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) g_threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--only") && i + 1 < argc) g_only = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--cli-probs") && i + 1 < argc) g_cli_probs = argv[++i];
        else if (!strcmp(argv[i], "--cli-index") && i + 1 < argc) g_cli_index = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: %s --model MODEL --data MNIST_RAW_DIR [--images N] [--threads N] [--cli-probs FILE --cli-index K]\n", argv[0]);
            return 2;
        }
    }
    if (!g_model_path || !g_data_dir || g_images < 1 || (g_cli_probs && g_cli_index < 0)) {
        fprintf(stderr, "--model and --data are required; --cli-probs needs --cli-index\n");
        return 2;
    }
    if (mnist_load(g_data_dir, "t10k", &g_test) != 0 || mnist_load(g_data_dir, "train", &g_train) != 0) return 2;
    if (edgelstm_set_threads(g_threads) != EDGELSTM_OK) {
        fprintf(stderr, "--threads %d: %s\n", g_threads, edgelstm_last_error());
        return 2;
    }

    test_case tests[] = {
        {"version and build info", test_version_and_build_info},
        {"thread setting", test_thread_setting},
        {"load a trained model and query it", test_load_and_query},
        {"memory and file round trips, clone", test_memory_and_file_round_trips},
        {"batch prediction == streaming step by step, bit for bit", test_batch_equals_streaming},
        {"logits and probabilities agree", test_logits_and_probabilities},
        {"thread count does not change results", test_thread_count_does_not_change_results},
        {"state get/set continues a stream; reset restarts it", test_state_get_set_and_reset},
        {"sessions on four threads share one model", test_sessions_on_threads_share_a_model},
        {"a session outlives its model's handle", test_session_outlives_its_model_handle},
        {"training lowers the loss", test_training_lowers_the_loss},
        {"training is reproducible (seed; 1 or 2 threads)", test_training_is_reproducible},
        {"evaluate changes nothing", test_evaluate_changes_nothing},
        {"misuse: NULL pointers", test_misuse_null_pointers},
        {"misuse: wrong lengths", test_misuse_wrong_lengths},
        {"misuse: invalid arguments", test_misuse_invalid_arguments},
        {"misuse: zero, forged, wrong-kind, freed and double-freed handles", test_misuse_handles},
        {"misuse: missing, broken and lying files", test_misuse_files_and_formats},
        {"last error is per thread", test_last_error_is_per_thread},
        {"a session used from two threads is BUSY, not broken", test_a_session_used_from_two_threads_is_busy_not_broken},
        {"every handle the suite made was freed (leak check)", test_every_handle_was_freed},
        {"probabilities match edgelstm predict", test_matches_cli_predict},
    };
    int count = (int)(sizeof tests / sizeof tests[0]), passed = 0, failed = 0;
    if (!g_cli_probs) {
        count--; /* the last one needs the CLI's output */
        printf("# no --cli-probs: the comparison with edgelstm predict is not run\n");
    }
    for (int i = 0; i < count; i++) {
        if (g_only && i + 1 != g_only) continue;
        g_test_failed = 0;
        double start = now_seconds();
        tests[i].run();
        double seconds = now_seconds() - start;
        if (g_test_failed) failed++;
        else passed++;
        printf("%s %d - %s (%.2f s)\n", g_test_failed ? "not ok" : "ok", i + 1, tests[i].name, seconds);
        fflush(stdout);
    }
    mnist_free(&g_test);
    mnist_free(&g_train);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
