// Pure helpers over a conversation's message tree: the path from the root to a leaf with
// sibling positions, and which leaf to show when a branch is chosen. db/messages.ts
// runs them over the tree's links (ids only, no content); renderers may use them too.

/** The shape of one tree node these helpers need. */
export interface TreeLink {
  /** Message id. */
  id: string;
  /** Parent id; null for a root. */
  parentId: string | null;
  /** The child last viewed below this node; null (or a stale id) means "the newest child". */
  activeChildId: string | null;
}

/** A conversation's tree indexed for walking. Links must be given oldest first. */
export interface TreeIndex {
  /** Node by id. */
  byId: Map<string, TreeLink>;
  /** Child ids by parent id ("" for roots), oldest first. */
  children: Map<string, string[]>;
}

export function indexTree(links: readonly TreeLink[]): TreeIndex {
  const byId = new Map<string, TreeLink>();
  const children = new Map<string, string[]>();
  for (const link of links) {
    byId.set(link.id, link);
    const key = link.parentId ?? "";
    const list = children.get(key);
    if (list) list.push(link.id);
    else children.set(key, [link.id]);
  }
  return { byId, children };
}

/** Ids from the root down to id (inclusive); empty when id is not in the tree. */
export function pathIds(tree: TreeIndex, id: string): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (
    let cur = tree.byId.get(id);
    cur && !seen.has(cur.id);
    cur = cur.parentId ? tree.byId.get(cur.parentId) : undefined
  ) {
    seen.add(cur.id);
    out.push(cur.id);
  }
  return out.reverse();
}

/** The node and its siblings (same parent), oldest first. */
export function siblingsOf(tree: TreeIndex, id: string): string[] {
  const node = tree.byId.get(id);
  if (!node) return [];
  return tree.children.get(node.parentId ?? "") ?? [id];
}

/**
 * The leaf reached from id by following, at each node, the child last viewed (its
 * activeChildId) or else the newest child. This is what "switching to a branch" shows.
 */
export function descendToLeaf(tree: TreeIndex, id: string): string {
  let cur = id;
  const seen = new Set<string>([cur]);
  for (;;) {
    const kids = tree.children.get(cur);
    if (!kids || kids.length === 0) return cur;
    const active = tree.byId.get(cur)?.activeChildId;
    const next = active && kids.includes(active) ? active : kids[kids.length - 1]!;
    if (seen.has(next)) return cur;
    seen.add(next);
    cur = next;
  }
}

/** The leaf shown when no current leaf is recorded: below the newest root, or null when empty. */
export function defaultLeaf(tree: TreeIndex): string | null {
  const roots = tree.children.get("");
  const last = roots?.[roots.length - 1];
  return last === undefined ? null : descendToLeaf(tree, last);
}
