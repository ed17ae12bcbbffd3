// Lathe's native entry points, compiled into node-llama-cpp's addon by "Build the engine for
// this machine" (engine/build/addonPatch.ts copies this file into the addon folder and
// registers latheRegister in addon.cpp). Two kinds:
// - logits readers (latheTokenScore, latheCopyLogits) read the logits llama.cpp keeps for
//   the last decoded batch, so they are synchronous and must be called while those logits
//   are valid: from a logit-data mapper of the decode that produced them
//   (engine/host/nativeLogits.ts);
// - a generation loop (latheGenerate) that decodes and samples without returning to
//   JavaScript between tokens (engine/host/nativeGeneration.ts).
// The prebuilt addon lacks them; the host then uses node-llama-cpp's own paths.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
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
//               maxTokens, maxPosition, chunkTokens, deliverMs, onEvent) -> stop()
// Decodes `input` at firstPosition.. on the sequence, then samples, accepts and decodes one
// token after another without returning to JavaScript between tokens (node-llama-cpp's
// loop makes two thread-pool round trips plus its own bookkeeping per token, about 1 ms on
// a 2-core machine). The work runs on the libuv pool like node-llama-cpp's own decodes
// (the same thread, so the same OpenMP team, when UV_THREADPOOL_SIZE is 1), in chunks of
// at most chunkTokens tokens so other queued work is not held up for a whole answer.
// onEvent(tokens) receives sampled tokens: the first at once, then at most one call per
// deliverMs (each wake-up of the main thread takes CPU from llama.cpp's threads on a small
// machine, and people read at frame rate anyway); the last event is onEvent(null,
// done), done = {decoded, eog, error?}: `decoded` tokens went into the KV cache (input
// first, then generated ones; the last sampled token is never decoded). It stops after
// maxTokens sampled tokens, before a decode would reach maxPosition, on an
// end-of-generation token (not reported), or soon after stop() (tokens already sampled are
// still reported). The caller holds the sequence exclusively, keeps the context and sampler
// alive until the done event, and uses a context where no other sequence decodes meanwhile.

struct GenerationEvent {
    std::vector<int32_t> tokens;
    bool done = false;
    int64_t decoded = 0;
    bool eog = false;
    std::string error;
};

struct GenerationState {
    std::atomic<bool> stop{false};
    Napi::ThreadSafeFunction tsfn;
    AddonContext* ctx = nullptr;
    AddonSampler* sampler = nullptr;
    Napi::ObjectReference ctxRef;
    Napi::ObjectReference samplerRef;
    llama_seq_id seqId = 0;
    llama_pos pos = 0;
    std::vector<llama_token> pending;  // to decode next: the input, then the last sampled token
    int64_t sampled = 0;
    int64_t maxTokens = 0;
    llama_pos maxPos = 0;
    int64_t chunkTokens = 16;
    int64_t decoded = 0;
    bool finished = false;
    std::chrono::steady_clock::duration deliverEvery{};
    std::chrono::steady_clock::time_point lastPost{};
    std::vector<int32_t> buffered;  // sampled tokens not yet posted to JavaScript
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

class GenerationChunk : public Napi::AsyncWorker {
    public:
        explicit GenerationChunk(Napi::Env env, std::shared_ptr<GenerationState> state)
            : Napi::AsyncWorker(env, "LatheGenerationChunk"), state(std::move(state)) {}

    protected:
        std::shared_ptr<GenerationState> state;

