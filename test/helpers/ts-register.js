// Lets plain `node -r ./test/helpers/ts-register.js src/cli.ts …` run the TypeScript sources, so
// the CLI tests run the CLI as a user does (a real process, its exit code and output) without a
// build: each .ts file is transpiled on require (types are checked by tsc, not here). Transpiled
// text is cached under build/ by the source's content hash, so later processes start faster.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const ts = require('typescript');

const options = { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, resolveJsonModule: true };
const cacheDir = path.join(__dirname, '..', '..', 'build', 'ts-register-cache');

function transpile(source, filename) {
  const key = crypto.createHash('sha256').update(`${ts.version}\0${filename}\0${source}`).digest('hex');
  const cached = path.join(cacheDir, `${key}.js`);
  try {
    return fs.readFileSync(cached, 'utf8');
  } catch {
    const { outputText } = ts.transpileModule(source, { compilerOptions: options, fileName: filename });
    fs.mkdirSync(cacheDir, { recursive: true });
    const tmp = `${cached}.${process.pid}`;
    fs.writeFileSync(tmp, outputText);
    fs.renameSync(tmp, cached);
    return outputText;
  }
}

require.extensions['.ts'] = (module, filename) => {
  module._compile(transpile(fs.readFileSync(filename, 'utf8'), filename), filename);
};
