// Rewrites every README block announced as `<!-- snippet: path#region -->` from the code it names,
// so docs stay what the examples compile and test. `examples/shop/src/docs-snippets.test.ts` fails
// when they drift; `npm run docs:sync` fixes them.
import { readFileSync, writeFileSync } from 'node:fs';

const region = (source, name) => {
  if (name === undefined) return source;
  const lines = source.split('\n');
  const start = lines.findIndex((l) => l.trim() === `// #region ${name}`);
  const end = lines.findIndex((l) => l.trim() === `// #endregion ${name}`);
  if (start < 0 || end < start) throw new Error(`region '${name}' not found`);
  const body = lines.slice(start + 1, end);
  const indent = Math.min(...body.filter((l) => l.trim() !== '').map((l) => l.length - l.trimStart().length));
  return body.map((l) => l.slice(indent)).join('\n') + '\n';
};

const readme = readFileSync('README.md', 'utf8');
const synced = readme.replace(
  /(<!-- snippet: ([^#\s]+)(?:#(\S+))? -->\n```ts\n)[\s\S]*?```/g,
  (_all, head, path, name) => `${head}${region(readFileSync(path, 'utf8'), name)}\`\`\``,
);
if (synced !== readme) writeFileSync('README.md', synced);
console.log(synced === readme ? 'README snippets already in sync' : 'README snippets updated');
