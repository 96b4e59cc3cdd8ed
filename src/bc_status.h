/* bc_status.h - status codes shared by the preprocessing, the model loader and the engine.
 *
 *   bc_status s = ...;            0 (BC_OK) is success, anything else is an error
 *   bc_status_str(s)              short English text for the code (never NULL)
 *
 * Functions that can fail also fill a caller-provided message buffer with the specific reason
 * (e.g. "image is 30000x30000 pixels; the limit is 40000000 pixels"). */
#ifndef BC_STATUS_H
#define BC_STATUS_H

typedef enum bc_status {
  BC_OK = 0,
  BC_ERR_EMPTY,          /* zero-length input */
  BC_ERR_NOT_IMAGE,      /* bytes are not a known image format */
  BC_ERR_TRUNCATED,      /* image data ends early */
  BC_ERR_CORRUPT,        /* image data is damaged */
  BC_ERR_UNSUPPORTED,    /* a valid image in a variant we do not decode */
  BC_ERR_TOO_LARGE,      /* dimensions or pixel count over the limits */
  BC_ERR_NOMEM,          /* allocation failed */
  BC_ERR_BAD_MODEL,      /* model file failed validation */
  BC_ERR_MODEL_VERSION,  /* model file has an unsupported version */
  BC_ERR_ARGUMENT        /* invalid argument from the caller */
} bc_status;

const char *bc_status_str(bc_status s);

#endif
