// Shared by the native helpers: throw a JavaScript Error "<what>: <strerror>" with .errno set.
#ifndef WREN_THROW_ERRNO_H
#define WREN_THROW_ERRNO_H
#include <stdio.h>
#include <string.h>
#include <node_api.h>

static inline napi_value throw_errno(napi_env env, const char *what, int err) {
  napi_value msg, code, error;
  char text[128];
  snprintf(text, sizeof text, "%s: %s", what, strerror(err));
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg);
  napi_create_int32(env, err, &code);
  napi_create_error(env, NULL, msg, &error);
  napi_set_named_property(env, error, "errno", code);
  napi_throw(env, error);
  return NULL;
}

#endif
