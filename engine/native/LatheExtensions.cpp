// Lathe's native entry points, compiled into node-llama-cpp's addon by "Build the engine for
// this machine" (engine/build/addonPatch.ts copies this file into the addon folder and
// registers latheRegister in addon.cpp). They read the logits llama.cpp keeps for the last
// decoded batch, so they are synchronous and must be called while those logits are valid:
// from a logit-data mapper of the decode that produced them (engine/host/nativeLogits.ts).
// The prebuilt addon lacks them; the host then reads full distributions through sampleToken.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "llama.h"
#include "napi.h"
#include "AddonModel.h"
#include "AddonContext.h"
#include "AddonSampler.h"

namespace {

constexpr int32_t kLatheExtensionsVersion = 2;

struct LogitsView {
    const float* logits = nullptr;
    int32_t n_vocab = 0;
};

// The logits of one batch position; false (with a JS exception pending) when there are none.
bool logitsAt(const Napi::CallbackInfo& info, LogitsView& view) {
    if (info.Length() < 3 || !info[0].IsObject() || !info[1].IsNumber()) {
        Napi::TypeError::New(info.Env(), "expected (context, batchLogitIndex, ...)").ThrowAsJavaScriptException();
        return false;
    }
    auto* ctx = Napi::ObjectWrap<AddonContext>::Unwrap(info[0].As<Napi::Object>());
    if (ctx == nullptr || ctx->disposed || ctx->ctx == nullptr) {
        Napi::Error::New(info.Env(), "the context is disposed").ThrowAsJavaScriptException();
        return false;
    }
    const int32_t index = info[1].As<Napi::Number>().Int32Value();
    const float* logits = llama_get_logits_ith(ctx->ctx, index);
    if (logits == nullptr) {
        Napi::Error::New(info.Env(), "no logits at batch index " + std::to_string(index)).ThrowAsJavaScriptException();
        return false;
    }
    view.logits = logits;
    view.n_vocab = llama_vocab_n_tokens(ctx->model->vocab);
    return true;
}

// log(sum(exp(logits))) in double, with the maximum and its (first) index.
double logSumExp(const LogitsView& v, int32_t& argmax) {
    float max = -INFINITY;
    argmax = 0;
    for (int32_t i = 0; i < v.n_vocab; i++) {
        if (v.logits[i] > max) {
            max = v.logits[i];
            argmax = i;
        }
    }
    if (max == -INFINITY) return -INFINITY;
    double sum = 0.0;
    for (int32_t i = 0; i < v.n_vocab; i++) sum += std::exp((double)(v.logits[i] - max));
    return (double)max + std::log(sum);
}

Napi::Value latheExtensionsVersion(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), kLatheExtensionsVersion);
}

// (addonContext, batchLogitIndex, token) -> [logprob of token, argmax token, rank of token (1 = top)]
Napi::Value latheTokenScore(const Napi::CallbackInfo& info) {
    LogitsView v;
    if (!logitsAt(info, v)) return info.Env().Undefined();
    const int32_t token = info[2].As<Napi::Number>().Int32Value();
    if (token < 0 || token >= v.n_vocab) {
        Napi::RangeError::New(info.Env(), "token " + std::to_string(token) + " is outside the vocabulary").ThrowAsJavaScriptException();
        return info.Env().Undefined();
    }
    int32_t argmax = 0;
    const double lse = logSumExp(v, argmax);
    const float target = v.logits[token];
    int32_t above = 0;
    for (int32_t i = 0; i < v.n_vocab; i++) above += v.logits[i] > target ? 1 : 0;
    Napi::Array out = Napi::Array::New(info.Env(), 3);
    out.Set(0u, Napi::Number::New(info.Env(), (double)target - lse));
    out.Set(1u, Napi::Number::New(info.Env(), argmax));
    out.Set(2u, Napi::Number::New(info.Env(), above + 1));
    return out;
}

// (addonContext, batchLogitIndex, out Float32Array) -> log-sum-exp; copies the raw logits into out.
Napi::Value latheCopyLogits(const Napi::CallbackInfo& info) {
    LogitsView v;
    if (!logitsAt(info, v)) return info.Env().Undefined();
    if (!info[2].IsTypedArray() || info[2].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
        Napi::TypeError::New(info.Env(), "expected a Float32Array").ThrowAsJavaScriptException();
        return info.Env().Undefined();
    }
    auto out = info[2].As<Napi::Float32Array>();
    if ((int64_t)out.ElementLength() < v.n_vocab) {
        Napi::RangeError::New(info.Env(), "the output array is shorter than the vocabulary (" + std::to_string(v.n_vocab) + ")").ThrowAsJavaScriptException();
        return info.Env().Undefined();
    }
    float* dst = out.Data();
    for (int32_t i = 0; i < v.n_vocab; i++) dst[i] = v.logits[i];
    int32_t argmax = 0;
    return Napi::Number::New(info.Env(), logSumExp(v, argmax));
}


