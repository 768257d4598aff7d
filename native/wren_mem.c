// wren_mem: madvise(MADV_DONTNEED) on a range of our own address space, and malloc_trim.
//
// After start-up the daemon hands back the pages of the node executable and libraries that only
// start-up touched (src/daemon/startup-pages.ts picks the ranges: clean, read-only, private file
// mappings). The kernel drops them from our page tables; they stay in the page cache and a later
// access refaults them from there, exactly as after reclaim under memory pressure.
#include <errno.h>
#include <stdint.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
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

// trim(): boolean — hands the free memory of every malloc arena back to the system (glibc's
// malloc_trim(0)); true when some was. A burst of sessions leaves freed socket buffers and
// Node's own allocations in the arenas, and glibc trims only the top of an arena by itself.
// Without glibc: false, nothing done.
static napi_value js_trim(napi_env env, napi_callback_info info) {
  (void)info;
  int released = 0;
#ifdef __GLIBC__
  released = malloc_trim(0);
#endif
  napi_value out;
  napi_get_boolean(env, released != 0, &out);
  return out;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "dontneed", NAPI_AUTO_LENGTH, js_dontneed, NULL, &fn);
  napi_set_named_property(env, exports, "dontneed", fn);
  napi_value trim;
  napi_create_function(env, "trim", NAPI_AUTO_LENGTH, js_trim, NULL, &trim);
  napi_set_named_property(env, exports, "trim", trim);
  return exports;
}
