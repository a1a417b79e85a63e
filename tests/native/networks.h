/*
 * The C suite's tests of the network calls (issue 11): GRU cells, per-step and regression heads, variable-length
 * batches, the cell/head/weight-type queries, and every hostile argument of the new functions. Included by
 * test_edgelstm.c after its harness (FAIL, CHECK, OK, FAILS, floats, fill, SENTINEL_CHECK, model_bytes, temp_path).
 */
#ifndef EDGELSTM_TESTS_NETWORKS_H
#define EDGELSTM_TESTS_NETWORKS_H

/* A small deterministic generator for the synthetic tasks (the same numbers on every machine). */
static uint32_t g_lcg = 12345u;
static float uniform(void) { /* in [-1, 1) */
    g_lcg = g_lcg * 1664525u + 1013904223u;
    return (float)(g_lcg >> 8) * (2.0f / 16777216.0f) - 1.0f;
}

static edgelstm_network network_of(int32_t input, int32_t hidden, int32_t layers, int32_t outputs, int32_t steps,
                                   edgelstm_cell cell, edgelstm_head head) {
    edgelstm_network n;
    memset(&n, 0, sizeof n);
    n.struct_size = sizeof n;
    n.input_size = input;
    n.hidden_size = hidden;
    n.layers = layers;
    n.outputs = outputs;
    n.steps = steps;
    n.cell = cell;
    n.head = head;
    return n;
}

static edgelstm_model network_model(const edgelstm_network* n, uint64_t seed) {
    edgelstm_model m = {0};
    OK(edgelstm_model_create_network(n, seed, &m));
    return m;
}

/* The regression task: 3 inputs per step; target 0 = the mean of input 0 over the sequence, target 1 = half the last
   input 1 plus half the first input 2 (so the network has to carry something from step 0 to the end). */
enum { REG_I = 3, REG_T = 10, REG_K = 2 };
static void regression_batch(int batch, float* x, float* targets) {
    for (int b = 0; b < batch; b++) {
        float* xb = x + (size_t)b * REG_T * REG_I;
        float mean = 0;
        for (int i = 0; i < REG_T * REG_I; i++) xb[i] = uniform();
        for (int t = 0; t < REG_T; t++) mean += xb[t * REG_I];
        targets[b * REG_K] = mean / REG_T;
        targets[b * REG_K + 1] = 0.5f * xb[(REG_T - 1) * REG_I + 1] + 0.5f * xb[2];
    }
}

/* The per-step task: 3 inputs per step; the label at each step is the index of its largest input. Sequence b of a
   batch is lengths[b] steps long; its padded steps hold NaN inputs (never read) and the label `pad_label`. */
enum { SEQ_I = 3, SEQ_T = 8, SEQ_K = 3 };
static void per_step_batch(int batch, float* x, int32_t* labels, int32_t* lengths, float pad_input, int32_t pad_label) {
    for (int b = 0; b < batch; b++) {
        lengths[b] = 1 + (int32_t)((g_lcg >> 16) % SEQ_T);
        for (int t = 0; t < SEQ_T; t++) {
            float* row = x + ((size_t)b * SEQ_T + t) * SEQ_I;
            for (int i = 0; i < SEQ_I; i++) row[i] = uniform();
            labels[b * SEQ_T + t] = argmax(row, SEQ_I);
            if (t >= lengths[b]) {
                for (int i = 0; i < SEQ_I; i++) row[i] = pad_input;
                labels[b * SEQ_T + t] = pad_label;
            }
        }
    }
}

static void test_network_create_and_query(void) {
    edgelstm_network n = network_of(REG_I, 16, 2, REG_K, REG_T, EDGELSTM_CELL_GRU, EDGELSTM_HEAD_REGRESS_LAST_STEP);
    edgelstm_model m = network_model(&n, 1);
    edgelstm_network got;
    memset(&got, 0x5a, sizeof got);
    got.struct_size = sizeof got;
    OK(edgelstm_model_network(m, &got));
    CHECK(memcmp(&got, &n, sizeof n) == 0);
    int32_t cell = -1, type = -1, index = -1;
    for (int l = 0; l < 2; l++) {
        OK(edgelstm_model_layer_cell(m, l, &cell));
        CHECK(cell == EDGELSTM_CELL_GRU);
    }
    OK(edgelstm_model_weight_type(m, &type));
    CHECK(type == EDGELSTM_WEIGHTS_FLOAT32);
    edgelstm_config c;
    OK(edgelstm_model_config(m, &c));
    CHECK(c.input_size == REG_I && c.hidden_size == 16 && c.layers == 2 && c.classes == REG_K && c.steps == REG_T);
    /* a GRU layer has 3 gate blocks: 3H·(I + H + 2) + 3H·(H + H + 2) + the head's K·H + K */
    int64_t count = 0;
    OK(edgelstm_model_parameter_count(m, &count));
    CHECK(count == 48 * (3 + 16 + 2) + 48 * (16 + 16 + 2) + REG_K * 16 + REG_K);
    OK(edgelstm_model_tensor_find(m, "gru.weight_hh_l1", &index));
    FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_model_tensor_find(m, "lstm.weight_hh_l1", &index));
    OK(edgelstm_model_free(m));

    /* the first create function makes LSTM last-step classifiers, as before */
    edgelstm_config small = {5, 4, 1, 3, 6};
    OK(edgelstm_model_create(&small, 1, &m));
    OK(edgelstm_model_network(m, &got));
    CHECK(got.cell == EDGELSTM_CELL_LSTM && got.head == EDGELSTM_HEAD_CLASSIFY_LAST_STEP && got.outputs == 3);
    OK(edgelstm_model_layer_cell(m, 0, &cell));
    CHECK(cell == EDGELSTM_CELL_LSTM);
    OK(edgelstm_model_free(m));

    /* every head and cell can be made; the head is what the model says */
    for (int head = 0; head < 4; head++)
        for (int k = 0; k < 2; k++) {
            edgelstm_network each = network_of(2, 3, 1, 4, 5, (edgelstm_cell)k, (edgelstm_head)head);
            m = network_model(&each, 2);
            OK(edgelstm_model_network(m, &got));
            CHECK(got.head == head && got.cell == k);
            OK(edgelstm_model_free(m));
        }

    /* a later header's larger struct: zero extra bytes are accepted, and zeroed when the library writes one */
    struct {
        edgelstm_network n;
        int32_t future[2];
    } bigger;
    memset(&bigger, 0, sizeof bigger);
    bigger.n = network_of(2, 3, 1, 4, 5, EDGELSTM_CELL_GRU, EDGELSTM_HEAD_CLASSIFY_EVERY_STEP);
    bigger.n.struct_size = sizeof bigger;
    OK(edgelstm_model_create_network(&bigger.n, 3, &m));
    bigger.future[0] = 7;
    bigger.future[1] = -1;
    OK(edgelstm_model_network(m, &bigger.n));
    CHECK(bigger.n.struct_size == sizeof bigger && bigger.future[0] == 0 && bigger.future[1] == 0);
    CHECK(bigger.n.head == EDGELSTM_HEAD_CLASSIFY_EVERY_STEP && bigger.n.cell == EDGELSTM_CELL_GRU);
    OK(edgelstm_model_free(m));
}

