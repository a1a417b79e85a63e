#include <stdio.h>
#include "edgelstm.h"
int main(int argc, char** argv) { /* learn train-images-idx3-ubyte train-labels-idx1-ubyte CHECKPOINT */
    static unsigned char pixels[32 * 784]; static float x[32 * 784];
    unsigned char bytes[32]; int32_t labels[32]; float loss = 0; int64_t done = 0;
    FILE* images = argc == 4 ? fopen(argv[1], "rb") : NULL; FILE* classes = argc == 4 ? fopen(argv[2], "rb") : NULL;
    if (!images || !classes) return 2;
    edgelstm_model model; edgelstm_trainer trainer;
    edgelstm_status s = edgelstm_trainer_load_checkpoint(argv[3], &model, &trainer); /* resume after a reboot */
    if (s == EDGELSTM_ERROR_IO) { /* no checkpoint yet: a new model, 28 rows of 28 pixels -> 64 units -> 10 digits */
        edgelstm_config config = {28, 64, 1, 10, 28};
        s = edgelstm_model_create(&config, 1, &model) || edgelstm_trainer_create(model, 1e-2f, 1.0f, 1, &trainer);
    }
    int failed = s || edgelstm_trainer_iterations(trainer, &done);
    if (!failed) printf("starting at batch %lld\n", (long long)done);
    for (int b = 0; b < 20 && !failed; b++, done++) { /* 20 batches of 32 images, going round the training set */
        long first = (long)(done * 32 % 59968);
        failed = fseek(images, 16 + 784 * first, SEEK_SET) || fread(pixels, 784, 32, images) != 32 ||
                 fseek(classes, 8 + first, SEEK_SET) || fread(bytes, 1, 32, classes) != 32;
        for (int i = 0; i < 32 * 784; i++) x[i] = pixels[i] * (1.0f / 255.0f);
        for (int i = 0; i < 32; i++) labels[i] = bytes[i];
        failed = failed || edgelstm_trainer_train_batch(trainer, x, 32 * 784, labels, 32, 28, &loss);
    }
    failed = failed || edgelstm_trainer_save_checkpoint(trainer, argv[3]); /* temporary file, fsync, rename */
    if (failed) return fprintf(stderr, "%s\n", edgelstm_last_error()), 1;
    printf("batch %lld: loss %.4f; checkpoint saved to %s\n", (long long)done, loss, argv[3]);
    return edgelstm_trainer_free(trainer) || edgelstm_model_free(model);
}
