/* stb_image_impl.c - the one translation unit that compiles stb_image (Debian libstb-dev, v2.27).
 *
 * Build flags: third-party code, so compile THIS file on its own without -Werror, e.g. (as the Makefile does)
 *   gcc -std=c99 -O2 -g -w -c src/stb_image_impl.c -o build/native/stb_image.o
 *   emcc ... -isystem DIR -c src/stb_image_impl.c    where DIR/stb -> /usr/include/stb (emcc's sysroot
 *                                                     does not search /usr/include)
 * The pragmas below silence what gcc 12 and clang 14 report with -Wall -Wextra, so even
 * -Wall -Wextra -Werror builds it today; -w is the safety net for other compiler versions.
 * Every other source file keeps the full -Wall -Wextra -Werror.
 *
 * Configuration (preprocess.c relies on it):
 *   JPEG, PNG and BMP only; decoding from memory only (no stdio); no HDR/linear float paths;
 *   STBI_MAX_DIMENSIONS = BC_MAX_IMAGE_DIM (16384 px per side, stb rejects larger headers itself).
 *   preprocess.c checks width*height against BC_MAX_IMAGE_PIXELS before it ever calls a load function.
 * stb keeps its failure reason in a thread-local static (__thread), which is its only mutable global.
 * Known stb 2.27 memory bug on hostile input (a DHT segment with more than 256 codes overflows its Huffman
 * tables): preprocess.c validates every DHT before stb sees the file. Only call stb through preprocess.c. */
#include "preprocess.h" /* BC_MAX_IMAGE_DIM */

#define STBI_ONLY_JPEG
#define STBI_ONLY_PNG
#define STBI_ONLY_BMP
#define STBI_NO_STDIO
#define STBI_NO_LINEAR
#define STBI_NO_HDR
#define STBI_MAX_DIMENSIONS BC_MAX_IMAGE_DIM
#define STB_IMAGE_IMPLEMENTATION
/* In the wasm build (-msse2), emscripten maps SSE2 intrinsics onto SIMD128, so stb's SSE2 IDCT and
 * colour conversion (the same code the native x86-64 build runs) replace its scalar loops. */
#if defined(__EMSCRIPTEN__) && defined(__SSE2__)
#define STBI__X86_TARGET
#endif

#if defined(__GNUC__) || defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wunused-but-set-variable"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#pragma GCC diagnostic ignored "-Wtype-limits"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wdouble-promotion"
#pragma GCC diagnostic ignored "-Wcast-qual"
#endif

#include <stb/stb_image.h>

#if defined(__GNUC__) || defined(__clang__)
#pragma GCC diagnostic pop
#endif
