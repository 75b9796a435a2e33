/** The shipped JSON Schema (schema/library.config.schema.json) describes exactly the config the code reads. */
import fs from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { KNOWN_KEYS, parseConfig } from '../../src/config.js';
import { ROOT } from '../helpers.js';

const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'schema', 'library.config.schema.json'), 'utf8'));
const validate = new Ajv2020({ allErrors: true }).compile(schema);

describe('library.config.json schema', () => {
  it('names every key the parser knows, each with a description', () => {
    expect(Object.keys(schema.properties).sort()).toEqual([...KNOWN_KEYS].sort());
    for (const [key, value] of Object.entries<any>(schema.properties)) if (key !== '$schema') expect(value.description, key).toBeTruthy();
  });
  const accepted = [
    { library: '~/system/library/skills', companies: '~/ALAI/*/.claude/skills', store: '~/system/library-store.git' },
    { $schema: './schema/library.config.schema.json', library: 'lib', companies: '~/ALAI/*', folders: ['.claude/skills', '.agents/skills'], store: 's.git', merge: 'line', safety: { maxRemovePercent: 50 } },
    { library: { url: 'git@github.com:acme/skills.git', branch: 'main', path: 'skills' }, companies: { CodeCraft: '~/ALAI/CodeCraft' }, folders: ['.claude/skills'], store: 's.git', report: { url: 'file:///hub.git' }, host: 'laptop-1', network: { tries: 2 } },
    { library: { ref: 'refs/heads/library' }, companies: '/srv/*/.claude/skills', store: 's.git', serve: { tokenEnv: 'T', port: 8174 }, remotes: { forge: { url: 'http://127.0.0.1:8174/store.git', tokenEnv: 'T' } } },
  ];
  it('accepts what the parser accepts', () => {
    for (const c of accepted) {
      expect(validate(c), JSON.stringify(validate.errors)).toBe(true);
      expect(() => parseConfig(c, '/tmp/library.config.json')).not.toThrow();
    }
  });
  it('refuses what the parser refuses: an unknown key, a folder outside the company, a bad merge mode', () => {
    for (const bad of [{ ...accepted[0], unknown: 1 }, { ...accepted[1], folders: ['../x'] }, { ...accepted[0], merge: 'lines' }, { library: 'x', store: 'y' }]) {
      expect(validate(bad)).toBe(false);
      expect(() => parseConfig(bad, '/tmp/library.config.json')).toThrow();
    }
  });
});