static void test_gru_regression_learns_from_c(void) {
    edgelstm_network n = network_of(REG_I, 16, 1, REG_K, REG_T, EDGELSTM_CELL_GRU, EDGELSTM_HEAD_REGRESS_LAST_STEP);
    edgelstm_model m = network_model(&n, 7);
    edgelstm_trainer t = {0};
    OK(edgelstm_trainer_create(m, 1e-2f, 1.0f, 3, &t));
    /* fewer batches on the slow runs (valgrind, qemu: --images below 32); the bar below holds for both */
    const int held = 64, batch = 16, batches = g_images >= 32 ? 150 : 60;
    size_t per = (size_t)REG_T * REG_I;
    float *hx = floats(held * per), *hy = floats(held * REG_K), *x = floats(batch * per), *y = floats(batch * REG_K);
    g_lcg = 99;
    regression_batch(held, hx, hy);
    float before = -1, after = -1, first = 0, last = 0;
    OK(edgelstm_trainer_evaluate_targets(t, hx, held * per, held, REG_T, NULL, 0, hy, held * REG_K, &before));
    for (int i = 0; i < batches; i++) {
        float loss = -1;
        regression_batch(batch, x, y);
        OK(edgelstm_trainer_train_targets(t, x, batch * per, batch, REG_T, NULL, 0, y, batch * REG_K, &loss));
        CHECK(loss >= 0 && isfinite(loss));
        if (i < 10) first += loss;
        if (i >= batches - 10) last += loss;
    }
    OK(edgelstm_trainer_evaluate_targets(t, hx, held * per, held, REG_T, NULL, 0, hy, held * REG_K, &after));
    printf("    GRU regression: held-out MSE %.5f -> %.5f; batch loss (mean of 10) %.5f -> %.5f\n", before, after,
           first / 10, last / 10);
    CHECK(after < 0.5f * before);
    CHECK(last < 0.5f * first);

    /* predict gives the real values: their mean squared error is the loss evaluate reports */
    float* out = floats(held * REG_K);
    OK(edgelstm_predict(m, hx, held * per, held, REG_T, EDGELSTM_PROBABILITIES, out, held * REG_K));
    double sum = 0;
    for (int i = 0; i < held * REG_K; i++) sum += (double)(out[i] - hy[i]) * (out[i] - hy[i]);
    CHECK(fabs(sum / (held * REG_K) - after) <= 1e-4 * after + 1e-7);
    float* logits = floats(held * REG_K);
    OK(edgelstm_predict(m, hx, held * per, held, REG_T, EDGELSTM_LOGITS, logits, held * REG_K));
    CHECK_SAME(out, logits, (size_t)held * REG_K); /* no softmax on a regression */

    /* a GRU session, step by step, gives the same values bit for bit */
    edgelstm_session s = {0};
    OK(edgelstm_session_create(m, 1, &s));
    float values[REG_K];
    for (int step = 0; step < REG_T; step++)
        OK(edgelstm_session_step(s, hx + (size_t)step * REG_I, REG_I, NULL, 0, values, REG_K));
    CHECK_SAME(values, out, (size_t)REG_K);
    OK(edgelstm_session_free(s));

    OK(edgelstm_trainer_free(t));
    OK(edgelstm_model_free(m));
    free(hx);
    free(hy);
    free(x);
    free(y);
    free(out);
    free(logits);
}

