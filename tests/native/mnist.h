/* Reading raw (gunzipped) MNIST IDX files for the C tests: the same scaling as EdgeLstm's IdxReader, byte × (1/255). */
#ifndef EDGELSTM_TESTS_MNIST_H
#define EDGELSTM_TESTS_MNIST_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct mnist_set {
    int32_t count;
    int32_t rows;
    int32_t cols;
    unsigned char* pixels; /* count × rows × cols */
    int32_t* labels;       /* count */
} mnist_set;

static unsigned char* mnist_read_file(const char* path, size_t* size) {
    FILE* f = fopen(path, "rb");
    if (!f) return NULL;
    unsigned char* data = NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long n = ftell(f);
        if (n >= 0 && fseek(f, 0, SEEK_SET) == 0 && (data = (unsigned char*)malloc((size_t)n + 1)) != NULL) {
            if (fread(data, 1, (size_t)n, f) != (size_t)n) {
                free(data);
                data = NULL;
            } else {
                *size = (size_t)n;
            }
        }
    }
    fclose(f);
    return data;
}

static uint32_t mnist_be32(const unsigned char* p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* Loads DIR/PREFIX-images-idx3-ubyte and DIR/PREFIX-labels-idx1-ubyte (PREFIX "train" or "t10k"). 0 on success. */
static int mnist_load(const char* dir, const char* prefix, mnist_set* set) {
    char path[4096];
    size_t isize = 0, lsize = 0;
    memset(set, 0, sizeof *set);
    snprintf(path, sizeof path, "%s/%s-images-idx3-ubyte", dir, prefix);
    unsigned char* images = mnist_read_file(path, &isize);
    snprintf(path, sizeof path, "%s/%s-labels-idx1-ubyte", dir, prefix);
    unsigned char* labels = mnist_read_file(path, &lsize);
    int ok = images && labels && isize >= 16 && lsize >= 8 && mnist_be32(images) == 0x803 && mnist_be32(labels) == 0x801;
    if (ok) {
        set->count = (int32_t)mnist_be32(images + 4);
        set->rows = (int32_t)mnist_be32(images + 8);
        set->cols = (int32_t)mnist_be32(images + 12);
        ok = set->count > 0 && (uint32_t)set->count == mnist_be32(labels + 4) &&
             isize == 16 + (size_t)set->count * set->rows * set->cols && lsize == 8 + (size_t)set->count;
    }
    if (ok) {
        set->pixels = (unsigned char*)malloc((size_t)set->count * set->rows * set->cols);
        set->labels = (int32_t*)malloc(sizeof(int32_t) * (size_t)set->count);
        ok = set->pixels && set->labels;
    }
    if (ok) {
        memcpy(set->pixels, images + 16, (size_t)set->count * set->rows * set->cols);
        for (int32_t i = 0; i < set->count; i++) set->labels[i] = labels[8 + i];
    } else {
        fprintf(stderr, "cannot read MNIST %s files in %s\n", prefix, dir);
        free(set->pixels);
        free(set->labels);
        memset(set, 0, sizeof *set);
    }
    free(images);
    free(labels);
    return ok ? 0 : -1;
}

static void mnist_free(mnist_set* set) {
    free(set->pixels);
    free(set->labels);
    memset(set, 0, sizeof *set);
}

/* Images first..first+count-1 as x[b][row][col] floats in [0, 1], batch-major as edgelstm_predict takes them. */
static float* mnist_batch(const mnist_set* set, int32_t first, int32_t count) {
    size_t per = (size_t)set->rows * set->cols;
    float* x = (float*)malloc(sizeof(float) * per * (size_t)count);
    if (!x) return NULL;
    for (size_t i = 0; i < per * (size_t)count; i++) x[i] = set->pixels[per * (size_t)first + i] * (1.0f / 255.0f);
    return x;
}

#endif
