/*
 * The C suite's tests of models with preprocessing (issue 12): a model trained by `edgelstm train --data FILE` stores
 * its per-feature normalisation, its target scaling and, for a forecaster, its window and the choice to work relative
 * to the window's last value; the library applies all of it inside, so C feeds raw readings and gets values in the
 * data's units. tools/test.d/60-native.sh writes the data, trains the models with the CLI and gives this suite the
 * CLI's own predictions (`edgelstm predict MODEL --data FILE --out CSV`) on the same readings. Included by
 * test_edgelstm.c after its harness (FAIL, CHECK, OK, FAILS, floats, CHECK_SAME).
 */
#ifndef EDGELSTM_TESTS_PREPROCESSING_H
#define EDGELSTM_TESTS_PREPROCESSING_H

/* --raw-model MODEL DATA PREDICTIONS: a per-sequence regression trained on a long-format CSV ("id,t,a,b,y", rows
   grouped by id in step order) and the CLI's predictions ("id,prediction"). */
static const char* g_raw[3];
/* --forecast-model MODEL SERIES PREDICTIONS: a forecaster (window, horizon, relative to the last value) trained on a
   one-column series ("level" then one value per line) and the CLI's forecast ("after,steps_ahead,level"). */
static const char* g_forecast[3];

enum { RAW_MAX_SEQUENCES = 256, RAW_MAX_STEPS = 64, RAW_FEATURES = 2, SERIES_MAX = 4096 };

/* The CLI writes regression values with .NET's round-trip format ("R"), every digit of the float. The x64 library
   gives the same floats here (the count is printed); arm64 (128-bit vectors, not AVX-512) sums in another order, so
   agreement is asked to 1e-6 of the value: a few units in the last place of a float in the hundreds. A model that did
   not normalise its raw inputs (around 1000) or did not undo its target scaling would be off by tens to hundreds. */
static int same_value(float got, float expected) { return fabsf(got - expected) <= 1e-6f * fabsf(expected) + 1e-6f; }

static char* metadata_text(edgelstm_model m, const char* key) {
    size_t needed = 0;
    if (edgelstm_model_metadata_value(m, key, NULL, 0, &needed) != EDGELSTM_ERROR_BUFFER_TOO_SMALL) {
        FAIL("the model has no metadata \"%s\": %s", key, edgelstm_last_error());
        return NULL;
    }
    char* text = (char*)must_alloc(needed);
    OK(edgelstm_model_metadata_value(m, key, text, needed, &needed));
    return text;
}

/* The i-th number of a metadata list such as "[463.5007]" or "[0.51,1.03]". */
static float metadata_number(edgelstm_model m, const char* key, int i) {
    char* text = metadata_text(m, key);
    float value = NAN;
    if (text) {
        char* p = text + (text[0] == '[');
        for (int k = 0; k < i && p; k++) p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL;
        if (p) value = strtof(p, NULL);
        free(text);
    }
    return value;
}

/* Where the id's value is in "id,value" lines: NAN when the id is not there. */
static float prediction_of(const char* path, const char* id) {
    FILE* f = fopen(path, "r");
    char line[256];
    float value = NAN;
    size_t n = strlen(id);
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, id, n) && line[n] == ',') value = strtof(line + n + 1, NULL);
    if (f) fclose(f);
    return value;
}