static void test_per_step_classifier_with_lengths(void) {
    edgelstm_network n = network_of(SEQ_I, 16, 1, SEQ_K, SEQ_T, EDGELSTM_CELL_LSTM, EDGELSTM_HEAD_CLASSIFY_EVERY_STEP);
    edgelstm_model m = network_model(&n, 5);
    edgelstm_trainer t = {0};
    OK(edgelstm_trainer_create(m, 2e-2f, 1.0f, 4, &t));
    const int held = 48, batch = 16, batches = g_images >= 32 ? 80 : 30;
    size_t per = (size_t)SEQ_T * SEQ_I;
    float *hx = floats(held * per), *x = floats(batch * per);
    int32_t *hl = (int32_t*)must_alloc(sizeof(int32_t) * held * SEQ_T), *hlen = (int32_t*)must_alloc(sizeof(int32_t) * held);
    int32_t *labels = (int32_t*)must_alloc(sizeof(int32_t) * batch * SEQ_T), *lengths = (int32_t*)must_alloc(sizeof(int32_t) * batch);
    g_lcg = 7;
    per_step_batch(held, hx, hl, hlen, NAN, 0);
    int64_t real = 0;
    for (int b = 0; b < held; b++) real += hlen[b];
    float before = -1, after = -1;
    int64_t right_before = -1, right_after = -1, judged = -1;
    OK(edgelstm_trainer_evaluate_labels(t, hx, held * per, held, SEQ_T, hlen, held, hl, held * SEQ_T, &before,
                                        &right_before, &judged));
    CHECK(judged == real); /* one row per real step: padded steps are not judged */
    for (int i = 0; i < batches; i++) {
        float loss = -1;
        per_step_batch(batch, x, labels, lengths, NAN, 2);
        OK(edgelstm_trainer_train_labels(t, x, batch * per, batch, SEQ_T, lengths, batch, labels, batch * SEQ_T, &loss));
        CHECK(loss > 0 && isfinite(loss)); /* NaN inputs at padded steps are not read */
    }
    OK(edgelstm_trainer_evaluate_labels(t, hx, held * per, held, SEQ_T, hlen, held, hl, held * SEQ_T, &after,
                                        &right_after, &judged));
    printf("    per-step classifier, lengths 1..%d: held-out loss %.4f -> %.4f, right %lld -> %lld of %lld steps\n",
           SEQ_T, before, after, (long long)right_before, (long long)right_after, (long long)judged);
    CHECK(judged == real);
    CHECK(after < 0.7f * before);
    CHECK(right_after * 10 > judged * 8);

    /* predict_lengths: each sequence's rows equal those of the sequence run alone at its own length, bit for bit,
       and a padded step's row is zeros (pad_packed_sequence's padding: no step there to predict) */
    static const float zeros[SEQ_K];
    float *out = floats(held * SEQ_T * SEQ_K), *alone = floats(SEQ_T * SEQ_K);
    OK(edgelstm_predict_lengths(m, hx, held * per, held, SEQ_T, hlen, held, EDGELSTM_PROBABILITIES, out,
                                held * SEQ_T * SEQ_K));
    int64_t right = 0;
    for (int b = 0; b < held; b++) {
        const float* rows = out + (size_t)b * SEQ_T * SEQ_K;
        OK(edgelstm_predict(m, hx + b * per, (size_t)hlen[b] * SEQ_I, 1, hlen[b], EDGELSTM_PROBABILITIES, alone,
                            (size_t)hlen[b] * SEQ_K));
        CHECK_SAME(rows, alone, (size_t)hlen[b] * SEQ_K);
        for (int step = hlen[b]; step < SEQ_T; step++)
            CHECK_SAME(rows + (size_t)step * SEQ_K, zeros, (size_t)SEQ_K);
        for (int step = 0; step < hlen[b]; step++) right += argmax(rows + step * SEQ_K, SEQ_K) == hl[b * SEQ_T + step];
    }
    CHECK(right == right_after); /* evaluate counts what predict says */

    /* run_lengths: each sequence's final h is its state after its own length; its outputs past it are zeros */
    size_t h_len = (size_t)held * 16, outputs_len = (size_t)SEQ_T * held * 16;
    float *final_h = floats(h_len), *one_h = floats(16), *outputs = floats(outputs_len);
    static const float zero_h[16];
    OK(edgelstm_run_lengths(m, hx, held * per, held, SEQ_T, hlen, held, outputs, outputs_len, NULL, 0, final_h, h_len,
                            NULL, 0));
    for (int b = 0; b < held; b += 7) {
        OK(edgelstm_run(m, hx + b * per, (size_t)hlen[b] * SEQ_I, 1, hlen[b], NULL, 0, NULL, 0, one_h, 16, NULL, 0));
        CHECK_SAME(final_h + (size_t)b * 16, one_h, (size_t)16);
        CHECK_SAME(outputs + ((size_t)(hlen[b] - 1) * held + b) * 16, one_h, (size_t)16); /* [T][B][H] */
        for (int step = hlen[b]; step < SEQ_T; step++)
            CHECK_SAME(outputs + ((size_t)step * held + b) * 16, zero_h, (size_t)16);
    }

    /* padded steps contribute nothing: NaN or zero inputs, label 2 or 0 there, the same losses and weights */
    unsigned char* trained[2];
    size_t sizes[2];
    for (int v = 0; v < 2; v++) {
        edgelstm_model copy = {0};
        edgelstm_trainer ct = {0};
        OK(edgelstm_model_clone(m, &copy));
        OK(edgelstm_trainer_create(copy, 1e-2f, 0.5f, 9, &ct));
        g_lcg = 2024;
        for (int i = 0; i < 3; i++) {
            float loss = -1;
            per_step_batch(batch, x, labels, lengths, v ? NAN : 0.0f, v ? 2 : 0);
            OK(edgelstm_trainer_train_labels(ct, x, batch * per, batch, SEQ_T, lengths, batch, labels, batch * SEQ_T,
                                             &loss));
        }
        trained[v] = model_bytes(copy, &sizes[v]);
        OK(edgelstm_trainer_free(ct));
        OK(edgelstm_model_free(copy));
    }
    CHECK(sizes[0] == sizes[1] && memcmp(trained[0], trained[1], sizes[0]) == 0);

    OK(edgelstm_trainer_free(t));
    OK(edgelstm_model_free(m));
    free(trained[0]);
    free(trained[1]);
    free(hx);
    free(x);
    free(hl);
    free(hlen);
    free(labels);
    free(lengths);
    free(out);
    free(alone);
    free(final_h);
    free(one_h);
    free(outputs);
}

/* Predictions of `m` on a fixed batch of the regression task's shape, [8][K] or [8][T][K]. */
static float* network_outputs(edgelstm_model m, int per_step, size_t* count) {
    const int batch = 8;
    size_t per = (size_t)REG_T * REG_I;
    float *x = floats(batch * per), *y = floats(batch * REG_K);
    g_lcg = 31;
    regression_batch(batch, x, y);
    *count = (size_t)batch * REG_K * (per_step ? REG_T : 1);
    float* out = floats(*count);
    OK(edgelstm_predict(m, x, batch * per, batch, REG_T, EDGELSTM_PROBABILITIES, out, *count));
    free(x);
    free(y);
    return out;
}

