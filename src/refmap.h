/* refmap.h - the reference-cell map's kNN rule in C, the same arithmetic as web/refmap.js (RefMap.place),
 * so that the CLI and the app place a cell and flag it out of distribution identically:
 *
 *   q = embedding / ||embedding|| (all-zero if the norm is 0); s_i = dot(q, r_i) over the reference rows
 *   (float16 -> float32); the k largest s_i (ties: lower index first); position = sum(w_i xy_i) / sum(w_i),
 *   w_i = max(s_i, 0) (plain mean if all are 0); OOD score = 1 - mean(s_i); flagged when score > threshold.
 *
 *   char msg[300];
 *   bc_refmap *m = bc_refmap_load("models/reference-map.json", model_name, embedding_dim, msg, sizeof msg);
 *   void *scratch = malloc(bc_refmap_scratch_bytes(m));                  one per thread
 *   bc_refmap_place(m, embedding, scratch, &place);
 *   bc_refmap_free(m);
 *
 * The embeddings file is map.embeddings.file, relative to the map's folder. Loading checks what the app's
 * checkMap checks (schema, model name, embedding size, point count) and every field it reads. */
#ifndef BC_REFMAP_H
#define BC_REFMAP_H

#include <stddef.h>

typedef struct bc_refmap bc_refmap;

typedef struct bc_place {
  double x, y, score;
  int flagged;
} bc_place;

/* NULL on failure, msg says why; *missing = 1 when the map file itself does not exist. */
bc_refmap *bc_refmap_load(const char *path, const char *model_name, int embedding_dim, int *missing,
                          char *msg, size_t msg_len);
void bc_refmap_free(bc_refmap *m);

int bc_refmap_size(const bc_refmap *m);   /* reference cells */
int bc_refmap_k(const bc_refmap *m);
double bc_refmap_threshold(const bc_refmap *m);

/* scratch: bc_refmap_scratch_bytes(m) bytes (malloc'd), not shared between threads. */
size_t bc_refmap_scratch_bytes(const bc_refmap *m);
void bc_refmap_place(const bc_refmap *m, const float *embedding, void *scratch, bc_place *out);

#endif