static void test_raw_readings_regression(void) {
    edgelstm_model m = {0};
    OK(edgelstm_model_load(g_raw[0], &m));
    /* What the model is: an LSTM regressing one value from each sequence's last step, over 2 raw features */
    edgelstm_network n;
    memset(&n, 0, sizeof n);
    n.struct_size = sizeof n;
    OK(edgelstm_model_network(m, &n));
    CHECK(n.input_size == RAW_FEATURES && n.outputs == 1 && n.cell == EDGELSTM_CELL_LSTM);
    CHECK(n.head == EDGELSTM_HEAD_REGRESS_LAST_STEP);
    int32_t type = -1;
    OK(edgelstm_model_weight_type(m, &type));
    CHECK(type == EDGELSTM_WEIGHTS_FLOAT32);
    float mean0 = metadata_number(m, "preprocessing.input_mean", 0);
    float target_mean = metadata_number(m, "preprocessing.target_mean", 0);
    float target_scale = metadata_number(m, "preprocessing.target_scale", 0);
    printf("    model: %d steps x %d inputs -> LSTM %d -> 1 value; input 0 mean %.2f, target mean %.2f scale %.3f\n",
           n.steps, n.input_size, n.hidden_size, mean0, target_mean, target_scale);
    CHECK(mean0 > 900 && target_scale > 1); /* raw readings around 1000; targets in the hundreds */

    /* The readings, as they are in the file: sequences of 3..10 steps, padded with NaN (never read) */
    static char ids[RAW_MAX_SEQUENCES][32];
    int32_t lengths[RAW_MAX_SEQUENCES];
    float* x = floats((size_t)RAW_MAX_SEQUENCES * RAW_MAX_STEPS * RAW_FEATURES);
    for (size_t i = 0; i < (size_t)RAW_MAX_SEQUENCES * RAW_MAX_STEPS * RAW_FEATURES; i++) x[i] = NAN;
    int batch = 0, steps = 0;
    FILE* f = fopen(g_raw[1], "r");
    CHECK(f != NULL);
    char line[256], id[32];
    int t;
    float a, b;
    while (f && fgets(line, sizeof line, f)) {
        if (sscanf(line, "%31[^,],%d,%f,%f", id, &t, &a, &b) != 4) continue; /* the header */
        if (batch == 0 || strcmp(id, ids[batch - 1]) != 0) {
            if (batch == RAW_MAX_SEQUENCES) break;
            snprintf(ids[batch], sizeof ids[batch], "%s", id);
            lengths[batch++] = 0;
        }
        int s = lengths[batch - 1]++;
        if (s >= RAW_MAX_STEPS || s != t) {
            FAIL("%s: sequence %s: step %d out of order or past %d steps", g_raw[1], id, t, RAW_MAX_STEPS);
            break;
        }
        x[((size_t)(batch - 1) * RAW_MAX_STEPS + s) * RAW_FEATURES] = a;
        x[((size_t)(batch - 1) * RAW_MAX_STEPS + s) * RAW_FEATURES + 1] = b;
        if (s + 1 > steps) steps = s + 1;
    }
    if (f) fclose(f);
    CHECK(batch >= 2 && steps >= 2);
    float* expected = floats((size_t)batch);
    for (int i = 0; i < batch; i++) {
        expected[i] = prediction_of(g_raw[2], ids[i]);
        if (isnan(expected[i])) FAIL("%s has no prediction for sequence %s", g_raw[2], ids[i]);
    }
    /* The batch as the library takes it: [batch][steps][I], steps = the longest sequence */
    size_t per = (size_t)steps * RAW_FEATURES, x_len = (size_t)batch * per;
    float* packed = floats(x_len);
    for (int i = 0; i < batch; i++) memcpy(packed + i * per, x + (size_t)i * RAW_MAX_STEPS * RAW_FEATURES, per * sizeof(float));
    float* unchanged = floats(x_len);
    memcpy(unchanged, packed, x_len * sizeof(float));

    /* edgelstm_predict_lengths: all sequences in one variable-length batch, as edgelstm predict runs them */
    float *values = floats((size_t)batch), *run_values = floats((size_t)batch), *logits = floats((size_t)batch);
    OK(edgelstm_predict_lengths(m, packed, x_len, batch, steps, lengths, (size_t)batch, EDGELSTM_PROBABILITIES, values,
                                (size_t)batch));
    CHECK(memcmp(packed, unchanged, x_len * sizeof(float)) == 0); /* the raw readings are normalised in a copy */
    int exact = 0;
    for (int i = 0; i < batch; i++) {
        exact += memcmp(&values[i], &expected[i], sizeof(float)) == 0;
        if (!same_value(values[i], expected[i]))
            FAIL("sequence %s (%d steps): library %.9g, edgelstm predict %.9g", ids[i], lengths[i], values[i], expected[i]);
    }
    printf("    %d sequences of up to %d raw steps: edgelstm_predict_lengths gives edgelstm predict's values (%d of "
           "them the same float), e.g. %s: %.4f\n",
           batch, steps, exact, ids[0], values[0]);
    /* edgelstm_run_lengths gives the same values */
    OK(edgelstm_run_lengths(m, packed, x_len, batch, steps, lengths, (size_t)batch, NULL, 0, NULL, 0, NULL, 0,
                            run_values, (size_t)batch));
    CHECK_SAME(run_values, values, (size_t)batch);
    /* EDGELSTM_LOGITS is the network's own output: before the target scaling is undone */
    OK(edgelstm_predict_lengths(m, packed, x_len, batch, steps, lengths, (size_t)batch, EDGELSTM_LOGITS, logits,
                                (size_t)batch));
    for (int i = 0; i < batch; i++)
        if (fabsf(logits[i] * target_scale + target_mean - values[i]) > 1e-3f)
            FAIL("sequence %s: logit %.6g x scale %.6g + mean %.6g is not the value %.6g", ids[i], logits[i], target_scale,
                 target_mean, values[i]);

    /* Each sequence alone (edgelstm_predict, its own length) and fed step by step through a session: the same */
    edgelstm_session s = {0};
    OK(edgelstm_session_create(m, 1, &s));
    for (int i = 0; i < batch && !g_test_failed; i++) {
        float alone = NAN, streamed = NAN;
        const float* seq = packed + i * per;
        OK(edgelstm_predict(m, seq, (size_t)lengths[i] * RAW_FEATURES, 1, lengths[i], EDGELSTM_PROBABILITIES, &alone, 1));
        OK(edgelstm_session_reset(s));
        for (int step = 0; step < lengths[i]; step++)
            OK(edgelstm_session_step(s, seq + (size_t)step * RAW_FEATURES, RAW_FEATURES, NULL, 0, &streamed, 1));
        if (!same_value(alone, expected[i])) FAIL("sequence %s alone: %.9g, edgelstm predict %.9g", ids[i], alone, expected[i]);
        if (memcmp(&alone, &streamed, sizeof(float)) != 0)
            FAIL("sequence %s: a session stepped over the raw readings gives %.9g, edgelstm_predict %.9g", ids[i], streamed,
                 alone);
    }
    OK(edgelstm_session_free(s));
    free(values);
    free(run_values);
    free(logits);
    free(packed);
    free(unchanged);
    free(expected);
    free(x);
    OK(edgelstm_model_free(m));
}