static void test_network_saved_and_reloaded_gives_the_same_outputs(void) {
    static const struct {
        edgelstm_cell cell;
        edgelstm_head head;
    } kinds[] = {{EDGELSTM_CELL_GRU, EDGELSTM_HEAD_REGRESS_LAST_STEP},
                 {EDGELSTM_CELL_GRU, EDGELSTM_HEAD_CLASSIFY_EVERY_STEP},
                 {EDGELSTM_CELL_LSTM, EDGELSTM_HEAD_REGRESS_EVERY_STEP}};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        edgelstm_network n = network_of(REG_I, 8, 2, REG_K, REG_T, kinds[k].cell, kinds[k].head);
        edgelstm_model m = network_model(&n, 11 + k);
        int per_step = kinds[k].head == EDGELSTM_HEAD_CLASSIFY_EVERY_STEP || kinds[k].head == EDGELSTM_HEAD_REGRESS_EVERY_STEP;
        size_t count = 0, count2 = 0, count3 = 0, size = 0;
        float* before = network_outputs(m, per_step, &count);

        char path[256];
        temp_path(path, sizeof path, "network.safetensors");
        OK(edgelstm_model_save(m, path));
        edgelstm_model loaded = {0}, from_memory = {0};
        OK(edgelstm_model_load(path, &loaded));
        unsigned char* bytes = model_bytes(m, &size);
        OK(edgelstm_model_load_memory(bytes, size, &from_memory));

        edgelstm_network got;
        got.struct_size = sizeof got;
        OK(edgelstm_model_network(loaded, &got));
        CHECK(memcmp(&got, &n, sizeof n) == 0);
        char version[8] = "";
        size_t needed = 0;
        OK(edgelstm_model_metadata_value(loaded, "format_version", version, sizeof version, &needed));
        CHECK(strcmp(version, "2") == 0); /* a GRU or another head is a version-2 file */
        float* after = network_outputs(loaded, per_step, &count2);
        float* again = network_outputs(from_memory, per_step, &count3);
        CHECK(count == count2 && count == count3);
        CHECK_SAME(before, after, count);
        CHECK_SAME(before, again, count);
        unlink(path);
        free(before);
        free(after);
        free(again);
        free(bytes);
        OK(edgelstm_model_free(loaded));
        OK(edgelstm_model_free(from_memory));
        OK(edgelstm_model_free(m));
    }

    /* a GRU regression trainer's checkpoint continues exactly */
    edgelstm_network n = network_of(REG_I, 8, 1, REG_K, REG_T, EDGELSTM_CELL_GRU, EDGELSTM_HEAD_REGRESS_LAST_STEP);
    edgelstm_model m = network_model(&n, 3), resumed = {0};
    edgelstm_trainer t = {0}, rt = {0};
    OK(edgelstm_trainer_create(m, 1e-2f, 0.5f, 8, &t));
    size_t per = (size_t)REG_T * REG_I, size = 0, s1 = 0, s2 = 0;
    float *x = floats(8 * per), *y = floats(8 * REG_K), l1 = -1, l2 = -2;
    g_lcg = 5;
    regression_batch(8, x, y);
    OK(edgelstm_trainer_train_targets(t, x, 8 * per, 8, REG_T, NULL, 0, y, 8 * REG_K, &l1));
    unsigned char* checkpoint = checkpoint_bytes(t, &size);
    OK(edgelstm_trainer_load_checkpoint_memory(checkpoint, size, &resumed, &rt));
    regression_batch(8, x, y);
    OK(edgelstm_trainer_train_targets(t, x, 8 * per, 8, REG_T, NULL, 0, y, 8 * REG_K, &l1));
    OK(edgelstm_trainer_train_targets(rt, x, 8 * per, 8, REG_T, NULL, 0, y, 8 * REG_K, &l2));
    CHECK(memcmp(&l1, &l2, sizeof l1) == 0);
    unsigned char *a = model_bytes(m, &s1), *b = model_bytes(resumed, &s2);
    CHECK(s1 == s2 && memcmp(a, b, s1) == 0);
    free(a);
    free(b);
    free(checkpoint);
    free(x);
    free(y);
    OK(edgelstm_trainer_free(t));
    OK(edgelstm_trainer_free(rt));
    OK(edgelstm_model_free(m));
    OK(edgelstm_model_free(resumed));
}

