// Extracts the `@example` blocks of the packages' JSDoc and type-checks them with the real public
// API in scope (every export of tidings, tidings/testing, tidings/streams, tidings/store-kit, @tidings/sqlite, @tidings/postgres and @tidings/mqtt).
// Identifiers an example uses without declaring (its fixtures: `store`, `OrderPaid`, `mailer`…)
// are declared `any` after a first pass, so what is checked is the API the example calls.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const ENTRIES = {
  tidings: 'packages/tidings/src/index.ts',
  'tidings/testing': 'packages/tidings/src/testing/index.ts',
  '@tidings/sqlite': 'packages/sqlite/src/index.ts',
  '@tidings/postgres': 'packages/postgres/src/index.ts',
  'tidings/streams': 'packages/tidings/src/streams/index.ts',
  '@tidings/mqtt': 'packages/mqtt/src/index.ts',
  'tidings/store-kit': 'packages/tidings/src/store-kit/index.ts',
};

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (name !== 'node_modules' && name !== 'dist' && name !== '__fixtures__' && name !== 'test-support')
        walk(path, out);
    } else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.test-d.ts')) out.push(path);
  }
  return out;
}

/** Every `@example` block under `root/packages/*\/src`: { file, line, code }. */
export function extractExamples(root) {
  const examples = [];
  for (const pkg of readdirSync(join(root, 'packages'))) {
    const src = join(root, 'packages', pkg, 'src');
    if (pkg === 'contract-tests') continue;
    for (const file of walk(src)) {
      const text = readFileSync(file, 'utf8');
      const re = /\/\*\*[\s\S]*?\*\//g;
      for (const match of text.matchAll(re)) {
        const lines = match[0].split('\n').map((l) => l.replace(/^\s*\/?\*+\/?\s?/, '').replace(/\*\/\s*$/, ''));
        let current;
        const startLine = text.slice(0, match.index).split('\n').length;
        lines.forEach((l, i) => {
          if (/^@example\b/.test(l.trim())) {
            if (current) examples.push(current);
            current = { file: relative(root, file), line: startLine + i, code: [] };
          } else if (current && /^@\w+/.test(l.trim())) {
            examples.push(current);
            current = undefined;
          } else if (current) current.code.push(l);
        });
        if (current) examples.push(current);
      }
    }
  }
  return examples.map((e) => ({ ...e, code: e.code.join('\n').trim() })).filter((e) => e.code.length > 0);
}

function publicNames(program, checker, path) {
  const source = program.getSourceFile(path);
  const symbol = checker.getSymbolAtLocation(source);
  return checker.getExportsOfModule(symbol).map((s) => s.getName());
}

/** Type-checks the examples (and `extra` ones: { file, line, code }); returns [{ file, line, errors: string[] }] for those that fail. */
export function checkExamples(root, extra = []) {
  const examples = [...extractExamples(root), ...extra];
  const options = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.es2023.d.ts', 'lib.esnext.disposable.d.ts'],
    strict: true,
    exactOptionalPropertyTypes: true,
    noEmit: true,
    skipLibCheck: true,
    types: ['node'],
    baseUrl: root,
    paths: Object.fromEntries(Object.entries(ENTRIES).map(([k, v]) => [k, [v]])),
    allowImportingTsExtensions: false,
  };
  // Which names each entry exports (one throwaway program over the entries).
  const entryProgram = ts.createProgram(
    Object.values(ENTRIES).map((p) => join(root, p)),
    options,
  );
  const entryChecker = entryProgram.getTypeChecker();
  // A name exported by two entries (a type in tidings, a value in tidings/testing; `aggregate` in
  // tidings and tidings/streams) comes from the first in order; examples of the streams and mqtt
  // packages see tidings/streams first.
  const exported = Object.entries(ENTRIES).map(([spec, path]) => [
    spec,
    publicNames(entryProgram, entryChecker, join(root, path)),
  ]);
  const preludeFor = (own, file) => {
    const streamsFirst = file.startsWith('packages/tidings/src/streams/') || file.startsWith('packages/mqtt/');
    const ordered = streamsFirst
      ? [
          ...exported.filter(([spec]) => spec === 'tidings/streams'),
          ...exported.filter(([spec]) => spec !== 'tidings/streams'),
        ]
      : exported;
    const seen = new Set(own);
    return ordered
      .map(([spec, names]) => {
        const mine = names.filter((n) => !seen.has(n));
        mine.forEach((n) => seen.add(n));
        return `import { ${mine.join(', ')} } from '${spec}';`;
      })
      .join('\n');
  };
  const run = (declared) => {
    const files = new Map();
    examples.forEach((e, i) => {
      const decl = (declared.get(i) ?? []).map((n) => `declare const ${n}: any;\ntype ${n} = any;`).join('\n');
      // Names the example imports itself are left out of the prelude.
      const own = new Set(
        [...e.code.matchAll(/import\s*(?:type\s*)?\{([^}]*)\}/g)].flatMap((m) =>
          m[1].split(',').map((n) =>
            n
              .trim()
              .replace(/^type\s+/, '')
              .split(/\s+as\s+/)
              .pop(),
          ),
        ),
      );
      const prelude = preludeFor(own, e.file);
      files.set(join(root, `__jsdoc_example_${i}.ts`), `${prelude}\n${decl}\nexport {};\n${e.code}\n`);
    });
    const host = ts.createCompilerHost(options);
    const read = host.readFile.bind(host);
    const exists = host.fileExists.bind(host);
    host.readFile = (f) => files.get(f) ?? read(f);
    host.fileExists = (f) => files.has(f) || exists(f);
    const getSource = host.getSourceFile.bind(host);
    host.getSourceFile = (f, lang, ...rest) =>
      files.has(f) ? ts.createSourceFile(f, files.get(f), lang, true) : getSource(f, lang, ...rest);
    const program = ts.createProgram([...files.keys()], { ...options, noUnusedLocals: false }, host);
    const diagnostics = new Map();
    for (const [path] of files) {
      const i = Number(/__jsdoc_example_(\d+)\.ts$/.exec(path)[1]);
      const sf = program.getSourceFile(path);
      const diags = [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)];
      if (diags.length > 0) diagnostics.set(i, diags);
    }
    return diagnostics;
  };
  const first = run(new Map());
  const declared = new Map();
  for (const [i, diags] of first) {
    const missing = diags
      .filter((d) => d.code === 2304 || d.code === 2552 || d.code === 18004)
      .map((d) => /'([^']+)'/.exec(ts.flattenDiagnosticMessageText(d.messageText, '\n'))?.[1])
      .filter((n) => n !== undefined);
    if (missing.length > 0) declared.set(i, [...new Set(missing)]);
  }
  const second = run(declared);
  return [...second]
    .map(([i, diags]) => ({
      file: examples[i].file,
      line: examples[i].line,
      errors: diags
        // Consequences of the `any` fixtures, not of the API: values typed unknown / parameters
        // implicitly any because the definitions they come from are undeclared.
        .filter((d) => ![18046, 7006, 7031, 2571].includes(d.code))
        .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')),
    }))
    .filter((r) => r.errors.length > 0);
}
