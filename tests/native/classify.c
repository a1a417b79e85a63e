#include <stdio.h>
#include <stdlib.h>
#include "edgelstm.h"
int main(int argc, char** argv) { /* classify MODEL t10k-images-idx3-ubyte INDEX */
    unsigned char image[28 * 28]; float row[28], p[10];
    FILE* f = argc == 4 ? fopen(argv[2], "rb") : NULL;
    if (!f || fseek(f, 16 + 784L * atol(argv[3]), SEEK_SET) || fread(image, 1, 784, f) != 784) return 2;
    fclose(f);
    edgelstm_model model; edgelstm_session session;
    int failed = edgelstm_model_load(argv[1], &model) || edgelstm_session_create(model, 1, &session);
    for (int t = 0; t < 28 && !failed; t++) { /* one time step per image row, state carried by the session */
        for (int i = 0; i < 28; i++) row[i] = image[28 * t + i] * (1.0f / 255.0f);
        failed = edgelstm_session_step(session, row, 28, NULL, 0, p, 10);
    }
    if (failed) return fprintf(stderr, "%s\n", edgelstm_last_error()), 1;
    int best = 0;
    for (int c = 1; c < 10; c++) best = p[c] > p[best] ? c : best;
    printf("test image %s: class %d (probability %.4f)\n", argv[3], best, p[best]);
    return edgelstm_session_free(session) || edgelstm_model_free(model);
}
