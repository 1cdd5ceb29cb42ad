// The shipped addon, senet_lab.node: the exports of addon.cc and nothing else.
#include <napi.h>

namespace senet_binding {
Napi::Object Init(Napi::Env env, Napi::Object exports);
}

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return senet_binding::Init(env, exports); }

NODE_API_MODULE(senet_lab, InitAddon)
