/*
 * Trains a small MNIST model through the C API and saves it: the stand-in for "edgelstm train" when the CLI
 * (src/EdgeLstm.Cli) is not in the tree. The recipe's architecture and settings, few iterations.
 * Usage: make_model MNIST_RAW_DIR OUT.safetensors [ITERATIONS=20] [HIDDEN=256]
 */
#include <stdio.h>
#include <stdlib.h>

#include "edgelstm.h"
#include "mnist.h"

int main(int argc, char** argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s MNIST_RAW_DIR OUT.safetensors [ITERATIONS] [HIDDEN]\n", argv[0]);
        return 2;
    }
    int iterations = argc > 3 ? atoi(argv[3]) : 20;
    int32_t hidden = argc > 4 ? atoi(argv[4]) : 256;
    const int32_t batch = 64;
    mnist_set train;
    if (mnist_load(argv[1], "train", &train) != 0) return 1;
    edgelstm_config config = {train.cols, hidden, 2, 10, train.rows};
    edgelstm_model model = {0};
    edgelstm_trainer trainer = {0};
    int rc = 1;
    if (edgelstm_model_create(&config, 1, &model) != EDGELSTM_OK ||
        edgelstm_trainer_create(model, 1e-3f, 0.5f, 1, &trainer) != EDGELSTM_OK) {
        fprintf(stderr, "%s\n", edgelstm_last_error());
        goto done;
    }
    for (int it = 0; it < iterations; it++) {
        int32_t first = (it * batch) % (train.count - batch);
        float* x = mnist_batch(&train, first, batch);
        float loss = 0;
        edgelstm_status s = edgelstm_trainer_train_batch(trainer, x, (size_t)batch * train.rows * train.cols,
                                                         train.labels + first, batch, train.rows, &loss);
        free(x);
        if (s != EDGELSTM_OK) {
            fprintf(stderr, "%s\n", edgelstm_last_error());
            goto done;
        }
        if (it % 5 == 0 || it == iterations - 1) printf("iteration %d: loss %.5f\n", it + 1, loss);
    }
    if (edgelstm_model_save(model, argv[2]) != EDGELSTM_OK) {
        fprintf(stderr, "%s\n", edgelstm_last_error());
        goto done;
    }
    printf("saved %s\n", argv[2]);
    rc = 0;
done:
    edgelstm_trainer_free(trainer);
    edgelstm_model_free(model);
    mnist_free(&train);
    return rc;
}
