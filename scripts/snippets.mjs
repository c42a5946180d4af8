// README snippets: a block announced as `<!-- snippet: path#region -->` holds the lines between
// `// #region name` and `// #endregion name` of that file (or the whole file without #region).
// Used by `npm run docs:sync` and by examples/shop/src/docs-snippets.test.ts.

/** The lines of a region, with their common indent removed. */
export function region(source, name) {
  if (name === undefined) return source;
  const lines = source.split('\n');
  const start = lines.findIndex((l) => l.trim() === `// #region ${name}`);
  const end = lines.findIndex((l) => l.trim() === `// #endregion ${name}`);
  if (start < 0 || end < start) throw new Error(`region '${name}' not found`);
  const body = lines.slice(start + 1, end);
  const indent = Math.min(...body.filter((l) => l.trim() !== '').map((l) => l.length - l.trimStart().length));
  return body.map((l) => l.slice(indent)).join('\n') + '\n';
}

const BLOCK = /(<!-- snippet: ([^#\s]+)(?:#(\S+))? -->\n```ts\n)([\s\S]*?)```/g;

/** Every snippet block of a README: where it claims to come from and what it holds. */
export function snippets(readme) {
  return [...readme.matchAll(BLOCK)].map(([, , path, name, text]) => ({ path, name, text }));
}

/** The README with every snippet block rewritten from its source (`read(path)` gives a file's text). */
export function syncSnippets(readme, read) {
  return readme.replace(BLOCK, (_all, head, path, name) => `${head}${region(read(path), name)}\`\`\``);
}
