// wren_ns: the one system call Node cannot make — setns(2) on the calling thread.
//
// Pod wiring must put addresses and routes inside a pod's network namespace. rtnetlink has no
// target-namespace attribute for RTM_NEWADDR/RTM_NEWROUTE, so the socket must be opened inside
// that namespace. The daemon switches its main thread into the namespace, opens the socket
// (synchronously) and switches back; the socket stays bound to the pod's namespace.
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <node_api.h>
#include "throw_errno.h"

// setns(fd: number, nstype: number): void — throws an Error with .errno on failure.
static napi_value js_setns(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t fd = -1, nstype = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok || napi_get_value_int32(env, argv[1], &nstype) != napi_ok) {
    napi_throw_type_error(env, NULL, "setns(fd, nstype) expects two integers");
    return NULL;
  }
  if (setns(fd, nstype) != 0) return throw_errno(env, "setns", errno);
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "setns", NAPI_AUTO_LENGTH, js_setns, NULL, &fn);
  napi_set_named_property(env, exports, "setns", fn);
  return exports;
}