// ---------------------------------------------------------------- generation loop (version 2)
//
// latheGenerate(addonContext, addonSampler, sequenceId, firstPosition, input: Uint32Array,
//               maxTokens, maxPosition, onEvent) -> stop()
// Decodes `input` at firstPosition.. on the sequence, then samples, accepts and decodes one
// token after another on a thread of its own, without waiting for JavaScript between
// tokens: node-llama-cpp's loop makes two thread-pool round trips and its own bookkeeping
// per token, about 1 ms on a 2-core machine. onEvent(tokens) receives sampled tokens as they
// come (several at once when JavaScript is busy); the last event is onEvent(null, done) with
// done = {decoded, eog, error}: `decoded` tokens went into the KV cache (input first, then
// generated ones; the last sampled token is never decoded). It stops after maxTokens
// sampled tokens, before a decode would reach maxPosition, on an end-of-generation token
// (not reported), or soon after stop() (a few tokens may already be sampled). The caller
// must hold the sequence exclusively, keep the context and sampler alive until the done
// event, and use a context with no other sequence decoding meanwhile.

struct GenerationState {
    std::atomic<bool> stop{false};
    Napi::ThreadSafeFunction tsfn;
    AddonContext* ctx = nullptr;
    AddonSampler* sampler = nullptr;
    Napi::ObjectReference ctxRef;
    Napi::ObjectReference samplerRef;
};

struct GenerationEvent {
    std::vector<int32_t> tokens;
    bool done = false;
    int64_t decoded = 0;
    bool eog = false;
    std::string error;
};

void deliver(Napi::Env env, Napi::Function callback, GenerationEvent* event) {
    if (env != nullptr && callback != nullptr) {
        if (!event->done) {
            Napi::Array tokens = Napi::Array::New(env, event->tokens.size());
            for (size_t i = 0; i < event->tokens.size(); i++) tokens.Set(i, Napi::Number::New(env, event->tokens[i]));
            callback.Call({tokens});
        } else {
            Napi::Object done = Napi::Object::New(env);
            done.Set("decoded", Napi::Number::New(env, (double)event->decoded));
            done.Set("eog", Napi::Boolean::New(env, event->eog));
            if (!event->error.empty()) done.Set("error", Napi::String::New(env, event->error));
            callback.Call({env.Null(), done});
        }
    }
    delete event;
}

void generationThread(std::shared_ptr<GenerationState> state, llama_seq_id seqId, llama_pos firstPos, std::vector<llama_token> input, int64_t maxTokens, llama_pos maxPos) {
    llama_context* lctx = state->ctx->ctx;
    const llama_vocab* vocab = state->ctx->model->vocab;
    const int32_t nBatch = std::max<int32_t>(1, (int32_t)llama_n_batch(lctx));
    llama_batch batch = llama_batch_init(nBatch, 0, 1);
    auto* done = new GenerationEvent();
    done->done = true;
    llama_pos pos = firstPos;
    int32_t lastIndex = 0;

    auto decode = [&](const llama_token* tokens, int32_t n, bool logitsOnLast) -> bool {
        batch.n_tokens = 0;
        for (int32_t i = 0; i < n; i++) {
            batch.token[i] = tokens[i];
            batch.pos[i] = pos + i;
            batch.n_seq_id[i] = 1;
            batch.seq_id[i][0] = seqId;
            batch.logits[i] = logitsOnLast && i == n - 1;
        }
        batch.n_tokens = n;
        const int32_t status = llama_decode(lctx, batch);
        if (status != 0) {
            done->error = "llama_decode failed with status " + std::to_string(status);
            return false;
        }
        pos += n;
        done->decoded += n;
        lastIndex = n - 1;
        return true;
    };

    bool ok = true;
    for (size_t start = 0; ok && start < input.size(); start += nBatch) {
        const int32_t n = (int32_t)std::min<size_t>(nBatch, input.size() - start);
        ok = decode(input.data() + start, n, start + n == input.size());
    }
    int64_t sampled = 0;
    while (ok) {
        state->sampler->rebuildChainIfNeeded();
        llama_token_data_array cur_p;
        state->sampler->sample(lctx, lastIndex, cur_p, false);
        if (cur_p.size == 0 || !(cur_p.selected >= 0 && cur_p.selected < (int32_t)cur_p.size)) {
            done->error = "the sampler chose no token";
            break;
        }
        const llama_token token = cur_p.data[cur_p.selected].id;
        try {
            state->sampler->acceptToken(token);
        } catch (const std::exception& e) {
            done->error = std::string("failed to accept the token in the sampler: ") + e.what();
            break;
        }
        if (llama_vocab_is_eog(vocab, token)) {
            done->eog = true;
            break;
        }
        auto* event = new GenerationEvent();
        event->tokens.push_back(token);
        if (state->tsfn.NonBlockingCall(event, deliver) != napi_ok) {
            delete event;
            break;
        }
        sampled++;
        if (state->stop.load() || sampled >= maxTokens || pos >= maxPos) break;
        ok = decode(&token, 1, true);
    }
    llama_batch_free(batch);
    if (state->tsfn.NonBlockingCall(done, deliver) != napi_ok) delete done;
    state->tsfn.Release();
}

