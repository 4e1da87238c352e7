#!/usr/bin/env node
// Syntax-checks PowerShell files without a PowerShell interpreter, so that
// Windows job templates and packaging scripts can be checked on Linux CI
// before a Windows VM ever runs them.
//
// Usage: node check.mjs FILE...
// Exit status: 0 all files parse, 1 some file has syntax errors,
// 2 usage error (no files, or a file cannot be read).
//
// The grammar is tree-sitter's, not PowerShell's own parser, so a clean
// result is evidence, not proof. It catches unbalanced brackets, unterminated
// strings and malformed statements. It misses some things PowerShell rejects
// (`try` without `catch`, a lone `else`), and it rejects some valid code:
// bareword lists as arguments (`Select-Object Name, Id`; quote the words),
// native `--flag=value` arguments (quote them), several `switch` clauses on
// one line. It rejects PowerShell 7-only `?:` and `??` as well, which Windows
// PowerShell 5.1 on the stemcells would reject too.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import process from 'node:process';
import v8 from 'node:v8';
import { Parser, Language } from 'web-tree-sitter';

const USAGE = 'usage: node check.mjs FILE...';
const SNIPPET_MAX = 40;

// Closers the grammar can report as MISSING, mapped to the last character of
// their openers (`{`, `@{`, `(`, `@(`, `$(`, `[`), so the report can point at
// the place where the unclosed block began instead of only at end of file.
const OPENER_FOR = { '}': '{', ')': '(', ']': '[' };

function usageError(message) {
  process.stderr.write(`check.mjs: ${message}\n${USAGE}\n`);
  process.exit(2);
}

// BOSH renders every file under a job's templates/ through ERB, whatever its
// extension, so a valid pre-start.ps1 may contain `$<%= p("x") %>`. Such tags
// are replaced by text of the same length (output tags by a bareword, others
// by blanks, newlines kept) so that positions in the tree stay true.
// Packaging scripts are not rendered, so they are checked as written.
function isErbTemplate(file) {
  return file.endsWith('.erb') || file.split(/[\\/]/).includes('templates');
}