static void test_gru_session_state(void) {
    enum { H = 6, L = 2, B = 2 };
    edgelstm_network n = network_of(REG_I, H, L, REG_K, REG_T, EDGELSTM_CELL_GRU, EDGELSTM_HEAD_REGRESS_EVERY_STEP);
    edgelstm_model m = network_model(&n, 21);
    size_t per = (size_t)REG_T * REG_I;
    float *x = floats(B * per), *y = floats(B * REG_K), *final_h = floats(L * B * H), *c = floats(L * B * H + 1);
    float *whole = floats(B * REG_T * REG_K), h[B * H], saved[L][B * H], step_x[B * REG_I], values[B * REG_K];
    g_lcg = 77;
    regression_batch(B, x, y);
    OK(edgelstm_run(m, x, B * per, B, REG_T, NULL, 0, NULL, 0, final_h, L * B * H, whole, B * REG_T * REG_K));
    /* a GRU has no cell state: final_c is refused, not filled with zeros */
    fill(c, L * B * H + 1);
    FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_run(m, x, B * per, B, REG_T, NULL, 0, c, L * B * H, NULL, 0, NULL, 0));
    CHECK(strstr(edgelstm_last_error(), "GRU") != NULL);
    SENTINEL_CHECK(c, L * B * H + 1);
    /* one rule for a GRU's cell state in every call (edgelstm.h, Conventions): only NULL with length 0 is taken; a
     * NULL final_c with a length, or an array with length 0, is INVALID_ARGUMENT as in the session calls below, not
     * NULL_POINTER, and no other output is written (c stands in for final_h here) */
    FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_run(m, x, B * per, B, REG_T, NULL, 0, NULL, L * B * H, c, L * B * H, NULL, 0));
    CHECK(strstr(edgelstm_last_error(), "GRU") != NULL);
    FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_run(m, x, B * per, B, REG_T, NULL, 0, c, 0, NULL, 0, NULL, 0));
    FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_run_lengths(m, x, B * per, B, REG_T, NULL, 0, NULL, 0, NULL, L * B * H, c, L * B * H, NULL, 0));
    CHECK(strstr(edgelstm_last_error(), "GRU") != NULL);
    FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_run_lengths(m, x, B * per, B, REG_T, NULL, 0, NULL, 0, c, 0, NULL, 0, NULL, 0));
    SENTINEL_CHECK(c, L * B * H + 1);

    edgelstm_session s = {0}, s2 = {0};
    OK(edgelstm_session_create(m, B, &s));
    OK(edgelstm_session_create(m, B, &s2));
    for (int t = 0; t < REG_T; t++) {
        for (int b = 0; b < B; b++) memcpy(step_x + b * REG_I, x + b * per + (size_t)t * REG_I, sizeof(float) * REG_I);
        OK(edgelstm_session_step(s, step_x, B * REG_I, NULL, 0, values, B * REG_K));
        for (int b = 0; b < B; b++) CHECK_SAME(values + b * REG_K, whole + ((size_t)b * REG_T + t) * REG_K, (size_t)REG_K);
        if (t == 4) { /* hand the state over to the second session halfway */
            fill(c, (size_t)B * H + 1);
            for (int l = 0; l < L; l++) {
                FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_session_get_state(s, l, c, (size_t)B * H, saved[l], (size_t)B * H));
                FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_session_get_state(s, l, NULL, (size_t)B * H, saved[l], (size_t)B * H));
                FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_session_get_state(s, l, c, 0, saved[l], (size_t)B * H));
                CHECK(strstr(edgelstm_last_error(), "GRU") != NULL);
                FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_session_set_state(s2, l, NULL, (size_t)B * H, saved[l], (size_t)B * H));
                OK(edgelstm_session_get_state(s, l, NULL, 0, saved[l], (size_t)B * H));
                FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_session_set_state(s2, l, c, (size_t)B * H, saved[l], (size_t)B * H));
                OK(edgelstm_session_set_state(s2, l, NULL, 0, saved[l], (size_t)B * H));
            }
            SENTINEL_CHECK(c, (size_t)B * H + 1);
        } else if (t > 4) {
            OK(edgelstm_session_step(s2, step_x, B * REG_I, NULL, 0, values, B * REG_K));
            for (int b = 0; b < B; b++) CHECK_SAME(values + b * REG_K, whole + ((size_t)b * REG_T + t) * REG_K, (size_t)REG_K);
        }
    }
    for (int l = 0; l < L; l++) {
        OK(edgelstm_session_get_state(s2, l, NULL, 0, h, (size_t)B * H));
        CHECK_SAME(h, final_h + (size_t)l * B * H, (size_t)B * H);
    }
    /* resetting one stream zeroes its h in every layer and leaves the other's */
    OK(edgelstm_session_reset_stream(s2, 1));
    for (int l = 0; l < L; l++) {
        OK(edgelstm_session_get_state(s2, l, NULL, 0, h, (size_t)B * H));
        CHECK_SAME(h, final_h + (size_t)l * B * H, (size_t)H);
        for (int i = H; i < B * H; i++) CHECK(h[i] == 0);
    }
    OK(edgelstm_session_free(s));
    OK(edgelstm_session_free(s2));
    OK(edgelstm_model_free(m));
    free(x);
    free(y);
    free(final_h);
    free(c);
    free(whole);
}

static const char* g_int8_model; /* --int8-model: g_model_path quantized by edgelstm quantize, when the CLI has it */

static void test_weight_type(void) {
    edgelstm_model m = load_model();
    int32_t type = -1;
    OK(edgelstm_model_weight_type(m, &type));
    CHECK(type == EDGELSTM_WEIGHTS_FLOAT32);
    if (!g_int8_model) {
        printf("    # no --int8-model: only float32 models were asked\n");
        OK(edgelstm_model_free(m));
        return;
    }
    edgelstm_model q = {0};
    OK(edgelstm_model_load(g_int8_model, &q));
    OK(edgelstm_model_weight_type(q, &type));
    CHECK(type == EDGELSTM_WEIGHTS_INT8);
    edgelstm_model clone = {0};
    OK(edgelstm_model_clone(q, &clone));
    type = -1;
    OK(edgelstm_model_weight_type(clone, &type));
    CHECK(type == EDGELSTM_WEIGHTS_INT8);
    edgelstm_trainer t = {7};
    FAILS(EDGELSTM_ERROR_UNSUPPORTED, edgelstm_trainer_create(q, 1e-3f, 0.5f, 1, &t));
    CHECK(t.id == 0);
    CHECK(strstr(edgelstm_last_error(), "int8") != NULL);
    /* it runs with no other call, and mostly agrees with the float32 model it came from */
    edgelstm_config c = config_of(m);
    const int n = g_images;
    size_t x_len = (size_t)n * c.steps * c.input_size, p_len = (size_t)n * c.classes;
    float *x = mnist_batch(&g_test, 0, n), *p = floats(p_len), *pq = floats(p_len);
    OK(edgelstm_predict(m, x, x_len, n, c.steps, EDGELSTM_PROBABILITIES, p, p_len));
    OK(edgelstm_predict(q, x, x_len, n, c.steps, EDGELSTM_PROBABILITIES, pq, p_len));
    int same = 0;
    for (int b = 0; b < n; b++) same += argmax(p + (size_t)b * c.classes, c.classes) == argmax(pq + (size_t)b * c.classes, c.classes);
    printf("    int8 model: the same class as float32 for %d of %d images\n", same, n);
    CHECK(same * 10 >= n * 8); /* a 20-iteration model is unsure of many images: int8 may flip a close call */
    free(x);
    free(p);
    free(pq);
    OK(edgelstm_model_free(clone));
    OK(edgelstm_model_free(q));
    OK(edgelstm_model_free(m));
}

