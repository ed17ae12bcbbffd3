// The pure parts of the download service: which URIs are accepted (hf: forms, https, http only
// on loopback) and the models-folder containment check that guards deleting files.
import { describe, expect, it } from "vitest";
import { ApiError } from "../../core/api/errors.ts";
import { checkDownloadUri, isInsideFolder } from "../../core/services/downloads.ts";
import { curatedModels } from "../../core/services/curatedModels.ts";

describe("checkDownloadUri", () => {
  it("accepts Hugging Face URIs, https URLs and loopback http, trimmed", () => {
    for (const uri of [
      "hf:Qwen/Qwen2.5-0.5B-Instruct-GGUF:Q4_K_M",
      "hf:bartowski/SmolLM2-360M-Instruct-GGUF",
      "hf:org/repo/sub/dir/model.Q8_0.gguf",
      "hf:org/repo/model.gguf#dev",
      "huggingface:org/repo:q4_k_m",
      "https://huggingface.co/org/repo/resolve/main/model.gguf?download=true",
      "https://example.com/models/tiny.gguf",
      "http://127.0.0.1:8080/files/a.gguf",
      "http://localhost/a.gguf",
      "http://[::1]:9000/a.gguf",
    ]) {
      expect(checkDownloadUri(`  ${uri} `)).toBe(uri);
    }
  });

  it("refuses plain http to other hosts and anything that is not a download URI, saying why", () => {
    const why = (uri: string) => {
      try {
        checkDownloadUri(uri);
        return null;
      } catch (err) {
        expect(err).toBeInstanceOf(ApiError);
        expect((err as ApiError).code).toBe("invalid_input");
        return (err as ApiError).message;
      }
    };
    expect(why("http://example.com/a.gguf")).toMatch(/Plain http is allowed only for loopback hosts.*use https/);
    expect(why("http://127.0.0.1.evil.com/a.gguf")).toMatch(/only for loopback/);
    expect(why("http://localhost.evil.com/a.gguf")).toMatch(/only for loopback/);
    expect(why("file:///etc/passwd")).toMatch(/Not a download URI/);
    expect(why("hf:onlyone")).toMatch(/Not a download URI/);
    expect(why("hf:org/repo/notes.txt")).toMatch(/Not a download URI/);
    expect(why("/home/me/model.gguf")).toMatch(/Use hf:org\/repo:Q4_K_M/);
  });

  it("accepts every curated URI", () => {
    for (const m of curatedModels) expect(checkDownloadUri(m.uri)).toBe(m.uri);
  });
});

describe("isInsideFolder", () => {
  it("is true only strictly inside the folder, without dot segments", () => {
    expect(isInsideFolder("/data/models", "/data/models/a.gguf")).toBe(true);
    expect(isInsideFolder("/data/models/", "/data/models/sub/a.gguf")).toBe(true);
    expect(isInsideFolder("/data/models", "/data/models")).toBe(false);
    expect(isInsideFolder("/data/models", "/data/models-old/a.gguf")).toBe(false);
    expect(isInsideFolder("/data/models", "/data/models/../lathe.db")).toBe(false);
    expect(isInsideFolder("/data/models", "/data/models/./a.gguf")).toBe(false);
    expect(isInsideFolder("/data/models", "/data/models//a.gguf")).toBe(false);
    expect(isInsideFolder("/data/models", "/elsewhere/a.gguf")).toBe(false);
  });

  it("uses the folder's own separator on Windows paths", () => {
    expect(isInsideFolder("C:\\Users\\me\\Lathe\\models", "C:\\Users\\me\\Lathe\\models\\a.gguf")).toBe(true);
    expect(isInsideFolder("C:\\Users\\me\\Lathe\\models", "C:\\Users\\me\\Lathe\\models\\..\\lathe.db")).toBe(false);
  });
});