function maskErb(text) {
  return text.replace(/<%(?!%)([=#-]?)([\s\S]*?)%>/g, (tag, kind) => {
    const fill = kind === '=' ? 'x' : ' ';
    return tag.replace(/[^\n]/g, fill);
  });
}

// tree-sitter columns count UTF-16 code units; editors count characters.
function position(source, point) {
  const lineStart = lineStartIndex(source, point.row);
  const before = source.slice(lineStart, lineStart + point.column);
  return { line: point.row + 1, col: Array.from(before).length + 1 };
}

function lineStartIndex(source, row) {
  let index = 0;
  for (let r = 0; r < row; r++) {
    index = source.indexOf('\n', index) + 1;
  }
  return index;
}

function truncate(text) {
  const chars = Array.from(text);
  return chars.length > SNIPPET_MAX ? chars.slice(0, SNIPPET_MAX).join('') + '...' : text;
}

// What follows the error on its line; when that is blank (the error is a
// zero-width MISSING token, or sits at a line end) the text just before it is
// more telling than an empty string.
function snippetAt(source, index) {
  const lineEnd = source.indexOf('\n', index);
  const after = source.slice(index, lineEnd === -1 ? undefined : lineEnd).trim();
  if (after) return truncate(after);
  const before = source.slice(0, index).trimEnd();
  if (!before) return '<start of file>';
  const lastLine = before.slice(before.lastIndexOf('\n') + 1).trim();
  const chars = Array.from(lastLine);
  return chars.length > SNIPPET_MAX ? '...' + chars.slice(-SNIPPET_MAX).join('') : lastLine;
}

// Error recovery often folds clean stretches of the file (a param block,
// whole statements, the `try {` around them) into the ERROR node, so its start
// can be far above the fault. The fault is taken to be the last run of
// children that are not complete statements, and that run's start is
// reported instead.
const STATEMENT_LIKE = new Set(['pipeline', 'comment', 'param_block', 'label', 'statement_list']);

function isCompleteStatement(node) {
  return (
    node.isNamed &&
    !node.hasError &&
    !node.isError &&
    (node.type.endsWith('_statement') || STATEMENT_LIKE.has(node.type))
  );
}

function errorAnchor(errorNode) {
  const children = errorNode.children;
  let end = children.length - 1;
  while (end >= 0 && isCompleteStatement(children[end])) end--;
  if (end < 0) return errorNode;
  let start = end;
  while (start > 0 && !isCompleteStatement(children[start - 1])) start--;
  return children[start];
}

function openerBefore(missing) {
  const want = OPENER_FOR[missing.type];
  const parent = missing.parent;
  if (!want || !parent) return null;
  let opener = null;
  for (const sibling of parent.children) {
    if (sibling.id === missing.id) break;
    if (!sibling.isNamed && sibling.type.endsWith(want)) opener = sibling;
  }
  return opener;
}

function collectErrors(node, source, errors) {
  if (node.isError) {
    // One report per ERROR region: its nested ERROR nodes are recovery debris
    // (often a lone newline) that would only repeat the same fault.
    const anchor = errorAnchor(node);
    errors.push({ at: anchor.startPosition, index: anchor.startIndex, note: '' });
    return;
  }
  if (node.isMissing) {
    const opener = openerBefore(node);
    let note = ` (missing "${node.type}"`;
    if (opener) {
      const { line, col } = position(source, opener.startPosition);
      note += ` to close "${opener.type}" at ${line}:${col}`;
    }
    errors.push({ at: node.startPosition, index: node.startIndex, note: note + ')' });
    return;
  }
  if (!node.hasError) return;
  const faulty = node.children.filter((c) => c.hasError || c.isError || c.isMissing);
  if (faulty.length === 0) {
    // web-tree-sitter does not expose MISSING tokens of hidden rules (names
    // starting with `_`) as children, so the error is only visible as
    // hasError on their parent; the tree's S-expression still names them.
    const hidden = /\(MISSING ("?)(.+?)\1\)/.exec(node.toString());
    const note = hidden ? ` (missing ${hidden[2].replace(/^_/, '').replaceAll('_', ' ')})` : '';
    errors.push({ at: node.startPosition, index: node.startIndex, note });
    return;
  }
  for (const child of faulty) collectErrors(child, source, errors);
}

// `parsed` is `source` with ERB tags masked; both have the same length, so
// positions in the tree index either, and the report quotes what is in the
// file.
function checkSource(parser, file, source, parsed) {
  const tree = parser.parse(parsed);
  const errors = [];
  try {
    collectErrors(tree.rootNode, source, errors);
  } finally {
    tree.delete();
  }
  const seen = new Set();
  const lines = [];
  for (const error of errors) {
    const { line, col } = position(source, error.at);
    const message = `${file}:${line}:${col}: syntax error near "${snippetAt(source, error.index)}"${error.note}`;
    if (!seen.has(message)) {
      seen.add(message);
      lines.push(message);
    }
  }
  return lines;
}

async function main(argv) {
  if (argv.includes('-h') || argv.includes('--help')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const files = argv[0] === '--' ? argv.slice(1) : argv;
  if (files.length === 0) usageError('no files given');

  // Read everything before parsing anything: an unreadable file is a mistake
  // in the invocation, and should not be buried among syntax reports.
  const sources = files.map((file) => {
    let text;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      usageError(`cannot read ${file}: ${err.code === 'EISDIR' ? 'is a directory' : err.message}`);
    }
    // Windows editors often save PowerShell with a BOM; it is not a column.
    if (text.startsWith('\uFEFF')) text = text.slice(1);
    return { text, parsed: isErbTemplate(file) ? maskErb(text) : text };
  });

  // V8 re-compiles the 1 MB grammar module with its optimising tier in the
  // background, and node does not exit until that is done: about 6 s of idle
  // time per run on a 2-CPU machine, against about 0.1 s with the baseline
  // compiler alone, which parses scripts of this size fast enough.
  v8.setFlagsFromString('--liftoff-only');
  const require = createRequire(import.meta.url);
  await Parser.init();
  const language = await Language.load(
    require.resolve('tree-sitter-powershell/tree-sitter-powershell.wasm'),
  );
  const parser = new Parser();
  parser.setLanguage(language);

  let failed = false;
  files.forEach((file, i) => {
    const problems = checkSource(parser, file, sources[i].text, sources[i].parsed);
    if (problems.length === 0) {
      process.stdout.write(`ok ${file}\n`);
    } else {
      failed = true;
      process.stdout.write(problems.join('\n') + '\n');
    }
  });
  parser.delete();
  return failed ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
