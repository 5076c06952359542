// Validates YAML state tables against the JSON Schema: files after --valid must pass,
// files after --invalid must fail (a YAML error counts as failing). Exit 1 on any surprise.
'use strict';
const fs = require('fs');
const Ajv = require('ajv');
const YAML = require('yaml');

const [schemaPath, ...rest] = process.argv.slice(2);
const ajv = new Ajv({allErrors: true, strict: false});
const validate = ajv.compile(JSON.parse(fs.readFileSync(schemaPath, 'utf8')));

let mode = null, pass = 0, fail = 0;
for (const arg of rest) {
  if (arg === '--valid' || arg === '--invalid') { mode = arg; continue; }
  let ok, why = '';
  try {
    const doc = YAML.parse(fs.readFileSync(arg, 'utf8'), {uniqueKeys: true});
    ok = validate(doc);
    if (!ok) why = ajv.errorsText(validate.errors);
  } catch (e) {
    ok = false;
    why = 'YAML: ' + e.message.split('\n')[0];
  }
  const want = mode === '--valid';
  if (ok === want) {
    pass++;
  } else {
    fail++;
    console.log(`FAIL ${arg}: schema ${ok ? 'accepted' : 'rejected'} it${why ? ' (' + why + ')' : ''}`);
  }
}
console.log(`${pass} passed, ${fail} failed`);
process.exit(fail ? 1 : 0);
