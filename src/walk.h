/* walk.h - the CLI's list of images: arguments in order; a folder is walked recursively, its entries in
 * sorted (byte) order, keeping only image names, as the app does for a picked or dropped folder.
 *
 *   bc_paths list = {0};
 *   if (!bc_walk_add(&list, argv[i])) ...      0: a folder (or sub-folder) could not be read; said on stderr
 *   for (int i = 0; i < list.n; i++) list.v[i] ...
 *   bc_paths_free(&list);
 *
 * A file named explicitly is always kept, whatever its name, so that it gets a result or an error. */
#ifndef BC_WALK_H
#define BC_WALK_H

typedef struct bc_paths {
  char **v;
  int n, cap;
} bc_paths;

int bc_walk_add(bc_paths *out, const char *arg);
void bc_paths_free(bc_paths *p);

/* The app's image names (web/app.js IMAGE_EXT): .jpg .jpeg .png .bmp .gif .webp .tif .tiff, any case. */
int bc_is_image_name(const char *name);

#endif
