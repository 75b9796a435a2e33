/**
 * PURE: `upstream add --as NAME` vendors a skill under another folder name,
 * and a skill's `name` must equal its folder (validation rule
 * `name-mismatch`), so the `name:` line of SKILL.md's front matter is
 * rewritten. The same rewrite is applied to every upstream version of the
 * skill (base and new), so a merge never sees the rename as a change.
 */

/** SKILL.md with its front-matter `name:` line set to `name`, or null when there is no such line to set. */
export function renameSkillMd(content: Buffer, name: string): Buffer | null {
  const text = content.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(content)) return null;
  const lines = text.split(/(?<=\n)/);
  const first = lines[0]?.replace(/^\uFEFF/, '');
  if (!first || first.replace(/\r?\n$/, '') !== '---') return null;
  for (let i = 1; i < lines.length; i++) {
    const body = lines[i].replace(/\r?\n$/, '');
    if (body === '---' || body === '...') return null;
    if (/^name\s*:/.test(body)) {
      const eol = lines[i].slice(body.length);
      const next = `name: ${name}${eol}`;
      if (next === lines[i]) return null;
      return Buffer.from([...lines.slice(0, i), next, ...lines.slice(i + 1)].join(''), 'utf8');
    }
  }
  return null;
}
