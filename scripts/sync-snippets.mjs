// `npm run docs:sync`: rewrites the README's snippet blocks from the code they name (scripts/snippets.mjs).
import { readFileSync, writeFileSync } from 'node:fs';
import { syncSnippets } from './snippets.mjs';

const readme = readFileSync('README.md', 'utf8');
const synced = syncSnippets(readme, (path) => readFileSync(path, 'utf8'));
if (synced !== readme) writeFileSync('README.md', synced);
console.log(synced === readme ? 'README snippets already in sync' : 'README snippets updated');
