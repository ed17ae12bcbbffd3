// Runs in a child process (`node --import tsx test/db/helpers/child.ts <mode> <dbpath>`)
// so tests can crash or compete with "another Lathe":
//   hold   - opens the store, prints "ready", keeps it open until killed;
//   stream - sets up a conversation, streams an answer forever (throttled writes) and
//            prints "flushed <text>" after each explicit flush, until SIGKILLed.
import { openStore } from "../../../db/openStore.ts";

const [mode, path] = process.argv.slice(2);
if (!path) throw new Error("usage: child.ts hold|stream <dbpath>");
const store = openStore({ path });

if (mode === "hold") {
  console.log("ready");
  // The interval references the store: an unreferenced handle is garbage-collected, and
  // collecting it closes the connection and releases the lock.
  setInterval(() => void store.path, 1000);
} else if (mode === "stream") {
  const h = store.history;
  const other = await h.createConversation({ title: "Untouched", tags: ["keep"] });
  await h.addMessage({
    conversationId: other.id,
    parentId: null,
    role: "user",
    content: "An earlier conversation",
  });
  const conv = await h.createConversation({ title: "Crashing stream" });
  const question = await h.addMessage({
    conversationId: conv.id,
    parentId: null,
    role: "user",
    content: "Count for me",
  });
  const writer = await h.beginAssistantMessage({
    conversationId: conv.id,
    parentId: question.id,
    provenance: {
      modelFile: "tiny.gguf",
      modelSha256: "c".repeat(64),
      modelMetadata: {},
      adapters: [],
      sampling: { temperature: 0 },
      seed: null,
      chatTemplate: null,
      latheVersion: "0.1.0",
      nodeLlamaCppVersion: "3.21.1",
      llamaCppVersion: "v0.4.0",
      startedAt: Date.now(),
    },
    throttleMs: 20,
  });
  console.log(`ids ${conv.id} ${question.id} ${writer.messageId} ${other.id}`);
  let i = 0;
  setInterval(() => {
    writer.append(`word${i++} `);
    if (i % 25 === 0) void writer.flush().then(() => console.log(`flushed ${writer.content}`));
  }, 2);
} else {
  throw new Error(`unknown mode ${mode}`);
}