static void test_raw_readings_forecast(void) {
    edgelstm_model m = {0};
    OK(edgelstm_model_load(g_forecast[0], &m));
    edgelstm_network n;
    memset(&n, 0, sizeof n);
    n.struct_size = sizeof n;
    OK(edgelstm_model_network(m, &n));
    CHECK(n.input_size == 1 && n.head == EDGELSTM_HEAD_REGRESS_LAST_STEP);
    char* relative = metadata_text(m, "preprocessing.relative_to_last");
    CHECK(relative && !strcmp(relative, "true"));
    free(relative);
    int window = (int)metadata_number(m, "preprocessing.window", 0);
    int horizon = (int)metadata_number(m, "preprocessing.horizon", 0);
    CHECK(window == n.steps && horizon == n.outputs && horizon >= 1 && horizon <= 16);
    printf("    forecaster: windows of %d raw values -> the next %d, relative to the window's last value\n", window,
           horizon);

    /* The series' last `window` values, raw, as edgelstm predict forecasts from them */
    static float series[SERIES_MAX];
    int count = 0;
    FILE* f = fopen(g_forecast[1], "r");
    CHECK(f != NULL);
    char line[256];
    while (f && count < SERIES_MAX && fgets(line, sizeof line, f)) {
        char* end;
        float v = strtof(line, &end);
        if (end != line) series[count++] = v; /* not the header */
    }
    if (f) fclose(f);
    float expected[16], got[16], shifted[16];
    int rows = 0;
    f = fopen(g_forecast[2], "r");
    CHECK(f != NULL);
    while (f && rows < 16 && fgets(line, sizeof line, f)) {
        int ahead;
        float v;
        if (sscanf(line, "%*[^,],%d,%f", &ahead, &v) == 2 && ahead == rows + 1) expected[rows++] = v;
    }
    if (f) fclose(f);
    CHECK(count >= window && window >= 2 && rows == horizon);
    if (g_test_failed) {
        OK(edgelstm_model_free(m));
        return;
    }
    const float* last = series + count - window;
    OK(edgelstm_predict(m, last, (size_t)window, 1, window, EDGELSTM_PROBABILITIES, got, (size_t)horizon));
    for (int h = 0; h < horizon; h++) {
        if (!same_value(got[h], expected[h]))
            FAIL("%d step(s) ahead: library %.9g, edgelstm predict %.9g", h + 1, got[h], expected[h]);
        printf("    %d step(s) after the last value %.3f: %.4f (edgelstm predict: %.4f)\n", h + 1, last[window - 1],
               got[h], expected[h]);
    }
    /* Relative to the last value, inside: the same window 100 higher forecasts 100 higher */
    float raised[SERIES_MAX];
    for (int t = 0; t < window; t++) raised[t] = last[t] + 100.0f;
    OK(edgelstm_predict(m, raised, (size_t)window, 1, window, EDGELSTM_PROBABILITIES, shifted, (size_t)horizon));
    for (int h = 0; h < horizon; h++)
        if (fabsf(shifted[h] - (got[h] + 100.0f)) > 1e-3f)
            FAIL("the window raised by 100 forecasts %.6g, not %.6g + 100", shifted[h], got[h]);

    /* A stream cannot know the window's last value before the window ends: UNSUPPORTED, saying why; no handle */
    edgelstm_session s = {7};
    FAILS(EDGELSTM_ERROR_UNSUPPORTED, edgelstm_session_create(m, 1, &s));
    CHECK(s.id == 0);
    CHECK(strstr(edgelstm_last_error(), "relative to their last step") != NULL);
    printf("    a session: %s: %s\n", status_name(EDGELSTM_ERROR_UNSUPPORTED), edgelstm_last_error());
    OK(edgelstm_model_free(m));
}

#endif /* EDGELSTM_TESTS_PREPROCESSING_H */
