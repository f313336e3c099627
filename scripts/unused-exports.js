#!/usr/bin/env node
// Lint step: fails on an export of src/ that no other file imports (src, test, scripts). An export
// nothing imports is either dead code or something that should be private to its file; both make
// the code harder to read. Uses the TypeScript compiler's own module resolution and symbols, so
// re-exports (`export * from`, `export { x } from`) and type-only imports count like any import.
// The JavaScript scripts load built or transpiled modules by path, which the compiler cannot follow:
// a name a scripts/*.js file reads as `.name` or destructures counts as used.
// Prints one line per unused export and exits 1 when there is any. Usage: unused-exports.js [root]
// (the project root, with its tsconfig.json; default: this repository).
const fs = require('fs');
const path = require('path');
const ts = require('typescript');

const root = path.resolve(process.argv[2] ?? path.join(__dirname, '..'));
const rel = (f) => path.relative(root, f);

function program() {
  const configFile = ts.readConfigFile(path.join(root, 'tsconfig.json'), ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(configFile.config, ts.sys, root);
  const scriptsTs = scriptFiles('.ts');
  return ts.createProgram([...parsed.fileNames, ...scriptsTs], { ...parsed.options, noEmit: true });
}

/** The project's scripts/ files with this extension (none when it has no scripts/ folder). */
function scriptFiles(ext) {
  const dir = path.join(root, 'scripts');
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(ext))
    .map((f) => path.join(dir, f));
}

/** The symbol an import or re-export finally stands for (through every alias). */
function resolved(checker, symbol) {
  return symbol && symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
}

/** Names that scripts/*.js read from the modules they load (`.name` or `{ name } =`). */
function namesReadByScripts() {
  const names = new Set();
  for (const f of scriptFiles('.js')) {
    const text = fs.readFileSync(f, 'utf8');
    for (const m of text.matchAll(/\.([A-Za-z_$][\w$]*)/g)) names.add(m[1]);
    for (const m of text.matchAll(/\{([^}]*)\}\s*=/g))
      for (const part of m[1].split(',')) names.add(part.split(':')[0].trim());
  }
  return names;
}

function main() {
  const prog = program();
  const checker = prog.getTypeChecker();
  const files = prog.getSourceFiles().filter((f) => !f.isDeclarationFile && !f.fileName.includes('node_modules'));
  // Symbols some other file imports or re-exports, with the files that do.
  const used = new Map();
  const use = (symbol, from) => {
    const s = resolved(checker, symbol);
    if (!s) return;
    if (!used.has(s)) used.set(s, new Set());
    used.get(s).add(from.fileName);
  };
  const moduleOf = (specifier) => {
    const m = checker.getSymbolAtLocation(specifier);
    return m ? checker.getExportsOfModule(m) : [];
  };
  for (const file of files) {
    const visit = (node) => {
      if (ts.isImportDeclaration(node) && node.importClause) {
        const c = node.importClause;
        if (c.name) use(checker.getSymbolAtLocation(c.name), file);
        const b = c.namedBindings;
        if (b && ts.isNamedImports(b)) for (const e of b.elements) use(checker.getSymbolAtLocation(e.name), file);
        if (b && ts.isNamespaceImport(b)) for (const s of moduleOf(node.moduleSpecifier)) use(s, file);
      } else if (ts.isExportDeclaration(node) && node.moduleSpecifier) {
        if (node.exportClause && ts.isNamedExports(node.exportClause)) {
          for (const e of node.exportClause.elements) use(checker.getSymbolAtLocation(e.name), file);
        } else {
          for (const s of moduleOf(node.moduleSpecifier)) use(s, file);
        }
      } else if (ts.isImportTypeNode(node) && node.qualifier) {
        use(
          checker.getSymbolAtLocation(ts.isQualifiedName(node.qualifier) ? node.qualifier.right : node.qualifier),
          file,
        );
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
  }

  const fromScripts = namesReadByScripts();
  const unused = [];
  for (const file of files.filter((f) => rel(f.fileName).startsWith(`src${path.sep}`))) {
    const moduleSymbol = checker.getSymbolAtLocation(file);
    if (!moduleSymbol) continue;
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      // Only what this file itself declares or re-exports by name; `export *` is reported at its source.
      const own = (exported.declarations ?? []).some((d) => d.getSourceFile() === file);
      if (!own) continue;
      const users = used.get(resolved(checker, exported));
      const elsewhere = users && [...users].some((u) => u !== file.fileName);
      if (elsewhere || fromScripts.has(exported.name)) continue;
      const decl = exported.declarations.find((d) => d.getSourceFile() === file);
      const { line } = file.getLineAndCharacterOfPosition(decl.getStart());
      const where = `${rel(file.fileName)}:${line + 1}: ${exported.name}`;
      unused.push(where);
    }
  }
  if (unused.length) {
    console.error(`${unused.length} export(s) that nothing imports (un-export or remove them):`);
    for (const u of unused) console.error(`  ${u}`);
    process.exit(1);
  }
  console.log('unused exports: none');
}

main();
