// Schema 20: full-text search over message content (FTS5, external content on
// messages.seq) kept in sync by triggers, a covering index for the search filters, and
// a backfill of existing messages. Messages are indexed once they stop streaming, so a
// growing answer is not re-indexed on every throttled write; the update that ends a
// stream indexes the final text.
import type { Db } from "../sql.ts";

export default function up(db: Db): void {
  db.exec(`
    CREATE VIRTUAL TABLE messages_fts USING fts5(
      content,
      content = 'messages',
      content_rowid = 'seq',
      tokenize = 'unicode61 remove_diacritics 2'
    );

    CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages
    WHEN new.status <> 'streaming'
    BEGIN
      INSERT INTO messages_fts(rowid, content) VALUES (new.seq, new.content);
    END;

    CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
    WHEN old.status <> 'streaming'
    BEGIN
      INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.seq, old.content);
    END;

    -- One trigger, two statements in order: drop the old text when it was indexed and
    -- changes (or streams again), then add the new text when it is indexable and new.
    -- (Two triggers would run in an unspecified order, and adding a rowid before
    -- removing it breaks an external-content index.)
    CREATE TRIGGER messages_fts_update AFTER UPDATE OF content, status ON messages
    WHEN new.content IS NOT old.content OR (old.status = 'streaming') <> (new.status = 'streaming')
    BEGIN
      INSERT INTO messages_fts(messages_fts, rowid, content)
        SELECT 'delete', old.seq, old.content
        WHERE old.status <> 'streaming' AND (new.status = 'streaming' OR new.content IS NOT old.content);
      INSERT INTO messages_fts(rowid, content)
        SELECT new.seq, new.content
        WHERE new.status <> 'streaming' AND (old.status = 'streaming' OR new.content IS NOT old.content);
    END;

    -- Search filters read role, date and conversation of every match: a covering index
    -- keeps those reads off the content-heavy table rows (several times faster at 100k).
    CREATE INDEX messages_for_search ON messages(seq, role, created_at, conversation_id, id);

    INSERT INTO messages_fts(rowid, content) SELECT seq, content FROM messages WHERE status <> 'streaming';
  `);
}