/* Every hostile argument of the network calls: a clean status, a message naming the argument, nothing written. */
static void test_network_misuse(void) {
    edgelstm_network n = network_of(REG_I, 6, 1, REG_K, REG_T, EDGELSTM_CELL_GRU, EDGELSTM_HEAD_REGRESS_EVERY_STEP);
    edgelstm_network cls = network_of(SEQ_I, 6, 1, SEQ_K, SEQ_T, EDGELSTM_CELL_LSTM, EDGELSTM_HEAD_CLASSIFY_EVERY_STEP);
    edgelstm_model reg = network_model(&n, 1), pc = network_model(&cls, 2), out = {99};
    edgelstm_trainer rt = {0}, ct = {0};
    OK(edgelstm_trainer_create(reg, 1e-3f, 1.0f, 1, &rt));
    OK(edgelstm_trainer_create(pc, 1e-3f, 1.0f, 1, &ct));
    enum { B = 2 };
    size_t rx_len = (size_t)B * REG_T * REG_I, ry_len = (size_t)B * REG_T * REG_K;
    size_t cx_len = (size_t)B * SEQ_T * SEQ_I, cl_len = (size_t)B * SEQ_T, co_len = (size_t)B * SEQ_T * SEQ_K;
    float *rx = floats(rx_len + 1), *ry = floats(ry_len + 1), *cx = floats(cx_len + 1), *o = floats(co_len + ry_len + 1);
    int32_t labels[B * SEQ_T + 1], lengths[B + 1] = {SEQ_T, 3, 1}, rlen[B] = {REG_T, 2}, cell = -7, type = -7;
    for (size_t i = 0; i < (size_t)B * SEQ_T + 1; i++) labels[i] = (int32_t)(i % SEQ_K);
    float loss = -7;
    int64_t correct = -7, judged = -7;
    edgelstm_network got;
    size_t size_before = 0, size_after = 0;
    unsigned char* weights_before = model_bytes(reg, &size_before);

    /* create and query */
    FAILS(EDGELSTM_ERROR_NULL_POINTER, edgelstm_model_create_network(NULL, 1, &out));
    CHECK(out.id == 0);
    FAILS(EDGELSTM_ERROR_NULL_POINTER, edgelstm_model_create_network(&n, 1, NULL));
    edgelstm_network bad = n;
    bad.struct_size = 0;
    FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_model_create_network(&bad, 1, &out));
    CHECK(strstr(edgelstm_last_error(), "struct_size") != NULL);
    bad.struct_size = sizeof bad - 4;
    FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_model_create_network(&bad, 1, &out));
    bad.struct_size = 0xFFFFFFFFu; /* never read past a made-up size */
    FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_model_create_network(&bad, 1, &out));
    struct {
        edgelstm_network n;
        int32_t future;
    } newer = {n, 1};
    newer.n.struct_size = sizeof newer;
    FAILS(EDGELSTM_ERROR_UNSUPPORTED, edgelstm_model_create_network(&newer.n, 1, &out));
    const int32_t wrong_fields[][2] = {{1, 0}, {1, -1}, {1, 65537}, {2, 0}, {2, 8193}, {3, 0}, {3, 65}, {4, 0},
                                       {4, 4097}, {5, 0}, {5, -5}, {6, 2}, {6, -1}, {7, 4}, {7, -1}, {7, 1 << 30}};
    for (size_t i = 0; i < sizeof wrong_fields / sizeof wrong_fields[0]; i++) {
        bad = n;
        ((int32_t*)&bad)[wrong_fields[i][0]] = wrong_fields[i][1];
        out.id = 99;
        FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_model_create_network(&bad, 1, &out));
        CHECK(out.id == 0);
    }
    bad = network_of(65536, 8192, 64, 4096, 1, EDGELSTM_CELL_GRU, EDGELSTM_HEAD_REGRESS_LAST_STEP); /* > 2^28 weights */
    FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_model_create_network(&bad, 1, &out));
    memset(&got, 0x7f, sizeof got);
    got.struct_size = 3;
    FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_model_network(reg, &got));
    CHECK(got.struct_size == 3 && got.input_size == 0x7f7f7f7f);
    FAILS(EDGELSTM_ERROR_NULL_POINTER, edgelstm_model_network(reg, NULL));
    FAILS(EDGELSTM_ERROR_INVALID_HANDLE, edgelstm_model_network((edgelstm_model){0}, &got));
    FAILS(EDGELSTM_ERROR_INVALID_HANDLE, edgelstm_model_network((edgelstm_model){rt.id}, &got)); /* a trainer */
    FAILS(EDGELSTM_ERROR_NULL_POINTER, edgelstm_model_layer_cell(reg, 0, NULL));
    FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_model_layer_cell(reg, 1, &cell));
    FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_model_layer_cell(reg, -1, &cell));
    FAILS(EDGELSTM_ERROR_INVALID_HANDLE, edgelstm_model_layer_cell((edgelstm_model){12345}, 0, &cell));
    FAILS(EDGELSTM_ERROR_NULL_POINTER, edgelstm_model_weight_type(reg, NULL));
    FAILS(EDGELSTM_ERROR_INVALID_HANDLE, edgelstm_model_weight_type((edgelstm_model){0}, &type));
    CHECK(cell == -7 && type == -7);

    /* predict_lengths and run_lengths */
    fill(o, co_len + 1);
    FAILS(EDGELSTM_ERROR_NULL_POINTER, edgelstm_predict_lengths(pc, cx, cx_len, B, SEQ_T, NULL, B, EDGELSTM_LOGITS, o, co_len));
    CHECK(strstr(edgelstm_last_error(), "lengths") != NULL);
    FAILS(EDGELSTM_ERROR_WRONG_LENGTH, edgelstm_predict_lengths(pc, cx, cx_len, B, SEQ_T, lengths, B + 1, EDGELSTM_LOGITS, o, co_len));
    FAILS(EDGELSTM_ERROR_WRONG_LENGTH, edgelstm_predict_lengths(pc, cx, cx_len, B, SEQ_T, lengths, B, EDGELSTM_LOGITS, o, (size_t)B * SEQ_K));
    CHECK(strstr(edgelstm_last_error(), "per-step") != NULL);
    FAILS(EDGELSTM_ERROR_WRONG_LENGTH, edgelstm_predict(pc, cx, cx_len, B, SEQ_T, EDGELSTM_LOGITS, o, (size_t)B * SEQ_K));
    FAILS(EDGELSTM_ERROR_NULL_POINTER, edgelstm_predict_lengths(pc, NULL, cx_len, B, SEQ_T, lengths, B, EDGELSTM_LOGITS, o, co_len));
    FAILS(EDGELSTM_ERROR_NULL_POINTER, edgelstm_predict_lengths(pc, cx, cx_len, B, SEQ_T, lengths, B, EDGELSTM_LOGITS, NULL, co_len));
    FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_predict_lengths(pc, cx, cx_len, 0, SEQ_T, lengths, B, EDGELSTM_LOGITS, o, co_len));
    FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_predict_lengths(pc, cx, cx_len, B, -1, lengths, B, EDGELSTM_LOGITS, o, co_len));
    FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_predict_lengths(pc, cx, cx_len, 2147483647, 2147483647, lengths, B, EDGELSTM_LOGITS, o, co_len));
    FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_predict_lengths(pc, cx, cx_len, B, SEQ_T, lengths, B, (edgelstm_output)5, o, co_len));
    const int32_t bad_lengths[] = {0, -1, SEQ_T + 1, INT32_MIN, INT32_MAX};
    for (size_t i = 0; i < sizeof bad_lengths / sizeof bad_lengths[0]; i++) {
        int32_t l2[B] = {SEQ_T, bad_lengths[i]};
        FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_predict_lengths(pc, cx, cx_len, B, SEQ_T, l2, B, EDGELSTM_PROBABILITIES, o, co_len));
        CHECK(strstr(edgelstm_last_error(), "lengths[1]") != NULL);
        FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_run_lengths(pc, cx, cx_len, B, SEQ_T, l2, B, NULL, 0, NULL, 0, NULL, 0, o, co_len));
        FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_trainer_train_labels(ct, cx, cx_len, B, SEQ_T, l2, B, labels, cl_len, &loss));
        FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_trainer_evaluate_labels(ct, cx, cx_len, B, SEQ_T, l2, B, labels, cl_len, &loss, &correct, &judged));
        int32_t l3[B] = {REG_T, bad_lengths[i] == SEQ_T + 1 ? REG_T + 1 : bad_lengths[i]}; /* the regression's T */
        FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_trainer_train_targets(rt, rx, rx_len, B, REG_T, l3, B, ry, ry_len, &loss));
        CHECK(strstr(edgelstm_last_error(), "lengths[1]") != NULL);
    }
    FAILS(EDGELSTM_ERROR_NULL_POINTER, edgelstm_run_lengths(pc, cx, cx_len, B, SEQ_T, NULL, 1, NULL, 0, NULL, 0, NULL, 0, o, co_len));
    FAILS(EDGELSTM_ERROR_NULL_POINTER, edgelstm_run_lengths(pc, cx, cx_len, B, SEQ_T, lengths, B, NULL, 7, NULL, 0, NULL, 0, NULL, 0));
    FAILS(EDGELSTM_ERROR_WRONG_LENGTH, edgelstm_run_lengths(pc, cx, cx_len, B, SEQ_T, lengths, B, NULL, 0, o, 5, NULL, 0, NULL, 0));
    FAILS(EDGELSTM_ERROR_WRONG_LENGTH, edgelstm_run_lengths(pc, cx, cx_len, B, SEQ_T, lengths, B, NULL, 0, NULL, 0, NULL, 0, o, co_len - 1));
    FAILS(EDGELSTM_ERROR_INVALID_HANDLE, edgelstm_run_lengths((edgelstm_model){ct.id}, cx, cx_len, B, SEQ_T, lengths, B, NULL, 0, NULL, 0, NULL, 0, o, co_len));
    SENTINEL_CHECK(o, co_len + 1);

    /* training and evaluation: the wrong kind of target for the head */
    FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_trainer_train_batch(ct, cx, cx_len, labels, B, SEQ_T, &loss));
    CHECK(strstr(edgelstm_last_error(), "edgelstm_trainer_train_labels") != NULL);
    FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_trainer_evaluate(ct, cx, cx_len, labels, B, SEQ_T, &loss, &(int32_t){0}));
    FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_trainer_train_targets(ct, cx, cx_len, B, SEQ_T, NULL, 0, ry, cl_len * SEQ_K, &loss));
    FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_trainer_train_labels(rt, rx, rx_len, B, REG_T, NULL, 0, labels, (size_t)B * REG_T, &loss));
    CHECK(strstr(edgelstm_last_error(), "edgelstm_trainer_train_targets") != NULL);
    FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_trainer_evaluate_labels(rt, rx, rx_len, B, REG_T, NULL, 0, labels, (size_t)B * REG_T, &loss, &correct, &judged));
    FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_trainer_evaluate_targets(ct, cx, cx_len, B, SEQ_T, NULL, 0, ry, cl_len * SEQ_K, &loss));
    /* the call, not the pointer passed, says what it takes: NULL targets to a _targets call on a classifier still
       names the labels call; on a regression they are a NULL pointer */
    FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_trainer_train_targets(ct, cx, cx_len, B, SEQ_T, NULL, 0, NULL, 0, &loss));
    CHECK(strstr(edgelstm_last_error(), "edgelstm_trainer_train_labels") != NULL);
    FAILS(EDGELSTM_ERROR_NULL_POINTER, edgelstm_trainer_train_targets(rt, rx, rx_len, B, REG_T, NULL, 0, NULL, 0, &loss));
    /* SIZE_MAX is a length like any other: wrong */
    FAILS(EDGELSTM_ERROR_WRONG_LENGTH, edgelstm_trainer_train_labels(ct, cx, cx_len, B, SEQ_T, lengths, B, labels, SIZE_MAX, &loss));
    /* labels: NULL, wrong counts, out of range at a real step */
    FAILS(EDGELSTM_ERROR_NULL_POINTER, edgelstm_trainer_train_labels(ct, cx, cx_len, B, SEQ_T, lengths, B, NULL, cl_len, &loss));
    FAILS(EDGELSTM_ERROR_WRONG_LENGTH, edgelstm_trainer_train_labels(ct, cx, cx_len, B, SEQ_T, lengths, B, labels, B, &loss));
    FAILS(EDGELSTM_ERROR_WRONG_LENGTH, edgelstm_trainer_train_labels(ct, cx, cx_len, B, SEQ_T, lengths, B, labels, cl_len + 1, &loss));
    FAILS(EDGELSTM_ERROR_WRONG_LENGTH, edgelstm_trainer_train_labels(ct, cx, cx_len - 1, B, SEQ_T, lengths, B, labels, cl_len, &loss));
    FAILS(EDGELSTM_ERROR_NULL_POINTER, edgelstm_trainer_train_labels(ct, cx, cx_len, B, SEQ_T, lengths, B, labels, cl_len, NULL));
    FAILS(EDGELSTM_ERROR_NULL_POINTER, edgelstm_trainer_evaluate_labels(ct, cx, cx_len, B, SEQ_T, lengths, B, labels, cl_len, &loss, NULL, &judged));
    FAILS(EDGELSTM_ERROR_NULL_POINTER, edgelstm_trainer_evaluate_labels(ct, cx, cx_len, B, SEQ_T, lengths, B, labels, cl_len, &loss, &correct, NULL));
    FAILS(EDGELSTM_ERROR_NULL_POINTER, edgelstm_trainer_evaluate_labels(ct, cx, cx_len, B, SEQ_T, lengths, B, labels, cl_len, NULL, &correct, &judged));
    const int32_t bad_labels[] = {-1, SEQ_K, INT32_MIN, INT32_MAX};
    for (size_t i = 0; i < sizeof bad_labels / sizeof bad_labels[0]; i++) {
        labels[SEQ_T + 2] = bad_labels[i]; /* sample 1, step 2: a real step (its length is 3) */
        FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_trainer_train_labels(ct, cx, cx_len, B, SEQ_T, lengths, B, labels, cl_len, &loss));
        CHECK(strstr(edgelstm_last_error(), "abel") != NULL);
        FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_trainer_evaluate_labels(ct, cx, cx_len, B, SEQ_T, lengths, B, labels, cl_len, &loss, &correct, &judged));
    }
    labels[SEQ_T + 2] = 0;
    /* targets: NULL, wrong counts, non-finite where the loss reads them */
    FAILS(EDGELSTM_ERROR_NULL_POINTER, edgelstm_trainer_train_targets(rt, rx, rx_len, B, REG_T, rlen, B, NULL, ry_len, &loss));
    FAILS(EDGELSTM_ERROR_WRONG_LENGTH, edgelstm_trainer_train_targets(rt, rx, rx_len, B, REG_T, rlen, B, ry, (size_t)B * REG_K, &loss));
    FAILS(EDGELSTM_ERROR_WRONG_LENGTH, edgelstm_trainer_evaluate_targets(rt, rx, rx_len, B, REG_T, rlen, B, ry, ry_len - 1, &loss));
    FAILS(EDGELSTM_ERROR_NULL_POINTER, edgelstm_trainer_evaluate_targets(rt, rx, rx_len, B, REG_T, rlen, B, ry, ry_len, NULL));
    FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_trainer_train_targets(rt, rx, rx_len, -3, REG_T, NULL, 0, ry, ry_len, &loss));
    FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_trainer_train_targets(rt, rx, rx_len, 65536, 65536, NULL, 0, ry, ry_len, &loss));
    const float non_finite[] = {NAN, INFINITY, -INFINITY};
    for (size_t i = 0; i < 3; i++) {
        ry[(size_t)REG_T * REG_K + 1 * REG_K + 1] = non_finite[i]; /* sample 1, step 1, output 1: real (length 2) */
        FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_trainer_train_targets(rt, rx, rx_len, B, REG_T, rlen, B, ry, ry_len, &loss));
        CHECK(strstr(edgelstm_last_error(), "targets[23] (sample 1, step 1, output 1)") != NULL);
        FAILS(EDGELSTM_ERROR_INVALID_ARGUMENT, edgelstm_trainer_evaluate_targets(rt, rx, rx_len, B, REG_T, rlen, B, ry, ry_len, &loss));
    }
    ry[(size_t)REG_T * REG_K + 1 * REG_K + 1] = 0;
    ry[(size_t)REG_T * REG_K + 5 * REG_K] = NAN; /* sample 1, step 5: padded, never read */
    int64_t iterations = -1;
    CHECK(loss == -7 && correct == -7 && judged == -7);
    OK(edgelstm_trainer_iterations(rt, &iterations));
    CHECK(iterations == 0); /* no failed call trained */
    unsigned char* weights_after = model_bytes(reg, &size_after);
    CHECK(size_after == size_before && memcmp(weights_after, weights_before, size_before) == 0);
    free(weights_before);
    free(weights_after);
    OK(edgelstm_trainer_train_targets(rt, rx, rx_len, B, REG_T, rlen, B, ry, ry_len, &loss));
    CHECK(isfinite(loss));
    OK(edgelstm_trainer_evaluate_labels(ct, cx, cx_len, B, SEQ_T, lengths, B, labels, cl_len, &loss, &correct, &judged));
    CHECK(judged == SEQ_T + 3 && correct >= 0 && correct <= judged);

    OK(edgelstm_trainer_free(rt));
    OK(edgelstm_trainer_free(ct));
    OK(edgelstm_model_free(reg));
    OK(edgelstm_model_free(pc));
    free(rx);
    free(ry);
    free(cx);
    free(o);
}

#endif
