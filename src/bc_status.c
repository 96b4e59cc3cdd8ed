#include "bc_status.h"

const char *bc_status_str(bc_status s) {
  switch (s) {
    case BC_OK: return "ok";
    case BC_ERR_EMPTY: return "empty file";
    case BC_ERR_NOT_IMAGE: return "not an image (JPEG, PNG or BMP expected)";
    case BC_ERR_TRUNCATED: return "truncated image";
    case BC_ERR_CORRUPT: return "corrupt image";
    case BC_ERR_UNSUPPORTED: return "unsupported image format";
    case BC_ERR_TOO_LARGE: return "image too large";
    case BC_ERR_NOMEM: return "out of memory";
    case BC_ERR_BAD_MODEL: return "invalid model file";
    case BC_ERR_MODEL_VERSION: return "unsupported model file version";
    case BC_ERR_ARGUMENT: return "invalid argument";
  }
  return "unknown error";
}
