// The shared access-log fixtures (tests/logs/*.log): this parser must give exactly the requests, statuses, times
// and errors in *.expected.jsonl, which the command line's `replay` parser is held to as well
// (crates/cli/src/logformat.rs, test `fixtures`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseLogLine, forEachLine } from '../logparse.mjs';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'tests', 'logs');
const logs = fs.readdirSync(dir).filter((f) => f.endsWith('.log'));

test('there are log fixtures', () => assert.ok(logs.length >= 4, logs.join(', ')));

for (const f of logs) {
  test(`tests/logs/${f}`, () => {
    const expected = fs.readFileSync(path.join(dir, f.replace(/\.log$/, '.expected.jsonl')), 'utf8')
      .split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
    const got = [];
    forEachLine(fs.readFileSync(path.join(dir, f), 'utf8'), (line, n) => {
      const r = parseLogLine(line);
      got.push(r.ok
        ? { line: n, request: r.request, status: r.status === '-' ? null : Number(r.status), time: r.time }
        : { line: n, error: r.error });
    });
    assert.deepEqual(got, expected);
  });
}
