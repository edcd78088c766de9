#!/usr/bin/env node
// Validates bench/retrieval/questions.json against the pino documentation corpus.
//
// Usage: node bench/retrieval/check-questions.mjs [questions.json] [corpusRoot]
//   questions.json defaults to the file next to this script;
//   corpusRoot defaults to <repo>/node_modules/pino (answer paths are relative to it).
//
// Checks: >= 120 items, unique ids, non-empty question, at least one answer,
// every answer file exists, every "contains" (lowercased, whitespace collapsed)
// occurs in the lowercased, whitespace-collapsed file text, no forbidden
// characters (` * [ ] ( ) | # >) in "contains", and 25 <= contains.length <= 80.
// Prints per-file counts and exits 1 on any problem.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const questionsPath = resolve(process.argv[2] ?? join(here, 'questions.json'));
const corpusRoot = resolve(process.argv[3] ?? join(here, '..', '..', 'node_modules', 'pino'));

const MIN_ITEMS = 120;
const MIN_LEN = 25;
const MAX_LEN = 80;
const FORBIDDEN = ['`', '*', '[', ']', '(', ')', '|', '#', '>'];

const normalize = (s) => s.toLowerCase().replace(/\s+/g, ' ').trim();

const problems = [];
const problem = (msg) => problems.push(msg);

let items;
try {
  items = JSON.parse(readFileSync(questionsPath, 'utf8'));
} catch (err) {
  console.error(`Cannot read ${questionsPath}: ${err.message}`);
  process.exit(1);
}

if (!Array.isArray(items)) {
  console.error(`${questionsPath}: top level must be a JSON array`);
  process.exit(1);
}
if (items.length < MIN_ITEMS) problem(`only ${items.length} items, need at least ${MIN_ITEMS}`);

const fileCache = new Map();
function corpusText(file) {
  if (!fileCache.has(file)) {
    const abs = join(corpusRoot, file);
    fileCache.set(file, existsSync(abs) ? normalize(readFileSync(abs, 'utf8')) : null);
  }
  return fileCache.get(file);
}

const seenIds = new Set();
const primaryCount = new Map(); // file of the first answer -> questions
const anyCount = new Map(); // file referenced by any answer -> questions
const bump = (map, key) => map.set(key, (map.get(key) ?? 0) + 1);

items.forEach((item, index) => {
  const where = `item #${index}${item && typeof item.id === 'string' ? ` (${item.id})` : ''}`;
  if (!item || typeof item !== 'object') {
    problem(`${where}: not an object`);
    return;
  }
  if (typeof item.id !== 'string' || item.id === '') problem(`${where}: missing id`);
  else if (seenIds.has(item.id)) problem(`${where}: duplicate id`);
  else seenIds.add(item.id);

  if (typeof item.question !== 'string' || item.question.trim() === '')
    problem(`${where}: missing question`);

  if (!Array.isArray(item.answers) || item.answers.length === 0) {
    problem(`${where}: needs at least one answer`);
    return;
  }

  const filesInItem = new Set();
  item.answers.forEach((answer, j) => {
    const at = `${where} answer ${j}`;
    if (!answer || typeof answer.file !== 'string' || typeof answer.contains !== 'string') {
      problem(`${at}: needs string "file" and "contains"`);
      return;
    }
    const { file, contains } = answer;
    if (j === 0) bump(primaryCount, file);
    filesInItem.add(file);

    if (contains.length < MIN_LEN || contains.length > MAX_LEN) {
      problem(
        `${at}: contains is ${contains.length} chars (allowed ${MIN_LEN}-${MAX_LEN}): "${contains}"`,
      );
    }
    const bad = FORBIDDEN.filter((ch) => contains.includes(ch));
    if (bad.length)
      problem(`${at}: contains has forbidden character(s) ${bad.join(' ')}: "${contains}"`);

    const text = corpusText(file);
    if (text === null) problem(`${at}: file not found: ${join(corpusRoot, file)}`);
    else if (!text.includes(normalize(contains)))
      problem(`${at}: "${contains}" not found in ${file}`);
  });
  for (const f of filesInItem) bump(anyCount, f);
});

const files = [...new Set([...primaryCount.keys(), ...anyCount.keys()])].sort();
const width = Math.max(4, ...files.map((f) => f.length));
console.log(`${'file'.padEnd(width)}  primary  any-answer`);
for (const f of files) {
  console.log(
    `${f.padEnd(width)}  ${String(primaryCount.get(f) ?? 0).padStart(7)}  ${String(anyCount.get(f) ?? 0).padStart(10)}`,
  );
}
console.log(`${'total'.padEnd(width)}  ${String(items.length).padStart(7)}`);

if (problems.length) {
  console.error(`\n${problems.length} problem(s):`);
  for (const p of problems) console.error(`  - ${p}`);
  process.exit(1);
}
console.log('\nOK: all checks passed');
