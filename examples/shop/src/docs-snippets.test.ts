import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { region, snippets } from '../../../scripts/snippets.mjs';

const root = new URL('../../../', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, root), 'utf8');
const blocks = snippets(read('README.md'));

describe('README snippets are the code they claim to be (npm run docs:sync rewrites them)', () => {
  it('has snippets', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(3);
  });
  it.each(blocks.map((s) => [`${s.path}${s.name === undefined ? '' : `#${s.name}`}`, s] as const))(
    '%s',
    (_label, s) => {
      expect(s.text).toBe(region(read(s.path), s.name));
    },
  );
});
