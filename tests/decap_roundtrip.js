// Rewrites Markdown files in place as Decap CMS saves them: the front matter
// is read and written with the `yaml` package Decap uses, the same calls as
// decap-cms-core's formats/yaml.ts (parseDocument, toJSON, createNode,
// Document.toString) and its "---" delimiters (formats/frontmatter.ts).
// Used by tests/test_decap.py; run with NODE_PATH=admin/node_modules.
'use strict';
const fs = require('fs');
const yaml = require('yaml');

for (const file of process.argv.slice(2)) {
  const text = fs.readFileSync(file, 'utf8');
  const match = text.match(/^---\r?\n([\s\S]*?)\r?\n---\r?\n?([\s\S]*)$/);
  if (!match) continue;
  const doc = yaml.parseDocument(match[1], { prettyErrors: true });
  if (doc.errors.length) throw new Error(`${file}: ${doc.errors.map(e => e.message).join('; ')}`);
  const written = new yaml.Document();
  written.contents = yaml.createNode(doc.toJSON());
  fs.writeFileSync(file, `---\n${written.toString()}---\n${match[2]}`);
}
