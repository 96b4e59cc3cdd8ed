/* walk.c - see walk.h.  Sub-folders are entered where they sort; a folder that is its own ancestor (a
 * symbolic link loop) is reported and not entered again. */
#define _POSIX_C_SOURCE 200809L
#include "walk.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define MAX_DEPTH 256

typedef struct ancestor { dev_t dev; ino_t ino; const struct ancestor *up; } ancestor;

static int push(bc_paths *p, const char *path) {
  if (p->n == p->cap) {
    const int cap = p->cap ? p->cap * 2 : 64;
    char **nv = realloc(p->v, (size_t)cap * sizeof *nv);
    if (!nv) return 0;
    p->v = nv;
    p->cap = cap;
  }
  char *copy = strdup(path);
  if (!copy) return 0;
  p->v[p->n++] = copy;
  return 1;
}

void bc_paths_free(bc_paths *p) {
  for (int i = 0; i < p->n; i++) free(p->v[i]);
  free(p->v);
  p->v = NULL;
  p->n = p->cap = 0;
}

int bc_is_image_name(const char *name) {
  static const char *ext[] = { "jpg", "jpeg", "png", "bmp", "gif", "webp", "tif", "tiff" };
  const char *dot = strrchr(name, '.');
  if (!dot) return 0;
  for (size_t i = 0; i < sizeof ext / sizeof *ext; i++)
    if (!strcasecmp(dot + 1, ext[i])) return 1;
  return 0;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static char *join(const char *dir, const char *name) {
  size_t n = strlen(dir);
  while (n > 1 && dir[n - 1] == '/') n--;
  char *out = malloc(n + strlen(name) + 2);
  if (out) sprintf(out, "%.*s%s%s", (int)n, dir, dir[n - 1] == '/' ? "" : "/", name);
  return out;
}

static int walk_dir(bc_paths *out, const char *dir, const struct stat *st, const ancestor *up, int depth) {
  for (const ancestor *a = up; a; a = a->up)
    if (a->dev == st->st_dev && a->ino == st->st_ino) {
      fprintf(stderr, "bloodcell: %s: a link back to a folder above it; not entered again\n", dir);
      return 1;
    }
  if (depth > MAX_DEPTH) { fprintf(stderr, "bloodcell: %s: folders nested too deeply\n", dir); return 0; }
  const ancestor self = { st->st_dev, st->st_ino, up };
  DIR *d = opendir(dir);
  if (!d) { fprintf(stderr, "bloodcell: cannot read folder %s: %s\n", dir, strerror(errno)); return 0; }
  char **names = NULL;
  int n = 0, cap = 0, ok = 1, nomem = 0;   /* ok: every folder read; nomem stops the walk */
  for (struct dirent *e; (e = readdir(d));) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 64;
      char **nn = realloc(names, (size_t)cap * sizeof *nn);
      if (!nn) { nomem = 1; break; }
      names = nn;
    }
    if (!(names[n] = strdup(e->d_name))) { nomem = 1; break; }
    n++;
  }
  closedir(d);
  if (names) qsort(names, (size_t)n, sizeof *names, by_name);
  for (int i = 0; i < n && !nomem; i++) {
    char *path = join(dir, names[i]);
    struct stat cs;
    if (!path) nomem = 1;
    else if (stat(path, &cs) == 0 && S_ISDIR(cs.st_mode)) ok = walk_dir(out, path, &cs, &self, depth + 1) && ok;
    else if (bc_is_image_name(names[i]) && !push(out, path)) nomem = 1;
    free(path);
  }
  for (int i = 0; i < n; i++) free(names[i]);
  free(names);
  if (nomem) fprintf(stderr, "bloodcell: out of memory listing %s\n", dir);
  return ok && !nomem;
}

int bc_walk_add(bc_paths *out, const char *arg) {
  struct stat st;
  if (stat(arg, &st) == 0 && S_ISDIR(st.st_mode)) return walk_dir(out, arg, &st, NULL, 0);
  if (!push(out, arg)) { fprintf(stderr, "bloodcell: out of memory\n"); return 0; }
  return 1;
}
