// wren_mem: madvise(MADV_DONTNEED) on a range of our own address space.
//
// After start-up the daemon hands back the pages of the node executable and libraries that only
// start-up touched (src/daemon/startup-pages.ts picks the ranges: clean, read-only, private file
// mappings). The kernel drops them from our page tables; they stay in the page cache and a later
// access refaults them from there, exactly as after reclaim under memory pressure.
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <node_api.h>
#include "throw_errno.h"

// dontneed(address: number, length: number): void — throws an Error with .errno on failure.
// Addresses are user-space (below 2^47), so a double holds them exactly.
static napi_value js_dontneed(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int64_t address = -1, length = -1;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2 ||
      napi_get_value_int64(env, argv[0], &address) != napi_ok || napi_get_value_int64(env, argv[1], &length) != napi_ok ||
      address < 0 || length <= 0) {
    napi_throw_type_error(env, NULL, "dontneed(address, length) expects two positive integers");
    return NULL;
  }
  if (madvise((void *)(uintptr_t)address, (size_t)length, MADV_DONTNEED) != 0) return throw_errno(env, "madvise", errno);
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "dontneed", NAPI_AUTO_LENGTH, js_dontneed, NULL, &fn);
  napi_set_named_property(env, exports, "dontneed", fn);
  return exports;
}
