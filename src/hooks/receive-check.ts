/**
 * The pre-receive check of a receiving store (run by hooks/pre-receive, over
 * ssh or under `library serve`): reads git's `<old> <new> <ref>` lines on stdin
 * and refuses the whole push, one line per refused ref, if any breaks the rules.
 * Kept apart from the CLI so a push does not pay for loading every command.
 * git runs it in the store with the incoming objects visible (quarantine), so
 * native git answers the object questions.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { parseCommands, refusal, type ObjectFacts } from '../remote/ref-rules.js';

const facts: ObjectFacts = {
  typeOf(oid) {
    const r = spawnSync('git', ['cat-file', '-t', oid], { encoding: 'utf8' });
    return r.status === 0 ? r.stdout.trim() : null;
  },
  isAncestor(ancestor, oid) {
    return spawnSync('git', ['merge-base', '--is-ancestor', ancestor, oid]).status === 0;
  },
};

const commands = parseCommands(fs.readFileSync(0, 'utf8'));
if (typeof commands === 'string') {
  process.stderr.write(`library-sync: push refused: ${commands}\n`);
  process.exit(1);
}
let refused = 0;
for (const cmd of commands) {
  const why = refusal(cmd, facts);
  if (!why) continue;
  refused++;
  process.stderr.write(`library-sync: refused ${cmd.ref}: ${why}\n`);
}
if (refused > 0) process.stderr.write(`library-sync: push refused (${refused} of ${commands.length} refs): nothing was changed\n`);
process.exit(refused > 0 ? 1 : 0);