Napi::Value latheGenerate(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 8 || !info[0].IsObject() || !info[1].IsObject() || !info[4].IsTypedArray() || !info[7].IsFunction()) {
        Napi::TypeError::New(env, "expected (context, sampler, sequenceId, firstPosition, input, maxTokens, maxPosition, onEvent)").ThrowAsJavaScriptException();
        return env.Undefined();
    }
    auto state = std::make_shared<GenerationState>();
    state->ctx = Napi::ObjectWrap<AddonContext>::Unwrap(info[0].As<Napi::Object>());
    state->sampler = Napi::ObjectWrap<AddonSampler>::Unwrap(info[1].As<Napi::Object>());
    if (state->ctx == nullptr || state->ctx->disposed || state->ctx->ctx == nullptr) {
        Napi::Error::New(env, "the context is disposed").ThrowAsJavaScriptException();
        return env.Undefined();
    }
    if (state->sampler == nullptr || state->sampler->disposed) {
        Napi::Error::New(env, "the sampler is disposed").ThrowAsJavaScriptException();
        return env.Undefined();
    }
    const llama_seq_id seqId = info[2].As<Napi::Number>().Int32Value();
    const llama_pos firstPos = info[3].As<Napi::Number>().Int32Value();
    auto inputArray = info[4].As<Napi::Uint32Array>();
    std::vector<llama_token> input(inputArray.Data(), inputArray.Data() + inputArray.ElementLength());
    const int64_t maxTokens = info[5].As<Napi::Number>().Int64Value();
    const llama_pos maxPos = info[6].As<Napi::Number>().Int32Value();
    if (input.empty() || maxTokens < 1) {
        Napi::RangeError::New(env, "nothing to generate: the input is empty or maxTokens < 1").ThrowAsJavaScriptException();
        return env.Undefined();
    }
    // Keep the context and sampler objects alive until the thread has finished.
    state->ctxRef = Napi::Persistent(info[0].As<Napi::Object>());
    state->samplerRef = Napi::Persistent(info[1].As<Napi::Object>());
    state->tsfn = Napi::ThreadSafeFunction::New(env, info[7].As<Napi::Function>(), "latheGenerate", 0, 1, [state](Napi::Env) {
        state->ctxRef.Reset();
        state->samplerRef.Reset();
    });
    std::thread(generationThread, state, seqId, firstPos, std::move(input), maxTokens, maxPos).detach();
    return Napi::Function::New(env, [state](const Napi::CallbackInfo& stopInfo) -> Napi::Value {
        state->stop.store(true);
        return stopInfo.Env().Undefined();
    }, "stop");
}

}  // namespace

void latheRegister(Napi::Env env, Napi::Object exports) {
    exports.DefineProperties({
        Napi::PropertyDescriptor::Function("latheExtensionsVersion", latheExtensionsVersion),
        Napi::PropertyDescriptor::Function("latheTokenScore", latheTokenScore),
        Napi::PropertyDescriptor::Function("latheCopyLogits", latheCopyLogits),
        Napi::PropertyDescriptor::Function("latheGenerate", latheGenerate),
    });
}