        // Runs on a pool thread: up to chunkTokens tokens, then back to the main thread.
        void Execute() override {
            GenerationState& st = *state;
            GenerationEvent end;
            end.done = true;
            if (st.ctx->disposed || st.ctx->ctx == nullptr) {
                end.error = "the context was disposed during generation";
                finish(end);
                return;
            }
            llama_context* lctx = st.ctx->ctx;
            const llama_vocab* vocab = st.ctx->model->vocab;
            const int32_t nBatch = std::max<int32_t>(1, (int32_t)llama_n_batch(lctx));
            llama_batch batch = llama_batch_init(std::min<int32_t>(nBatch, std::max<int32_t>(1, (int32_t)st.pending.size())), 0, 1);
            int32_t lastIndex = 0;
            auto decode = [&](const llama_token* tokens, int32_t n, bool logitsOnLast) -> bool {
                for (int32_t i = 0; i < n; i++) {
                    batch.token[i] = tokens[i];
                    batch.pos[i] = st.pos + i;
                    batch.n_seq_id[i] = 1;
                    batch.seq_id[i][0] = st.seqId;
                    batch.logits[i] = logitsOnLast && i == n - 1;
                }
                batch.n_tokens = n;
                const int32_t status = llama_decode(lctx, batch);
                if (status != 0) {
                    end.error = "llama_decode failed with status " + std::to_string(status);
                    return false;
                }
                st.pos += n;
                st.decoded += n;
                lastIndex = n - 1;
                return true;
            };
            bool ok = true;
            for (size_t start = 0; ok && start < st.pending.size(); start += nBatch) {
                const int32_t n = (int32_t)std::min<size_t>(nBatch, st.pending.size() - start);
                ok = decode(st.pending.data() + start, n, start + n == st.pending.size());
            }
            st.pending.clear();
            for (int64_t inChunk = 0; ok; inChunk++) {
                st.sampler->rebuildChainIfNeeded();
                llama_token_data_array cur_p;
                st.sampler->sample(lctx, lastIndex, cur_p, false);
                if (cur_p.size == 0 || !(cur_p.selected >= 0 && cur_p.selected < (int32_t)cur_p.size)) {
                    end.error = "the sampler chose no token";
                    break;
                }
                const llama_token token = cur_p.data[cur_p.selected].id;
                try {
                    st.sampler->acceptToken(token);
                } catch (const std::exception& e) {
                    end.error = std::string("failed to accept the token in the sampler: ") + e.what();
                    break;
                }
                if (llama_vocab_is_eog(vocab, token)) {
                    end.eog = true;
                    break;
                }
                st.buffered.push_back(token);
                st.sampled++;
                const bool last = st.stop.load() || st.sampled >= st.maxTokens || st.pos >= st.maxPos;
                const auto now = std::chrono::steady_clock::now();
                if (st.sampled == 1 || last || now - st.lastPost >= st.deliverEvery) {
                    if (!post()) break;
                    st.lastPost = now;
                }
                if (last) break;
                if (inChunk + 1 >= st.chunkTokens) {
                    // Yield the pool thread; the next chunk decodes this token first.
                    st.pending.push_back(token);
                    llama_batch_free(batch);
                    return;
                }
                ok = decode(&token, 1, true);
            }
            llama_batch_free(batch);
            finish(end);
        }

        // Sends the buffered tokens to JavaScript; false when the function is gone.
        bool post() {
            if (state->buffered.empty()) return true;
            auto* event = new GenerationEvent();
            event->tokens.swap(state->buffered);
            if (state->tsfn.NonBlockingCall(event, deliver) != napi_ok) {
                delete event;
                return false;
            }
            return true;
        }

        void finish(GenerationEvent& end) {
            post();
            state->finished = true;
            auto* done = new GenerationEvent(end);
            done->decoded = state->decoded;
            if (state->tsfn.NonBlockingCall(done, deliver) != napi_ok) delete done;
            state->tsfn.Release();
        }

        // Main thread: queue the next chunk unless the generation has finished.
        void OnOK() override {
            if (state->finished) return;
            (new GenerationChunk(Env(), state))->Queue();
        }
        void OnError(const Napi::Error&) override {}
};

Napi::Value latheGenerate(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 10 || !info[0].IsObject() || !info[1].IsObject() || !info[4].IsTypedArray() || !info[9].IsFunction()) {
        Napi::TypeError::New(env, "expected (context, sampler, sequenceId, firstPosition, input, maxTokens, maxPosition, chunkTokens, deliverMs, onEvent)").ThrowAsJavaScriptException();
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
    state->seqId = info[2].As<Napi::Number>().Int32Value();
    state->pos = info[3].As<Napi::Number>().Int32Value();
    auto inputArray = info[4].As<Napi::Uint32Array>();
    state->pending.assign(inputArray.Data(), inputArray.Data() + inputArray.ElementLength());
    state->maxTokens = info[5].As<Napi::Number>().Int64Value();
    state->maxPos = info[6].As<Napi::Number>().Int32Value();
    state->chunkTokens = std::max<int64_t>(1, info[7].As<Napi::Number>().Int64Value());
    state->deliverEvery = std::chrono::milliseconds(std::max<int64_t>(0, info[8].As<Napi::Number>().Int64Value()));
    if (state->pending.empty() || state->maxTokens < 1) {
        Napi::RangeError::New(env, "nothing to generate: the input is empty or maxTokens < 1").ThrowAsJavaScriptException();
        return env.Undefined();
    }
    // Keep the context and sampler objects alive until the generation has finished.
    state->ctxRef = Napi::Persistent(info[0].As<Napi::Object>());
    state->samplerRef = Napi::Persistent(info[1].As<Napi::Object>());
    state->tsfn = Napi::ThreadSafeFunction::New(env, info[9].As<Napi::Function>(), "latheGenerate", 0, 1, [state](Napi::Env) {
        state->ctxRef.Reset();
        state->samplerRef.Reset();
    });
    (new GenerationChunk(env, state))->Queue();
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
