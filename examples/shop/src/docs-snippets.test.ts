import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('../../../', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, root), 'utf8');

/** The lines between `// #region name` and `// #endregion name`, with their common indent removed. */
function region(source: string, name: string): string {
  const lines = source.split('\n');
  const start = lines.findIndex((l) => l.trim() === `// #region ${name}`);
  const end = lines.findIndex((l) => l.trim() === `// #endregion ${name}`);
  if (start < 0 || end < start) throw new Error(`region '${name}' not found`);
  const body = lines.slice(start + 1, end);
  const indent = Math.min(...body.filter((l) => l.trim() !== '').map((l) => l.length - l.trimStart().length));
  return body.map((l) => l.slice(indent)).join('\n') + '\n';
}

/** Every README block announced as `<!-- snippet: path#region -->` (or a whole file without #region). */
const snippets = [...read('README.md').matchAll(/<!-- snippet: ([^#\s]+)(?:#(\S+))? -->\n```ts\n([\s\S]*?)```/g)].map(
  ([, path, name, text]) => ({ path: path!, name, text: text! }),
);

describe('README snippets are the code they claim to be', () => {
  it('has snippets', () => {
    expect(snippets.length).toBeGreaterThanOrEqual(3);
  });
  it.each(snippets.map((s) => [`${s.path}${s.name === undefined ? '' : `#${s.name}`}`, s] as const))(
    '%s',
    (_label, s) => {
      const source = read(s.path);
      expect(s.text).toBe(s.name === undefined ? source : region(source, s.name));
    },
  );
});
